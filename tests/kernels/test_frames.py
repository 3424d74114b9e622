"""The per-frame kernels (kernels/frames.py, kernels/harm.py's callers, kernels/beliefs.py's
learning) agree with the NumPy expressions they replace, to the last bit."""

import numpy as np
import pytest

from aforo.kernels.beliefs import stuck_at_door
from aforo.kernels.frames import active_peaks, box_area_frame, trajectory_rows


def _crowd(seed, n=150):
    rng = np.random.default_rng(seed)
    crowd = {
        "pos_x": rng.uniform(0, 6, n), "pos_y": rng.uniform(0, 6, n),
        "vel_x": rng.normal(0, 0.3, n) * (rng.random(n) < 0.5), "vel_y": rng.normal(0, 0.3, n) * (rng.random(n) < 0.5),
        "dir_x": rng.normal(size=n), "dir_y": rng.normal(size=n),
        "space": rng.integers(0, 2, n).astype(np.int64), "active": rng.random(n) < 0.85,
        "radius": rng.uniform(0.2, 0.25, n), "contact_force": np.where(rng.random(n) < 0.4, rng.uniform(0, 4000, n), 0.0),
    }
    if n:  # ties at the top, in force and in compression: the first wins
        tied = rng.choice(n, 4, replace=False)
        crowd["contact_force"][tied] = 4100.0
        crowd["radius"][tied] = 0.2
    return crowd


def _compression(c):
    return c["contact_force"] / (2.0 * np.pi * c["radius"])  # AgentState.compression


@pytest.mark.parametrize("seed, with_nan", [(0, False), (1, False), (2, True)])
def test_box_areas_count_and_find_the_worst_as_numpy_does(seed, with_nan):
    c = _crowd(seed)
    if with_nan:
        c["contact_force"][[40, 90]] = np.nan
    boxes = [(0, 0.5, 0.5, 3.0, 2.0), (1, 1.0, 1.0, 5.5, 5.5), (0, 2.0, 2.0, 2.0, 3.0), (1, 7.0, 7.0, 8.0, 8.0)]
    spaces = np.array([b[0] for b in boxes], np.int64)
    x0, y0, x1, y1 = (np.array([b[k] for b in boxes]) for k in range(1, 5))
    count, agent, worst = box_area_frame(c["pos_x"], c["pos_y"], c["space"], c["active"], c["contact_force"],
                                         c["radius"], spaces, x0, y0, x1, y1)
    compression = _compression(c)
    for a, (space, bx0, by0, bx1, by1) in enumerate(boxes):
        sel = np.flatnonzero(c["active"] & (c["space"] == space))
        x, y = c["pos_x"][sel], c["pos_y"][sel]
        inside = sel[(x > bx0) & (x < bx1) & (y > by0) & (y < by1)]
        assert count[a] == inside.size
        if inside.size:
            expected = int(inside[np.argmax(compression[inside])])
            assert agent[a] == expected
            np.testing.assert_array_equal(worst[a], compression[expected])
            np.testing.assert_array_equal(worst[a], compression[inside].max())
        else:
            assert agent[a] == -1 and worst[a] == 0.0
    assert count[:2].min() >= 3 and count[2] == 0 and count[3] == 0


@pytest.mark.parametrize("seed, case", [(0, "crowd"), (1, "nan"), (2, "nobody active"), (3, "empty")])
def test_active_peaks_are_argmax_of_the_masked_arrays(seed, case):
    c = _crowd(seed, n=0 if case == "empty" else 150)
    if case == "nan":
        c["contact_force"][[17, 60]] = np.nan
    if case == "nobody active":
        c["active"][:] = False
    got = active_peaks(c["active"], c["contact_force"], c["radius"])
    if case == "empty":
        assert got == (-1, 0.0, -1, 0.0)
        return
    for values, (agent, value) in ((_compression(c), got[:2]), (c["contact_force"], got[2:])):
        masked = np.where(c["active"], values, 0.0)
        assert agent == int(np.argmax(masked))
        np.testing.assert_array_equal(value, masked[agent])


