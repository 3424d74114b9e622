"""Fire gases given as input, in a running simulation: ISO 20414 tests 18 and 19, going down,
harm thresholds from the scenario (issue 4, part 4)."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aforo.engine.rundir import run_scenario
from aforo.engine.simulation import Simulation
from aforo.hazards.exposure import smoke_speed_factor
from aforo.scenario.model import Distribution, Exit, HarmSettings, Level, Population, RunSettings, Scenario, Smoke

STANDING = Distribution.fixed(1e9)  # a start time never reached: the agent stays where it is
# ISO 20414:2020 test 19 (shared/reference/tear-gas.md): CO2 %, CO %, O2 %, hand-calculated time to FED = 1 (s)
ISO_TEST_19 = {"a": (2.0, 0.1, 15.0, 981.7), "b": (0.0, 0.0, 12.0, 1666.5), "c": (0.0, 0.1, 21.0, 1692.8),
               "d": (3.43, 0.1, 21.0, 846.5)}


def _square(x0: float, y0: float, size: float) -> tuple:
    return ((x0, y0), (x0 + size, y0), (x0 + size, y0 + size), (x0, y0 + size))


def four_rooms(**smoke_extra) -> Scenario:
    """One 20 m × 5 m floor in four 5 m bays, one standing occupant and one smoke region per case."""
    populations, smoke = [], []
    for k, (case, (co2, co, o2, _)) in enumerate(ISO_TEST_19.items()):
        bay = _square(5.0 * k, 0.0, 5.0)
        populations.append(Population(case, "floor", 1, spawn=_square(5.0 * k + 2, 2, 1), start=STANDING))
        smoke.append(Smoke(case, "floor", polygon=bay, co2=(co2 / 100,), co=(co / 100,), o2=(o2 / 100,),
                           **smoke_extra))
    return Scenario(name="iso-20414-test-19", levels=(Level("floor", 0.0, (((0, 0), (20, 0), (20, 5), (0, 5)),)),),
                    populations=tuple(populations), smoke=tuple(smoke),
                    run=RunSettings(duration=1750.0, time_step=0.01, record_interval=1.0, stop_when_empty=False))


@pytest.fixture(scope="module")
def iso_19_run():
    sim = Simulation.from_scenario(four_rooms())
    sim.run()
    return sim


def test_iso_20414_test_19_times_within_1_s(iso_19_run):
    sim = iso_19_run
    rows = {r["population"]: r for r in sim.harm.casualties if r["cause"] == "fire gases"}
    assert sorted(rows) == sorted(ISO_TEST_19)
    for case, (*_, expected_s) in ISO_TEST_19.items():
        assert rows[case]["state"] == "incapacitated"
        assert abs(rows[case]["time_s"] - expected_s) < 1.0, (case, rows[case]["time_s"], expected_s)


def test_fed_incapacitated_agents_go_down_and_are_counted(iso_19_run):
    sim = iso_19_run
    assert sim.state.limp.all()  # all four reached FED = 1 and lie on the floor
    assert sim.harm.summary()["counts"]["incapacitated (fire gases)"] == 4
    assert np.all(sim.air.exposure.fed >= 1.0)


def test_harm_thresholds_come_from_the_scenario():
    """[harm.exposure] fed_incapacitation = 0.5: each case falls at half its time (constant air)."""
    base = four_rooms()
    scenario = Scenario(**{**base.__dict__, "harm": HarmSettings(exposure=(("fed_incapacitation", 0.5),)),
                           "run": RunSettings(duration=900.0, time_step=0.01, record_interval=1.0,
                                              stop_when_empty=False)})
    sim = Simulation.from_scenario(scenario)
    sim.run()
    times = {r["population"]: r["time_s"] for r in sim.harm.casualties if r["cause"] == "fire gases"}
    for case, (*_, expected_s) in ISO_TEST_19.items():
        assert times[case] == pytest.approx(expected_s / 2, abs=0.5)


def corridor(extinction_per_m: float) -> Scenario:
    """ISO 20414 test 18: a 100 m × 2 m corridor filled with smoke of constant extinction K."""
    smoke = (Smoke("smoke", "corridor", extinction=(extinction_per_m,)),) if extinction_per_m else ()
    return Scenario(
        name="iso-20414-test-18",
        levels=(Level("corridor", 0.0, (((0, 0), (102, 0), (102, 2), (0, 2)),),
                      exits=(Exit("end", "corridor", ((102, 0), (102, 2))),)),),
        populations=(Population("walker", "corridor", 1, spawn=_square(0.5, 0.5, 1.0),
                                desired_speed=Distribution.fixed(1.0), radius=Distribution.fixed(0.25)),),
        smoke=smoke, run=RunSettings(duration=400.0, seed=3))


def _travel_time_s(scenario: Scenario) -> float:
    """Time from x = 2 m to x = 102 m (100 m walked after reaching the walking speed)."""
    sim = Simulation.from_scenario(scenario)
    crossed_2m = None
    while sim.state.active.any() and sim.time_s < scenario.run.duration:
        sim.advance_frame()
        if crossed_2m is None and sim.state.pos_x[0] >= 2.0:
            crossed_2m = sim.time_s
    return float(sim.exit_time_s[0] - crossed_2m)


@pytest.mark.parametrize("extinction_per_m", [2.0, 5.0])
def test_iso_20414_test_18_time_in_smoke_over_time_in_clear_air(extinction_per_m):
    """The ratio of travel times is 1 / f(K) for the model's own law (Frantzich & Nilsson)."""
    ratio = _travel_time_s(corridor(extinction_per_m)) / _travel_time_s(corridor(0.0))
    expected = 1.0 / float(smoke_speed_factor(extinction_per_m))
    # 1 %: frames of 0.1 s at the start and end of each walk (≈0.2 s in 100–170 s)
    assert ratio == pytest.approx(expected, rel=0.01)


