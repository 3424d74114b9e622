"""The navigation grid: every space rasterised on one lattice, joined across portals.

Each space gets a rectangular raster on the global lattice (see :mod:`aforo.navigation.lattice`),
padded beyond its polygon's bounds so that an exit's apron (cells just outside the exit, see
:mod:`aforo.navigation.field`) fits in it. A cell is *free* when its centre is inside the space's
walkable polygon. Free cells of one space are linked to their free lattice neighbours unless a wall
of the space runs between them (so walls thinner than a cell still separate). A portal (a stair's
edge) replaces the links that cross it: the cell on one side is linked to the cell of the other
space on the other side, which has the same lattice position.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString

from aforo.kernels.fmm import nearest_segment_distance
from aforo.navigation.lattice import (
    DOWN_SLOT,
    UP_SLOT,
    RasterLayout,
    crossed_links,
    cut_links,
    link_cells,
    point_segment_distance,
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

APRON_DEPTH_M = 0.5  # how far beyond an exit its apron reaches (see field.py)
ON_BOUNDARY_TOLERANCE_M = 1e-3  # how far a portal or exit may be from the boundary it lies on
PORTAL_TRIM_M = 1e-6  # half-width of the strip removed from a boundary where a portal lies
WALL_SEED_BAND_CELLS = 2.0  # wall distance is computed exactly within this many cells of a wall
ON_LINE_TOLERANCE_M = 1e-9  # a cell centre this close to a wall or portal lies on it


@dataclass(frozen=True, eq=False)
class NavGrid:
    """All spaces rasterised at one cell size on a globally aligned lattice.

    cell_size           lattice spacing (m)
    origin_x, origin_y  [n_spaces] float64, lower-left corner (m) of cell (0, 0) of each space's
                        raster; always an integer multiple of cell_size
    nx, ny              [n_spaces] int64, raster size of each space (cells)
    offset              [n_spaces + 1] int64; cells of space s are offset[s] .. offset[s+1]−1 and
                        cell (ix, iy) of space s has index offset[s] + iy·nx[s] + ix
    free                [n_cells] bool, cell centre inside the space's walkable polygon (a centre
                        on a wall is not free; one on a portal is free in the portal's first
                        space only)
    neighbours          [n_cells, 4] int64, −x, +x, −y, +y neighbour index or −1. Links join free
                        cells only and are symmetric; across a portal they point into the other
                        space's raster. No link crosses a wall.
    space_of_cell       [n_cells] int64
    wall_distance       [n_cells] float64, distance (m) from the cell centre to the nearest wall
                        of its space; portals are not walls. Exact within two cells of a wall;
                        beyond, the exact distance to the nearest wall found by handing walls on
                        from cell to cell (rarely a wall a fraction of a cell farther than the
                        nearest). 0 for cells that are not free; inf for a free cell that sees
                        no wall.
    wall_segments       [n_walls, 4] float64, (x1, y1, x2, y2) (m): the walls, i.e. the spaces'
                        boundaries less their portals; exits and doors are decided per field
    wall_segment_space  [n_walls] int64, the space of each wall segment

    Arrays are read-only.
    """

    cell_size: float
    origin_x: np.ndarray
    origin_y: np.ndarray
    nx: np.ndarray
    ny: np.ndarray
    offset: np.ndarray
    free: np.ndarray
    neighbours: np.ndarray
    space_of_cell: np.ndarray
    wall_distance: np.ndarray
    wall_segments: np.ndarray
    wall_segment_space: np.ndarray

    @property
    def n_spaces(self) -> int:
        return int(self.nx.size)

    @property
    def n_cells(self) -> int:
        return int(self.offset[-1])

    @property
    def layout(self) -> RasterLayout:
        """The rasters' placement on the lattice, for the helpers in :mod:`.lattice`."""
        h = self.cell_size
        return RasterLayout(
            cell_size=h,
            first_gx=np.rint(self.origin_x / h).astype(np.int64),
            first_gy=np.rint(self.origin_y / h).astype(np.int64),
            nx=self.nx,
            ny=self.ny,
            offset=self.offset,
        )

    def cell_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre x and y (m), [n_cells] each."""
        return self.layout.centres()


def apron_depth(cell_size: float) -> float:
    """Depth (m) of an exit's apron: about half a metre, and at least two cells."""
    return max(APRON_DEPTH_M, 2.0 * cell_size)


