"""Navigation fields: travel time to the nearest target over the whole venue, and its descent.

How a field is made (:func:`compute_field`):

0. **Target areas.** A target may also be an area inside a space (a post, a refuge, a meeting
   point): every free cell of that space whose centre lies in the polygon is a seed at travel
   time 0 (an area too small to hold a cell centre seeds the free cell holding its representative
   point). Directions there are (0, 0): the agent has arrived. Areas and exit segments may be
   mixed; each cell then leads to the nearest of any of them.
1. **Apron.** Each target (an exit, an open exterior door) is a segment on its space's outer
   boundary. The cells just outside it, within a rectangle as wide as the segment and
   :func:`~aforo.navigation.grid.apron_depth` (≈ 0.5 m) deep, become part of the field. They are
   seeds whose travel time is minus their distance beyond the segment, so travel time is 0 on the
   segment itself and falls to −depth at the apron's far side (the same field as "0 at the far
   side", shifted by the depth, so that inside the venue the travel time is the distance to the
   exit). Free cells are linked to apron cells only through the segment (never through the wall
   beside it), and apron cells point along the exit's outward normal, so agents near an exit are
   led out through it rather than to its edge.
2. **Barriers.** Closed interior doors cut every link whose centre-to-centre segment meets the
   door segment; behind a closed door nothing is reached (inf).
3. **Slowness.** Each space has a base slowness (1 on a level). A closed door counts as a wall,
   an exit does not. Near walls the slowness is multiplied by
   ``1 + wall_penalty · max(0, 1 − wall_distance / wall_buffer)``, so shortest paths keep about
   ``wall_buffer`` off walls and corners instead of grazing them (as JuPedSim's floor field and
   Vadere's obstacle-repulsive floor field do).
4. **Two passes on stairs.** Whether a stair is walked up or down depends on the field, so the
   first pass uses the mean of its up and down slownesses. Then, per stair, the mean travel time
   near its upper end is compared with that near its lower end: if the upper end is the farther
   from the target the stair is walked downhill and gets ``slowness_down``, otherwise
   ``slowness_up``; the field is computed again.
5. **Fast marching** (first order, on the neighbour table, so through portals) and **descent
   directions** (central differences, one-sided at walls, never into a wall) by the kernels in
   :mod:`aforo.kernels.fmm`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString
from shapely.geometry.base import BaseGeometry

from aforo.kernels.fmm import descent_directions, fast_marching, lookup_cell
from aforo.navigation.grid import (
    ON_BOUNDARY_TOLERANCE_M,
    ON_LINE_TOLERANCE_M,
    NavGrid,
    apron_depth,
    cells_in,
    check_on_boundary,
    segments_of,
)
from aforo.navigation.lattice import (
    DOWN_SLOT,
    SLOT_STEP_X,
    SLOT_STEP_Y,
    UP_SLOT,
    crossed_links,
    cut_links,
    drop_one_way_links,
    link_cells,
    segment_band_distance,
)
from aforo.navigation.spaces import (
    NavigationError,
    NavSpace,
    Segment,
    as_segment_array,
    check_area_polygon,
    check_space_index,
    check_spaces,
)

STAIR_END_FRACTION = 0.1  # "near an end" of a stair: this fraction of its length (≥ 2 cells)


@dataclass(frozen=True, eq=False)
class NavField:
    """Travel time to the nearest target, and the way down it, on a :class:`NavGrid`.

    travel_time     [n_cells] float64, time-distance to the nearest target in metres at unit
                    speed (distance weighted by slowness). 0 on a target segment and in a target
                    area, negative in an exit's apron (−distance beyond the segment), inf where
                    unreachable or not free.
    direction       [n_cells, 2] float64, unit vector of steepest descent of travel_time; in an
                    apron the target's outward normal; (0, 0) in a target area (arrived), where
                    unreachable or not free.
    space_slowness  [n_spaces] float64, base slowness used on each space in the final pass
                    (on a stair: slowness_up or slowness_down, whichever way it is walked)
    in_target_area  [n_cells] bool, the cells seeded by ``target_areas`` (all False without)

    Arrays are read-only.
    """

    travel_time: np.ndarray
    direction: np.ndarray
    space_slowness: np.ndarray
    in_target_area: np.ndarray


@dataclass(frozen=True, eq=False)
class _Apron:
    """Cells beyond the targets: seed_time [n_cells] (inf off the apron) and normal [n_cells, 2]."""

    seed_time: np.ndarray
    normal: np.ndarray

    @property
    def mask(self) -> np.ndarray:
        return np.isfinite(self.seed_time)


def _outward_normal(polygon, segment: np.ndarray, cell_size: float, what: str) -> np.ndarray:
    """Unit normal of a boundary segment pointing out of the polygon."""
    start, end = segment
    length = math.hypot(*(end - start))
    along = (end - start) / length
    normal = np.array([along[1], -along[0]])
    probe = min(0.25 * cell_size, 0.05 * length, 0.01)
    points = start + np.outer([0.25, 0.5, 0.75], end - start)
    plus = shapely.contains_xy(polygon, *(points + probe * normal).T)
    minus = shapely.contains_xy(polygon, *(points - probe * normal).T)
    if np.all(minus & ~plus):
        return normal
    if np.all(plus & ~minus):
        return -normal
    raise NavigationError(f"{what}: segment {segment.tolist()} does not have its space on exactly one side")


def _add_apron(grid: NavGrid, apron: _Apron, space: int, segment: np.ndarray, normal: np.ndarray) -> None:
    """Mark, in place, the non-free cells within the rectangle beyond ``segment``."""
    depth = apron_depth(grid.cell_size)
    start, end = segment
    length = math.hypot(*(end - start))
    along = (end - start) / length
    corners = np.array([start, end, start + depth * normal, end + depth * normal])
    index, cx, cy = grid.layout.window(space, *corners.min(axis=0), *corners.max(axis=0))
    t = (cx - start[0]) * along[0] + (cy - start[1]) * along[1]
    d = (cx - start[0]) * normal[0] + (cy - start[1]) * normal[1]
    eps = ON_LINE_TOLERANCE_M * max(1.0, length)
    # d ≥ −eps: a centre on the segment itself (a 45° exit through the lattice's centres) is
    # not free (it is on a wall of the grid) and belongs to the apron, at time 0
    inside = (t >= -eps) & (t <= length + eps) & (d >= -eps) & (d <= depth + eps)
    index, d = index[inside], np.maximum(d[inside], 0.0)
    index, d = index[~grid.free[index]], d[~grid.free[index]]
    better = -d < apron.seed_time[index]
    apron.seed_time[index[better]] = -d[better]
    apron.normal[index[better]] = normal


def _link_apron_cells(grid: NavGrid, links: np.ndarray, apron_mask: np.ndarray) -> None:
    """Link, in place, apron cells to their lattice neighbours that are apron cells too."""
    cells = np.flatnonzero(apron_mask)
    space = grid.space_of_cell[cells]
    nx, ny, first = grid.nx[space], grid.ny[space], grid.offset[space]
    ix, iy = (cells - first) % nx, (cells - first) // nx
    for slot in range(4):
        jx, jy = ix + SLOT_STEP_X[slot], iy + SLOT_STEP_Y[slot]
        inside = (jx >= 0) & (jx < nx) & (jy >= 0) & (jy < ny)
        other = np.where(inside, first + jy * nx + jx, 0)
        ok = inside & apron_mask[other]
        links[cells[ok], slot] = other[ok]


def _link_through(grid: NavGrid, links: np.ndarray, apron_mask: np.ndarray, space: int,
                  segment: np.ndarray, what: str) -> None:
    """Link, in place, the cells on either side of a target segment, through it and nowhere else
    (never through the wall beside it)."""
    gx, gy, axis = crossed_links(segment, grid.cell_size)
    lower, upper = link_cells(grid.layout, space, gx, gy, axis)
    ok = (lower >= 0) & (upper >= 0)
    lower, upper, axis = lower[ok], upper[ok], axis[ok]
    # every link through the opening, including free–free ones that the grid cut because the
    # exit lies on a wall (a centre on the exit line has links that touch it)
    passable = grid.free | apron_mask
    through = passable[lower] & passable[upper] & (grid.free[lower] | grid.free[upper])
    links[lower[through], UP_SLOT[axis[through]]] = upper[through]
    links[upper[through], DOWN_SLOT[axis[through]]] = lower[through]
    if not np.any(through):
        raise NavigationError(
            f"{what}: no free cell opens onto the apron beyond segment {segment.tolist()}; "
            f"is it narrower than a cell ({grid.cell_size} m)?"
        )


def _apron_and_links(grid: NavGrid, spaces, target_list, barrier_list) -> tuple[_Apron, np.ndarray]:
    """The targets' aprons, and the grid's links with aprons joined and barriers cut."""
    links = np.array(grid.neighbours, dtype=np.int64, copy=True)
    apron = _Apron(np.full(grid.n_cells, np.inf), np.zeros((grid.n_cells, 2)))
    for k, (space, segment) in enumerate(target_list):
        what = f"targets[{k}]"
        check_on_boundary(spaces[space].polygon, segment, ON_BOUNDARY_TOLERANCE_M, what)
        normal = _outward_normal(spaces[space].polygon, segment, grid.cell_size, what)
        _add_apron(grid, apron, space, segment, normal)
    _link_apron_cells(grid, links, apron.mask)
    for k, (space, segment) in enumerate(target_list):
        _link_through(grid, links, apron.mask, space, segment, f"targets[{k}]")
    for space, segment in barrier_list:
        gx, gy, axis = crossed_links(segment, grid.cell_size)
        lower, upper = link_cells(grid.layout, space, gx, gy, axis)
        cut_links(links, lower, upper, axis)
    drop_one_way_links(links)  # a barrier may have cut one side of a portal link
    return apron, links


def _effective_walls(grid: NavGrid, target_list, barrier_list) -> tuple[np.ndarray, np.ndarray]:
    """Walls for the penalty: the grid's walls less the targets, plus the barriers."""
    segments, owner = [], []
    for space in range(grid.n_spaces):
        walls = grid.wall_segments[grid.wall_segment_space == space]
        exits = [seg for s, seg in target_list if s == space]
        if exits and walls.size:
            lines = MultiLineString([w.reshape(2, 2) for w in walls])
            strips = shapely.union_all([
                LineString(seg).buffer(ON_BOUNDARY_TOLERANCE_M, cap_style="flat") for seg in exits
            ])
            walls = segments_of(lines.difference(strips))
        extra = [seg.reshape(1, 4) for s, seg in barrier_list if s == space]
        walls = np.vstack([walls.reshape(-1, 4), *extra])
        segments.append(walls)
        owner.append(np.full(walls.shape[0], space, dtype=np.int64))
    return np.vstack(segments), np.concatenate(owner)


