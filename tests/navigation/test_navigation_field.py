"""Fields on one level: distances, the exit apron, closed doors, thin walls, the wall penalty."""

import math

import numpy as np
import pytest
import shapely
from nav_venues import Venue, follow
from shapely import affinity
from shapely.geometry import LineString, box

from aforo.kernels.fmm import lookup_cell
from aforo.navigation import NavigationError, NavSpace, build_grid, compute_field, direction_at

CELL = 0.1
SOUTH_EXIT = (0, ((4.0, 0.0), (6.0, 0.0)))


def lookup(grid, space, x, y):
    return lookup_cell(grid.origin_x, grid.origin_y, grid.nx, grid.ny, grid.offset, grid.cell_size,
                       space, x, y)


@pytest.fixture(scope="module")
def room():
    spaces = [NavSpace(polygon=box(0, 0, 10, 10))]
    grid = build_grid(spaces=spaces, portals=[], cell_size=CELL)
    bare = compute_field(grid, spaces=spaces, targets=[SOUTH_EXIT], wall_penalty=0.0)
    return spaces, grid, bare


def test_travel_time_in_an_empty_room_is_the_distance_to_the_exit(room):
    _, grid, field = room
    x, y = grid.cell_centres()
    free = grid.free
    distance = shapely.distance(LineString(SOUTH_EXIT[1]), shapely.points(x[free], y[free]))
    error = np.abs(field.travel_time[free] - distance)
    assert np.all(error <= 0.03 * distance + 2 * CELL)
    # straight out in front of the exit the front is plane and marching exact
    ahead = free & (x > 4.5) & (x < 5.5)
    assert np.allclose(field.travel_time[ahead], y[ahead], atol=1e-9)


@pytest.mark.parametrize("angle_deg", [10.0, 30.0, 45.0])
@pytest.mark.parametrize("wall", [0, 3])
def test_a_diagonal_exit_in_a_rotated_room_is_measured_as_well(angle_deg, wall):
    """At 45° walls and exits run through the lattice's cell centres: the degenerate case.

    Along a wall rasterised as a staircase the 4-neighbour stencil loses its upwind neighbour
    on one side and over-estimates by a few cells; half a metre off the walls (where the wall
    penalty keeps paths anyway) the room's bound of 3 % + 2 cells holds."""
    polygon = affinity.rotate(box(0, 0, 8, 6), angle_deg, origin=(0, 0))
    corners = np.asarray(polygon.exterior.coords)
    a, b = corners[wall], corners[wall + 1]
    segment = (tuple(a + 0.4 * (b - a)), tuple(a + 0.6 * (b - a)))
    spaces = [NavSpace(polygon=polygon)]
    grid = build_grid(spaces=spaces, portals=[], cell_size=CELL)
    field = compute_field(grid, spaces=spaces, targets=[(0, segment)], wall_penalty=0.0)
    x, y = grid.cell_centres()
    free = grid.free
    distance = shapely.distance(LineString(segment), shapely.points(x[free], y[free]))
    error = field.travel_time[free] - distance
    assert np.all(error >= -1e-9)  # one exit, convex room: no ridge where marching under-shoots
    assert np.all(error <= 0.05 * distance + 4 * CELL)
    away = grid.wall_distance[free] >= 0.5
    assert np.all(error[away] <= 0.03 * distance[away] + 2 * CELL)


def test_cells_just_inside_the_exit_point_out_through_it(room):
    _, grid, field = room
    x, y = grid.cell_centres()
    inside = grid.free & (y < 0.5) & (x > 4.2) & (x < 5.8)
    assert inside.sum() == 5 * 16
    assert np.all(field.direction[inside, 1] < -0.95)
    # the apron beyond: negative times down to −0.5 m, pointing straight out
    apron = ~grid.free & np.isfinite(field.travel_time)
    assert apron.sum() == 20 * 5  # 2 m wide, 0.5 m deep
    assert np.all((x[apron] > 4) & (x[apron] < 6) & (y[apron] < 0) & (y[apron] > -0.5))
    np.testing.assert_allclose(field.travel_time[apron], y[apron], atol=1e-12)
    np.testing.assert_array_equal(field.direction[apron], np.tile([0.0, -1.0], (apron.sum(), 1)))


def test_cells_beside_the_exit_head_for_it_along_the_wall(room):
    _, grid, field = room
    # just beside the exit, against the same wall: towards the exit, not into the wall
    dx, dy = field.direction[lookup(grid, 0, 3.55, 0.05)]
    assert dx > 0.7 and dy <= 0.0
    dx, dy = field.direction[lookup(grid, 0, 6.45, 0.05)]
    assert dx < -0.7 and dy <= 0.0


