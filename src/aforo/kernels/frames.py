"""Measures the observers take at every recorded frame (engine/metrics.py), in one pass each
instead of a dozen NumPy calls: a Los Olivos night records 5 400 frames of 132 people."""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def box_area_frame(pos_x, pos_y, space, active, contact_force, radius, area_space, x0, y0, x1, y1):
    """For each area a (an open rectangle x0 < x < x1, y0 < y < y1 on space area_space[a]):
    the number of active agents whose centre is inside, and the one among them with the
    largest compression contact_force / (2π r) (N/m), the first in index order on a tie (as
    ``np.argmax``; a NaN counts as the largest). Returns (count, worst agent or −1, its
    compression or 0)."""
    n_areas = area_space.size
    count = np.zeros(n_areas, np.int64)
    worst_agent = np.full(n_areas, -1, np.int64)
    worst = np.zeros(n_areas)
    two_pi = 2.0 * np.pi
    for i in range(pos_x.size):
        if not active[i]:
            continue
        x = pos_x[i]
        y = pos_y[i]
        for a in range(n_areas):
            if space[i] != area_space[a] or not (x > x0[a] and x < x1[a] and y > y0[a] and y < y1[a]):
                continue
            count[a] += 1
            c = contact_force[i] / (two_pi * radius[i])
            if worst_agent[a] < 0 or (not math.isnan(worst[a]) and (c > worst[a] or math.isnan(c))):
                worst_agent[a] = i
                worst[a] = c
    return count, worst_agent, worst


@njit(cache=True)
def active_peaks(active, contact_force, radius):
    """The agents with the largest compression contact_force / (2π r) (N/m) and the largest
    contact force (N), inactive agents counting as 0, and those values: as ``np.argmax`` of
    ``np.where(active, values, 0.0)`` (the first on a tie; a NaN counts as the largest).
    Returns (agent, compression, agent, contact force); agent 0 and 0.0 when nobody is active
    or the arrays are empty (−1 then)."""
    n = active.size
    if n == 0:
        return -1, 0.0, -1, 0.0
    two_pi = 2.0 * np.pi
    best_c = 0
    value_c = contact_force[0] / (two_pi * radius[0]) if active[0] else 0.0
    best_f = 0
    value_f = contact_force[0] if active[0] else 0.0
    for i in range(1, n):
        c = contact_force[i] / (two_pi * radius[i]) if active[i] else 0.0
        f = contact_force[i] if active[i] else 0.0
        if not math.isnan(value_c) and (c > value_c or math.isnan(c)):
            best_c = i
            value_c = c
        if not math.isnan(value_f) and (f > value_f or math.isnan(f)):
            best_f = i
            value_f = f
    return best_c, value_c, best_f, value_f


@njit(cache=True)
def trajectory_rows(idx, pos_x, pos_y, elevation, vel_x, vel_y, contact_force, radius, population, space, health,
                    limp, lying, cs, cs_dose, fed, extinction):
    """The trajectory rows of agents ``idx``: the float32 columns x, y, elevation, vx, vy,
    contact force, compression (contact force / 2π r), CS now, CS dose, FED, extinction (one
    row per agent), and agent (int32), population and space (int16), health (int8), limp, lying —
    each converted as ``astype`` converts it (engine/trajectories.py)."""
    n = idx.size
    floats = np.empty((n, 11), np.float32)
    agent = np.empty(n, np.int32)
    population_code = np.empty(n, np.int16)
    space_code = np.empty(n, np.int16)
    health_code = np.empty(n, np.int8)
    limp_flag = np.empty(n, np.bool_)
    lying_flag = np.empty(n, np.bool_)
    two_pi = 2.0 * np.pi
    for r in range(n):
        i = idx[r]
        floats[r, 0] = pos_x[i]
        floats[r, 1] = pos_y[i]
        floats[r, 2] = elevation[i]
        floats[r, 3] = vel_x[i]
        floats[r, 4] = vel_y[i]
        floats[r, 5] = contact_force[i]
        floats[r, 6] = contact_force[i] / (two_pi * radius[i])
        floats[r, 7] = cs[i]
        floats[r, 8] = cs_dose[i]
        floats[r, 9] = fed[i]
        floats[r, 10] = extinction[i]
        agent[r] = idx[r]
        population_code[r] = population[i]
        space_code[r] = space[i]
        health_code[r] = health[i]
        limp_flag[r] = limp[i]
        lying_flag[r] = lying[i]
    return floats, agent, population_code, space_code, health_code, limp_flag, lying_flag
