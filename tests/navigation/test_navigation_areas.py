"""Target areas: fields that lead to an area inside a space (a post, a refuge) rather than out."""

import warnings

import numpy as np
import pytest
import shapely
from nav_venues import SLOWNESS_DOWN, Venue, stacked_venue, stair_venue, walk_to
from shapely import affinity
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from aforo.kernels.fmm import lookup_cell
from aforo.navigation import NavigationError, NavSpace, build_grid, cells_in, compute_field

CELL = 0.1
CORNER_AREA = box(0.5, 8.5, 1.5, 9.5)  # 1 m × 1 m near the north-west corner
SOUTH_EXIT = (0, ((4.0, 0.0), (6.0, 0.0)))
TINY_POST = box(3.06, 3.06, 3.11, 3.11)  # 5 cm square holding no cell centre (3.05, 3.15)


def lookup(grid, space, x, y):
    return lookup_cell(grid.origin_x, grid.origin_y, grid.nx, grid.ny, grid.offset, grid.cell_size,
                       space, x, y)


@pytest.fixture(scope="module")
def room():
    spaces = (NavSpace(polygon=box(0, 0, 10, 10)),)
    grid = build_grid(spaces=spaces, portals=[], cell_size=CELL)
    return spaces, grid


@pytest.fixture(scope="module")
def corner_field(room):
    spaces, grid = room
    return compute_field(grid, spaces=spaces, target_areas=[(0, CORNER_AREA)], wall_penalty=0.0)


def test_travel_time_to_an_area_is_the_distance_to_its_polygon(room, corner_field):
    _, grid, field = *room, corner_field
    x, y = grid.cell_centres()
    free = grid.free
    distance = shapely.distance(CORNER_AREA, shapely.points(x[free], y[free]))
    error = field.travel_time[free] - distance
    assert np.all(np.isfinite(field.travel_time[free]))
    assert np.all(np.abs(error) <= 0.03 * distance + 2 * CELL)
    assert np.all(error >= -1e-9)  # seeds lie inside the polygon: marching never under-shoots
    # straight out from a side of the area the front is plane: half a cell plus whole cells
    east = free & (y > 8.6) & (y < 9.4) & (x > 1.5)
    np.testing.assert_allclose(field.travel_time[east], x[east] - 1.45, atol=1e-9)


def test_an_area_is_zero_and_still_inside_and_nowhere_else(room, corner_field):
    _, grid, field = *room, corner_field
    inside = cells_in(grid, 0, CORNER_AREA)
    assert inside.size == 10 * 10
    mask = np.zeros(grid.n_cells, bool)
    mask[inside] = True
    np.testing.assert_array_equal(field.in_target_area, mask)
    assert np.all(field.travel_time[inside] == 0.0)
    assert np.all(field.direction[inside] == 0.0)
    outside = grid.free & ~mask
    assert np.all(field.travel_time[outside] > 0.0)
    norm = np.hypot(*field.direction[outside].T)
    np.testing.assert_allclose(norm, 1.0, rtol=1e-12)


def test_cells_just_outside_an_area_point_into_it(room, corner_field):
    _, grid, field = *room, corner_field
    x, y = grid.cell_centres()
    links = grid.neighbours
    area = field.in_target_area
    touching = np.any((links >= 0) & area[np.maximum(links, 0)], axis=1)
    ring = np.flatnonzero(touching & ~area)
    assert ring.size == 4 * 10
    for cell in ring:
        nearest = shapely.get_coordinates(shapely.shortest_line(Point(x[cell], y[cell]), CORNER_AREA))[1]
        towards = (nearest - [x[cell], y[cell]]) / np.hypot(*(nearest - [x[cell], y[cell]]))
        assert np.dot(field.direction[cell], towards) > 0.9, (x[cell], y[cell])


def test_walkers_from_anywhere_reach_the_area(room):
    spaces, grid = room
    field = compute_field(grid, spaces=spaces, target_areas=[(0, CORNER_AREA)])  # with the penalty
    rng = np.random.default_rng(7)
    for start in rng.uniform(0.05, 9.95, size=(12, 2)):
        arrival = walk_to(grid, field, Venue(spaces, ()), 0, *start, area=(0, CORNER_AREA))
        assert arrival.reached == "area", f"from {start}: stopped at {(arrival.x, arrival.y)}"
        # roughly straight there: no more steps than 1.2 × the distance plus a little
        assert arrival.steps * 0.05 <= 1.2 * CORNER_AREA.distance(Point(*start)) + 0.3


STACKED_AREA = (2, box(1.5, 4.5, 2.5, 5.5))  # on the lower level, right under the hall
LANDING_AREA = (2, box(3.2, -6.8, 4.2, -5.8))