def test_directions_are_unit_where_reachable_and_zero_elsewhere(room):
    spaces, grid, _ = room
    field = compute_field(grid, spaces=spaces, targets=[SOUTH_EXIT])
    reachable = np.isfinite(field.travel_time)
    norm = np.hypot(field.direction[:, 0], field.direction[:, 1])
    assert np.all(reachable[grid.free])
    np.testing.assert_allclose(norm[reachable], 1.0, rtol=1e-12)
    assert np.all(norm[~reachable] == 0.0)
    assert np.all(np.isinf(field.travel_time[~grid.free & ~(norm > 0)]))


def test_two_exits_each_drain_their_own_side(room):
    spaces, grid, _ = room
    north = (0, ((4.0, 10.0), (6.0, 10.0)))
    field = compute_field(grid, spaces=spaces, targets=[SOUTH_EXIT, north], wall_penalty=0.0)
    assert field.direction[lookup(grid, 0, 5.05, 2.05), 1] < -0.99
    assert field.direction[lookup(grid, 0, 5.05, 7.95), 1] > 0.99
    assert field.travel_time[lookup(grid, 0, 5.05, 7.95)] == pytest.approx(2.05, abs=1e-9)


def two_rooms():
    """Rooms west (x < 4.9) and east (x > 5.1) of a 0.2 m wall with a 1 m doorway, y 2..3."""
    polygon = box(0, 0, 10, 5).difference(box(4.9, 0, 5.1, 2)).difference(box(4.9, 3, 5.1, 5))
    spaces = [NavSpace(polygon=polygon)]
    return spaces, build_grid(spaces=spaces, portals=[], cell_size=CELL)


WEST_EXIT = (0, ((0.0, 2.0), (0.0, 3.0)))
DOOR = (0, ((5.0, 2.0), (5.0, 3.0)))


def test_a_closed_door_leaves_the_room_behind_it_unreachable():
    spaces, grid = two_rooms()
    x, _ = grid.cell_centres()
    east = grid.free & (x > 5.0)
    west = grid.free & (x < 5.0)
    open_door = compute_field(grid, spaces=spaces, targets=[WEST_EXIT])
    closed = compute_field(grid, spaces=spaces, targets=[WEST_EXIT], barriers=[DOOR])
    assert np.all(np.isfinite(open_door.travel_time[east]))
    assert np.all(np.isinf(closed.travel_time[east]))
    assert np.all(closed.direction[east] == 0.0)
    assert np.all(np.isfinite(closed.travel_time[west]))


def test_a_closed_door_is_a_wall_for_the_penalty():
    spaces, grid = two_rooms()
    by_door, next_in = lookup(grid, 0, 4.85, 2.55), lookup(grid, 0, 4.75, 2.55)
    for barriers, factor in (([], 1.0), ([DOOR], 1.0 + (1.0 - 0.15 / 0.3))):
        field = compute_field(grid, spaces=spaces, targets=[WEST_EXIT], barriers=barriers)
        # the last step towards the door leaf costs one cell at the penalised slowness
        step = field.travel_time[by_door] - field.travel_time[next_in]
        assert step == pytest.approx(CELL * factor, rel=0.02)


def test_a_wall_thinner_than_a_cell_forces_the_way_round():
    polygon = box(0, 0, 10, 4).difference(box(0, 1.999, 8, 2.0))  # 1 mm wall, gap at x > 8
    spaces = [NavSpace(polygon=polygon)]
    grid = build_grid(spaces=spaces, portals=[], cell_size=CELL)
    field = compute_field(grid, spaces=spaces, targets=[(0, ((0.0, 0.5), (0.0, 1.5)))], wall_penalty=0.0)
    above = field.travel_time[lookup(grid, 0, 1.05, 2.05)]
    assert above > 2 * 7.0  # out to the gap at x = 8 and back, not 1 m through the wall


def test_the_wall_penalty_keeps_paths_off_walls():
    corridor = [NavSpace(polygon=box(0, 0, 20, 2))]
    grid = build_grid(spaces=corridor, portals=[], cell_size=CELL)
    end = (0, ((20.0, 0.0), (20.0, 2.0)))
    plain = compute_field(grid, spaces=corridor, targets=[end], wall_penalty=0.0)
    field = compute_field(grid, spaces=corridor, targets=[end], wall_buffer=0.5, wall_penalty=2.0)
    by_wall, middle = lookup(grid, 0, 5.05, 0.05), lookup(grid, 0, 5.05, 1.05)
    assert plain.travel_time[by_wall] == pytest.approx(plain.travel_time[middle], abs=1e-9)
    assert field.travel_time[by_wall] > field.travel_time[middle] + 0.3
    assert field.direction[by_wall, 1] > 0.1  # away from the south wall
    assert field.direction[lookup(grid, 0, 5.05, 1.95), 1] < -0.1  # away from the north wall
    # and the exit itself is no wall: the last cells before it are not slowed
    assert field.travel_time[lookup(grid, 0, 19.95, 1.05)] == pytest.approx(0.05, abs=1e-9)


