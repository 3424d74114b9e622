"""Tear gas in a running simulation (issue 4, first part): release, breathing, effects, record."""

from __future__ import annotations

import numpy as np
import pytest

from aforo.engine.simulation import Simulation
from aforo.scenario.model import Canister, Distribution, Exit, Level, Population, RunSettings, Scenario

ROOM = ((0, 0), (10, 0), (10, 10), (0, 10))


def gassed_room(*, exit_=False, start=None, duration=120.0, mass_kg=0.0025):
    exits = (Exit("out", "room", ((10, 4.5), (10, 5.5))),) if exit_ else ()
    ring = ((0, 0), (10, 0), (10, 4.5), (10, 5.5), (10, 10), (0, 10)) if exit_ else ROOM
    return Scenario(
        name="gassed",
        levels=(Level("room", 0.0, (ring,), exits=exits),),
        populations=(Population("people", "room", 20, spawn=((1, 1), (9, 1), (9, 9), (1, 9)),
                                start=start, desired_speed=Distribution.fixed(1.3)),),
        canisters=(Canister("grenade", "room", (5.0, 5.0), at=5.0, mass=mass_kg, duration=30.0),),
        run=RunSettings(duration=duration, time_step=0.01, record_interval=0.1, seed=1, stop_when_empty=False),
    )


def test_gas_released_in_a_sealed_room_is_conserved_and_breathed():
    standing = Distribution.fixed(1e9)  # nobody moves: a sealed room, people standing
    sim = Simulation.from_scenario(gassed_room(start=standing, duration=60.0))
    sim.run()
    air = sim.air
    # 2.5 g of CS released over 30 s from t = 5 s, nothing ventilated, nowhere to leak
    assert air.released_mg == pytest.approx(2500.0, rel=1e-9)
    assert air.field.total_mass_mg == pytest.approx(2500.0, rel=1e-9)
    ex = air.exposure
    assert (ex.cs_ct_mg_min_m3 > 0).all()  # everybody breathed some
    near = np.hypot(sim.state.pos_x - 5, sim.state.pos_y - 5) < 2.5
    far = np.hypot(sim.state.pos_x - 5, sim.state.pos_y - 5) > 4.0
    assert near.any() and far.any()
    assert ex.cs_ct_mg_min_m3[near].mean() > ex.cs_ct_mg_min_m3[far].mean()
    # those whose eyes closed walk at the blindfolded speed (if they walked)
    closed = ex.eyes_closed
    assert closed.any()
    np.testing.assert_allclose(sim.state.desired_speed[closed], 1.3 * ex.params.cs_eyes_closed_speed_factor)
    # incapacitation is recorded with its cause and time, after the release began
    rows = [r for r in sim.harm.casualties if r["cause"] == "CS gas"]
    assert rows and all(r["state"] == "incapacitated" and r["time_s"] > 5.0 for r in rows)
    assert sim.harm.summary()["counts"]["incapacitated (CS gas)"] == len(rows)


def test_no_canister_no_air():
    scenario = gassed_room()
    from dataclasses import replace

    sim = Simulation.from_scenario(replace(scenario, canisters=()))
    assert sim.air is None


def test_gas_leaks_out_of_an_open_exit_and_the_books_balance():
    sim = Simulation.from_scenario(gassed_room(exit_=True, duration=90.0))
    sim.run()
    f = sim.air.field
    assert f.leaked_mg > 0
    assert f.total_mass_mg + f.leaked_mg + f.ventilated_mg == pytest.approx(f.released_mg, rel=1e-9)


def test_people_route_round_irritating_gas():
    """Two ways out of a 24 m hall; gas fills the west end. People standing nearer the west exit
    leave by it without gas, and mostly by the far east exit once it fills with gas."""
    ring = ((0, 0), (0, 2.5), (0, 3.5), (0, 6), (24, 6), (24, 3.5), (24, 2.5), (24, 0))
    hall = Level("hall", 0.0, ((ring[0], ring[7], ring[6], ring[5], ring[4], ring[3], ring[2], ring[1]),),
                 exits=(Exit("west", "hall", ((0, 2.5), (0, 3.5))), Exit("east", "hall", ((24, 2.5), (24, 3.5)))))
    people = Population("people", "hall", 10, spawn=((9, 1), (10, 1), (10, 5), (9, 5)),
                        start=Distribution.fixed(40.0), desired_speed=Distribution.fixed(1.3))
    run = RunSettings(duration=120, time_step=0.01, record_interval=0.1, seed=3)
    from aforo.scenario.model import GasSettings

    def exits_used(canisters):
        scenario = Scenario(name="choice", levels=(hall,), populations=(people,), canisters=canisters,
                            run=run, gas=GasSettings(diffusivity=0.2))
        sim = Simulation.from_scenario(scenario)
        sim.run()
        return [p.line for p in sim.passages]

    clean = exits_used(())
    assert clean.count("west") == 10
    gassed = exits_used((Canister("cloud", "hall", (3.0, 3.0), at=0.0, mass=0.02, duration=5.0),))
    assert gassed.count("east") >= 7
