"""Timeline, pre-movement, roles and beliefs (issue 3), from scenario files."""

from __future__ import annotations

import numpy as np
import pytest

from aforo.engine.simulation import Simulation
from aforo.scenario import loads

TWO_EXITS = """
[scenario]
name = "two-exits"
[run]
duration = {duration}
seed = 4
stop_when_empty = {stop}
[clock]
start = "20:40"
[levels.room]
walkable = [[0, 0], [20, 0], [20, 2.5], [20, 3.5], [20, 6], [0, 6], [0, 3.5], [0, 2.5]]
[levels.room.doors.near]
jambs = [[0, 2.5], [0, 3.5]]
state = "{near_state}"
[levels.room.exits.far]
segment = [[20, 2.5], [20, 3.5]]
[populations.crowd]
space = "room"
count = {count}
spawn = [[1, 1], [5, 1], [5, 5], [1, 5]]
{extra}
"""


def two_exits(*, duration=120, near_state="open", count=30, extra="", stop="true"):
    return loads(TWO_EXITS.format(duration=duration, near_state=near_state, count=count, extra=extra, stop=stop))


def test_clock_events_fire_within_one_time_step():
    scenario = two_exits(extra="""
[[events]]
at = 1.57
action = "close"
door = "near"
[[events]]
at = "20:41"
action = "open"
door = "near"
""", stop="false")
    sim = Simulation.from_scenario(scenario)
    sim.run()
    fired = {e.action: t for t, e in sim.fired}
    dt = scenario.run.time_step
    assert abs(fired["close"] - 1.57) <= dt
    assert abs(fired["open"] - 60.0) <= dt  # 20:41 is 60 s after the 20:40 start


def test_nist_4_1_an_exit_becomes_unavailable_and_people_reroute():
    """NIST TN 1822 test 4.1: the near door is locked at 2 s; everyone still inside then leaves
    by the far exit, and nobody passes the locked door afterwards."""
    scenario = two_exits(extra="""
[[events]]
at = 2
action = "lock"
door = "near"
""")
    sim = Simulation.from_scenario(scenario)
    sim.run()
    near = [p for p in sim.passages if p.line == "near"]
    far = [p for p in sim.passages if p.line == "far"]
    assert all(p.time_s <= 2.0 + 1e-9 for p in near)
    assert 0 < len(near) < 30 and len(near) + len(far) == 30


def test_rimea_5_each_person_starts_at_its_assigned_time():
    """RiMEA test 5: 10 people in an 8 m × 5 m room, pre-movement uniform in 10–100 s."""
    scenario = loads("""
[scenario]
name = "rimea-5"
[run]
duration = 200
seed = 11
[levels.room]
walkable = [[0, 0], [8, 0], [8, 2], [8, 3], [8, 5], [0, 5]]
[levels.room.exits.exit]
segment = [[8, 2], [8, 3]]
[populations.ten]
space = "room"
count = 10
start = { distribution = "uniform", low = "10 s", high = "100 s" }
""")
    sim = Simulation.from_scenario(scenario)
    start_s = sim.state.start_step * scenario.run.time_step
    assert ((start_s >= 10) & (start_s <= 100)).all() and np.ptp(start_s) > 30
    exit_centre = np.array([8.0, 2.5])
    place = np.column_stack([sim.state.pos_x, sim.state.pos_y]).copy()  # where each was put
    from_place = np.linalg.norm(place - exit_centre, axis=1)
    set_off = np.full(10, np.nan)  # first frame an agent is 0.75 m nearer the exit than its place
    while sim.time_s < 200 and sim.active_count:
        before = sim.state.active.copy()
        sim.advance_frame()
        here = np.column_stack([sim.state.pos_x, sim.state.pos_y])
        # before its time an agent only ever steps back to its place if shoved (never walks)
        waiting = before & sim.state.active & (sim.time_s + 1e-9 < start_s)
        back = np.linalg.norm(here - place, axis=1) / sim.state.relaxation_time
        # (speed_now is from the position at the start of the frame's last step: allow the
        # distance one step can change it by, 2.5 cm at 2.5 m/s, over τ)
        assert np.all(sim._scratch.speed_now[waiting] <= back[waiting] + 0.025 / 0.5)
        gained = from_place - np.linalg.norm(here - exit_centre, axis=1)
        set_off[np.isnan(set_off) & ((gained > 0.75) | ~sim.state.active)] = sim.time_s
    # each sets off at its time: 0.75 m from rest takes about 1 s at 1.34 m/s with τ = 0.5 s
    assert np.all(set_off >= start_s) and np.all(set_off <= start_s + 1.5)


def test_people_learn_a_door_is_blocked_tell_each_other_and_reroute():
    """The near door is latched and cannot be worked (believed usable, as closed doors are):
    the crowd goes to it, learns it is blocked, spreads the word and leaves by the far exit."""
    scenario = loads(TWO_EXITS.format(duration=300, near_state="latched", count=30, extra="", stop="true")
                     .replace('state = "latched"', 'state = "latched"\nswing = "outward"\nhandle_force = 0'))
    sim = Simulation.from_scenario(scenario)
    headed_near = sim.behaviour.fields.fields[sim.state.field_of_agent[0]].travel_time
    assert np.isfinite(headed_near).any()
    sim.run()
    assert sim.active_count == 0
    assert {p.line for p in sim.passages} == {"far"}
    assert sim.behaviour.blocked.astype(bool).sum() >= 25  # almost everyone came to know


def test_guard_holds_its_post_against_a_crowd():
    scenario = loads("""
[scenario]
name = "guarded"
[run]
duration = 30
seed = 2
[levels.room]
walkable = [[0, 0], [8, 0], [8, 2.5], [8, 3.5], [8, 6], [0, 6]]
[levels.room.exits.exit]
segment = [[8, 2.5], [8, 3.5]]
[areas.post]
space = "room"
polygon = [[6.3, 2.8], [6.7, 2.8], [6.7, 3.2], [6.3, 3.2]]
[populations.guard]
space = "room"
count = 1
spawn = [[6.4, 2.9], [6.6, 2.9], [6.6, 3.1], [6.4, 3.1]]
role = "guard"
post = "post"
effort = "600 N"
[populations.crowd]
space = "room"
count = 20
spawn = [[1, 1], [5, 1], [5, 5], [1, 5]]
pushing = true
""")
    sim = Simulation.from_scenario(scenario)
    worst = 0.0
    while sim.time_s < 30:
        sim.advance_frame()
        worst = max(worst, float(np.hypot(sim.state.pos_x[0] - 6.5, sim.state.pos_y[0] - 3.0)))
    assert sim.state.active[0]  # the guard never leaves
    assert sim.state.hold_force[0] == pytest.approx(600.0)
    assert worst < 0.5
