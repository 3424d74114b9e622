"""Walkers over bodies (kernels/floor.py) against a plain-Python twin."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from aforo.kernels.cells import build_agent_cells
from aforo.kernels.floor import GRAVITY_M_PER_S2, slow_over_bodies, stood_on, weight_on_bodies

CELL, X_MIN, Y_MIN, NCX, NCY = 1.0, -1.0, -1.0, 8, 8  # a cell holds r + 2 r = 0.75 m
FOOT = 2.0  # footprint radius over standing radius


def _crowd(seed, n, lying_share):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 5.0, n)
    y = rng.uniform(0.0, 5.0, n)
    r = rng.uniform(0.2, 0.25, n)
    m = rng.uniform(50, 100, n)
    space = rng.integers(0, 2, n)
    active = rng.random(n) < 0.9
    lying = rng.random(n) < lying_share
    cells = build_agent_cells(x, y, active, X_MIN, Y_MIN, CELL, NCX, NCY, np.arange(n))
    return x, y, r, m, space, active, lying, cells


def _pairs(x, y, r, space, active, lying, reach_of):
    for b in range(x.size):
        if not (lying[b] and active[b]):
            continue
        for j in range(x.size):
            if active[j] and not lying[j] and space[j] == space[b]:
                if np.hypot(x[j] - x[b], y[j] - y[b]) < reach_of(j, b):
                    yield b, j


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 120), share=st.floats(0.0, 0.5))
def test_kernels_match_a_plain_twin(seed, n, share):
    x, y, r, m, space, active, lying, (start, agents, agent_cell) = _crowd(seed, n, share)
    speed = np.full(n, 1.2)
    slow_over_bodies(x, y, r, space, active, lying, start, agents, agent_cell, NCX, NCY, FOOT, 0.5, speed)
    over = {j for _, j in _pairs(x, y, r, space, active, lying, lambda j, b: r[j] + FOOT * r[b])}
    expected = np.where(np.isin(np.arange(n), list(over)), 0.6, 1.2)
    assert np.array_equal(speed, expected)

    force = np.zeros(n)
    load = np.full(n, 10.0)
    weight_on_bodies(x, y, r, m, space, active, lying, start, agents, agent_cell, NCX, NCY, FOOT, 0.5, force, load)
    expected = np.zeros(n)
    for b, j in _pairs(x, y, r, space, active, lying, lambda j, b: FOOT * r[b]):
        expected[b] += 0.5 * m[j] * GRAVITY_M_PER_S2
    np.testing.assert_allclose(force, expected, rtol=1e-12, atol=0)
    np.testing.assert_allclose(load, 10.0 + expected, rtol=1e-12, atol=0)


def test_nobody_lying_changes_nothing():
    x, y, r, m, space, active, lying, (start, agents, agent_cell) = _crowd(1, 50, 0.0)
    speed = np.full(50, 1.2)
    slow_over_bodies(x, y, r, space, active, lying, start, agents, agent_cell, NCX, NCY, FOOT, 0.5, speed)
    assert np.all(speed == 1.2)


LINK = np.array([[True, True], [True, True]])  # the two spaces of _crowd joined by a portal
MAX_DZ = 0.5


def _stood_on_numpy(pos_x, pos_y, radius, space, elevation, active, lying, down_s, link, max_dz, footprint_factor):
    """The rule in NumPy (as first written in hazards/floor.py, with joined spaces and bodies
    on top added)."""
    covered = np.zeros(pos_x.size, dtype=bool)
    others = np.arange(pos_x.size)
    for b in np.flatnonzero(active & lying):
        joined = active & (others != b) & ((space == space[b]) | (link[space[b], space]
                                                                   & (np.abs(elevation - elevation[b]) <= max_dz)))
        distance = np.hypot(pos_x - pos_x[b], pos_y - pos_y[b])
        upright = joined & ~lying & (distance < radius + footprint_factor * radius[b])
        later = (down_s > down_s[b]) | ((down_s == down_s[b]) & (others > b))
        on_top = joined & lying & later & (distance < radius + radius[b])
        covered[b] = bool(upright.any() or on_top.any())
    return covered


def _elevation(seed, n):
    return np.random.default_rng(seed + 1).choice([0.0, 0.3, 2.0], n)  # joined, or a storey apart


def _down_s(seed, n):
    return np.random.default_rng(seed + 2).choice([10.0, 10.5, 11.0], n)  # frames, with ties


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(0, 60), lying_share=st.floats(0.0, 1.0))
def test_stood_on_kernel_is_the_numpy_rule(seed, n, lying_share):
    x, y, r, _, space, active, lying, _ = _crowd(seed, n, lying_share)
    z, down = _elevation(seed, n), _down_s(seed, n)
    expected = _stood_on_numpy(x, y, r, space, z, active, lying, down, LINK, MAX_DZ, FOOT)
    got = stood_on(x, y, r, space, z, active, lying, down, LINK, MAX_DZ, FOOT)
    np.testing.assert_array_equal(got, expected)


def test_stood_on_kernel_finds_covered_and_free_bodies():
    # the twin comparison above must not pass on all-False answers: a fixed crowd with both
    x, y, r, _, space, active, lying, _ = _crowd(3, 60, 0.3)
    z, down = _elevation(3, 60), _down_s(3, 60)
    got = stood_on(x, y, r, space, z, active, lying, down, LINK, MAX_DZ, FOOT)
    assert got.any() and (active & lying & ~got).any()
    np.testing.assert_array_equal(got, _stood_on_numpy(x, y, r, space, z, active, lying, down, LINK, MAX_DZ, FOOT))


def test_a_walker_across_a_portal_keeps_a_body_down():
    # a body at the foot of a stair (space 0) and a walker on the stair side of the portal
    # (space 1, joined, 0.2 m higher) standing over it: the body must not rise under the walker,
    # whom it would press on once up (the forces act across joined spaces at nearly one height)
    x, y, r = np.array([0.0, 0.3]), np.zeros(2), np.full(2, 0.22)
    space, active, lying = np.array([0, 1]), np.ones(2, bool), np.array([True, False])
    down = np.array([5.0, np.nan])
    assert stood_on(x, y, r, space, np.array([0.0, 0.2]), active, lying, down, LINK, MAX_DZ, FOOT)[0]
    # a storey apart, or in spaces not joined, the walker is not on it
    assert not stood_on(x, y, r, space, np.array([0.0, 2.0]), active, lying, down, LINK, MAX_DZ, FOOT)[0]
    apart = np.array([[True, False], [False, True]])
    assert not stood_on(x, y, r, space, np.array([0.0, 0.2]), active, lying, down, apart, MAX_DZ, FOOT)[0]


def test_only_the_top_of_a_pile_of_bodies_may_rise():
    # three bodies on one spot (lying bodies exert no force on each other): rising together they
    # would stand inside each other. The one that went down last is on top; on a tie the higher
    # index. A fourth body beside the pile, not touching it, is free.
    x, y = np.array([0.0, 0.001, 0.002, 1.0]), np.zeros(4)
    r, space, z = np.full(4, 0.22), np.zeros(4, np.int64), np.zeros(4)
    active, lying = np.ones(4, bool), np.ones(4, bool)
    got = stood_on(x, y, r, space, z, active, lying, np.array([3.0, 9.0, 6.0, 1.0]), LINK, MAX_DZ, FOOT)
    assert got.tolist() == [True, False, True, False]
    got = stood_on(x, y, r, space, z, active, lying, np.array([4.0, 4.0, 4.0, 4.0]), LINK, MAX_DZ, FOOT)
    assert got.tolist() == [True, True, False, False]
