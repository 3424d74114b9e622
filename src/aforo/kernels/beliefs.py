"""Beliefs spreading between neighbours."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from aforo.kernels.cells import build_agent_cells


@njit(cache=True)
def share_beliefs(pos_x, pos_y, space, active, beliefs, radius_m, probability, seed,
                  x_min, y_min, n_cells_x, n_cells_y):
    """One round of telling: every agent holding belief bits passes each bit to each neighbour
    of the same space within ``radius_m`` with ``probability``. Returns the new bit masks.

    Sequential with its own seeded generator, so a run is reproducible; bits learnt this round
    are passed on only from the next round (telling takes time).
    """
    np.random.seed(seed)
    cell_start, cell_agents, agent_cell = build_agent_cells(
        pos_x, pos_y, active, x_min, y_min, radius_m, n_cells_x, n_cells_y
    )
    out = beliefs.copy()
    r2 = radius_m * radius_m
    for i in range(pos_x.size):
        if not active[i] or beliefs[i] == 0:
            continue
        c = agent_cell[i]
        cx = c % n_cells_x
        cy = c // n_cells_x
        for ny_ in range(max(cy - 1, 0), min(cy + 2, n_cells_y)):
            for nx_ in range(max(cx - 1, 0), min(cx + 2, n_cells_x)):
                nc = ny_ * n_cells_x + nx_
                for slot in range(cell_start[nc], cell_start[nc + 1]):
                    j = cell_agents[slot]
                    if j == i or space[j] != space[i]:
                        continue
                    if (pos_x[i] - pos_x[j]) ** 2 + (pos_y[i] - pos_y[j]) ** 2 > r2:
                        continue
                    news = beliefs[i] & ~out[j]
                    bit = 0
                    while news != 0:
                        if news & 1:
                            if np.random.random() < probability:
                                out[j] |= np.int64(1) << np.int64(bit)
                        news >>= 1
                        bit += 1
    return out


def share_probability(rate_per_s: float, interval_s: float) -> float:
    """Chance that a rate-``rate_per_s`` telling happens within ``interval_s``."""
    return 1.0 - math.exp(-rate_per_s * interval_s)


@njit(cache=True)
def stuck_at_door(pos_x, pos_y, vel_x, vel_y, dir_x, dir_y, space, active, moving, hold_force, door_space, x1, y1,
                  x2, y2, bit, interval_s, learn_time_s, stuck_speed, reach, stuck_s, blocked, near_any):
    """One shut door, one frame of learning: agents of its space that walk (``moving``, holding
    no post) but stand still (speed below ``stuck_speed``) within ``reach`` (m) of the door
    line, facing it, are marked in ``near_any`` and stand ``interval_s`` longer; once they have
    stood ``learn_time_s`` they believe the door blocked (``bit`` set in ``blocked``). Returns
    whether anyone came to believe it now. Agents not marked by any door are the caller's to
    reset. Distances as NumPy computes them (hypot; the nearest point of the segment).
    """
    learnt = False
    sx = x2 - x1
    sy = y2 - y1
    length_sq = sx * sx + sy * sy
    for i in range(pos_x.size):
        if not (active[i] and moving[i] and hold_force[i] == 0 and space[i] == door_space):
            continue
        if not math.hypot(vel_x[i], vel_y[i]) < stuck_speed:
            continue
        t = 0.0
        if length_sq > 0:
            t = min(max(((pos_x[i] - x1) * sx + (pos_y[i] - y1) * sy) / length_sq, 0.0), 1.0)
        to_x = x1 + t * sx - pos_x[i]
        to_y = y1 + t * sy - pos_y[i]
        if math.hypot(to_x, to_y) <= reach and to_x * dir_x[i] + to_y * dir_y[i] > 0:
            near_any[i] = True
            stuck_s[i] += interval_s
            if stuck_s[i] >= learn_time_s and (blocked[i] & bit) == 0:
                blocked[i] |= bit
                learnt = True
    return learnt
