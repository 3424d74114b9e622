"""Compile a scenario's geometry into the arrays the kernels read.

Spaces are the levels (in scenario order) followed by the stairs. Every wall, line and raster cell
belongs to one space; an agent only meets the walls and lines of the space it is in. Near a portal
(a stair edge) each of the two spaces also carries the other's walls, clipped to a band around
the portal, so a body straddling the edge is held by the walls on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from aforo.kernels.constraints import LINE_COUNTER, LINE_EXIT, LINE_PORTAL
from aforo.navigation import NavField, NavGrid, NavSpace, build_grid, compute_field
from aforo.scenario.model import Door, Scenario, Segment
from aforo.venue.doors import Leaves, build_leaves
from aforo.venue.geometry import (
    boundary_segments,
    is_on_outer_boundary,
    level_area,
    outward_normal,
    segments_near,
    stair_area,
)

# Walls of the neighbouring space are carried this far (m) around a portal: further than any
# body (radius ≤ 0.35 m) plus the interaction range (0.6 m) reaches.
JOIN_WALL_REACH_M = 1.5
# Agents of joined spaces (a stair and its level) interact when their elevations differ by at
# most this (m): enough for the first steps of a flight, far less than a storey.
JOIN_MAX_DZ_M = 0.5


@dataclass(frozen=True)
class Outlet:
    """A way out of the venue: an exit, or an exterior door (an exit only while open)."""

    name: str
    space: int
    segment: Segment
    door: str | None = None  # the exterior door's name, None for a plain exit

    @property
    def width(self) -> float:
        (x1, y1), (x2, y2) = self.segment
        return float(np.hypot(x2 - x1, y2 - y1))


@dataclass(frozen=True)
class Portal:
    """A stair edge: agents crossing it move between ``lower`` space and ``upper`` space."""

    stair: int
    level: int
    segment: Segment


@dataclass
class Venue:
    """Compiled geometry. Arrays are float64 / int64 / bool as the kernels expect."""

    scenario: Scenario
    space_names: tuple[str, ...]
    space_kinds: tuple[str, ...]  # "level" or "stair"
    space_areas: list  # shapely geometries, plan
    space_plane: np.ndarray  # [n_spaces, 3]: z = z0 + gx x + gy y
    space_uphill: np.ndarray  # [n_spaces, 2] unit vector uphill (zero on levels)
    space_factor_up: np.ndarray  # [n_spaces]
    space_factor_down: np.ndarray
    space_link: np.ndarray  # [n_spaces, n_spaces] bool: joined by a portal (and the diagonal)
    portals: list[Portal]
    outlets: list[Outlet]
    interior_doors: list[Door]
    door_states: dict[str, str]
    walls: np.ndarray = field(init=False)  # [n_walls, 4]
    wall_space: np.ndarray = field(init=False)  # [n_walls]
    lines: np.ndarray = field(init=False)  # [n_lines, 4], grouped by space
    line_space: np.ndarray = field(init=False)
    line_kind: np.ndarray = field(init=False)
    line_target: np.ndarray = field(init=False)
    line_start: np.ndarray = field(init=False)  # [n_spaces + 1]
    nav_grid: NavGrid = field(init=False)
    fields: list[NavField] = field(init=False)
    leaves: Leaves = field(init=False)
    bounds: tuple[float, float, float, float] = field(init=False)  # x_min, y_min, x_max, y_max

    @property
    def n_spaces(self) -> int:
        return len(self.space_names)

    def space_index(self, name: str) -> int:
        return self.space_names.index(name)

    def field_direction(self) -> np.ndarray:
        """[n_fields, n_cells, 2] desired directions, as the step kernel reads them."""
        return np.ascontiguousarray(np.stack([f.direction for f in self.fields]))

    def door_is_shut(self, name: str) -> bool:
        return self.door_states[name] in ("closed", "latched", "locked")

    def door_has_leaves(self, name: str) -> bool:
        return name in self._leaf_doors

    @property
    def _leaf_doors(self) -> set[str]:
        return set(self.leaves.door)


def compile_venue(scenario: Scenario) -> Venue:
    """Compile walls, lines, portals and navigation fields for a validated scenario."""
    names = scenario.space_names
    n_levels = len(scenario.levels)
    areas = [level_area(lv) for lv in scenario.levels] + [stair_area(st) for st in scenario.stairs]
    kinds = ("level",) * n_levels + ("stair",) * len(scenario.stairs)
    plane = np.zeros((len(names), 3))
    uphill = np.zeros((len(names), 2))
    factor_up = np.ones(len(names))
    factor_down = np.ones(len(names))
    for s, level in enumerate(scenario.levels):
        plane[s, 0] = level.elevation
    portals: list[Portal] = []
    link = np.eye(len(names), dtype=np.bool_)
    for k, stair in enumerate(scenario.stairs):
        s = n_levels + k
        lower = names.index(stair.lower_level)
        upper = names.index(stair.upper_level)
        plane[s], uphill[s] = _stair_plane(
            stair.lower_edge, stair.upper_edge, plane[lower, 0], plane[upper, 0]
        )
        factor_up[s] = stair.speed_factor_up
        factor_down[s] = stair.speed_factor_down
        portals.append(Portal(stair=s, level=lower, segment=stair.lower_edge))
        portals.append(Portal(stair=s, level=upper, segment=stair.upper_edge))
        link[s, lower] = link[lower, s] = True
        link[s, upper] = link[upper, s] = True

    outlets: list[Outlet] = []
    interior: list[Door] = []
    for s, level in enumerate(scenario.levels):
        outlets += [Outlet(e.name, s, e.segment) for e in level.exits]
        for door in level.doors:
            if is_on_outer_boundary(areas[s], door.jambs):
                outlets.append(Outlet(door.name, s, door.jambs, door=door.name))
            else:
                interior.append(door)

    venue = Venue(
        scenario=scenario,
        space_names=names,
        space_kinds=kinds,
        space_areas=areas,
        space_plane=plane,
        space_uphill=uphill,
        space_factor_up=factor_up,
        space_factor_down=factor_down,
        space_link=link,
        portals=portals,
        outlets=outlets,
        interior_doors=interior,
        door_states={d.name: d.state for d in scenario.doors},
    )
    x0, y0, x1, y1 = np.array([a.bounds for a in areas]).T
    venue.bounds = (float(x0.min()), float(y0.min()), float(x1.max()), float(y1.max()))
    venue.leaves = build_leaves(_leaf_doors(scenario, venue))
    _build_walls(venue)
    _build_lines(venue)
    venue.nav_grid = build_grid(
        spaces=nav_spaces(venue),
        portals=[(p.stair, p.level, p.segment) for p in portals],
        cell_size=scenario.navigation.cell_size,
    )
    venue.fields = [_exit_field(venue)]
    return venue


def rebuild_for_doors(venue: Venue) -> None:
    """Recompute walls, lines and fields after a door changed state (in place)."""
    _build_walls(venue)
    _build_lines(venue)
    venue.fields = [_exit_field(venue)]


def _leaf_doors(scenario: Scenario, venue: Venue) -> list:
    """(door, space, unit normal towards its swing side) for every door with leaves."""
    out = []
    exterior = {o.door for o in venue.outlets if o.door}
    for s, level in enumerate(scenario.levels):
        for door in level.doors:
            if door.swing == "none":
                continue
            (x1, y1), (x2, y2) = door.jambs
            if door.name in exterior:
                nx, ny = outward_normal(venue.space_areas[s], door.jambs)
                normal = (nx, ny) if door.swing == "outward" else (-nx, -ny)
            else:
                length = float(np.hypot(x2 - x1, y2 - y1))
                left = (-(y2 - y1) / length, (x2 - x1) / length)
                normal = left if door.swing == "left" else (-left[0], -left[1])
            out.append((door, s, normal))
    return out


def _stair_plane(lower_edge: Segment, upper_edge: Segment, z_lower: float, z_upper: float):
    """Plane z = z0 + gx x + gy y rising from the lower edge to the upper edge, and the uphill unit."""
    (ax, ay), (bx, by) = lower_edge
    ex, ey = bx - ax, by - ay
    length = float(np.hypot(ex, ey))
    ux, uy = -ey / length, ex / length  # normal of the lower edge ...
    (cx, cy), (dx, dy) = upper_edge
    mx, my = 0.5 * (cx + dx), 0.5 * (cy + dy)
    run = (mx - ax) * ux + (my - ay) * uy
    if run < 0:  # ... turned towards the upper edge
        ux, uy, run = -ux, -uy, -run
    slope = (z_upper - z_lower) / run
    gx, gy = ux * slope, uy * slope
    return np.array([z_lower - gx * ax - gy * ay, gx, gy]), np.array([ux, uy])


def _openings(venue: Venue, s: int) -> list[Segment]:
    """Boundary pieces of space s that are not walls: portals and outlets (doors cut too)."""
    cuts = [p.segment for p in venue.portals if s in (p.stair, p.level)]
    cuts += [o.segment for o in venue.outlets if o.space == s]
    return cuts


def _build_walls(venue: Venue) -> None:
    own = [boundary_segments(venue.space_areas[s], _openings(venue, s)) for s in range(venue.n_spaces)]
    # A shut door without leaves is a wall; a door with leaves is held shut by its leaves.
    for outlet in venue.outlets:
        if outlet.door is not None and venue.door_is_shut(outlet.door) and not venue.door_has_leaves(outlet.door):
            own[outlet.space] = np.vstack([own[outlet.space], _segment_row(outlet.segment)])
    for door in venue.interior_doors:
        if venue.door_is_shut(door.name) and not venue.door_has_leaves(door.name):
            s = venue.space_index(door.level)
            own[s] = np.vstack([own[s], _segment_row(door.jambs)])
    per_space = [own[s] for s in range(venue.n_spaces)]
    for portal in venue.portals:
        for this, other in ((portal.stair, portal.level), (portal.level, portal.stair)):
            near = segments_near(own[other], portal.segment, JOIN_WALL_REACH_M)
            per_space[this] = np.vstack([per_space[this], near])
    venue.walls = np.ascontiguousarray(np.vstack(per_space)).reshape(-1, 4)
    venue.wall_space = np.concatenate(
        [np.full(len(w), s, dtype=np.int64) for s, w in enumerate(per_space)]
    ).astype(np.int64)


def _segment_row(segment: Segment) -> np.ndarray:
    (x1, y1), (x2, y2) = segment
    return np.array([[x1, y1, x2, y2]], dtype=np.float64)


def _build_lines(venue: Venue) -> None:
    """Lines per space: portals (change space), open outlets (leave), interior doors (count)."""
    rows: list[list] = [[] for _ in range(venue.n_spaces)]
    for portal in venue.portals:
        rows[portal.stair].append((portal.segment, LINE_PORTAL, portal.level))
        rows[portal.level].append((portal.segment, LINE_PORTAL, portal.stair))
    for k, outlet in enumerate(venue.outlets):
        if outlet.door is None or not venue.door_is_shut(outlet.door) or venue.door_has_leaves(outlet.door):
            rows[outlet.space].append((outlet.segment, LINE_EXIT, k))
    for k, door in enumerate(venue.interior_doors):
        rows[venue.space_index(door.level)].append((door.jambs, LINE_COUNTER, k))
    segments, spaces, kinds, targets, start = [], [], [], [], [0]
    for s, space_rows in enumerate(rows):
        for segment, kind, target in space_rows:
            (x1, y1), (x2, y2) = segment
            segments.append((x1, y1, x2, y2))
            spaces.append(s)
            kinds.append(kind)
            targets.append(target)
        start.append(len(segments))
    venue.lines = np.asarray(segments, dtype=np.float64).reshape(-1, 4)
    venue.line_space = np.asarray(spaces, dtype=np.int64)
    venue.line_kind = np.asarray(kinds, dtype=np.int64)
    venue.line_target = np.asarray(targets, dtype=np.int64)
    venue.line_start = np.asarray(start, dtype=np.int64)


def nav_spaces(venue: Venue) -> list[NavSpace]:
    spaces = []
    for s in range(venue.n_spaces):
        spaces.append(
            NavSpace(
                polygon=venue.space_areas[s],
                slowness_up=1.0 / venue.space_factor_up[s],
                slowness_down=1.0 / venue.space_factor_down[s],
                uphill=(float(venue.space_uphill[s, 0]), float(venue.space_uphill[s, 1])),
            )
        )
    return spaces


def _exit_field(venue: Venue) -> NavField:
    """Field to the nearest way out. A closed (not locked) exterior door is believed usable, so a
    crowd still heads for it (shared/reference/los-olivos.md); locked doors are not targets, and
    locked interior doors cut the field."""
    targets = [
        (o.space, o.segment)
        for o in venue.outlets
        if o.door is None or venue.door_states[o.door] != "locked"
    ]
    barriers = [
        (venue.space_index(d.level), d.jambs)
        for d in venue.interior_doors
        if venue.door_states[d.name] == "locked"
    ]
    if not targets:
        return nowhere_field(venue)
    return compute_field(venue.nav_grid, spaces=nav_spaces(venue), targets=targets, barriers=barriers)


def nowhere_field(venue: Venue) -> NavField:
    """No way out believed open: travel time infinite and no direction (agents stand)."""
    n = venue.nav_grid.free.size
    return NavField(
        travel_time=np.full(n, np.inf),
        direction=np.zeros((n, 2)),
        space_slowness=np.ones(venue.n_spaces),
        in_target_area=np.zeros(n, dtype=bool),
    )


def describe_line(segment: Segment) -> str:
    (x1, y1), (x2, y2) = segment
    return f"({x1:g}, {y1:g})–({x2:g}, {y2:g})"


__all__ = ["Venue", "Outlet", "Portal", "compile_venue", "rebuild_for_doors"]
