"""Small venues for the navigation tests, and a walker that follows a field."""

from __future__ import annotations

import math
from dataclasses import dataclass

from shapely import affinity
from shapely.geometry import LineString, Point, box

from aforo.navigation import NavSpace, direction_at

SLOWNESS_UP = 2.0
SLOWNESS_DOWN = 1.5


@dataclass(frozen=True)
class Venue:
    spaces: tuple
    portals: tuple


def stair_venue() -> Venue:
    """Hall (space 0, upper level) 10 m × 10 m; a 2 m × 4 m stair (space 1) below its south edge,
    rising northwards into the hall; a landing (space 2, lower level) below the stair's foot."""
    hall = NavSpace(polygon=box(0, 0, 10, 10))
    stair = NavSpace(polygon=box(4, -4, 6, 0), slowness_up=SLOWNESS_UP, slowness_down=SLOWNESS_DOWN,
                     uphill=(0.0, 1.0))
    landing = NavSpace(polygon=box(3, -7, 7, -4))
    portals = ((0, 1, ((4.0, 0.0), (6.0, 0.0))), (1, 2, ((4.0, -4.0), (6.0, -4.0))))
    return Venue((hall, stair, landing), portals)


LANDING_EXIT = (2, ((4.0, -7.0), (6.0, -7.0)))
HALL_EXIT = (0, ((4.0, 10.0), (6.0, 10.0)))


def stacked_venue() -> Venue:
    """Two floors over the same plan. Upper hall (space 0) 10 m × 10 m; a stair (space 1) east of
    it, x 10..14, falling eastwards; the lower level (space 2) 18 m × 10 m with a void under the
    stair, so it lies right under the hall but is reached from the hall only down the stair."""
    hall = NavSpace(polygon=box(0, 0, 10, 10))
    stair = NavSpace(polygon=box(10, 4, 14, 6), slowness_up=SLOWNESS_UP, slowness_down=SLOWNESS_DOWN,
                     uphill=(-1.0, 0.0))
    lower = NavSpace(polygon=box(0, 0, 18, 10).difference(box(10, 3, 14, 7)))
    portals = ((0, 1, ((10.0, 4.0), (10.0, 6.0))), (1, 2, ((14.0, 4.0), (14.0, 6.0))))
    return Venue((hall, stair, lower), portals)


LOWER_WEST_EXIT = (2, ((0.0, 4.0), (0.0, 6.0)))


@dataclass
class Walk:
    exited: bool
    spaces_visited: list
    steps: int
    stuck_at: tuple | None = None


def follow(grid, field, venue: Venue, space: int, x: float, y: float, exit_segment,
           step_m: float = 0.05, max_steps: int = 4000) -> Walk:
    """Walk down the field by small steps, changing space when a step leaves the current space's
    polygon into a space joined to it by a portal; stop on stepping out through ``exit_segment``
    (a segment on the space's outer boundary) or on walking into a wall."""
    (ex1, ey1), (ex2, ey2) = exit_segment[1]
    visited = [space]
    for step in range(max_steps):
        dx, dy = direction_at(grid, field, space, x, y)
        if dx == 0.0 and dy == 0.0:
            return Walk(False, visited, step, (space, x, y))
        nx_, ny_ = x + step_m * dx, y + step_m * dy
        here = Point(nx_, ny_)
        if venue.spaces[space].polygon.covers(here):
            x, y = nx_, ny_
            continue
        if space == exit_segment[0] and _crossed_exit(x, y, nx_, ny_, ex1, ey1, ex2, ey2):
            return Walk(True, visited, step)
        joined = [b if a == space else a for a, b, _ in venue.portals if space in (a, b)]
        entered = [s for s in joined if venue.spaces[s].polygon.covers(here)]
        if not entered:
            return Walk(False, visited, step, (space, nx_, ny_))
        space, x, y = entered[0], nx_, ny_
        visited.append(space)
    return Walk(False, visited, max_steps, (space, x, y))


def _crossed_exit(x0, y0, x1, y1, ex1, ey1, ex2, ey2) -> bool:
    return LineString([(x0, y0), (x1, y1)]).intersects(LineString([(ex1, ey1), (ex2, ey2)]))


def rotated(venue: Venue, exit_, angle_deg: float):
    """The venue and its exit turned by ``angle_deg`` about the origin."""
    c, s = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))

    def turn(p):
        return (c * p[0] - s * p[1], s * p[0] + c * p[1])

    spaces = tuple(
        NavSpace(polygon=affinity.rotate(space.polygon, angle_deg, origin=(0, 0)),
                 slowness_up=space.slowness_up, slowness_down=space.slowness_down,
                 uphill=turn(space.uphill))
        for space in venue.spaces
    )
    portals = tuple((a, b, (turn(p), turn(q))) for a, b, (p, q) in venue.portals)
    return Venue(spaces, portals), (exit_[0], (turn(exit_[1][0]), turn(exit_[1][1]))), turn


@dataclass
class Arrival:
    reached: str | None  # "area", "exit" or None (stuck or out of steps)
    space: int
    x: float
    y: float
    spaces_visited: list
    steps: int


def walk_to(grid, field, venue: Venue, space: int, x: float, y: float, *, area=None, exit_segment=None,
            reach_m: float = 0.0, step_m: float = 0.05, max_steps: int = 4000) -> Arrival:
    """Walk down the field by small steps as :func:`follow` does, until within ``reach_m`` of
    ``area`` = (space, polygon) while on that space ("area"), or out through ``exit_segment``
    ("exit"), or stuck (a zero direction elsewhere, a step into a wall) or out of steps (None)."""

    def arrived(s, px, py):
        return area is not None and s == area[0] and area[1].distance(Point(px, py)) <= reach_m

    visited = [space]
    for step in range(max_steps):
        if arrived(space, x, y):
            return Arrival("area", space, x, y, visited, step)
        dx, dy = direction_at(grid, field, space, x, y)
        if dx == 0.0 and dy == 0.0:
            return Arrival(None, space, x, y, visited, step)
        nx_, ny_ = x + step_m * dx, y + step_m * dy
        here = Point(nx_, ny_)
        if venue.spaces[space].polygon.covers(here):
            x, y = nx_, ny_
            continue
        if exit_segment is not None and space == exit_segment[0]:
            (ex1, ey1), (ex2, ey2) = exit_segment[1]
            if _crossed_exit(x, y, nx_, ny_, ex1, ey1, ex2, ey2):
                return Arrival("exit", space, nx_, ny_, visited, step)
        joined = [b if a == space else a for a, b, _ in venue.portals if space in (a, b)]
        entered = [s for s in joined if venue.spaces[s].polygon.covers(here)]
        if not entered:
            return Arrival(None, space, nx_, ny_, visited, step)
        space, x, y = entered[0], nx_, ny_
        visited.append(space)
    return Arrival("area" if arrived(space, x, y) else None, space, x, y, visited, max_steps)