def test_smoke_from_a_file_of_snapshots_reaches_the_run_and_its_provenance(tmp_path):
    """Two snapshots on a 1 m grid: clean at 0 s, 2 % CO at 100 s; an occupant on a covered cell
    breathes CO rising linearly, one off the grid breathes clean air."""
    xs, ys = np.meshgrid(np.arange(0.5, 5.0), np.arange(0.5, 5.0))
    rows = {"time_s": [], "space": [], "x_m": [], "y_m": [], "co_ppm": []}
    for t, co in ((0.0, 0.0), (100.0, 20_000.0)):
        rows["time_s"] += [t] * xs.size
        rows["space"] += ["floor"] * xs.size
        rows["x_m"] += xs.ravel().tolist()
        rows["y_m"] += ys.ravel().tolist()
        rows["co_ppm"] += [co] * xs.size
    path = tmp_path / "smoke.parquet"
    pq.write_table(pa.table(rows), path)
    scenario = Scenario(
        name="file-smoke",
        levels=(Level("floor", 0.0, (((0, 0), (20, 0), (20, 5), (0, 5)),)),),
        populations=(Population("in", "floor", 1, spawn=_square(2, 2, 1), start=STANDING),
                     Population("out", "floor", 1, spawn=_square(15, 2, 1), start=STANDING)),
        smoke=(Smoke("fds", file=str(path)),),
        run=RunSettings(duration=200.0, record_interval=1.0, stop_when_empty=False))
    run_scenario(scenario, tmp_path / "run")
    table = pq.read_table(tmp_path / "run" / "trajectories.parquet").to_pydict()
    fed = {(a, round(t)): f for a, t, f in zip(table["agent"], table["time_s"], table["fed"])}
    assert fed[(1, 200)] == 0.0  # off the grid: clean air
    # Purser's CO term only (no CO2, ambient O2): FED = ∫ 2.7641667e-5 · C^1.036 dt / 60 (C in ppm,
    # t in s); the dose keeps counting after FED = 1
    t = np.linspace(0, 200, 200_001)
    co = np.interp(t, [0, 100], [0, 20_000])
    rate = 2.7641667e-5 * co**1.036 / 60
    expected = float(np.sum((rate[1:] + rate[:-1]) / 2 * np.diff(t)))
    assert fed[(0, 200)] == pytest.approx(expected, rel=1e-3)
    prov = json.loads((tmp_path / "run" / "provenance.json").read_text())
    assert list(prov["input_files_sha256"]) == [str(path)]


def test_with_harm_off_bodies_carry_loads_but_nobody_is_hurt():
    """[harm] enabled = false: a pushing crowd against a locked door is pressed (contact forces
    and compression are still computed) but nobody is injured, falls or goes limp."""
    from aforo.scenario.model import Door

    room = ((0, 0), (8, 0), (8, 1.5), (8, 2.5), (8, 4), (0, 4))
    base = Scenario(
        name="pressed",
        levels=(Level("room", 0.0, (room,), doors=(Door("door", "room", ((8, 1.5), (8, 2.5)), state="locked"),)),),
        populations=(Population("crowd", "room", 130, pushing=True, desired_speed=Distribution.fixed(5.0)),),
        run=RunSettings(duration=60.0, stop_when_empty=False))
    harmed = Simulation.from_scenario(base)
    harmed.run()
    spared = Simulation.from_scenario(Scenario(**{**base.__dict__, "harm": HarmSettings(enabled=False)}))
    spared.run()
    assert harmed.harm.casualties  # the control: the same crush hurts people with harm on
    assert spared.harm.casualties == [] and spared.harm.falls_total == 0 and not spared.state.limp.any()
    # still pressed: the frame-mean load passed the injury level's force (1600 N/m × 2π × 0.2 m)
    assert spared.harm.peak_load_n.max() > 1600.0 * 2 * np.pi * 0.2