@pytest.mark.parametrize(
    "make_venue, area, starts",
    [
        (stacked_venue, STACKED_AREA, [(2.05, 5.05), (0.5, 9.5), (9.5, 0.5)]),
        (stair_venue, LANDING_AREA, [(5.0, 8.0), (0.7, 9.3), (9.5, 0.5)]),
    ],
)
def test_an_area_on_the_lower_level_is_reached_from_the_hall_down_the_stair(make_venue, area, starts):
    venue = make_venue()
    grid = build_grid(spaces=venue.spaces, portals=venue.portals, cell_size=CELL)
    field = compute_field(grid, spaces=venue.spaces, target_areas=[area])
    assert field.space_slowness[1] == SLOWNESS_DOWN  # the stair is walked down
    hall = slice(grid.offset[0], grid.offset[1])
    hall_free = grid.free[hall]
    assert np.all(np.isfinite(field.travel_time[hall][hall_free]))
    assert not np.any(field.in_target_area[hall])
    # the hall is at least a stair's length (at the down slowness) farther than the stair's top
    top = field.travel_time[lookup(grid, 1, *_stair_top(venue))]
    assert np.min(field.travel_time[hall][hall_free]) >= top - 2 * CELL
    for start in starts:
        arrival = walk_to(grid, field, venue, 0, *start, area=area, max_steps=8000)
        assert arrival.reached == "area", f"from {start}: stopped at {(arrival.space, arrival.x, arrival.y)}"
        assert arrival.spaces_visited == [0, 1, 2]


def _stair_top(venue):
    """A point on the stair one cell below its portal to the hall."""
    (x1, y1), (x2, y2) = venue.portals[0][2]
    mid = np.array([(x1 + x2) / 2, (y1 + y2) / 2])
    inward = -np.array(venue.spaces[1].uphill)
    return tuple(mid + 0.05 * inward)


def test_an_exit_and_an_area_together_lead_each_point_to_the_nearer(room):
    spaces, grid = room
    area = box(4.5, 8.0, 5.5, 9.0)
    bare = compute_field(grid, spaces=spaces, targets=[SOUTH_EXIT], target_areas=[(0, area)],
                         wall_penalty=0.0)
    x, y = grid.cell_centres()
    free = grid.free
    points = shapely.points(x[free], y[free])
    to_exit = shapely.distance(LineString(SOUTH_EXIT[1]), points)
    to_area = shapely.distance(area, points)
    nearest = np.minimum(to_exit, to_area)
    assert np.all(np.abs(bare.travel_time[free] - nearest) <= 0.03 * nearest + 2 * CELL)
    assert np.all(bare.travel_time[bare.in_target_area] == 0.0)
    assert np.all(bare.travel_time[~free & np.isfinite(bare.travel_time)] < 0.0)  # the apron

    field = compute_field(grid, spaces=spaces, targets=[SOUTH_EXIT], target_areas=[(0, area)])
    venue = Venue(spaces, ())
    rng = np.random.default_rng(3)
    checked = {"exit": 0, "area": 0}
    for start in rng.uniform(0.05, 9.95, size=(40, 2)):
        d_exit = LineString(SOUTH_EXIT[1]).distance(Point(*start))
        d_area = area.distance(Point(*start))
        if abs(d_exit - d_area) < 1.0:
            continue  # too near the ridge between the two to call
        arrival = walk_to(grid, field, venue, 0, *start, area=(0, area), exit_segment=SOUTH_EXIT)
        expected = "exit" if d_exit < d_area else "area"
        assert arrival.reached == expected, f"from {start}: {arrival.reached} at {(arrival.x, arrival.y)}"
        checked[expected] += 1
    assert checked["exit"] >= 5 and checked["area"] >= 5


def two_rooms():
    """Rooms west (x < 4.9) and east (x > 5.1) of a 0.2 m wall with a 1 m doorway, y 2..3."""
    polygon = box(0, 0, 10, 5).difference(box(4.9, 0, 5.1, 2)).difference(box(4.9, 3, 5.1, 5))
    spaces = (NavSpace(polygon=polygon),)
    return spaces, build_grid(spaces=spaces, portals=[], cell_size=CELL)


DOOR = (0, ((5.0, 2.0), (5.0, 3.0)))
EAST_AREA = (0, box(8.0, 1.0, 9.0, 2.0))


def test_an_area_behind_a_closed_door_is_unreachable_from_the_other_side():
    spaces, grid = two_rooms()
    x, _ = grid.cell_centres()
    east, west = grid.free & (x > 5.0), grid.free & (x < 5.0)
    open_door = compute_field(grid, spaces=spaces, target_areas=[EAST_AREA])
    closed = compute_field(grid, spaces=spaces, target_areas=[EAST_AREA], barriers=[DOOR])
    assert np.all(np.isfinite(open_door.travel_time[west]))
    assert np.all(np.isinf(closed.travel_time[west]))
    assert np.all(closed.direction[west] == 0.0)
    assert np.all(np.isfinite(closed.travel_time[east]))
    arrival = walk_to(grid, open_door, Venue(spaces, ()), 0, 1.0, 4.0, area=EAST_AREA)
    assert arrival.reached == "area"
    # with the door closed an exit on the west still drains the west room, the area the east
    west_exit = (0, ((0.0, 2.0), (0.0, 3.0)))
    both = compute_field(grid, spaces=spaces, targets=[west_exit], target_areas=[EAST_AREA], barriers=[DOOR])
    assert np.all(np.isfinite(both.travel_time[grid.free]))
    assert both.direction[lookup(grid, 0, 4.75, 2.55), 0] < -0.9  # by the door: away from it, west
    assert both.direction[lookup(grid, 0, 5.25, 2.55), 0] > 0.5  # east of it: on to the area