def test_trajectory_rows_are_the_columns_astype_makes():
    c = _crowd(4)
    rng = np.random.default_rng(4)
    n = c["pos_x"].size
    elevation, population = rng.uniform(0, 3, n), rng.integers(0, 5, n)
    health, limp = rng.integers(0, 4, n).astype(np.int8), rng.random(n) < 0.2
    lying = limp & (rng.random(n) < 0.5)
    exposure = [rng.uniform(0, 100, n) for _ in range(4)]
    idx = np.flatnonzero(c["active"])
    floats, agent, pop, space, health_code, limp_flag, lying_flag = trajectory_rows(
        idx, c["pos_x"], c["pos_y"], elevation, c["vel_x"], c["vel_y"], c["contact_force"], c["radius"], population,
        c["space"], health, limp, lying, *exposure)
    expected = [c["pos_x"], c["pos_y"], elevation, c["vel_x"], c["vel_y"], c["contact_force"], _compression(c),
                *exposure]
    for k, column in enumerate(expected):
        np.testing.assert_array_equal(floats[:, k], column[idx].astype(np.float32))
    np.testing.assert_array_equal(agent, idx.astype(np.int32))
    np.testing.assert_array_equal(pop, population[idx].astype(np.int16))
    np.testing.assert_array_equal(space, c["space"][idx].astype(np.int16))
    np.testing.assert_array_equal(health_code, health[idx])
    np.testing.assert_array_equal(limp_flag, limp[idx])
    np.testing.assert_array_equal(lying_flag, lying[idx])
    assert floats.dtype == np.float32 and agent.dtype == np.int32 and pop.dtype == np.int16


def _learn_numpy(c, moving, hold_force, door_space, jambs, bit, interval, learn_time, stuck_s, blocked, near_any):
    """The learning step as engine/behaviour.py first wrote it, in NumPy."""
    speed = np.hypot(c["vel_x"], c["vel_y"])
    candidates = c["active"] & (speed < 0.1) & moving & (hold_force == 0)
    who = np.flatnonzero(candidates & (c["space"] == door_space))
    (x1, y1), (x2, y2) = jambs
    sx, sy = x2 - x1, y2 - y1
    length_sq = sx * sx + sy * sy
    px, py = c["pos_x"][who], c["pos_y"][who]
    t = np.clip(((px - x1) * sx + (py - y1) * sy) / length_sq, 0.0, 1.0) if length_sq > 0 else np.zeros_like(px)
    to_x, to_y = x1 + t * sx - px, y1 + t * sy - py
    facing = (to_x * c["dir_x"][who] + to_y * c["dir_y"][who]) > 0
    at_door = who[(np.hypot(to_x, to_y) <= 1.0) & facing]
    near_any[at_door] = True
    stuck_s[at_door] += interval
    knows = at_door[stuck_s[at_door] >= learn_time]
    fresh = knows[(blocked[knows] & bit) == 0]
    blocked[fresh] |= bit
    return bool(fresh.size)


@pytest.mark.parametrize("seed, jambs", [(0, ((2.0, 3.0), (3.0, 3.0))), (1, ((1.0, 1.0), (4.0, 5.0))),
                                         (2, ((2.5, 2.5), (2.5, 2.5)))])
def test_stuck_at_door_learns_as_the_numpy_step(seed, jambs):
    c = _crowd(seed, n=400)
    rng = np.random.default_rng(seed)
    n = c["pos_x"].size
    moving, hold_force = rng.random(n) < 0.9, np.where(rng.random(n) < 0.1, 300.0, 0.0)
    blocked = np.where(rng.random(n) < 0.2, np.int64(2), np.int64(0))
    states = [(np.zeros(n), blocked.copy()) for _ in range(2)]
    learnt_any = False
    for frame in range(8):
        near = [np.zeros(n, bool), np.zeros(n, bool)]
        got = stuck_at_door(c["pos_x"], c["pos_y"], c["vel_x"], c["vel_y"], c["dir_x"], c["dir_y"], c["space"],
                            c["active"], moving, hold_force, 1, *jambs[0], *jambs[1], np.int64(2), 0.5, 2.0, 0.1, 1.0,
                            states[0][0], states[0][1], near[0])
        expected = _learn_numpy(c, moving, hold_force, 1, jambs, np.int64(2), 0.5, 2.0, states[1][0], states[1][1],
                                near[1])
        assert got == expected
        learnt_any |= got
        np.testing.assert_array_equal(near[0], near[1])
        for a, b in zip(states[0], states[1]):
            np.testing.assert_array_equal(a, b)
    assert learnt_any and near[0].sum() >= 2