def _wall_penalty_factor(grid: NavGrid, walls, wall_space, wall_buffer: float,
                         wall_penalty: float) -> np.ndarray:
    """1 + wall_penalty · max(0, 1 − wall_distance / wall_buffer), per cell."""
    if wall_penalty == 0.0 or wall_buffer <= 0.0:
        return np.ones(grid.n_cells)
    distance, _ = segment_band_distance(grid.layout, walls, wall_space, wall_buffer)
    closeness = np.where(np.isfinite(distance), 1.0 - distance / wall_buffer, 0.0)
    return 1.0 + wall_penalty * np.clip(closeness, 0.0, 1.0)


def _stair_slowness(grid: NavGrid, spaces, travel_time, centres) -> np.ndarray:
    """Per space: up or down slowness on stairs, from which end the first pass found farther."""
    chosen = np.array([space.mean_slowness for space in spaces])
    cx, cy = centres
    for s, space in enumerate(spaces):
        if not space.is_stair or space.slowness_up == space.slowness_down:
            continue
        cells = np.arange(grid.offset[s], grid.offset[s + 1])
        cells = cells[grid.free[cells] & np.isfinite(travel_time[cells])]
        if cells.size == 0:
            continue  # unreachable stair: nothing to choose
        height = cx[cells] * space.uphill[0] + cy[cells] * space.uphill[1]  # m along uphill
        span = height.max() - height.min()
        band = max(2.0 * grid.cell_size, STAIR_END_FRACTION * span)
        upper_time = travel_time[cells[height >= height.max() - band]].mean()
        lower_time = travel_time[cells[height <= height.min() + band]].mean()
        chosen[s] = space.slowness_down if upper_time > lower_time else space.slowness_up
    return chosen