def cells_in(grid: NavGrid, space: int, polygon, *, free_only: bool = True) -> np.ndarray:
    """Indices of the cells of ``space`` whose centre lies in ``polygon`` (its boundary included).

    grid       a :class:`NavGrid`
    space      index of the space whose raster is searched
    polygon    a shapely Polygon or MultiPolygon (m)
    free_only  keep only free cells (centre inside the space's walkable polygon)

    Returns an int64 array of cell indices, ascending (empty if no centre lies in the polygon).
    Only the cells in the polygon's bounding box are tested, so the cost is that of the polygon's
    size in cells, not of the grid. Raises :class:`NavigationError` for a bad index or polygon.
    """
    space = check_space_index(space, grid.n_spaces, "cells_in")
    check_area_polygon(polygon, "cells_in")
    x_min, y_min, x_max, y_max = polygon.bounds
    pad = ON_LINE_TOLERANCE_M
    index, x, y = grid.layout.window(space, x_min - pad, y_min - pad, x_max + pad, y_max + pad)
    if index.size == 0:
        return np.empty(0, np.int64)
    shapely.prepare(polygon)
    index = index[shapely.intersects_xy(polygon, x, y)]
    if free_only:
        index = index[grid.free[index]]
    return np.sort(index).astype(np.int64)


def _raster_layout(spaces: Sequence[NavSpace], cell_size: float) -> RasterLayout:
    """Rasters covering each polygon's bounds plus room for an apron and one spare ring."""
    padding = math.ceil(apron_depth(cell_size) / cell_size) + 2
    return raster_layout([space.polygon for space in spaces], cell_size, padding)


def raster_layout(polygons, cell_size: float, padding: int) -> RasterLayout:
    """One raster per polygon on the global lattice, covering its bounds plus ``padding`` cells
    all round (shared with the gas grid, :mod:`aforo.hazards.gas`)."""
    bounds = np.array([polygon.bounds for polygon in polygons], dtype=float)
    first_gx = np.floor(bounds[:, 0] / cell_size).astype(np.int64) - padding
    first_gy = np.floor(bounds[:, 1] / cell_size).astype(np.int64) - padding
    nx = np.ceil(bounds[:, 2] / cell_size).astype(np.int64) + padding - first_gx
    ny = np.ceil(bounds[:, 3] / cell_size).astype(np.int64) + padding - first_gy
    offset = np.concatenate([[0], np.cumsum(nx * ny)]).astype(np.int64)
    return RasterLayout(cell_size, first_gx, first_gy, nx, ny, offset)


def _free_cells(layout: RasterLayout, spaces: Sequence[NavSpace], walls, wall_space,
                portals) -> np.ndarray:
    """Cells whose centre is inside their space's polygon.

    A centre lying on the boundary (a 45° wall through the lattice's centres, say) is decided
    here, not left to floating point: on a wall it is not free; on a portal it is free in the
    portal's first space only, so that links across the portal meet it from both sides.
    """
    free = np.empty(layout.n_cells, dtype=bool)
    for s, space in enumerate(spaces):
        x, y = layout.space_centres(s)
        shapely.prepare(space.polygon)
        free[layout.offset[s]:layout.offset[s + 1]] = shapely.contains_xy(space.polygon, x, y)
    for space_a, space_b, segment, _ in portals:
        for space, value in ((space_a, True), (space_b, False)):
            free[cells_on_segment(layout, space, segment)] = value
    on_wall, _ = segment_band_distance(layout, walls, wall_space, ON_LINE_TOLERANCE_M)
    free[np.isfinite(on_wall)] = False
    return free


def cells_on_segment(layout: RasterLayout, space: int, segment: np.ndarray) -> np.ndarray:
    """Cells of ``space`` whose centre lies on the segment (within ON_LINE_TOLERANCE_M)."""
    low = segment.min(axis=0) - ON_LINE_TOLERANCE_M
    high = segment.max(axis=0) + ON_LINE_TOLERANCE_M
    index, x, y = layout.window(space, low[0], low[1], high[0], high[1])
    return index[point_segment_distance(x, y, segment.ravel()) <= ON_LINE_TOLERANCE_M]