def test_a_tiny_post_seeds_the_cell_holding_it(room):
    spaces, grid = room
    assert cells_in(grid, 0, TINY_POST).size == 0
    field = compute_field(grid, spaces=spaces, target_areas=[(0, TINY_POST)], wall_penalty=0.0)
    post_cell = lookup(grid, 0, 3.085, 3.085)
    np.testing.assert_array_equal(np.flatnonzero(field.in_target_area), [post_cell])
    assert field.travel_time[post_cell] == 0.0
    assert np.all(field.direction[post_cell] == 0.0)
    x, y = grid.cell_centres()
    free = grid.free
    distance = shapely.distance(TINY_POST, shapely.points(x[free], y[free]))
    assert np.all(np.abs(field.travel_time[free] - distance) <= 0.03 * distance + 2 * CELL)
    rng = np.random.default_rng(11)
    for start in rng.uniform(0.05, 9.95, size=(8, 2)):
        arrival = walk_to(grid, field, Venue(spaces, ()), 0, *start, area=(0, TINY_POST), reach_m=CELL)
        assert arrival.reached == "area", f"from {start}: stopped at {(arrival.x, arrival.y)}"


def _polygon_with_nan():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return Polygon([(1, 1), (2, 1), (np.nan, 2)])


@pytest.mark.parametrize(
    "areas, message",
    [
        ([(1, CORNER_AREA)], "target_areas\\[0\\]: space index 1 is not in 0..0"),
        ([(0, Polygon())], "target_areas\\[0\\]: the area's polygon is empty"),
        ([(0, Polygon([(0, 0), (2, 2), (2, 0), (0, 2)]))], "target_areas\\[0\\]: .*not valid"),
        ([(0, _polygon_with_nan())], "non-finite"),
        ([(0, LineString([(1, 1), (2, 2)]))], "must be a shapely Polygon or MultiPolygon, got LineString"),
        ([(0, box(20, 20, 21, 21))], "no free cell of space 0"),
        ([(0, box(-0.3, -0.3, -0.25, -0.25))], "no free cell of space 0"),  # tiny, off the floor
        ([(0, CORNER_AREA), "post"], "target_areas\\[1\\]: expected \\(space, polygon\\)"),
        ([], "at least one target"),
    ],
)
def test_bad_areas_are_refused_with_a_reason(room, areas, message):
    spaces, grid = room
    with pytest.raises(NavigationError, match=message):
        compute_field(grid, spaces=spaces, target_areas=areas)


def test_an_exit_only_field_has_no_area_cells(room):
    spaces, grid = room
    field = compute_field(grid, spaces=spaces, targets=[SOUTH_EXIT])
    assert field.in_target_area.shape == (grid.n_cells,)
    assert not field.in_target_area.any()


def test_cells_in_agrees_with_testing_every_centre():
    polygon = box(0, 0, 6, 4).difference(box(2, 1, 3, 3))  # a room with a pillar
    spaces = (NavSpace(polygon=polygon), NavSpace(polygon=box(6, 0, 8, 4)))
    grid = build_grid(spaces=spaces, portals=[(0, 1, ((6.0, 0.0), (6.0, 4.0)))], cell_size=CELL)
    x, y = grid.cell_centres()
    triangle = affinity.rotate(Polygon([(1, 0.5), (5.5, 1.5), (2.5, 3.8)]), 7.0)
    pair = MultiPolygon([box(0.5, 0.5, 1.5, 1.5), box(6.5, 0.5, 7.5, 1.5)])
    for area in (triangle, pair, box(2.2, 1.2, 2.8, 2.8)):
        for space in (0, 1):
            cells = np.arange(grid.offset[space], grid.offset[space + 1])
            inside = cells[shapely.intersects_xy(area, x[cells], y[cells])]
            np.testing.assert_array_equal(cells_in(grid, space, area, free_only=False), inside)
            np.testing.assert_array_equal(cells_in(grid, space, area), inside[grid.free[inside]])
    assert cells_in(grid, 0, box(2.2, 1.2, 2.8, 2.8)).size == 0  # all pillar
    assert cells_in(grid, 0, box(2.2, 1.2, 2.8, 2.8), free_only=False).size == 6 * 16
    assert cells_in(grid, 0, box(100, 100, 101, 101)).size == 0
    with pytest.raises(NavigationError, match="space index 2"):
        cells_in(grid, 2, triangle)
    with pytest.raises(NavigationError, match="Polygon"):
        cells_in(grid, 0, Point(1, 1))
