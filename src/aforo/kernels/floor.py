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
def stood_on(pos_x, pos_y, radius, space, elevation, active, lying, time_lying_s, space_link, max_dz,
             footprint_factor):
    """Per agent: True for an active lying body with no room to rise: an upright active agent's
    disc reaches over its footprint (``footprint_factor`` × its radius), or a body that went
    down after it (``time_lying_s``; the higher index on a tie) lies on its standing disc.

    Others count wherever they would press on the body once risen: in the body's space, or in
    a joined space at nearly the same height (the rule of the force pass, ``may_interact``).
    Lying bodies exert no force on each other, so they can come to lie inside one another.
    Two cases went wrong before this rule:
    - A pile that rose together stood inside itself. Five bodies lay on one spot at a stair
      foot; three rose in one frame, and the repulsion, about 500 kN at full overlap, threw
      two of them 16 m.
    - A body at a portal rose under a walker standing on the other side.
    Now only the top of a pile gets up, and the next one after it has stepped off.

    Between frames, over all pairs of bodies and other agents (bodies are few); distances by
    libm's ``hypot``, as NumPy's."""
    covered = np.zeros(pos_x.size, np.bool_)
    for b in range(pos_x.size):
        if not (lying[b] and active[b]):
            continue
        for j in range(pos_x.size):
            if j == b or not active[j]:
                continue
            if not may_interact(space[b], space[j], elevation[b], elevation[j], space_link, max_dz):
                continue
            if lying[j]:  # on top of b if it went down later
                on_top = time_lying_s[j] > time_lying_s[b] or (time_lying_s[j] == time_lying_s[b] and j > b)
                reach = radius[j] + radius[b]
            else:
                on_top = True
                reach = radius[j] + footprint_factor * radius[b]
            if on_top and math.hypot(pos_x[j] - pos_x[b], pos_y[j] - pos_y[b]) < reach:
                covered[b] = True
                break
    return covered
