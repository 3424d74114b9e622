"""Line crossings, desired directions, elevation and the non-finite guard against references."""

import math

import numpy as np

import naive
from aforo.kernels.constraints import (
    LINE_COUNTER,
    LINE_EXIT,
    LINE_PORTAL,
    cross_lines,
    desired_directions,
    guard_non_finite,
    invalidate_nav_cache,
    new_nav_cache,
    update_elevation,
)
from aforo.kernels.social_force import STATUS_NON_FINITE


def test_cross_lines_matches_reference_on_random_moves():
    rng = np.random.default_rng(8)
    n = 600
    # space 0 has a portal to space 1 (x = 5), an exit (y = 0) and a counter (x = 2);
    # space 1 has the portal back and an exit (y = 6)
    lines = np.array([[5, 0, 5, 6], [0, 0, 10, 0], [2, 0, 2, 6], [5, 6, 5, 0], [0, 6, 10, 6]], float)
    kind = np.array([LINE_PORTAL, LINE_EXIT, LINE_COUNTER, LINE_PORTAL, LINE_EXIT], np.int64)
    target = np.array([1, 0, 0, 0, 1], np.int64)
    start = np.array([0, 3, 5], np.int64)
    old = rng.uniform([0, 0.2], [10, 5.8], (n, 2))
    new = old + rng.normal(0, 0.6, (n, 2))
    space = np.where(old[:, 0] < 5, 0, 1).astype(np.int64)
    active = rng.random(n) > 0.05
    cap = 4 * n
    ea, el, es = np.zeros(cap, np.int64), np.zeros(cap, np.int64), np.zeros(cap, np.int64)
    got_space, got_active = space.copy(), active.copy()
    count = cross_lines(old[:, 0].copy(), old[:, 1].copy(), new[:, 0].copy(), new[:, 1].copy(), got_space, got_active,
                        lines, np.zeros(5, np.int64), kind, target, start, ea, el, es, 0)
    events, ref_space, ref_active = naive.cross_lines(old, new, space, active, lines, kind, target, start)
    assert count == len(events) > 50
    assert list(zip(ea[:count].tolist(), el[:count].tolist(), es[:count].tolist())) == events
    np.testing.assert_array_equal(got_space, ref_space)
    np.testing.assert_array_equal(got_active, ref_active)


def test_cross_lines_reports_overflow_instead_of_writing_past_the_buffer():
    old = np.array([[0.0, 1.0], [0.0, 2.0]])
    new = np.array([[2.0, 1.0], [2.0, 2.0]])
    lines = np.array([[1, 0, 1, 3]], float)
    buf = np.zeros(1, np.int64)
    count = cross_lines(old[:, 0].copy(), old[:, 1].copy(), new[:, 0].copy(), new[:, 1].copy(),
                        np.zeros(2, np.int64), np.ones(2, bool), lines, np.zeros(1, np.int64),
                        np.array([LINE_COUNTER]), np.zeros(1, np.int64), np.array([0, 1]), buf, buf.copy(), buf.copy(), 0)
    assert count == -1