def lattice_links(layout: RasterLayout, free: np.ndarray) -> np.ndarray:
    """Links between free cells that are lattice neighbours in the same raster."""
    neighbours = np.full((layout.n_cells, 4), -1, dtype=np.int64)
    for s in range(layout.nx.size):
        nx, ny, first = int(layout.nx[s]), int(layout.ny[s]), int(layout.offset[s])
        index = first + np.arange(nx * ny).reshape(ny, nx)
        ok = free[first:first + nx * ny].reshape(ny, nx)
        both_x = ok[:, :-1] & ok[:, 1:]  # link (ix, iy)–(ix+1, iy)
        neighbours[index[:, :-1][both_x], 1] = index[:, 1:][both_x]
        neighbours[index[:, 1:][both_x], 0] = index[:, :-1][both_x]
        both_y = ok[:-1, :] & ok[1:, :]
        neighbours[index[:-1, :][both_y], 3] = index[1:, :][both_y]
        neighbours[index[1:, :][both_y], 2] = index[:-1, :][both_y]
    return neighbours


def segments_of(geometry) -> np.ndarray:
    """Straight pieces (x1, y1, x2, y2) of a (multi)line geometry, [m, 4]."""
    rows = []
    for part in shapely.get_parts(geometry):
        if part.is_empty or part.geom_type not in ("LineString", "LinearRing"):
            continue
        coords = shapely.get_coordinates(part)
        rows.append(np.hstack([coords[:-1], coords[1:]]))
    if not rows:
        return np.empty((0, 4))
    segments = np.vstack(rows)
    keep = np.hypot(segments[:, 2] - segments[:, 0], segments[:, 3] - segments[:, 1]) > 0
    return segments[keep]


def _walls(spaces, portals_by_space) -> tuple[np.ndarray, np.ndarray]:
    """Each space's boundary less its portals, as segments and their spaces."""
    segments, owner = [], []
    for s, space in enumerate(spaces):
        boundary = space.polygon.boundary
        if portals_by_space[s]:
            strips = shapely.union_all([
                LineString(p).buffer(PORTAL_TRIM_M, cap_style="flat") for p in portals_by_space[s]
            ])
            boundary = boundary.difference(strips)
        pieces = segments_of(boundary)
        segments.append(pieces)
        owner.append(np.full(pieces.shape[0], s, dtype=np.int64))
    return np.vstack(segments), np.concatenate(owner)


def cut_links_crossing(neighbours, layout, segments, segment_space) -> None:
    """Remove, in place, every link of a segment's space whose centre-to-centre line it meets."""
    for segment, space in zip(segments, segment_space):
        gx, gy, axis = crossed_links(segment.reshape(2, 2), layout.cell_size)
        lower, upper = link_cells(layout, int(space), gx, gy, axis)
        cut_links(neighbours, lower, upper, axis)


def check_on_boundary(polygon, segment: np.ndarray, tolerance_m: float, what: str) -> None:
    """Raise unless the segment lies along the polygon's boundary."""
    if not polygon.boundary.buffer(tolerance_m).covers(LineString(segment)):
        raise NavigationError(
            f"{what}: segment {segment.tolist()} does not lie on the boundary of its space "
            f"(tolerance {tolerance_m} m)"
        )


def _link_portal(neighbours, layout, free, space_a, space_b, segment, what) -> None:
    """Link, in place, free cells of ``space_a`` to free cells of ``space_b`` across a portal."""
    gx, gy, axis = crossed_links(segment, layout.cell_size)
    lower_a, upper_a = link_cells(layout, space_a, gx, gy, axis)
    lower_b, upper_b = link_cells(layout, space_b, gx, gy, axis)
    linked = 0
    # the two ways round: a below/left of the portal and b above/right, or the reverse
    for from_a, to_b, a_slot, b_slot in (
        (lower_a, upper_b, UP_SLOT[axis], DOWN_SLOT[axis]),
        (upper_a, lower_b, DOWN_SLOT[axis], UP_SLOT[axis]),
    ):
        ok = (from_a >= 0) & (to_b >= 0)
        ok[ok] = free[from_a[ok]] & free[to_b[ok]]
        neighbours[from_a[ok], a_slot[ok]] = to_b[ok]
        neighbours[to_b[ok], b_slot[ok]] = from_a[ok]
        linked += int(ok.sum())
    if linked == 0:
        raise NavigationError(
            f"{what}: no free cell of space {space_a} faces a free cell of space {space_b} across "
            f"segment {segment.tolist()}; is it narrower than a cell ({layout.cell_size} m)?"
        )


