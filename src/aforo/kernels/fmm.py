"""Fast marching over a generic neighbour table, the descent direction of its result, cell lookup.

The navigation grid (``aforo.navigation``) rasterises every space of a venue on one globally
aligned lattice of square cells. Cells are numbered across all spaces; each cell has up to four
neighbours, stored as ``neighbours[cell, k]`` for k = 0 (−x), 1 (+x), 2 (−y), 3 (+y), or −1 where
there is none. Across a portal (a stair's edge, say) a neighbour lies in another space's raster;
because every raster sits on the same lattice, the geometry of the stencil does not change there,
so the kernels below never need to know about spaces.

Times are "metres at unit speed": a distance weighted by a dimensionless slowness (1 on a level
floor, larger on a stair or near a wall). Kernels never raise on data: impassable cells have a
non-finite or non-positive slowness and keep an infinite time.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

NEIGHBOUR_DIRECTIONS = 4  # −x, +x, −y, +y


@njit(cache=True)
def _heap_push(keys, cells, size, key, cell):
    """Push (key, cell) on the binary min-heap held in keys[:size], cells[:size]; new size."""
    i = size
    keys[i] = key
    cells[i] = cell
    while i > 0:
        parent = (i - 1) >> 1
        if keys[parent] <= keys[i]:
            break
        keys[parent], keys[i] = keys[i], keys[parent]
        cells[parent], cells[i] = cells[i], cells[parent]
        i = parent
    return size + 1


@njit(cache=True)
def _heap_pop(keys, cells, size):
    """Remove the smallest key; returns (key, cell, new size). The heap must not be empty."""
    key = keys[0]
    cell = cells[0]
    size -= 1
    keys[0] = keys[size]
    cells[0] = cells[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        child = left
        if left + 1 < size and keys[left + 1] < keys[left]:
            child = left + 1
        if keys[i] <= keys[child]:
            break
        keys[child], keys[i] = keys[i], keys[child]
        cells[child], cells[i] = cells[i], cells[child]
        i = child
    return key, cell, size


@njit(cache=True)
def godunov_update(time_x, time_y, step_time):
    """First-order upwind (Godunov) solution of |∇T| = slowness at one cell.

    ``time_x`` and ``time_y`` are the smallest known times of the cell's neighbours along x and
    along y (inf if none); ``step_time`` = slowness · cell_size. Both axes contribute only when
    they differ by less than one step, otherwise the front arrives along the earlier axis alone.
    """
    low = min(time_x, time_y)
    high = max(time_x, time_y)
    if high - low < step_time:  # also false when high is inf
        gap = high - low
        return 0.5 * (low + high + math.sqrt(2.0 * step_time * step_time - gap * gap))
    return low + step_time


@njit(cache=True)
def _known_update(neighbours, travel_time, accepted, step_time, cell):
    """Godunov update of ``cell`` from its accepted neighbours only (the FMM rule)."""
    time_x = math.inf
    time_y = math.inf
    for k in range(NEIGHBOUR_DIRECTIONS):
        other = neighbours[cell, k]
        if other >= 0 and accepted[other]:
            if k < 2:
                time_x = min(time_x, travel_time[other])
            else:
                time_y = min(time_y, travel_time[other])
    return godunov_update(time_x, time_y, step_time)


@njit(cache=True)
def fast_marching(neighbours, slowness, cell_size, seed_time):
    """First-order fast marching: travel time from the seeds to every cell.

    neighbours  [n_cells, 4] int64   −x, +x, −y, +y neighbour index or −1 (links must be symmetric)
    slowness    [n_cells] float64    1/speed factor (dimensionless); a cell with a non-finite or
                                     non-positive slowness is impassable and stays at inf
    cell_size   float                lattice spacing (m)
    seed_time   [n_cells] float64    fixed time (m at unit speed) of seed cells, inf elsewhere;
                                     seeds are never updated (they may be negative)

    Returns travel_time [n_cells] float64 (m at unit speed), inf where unreachable.

    A heap with lazy deletion: a cell may be pushed once per improvement (at most once per
    neighbour accepted) and stale entries are skipped when popped, which is simpler and, on a
    4-neighbour table, no slower than a decrease-key heap.
    """
    n_cells = seed_time.shape[0]
    travel_time = np.full(n_cells, np.inf)
    accepted = np.zeros(n_cells, np.bool_)
    capacity = (NEIGHBOUR_DIRECTIONS + 1) * n_cells + 1
    keys = np.empty(capacity, np.float64)
    cells = np.empty(capacity, np.int64)
    size = 0
    for cell in range(n_cells):
        if math.isfinite(seed_time[cell]):
            travel_time[cell] = seed_time[cell]
            size = _heap_push(keys, cells, size, seed_time[cell], cell)
    while size > 0:
        key, cell, size = _heap_pop(keys, cells, size)
        if accepted[cell] or key > travel_time[cell]:
            continue  # stale entry: the cell was improved or accepted since this push
        accepted[cell] = True
        for k in range(NEIGHBOUR_DIRECTIONS):
            other = neighbours[cell, k]
            if other < 0 or accepted[other] or math.isfinite(seed_time[other]):
                continue
            cell_slowness = slowness[other]
            if not (cell_slowness > 0.0 and cell_slowness < math.inf):
                continue
            candidate = _known_update(
                neighbours, travel_time, accepted, cell_slowness * cell_size, other
            )
            if candidate < travel_time[other]:
                travel_time[other] = candidate
                size = _heap_push(keys, cells, size, candidate, other)
    return travel_time


@njit(cache=True)
def point_segment_distance(px, py, x1, y1, x2, y2):
    """Distance (m) from the point (px, py) to the segment (x1, y1)–(x2, y2)."""
    dx = x2 - x1
    dy = y2 - y1
    length2 = dx * dx + dy * dy
    t = 0.0
    if length2 > 0.0:
        t = min(1.0, max(0.0, ((px - x1) * dx + (py - y1) * dy) / length2))
    return math.hypot(px - (x1 + t * dx), py - (y1 + t * dy))


@njit(cache=True)
def nearest_segment_distance(neighbours, centre_x, centre_y, segments, seed_distance, seed_segment):
    """Distance from every cell centre to its nearest segment, by propagating nearest segments.

    neighbours     [n_cells, 4] int64   as for :func:`fast_marching`
    centre_x, _y   [n_cells] float64    cell centres (m)
    segments       [n_segments, 4] float64, (x1, y1, x2, y2) (m)
    seed_distance  [n_cells] float64    exact distance (m) for cells near a segment, inf elsewhere
    seed_segment   [n_cells] int64      the nearest segment of each seed cell, −1 elsewhere

    Returns (distance [n_cells] float64 (m), nearest [n_cells] int64); inf and −1 where no seed
    is reachable. Each cell, once final, hands its nearest segment to its neighbours, which keep it
    if it is nearer than what they have (a vector distance transform in the manner of Danielsson,
    1980): the distance is exact to the segment found, and the segment found is the nearest one
    except in rare configurations where it is off by a small fraction of a cell. Unlike a
    first-order eikonal solution it has no error along the ridges between two walls.
    """
    n_cells = seed_distance.shape[0]
    distance = seed_distance.copy()
    nearest = seed_segment.copy()
    accepted = np.zeros(n_cells, np.bool_)
    capacity = (NEIGHBOUR_DIRECTIONS + 1) * n_cells + 1
    keys = np.empty(capacity, np.float64)
    cells = np.empty(capacity, np.int64)
    size = 0
    for cell in range(n_cells):
        if math.isfinite(distance[cell]) and nearest[cell] >= 0:
            size = _heap_push(keys, cells, size, distance[cell], cell)
        else:
            distance[cell] = math.inf
            nearest[cell] = -1
    while size > 0:
        key, cell, size = _heap_pop(keys, cells, size)
        if accepted[cell] or key > distance[cell]:
            continue
        accepted[cell] = True
        k = nearest[cell]
        for slot in range(NEIGHBOUR_DIRECTIONS):
            other = neighbours[cell, slot]
            if other < 0 or accepted[other]:
                continue
            d = point_segment_distance(centre_x[other], centre_y[other], segments[k, 0],
                                       segments[k, 1], segments[k, 2], segments[k, 3])
            if d < distance[other]:
                distance[other] = d
                nearest[other] = k
                size = _heap_push(keys, cells, size, d, other)
    return distance, nearest


@njit(cache=True)
def _axis_descent(time_here, time_minus, time_plus, cell_size):
    """Descent component (−∂T/∂axis) from the two neighbours along one axis.

    Central difference when both are known. With one missing (a wall, a cut link, an unreachable
    cell), a one-sided difference, but never pointing towards the missing side: there is nothing
    to walk into there, so the component is dropped and the direction slides along the wall.
    """
    has_minus = math.isfinite(time_minus)
    has_plus = math.isfinite(time_plus)
    if has_minus and has_plus:
        return (time_minus - time_plus) / (2.0 * cell_size)
    if has_minus:
        return min(0.0, (time_minus - time_here) / cell_size)
    if has_plus:
        return max(0.0, (time_here - time_plus) / cell_size)
    return 0.0


@njit(cache=True)
def _neighbour_time(neighbours, travel_time, cell, k):
    other = neighbours[cell, k]
    if other < 0:
        return math.inf
    return travel_time[other]


@njit(cache=True)
def descent_directions(neighbours, travel_time, cell_size):
    """Unit vector of steepest descent of ``travel_time`` at every cell.

    neighbours   [n_cells, 4] int64    as for :func:`fast_marching`
    travel_time  [n_cells] float64     (m at unit speed), inf where unreachable
    cell_size    float                 (m)

    Returns direction [n_cells, 2] float64 (dimensionless unit vectors; (0, 0) where the time is
    not finite or no neighbour is lower). Neighbours across a portal are used like any other.
    If the differences cancel (a ridge between two exits, a one-cell-wide dead end), the direction
    falls back to the lowest neighbour, so no reachable cell but a minimum is left without one.
    """
    n_cells = travel_time.shape[0]
    direction = np.zeros((n_cells, 2), np.float64)
    for cell in range(n_cells):
        here = travel_time[cell]
        if not math.isfinite(here):
            continue
        descent_x = _axis_descent(
            here,
            _neighbour_time(neighbours, travel_time, cell, 0),
            _neighbour_time(neighbours, travel_time, cell, 1),
            cell_size,
        )
        descent_y = _axis_descent(
            here,
            _neighbour_time(neighbours, travel_time, cell, 2),
            _neighbour_time(neighbours, travel_time, cell, 3),
            cell_size,
        )
        norm = math.hypot(descent_x, descent_y)
        if norm > 0.0:
            direction[cell, 0] = descent_x / norm
            direction[cell, 1] = descent_y / norm
            continue
        lowest = here
        lowest_k = -1
        for k in range(NEIGHBOUR_DIRECTIONS):
            t = _neighbour_time(neighbours, travel_time, cell, k)
            if t < lowest:
                lowest = t
                lowest_k = k
        if lowest_k >= 0:
            # unit steps: −x, +x, −y, +y
            direction[cell, 0] = (-1.0, 1.0, 0.0, 0.0)[lowest_k]
            direction[cell, 1] = (0.0, 0.0, -1.0, 1.0)[lowest_k]
    return direction


@njit(cache=True)
def lookup_cell(origin_x, origin_y, nx, ny, offset, cell_size, space, x, y):
    """Index of the cell of raster ``space`` holding the point (x, y) (m), or −1.

    −1 when the space index is out of range, the point is not finite or it lies outside that
    space's raster. The cell need not be free: check ``free`` (or a finite travel time).
    Arrays are those of :class:`aforo.navigation.NavGrid`.
    """
    if space < 0 or space >= nx.shape[0]:
        return -1
    fx = (x - origin_x[space]) / cell_size
    fy = (y - origin_y[space]) / cell_size
    # compare as floats first: also rejects nan and values too large for an int
    if not (fx >= 0.0 and fx < nx[space] and fy >= 0.0 and fy < ny[space]):
        return -1
    ix = int(math.floor(fx))
    iy = int(math.floor(fy))
    if ix >= nx[space] or iy >= ny[space]:  # fx just below nx may round up
        return -1
    return offset[space] + iy * nx[space] + ix
