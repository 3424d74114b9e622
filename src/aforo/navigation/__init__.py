"""Navigation: distance fields over a multi-space venue (levels and stair flights).

:func:`build_grid` rasterises the spaces on one lattice and joins them across portals;
:func:`compute_field` gives the travel time to the nearest exit or target area and its descent
direction (see :mod:`aforo.navigation.field` for how exits, areas, closed doors, walls and stairs
are treated); :func:`cells_in` lists the cells of a space whose centres lie in a polygon;
:func:`direction_at` samples the direction at a point. Numba code that needs a cell uses
:func:`aforo.kernels.fmm.lookup_cell`.
"""

from aforo.navigation.field import NavField, compute_field, direction_at
from aforo.navigation.grid import NavGrid, build_grid, cells_in
from aforo.navigation.spaces import NavigationError, NavSpace, Segment

__all__ = [
    "NavField",
    "NavGrid",
    "NavSpace",
    "NavigationError",
    "Segment",
    "build_grid",
    "cells_in",
    "compute_field",
    "direction_at",
]