def _wall_distance(layout, free, neighbours, space_of_cell, walls, wall_space) -> np.ndarray:
    """Distance to the nearest wall of the cell's own space: exact near walls, and beyond them
    the distance to the nearest wall handed on from cell to cell within the space."""
    seed_distance, seed_wall = segment_band_distance(
        layout, walls, wall_space, WALL_SEED_BAND_CELLS * layout.cell_size
    )
    seed_distance[~free] = np.inf
    seed_wall[~free] = -1
    within_space = neighbours.copy()
    linked = within_space >= 0
    within_space[linked & (space_of_cell[np.maximum(within_space, 0)] != space_of_cell[:, None])] = -1
    x, y = layout.centres()
    distance, _ = nearest_segment_distance(within_space, x, y, walls.reshape(-1, 4), seed_distance, seed_wall)
    distance[~free] = 0.0
    return distance


def read_only(*arrays):
    for array in arrays:
        array.flags.writeable = False


def build_grid(*, spaces: Sequence[NavSpace], portals: Sequence[tuple[int, int, Segment]],
               cell_size: float) -> NavGrid:
    """Rasterise ``spaces`` at ``cell_size`` (m) and join them across ``portals``.

    spaces     the venue's spaces (levels and stair flights), in the order their indices refer to
    portals    (space_a, space_b, segment): a segment (m) on the boundary of both spaces
    cell_size  lattice spacing (m); exits and portals should be at least a cell wide

    Raises :class:`NavigationError` for a bad index, a portal off a boundary or one that joins no
    cells at this cell size.
    """
    spaces = check_spaces(spaces)
    if not (isinstance(cell_size, Real) and math.isfinite(cell_size) and cell_size > 0):
        raise NavigationError(f"cell_size must be a finite number > 0, got {cell_size!r}")
    cell_size = float(cell_size)
    checked_portals = []
    portals_by_space: list[list[np.ndarray]] = [[] for _ in spaces]
    for k, (space_a, space_b, segment) in enumerate(portals):
        what = f"portals[{k}]"
        space_a = check_space_index(space_a, len(spaces), what)
        space_b = check_space_index(space_b, len(spaces), what)
        if space_a == space_b:
            raise NavigationError(f"{what}: a portal must join two different spaces, got {space_a} twice")
        segment = as_segment_array(segment, what)
        for s in (space_a, space_b):
            check_on_boundary(spaces[s].polygon, segment, ON_BOUNDARY_TOLERANCE_M, f"{what} (space {s})")
            portals_by_space[s].append(segment)
        checked_portals.append((space_a, space_b, segment, what))

    layout = _raster_layout(spaces, cell_size)
    walls, wall_space = _walls(spaces, portals_by_space)
    free = _free_cells(layout, spaces, walls, wall_space, checked_portals)
    neighbours = lattice_links(layout, free)
    # walls thinner than a cell still separate; then portals (not walls) join spaces
    cut_links_crossing(neighbours, layout, walls, wall_space)
    for space_a, space_b, segment, what in checked_portals:
        _link_portal(neighbours, layout, free, space_a, space_b, segment, what)
    space_of_cell = np.repeat(np.arange(len(spaces), dtype=np.int64), np.diff(layout.offset))
    wall_distance = _wall_distance(layout, free, neighbours, space_of_cell, walls, wall_space)

    h = cell_size
    grid = NavGrid(
        cell_size=h,
        origin_x=(layout.first_gx * h).astype(np.float64),
        origin_y=(layout.first_gy * h).astype(np.float64),
        nx=layout.nx,
        ny=layout.ny,
        offset=layout.offset,
        free=free,
        neighbours=neighbours,
        space_of_cell=space_of_cell,
        wall_distance=wall_distance,
        wall_segments=walls,
        wall_segment_space=wall_space,
    )
    read_only(grid.origin_x, grid.origin_y, grid.nx, grid.ny, grid.offset, grid.free,
               grid.neighbours, grid.space_of_cell, grid.wall_distance, grid.wall_segments,
               grid.wall_segment_space)
    return grid
