"""Walkers over bodies on the floor: slowed while over one, and their weight on it.

What lying means, and why each number is an assumption: :mod:`aforo.hazards.floor`. Both
kernels loop over the lying bodies (few, and none in most runs: they return after one pass over
the flags) and visit the agents in the 3 × 3 cells around each; the engine makes a cell edge at
least a radius plus a footprint, so every disc that can overlap a footprint is found. They
write to other agents than the one they loop over, so they run on one thread, in index order
(the same bits for any thread count). While the crowd stands still they read each body's
near agents from a list kept between steps (``body_cache``; the rule of kernels/pair_list.py):
in a crush with 38 bodies the cells hold 40 candidates a body, the list about 3.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from aforo.kernels.cells import neighbour_block
from aforo.kernels.pair_list import MOST_DRIFT_M, SKIN_M
from aforo.kernels.social_force import may_interact

GRAVITY_M_PER_S2 = 9.81
# A squared distance this far (relative) above a reach squared has a square root above the
# reach whatever the rounding: the candidate is skipped exactly when the tests would fail.
_FAR_SLACK = 1.0 + 1e-9
BODIES_CACHED = 512  # lying bodies whose near agents are kept (more: read from the cells)
NEAR_PER_BODY = 16  # room per body (a footprint of 0.5 m + skin holds about 3 standing people)


@njit(cache=True)
def _any_lying(active, lying):
    for b in range(lying.size):
        if lying[b] and active[b]:
            return True
    return False


@njit(cache=True)
def slow_over_bodies(pos_x, pos_y, radius, space, elevation, active, lying, cell_start, cell_agents, agent_cell,
                     n_cells_x, n_cells_y, space_link, max_dz, footprint, speed_factor, body_cache, speed_now):
    """Upright agents whose disc overlaps a lying body's footprint (a disc of ``footprint`` × its
    radius) walk at ``speed_factor`` × their speed (once, however many bodies they are over)."""
    if speed_factor >= 1.0 or not _any_lying(active, lying):
        return
    over = np.zeros(pos_x.size, np.bool_)
    _underfoot(pos_x, pos_y, radius, np.zeros(0), space, elevation, active, lying, cell_start, cell_agents, agent_cell,
               n_cells_x, n_cells_y, space_link, max_dz, footprint, body_cache, over, 0.0, np.zeros(0), np.zeros(0))
    for j in range(pos_x.size):
        if over[j]:
            speed_now[j] *= speed_factor


@njit(cache=True)
def weight_on_bodies(pos_x, pos_y, radius, mass, space, elevation, active, lying, cell_start, cell_agents,
                     agent_cell, n_cells_x, n_cells_y, space_link, max_dz, footprint, weight_fraction, body_cache,
                     contact_force, load_sum):
    """Each upright agent whose centre lies within a lying body's footprint adds
    ``weight_fraction`` × m g (N) to the body's contact force and to its load for harm."""
    if weight_fraction <= 0.0 or not _any_lying(active, lying):
        return
    _underfoot(pos_x, pos_y, radius, mass, space, elevation, active, lying, cell_start, cell_agents, agent_cell,
               n_cells_x, n_cells_y, space_link, max_dz, footprint, body_cache, np.zeros(0, np.bool_),
               weight_fraction, contact_force, load_sum)


@njit(cache=True)
def _underfoot(pos_x, pos_y, radius, mass, space, elevation, active, lying, cell_start, cell_agents, agent_cell,
               n_cells_x, n_cells_y, space_link, max_dz, footprint, body_cache, over, weight_fraction, contact_force,
               load_sum):
    """For every lying body and every upright agent near it, in its space or in a joined space
    at nearly its height (``may_interact``, as in the force pass and :func:`stood_on`): mark the agent in
    ``over`` (when given) if its disc overlaps the body's footprint (radius ``footprint`` × r),
    and add the agent's weight share to the body's ``contact_force`` and ``load_sum`` (when a
    weight fraction is given) if its centre is over the footprint.

    The agents near each body are read from ``body_cache`` while it holds (kernels/pair_list.py
    explains the rule: the upright agents of the body's 3 × 3 cells within reach + skin, listed
    in the cells' order, kept while no agent changes cell or moves a drift), else from the cells;
    the same agents are counted in the same order either way."""
    near_start, near_ids, state = body_cache[3], body_cache[4], body_cache[5]
    if not _near_bodies_hold(pos_x, pos_y, active, agent_cell, body_cache):
        _list_near_bodies(pos_x, pos_y, radius, active, lying, cell_start, cell_agents, agent_cell, n_cells_x,
                          n_cells_y, footprint, body_cache)
    listed = state[0] >= 0
    row = 0
    near = np.empty(0 if listed else pos_x.size, np.int64)
    for b in range(pos_x.size):
        if not (lying[b] and active[b]):
            continue
        if listed:
            first, end, ids = near_start[row], near_start[row + 1], near_ids
            row += 1
        else:
            first, end, ids = 0, _block_upright(b, active, lying, cell_start, cell_agents, agent_cell, n_cells_x,
                                                n_cells_y, near), near
        weight = 0.0
        reach = footprint * radius[b]
        for k in range(first, end):
            j = ids[k]
            if space[j] != space[b] and not may_interact(space[b], space[j], elevation[b], elevation[j], space_link,
                                                         max_dz):
                continue
            dx = pos_x[j] - pos_x[b]
            dy = pos_y[j] - pos_y[b]
            dist_sq = dx * dx + dy * dy
            if dist_sq > (radius[j] + reach) ** 2 * _FAR_SLACK:
                continue  # surely too far for both tests below (reach ≤ r_j + reach): no square root
            distance = math.sqrt(dist_sq)
            if over.size and distance < radius[j] + reach:
                over[j] = True
            if weight_fraction > 0.0 and distance < reach:
                weight += weight_fraction * mass[j] * GRAVITY_M_PER_S2
        if weight_fraction > 0.0:
            contact_force[b] += weight
            load_sum[b] += weight


