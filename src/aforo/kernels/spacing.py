"""Room around a point: the free gap from a body placed there to the bodies around it."""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def free_gaps(x, y, radius, space, pos_x, pos_y, body_radius, body_space, present):
    """For each candidate body (x, y, radius, space): the smallest surface gap (m) to the bodies
    present in its space, +inf if none. Gaps are hypot(Δx, Δy) − r_body − r, as NumPy computes them.
    """
    out = np.full(x.size, np.inf)
    for k in range(x.size):
        for j in range(pos_x.size):
            if present[j] and body_space[j] == space[k]:
                gap = math.hypot(pos_x[j] - x[k], pos_y[j] - y[k]) - body_radius[j] - radius[k]
                if gap < out[k]:
                    out[k] = gap
    return out