def compute_field(grid: NavGrid, *, spaces: Sequence[NavSpace], targets: Sequence[tuple[int, Segment]] = (),
                  target_areas: Sequence[tuple[int, BaseGeometry]] = (),
                  barriers: Sequence[tuple[int, Segment]] = (), wall_buffer: float = 0.3,
                  wall_penalty: float = 1.0, cell_cost: np.ndarray | None = None) -> NavField:
    """Travel time to the nearest of ``targets`` and ``target_areas`` over ``grid``, and its
    descent directions.

    grid          from :func:`~aforo.navigation.build_grid` with the same ``spaces``
    spaces        the spaces, for their polygons and slownesses
    targets       (space, segment): exits, segments (m) on the space's outer boundary
    target_areas  (space, polygon): areas inside a space, shapely Polygons or MultiPolygons (m);
                  the free cells of that space whose centre lies in the polygon (boundary
                  included) are at travel time 0 with direction (0, 0); a polygon holding no
                  cell centre seeds the free cell holding its representative point
    barriers      (space, segment): closed interior doors, segments (m) nothing may cross
    wall_buffer   distance (m) from walls within which the slowness is raised
    wall_penalty  slowness increase at a wall (dimensionless; 0 turns the penalty off)
    cell_cost     optional [n_cells] factor ≥ 1 multiplying each cell's slowness (e.g. gas that
                  people avoid); None for none

    Raises :class:`NavigationError` when there is no target of either kind, an index is out of
    range, a target is off its space's boundary or is too narrow to open onto any free cell, or
    an area's polygon is empty, invalid or holds no free cell of its space.
    """
    spaces = check_spaces(spaces)
    if len(spaces) != grid.n_spaces:
        raise NavigationError(f"{len(spaces)} spaces given for a grid of {grid.n_spaces}")
    for name, value in (("wall_buffer", wall_buffer), ("wall_penalty", wall_penalty)):
        if not (isinstance(value, Real) and math.isfinite(value) and value >= 0):
            raise NavigationError(f"{name} must be a finite number ≥ 0, got {value!r}")
    targets, target_areas = tuple(targets), tuple(target_areas)
    if not targets and not target_areas:
        raise NavigationError("at least one target is needed (an exit segment or a target area)")
    target_list = _checked_segments(targets, len(spaces), "targets")
    in_area = _area_cells(grid, target_areas)
    barrier_list = _checked_segments(barriers, len(spaces), "barriers")

    apron, links = _apron_and_links(grid, spaces, target_list, barrier_list)
    seed_time = np.where(in_area, 0.0, apron.seed_time)
    walls, wall_space = _effective_walls(grid, target_list, barrier_list)
    penalty = _wall_penalty_factor(grid, walls, wall_space, float(wall_buffer), float(wall_penalty))
    if cell_cost is not None:
        cost = np.asarray(cell_cost, dtype=np.float64)
        if cost.shape != (grid.free.size,) or not np.all(np.isfinite(cost) & (cost >= 1.0)):
            raise NavigationError(f"cell_cost must be {grid.free.size} finite factors ≥ 1")
        penalty = penalty * cost
    passable = grid.free | apron.mask

    def march(space_slowness: np.ndarray) -> np.ndarray:
        slowness = np.where(passable, space_slowness[grid.space_of_cell] * penalty, np.inf)
        return fast_marching(links, slowness, grid.cell_size, seed_time)

    space_slowness = np.array([space.mean_slowness for space in spaces])
    travel_time = march(space_slowness)
    if any(space.is_stair and space.slowness_up != space.slowness_down for space in spaces):
        space_slowness = _stair_slowness(grid, spaces, travel_time, grid.cell_centres())
        travel_time = march(space_slowness)

    direction = descent_directions(links, travel_time, grid.cell_size)
    direction[apron.mask] = apron.normal[apron.mask]
    direction[in_area] = 0.0  # arrived: what to do there is the engine's business
    for array in (travel_time, direction, space_slowness, in_area):
        array.flags.writeable = False
    return NavField(travel_time=travel_time, direction=direction, space_slowness=space_slowness,
                    in_target_area=in_area)


