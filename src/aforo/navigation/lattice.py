"""Geometry on the global lattice: rasters of spaces, links crossed by segments, band distances.

The lattice is global: cell (gx, gy) covers [gx·h, (gx+1)·h) × [gy·h, (gy+1)·h) for cell size h,
and its centre is ((gx + ½)·h, (gy + ½)·h). Every space has a rectangular raster, a window on this
lattice, so a cell of one space and the cell of another at the same place have the same centre.

A *link* joins two cells sharing a side. It is named by its lower cell (gx, gy) and an axis:
axis 0 joins (gx, gy)–(gx+1, gy), axis 1 joins (gx, gy)–(gx, gy+1). A segment *crosses* a link
when it meets the centre-to-centre segment of the link (touching counts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TOUCH_TOLERANCE = 1e-7  # lattice units: a segment this close to a link's end touches it

# neighbour slot k of a cell: −x, +x, −y, +y. Slot of the link's upper cell seen from the lower
# (UP_SLOT) and of the lower seen from the upper (DOWN_SLOT), by axis.
UP_SLOT = np.array([1, 3], dtype=np.int64)
DOWN_SLOT = np.array([0, 2], dtype=np.int64)
OPPOSITE_SLOT = np.array([1, 0, 3, 2], dtype=np.int64)
SLOT_STEP_X = np.array([-1, 1, 0, 0], dtype=np.int64)
SLOT_STEP_Y = np.array([0, 0, -1, 1], dtype=np.int64)


@dataclass(frozen=True, eq=False)
class RasterLayout:
    """Where each space's raster sits on the lattice and where its cells are numbered.

    cell_size  lattice spacing (m)
    first_gx   [n_spaces] int64, lattice column of the raster's cell (0, 0)
    first_gy   [n_spaces] int64, lattice row of the raster's cell (0, 0)
    nx, ny     [n_spaces] int64, raster size in cells
    offset     [n_spaces + 1] int64, index of the space's first cell; cell (ix, iy) of space s is
               offset[s] + iy·nx[s] + ix
    """

    cell_size: float
    first_gx: np.ndarray
    first_gy: np.ndarray
    nx: np.ndarray
    ny: np.ndarray
    offset: np.ndarray

    @property
    def n_cells(self) -> int:
        return int(self.offset[-1])

    def cell_index(self, space: int, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
        """Index of lattice cells (gx, gy) in the raster of ``space``; −1 outside it."""
        ix = np.asarray(gx, dtype=np.int64) - self.first_gx[space]
        iy = np.asarray(gy, dtype=np.int64) - self.first_gy[space]
        inside = (ix >= 0) & (ix < self.nx[space]) & (iy >= 0) & (iy < self.ny[space])
        return np.where(inside, self.offset[space] + iy * self.nx[space] + ix, -1)

    def space_centres(self, space: int) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre x and y (m) of the raster of ``space``, in cell-index order."""
        h = self.cell_size
        gx = self.first_gx[space] + np.arange(self.nx[space])
        gy = self.first_gy[space] + np.arange(self.ny[space])
        x = (gx + 0.5) * h
        y = (gy + 0.5) * h
        return np.tile(x, self.ny[space]), np.repeat(y, self.nx[space])

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre x and y (m) of every cell, [n_cells] each."""
        parts = [self.space_centres(s) for s in range(self.first_gx.size)]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def window(self, space: int, x_min: float, y_min: float, x_max: float, y_max: float):
        """Cells of ``space`` whose centres lie in the box; returns (index, centre_x, centre_y)."""
        h = self.cell_size
        gx = np.arange(max(int(np.ceil(x_min / h - 0.5)), self.first_gx[space]),
                       min(int(np.floor(x_max / h - 0.5)), self.first_gx[space] + self.nx[space] - 1) + 1)
        gy = np.arange(max(int(np.ceil(y_min / h - 0.5)), self.first_gy[space]),
                       min(int(np.floor(y_max / h - 0.5)), self.first_gy[space] + self.ny[space] - 1) + 1)
        grid_x, grid_y = np.meshgrid(gx, gy)
        grid_x, grid_y = grid_x.ravel(), grid_y.ravel()
        index = self.cell_index(space, grid_x, grid_y)
        return index, (grid_x + 0.5) * h, (grid_y + 0.5) * h


def _links_across_rows(a1: float, b1: float, a2: float, b2: float) -> tuple[np.ndarray, np.ndarray]:
    """Links along the a-axis met by the segment (a1, b1)–(a2, b2), all in lattice units.

    Links along a lie on the rows b = j + ½; the segment meets row j at one point, which falls on
    link [i, i+1] with i = floor(a − ½), or on two links when it hits a cell centre exactly.
    Returns (i, j). A segment parallel to the rows meets none (it does not separate along a).
    """
    if b1 == b2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    low, high = min(b1, b2), max(b1, b2)
    rows = np.arange(np.ceil(low - 0.5 - TOUCH_TOLERANCE), np.floor(high - 0.5 + TOUCH_TOLERANCE) + 1)
    a_at_row = a1 + (rows + 0.5 - b1) * (a2 - a1) / (b2 - b1)
    first = np.floor(a_at_row - 0.5 - TOUCH_TOLERANCE)
    second = np.floor(a_at_row - 0.5 + TOUCH_TOLERANCE)
    twice = second != first
    links = np.concatenate([first, second[twice]]).astype(np.int64)
    return links, np.concatenate([rows, rows[twice]]).astype(np.int64)


def crossed_links(segment_m: np.ndarray, cell_size: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lattice links crossed by a segment [[x1, y1], [x2, y2]] (m): (gx, gy, axis), int64 each."""
    (x1, y1), (x2, y2) = np.asarray(segment_m, dtype=float) / cell_size
    along_x, row = _links_across_rows(x1, y1, x2, y2)
    along_y, column = _links_across_rows(y1, x1, y2, x2)
    gx = np.concatenate([along_x, column])
    gy = np.concatenate([row, along_y])
    axis = np.concatenate([np.zeros(along_x.size, np.int64), np.ones(along_y.size, np.int64)])
    return gx, gy, axis


