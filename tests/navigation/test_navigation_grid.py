"""The navigation grid: lattice alignment, free cells, links, portals, walls, wall distance."""

import numpy as np
import pytest
import shapely
from nav_venues import stair_venue
from shapely.geometry import LineString, box

from aforo.kernels.fmm import lookup_cell
from aforo.navigation import NavigationError, NavSpace, build_grid

CELL = 0.1


@pytest.fixture(scope="module")
def stair_grid():
    venue = stair_venue()
    return venue, build_grid(spaces=venue.spaces, portals=venue.portals, cell_size=CELL)


def test_rasters_sit_on_one_lattice_and_number_cells_in_order(stair_grid):
    _, grid = stair_grid
    for origin in (grid.origin_x, grid.origin_y):
        assert np.allclose(origin / CELL, np.rint(origin / CELL), atol=1e-9)
    assert np.array_equal(np.diff(grid.offset), grid.nx * grid.ny)
    assert np.array_equal(np.bincount(grid.space_of_cell), grid.nx * grid.ny)
    assert grid.free.shape == grid.wall_distance.shape == (grid.n_cells,)
    assert grid.neighbours.shape == (grid.n_cells, 4)
    assert not grid.neighbours.flags.writeable


def test_free_cells_are_those_with_centres_inside_their_polygon(stair_grid):
    venue, grid = stair_grid
    x, y = grid.cell_centres()
    for s, space in enumerate(venue.spaces):
        cells = slice(grid.offset[s], grid.offset[s + 1])
        assert np.array_equal(grid.free[cells], shapely.contains_xy(space.polygon, x[cells], y[cells]))
    assert grid.free[grid.offset[0]:grid.offset[1]].sum() == 100 * 100


def test_links_are_symmetric_adjacent_and_between_free_cells(stair_grid):
    _, grid = stair_grid
    x, y = grid.cell_centres()
    step = np.array([(-1, 0), (1, 0), (0, -1), (0, 1)]) * CELL
    opposite = [1, 0, 3, 2]
    for slot in range(4):
        cells = np.flatnonzero(grid.neighbours[:, slot] >= 0)
        other = grid.neighbours[cells, slot]
        assert np.all(grid.free[cells]) and np.all(grid.free[other])
        assert np.array_equal(grid.neighbours[other, opposite[slot]], cells)
        # same place on the lattice whichever raster the neighbour is in
        assert np.allclose(x[other] - x[cells], step[slot, 0])
        assert np.allclose(y[other] - y[cells], step[slot, 1])


def test_portals_link_exactly_the_cells_facing_across_them(stair_grid):
    _, grid = stair_grid
    x, y = grid.cell_centres()
    linked = grid.neighbours >= 0
    crosses = linked & (grid.space_of_cell[np.maximum(grid.neighbours, 0)] != grid.space_of_cell[:, None])
    hall_to_stair = np.flatnonzero(crosses[:, 2] & (grid.space_of_cell == 0))
    assert hall_to_stair.size == 20  # 2 m wide portal, 0.1 m cells
    assert np.allclose(y[hall_to_stair], 0.05) and np.all((x[hall_to_stair] > 4) & (x[hall_to_stair] < 6))
    assert crosses.sum() == 2 * 2 * 20  # two portals, both ways
    assert not np.any(crosses[:, :2])  # both portals are horizontal: no cross-space x links


def test_a_wall_thinner_than_a_cell_still_separates():
    # a 1 mm wall across the room from x = 0 to x = 8: centres either side are free, links cut
    room = box(0, 0, 10, 4).difference(box(0, 1.999, 8, 2.0))
    grid = build_grid(spaces=[NavSpace(polygon=room)], portals=[], cell_size=CELL)
    x, y = grid.cell_centres()
    below = np.flatnonzero(np.isclose(y, 1.95) & (x < 8) & grid.free)
    above = np.flatnonzero(np.isclose(y, 2.05) & (x < 8) & grid.free)
    assert below.size == above.size == 80
    assert np.all(grid.neighbours[below, 3] == -1) and np.all(grid.neighbours[above, 2] == -1)
    gap = np.flatnonzero(np.isclose(y, 1.95) & (x > 8) & grid.free)
    assert np.all(grid.neighbours[gap, 3] >= 0)


def test_wall_distance_is_the_distance_to_walls_but_not_to_portals(stair_grid):
    venue, grid = stair_grid
    x, y = grid.cell_centres()
    hall = np.flatnonzero((grid.space_of_cell == 0) & grid.free)
    walls = venue.spaces[0].polygon.boundary.difference(LineString([(4, 0), (6, 0)]).buffer(1e-6))
    exact = shapely.distance(walls, shapely.points(x[hall], y[hall]))
    # the nearest wall is handed on cell to cell: exact here (a box), never below the truth
    np.testing.assert_allclose(grid.wall_distance[hall], exact, atol=1e-5)  # 1 µm portal trim
    # the middle of the portal is 1 m from the portal's ends, not 0.05 m from a wall
    assert grid.wall_distance[lookup(grid, 0, 5.05, 0.05)] == pytest.approx(np.hypot(0.95, 0.05), rel=1e-9)
    assert np.all(grid.wall_distance[~grid.free] == 0.0)


def lookup(grid, space, x, y):
    return lookup_cell(grid.origin_x, grid.origin_y, grid.nx, grid.ny, grid.offset, grid.cell_size,
                       space, x, y)


def test_lookup_cell_agrees_with_cell_centres(stair_grid):
    _, grid = stair_grid
    x, y = grid.cell_centres()
    rng = np.random.default_rng(3)
    for cell in rng.integers(0, grid.n_cells, size=200):
        space = grid.space_of_cell[cell]
        px, py = x[cell] + rng.uniform(-0.49, 0.49) * CELL, y[cell] + rng.uniform(-0.49, 0.49) * CELL
        assert lookup(grid, space, px, py) == cell
    assert lookup(grid, 1, 50.0, 50.0) == -1


@pytest.mark.parametrize(
    "portals, message",
    [
        ([(0, 1, ((4.0, 0.5), (6.0, 0.5)))], "does not lie on the boundary"),
        ([(0, 0, ((4.0, 0.0), (6.0, 0.0)))], "two different spaces"),
        ([(0, 5, ((4.0, 0.0), (6.0, 0.0)))], "not in 0..2"),
        ([(0, 1, ((4.0, 0.0), (4.0, 0.0)))], "zero length"),
        ([(0, 1, ((4.0, 0.0), (4.04, 0.0)))], "narrower than a cell"),
    ],
)
def test_bad_portals_are_refused_with_a_reason(portals, message):
    venue = stair_venue()
    with pytest.raises(NavigationError, match=message):
        build_grid(spaces=venue.spaces, portals=portals, cell_size=CELL)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(polygon=box(0, 0, 1, 1), uphill=(0.6, 0.6)), "unit vector"),
        (dict(polygon=box(0, 0, 1, 1), slowness_up=0.0), "slowness_up"),
        (dict(polygon=box(0, 0, 1, 1), slowness_down=float("nan")), "slowness_down"),
        (dict(polygon=LineString([(0, 0), (1, 1)])), "Polygon"),
    ],
)
def test_bad_spaces_are_refused_with_a_reason(kwargs, message):
    with pytest.raises(NavigationError, match=message):
        NavSpace(**kwargs)


def test_bad_cell_size_is_refused():
    with pytest.raises(NavigationError, match="cell_size"):
        build_grid(spaces=[NavSpace(polygon=box(0, 0, 1, 1))], portals=[], cell_size=0.0)