def _area_cells(grid: NavGrid, target_areas) -> np.ndarray:
    """Mask [n_cells] of the free cells seeded by the target areas, each area checked."""
    mask = np.zeros(grid.n_cells, dtype=bool)
    for k, item in enumerate(target_areas):
        what = f"target_areas[{k}]"
        try:
            space, polygon = item
        except (TypeError, ValueError) as error:
            raise NavigationError(f"{what}: expected (space, polygon), got {item!r:.80}") from error
        space = check_space_index(space, grid.n_spaces, what)
        check_area_polygon(polygon, what)
        cells = cells_in(grid, space, polygon, free_only=True)
        if cells.size == 0:  # smaller than a cell: the cell holding a point surely inside it
            point = polygon.representative_point()
            cell = lookup_cell(grid.origin_x, grid.origin_y, grid.nx, grid.ny, grid.offset,
                               grid.cell_size, space, point.x, point.y)
            if cell < 0 or not grid.free[cell]:
                raise NavigationError(
                    f"{what}: no free cell of space {space} lies in the area "
                    f"(bounds {[round(v, 6) for v in polygon.bounds]}); is it outside the space "
                    f"or over a wall?"
                )
            cells = np.array([cell], dtype=np.int64)
        mask[cells] = True
    return mask


def _checked_segments(items, n_spaces: int, what: str) -> list[tuple[int, np.ndarray]]:
    checked = []
    for k, item in enumerate(items):
        try:
            space, segment = item
        except (TypeError, ValueError) as error:
            raise NavigationError(f"{what}[{k}]: expected (space, segment), got {item!r}") from error
        checked.append((check_space_index(space, n_spaces, f"{what}[{k}]"),
                        as_segment_array(segment, f"{what}[{k}]")))
    return checked