def test_desired_directions_read_the_agents_cell_and_apply_stair_factors():
    rng = np.random.default_rng(2)
    # two spaces: a level raster 4 × 3 cells at origin (0, 0), a stair raster 2 × 5 at (10, 0)
    nx, ny = np.array([4, 2]), np.array([3, 5])
    offset = np.array([0, 12, 22])
    ox, oy = np.array([0.0, 10.0]), np.array([0.0, 0.0])
    cell = 0.5
    angles = rng.uniform(0, 2 * np.pi, (2, 22))
    field = np.stack([np.cos(angles), np.sin(angles)], axis=-1)
    field[0, 5] = 0.0  # a cell without direction: the previous direction is kept
    uphill = np.array([[0.0, 0.0], [0.0, 1.0]])
    up, down = np.array([1.0, 0.5]), np.array([1.0, 0.7])
    pos = np.array([[0.3, 0.2], [1.2, 0.7], [10.7, 2.2], [10.2, 0.1], [1.9, 1.4]])
    space = np.array([0, 0, 1, 1, 0])
    which = np.array([0, 1, 0, 1, 1])
    v0 = np.array([1.0, 1.2, 1.4, 1.1, 0.9])
    dx, dy = np.full(5, 0.6), np.full(5, 0.8)
    speed = np.zeros(5)
    desired_directions(pos[:, 0].copy(), pos[:, 1].copy(), space, np.ones(5, bool), which, ox, oy, nx, ny, offset,
                       cell, field, uphill, up, down, v0, dx, dy, speed, new_nav_cache(5))
    for i in range(5):
        s = space[i]
        ix, iy = int(math.floor((pos[i, 0] - ox[s]) / cell)), int(math.floor((pos[i, 1] - oy[s]) / cell))
        expected = field[which[i], offset[s] + iy * nx[s] + ix]
        if not expected.any():
            expected = np.array([0.6, 0.8])
        np.testing.assert_allclose([dx[i], dy[i]], expected)
        climb = expected @ uphill[s]
        factor = up[s] if climb > 0 else down[s] if climb < 0 else 1.0
        assert speed[i] == v0[i] * factor


def test_nav_cache_reads_the_raster_again_when_cell_or_field_changes_and_after_invalidation():
    # one space, a 3 × 1 raster of 1 m cells, two fields; every cell has its own direction
    field = np.array([[[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], [[0.6, 0.8], [0.8, 0.6], [0.0, -1.0]]])
    one = np.zeros(1, np.int64)
    grid = (np.zeros(1), np.zeros(1), np.array([3]), np.array([1]), np.array([0, 3]), 1.0)
    stairs = (np.zeros((1, 2)), np.ones(1), np.ones(1), np.ones(1))
    cache = new_nav_cache(1)
    dx, dy, speed = np.zeros(1), np.zeros(1), np.zeros(1)

    def read(x, which, directions):
        desired_directions(np.array([x]), np.array([0.5]), one, np.ones(1, bool), np.array([which]), *grid,
                           directions, *stairs[:3], stairs[3], dx, dy, speed, cache)
        return dx[0], dy[0]

    assert read(0.2, 0, field) == (1.0, 0.0)
    assert read(1.5, 0, field) == (0.0, 1.0)  # another cell
    assert read(1.7, 1, field) == (0.8, 0.6)  # same cell, another field
    changed = field.copy()
    changed[1, 1] = (0.0, -1.0)
    assert read(1.9, 1, changed) == (0.8, 0.6)  # same key: the last read, as documented
    invalidate_nav_cache(cache)
    assert read(1.9, 1, changed) == (0.0, -1.0)  # forgotten: the raster again


def test_update_elevation_and_non_finite_guard():
    plane = np.array([[3.5, 0.0, 0.0], [0.0, 0.0, 0.7]])
    x, y = np.array([1.0, 2.0, 3.0]), np.array([0.0, 2.5, 5.0])
    z = np.zeros(3)
    update_elevation(x, y, np.array([0, 1, 1]), np.array([True, True, False]), plane, z)
    np.testing.assert_allclose(z, [3.5, 1.75, 0.0])
    old_x, old_y = np.array([1.0, 2.0]), np.array([1.0, 2.0])
    px, py = np.array([np.nan, 2.5]), np.array([1.5, 2.5])
    vx, vy = np.array([1.0, np.inf]), np.array([1.0, 1.0])
    status = np.zeros(2, np.int64)
    guard_non_finite(old_x, old_y, px, py, vx, vy, np.ones(2, bool), status)
    np.testing.assert_array_equal(px, [1.0, 2.0])
    np.testing.assert_array_equal(vx, [0.0, 0.0])
    assert (status == STATUS_NON_FINITE).all()
