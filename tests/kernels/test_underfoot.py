"""Walkers over bodies (kernels/floor.py) against a plain-Python twin."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from aforo.kernels.cells import build_agent_cells
from aforo.kernels.floor import (
    GRAVITY_M_PER_S2,
    _near_bodies_hold,
    new_body_cache,
    slow_over_bodies,
    stood_on,
    weight_on_bodies,
)
from aforo.kernels.pair_list import MOST_DRIFT_M

CELL, X_MIN, Y_MIN, NCX, NCY = 1.0, -1.0, -1.0, 8, 8  # a cell holds r + 2 r = 0.75 m
FOOT = 2.0  # footprint radius over standing radius
LINK = np.array([[True, True], [True, True]])  # the two spaces of _crowd joined by a portal
MAX_DZ = 0.5


def _heights(seed, space):
    """Space 1 at heights of 0–1 m (a flight), so some joined pairs are too far apart in z."""
    rng = np.random.default_rng(seed + 7)
    return np.where(space == 1, rng.uniform(0.0, 1.0, space.size), 0.0)


def _slow(x, y, r, space, z, active, lying, cells, cache, speed, link=LINK):
    slow_over_bodies(x, y, r, space, z, active, lying, *cells, NCX, NCY, link, MAX_DZ, FOOT, 0.5, cache, speed)


def _weight(x, y, r, m, space, z, active, lying, cells, cache, force, load, link=LINK):
    weight_on_bodies(x, y, r, m, space, z, active, lying, *cells, NCX, NCY, link, MAX_DZ, FOOT, 0.5, cache, force,
                     load)


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


def _pairs(x, y, r, space, z, active, lying, reach_of, link=LINK):
    for b in range(x.size):
        if not (lying[b] and active[b]):
            continue
        for j in range(x.size):
            near = space[j] == space[b] or (link[space[b], space[j]] and abs(z[j] - z[b]) <= MAX_DZ)
            if active[j] and not lying[j] and near:
                if np.hypot(x[j] - x[b], y[j] - y[b]) < reach_of(j, b):
                    yield b, j


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 120), share=st.floats(0.0, 0.5), joined=st.booleans())
def test_kernels_match_a_plain_twin(seed, n, share, joined):
    """Agents in the body's space count, and agents of a joined space within MAX_DZ of its
    height (a walker across a portal stands on a body lying at it), as in the force pass."""
    x, y, r, m, space, active, lying, cells = _crowd(seed, n, share)
    z = _heights(seed, space)
    link = LINK if joined else np.eye(2, dtype=bool)
    speed = np.full(n, 1.2)
    _slow(x, y, r, space, z, active, lying, cells, new_body_cache(n), speed, link)
    over = {j for _, j in _pairs(x, y, r, space, z, active, lying, lambda j, b: r[j] + FOOT * r[b], link)}
    expected = np.where(np.isin(np.arange(n), list(over)), 0.6, 1.2)
    assert np.array_equal(speed, expected)

    force = np.zeros(n)
    load = np.full(n, 10.0)
    _weight(x, y, r, m, space, z, active, lying, cells, new_body_cache(n), force, load, link)
    expected = np.zeros(n)
    for b, j in _pairs(x, y, r, space, z, active, lying, lambda j, b: FOOT * r[b], link):
        expected[b] += 0.5 * m[j] * GRAVITY_M_PER_S2
    np.testing.assert_allclose(force, expected, rtol=1e-12, atol=0)
    np.testing.assert_allclose(load, 10.0 + expected, rtol=1e-12, atol=0)


def test_a_walker_across_a_portal_stands_on_a_body_lying_at_it():
    """A body on a landing (space 0) and a walker 0.3 m away on the flight (space 1) at 0.2 m
    higher: the walker is over it and weighs on it; 2 m higher, or with the spaces not joined,
    it is not."""
    x, y, r = np.array([1.0, 1.3]), np.array([1.0, 1.0]), np.full(2, 0.2)
    m, space, active, lying = np.full(2, 70.0), np.array([0, 1]), np.ones(2, bool), np.array([True, False])
    cells = build_agent_cells(x, y, active, X_MIN, Y_MIN, CELL, NCX, NCY, np.arange(2))
    for z, link, counted in ((np.array([0.0, 0.2]), LINK, True), (np.array([0.0, 2.0]), LINK, False),
                             (np.array([0.0, 0.2]), np.eye(2, dtype=bool), False)):
        speed, force, load = np.full(2, 1.2), np.zeros(2), np.zeros(2)
        _slow(x, y, r, space, z, active, lying, cells, new_body_cache(2), speed, link)
        _weight(x, y, r, m, space, z, active, lying, cells, new_body_cache(2), force, load, link)
        assert (speed[1] == 0.6) == counted and (force[0] == 0.5 * 70.0 * GRAVITY_M_PER_S2) == counted


def test_nobody_lying_changes_nothing():
    x, y, r, m, space, active, lying, cells = _crowd(1, 50, 0.0)
    speed = np.full(50, 1.2)
    _slow(x, y, r, space, _heights(1, space), active, lying, cells, new_body_cache(x.size), speed)
    assert np.all(speed == 1.2)


def _no_room(n):
    """A body cache with no room for near agents: the kernels read the cells every time."""
    cache = new_body_cache(n)
    return cache[:4] + (np.zeros(0, np.int64),) + cache[5:]


def _both(x, y, r, m, space, active, lying, cache):
    """slow_over_bodies and weight_on_bodies on the cells of (x, y), with ``cache``."""
    cells = build_agent_cells(x, y, active, X_MIN, Y_MIN, CELL, NCX, NCY, np.arange(x.size))
    z = _heights(0, space)
    speed = np.full(x.size, 1.2)
    _slow(x, y, r, space, z, active, lying, cells, cache, speed)
    force, load = np.zeros(x.size), np.full(x.size, 10.0)
    _weight(x, y, r, m, space, z, active, lying, cells, cache, force, load)
    return speed, force, load, cells[2]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 120), share=st.floats(0.05, 0.5), drift=st.floats(0.0, 3.0),
       within_cells=st.booleans())
def test_a_kept_list_of_near_agents_gives_what_the_cells_give(seed, n, share, drift, within_cells):
    """Moves of up to three drifts, within cells or not: each pass with the cache kept between
    passes gives, to the last bit, what a pass with a fresh cache (the cells) gives."""
    x, y, r, m, space, active, lying, _ = _crowd(seed, n, share)
    rng = np.random.default_rng(seed)
    kept = new_body_cache(n)
    reused = 0
    for _ in range(4):
        step = rng.uniform(0, drift * MOST_DRIFT_M, n) * (rng.random(n) < 0.5)
        angle = rng.uniform(0, 2 * np.pi, n)
        new_x, new_y = x + step * np.cos(angle), y + step * np.sin(angle)
        if within_cells:
            same = (np.floor((new_x - X_MIN) / CELL) == np.floor((x - X_MIN) / CELL)) & (
                np.floor((new_y - Y_MIN) / CELL) == np.floor((y - Y_MIN) / CELL))
            new_x, new_y = np.where(same, new_x, x), np.where(same, new_y, y)
        x, y = new_x, new_y
        agent_cell = build_agent_cells(x, y, active, X_MIN, Y_MIN, CELL, NCX, NCY, np.arange(n))[2]
        reused += _near_bodies_hold(x, y, active, agent_cell, kept)
        got = _both(x, y, r, m, space, active, lying, kept)
        expected = _both(x, y, r, m, space, active, lying, _no_room(n))  # read from the cells
        for a, b in zip(got, expected):
            assert np.array_equal(a, b)
    if within_cells and drift < 0.3 and (lying & active).any():
        assert reused >= 2  # total moves stay under the drift: the lists were kept


def test_near_agents_that_do_not_fit_are_read_from_the_cells():
    x, y, r, m, space, active, lying, _ = _crowd(3, 120, 0.3)
    cache = new_body_cache(120)
    small = _no_room(120)
    got = _both(x, y, r, m, space, active, lying, small)
    assert small[5][0] == -1  # not kept
    expected = _both(x, y, r, m, space, active, lying, cache)
    assert cache[5][0] > 0  # kept
    for a, b in zip(got, expected):
        assert np.array_equal(a, b)
    assert (got[0] < 1.2).any() and (got[1] > 0).any()


def test_a_walker_coming_from_beyond_the_skin_is_counted():
    """One walker just beyond reach + skin of a body, then 12 cm closer (same cell): the list
    made on the first pass must not be kept for the second."""
    r = np.full(2, 0.2)
    reach = r[1] + FOOT * r[0]
    x, y = np.array([2.05, 2.05 + reach + 0.11]), np.array([2.5, 2.5])  # both in one cell, [2, 3) m
    m, space, active, lying = np.full(2, 70.0), np.zeros(2, np.int64), np.ones(2, bool), np.array([True, False])
    cache = new_body_cache(2)
    speed, force, _, _ = _both(x, y, r, m, space, active, lying, cache)
    assert speed[1] == 1.2 and force[0] == 0.0 and cache[5][0] == 1
    x[1] -= 0.12
    speed, force, _, _ = _both(x, y, r, m, space, active, lying, cache)
    assert speed[1] == 0.6  # over the footprint now




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
