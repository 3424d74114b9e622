"""Cell lists, segment tests, density and the hard-wall guard against obvious references."""

import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import naive
from aforo.kernels.cells import build_agent_cells, build_wall_cells
from aforo.kernels.constraints import enforce_walls
from aforo.kernels.pair_list import new_pair_cache
from aforo.kernels.density import local_density
from aforo.kernels.geometry import box_apart_from_segment, segments_cross
from aforo.kernels.social_force import STATUS_WALL_REVERTED

coord = st.floats(-5, 5, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(coord, coord, st.floats(0, 2), st.floats(0, 2), coord, coord, coord, coord, st.floats(0, 1.5))
def test_box_apart_from_segment_never_skips_a_near_segment(x, y, w, h, ax, ay, bx, by, reach):
    """The guards skip walls by this test: when it says apart, every point of the box must be
    further than ``reach`` from the segment (else a push or a crossing would be missed)."""
    box = shapely.box(x, y, x + w, y + h)
    segment = shapely.LineString([(ax, ay), (bx, by)]) if (ax, ay) != (bx, by) else shapely.Point(ax, ay)
    apart = box_apart_from_segment(x, y, x + w, y + h, ax, ay, bx, by, reach)
    if apart:
        assert box.distance(segment) > reach
    # and it does skip what lies clearly beyond reach of the segment's bounding box (a box test)
    if max(x - max(ax, bx), min(ax, bx) - (x + w), y - max(ay, by), min(ay, by) - (y + h)) > reach + 1e-6:
        assert apart


@settings(max_examples=300, deadline=None)
@given(coord, coord, coord, coord, coord, coord, coord, coord)
def test_segments_cross_agrees_with_shapely(a, b, c, d, e, f, g, h):
    s1 = shapely.LineString([(a, b), (c, d)])
    s2 = shapely.LineString([(e, f), (g, h)])
    if s1.length == 0 or s2.length == 0:
        return
    got = segments_cross(a, b, c, d, e, f, g, h)
    if got != s1.intersects(s2):
        # Only touching configurations, decided by rounding, may differ: 1e-9 m is far below
        # anything that matters for a body, and the wall guard also keeps a clearance.
        assert s1.distance(s2) < 1e-9


def test_agent_cells_partition_every_active_agent():
    rng = np.random.default_rng(3)
    x, y = rng.uniform(-1, 11, 500), rng.uniform(-1, 7, 500)
    active = rng.random(500) > 0.2
    start, agents, cell = build_agent_cells(x, y, active, 0.0, 0.0, 1.0, 10, 6)
    assert sorted(agents.tolist()) == np.flatnonzero(active).tolist()
    for c in range(60):
        members = agents[start[c] : start[c + 1]]
        assert (np.diff(members) > 0).all()  # deterministic order
        assert (cell[members] == c).all()
    assert (cell[~active] == -1).all()


def test_wall_cells_hold_every_wall_within_one_cell():
    walls = np.array([[0.5, 0.5, 7.5, 0.5], [3.0, 1.0, 3.2, 5.5], [9.0, 5.0, 1.0, 2.0]])
    start, ids = build_wall_cells(walls, 0.0, 0.0, 1.0, 10, 6)
    for cy in range(6):
        for cx in range(10):
            c = cy * 10 + cx
            listed = set(ids[start[c] : start[c + 1]].tolist())
            center = shapely.Point(cx + 0.5, cy + 0.5)
            for w, row in enumerate(walls):
                # any wall within one cell edge of any point of the cell must be listed
                if shapely.LineString([row[:2], row[2:]]).distance(center) <= 1.0:
                    assert w in listed


def test_local_density_matches_brute_force():
    rng = np.random.default_rng(5)
    pos = rng.uniform(0, 8, (400, 2))
    space = rng.integers(0, 2, 400).astype(np.int64)
    active = rng.random(400) > 0.1
    radius = math.sqrt(2 / math.pi)
    got = local_density(pos[:, 0].copy(), pos[:, 1].copy(), space, active, radius, -1.0, -1.0, 14, 14)
    np.testing.assert_allclose(got, naive.local_density(pos, space, active, radius))


@pytest.mark.parametrize("seed", range(5))
def test_wall_guard_never_lets_a_centre_cross(seed):
    """Random hard kicks against a room's walls and an interior wall: every centre stays inside."""
    rng = np.random.default_rng(seed)
    room = shapely.Polygon([(0, 0), (6, 0), (6, 4), (3.05, 4), (3.05, 1.5), (2.95, 1.5), (2.95, 4), (0, 4)])
    coords = np.asarray(room.exterior.coords)
    walls = np.column_stack([coords[:-1], coords[1:]])
    n = 400
    inner = room.buffer(-0.15)
    pts = []
    while len(pts) < n:
        p = rng.uniform([0, 0], [6, 4])
        if inner.contains(shapely.Point(p)):
            pts.append(p)
    old = np.array(pts)
    kick = rng.normal(0, 0.4, (n, 2))  # up to a metre in one step: far beyond any real step
    new = old + kick
    vel = kick / 0.01
    radius = np.full(n, 0.25)
    start, ids = build_wall_cells(walls, -1.3, -1.3, 1.3, 8, 6)
    cells = ((old[:, 1] + 1.3) // 1.3).astype(np.int64) * 8 + ((old[:, 0] + 1.3) // 1.3).astype(np.int64)
    px, py = new[:, 0].copy(), new[:, 1].copy()
    status = np.zeros(n, np.int64)
    # a kick longer than a cell could skip the old cell's wall list: keep kicks within one cell
    long = np.hypot(*kick.T) > 1.2
    px[long], py[long] = old[long, 0], old[long, 1]
    enforce_walls(old[:, 0].copy(), old[:, 1].copy(), px, py, vel[:, 0].copy(), vel[:, 1].copy(), radius,
                  np.zeros(n, np.int64), np.ones(n, bool), cells, walls, np.zeros(len(walls), np.int64),
                  start, ids, new_pair_cache(n), 0.5, status)
    assert shapely.contains_xy(room, px, py).all()
    assert (status & STATUS_WALL_REVERTED).any()  # the test did push agents through walls
    d = shapely.distance(room.exterior, shapely.points(px, py))
    assert (d >= 0.125 - 1e-9).mean() > 0.95  # clearance restored for nearly all (corners aside)


@pytest.mark.parametrize("seed", [0, 1])
def test_free_gaps_match_reference(seed):
    from aforo.kernels.spacing import free_gaps

    rng = np.random.default_rng(seed)
    n, k = 80, 7
    pos = rng.uniform(0, 5, (n, 2))
    radius = rng.uniform(0.2, 0.3, n)
    space = rng.integers(0, 3, n)
    present = rng.random(n) > 0.3
    points, radii, spaces = rng.uniform(0, 5, (k, 2)), rng.uniform(0.2, 0.3, k), np.array([0, 1, 2, 0, 1, 2, 3])
    got = free_gaps(points[:, 0].copy(), points[:, 1].copy(), radii, spaces, pos[:, 0].copy(), pos[:, 1].copy(),
                    radius, space, present)
    expected = naive.free_gaps(points, radii, spaces, pos, radius, space, present)
    np.testing.assert_array_equal(got, expected)  # the same formula, so the same bits
    assert np.isinf(got[-1])  # nobody in space 3