def direction_at(grid: NavGrid, field: NavField, space: int, x: float, y: float) -> tuple[float, float]:
    """Direction (unit vector, or (0, 0)) to walk from the point (x, y) (m) of ``space``.

    Bilinear interpolation of the direction field over the four cells around the point, using
    only cells that have a direction (free and reachable, or apron), renormalised; falls back to
    the cell holding the point.
    """
    h = grid.cell_size
    fx = (x - grid.origin_x[space]) / h - 0.5
    fy = (y - grid.origin_y[space]) / h - 0.5
    if not (math.isfinite(fx) and math.isfinite(fy)):
        return (0.0, 0.0)
    ix, iy = math.floor(fx), math.floor(fy)
    wx, wy = fx - ix, fy - iy
    total = np.zeros(2)
    for dx, dy, weight in ((0, 0, (1 - wx) * (1 - wy)), (1, 0, wx * (1 - wy)),
                           (0, 1, (1 - wx) * wy), (1, 1, wx * wy)):
        cx, cy = ix + dx, iy + dy
        if 0 <= cx < grid.nx[space] and 0 <= cy < grid.ny[space]:
            total += weight * field.direction[grid.offset[space] + cy * grid.nx[space] + cx]
    norm = math.hypot(*total)
    if norm > 1e-9:
        return (float(total[0] / norm), float(total[1] / norm))
    cell = lookup_cell(grid.origin_x, grid.origin_y, grid.nx, grid.ny, grid.offset, h, space, x, y)
    if cell < 0:
        return (0.0, 0.0)
    return (float(field.direction[cell, 0]), float(field.direction[cell, 1]))
