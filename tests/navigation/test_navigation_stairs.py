"""Fields across levels joined by stairs: reaching the exit, stair slowness both ways, no leaks."""

import numpy as np
import pytest
from nav_venues import (
    HALL_EXIT,
    LANDING_EXIT,
    LOWER_WEST_EXIT,
    SLOWNESS_DOWN,
    SLOWNESS_UP,
    follow,
    rotated,
    stacked_venue,
    stair_venue,
)

from aforo.kernels.fmm import lookup_cell
from aforo.navigation import build_grid, compute_field

CELL = 0.1


def cell_at(grid, space, x, y):
    return lookup_cell(grid.origin_x, grid.origin_y, grid.nx, grid.ny, grid.offset, grid.cell_size,
                       space, x, y)


@pytest.fixture(scope="module")
def down_case():
    venue = stair_venue()
    grid = build_grid(spaces=venue.spaces, portals=venue.portals, cell_size=CELL)
    field = compute_field(grid, spaces=venue.spaces, targets=[LANDING_EXIT])
    bare = compute_field(grid, spaces=venue.spaces, targets=[LANDING_EXIT], wall_penalty=0.0)
    return venue, grid, field, bare


@pytest.mark.parametrize("start", [(5.0, 8.0), (0.7, 9.3), (9.5, 0.5), (1.0, 1.0)])
def test_walker_in_the_hall_goes_down_the_stair_and_out(down_case, start):
    venue, grid, field, _ = down_case
    assert np.isfinite(field.travel_time[cell_at(grid, 0, *start)])
    walk = follow(grid, field, venue, 0, *start, LANDING_EXIT)
    assert walk.exited, f"stuck at {walk.stuck_at} after {walk.steps} steps"
    assert walk.spaces_visited == [0, 1, 2]


def test_hall_cells_next_to_the_stair_point_into_it(down_case):
    venue, grid, field, _ = down_case
    for x in (4.35, 5.05, 5.65):
        assert field.direction[cell_at(grid, 0, x, 0.05), 1] < -0.9


def test_stair_walked_down_costs_the_down_slowness(down_case):
    _, grid, _, bare = down_case
    assert bare.space_slowness[1] == SLOWNESS_DOWN
    time = bare.travel_time
    # 40 stair cells at slowness 1.5 and one hall cell at 1 between these two centres
    drop = time[cell_at(grid, 0, 5.05, 0.05)] - time[cell_at(grid, 2, 5.05, -4.05)]
    assert drop == pytest.approx(4.0 * SLOWNESS_DOWN + 0.1, abs=0.02)
    slope = (time[cell_at(grid, 1, 5.05, -0.55)] - time[cell_at(grid, 1, 5.05, -3.45)]) / 2.9
    assert slope == pytest.approx(SLOWNESS_DOWN, rel=0.01)


def test_stair_walked_up_costs_the_up_slowness():
    venue = stair_venue()
    grid = build_grid(spaces=venue.spaces, portals=venue.portals, cell_size=CELL)
    field = compute_field(grid, spaces=venue.spaces, targets=[HALL_EXIT], wall_penalty=0.0)
    assert field.space_slowness[1] == SLOWNESS_UP
    time = field.travel_time
    slope = (time[cell_at(grid, 1, 5.05, -3.45)] - time[cell_at(grid, 1, 5.05, -0.55)]) / 2.9
    assert slope == pytest.approx(SLOWNESS_UP, rel=0.01)
    walk = follow(grid, field, venue, 2, 3.5, -6.5, HALL_EXIT)
    assert walk.exited, f"stuck at {walk.stuck_at}"
    assert walk.spaces_visited == [2, 1, 0]


@pytest.fixture(scope="module")
def stacked():
    venue = stacked_venue()
    grid = build_grid(spaces=venue.spaces, portals=venue.portals, cell_size=CELL)
    return venue, grid


def test_floors_over_each_other_do_not_leak_into_each_other(stacked):
    venue, grid = stacked
    field = compute_field(grid, spaces=venue.spaces, targets=[LOWER_WEST_EXIT], wall_penalty=0.0)
    time = field.travel_time
    below = time[cell_at(grid, 2, 2.05, 5.05)]
    above = time[cell_at(grid, 0, 2.05, 5.05)]
    assert below == pytest.approx(2.05, abs=0.05)
    # the hall is 2 m above the exit in plan, but the route is 8 m to the stair's top corner,
    # down its north edge, 1 m + 4 m round the void's north-east corner and 10 m to the exit
    route = np.hypot(7.95, 0.95) + 4.0 * SLOWNESS_DOWN + 1.0 + 4.0 + np.hypot(10.0, 1.0)
    assert above == pytest.approx(route, rel=0.02)
    walk = follow(grid, field, venue, 0, 2.05, 5.05, LOWER_WEST_EXIT)
    assert walk.exited, f"stuck at {walk.stuck_at}"
    assert walk.spaces_visited == [0, 1, 2]


def test_closing_the_stair_top_cuts_the_hall_off(stacked):
    venue, grid = stacked
    top = venue.portals[0][2]
    field = compute_field(grid, spaces=venue.spaces, targets=[LOWER_WEST_EXIT], barriers=[(0, top)])
    hall = slice(grid.offset[0], grid.offset[1])
    assert np.all(np.isinf(field.travel_time[hall]))
    assert np.all(field.direction[hall] == 0.0)
    assert np.isfinite(field.travel_time[cell_at(grid, 1, 12.05, 5.05)])  # the stair still drains


@pytest.mark.parametrize("angle_deg", [30.0, 45.0])
def test_a_turned_venue_works_the_same_even_with_portals_through_cell_centres(angle_deg):
    """At 45° the stair's edges run through lattice cell centres: those cells must join the two
    spaces, not fall between them."""
    venue, exit_, turn = rotated(stair_venue(), LANDING_EXIT, angle_deg)
    grid = build_grid(spaces=venue.spaces, portals=venue.portals, cell_size=CELL)
    field = compute_field(grid, spaces=venue.spaces, targets=[exit_])
    assert np.all(np.isfinite(field.travel_time[grid.free]))
    assert field.space_slowness[1] == SLOWNESS_DOWN
    for start in [(5.0, 8.0), (0.2, 9.8), (9.5, 0.5)]:
        walk = follow(grid, field, venue, 0, *turn(start), exit_)
        assert walk.exited, f"stuck at {walk.stuck_at}"
        assert walk.spaces_visited == [0, 1, 2]
    bare = compute_field(grid, spaces=venue.spaces, targets=[exit_], wall_penalty=0.0)
    top, foot = turn((5.0, -0.5)), turn((5.0, -3.5))
    drop = bare.travel_time[cell_at(grid, 1, *top)] - bare.travel_time[cell_at(grid, 1, *foot)]
    assert drop == pytest.approx(3.0 * SLOWNESS_DOWN, abs=0.03 * 4.5 + 2 * CELL)