@njit(cache=True)
def _block_upright(b, active, lying, cell_start, cell_agents, agent_cell, n_cells_x, n_cells_y, out):
    """The upright active agents of body b's 3 × 3 cells into ``out``, in the cells' order; returns
    how many."""
    count = 0
    row_first, row_end, x_first, x_end = neighbour_block(agent_cell[b], n_cells_x, n_cells_y)
    for row in range(row_first, row_end):
        for slot in range(cell_start[row * n_cells_x + x_first], cell_start[row * n_cells_x + x_end]):
            j = cell_agents[slot]
            if not lying[j] and active[j]:
                out[count] = j
                count += 1
    return count


def new_body_cache(n_agents: int) -> tuple:
    """An empty cache of the upright agents near each lying body, for ``n_agents`` agents.

    (cached_cell, cached_x, cached_y, near_start, near_ids, state): each agent's cell and
    position when the lists were made; per lying body, in index order, its near agents (CSR); ``state[0]``, the number of bodies listed, −1 when the lists must be
    made again (the pipeline invalidates them at each call: ``invalidate_body_cache``).
    """
    n = max(n_agents, 1)
    bodies = min(n, BODIES_CACHED)
    return (np.full(n, -2, np.int64), np.zeros(n), np.zeros(n), np.zeros(bodies + 1, np.int64),
            np.zeros(NEAR_PER_BODY * bodies, np.int64), np.full(1, -1, np.int64))


@njit(cache=True)
def invalidate_body_cache(body_cache):
    body_cache[5][0] = -1


@njit(cache=True)
def _near_bodies_hold(pos_x, pos_y, active, agent_cell, body_cache):
    """True when every agent is in the cell it was in when the lists were made, and no active
    one has moved more than the drift since."""
    cached_cell, cached_x, cached_y, state = body_cache[0], body_cache[1], body_cache[2], body_cache[5]
    if state[0] < 0:
        return False
    most_sq = MOST_DRIFT_M * MOST_DRIFT_M
    for i in range(pos_x.size):
        if agent_cell[i] != cached_cell[i]:
            return False
        if active[i]:
            dx = pos_x[i] - cached_x[i]
            dy = pos_y[i] - cached_y[i]
            if dx * dx + dy * dy > most_sq:
                return False
    return True


@njit(cache=True)
def _list_near_bodies(pos_x, pos_y, radius, active, lying, cell_start, cell_agents, agent_cell, n_cells_x,
                      n_cells_y, footprint, body_cache):
    """Per lying body, the upright agents of its cells within r_j + footprint × r_b + skin, in
    the cells' order; ``state[0]`` stays −1 when they do not fit (read from the cells then)."""
    cached_cell, cached_x, cached_y, near_start, near_ids, state = body_cache
    state[0] = -1
    entry = 0
    row = 0
    near_start[0] = 0
    for b in range(pos_x.size):
        if not (lying[b] and active[b]):
            continue
        if row == near_start.size - 1:  # no room for another body
            return
        reach = footprint * radius[b] + SKIN_M
        row_first, row_end, x_first, x_end = neighbour_block(agent_cell[b], n_cells_x, n_cells_y)
        for cell_row in range(row_first, row_end):
            for slot in range(cell_start[cell_row * n_cells_x + x_first], cell_start[cell_row * n_cells_x + x_end]):
                j = cell_agents[slot]
                if lying[j] or not active[j]:
                    continue
                dx = pos_x[j] - pos_x[b]
                dy = pos_y[j] - pos_y[b]
                if dx * dx + dy * dy > (radius[j] + reach) ** 2 * _FAR_SLACK:
                    continue
                if entry == near_ids.size:
                    return
                near_ids[entry] = j
                entry += 1
        row += 1
        near_start[row] = entry
    for i in range(pos_x.size):
        cached_cell[i] = agent_cell[i]
        cached_x[i] = pos_x[i]
        cached_y[i] = pos_y[i]
    state[0] = row


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
