"""A pair list for the serial force pass, kept while the crowd stands still (a Verlet list).

The serial force pass (``social_force.smooth_forces_pairwise``) visits the agents in cell order
and takes each one's pairs with the partners listed after it in its 3 × 3 block of cells. Most
of those candidates are out of range: the block is 16 m² with the usual 1.35 m cells, the range
(``cutoff`` beyond contact) a disc of about 3.5 m². This module lists, per agent in cell order,
the later partners of its block that were within reach plus a skin of :data:`SKIN_M` when the
list was made, in the order the block gives them. Pairs that cannot act are left out:

- pairs beyond reach + skin, unless one of the two keeps a headway (the gap ahead is looked
  for at any distance in the block, kernels/steering.py);
- pairs with a body on the floor (they exert no forces and block no view; ``lying`` changes
  only between calls of the pipeline);
- pairs in spaces that are not joined (the list holds while nobody changes space).

The list holds (:func:`pair_cache_holds`) while the cell lists are those it was made from (the
same agents in the same cells, hence the same slots and blocks), in the same spaces, and no
listed agent has moved
more than :data:`MOST_DRIFT_M` since: a pair left out was then more than skin − 2 × drift
beyond reach, far from the boundary the force pass decides, so the pass does everything it
would do with the cells, in the same order — the same bits. The engine's pipeline invalidates
it at each call (``invalidate_pair_cache``): between calls agents are renumbered (large crowds),
headways and bodies on the floor change.

In the Los Olivos crush the crowd stands for minutes: the list lasts thousands of steps and a
pass reads a third of the candidates. In a walking crowd of a few hundred someone changes cell
every step, and making a list that is dropped at once cost a fifth of the pass (500 walkers:
4.0 → 3.3 × 10⁶ agent-steps/s); so after a list that did not last a step the pass reads the
cells for a few steps before trying again (:func:`list_worth_making`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from aforo.kernels.cells import neighbour_block
from aforo.kernels.geometry import closest_point_on_segment

SKIN_M = 0.1  # reach beyond the force range kept in the list (m)
MOST_DRIFT_M = 0.45 * SKIN_M  # movement after which the list is made again (m); < skin / 2
_REACH_SLACK = 1e-9  # relative: a pair at the reach's edge is kept, whatever the rounding
SLOTS_CACHED = 1024  # agents whose list is kept; larger crowds are listed in chunks each step
PAIRS_PER_SLOT = 48  # room in the list per agent (a crush: about 12 within reach + skin)
WALLS_PER_SLOT = 8  # room in the wall list per agent (a corner: 2 or 3 within reach + skin)
BACK_OFF_STEPS = 8  # steps without a list after one that did not last a step


def new_pair_cache(n_agents: int) -> tuple:
    """An empty pair cache for a pipeline over ``n_agents`` agents (arrays reused every step).

    (cached_agent, cached_cell, cached_x, cached_y, pair_start, pair_slot, state, agent_row,
    wall_start, wall_ids, cached_space): per slot of the cell lists when the list was made, the
    agent, its cell, position (and, last, space); the CSR pair list; ``state[0]``, the number
    of listed agents it was made for, −1 when it must be made again, ``state[1]``, 1 when
    the walls are listed too: per slot, the walls of the agent's cell in its space within
    reach + skin (CSR ``wall_start``, ``wall_ids``; ``agent_row`` gives an agent's slot);
    ``state[2]``, the steps the list has been kept, ``state[3]``, steps left without a list
    (:func:`list_worth_making`). The pair list has room for at least ``n_agents`` pairs, so
    one agent's pairs always fit.
    """
    slots = max(1, min(n_agents, SLOTS_CACHED))
    return (
        np.zeros(slots, np.int64),
        np.zeros(slots, np.int64),
        np.zeros(slots),
        np.zeros(slots),
        np.zeros(slots + 1, np.int64),
        np.zeros(max(n_agents, PAIRS_PER_SLOT * slots), np.int64),
        np.array([-1, 0, 0, 0], np.int64),
        np.zeros(max(n_agents, 1), np.int64),
        np.zeros(slots + 1, np.int64),
        np.zeros(WALLS_PER_SLOT * slots, np.int64),
        np.zeros(slots, np.int64),
    )


@njit(cache=True)
def list_worth_making(state):
    """Whether the force pass should make a list this step (the last one no longer holds).

    Not when the last list did not last a single step (a walking crowd, where someone changes
    cell every step: making the list then costs more than reading the cells), nor for the
    :data:`BACK_OFF_STEPS` steps after that; then it is tried again. Either way the results
    are the same bits: the pass reads the same candidates, from the list or from the cells.
    """
    if state[3] > 0:
        state[3] -= 1
        return False
    if state[0] >= 0 and state[2] == 0:
        state[0] = -1
        state[3] = BACK_OFF_STEPS - 1  # this step is the first without
        return False
    return True


@njit(cache=True)
def invalidate_pair_cache(pair_cache):
    """Make the next force pass list its pairs afresh."""
    pair_cache[6][0] = -1


@njit(cache=True)
def pair_cache_holds(cell_agents, agent_cell, cell_x, cell_y, cell_space, pair_cache):
    """True when the listed pairs are still every pair that can act: the same agents in the
    same cells and spaces as when the list was made, none moved more than :data:`MOST_DRIFT_M`."""
    cached_agent, cached_cell, cached_x, cached_y, state, cached_space = (
        pair_cache[0], pair_cache[1], pair_cache[2], pair_cache[3], pair_cache[6], pair_cache[10])
    n_listed = cell_agents.size
    if state[0] != n_listed:
        return False
    most_sq = MOST_DRIFT_M * MOST_DRIFT_M
    for slot in range(n_listed):
        i = cell_agents[slot]
        if i != cached_agent[slot] or agent_cell[i] != cached_cell[slot] or cell_space[slot] != cached_space[slot]:
            return False
        dx = cell_x[slot] - cached_x[slot]
        dy = cell_y[slot] - cached_y[slot]
        if dx * dx + dy * dy > most_sq:
            return False
    return True


@njit(cache=True)
def list_pairs(first_own, cell_start, cell_agents, agent_cell, n_cells_x, n_cells_y, cell_x, cell_y, cell_radius,
               cell_space, space_link, headway_time, lying, cutoff, pair_cache):
    """List the pairs of the agents in slots ``first_own``… (cell order) with their later
    partners, as far as the list has room; returns the slot after the last agent listed.

    Agent ``own``'s pairs are ``pair_slot[pair_start[own − first_own]:pair_start[own − first_own + 1]]``.
    When every agent fits from slot 0, the list is kept for the next passes (``state[0]``).
    """
    cached_agent, cached_cell, cached_x, cached_y, pair_start, pair_slot, state = pair_cache[:7]
    cached_space = pair_cache[10]
    n_listed = cell_agents.size
    if pair_slot.size < n_listed:  # a programming error: one agent's pairs might not fit
        raise ValueError("pair cache made for fewer agents than are listed")
    state[0] = -1
    state[1] = 0
    state[2] = 0  # steps the new list has been kept (list_worth_making)
    pair = 0
    pair_start[0] = 0
    own = first_own
    while own < n_listed and own - first_own < pair_start.size - 1:
        i = cell_agents[own]
        row_first, row_end, x_first, x_end = neighbour_block(agent_cell[i], n_cells_x, n_cells_y)
        most = 0  # candidates at most: stop before an agent whose pairs might not fit
        for row in range(row_first, row_end):
            most += max(cell_start[row * n_cells_x + x_end] - max(cell_start[row * n_cells_x + x_first], own + 1), 0)
        if pair + most > pair_slot.size and own > first_own:
            break
        if not lying[i]:
            xi = cell_x[own]
            yi = cell_y[own]
            ri = cell_radius[own]
            looks_i = headway_time[i] > 0.0
            for row in range(row_first, row_end):
                first = max(cell_start[row * n_cells_x + x_first], own + 1)  # later partners only
                for slot in range(first, cell_start[row * n_cells_x + x_end]):
                    j = cell_agents[slot]
                    if lying[j]:
                        continue
                    if cell_space[slot] != cell_space[own] and not space_link[cell_space[own], cell_space[slot]]:
                        continue  # spaces never joined (the list holds while nobody changes space)
                    if not (looks_i or headway_time[j] > 0.0):
                        dx = xi - cell_x[slot]
                        dy = yi - cell_y[slot]
                        reach = cutoff + ri + cell_radius[slot] + SKIN_M
                        if dx * dx + dy * dy > reach * reach * (1.0 + _REACH_SLACK):
                            continue
                    pair_slot[pair] = slot
                    pair += 1
        own += 1
        pair_start[own - first_own] = pair
    if first_own == 0 and own == n_listed and n_listed <= cached_agent.size:
        for slot in range(n_listed):
            i = cell_agents[slot]
            cached_agent[slot] = i
            cached_cell[slot] = agent_cell[i]
            cached_x[slot] = cell_x[slot]
            cached_y[slot] = cell_y[slot]
            cached_space[slot] = cell_space[slot]
        state[0] = n_listed
    return own


@njit(cache=True)
def list_walls(cell_agents, agent_cell, cell_x, cell_y, cell_radius, cell_space, wall_cell_start, wall_cell_ids, walls,
               wall_space, cutoff, pair_cache):
    """After a complete :func:`list_pairs`: per slot, the walls of the agent's cell in its space
    within reach + skin of it, in the cell's order (``state[1]`` = 1), or nothing when they do
    not fit (``state[1]`` = 0: the force pass reads the cells' walls).

    The force pass skips a wall of another space or beyond reach (``add_wall_forces``); a wall
    left out here is of another space (the list holds while nobody changes space) or more than
    reach + skin − drift away, so the pass skips the same walls.
    """
    state, agent_row, wall_start, wall_ids = pair_cache[6], pair_cache[7], pair_cache[8], pair_cache[9]
    state[1] = 0
    entry = 0
    wall_start[0] = 0
    for slot in range(cell_agents.size):
        i = cell_agents[slot]
        c = agent_cell[i]
        x = cell_x[slot]
        y = cell_y[slot]
        reach = cutoff + cell_radius[slot] + SKIN_M
        for listed in range(wall_cell_start[c], wall_cell_start[c + 1]):
            w = wall_cell_ids[listed]
            if wall_space[w] != cell_space[slot]:
                continue
            qx, qy = closest_point_on_segment(x, y, walls[w, 0], walls[w, 1], walls[w, 2], walls[w, 3])
            if (x - qx) ** 2 + (y - qy) ** 2 > reach * reach * (1.0 + _REACH_SLACK):
                continue
            if entry == wall_ids.size:
                return
            wall_ids[entry] = w
            entry += 1
        wall_start[slot + 1] = entry
        agent_row[i] = slot
    state[1] = 1
