"""The smooth force pass: each agent's social forces from its neighbours and walls, once a step.

Per agent it sums the smooth HFV repulsion A·exp(−gap/B) of every partner within the range
(``cutoff`` beyond contact) and of its walls, lists the partners and walls close enough to be
stiff (kernels/social_force.py integrates those in the contact sub-steps), and measures the free
gap ahead for agents that keep a headway (kernels/steering.py).

Every agent's sum is built in one order, the *block order*: its partners in increasing slot of
the cell lists (the 3 × 3 block of cells around it, row by row), then its walls. Any thread
count gives the same bits.

Each pair is evaluated once, from the end that comes first in cell order, and its terms are
added to both running sums (equal and opposite to the last bit). Visiting the agents in cell
order, an agent's sum receives the terms of its earlier partners while they are visited, then
its own visit adds the later ones: block order.

- On one thread (:func:`smooth_forces_pairwise`, the serial twin) the agents are visited in cell
  order, the candidates read from the cells or from a kept pair list (kernels/pair_list.py).
- On several (:func:`smooth_forces`) the rows of cells are cut into stripes, one per thread. A
  pair across a stripe's lower edge (an agent in the last row of one stripe, its partner in the
  first row of the next) is evaluated by both stripes: each writes only its own side. The next
  stripe visits that row (its "ghost" row) first, so its first row's sums still receive their
  earlier partners' terms before their own visits add the later ones. One row in about
  n_rows / n_threads is evaluated twice, instead of every pair.

A visit that reads the cells works in two stages. It first goes through the candidates without
a branch each and keeps those that can matter: within reach, or in the path of one of the two
when it keeps a headway. Most are out of reach: at 2 /m² an agent has 33 candidates in its
block and 5.8 partners within reach (100 000 agents leaving a room). It then takes the kept
ones in order with the full law. A visit that reads a kept pair list (mostly pairs
within reach) takes them directly.

At 100 000 agents walking out of a room (a snapshot, 2 threads) the pass takes 13 ms instead of
20 ms when every pair was evaluated from both ends; on one thread 24 instead of 39 ms, of which
the two stages alone give 39 → 32 ms (docs/performance.md, item 21).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from aforo.kernels.cells import neighbour_block
from aforo.kernels.geometry import box_apart_from_segment, closest_point_on_segment, projects_inside
from aforo.kernels.pair_list import list_pairs, list_walls, list_worth_making, pair_cache_holds
from aforo.kernels.serial import use_as_serial_twin
from aforo.kernels.social_force import (
    MAX_STIFF_PARTNERS,
    MAX_STIFF_WALLS,
    P_A,
    P_B,
    P_K,
    P_KAPPA,
    P_MARGIN,
    P_MAX_DZ,
    P_RANGE,
    STATUS_PARTNER_OVERFLOW,
    may_interact,
    wall_social,
)

# Relative slack of the squared-distance test: far larger than the rounding of a gap
# (≈ 1e-16 relative), far smaller than any distance that matters.
_BEYOND_SLACK = 1e-9


@njit(cache=True, inline="always")
def _surely_beyond(dist_sq, reach):
    """True when a centre distance sqrt(dist_sq) certainly exceeds ``reach`` (m).

    Lets the force loop skip the square root for candidates out of range while deciding every
    candidate near the boundary exactly as ``sqrt(dist_sq) - radii > cutoff`` does: the result
    does not depend on the shortcut, bit for bit.
    """
    return dist_sq > reach * reach * (1.0 + _BEYOND_SLACK)


@njit(cache=True, inline="always")
def _in_path(dx, dy, ex, ey, radii):
    """Whether a partner at (−dx, −dy) from an agent lies ahead along e, laterally closer than
    ``radii``: it blocks the agent's path (the headway rule's gap ahead)."""
    return dx * ex + dy * ey < 0.0 and abs(dx * ey - dy * ex) < radii


@njit(cache=True, inline="always")
def _may_matter(dx, dy, radii, cutoff, looks_i, exi, eyi, looks_j, exj, eyj):
    """A candidate worth the full law: within reach, or in the path of one of the two.

    Written with ``&`` and ``|`` so that it compiles without branches: the stage that keeps
    candidates is a straight run, and the unpredictable decisions are taken once per kept pair.
    The same test as the full law's, so nothing it takes is missed.
    """
    dist_sq = dx * dx + dy * dy
    reach = cutoff + radii
    near = dist_sq <= reach * reach * (1.0 + _BEYOND_SLACK)
    along_i = dx * exi + dy * eyi
    across_i = dx * eyi - dy * exi
    along_j = dx * exj + dy * eyj
    across_j = dx * eyj - dy * exj
    ahead_of_i = looks_i & (along_i < 0.0) & (abs(across_i) < radii)
    ahead_of_j = looks_j & (along_j > 0.0) & (abs(across_j) < radii)
    return near | ahead_of_i | ahead_of_j


@njit(cache=True, inline="always")
def _add_stiff_partner(me, partner, slot, stiffness, friction, stiff_partners, n_stiff, stiffness_sum,
                       friction_sum, status):
    """List ``partner`` as a stiff partner of agent ``me`` (sums at ``slot``), or flag overflow."""
    count = n_stiff[me]
    if count < MAX_STIFF_PARTNERS:
        stiff_partners[me, count] = partner
        n_stiff[me] = count + 1
        stiffness_sum[slot] += stiffness
        friction_sum[slot] += friction
    else:
        status[me] |= STATUS_PARTNER_OVERFLOW


@njit(cache=True)
def visit_pairs(
    own_first, own_end, write_first, write_end, listing, list_first, keep,
    cell_start, cell_agents, agent_cell, n_cells_x, n_cells_y, cell_x, cell_y, cell_radius, cell_space,
    cell_ex, cell_ey, cell_looks, elevation, active, lying, space_link, params, pair_start, pair_slot,
    sum_fx, sum_fy, stiffness_sum, friction_sum, ahead, stiff_partners, n_stiff, status,
):
    """Visit the agents in slots ``own_first``… ``own_end`` − 1 (cell order), each taking its pairs
    with its later partners, and add each pair's terms to the running sums of both ends.

    Only slots in ``write_first``… ``write_end`` − 1 are written: an agent visited before
    ``write_first`` (a stripe's ghost row) gives its pairs to its partners only, and a partner
    at or after ``write_end`` (the next stripe's first row) is left to that stripe.

    Candidates come from the cells, or with ``listing`` from the pair list (kernels/pair_list.py;
    agent ``own``'s pairs at ``pair_start[own − list_first]``; only for one stripe, write_first 0). ``keep`` is work space with room
    for the most candidates an agent has. Sums are per slot; the caller hands them to agents.
    """
    A = params[P_A]
    B = params[P_B]
    k = params[P_K]
    kappa = params[P_KAPPA]
    cutoff = params[P_RANGE]
    margin = params[P_MARGIN]
    max_dz = params[P_MAX_DZ]
    for own in range(own_first, own_end):
        i = cell_agents[own]
        if lying[i]:
            continue  # a body on the floor is stepped over and lies as it fell (hazards/floor.py)
        xi = cell_x[own]
        yi = cell_y[own]
        ri = cell_radius[own]
        si = cell_space[own]
        exi = cell_ex[own]
        eyi = cell_ey[own]
        looks_i = cell_looks[own]
        writes_own = own >= write_first
        if listing:  # the listed pairs, most of them within reach: taken as they come
            first = pair_start[own - list_first]
            end = pair_start[own - list_first + 1]
        else:  # the cells' candidates, most of them out of reach: first kept without a branch each
            first = 0
            end = 0
            row_first, row_end, x_first, x_end = neighbour_block(agent_cell[i], n_cells_x, n_cells_y)
            for row in range(row_first, row_end):
                later = max(cell_start[row * n_cells_x + x_first], own + 1, write_first)  # later partners only
                for slot in range(later, cell_start[row * n_cells_x + x_end]):
                    keep[end] = slot
                    end += _may_matter(xi - cell_x[slot], yi - cell_y[slot], ri + cell_radius[slot], cutoff,
                                       looks_i, exi, eyi, cell_looks[slot], cell_ex[slot], cell_ey[slot])
        for entry in range(first, end):
            slot = pair_slot[entry] if listing else keep[entry]
            sj = cell_space[slot]
            j = cell_agents[slot]
            if sj != si and not may_interact(si, sj, elevation[i], elevation[j], space_link, max_dz):
                continue
            if lying[j]:
                continue
            dx = xi - cell_x[slot]  # from j to i; from i to j it is −dx, exactly
            dy = yi - cell_y[slot]
            radii = ri + cell_radius[slot]
            j_in_path_of_i = looks_i and _in_path(dx, dy, exi, eyi, radii)
            i_in_path_of_j = cell_looks[slot] and _in_path(-dx, -dy, cell_ex[slot], cell_ey[slot], radii)
            dist_sq = dx * dx + dy * dy
            if not (j_in_path_of_i or i_in_path_of_j) and _surely_beyond(dist_sq, cutoff + radii):
                continue  # (a listed pair out of reach; a kept candidate never is)
            dist = math.sqrt(dist_sq)
            gap = dist - radii  # the same bits seen from i and from j
            writes_partner = slot < write_end
            if j_in_path_of_i and writes_own and gap < ahead[own]:
                ahead[own] = gap
            if i_in_path_of_j and writes_partner and gap < ahead[slot]:
                ahead[slot] = gap
            if gap > cutoff:
                continue
            if gap <= margin:
                # k counts even before touching: the pair may close within the step.
                stiffness = A / B * math.exp(-gap / B) + k
                friction = kappa * max(-gap, 0.0)
                if writes_own and active[i]:
                    _add_stiff_partner(i, j, own, stiffness, friction, stiff_partners, n_stiff, stiffness_sum,
                                       friction_sum, status)
                if writes_partner and active[j]:
                    _add_stiff_partner(j, i, slot, stiffness, friction, stiff_partners, n_stiff, stiffness_sum,
                                       friction_sum, status)
                continue
            repulsion = A * math.exp(-gap / B)
            push_x = repulsion * dx / dist
            push_y = repulsion * dy / dist
            if writes_own:
                sum_fx[own] += push_x
                sum_fy[own] += push_y
            if writes_partner:
                sum_fx[slot] -= push_x
                sum_fy[slot] -= push_y


@njit(cache=True)
def most_candidates(cell_start, n_cells_x, n_cells_y):
    """The most agents in any 3 × 3 block of cells: room enough for one visit's candidates."""
    most_in_row = np.zeros(n_cells_y, np.int64)  # per row, the most in three neighbouring cells
    for row in range(n_cells_y):
        for cx in range(n_cells_x):
            c = row * n_cells_x
            count = cell_start[c + min(cx + 2, n_cells_x)] - cell_start[c + max(cx - 1, 0)]
            most_in_row[row] = max(most_in_row[row], count)
    most = 0
    for row in range(n_cells_y):
        most = max(most, most_in_row[row] + (most_in_row[row - 1] if row > 0 else 0)
                   + (most_in_row[row + 1] if row + 1 < n_cells_y else 0))
    return most


@njit(cache=True)
def stripe_rows(cell_start, n_cells_x, n_cells_y, n_stripes):
    """Row bounds of ``n_stripes`` stripes holding about as many agents each (some may be empty)."""
    bounds = np.empty(n_stripes + 1, np.int64)
    n_listed = cell_start[n_cells_x * n_cells_y]
    row = 0
    for s in range(n_stripes):
        while row < n_cells_y and cell_start[row * n_cells_x] * n_stripes < s * n_listed:
            row += 1
        bounds[s] = row
    bounds[n_stripes] = n_cells_y
    return bounds


@njit(cache=True, parallel=True)
def gather_by_cell(cell_agents, pos_x, pos_y, radius, space, dir_x, dir_y, headway_time, cell_x, cell_y, cell_radius,
                   cell_space, cell_ex, cell_ey, cell_looks):
    """Copy what a visit reads of each listed agent into cell order: the partners of an agent
    are then three runs of consecutive entries instead of ~30 scattered agents."""
    for slot in prange(cell_agents.size):
        j = cell_agents[slot]
        cell_x[slot] = pos_x[j]
        cell_y[slot] = pos_y[j]
        cell_radius[slot] = radius[j]
        cell_space[slot] = space[j]
        cell_ex[slot] = dir_x[j]
        cell_ey[slot] = dir_y[j]
        cell_looks[slot] = headway_time[j] > 0.0


@njit(cache=True)
def _pass_arrays(cell_agents, pos_x, pos_y, radius, space, dir_x, dir_y, headway_time, n_stiff):
    """The cell-ordered copies and the per-slot running sums of one pass; no stiff partners yet."""
    n_listed = cell_agents.size
    gathered = (np.empty(n_listed), np.empty(n_listed), np.empty(n_listed), np.empty(n_listed, np.int64),
                np.empty(n_listed), np.empty(n_listed), np.empty(n_listed, np.bool_))
    gather_by_cell(cell_agents, pos_x, pos_y, radius, space, dir_x, dir_y, headway_time, *gathered)
    n_stiff[:] = 0
    sums = (np.zeros(n_listed), np.zeros(n_listed), np.zeros(n_listed), np.zeros(n_listed),
            np.full(n_listed, np.inf))  # force x, y, stiffness, friction; the gap ahead
    return gathered + sums


@njit(cache=True, parallel=True)
def smooth_forces(
    pos_x, pos_y, vel_x, vel_y, radius, mass, space, elevation, active, lying,
    cell_start, cell_agents, agent_cell, n_cells_x, n_cells_y,
    walls, wall_space, wall_cell_start, wall_cell_ids,
    space_link, params, dir_x, dir_y, headway_time, pair_cache,
    out_fx, out_fy, stiff_partners, n_stiff, stiff_walls, n_stiff_walls, contact_rate, gap_ahead,
    status, threads,
):
    """Smooth (non-touching) social forces, and the stiff pairs and walls of each agent.

    Writes out_fx/out_fy (N) without the driving term, the stiff partner and wall lists, and each
    agent's contact rate (1/s): the largest of sqrt(2 Σ stiffness / m) and 2 Σ κ g / m over its
    stiff contacts, from which the engine picks the sub-step. Agents with ``active`` False get
    zeros (they may still stand in the cell lists as partners).

    Also writes ``gap_ahead`` (m) for the agents that keep a headway (``headway_time`` > 0):
    the free distance to the nearest body in the agent's path (centres ahead along its desired
    direction, laterally closer than the sum of the radii), surface to surface; +inf when
    nobody within the searched cells is in the way, and for agents that push (headway 0: the
    gap is read only by the headway rule, kernels/steering.py).

    The rows of cells are cut into ``threads`` stripes, one per thread (module docstring; the
    caller passes numba's thread count: read inside compiled code, it would keep numba from
    caching the kernel). Any number gives the same bits. ``pair_cache`` is the serial twin's.
    """
    (cell_x, cell_y, cell_radius, cell_space, cell_ex, cell_ey, cell_looks, sum_fx, sum_fy, stiffness_sum,
     friction_sum, ahead) = _pass_arrays(cell_agents, pos_x, pos_y, radius, space, dir_x, dir_y, headway_time, n_stiff)
    n_stripes = max(threads, 1)
    bounds = stripe_rows(cell_start, n_cells_x, n_cells_y, n_stripes)
    room = most_candidates(cell_start, n_cells_x, n_cells_y)
    no_list = np.zeros(1, np.int64)
    for s in prange(n_stripes):
        row_first = bounds[s]
        row_end = bounds[s + 1]
        if row_first == row_end:
            continue
        stripe_first = cell_start[row_first * n_cells_x]
        stripe_end = cell_start[row_end * n_cells_x]
        ghost_first = cell_start[(row_first - 1) * n_cells_x] if row_first > 0 else stripe_first
        visit_pairs(
            ghost_first, stripe_end, stripe_first, stripe_end, False, 0, np.empty(room, np.int64),
            cell_start, cell_agents, agent_cell, n_cells_x, n_cells_y, cell_x, cell_y, cell_radius, cell_space,
            cell_ex, cell_ey, cell_looks, elevation, active, lying, space_link, params, no_list, no_list,
            sum_fx, sum_fy, stiffness_sum, friction_sum, ahead, stiff_partners, n_stiff, status,
        )
    _hand_over_and_add_walls(
        pos_x, pos_y, radius, mass, space, active, cell_agents, agent_cell, dir_x, dir_y, walls, wall_space,
        wall_cell_start, wall_cell_ids, params, sum_fx, sum_fy, stiffness_sum, friction_sum, ahead, out_fx, out_fy,
        stiff_walls, n_stiff_walls, contact_rate, gap_ahead, status,
    )


@njit(cache=True)
def smooth_forces_pairwise(
    pos_x, pos_y, vel_x, vel_y, radius, mass, space, elevation, active, lying,
    cell_start, cell_agents, agent_cell, n_cells_x, n_cells_y,
    walls, wall_space, wall_cell_start, wall_cell_ids,
    space_link, params, dir_x, dir_y, headway_time, pair_cache,
    out_fx, out_fy, stiff_partners, n_stiff, stiff_walls, n_stiff_walls, contact_rate, gap_ahead,
    status, threads,
):
    """:func:`smooth_forces` on one thread: the agents visited in cell order, the same bits.

    The candidates are read from a pair list (``pair_cache``, :func:`new_pair_cache`) instead of
    the cells: each agent's later partners in its block that were within reach plus a skin
    when the list was made, in block order. While no agent has changed cell or moved half a
    skin since, the list holds every pair the cells would give that can act, in the same
    order, so the sums are the same bits; it is made again when one has, and at the start of
    every call of the pipeline (:func:`invalidate_pair_cache`). In a standing crush it lasts
    for thousands of steps, and a pass reads a third of the candidates (docs/performance.md).
    Where lists do not last a step (a walking crowd) the pass reads the cells' candidates
    directly for a while (``list_worth_making``): the same candidates, in the same order.
    ``threads`` is not read: one thread visits all.
    """
    (cell_x, cell_y, cell_radius, cell_space, cell_ex, cell_ey, cell_looks, sum_fx, sum_fy, stiffness_sum,
     friction_sum, ahead) = _pass_arrays(cell_agents, pos_x, pos_y, radius, space, dir_x, dir_y, headway_time, n_stiff)
    n_listed = cell_agents.size
    cutoff = params[P_RANGE]
    pair_start, pair_slot, cache_state = pair_cache[4], pair_cache[5], pair_cache[6]
    reuse = pair_cache_holds(cell_agents, agent_cell, cell_x, cell_y, cell_space, pair_cache)
    if reuse:
        cache_state[2] += 1
    listing = reuse or list_worth_making(cache_state)  # else the cells are read, as a walking crowd's are
    keep = np.empty(1 if listing else n_listed, np.int64)  # room for anyone's candidates (the list needs none)
    chunk_first = 0
    while chunk_first < n_listed:
        # one pass when the list holds or fits; a list too long for the cache is made in chunks
        chunk_end = n_listed
        if listing and not reuse:
            chunk_end = list_pairs(
                chunk_first, cell_start, cell_agents, agent_cell, n_cells_x, n_cells_y, cell_x, cell_y, cell_radius,
                cell_space, space_link, headway_time, lying, cutoff, pair_cache,
            )
            if cache_state[0] == n_listed:  # kept: list the walls near each agent too
                list_walls(cell_agents, agent_cell, cell_x, cell_y, cell_radius, cell_space, wall_cell_start,
                           wall_cell_ids, walls, wall_space, cutoff, pair_cache)
        visit_pairs(
            chunk_first, chunk_end, 0, n_listed, listing, chunk_first, keep,
            cell_start, cell_agents, agent_cell, n_cells_x, n_cells_y, cell_x, cell_y, cell_radius, cell_space,
            cell_ex, cell_ey, cell_looks, elevation, active, lying, space_link, params, pair_start, pair_slot,
            sum_fx, sum_fy, stiffness_sum, friction_sum, ahead, stiff_partners, n_stiff, status,
        )
        chunk_first = chunk_end
    if cache_state[0] == n_listed and cache_state[1] == 1:  # each agent's walls within reach + skin
        agent_row, wall_start, wall_ids = pair_cache[7], pair_cache[8], pair_cache[9]
    else:  # the walls of each agent's cell
        agent_row, wall_start, wall_ids = agent_cell, wall_cell_start, wall_cell_ids
    _hand_over_and_add_walls(
        pos_x, pos_y, radius, mass, space, active, cell_agents, agent_row, dir_x, dir_y, walls, wall_space,
        wall_start, wall_ids, params, sum_fx, sum_fy, stiffness_sum, friction_sum, ahead, out_fx, out_fy,
        stiff_walls, n_stiff_walls, contact_rate, gap_ahead, status,
    )


@njit(cache=True, parallel=True)
def _hand_over_and_add_walls(
    pos_x, pos_y, radius, mass, space, active, cell_agents, wall_row, dir_x, dir_y, walls, wall_space, wall_start,
    wall_ids, params, sum_fx, sum_fy, stiffness_sum, friction_sum, ahead, out_fx, out_fy, stiff_walls,
    n_stiff_walls, contact_rate, gap_ahead, status,
):
    """The partners' sums are complete: hand them from slots to agents, then add the walls."""
    n = pos_x.size
    stiffness_sums = np.zeros(n)
    friction_sums = np.zeros(n)
    for i in prange(n):
        out_fx[i] = 0.0
        out_fy[i] = 0.0
        contact_rate[i] = 0.0
    for own in prange(cell_agents.size):
        i = cell_agents[own]
        if active[i]:
            out_fx[i] = sum_fx[own]
            out_fy[i] = sum_fy[own]
            stiffness_sums[i] = stiffness_sum[own]
            friction_sums[i] = friction_sum[own]
            gap_ahead[i] = ahead[own]
    add_wall_forces(
        pos_x, pos_y, radius, mass, space, active, wall_row, dir_x, dir_y, walls, wall_space, wall_start,
        wall_ids, params, out_fx, out_fy, stiffness_sums, friction_sums, stiff_walls, n_stiff_walls,
        contact_rate, status,
    )


@njit(cache=True, parallel=True)
def add_wall_forces(
    pos_x, pos_y, radius, mass, space, active, wall_row, dir_x, dir_y, walls, wall_space, wall_start,
    wall_ids, params, out_fx, out_fy, stiffness_sum, friction_sum, stiff_walls, n_stiff_walls,
    contact_rate, status,
):
    """Second half of the pass: each active agent's walls, after its partners.

    Agent i's walls are ``wall_ids[wall_start[r]:wall_start[r + 1]]`` with r = ``wall_row[i]``:
    its cell's walls (the cell lists), or the nearer walls the serial pass lists with its pairs
    (kernels/pair_list.py; the same walls within range, in the same order). Smooth wall
    repulsion is added to out_fx/out_fy, stiff walls are listed and counted in the stiffness
    and friction sums, and the contact rate is set from the sums.

    A kernel of its own, called once for all agents: as an inlined helper called per agent it
    cost numba a reference-count update per array argument and agent (8 % of the force pass).
    """
    A = params[P_A]
    B = params[P_B]
    k = params[P_K]
    kappa = params[P_KAPPA]
    cutoff = params[P_RANGE]
    margin = params[P_MARGIN]
    for i in prange(pos_x.size):
        n_stiff_walls[i] = 0
        if not active[i]:
            continue
        xi = pos_x[i]
        yi = pos_y[i]
        ri = radius[i]
        row = wall_row[i]
        fx = out_fx[i]
        fy = out_fy[i]
        stiffness = stiffness_sum[i]
        friction = friction_sum[i]
        wall_count = 0
        for slot in range(wall_start[row], wall_start[row + 1]):
            w = wall_ids[slot]
            if wall_space[w] != space[i]:
                continue
            if box_apart_from_segment(xi, yi, xi, yi, walls[w, 0], walls[w, 1], walls[w, 2], walls[w, 3], cutoff + ri):
                continue  # beyond the interaction range, as most walls listed in a cell are
            qx, qy = closest_point_on_segment(xi, yi, walls[w, 0], walls[w, 1], walls[w, 2], walls[w, 3])
            dx = xi - qx
            dy = yi - qy
            dist_sq = dx * dx + dy * dy
            if _surely_beyond(dist_sq, cutoff + ri):
                continue
            dist = math.sqrt(dist_sq)
            gap = dist - ri
            if gap > cutoff:
                continue
            if gap <= margin or dist <= 1e-12:
                if wall_count < MAX_STIFF_WALLS:
                    stiff_walls[i, wall_count] = w
                    wall_count += 1
                    overlap = max(-gap, 0.0)
                    stiffness += 0.5 * (A / B * math.exp(-gap / B) + k)
                    friction += 0.5 * kappa * overlap
                else:
                    status[i] |= STATUS_PARTNER_OVERFLOW
                continue
            facing = projects_inside(xi, yi, walls[w, 0], walls[w, 1], walls[w, 2], walls[w, 3])
            gx, gy = wall_social(A, B, gap, dx / dist, dy / dist, facing, dir_x[i], dir_y[i])
            fx += gx
            fy += gy
        n_stiff_walls[i] = wall_count
        out_fx[i] = fx
        out_fy[i] = fy
        # Relative motion of a pair involves both masses: 2/m for equal bodies (walls count half).
        contact_rate[i] = max(math.sqrt(2.0 * stiffness / mass[i]), 2.0 * friction / mass[i])


# On one thread the cells are visited in one stripe, with the pair list.
use_as_serial_twin(smooth_forces, smooth_forces_pairwise)
