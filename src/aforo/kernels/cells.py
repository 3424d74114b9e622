"""Cell lists: agents and wall segments binned on one uniform plan grid.

The grid covers the venue's bounding box in plan. With a cell edge at least the interaction cutoff,
every partner of an agent lies in its own cell or one of the eight around it, so the neighbour
search is O(N) per step. Spaces that overlap in plan (floors above each other) share cells; the
force kernels filter partners by space.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def neighbour_block(c, n_cells_x, n_cells_y):
    """The 3 × 3 block of cells around cell ``c``, clipped to the grid: (first row, end row,
    first column, end column). Within a row the block's cells are consecutive in cell order, so
    its agents are the slots ``cell_start[row * n_cells_x + first column]`` up to
    ``cell_start[row * n_cells_x + end column]``."""
    cx = c % n_cells_x
    cy = c // n_cells_x
    return max(cy - 1, 0), min(cy + 2, n_cells_y), max(cx - 1, 0), min(cx + 2, n_cells_x)


@njit(cache=True)
def cell_index(x, y, x_min, y_min, cell_size, n_cells_x, n_cells_y):
    """Index of the cell holding (x, y); points off the grid are clamped to its border cells."""
    cx = int((x - x_min) / cell_size)
    cy = int((y - y_min) / cell_size)
    if cx < 0:
        cx = 0
    elif cx >= n_cells_x:
        cx = n_cells_x - 1
    if cy < 0:
        cy = 0
    elif cy >= n_cells_y:
        cy = n_cells_y - 1
    return cy * n_cells_x + cx


@njit(cache=True)
def build_agent_cells(pos_x, pos_y, active, x_min, y_min, cell_size, n_cells_x, n_cells_y, rank=None):
    """Counting sort of active agents into cells.

    Returns (cell_start [n_cells + 1], cell_agents [n_active], agent_cell [n]); the agents of cell
    c are cell_agents[cell_start[c]:cell_start[c + 1]] in increasing index, so the order (and the
    floating-point sums that follow it) is deterministic. Inactive agents get agent_cell = −1.

    With ``rank`` (optional) a cell holds its agents in increasing rank instead: the engine
    stores large crowds in cell order for a frame and passes each agent's original index, so
    that every sum over neighbours comes out as it would without the reordering.
    """
    n = pos_x.size
    n_cells = n_cells_x * n_cells_y
    agent_cell = np.empty(n, np.int64)
    cell_start = np.zeros(n_cells + 1, np.int64)
    for i in range(n):
        if active[i]:
            c = cell_index(pos_x[i], pos_y[i], x_min, y_min, cell_size, n_cells_x, n_cells_y)
            agent_cell[i] = c
            cell_start[c + 1] += 1
        else:
            agent_cell[i] = -1
    for c in range(n_cells):
        cell_start[c + 1] += cell_start[c]
    cursor = cell_start[:-1].copy()
    cell_agents = np.empty(cell_start[n_cells], np.int64)
    for i in range(n):
        c = agent_cell[i]
        if c >= 0:
            cell_agents[cursor[c]] = i
            cursor[c] += 1
    if rank is not None:
        for c in range(n_cells):
            _sort_by_rank(cell_agents, cell_start[c], cell_start[c + 1], rank)
    return cell_start, cell_agents, agent_cell


@njit(cache=True, inline="always")
def _sort_by_rank(agents, first, end, rank):
    """Insertion sort of agents[first:end] by rank (a cell holds a few agents, nearly in order)."""
    for a in range(first + 1, end):
        agent = agents[a]
        key = rank[agent]
        b = a - 1
        while b >= first and rank[agents[b]] > key:
            agents[b + 1] = agents[b]
            b -= 1
        agents[b + 1] = agent


@njit(cache=True)
def _wall_cell_box(walls, w, x_min, y_min, cell_size, n_cells_x, n_cells_y):
    """Cell range (cx0, cx1, cy0, cy1) within one cell edge of wall w's bounding box."""
    lo_x = min(walls[w, 0], walls[w, 2]) - cell_size
    hi_x = max(walls[w, 0], walls[w, 2]) + cell_size
    lo_y = min(walls[w, 1], walls[w, 3]) - cell_size
    hi_y = max(walls[w, 1], walls[w, 3]) + cell_size
    cx0 = max(0, int((lo_x - x_min) / cell_size))
    cx1 = min(n_cells_x - 1, int((hi_x - x_min) / cell_size))
    cy0 = max(0, int((lo_y - y_min) / cell_size))
    cy1 = min(n_cells_y - 1, int((hi_y - y_min) / cell_size))
    return cx0, cx1, cy0, cy1


@njit(cache=True)
def build_wall_cells(walls, x_min, y_min, cell_size, n_cells_x, n_cells_y):
    """Register each wall segment in every cell within one cell edge of the segment's bounding box.

    ``walls`` is [n_walls, 4] (x1, y1, x2, y2). An agent then finds every wall within the cutoff
    by reading its own cell's list only, each wall once. Returns (wall_cell_start, wall_cell_ids).
    """
    n_cells = n_cells_x * n_cells_y
    start = np.zeros(n_cells + 1, np.int64)
    for w in range(walls.shape[0]):
        cx0, cx1, cy0, cy1 = _wall_cell_box(walls, w, x_min, y_min, cell_size, n_cells_x, n_cells_y)
        for cy in range(cy0, cy1 + 1):
            for cx in range(cx0, cx1 + 1):
                start[cy * n_cells_x + cx + 1] += 1
    for c in range(n_cells):
        start[c + 1] += start[c]
    ids = np.empty(start[n_cells], np.int64)
    cursor = start[:-1].copy()
    for w in range(walls.shape[0]):
        cx0, cx1, cy0, cy1 = _wall_cell_box(walls, w, x_min, y_min, cell_size, n_cells_x, n_cells_y)
        for cy in range(cy0, cy1 + 1):
            for cx in range(cx0, cx1 + 1):
                c = cy * n_cells_x + cx
                ids[cursor[c]] = w
                cursor[c] += 1
    return start, ids