def test_direction_at_interpolates_and_handles_points_off_the_field(room):
    spaces, grid, field = room
    assert direction_at(grid, field, 0, 5.0, 5.0) == pytest.approx((0.0, -1.0), abs=1e-9)
    dx, dy = direction_at(grid, field, 0, 1.0, 9.0)
    assert math.hypot(dx, dy) == pytest.approx(1.0)
    expected = np.array([4.0 - 1.0, 0.0 - 9.0]) / math.hypot(3.0, 9.0)
    assert np.dot([dx, dy], expected) > 0.99
    assert direction_at(grid, field, 0, 50.0, 50.0) == (0.0, 0.0)
    assert direction_at(grid, field, 0, math.nan, 1.0) == (0.0, 0.0)


@pytest.mark.parametrize(
    "targets, barriers, message",
    [
        ([], [], "at least one target"),
        ([(0, ((4.0, 1.0), (6.0, 1.0)))], [], "does not lie on the boundary"),
        ([(0, ((4.0, 0.0), (4.04, 0.0)))], [], "narrower than a cell"),
        ([(3, ((4.0, 0.0), (6.0, 0.0)))], [], "not in 0..0"),
        ([SOUTH_EXIT], [(0, ((1.0, 1.0), (1.0, 1.0)))], "zero length"),
        ([SOUTH_EXIT], ["door"], "expected \\(space, segment\\)"),
    ],
)
def test_bad_targets_and_barriers_are_refused_with_a_reason(room, targets, barriers, message):
    spaces, grid, _ = room
    with pytest.raises(NavigationError, match=message):
        compute_field(grid, spaces=spaces, targets=targets, barriers=barriers)


def test_spaces_must_match_the_grid(room):
    spaces, grid, _ = room
    with pytest.raises(NavigationError, match="spaces given"):
        compute_field(grid, spaces=spaces * 2, targets=[SOUTH_EXIT])


def _random_room(seed):
    """A room with up to five rectangular obstacles and a 1 m exit on its south wall."""
    rng = np.random.default_rng(seed)
    width, height = rng.uniform(4, 12, size=2)
    polygon = box(0, 0, width, height)
    for _ in range(rng.integers(1, 6)):
        x, y = rng.uniform(0, [width, height])
        polygon = polygon.difference(box(x, y, x + rng.uniform(0.3, 2), y + rng.uniform(0.3, 2)))
    polygon = max(shapely.get_parts(polygon), key=lambda part: part.area)
    for _ in range(50):
        x0 = rng.uniform(0, width - 1)
        segment = ((x0, 0.0), (x0 + 1.0, 0.0))
        if polygon.boundary.buffer(1e-9).covers(LineString(segment)):
            return rng, polygon, (0, segment)
    return rng, polygon, None


@pytest.mark.parametrize("seed", range(8))
def test_walkers_from_anywhere_reachable_get_out_of_a_cluttered_room(seed):
    rng, polygon, exit_ = _random_room(seed)
    if exit_ is None:
        pytest.skip("no clear stretch of south wall for an exit")
    spaces = (NavSpace(polygon=polygon),)
    grid = build_grid(spaces=spaces, portals=[], cell_size=CELL)
    field = compute_field(grid, spaces=spaces, targets=[exit_])
    x, y = grid.cell_centres()
    reachable = np.flatnonzero(grid.free & np.isfinite(field.travel_time))
    for cell in rng.choice(reachable, size=6, replace=False):
        start = x[cell] + rng.uniform(-0.4, 0.4) * CELL, y[cell] + rng.uniform(-0.4, 0.4) * CELL
        walk = follow(grid, field, Venue(spaces, ()), 0, *start, exit_, max_steps=20000)
        assert walk.exited, f"from {start}: stuck at {walk.stuck_at} after {walk.steps} steps"


def test_cell_cost_makes_paths_avoid_costly_cells():
    """A costly band across the direct route makes the field go round it where it can."""
    import shapely as _shapely
    from aforo.navigation import NavSpace, build_grid, compute_field

    room = _shapely.box(0, 0, 10, 10)
    spaces = [NavSpace(polygon=room)]
    grid = build_grid(spaces=spaces, portals=[], cell_size=0.1)
    exit_ = [(0, ((10.0, 4.5), (10.0, 5.5)))]
    plain = compute_field(grid, spaces=spaces, targets=exit_, wall_penalty=0)
    x, y = grid.cell_centres()
    band = (x > 6) & (x < 7) & (y > 2) & (y < 8)  # a cloud in front of the exit
    cost = np.where(band, 20.0, 1.0)
    costly = compute_field(grid, spaces=spaces, targets=exit_, wall_penalty=0, cell_cost=cost)
    behind = np.flatnonzero((np.abs(x - 3.05) < 0.01) & (np.abs(y - 5.05) < 0.01))[0]
    assert costly.travel_time[behind] > plain.travel_time[behind]
    # going round the 6 m band costs less than crossing it at 20x
    assert costly.travel_time[behind] < plain.travel_time[behind] + 20 * 1.0
    with pytest.raises(Exception):
        compute_field(grid, spaces=spaces, targets=exit_, cell_cost=np.full(3, 2.0))
