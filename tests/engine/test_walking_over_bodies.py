"""Bodies on the floor in a running simulation (hazards/floor.py, kernels/floor.py): a walker
steps over a dead body in a corridor too narrow to go round it, slowed, and loads it with its
weight while standing on it."""

from __future__ import annotations

import numpy as np
import pytest

from aforo.engine.simulation import Simulation
from aforo.hazards.injury import DEAD
from aforo.scenario.model import Distribution, Exit, Level, Population, RunSettings, Scenario

GRAVITY = 9.81


def corridor_with_a_body(width_m=0.9):
    ring = ((0, 0), (20, 0), (20, width_m), (0, width_m))
    mid = width_m / 2

    def box(x):
        return ((x - 0.3, mid - 0.23), (x + 0.3, mid - 0.23), (x + 0.3, mid + 0.23), (x - 0.3, mid + 0.23))

    body = dict(radius=Distribution.fixed(0.22), mass=Distribution.fixed(70.0), desired_speed=Distribution.fixed(1.2))
    return Scenario(
        name="body-in-a-corridor",
        levels=(Level("ground", 0.0, (ring,), exits=(Exit("end", "ground", ((20, 0), (20, width_m))),)),),
        populations=(Population("body", "ground", 1, spawn=box(10.0), **body),
                     Population("walker", "ground", 1, spawn=box(2.0), **{**body, "mass": Distribution.fixed(80.0)})),
        run=RunSettings(duration=40.0, time_step=0.01, record_interval=0.1, seed=0),
    )


def run(dead_body: bool):
    sim = Simulation.from_scenario(corridor_with_a_body())
    if dead_body:
        sim.harm.injury.state[0] = DEAD  # dead from the start: limp, and with no support it lies down
    loads, over = [], []
    while sim.time_s < 40.0 - 1e-9 and sim.state.active[1]:
        sim.advance_frame()
        loads.append(sim.harm.peak_load_n[0])
        over.append(abs(sim.state.pos_x[1] - sim.state.pos_x[0]) < 0.66)
    return sim, np.array(loads), np.array(over)


def test_a_walker_steps_over_a_body_slowed_and_standing_on_it():
    sim, loads, _ = run(dead_body=True)
    assert sim.harm.floor.lying[0] and sim.harm.floor.time_lying_s[0] == pytest.approx(0.5, abs=0.11)
    walked = sim.exit_time_s[1]
    assert np.isfinite(walked)  # over it, in a corridor too narrow to go round it
    assert abs(sim.state.pos_x[0] - 10.0) < 0.3  # the body was not pushed along
    # 17.7 m at 1.2 m/s is 14.8 s; over the body's footprint (1.32 m) at half speed: +0.55 s
    assert 14.8 + 0.3 < walked < 14.8 + 1.5
    # standing on it, the walker's weight share bore on the body: 0.5 × 80 kg × g, as a frame mean
    assert loads.max() == pytest.approx(0.5 * 80.0 * GRAVITY, rel=1e-9)


def test_a_body_left_standing_blocks_the_corridor():
    # the control: an unharmed person standing still (pre-movement beyond the run) is not
    # stepped over, and the walker cannot pass it in a 0.9 m corridor
    scenario = corridor_with_a_body()
    from dataclasses import replace

    still = replace(scenario.populations[0], start=Distribution.fixed(100.0))
    sim = Simulation.from_scenario(replace(scenario, populations=(still, scenario.populations[1])))
    sim.run()
    assert np.isnan(sim.exit_time_s[1])
    assert not sim.state.lying.any()


def test_with_bodies_on_floor_off_a_dead_body_stays_a_standing_disc():
    from dataclasses import replace

    from aforo.scenario.model import HarmSettings

    scenario = replace(corridor_with_a_body(), harm=HarmSettings(bodies_on_floor=False))
    sim = Simulation.from_scenario(scenario)
    sim.harm.injury.state[0] = DEAD
    sim.run()
    assert not sim.state.lying.any() and sim.state.limp[0]
    # not stepped over: the walker is held up behind it (it shoves the limp body ahead of it and
    # gets out at 37 s, against 15.4 s over a body on the floor)
    assert not sim.exit_time_s[1] < 25.0