def link_cells(layout: RasterLayout, space: int, gx, gy, axis) -> tuple[np.ndarray, np.ndarray]:
    """Indices in ``space``'s raster of the lower and upper cells of links; −1 outside it."""
    lower = layout.cell_index(space, gx, gy)
    upper = layout.cell_index(space, gx + (axis == 0), gy + (axis == 1))
    return lower, upper


def cut_links(neighbours: np.ndarray, lower: np.ndarray, upper: np.ndarray, axis: np.ndarray) -> None:
    """Remove, in place, the links between cells ``lower`` and ``upper`` (both ways) where both
    exist; links that went elsewhere (across a portal) are handled by :func:`drop_one_way_links`."""
    both = (lower >= 0) & (upper >= 0)
    neighbours[lower[both], UP_SLOT[axis[both]]] = -1
    neighbours[upper[both], DOWN_SLOT[axis[both]]] = -1
    only_lower = (lower >= 0) & (upper < 0)
    neighbours[lower[only_lower], UP_SLOT[axis[only_lower]]] = -1
    only_upper = (upper >= 0) & (lower < 0)
    neighbours[upper[only_upper], DOWN_SLOT[axis[only_upper]]] = -1


def drop_one_way_links(neighbours: np.ndarray) -> None:
    """Make the table symmetric in place: keep i→j (slot k) only if j→i (opposite slot) exists."""
    cells = np.arange(neighbours.shape[0])
    for slot in range(4):
        other = neighbours[:, slot]
        has = other >= 0
        back = np.full(other.shape, -1, dtype=np.int64)
        back[has] = neighbours[other[has], OPPOSITE_SLOT[slot]]
        neighbours[has & (back != cells), slot] = -1


def split_segments(segments: np.ndarray, max_length_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Cut segments [m, 4] (x1, y1, x2, y2) into pieces no longer than ``max_length_m``.

    Returns (pieces [p, 4], owner [p]): the pieces and the index of the segment each came from.
    """
    if segments.size == 0:
        return segments.reshape(0, 4), np.empty(0, np.int64)
    length = np.hypot(segments[:, 2] - segments[:, 0], segments[:, 3] - segments[:, 1])
    count = np.maximum(1, np.ceil(length / max_length_m)).astype(np.int64)
    owner = np.repeat(np.arange(segments.shape[0]), count)
    k = np.arange(owner.size) - np.repeat(np.cumsum(count) - count, count)
    start = segments[owner, :2]
    delta = segments[owner, 2:] - start
    t0 = (k / count[owner])[:, None]
    t1 = ((k + 1) / count[owner])[:, None]
    return np.hstack([start + t0 * delta, start + t1 * delta]), owner


def point_segment_distance(px, py, segment) -> np.ndarray:
    """Distance (m) of points to one segment (x1, y1, x2, y2)."""
    x1, y1, x2, y2 = segment
    dx, dy = x2 - x1, y2 - y1
    length2 = dx * dx + dy * dy
    t = np.clip(((px - x1) * dx + (py - y1) * dy) / length2, 0.0, 1.0) if length2 > 0 else 0.0
    return np.hypot(px - (x1 + t * dx), py - (y1 + t * dy))


def segment_band_distance(layout: RasterLayout, segments: np.ndarray, segment_space: np.ndarray,
                          cutoff_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact distance (m) from each cell centre to the nearest segment of its own space, for cells
    within ``cutoff_m`` of one; inf elsewhere. ``segments`` [m, 4], ``segment_space`` [m].

    Returns (distance [n_cells], nearest [n_cells]): nearest is the index of that segment in
    ``segments``, −1 where the distance is inf. Work is proportional to wall length × band width,
    not to the number of cells: segments are cut into short pieces and only the cells in each
    piece's padded box are visited.
    """
    distance = np.full(layout.n_cells, np.inf)
    nearest = np.full(layout.n_cells, -1, dtype=np.int64)
    pieces, owner = split_segments(np.asarray(segments, dtype=float).reshape(-1, 4),
                                   max(1.0, 8.0 * layout.cell_size))
    for piece, segment in zip(pieces, owner):
        space = int(segment_space[segment])
        x_min, x_max = min(piece[0], piece[2]) - cutoff_m, max(piece[0], piece[2]) + cutoff_m
        y_min, y_max = min(piece[1], piece[3]) - cutoff_m, max(piece[1], piece[3]) + cutoff_m
        index, cx, cy = layout.window(space, x_min, y_min, x_max, y_max)
        if index.size == 0:
            continue
        d = point_segment_distance(cx, cy, piece)
        closer = (d <= cutoff_m) & (d < distance[index])
        distance[index[closer]] = d[closer]
        nearest[index[closer]] = segment
    return distance, nearest
