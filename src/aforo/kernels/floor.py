"""Walkers over bodies on the floor: slowed while over one, and their weight on it.

What lying means, and why each number is an assumption: :mod:`aforo.hazards.floor`. Both
kernels loop over the lying bodies (few, and none in most runs: they return after one pass over
the flags) and visit the agents in the 3 × 3 cells around each; the engine makes a cell edge at
least a radius plus a footprint, so every disc that can overlap a footprint is found. They
write to other agents than the one they loop over, so they run on one thread, in index order
(the same bits for any thread count).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from aforo.kernels.cells import neighbour_block
from aforo.kernels.social_force import may_interact

GRAVITY_M_PER_S2 = 9.81


@njit(cache=True)
def _any_lying(active, lying):
    for b in range(lying.size):
        if lying[b] and active[b]:
            return True
    return False


@njit(cache=True)
def slow_over_bodies(pos_x, pos_y, radius, space, active, lying, cell_start, cell_agents, agent_cell,
                     n_cells_x, n_cells_y, footprint, speed_factor, speed_now):
    """Upright agents whose disc overlaps a lying body's footprint (a disc of ``footprint`` × its
    radius) walk at ``speed_factor`` × their speed (once, however many bodies they are over)."""
    if speed_factor >= 1.0 or not _any_lying(active, lying):
        return
    over = np.zeros(pos_x.size, np.bool_)
    _underfoot(pos_x, pos_y, radius, np.zeros(0), space, active, lying, cell_start, cell_agents, agent_cell,
               n_cells_x, n_cells_y, footprint, over, 0.0, np.zeros(0), np.zeros(0))
    for j in range(pos_x.size):
        if over[j]:
            speed_now[j] *= speed_factor


@njit(cache=True)
def weight_on_bodies(pos_x, pos_y, radius, mass, space, active, lying, cell_start, cell_agents, agent_cell,
                     n_cells_x, n_cells_y, footprint, weight_fraction, contact_force, load_sum):
    """Each upright agent whose centre lies within a lying body's footprint adds
    ``weight_fraction`` × m g (N) to the body's contact force and to its load for harm."""
    if weight_fraction <= 0.0 or not _any_lying(active, lying):
        return
    _underfoot(pos_x, pos_y, radius, mass, space, active, lying, cell_start, cell_agents, agent_cell,
               n_cells_x, n_cells_y, footprint, np.zeros(0, np.bool_), weight_fraction, contact_force, load_sum)


@njit(cache=True)
def _underfoot(pos_x, pos_y, radius, mass, space, active, lying, cell_start, cell_agents, agent_cell,
               n_cells_x, n_cells_y, footprint, over, weight_fraction, contact_force, load_sum):
    """For every lying body and every upright agent of its space near it: mark the agent in
    ``over`` (when given) if its disc overlaps the body's footprint (radius ``footprint`` × r),
    and add the agent's weight share to the body's ``contact_force`` and ``load_sum`` (when a
    weight fraction is given) if its centre is over the footprint."""
    for b in range(pos_x.size):
        if not (lying[b] and active[b]):
            continue
        weight = 0.0
        reach = footprint * radius[b]
        row_first, row_end, x_first, x_end = neighbour_block(agent_cell[b], n_cells_x, n_cells_y)
        for row in range(row_first, row_end):
            for slot in range(cell_start[row * n_cells_x + x_first], cell_start[row * n_cells_x + x_end]):
                j = cell_agents[slot]
                if lying[j] or not active[j] or space[j] != space[b]:
                    continue
                dx = pos_x[j] - pos_x[b]
                dy = pos_y[j] - pos_y[b]
                distance = math.sqrt(dx * dx + dy * dy)
                if over.size and distance < radius[j] + reach:
                    over[j] = True
                if weight_fraction > 0.0 and distance < reach:
                    weight += weight_fraction * mass[j] * GRAVITY_M_PER_S2
        if weight_fraction > 0.0:
            contact_force[b] += weight
            load_sum[b] += weight


@njit(cache=True)
def stood_on(pos_x, pos_y, radius, space, elevation, active, lying, space_link, max_dz, footprint_factor):
    """Per agent: True for an active lying body with an upright active agent whose disc reaches
    over its footprint (``footprint_factor`` × its radius): no room to rise.

    An upright agent counts wherever it would press on the body once risen: in the body's
    space, or in a joined space at nearly the same height (the rule of the force pass,
    ``may_interact``). Counting the body's space only let a body at the foot of a stair rise
    under a walker standing on the stair side of the portal, and the risen pair, overlapping
    by most of a body, threw the body 16 m in half a second (a 15 kN contact).

    Between frames, over all pairs of bodies and upright agents (bodies are few); distances by
    libm's ``hypot``, as NumPy's."""
    covered = np.zeros(pos_x.size, np.bool_)
    for b in range(pos_x.size):
        if not (lying[b] and active[b]):
            continue
        reach = footprint_factor * radius[b]
        for j in range(pos_x.size):
            if not active[j] or lying[j]:
                continue
            if not may_interact(space[b], space[j], elevation[b], elevation[j], space_link, max_dz):
                continue
            if math.hypot(pos_x[j] - pos_x[b], pos_y[j] - pos_y[b]) < radius[j] + reach:
                covered[b] = True
                break
    return covered
