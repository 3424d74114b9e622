"""Local density: people per square metre around each agent."""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from aforo.kernels.cells import build_agent_cells
from aforo.kernels.serial import serial_twin


@njit(cache=True, parallel=True)
def local_density(pos_x, pos_y, space, active, disc_radius_m, x_min, y_min, n_cells_x, n_cells_y):
    """Agents of the same space whose centre lies within ``disc_radius_m`` of each agent's centre
    (itself included), divided by the disc's area (1/m²). Inactive agents get 0.

    The grid cell edge is the disc radius, so the 3 × 3 cells around an agent hold every centre
    of its disc.
    """
    cell_start, cell_agents, agent_cell = build_agent_cells(
        pos_x, pos_y, active, x_min, y_min, disc_radius_m, n_cells_x, n_cells_y
    )
    n = pos_x.size
    out = np.zeros(n)
    area = math.pi * disc_radius_m * disc_radius_m
    r2 = disc_radius_m * disc_radius_m
    for i in prange(n):
        if not active[i]:
            continue
        c = agent_cell[i]
        cx = c % n_cells_x
        cy = c // n_cells_x
        count = 0
        for ny_ in range(max(cy - 1, 0), min(cy + 2, n_cells_y)):
            for nx_ in range(max(cx - 1, 0), min(cx + 2, n_cells_x)):
                nc = ny_ * n_cells_x + nx_
                for slot in range(cell_start[nc], cell_start[nc + 1]):
                    j = cell_agents[slot]
                    if space[j] != space[i]:
                        continue
                    dx = pos_x[i] - pos_x[j]
                    dy = pos_y[i] - pos_y[j]
                    if dx * dx + dy * dy <= r2:
                        count += 1
        out[i] = count / area
    return out


# Small crowds count on one thread without starting a parallel region (kernels/serial.py).
local_density_serial = serial_twin(local_density)
