"""Helbing–Farkas–Vicsek (2000) social force with body compression and sliding friction.

    m_i dv_i/dt = m_i (v0_i e0_i − v_i)/τ_i + Σ_j f_ij + Σ_W f_iW
    f_ij = [A exp((r_ij − d_ij)/B) + k g(r_ij − d_ij)] n_ij + κ g(r_ij − d_ij) Δv^t_ji t_ij
    f_iW = [A exp((r_i − d_iW)/B) + k g(r_i − d_iW)] n_iW − κ g(r_i − d_iW) (v_i·t_iW) t_iW

(Nature 407:487, 2000; shared/reference/crowd-physics.md.)

The pair loop is split by *pair*, not by term: pairs whose gap d_ij − r_ij exceeds the contact
margin feel only the smooth exponential repulsion, evaluated once per outer step; pairs within the
margin (touching or about to) are "stiff" and are evaluated in every contact sub-step with the
full law. Contact is what makes the system stiff (κ/m = 3000 s⁻¹ per metre of overlap), so only
the agents that touch pay for small steps (see docs/physics.md).

Each agent sums its own force over its own partners (every pair is evaluated from both ends), so
no two threads write the same element and the sums are deterministic for any thread count.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from aforo.kernels.cells import neighbour_block
from aforo.kernels.geometry import box_apart_from_segment, closest_point_on_segment, projects_inside
from aforo.kernels.pair_list import list_pairs, list_walls, list_worth_making, pair_cache_holds
from aforo.kernels.serial import use_as_serial_twin

# Layout of the float64 parameter vector passed to kernels (see aforo.physics.parameters).
P_A = 0  # social repulsion strength A (N)
P_B = 1  # social repulsion range B (m)
P_K = 2  # body stiffness k (kg/s²)
P_KAPPA = 3  # sliding friction κ (kg/(m·s))
P_RANGE = 4  # interaction range beyond contact (m)
P_MARGIN = 5  # gap below which a pair is stiff (m)
P_MAX_DZ = 6  # largest elevation difference for agents of joined spaces to interact (m)
P_CLEARANCE = 7  # hard-wall clearance as a fraction of the radius
P_STABILITY = 8  # sub_step × largest contact rate
P_MAX_SUBSTEPS = 9
P_SPEED_OVER_BODY = 10  # walking speed over a lying body, fraction (hazards/floor.py)
P_WEIGHT_ON_BODY = 11  # share of a walker's weight on a body it stands on
P_BODY_FOOTPRINT = 12  # radius of a lying body's footprint, over its standing radius
N_PARAMS = 13

MAX_STIFF_PARTNERS = 16  # touching neighbours per agent (a disc has at most 6 at equal size)
MAX_STIFF_WALLS = 6

# Status bits per agent (kernels never raise; the engine reads these).
STATUS_PARTNER_OVERFLOW = 1
STATUS_WALL_PUSHED = 2
STATUS_WALL_REVERTED = 4
STATUS_NON_FINITE = 8


@njit(cache=True, inline="always")
def pair_force(xi, yi, vxi, vyi, ri, xj, yj, vxj, vyj, rj, i, j, A, B, k, kappa):
    """Full HFV force of j on i: returns (fx, fy, body compression force k·g).

    The third value is the physical contact force k·g (N) when the bodies overlap by g > 0, else
    0. It feeds the contact-force and compression outputs; the exponential term is the model's
    "social" repulsion, not a force between bodies, so it is not counted there (as in the
    pressure measures of Parisi & Dorso and Cornes, Frank & Dorso 2017; docs/physics.md).
    """
    dx = xi - xj
    dy = yi - yj
    dist = math.sqrt(dx * dx + dy * dy)
    if dist > 1e-12:
        nx = dx / dist
        ny = dy / dist
    else:  # coincident centres: separate along x, the lower index to the left (deterministic)
        nx = 1.0 if i > j else -1.0
        ny = 0.0
    overlap = ri + rj - dist
    normal = A * math.exp(overlap / B)
    body = 0.0
    friction = 0.0
    tx = -ny
    ty = nx
    if overlap > 0.0:
        body = k * overlap
        dvt = (vxj - vxi) * tx + (vyj - vyi) * ty
        friction = kappa * overlap * dvt
    return (normal + body) * nx + friction * tx, (normal + body) * ny + friction * ty, body


@njit(cache=True, inline="always")
def wall_social(A, B, gap, nx, ny, facing, ex, ey):
    """Social repulsion of a wall at surface gap ``gap`` along unit normal n (wall → agent).

    Where the agent faces the segment (projects onto it) this is HFV's A·exp(−gap/B)·n. A
    segment's end (a door jamb, a corner post) steers but does not stop: the component of its
    push against the desired direction e is dropped. With HFV's A = 2000 N, B = 0.08 m the two
    jambs of a 0.8 m door otherwise push a walker back harder than a slow walker's drive
    m v0/τ, and hold it in the doorway for ever; without any corner repulsion walkers cut
    corners and strike the corner post (docs/physics.md).
    """
    push = A * math.exp(-gap / B)
    if facing:
        return push * nx, push * ny
    against = nx * ex + ny * ey
    if against < 0.0:
        return push * (nx - against * ex), push * (ny - against * ey)
    return push * nx, push * ny


@njit(cache=True, inline="always")
def wall_force(px, py, vx, vy, r, ax, ay, bx, by, ex, ey, A, B, k, kappa):
    """Full HFV force of a wall segment on an agent: (fx, fy, body compression force k·g).

    The social part follows :func:`wall_social` (segment ends steer only); contact follows HFV.
    """
    qx, qy = closest_point_on_segment(px, py, ax, ay, bx, by)
    dx = px - qx
    dy = py - qy
    dist = math.sqrt(dx * dx + dy * dy)
    if dist <= 1e-12:  # centre on the wall line: push along the segment's left normal
        sx = bx - ax
        sy = by - ay
        length = math.sqrt(sx * sx + sy * sy)
        nx = -sy / length
        ny = sx / length
    else:
        nx = dx / dist
        ny = dy / dist
    overlap = r - dist
    fx, fy = wall_social(A, B, -overlap, nx, ny, projects_inside(px, py, ax, ay, bx, by), ex, ey)
    body = 0.0
    if overlap > 0.0:
        body = k * overlap
        tx = -ny
        ty = nx
        friction = -kappa * overlap * (vx * tx + vy * ty)
        fx += body * nx + friction * tx
        fy += body * ny + friction * ty
    return fx, fy, body


@njit(cache=True, inline="always")
def may_interact(si, sj, zi, zj, space_link, max_dz):
    """Agents interact when they share a space, or stand in joined spaces at nearly one height."""
    if si == sj:
        return True
    return space_link[si, sj] and abs(zi - zj) <= max_dz


@njit(cache=True, parallel=True)
def add_wall_forces(
    pos_x, pos_y, radius, mass, space, active, wall_row, dir_x, dir_y, walls, wall_space, wall_start,
    wall_ids, params, out_fx, out_fy, stiffness_sum, friction_sum, stiff_walls, n_stiff_walls,
    contact_rate, status,
):
    """Second half of :func:`smooth_forces`: each active agent's walls, after its partners.
    Agent i's walls are ``wall_ids[wall_start[r]:wall_start[r + 1]]`` with r = ``wall_row[i]``:
    its cell's walls (the cell lists), or the nearer walls the serial pass lists with its pairs
    (kernels/pair_list.py; the same walls within range, in the same order). Smooth wall repulsion is added to out_fx/out_fy, stiff walls are listed
    and counted in the stiffness and friction sums, and the contact rate is set from the sums.

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


# Relative slack of the squared-distance test below: far larger than the rounding of a gap
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


@njit(cache=True, parallel=True)
def smooth_forces(
    pos_x, pos_y, vel_x, vel_y, radius, mass, space, elevation, active, lying,
    cell_start, cell_agents, agent_cell, n_cells_x, n_cells_y,
    walls, wall_space, wall_cell_start, wall_cell_ids,
    space_link, params, dir_x, dir_y, headway_time, pair_cache,
    out_fx, out_fy, stiff_partners, n_stiff, stiff_walls, n_stiff_walls, contact_rate, gap_ahead,
    status,
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
    gap is read only by the headway rule, kernels/steering.py, and looking for it costs a
    quarter of the pass in a pushing crowd).

    Partners are read from copies of their positions, radii and spaces laid out in cell order
    (:func:`gather_by_cell`): the 3 × 3 block of cells around an agent is then three runs of
    consecutive entries instead of ~30 scattered agents, which matters once the arrays outgrow
    the caches (agents are stored in spawn order, random in space). Partners are visited in
    the same order as through ``cell_agents``, so the sums are the same, bit for bit.

    ``pair_cache`` (kernels/pair_list.py) is the serial twin's; this kernel reads the cells.
    """
    n_listed = cell_agents.size
    cell_x = np.empty(n_listed)
    cell_y = np.empty(n_listed)
    cell_radius = np.empty(n_listed)
    cell_space = np.empty(n_listed, np.int64)
    gather_by_cell(cell_agents, pos_x, pos_y, radius, space, cell_x, cell_y, cell_radius, cell_space)
    A = params[P_A]
    B = params[P_B]
    k = params[P_K]
    kappa = params[P_KAPPA]
    cutoff = params[P_RANGE]
    margin = params[P_MARGIN]
    max_dz = params[P_MAX_DZ]
    n = pos_x.size
    stiffness_sums = np.zeros(n)
    friction_sums = np.zeros(n)
    for i in prange(n):
        out_fx[i] = 0.0
        out_fy[i] = 0.0
        n_stiff[i] = 0
        contact_rate[i] = 0.0
        if not active[i]:
            continue
        xi = pos_x[i]
        yi = pos_y[i]
        ri = radius[i]
        si = space[i]
        fx = 0.0
        fy = 0.0
        ex = dir_x[i]
        ey = dir_y[i]
        ahead = np.inf
        looks_ahead = headway_time[i] > 0.0
        stiffness_sum = 0.0
        friction_sum = 0.0
        count = 0
        c = agent_cell[i]
        cx = c % n_cells_x
        cy = c // n_cells_x
        x_first = max(cx - 1, 0)
        x_end = min(cx + 2, n_cells_x)
        for row in range(max(cy - 1, 0), min(cy + 2, n_cells_y)):
            # cells x_first..x_end−1 of a row are consecutive in cell order: one run of slots
            for slot in range(cell_start[row * n_cells_x + x_first], cell_start[row * n_cells_x + x_end]):
                sj = cell_space[slot]
                if sj != si and not may_interact(si, sj, elevation[i], elevation[cell_agents[slot]], space_link, max_dz):
                    continue
                dx = xi - cell_x[slot]
                dy = yi - cell_y[slot]
                if dx == 0.0 and dy == 0.0 and cell_agents[slot] == i:
                    continue  # itself
                radii = ri + cell_radius[slot]
                dist_sq = dx * dx + dy * dy
                along = -(dx * ex + dy * ey)  # j's centre ahead of i along e_i
                in_path = looks_ahead and along > 0.0 and abs(dx * ey - dy * ex) < radii
                if not in_path and _surely_beyond(dist_sq, cutoff + radii):
                    continue  # most candidates: no square root needed to know
                if lying[i] or lying[cell_agents[slot]]:
                    continue  # bodies on the floor are stepped over and lie as they fell (hazards/floor.py)
                dist = math.sqrt(dist_sq)
                gap = dist - radii  # the same bits seen from i and from j
                if in_path and gap < ahead:
                    ahead = gap
                if gap > cutoff:
                    continue
                if gap <= margin:
                    if count < MAX_STIFF_PARTNERS:
                        stiff_partners[i, count] = cell_agents[slot]
                        count += 1
                        overlap = max(-gap, 0.0)
                        # k counts even before touching: the pair may close within the step.
                        stiffness_sum += A / B * math.exp(-gap / B) + k
                        friction_sum += kappa * overlap
                    else:
                        status[i] |= STATUS_PARTNER_OVERFLOW
                    continue
                repulsion = A * math.exp(-gap / B)
                fx += repulsion * dx / dist
                fy += repulsion * dy / dist
        n_stiff[i] = count
        gap_ahead[i] = ahead
        out_fx[i] = fx
        out_fy[i] = fy
        stiffness_sums[i] = stiffness_sum
        friction_sums[i] = friction_sum
    add_wall_forces(
        pos_x, pos_y, radius, mass, space, active, agent_cell, dir_x, dir_y, walls, wall_space, wall_cell_start,
        wall_cell_ids, params, out_fx, out_fy, stiffness_sums, friction_sums, stiff_walls, n_stiff_walls,
        contact_rate, status,
    )


@njit(cache=True)
def smooth_forces_pairwise(
    pos_x, pos_y, vel_x, vel_y, radius, mass, space, elevation, active, lying,
    cell_start, cell_agents, agent_cell, n_cells_x, n_cells_y,
    walls, wall_space, wall_cell_start, wall_cell_ids,
    space_link, params, dir_x, dir_y, headway_time, pair_cache,
    out_fx, out_fy, stiff_partners, n_stiff, stiff_walls, n_stiff_walls, contact_rate, gap_ahead,
    status,
):
    """:func:`smooth_forces` on one thread, each pair evaluated once: the same bits, half the work.

    The parallel kernel evaluates every pair from both ends so that no two threads write to one
    agent. On one thread a pair can serve both: agents are visited in cell order ("slots"), and
    each takes the pairs with the partners listed after it, adding the pair's terms to both
    running sums. An agent's partners in its 3 × 3 block come in increasing slot order when it
    walks the block itself, so its sum receives the terms of earlier partners (while they are
    visited) before its own visit adds the later ones: every sum is built in the order the
    parallel kernel builds it. The terms themselves are equal and opposite to the last bit
    (the gap is dist − (r_i + r_j) from either end, and −(a·(−d))/s is exactly a·d/s), so the
    results are those of the parallel kernel, bit for bit (tests/kernels/test_social_force.py).

    The candidates are read from a pair list (``pair_cache``, :func:`new_pair_cache`) instead of
    the cells: each agent's later partners in its block that were within reach plus a skin
    when the list was made, in block order. While no agent has changed cell or moved half a
    skin since, the list holds every pair the cells would give that can act, in the same
    order, so the sums are the same bits; it is made again when one has, and at the start of
    every call of the pipeline (:func:`invalidate_pair_cache`). In a standing crush it lasts
    for thousands of steps, and a pass reads a third of the candidates (docs/performance.md).
    Where lists do not last a step (a walking crowd) the pass reads the cells' candidates
    directly for a while (``list_worth_making``): the same candidates, in the same order.
    """
    n_listed = cell_agents.size
    cell_x = np.empty(n_listed)
    cell_y = np.empty(n_listed)
    cell_radius = np.empty(n_listed)
    cell_space = np.empty(n_listed, np.int64)
    gather_by_cell(cell_agents, pos_x, pos_y, radius, space, cell_x, cell_y, cell_radius, cell_space)
    # running sums per slot, filled from both ends of each pair
    sum_fx = np.zeros(n_listed)
    sum_fy = np.zeros(n_listed)
    stiffness_sum = np.zeros(n_listed)
    friction_sum = np.zeros(n_listed)
    ahead = np.full(n_listed, np.inf)
    A = params[P_A]
    B = params[P_B]
    k = params[P_K]
    kappa = params[P_KAPPA]
    cutoff = params[P_RANGE]
    margin = params[P_MARGIN]
    max_dz = params[P_MAX_DZ]
    for i in range(pos_x.size):
        n_stiff[i] = 0
        contact_rate[i] = 0.0
    pair_start, pair_slot, cache_state = pair_cache[4], pair_cache[5], pair_cache[6]
    reuse = pair_cache_holds(cell_agents, agent_cell, cell_x, cell_y, cell_space, pair_cache)
    if reuse:
        cache_state[2] += 1
    listing = reuse or list_worth_making(cache_state)  # else the cells are read, as a walking crowd's are
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
        for own in range(chunk_first, chunk_end):
            # Agents listed but not active (partners only) still give their pairs to the others.
            i = cell_agents[own]
            xi = cell_x[own]
            yi = cell_y[own]
            ri = cell_radius[own]
            si = cell_space[own]
            exi = dir_x[i]
            eyi = dir_y[i]
            looks_i = headway_time[i] > 0.0
            row_first, row_end, x_first, x_end = neighbour_block(agent_cell[i], n_cells_x, n_cells_y)
            # candidates: the listed pairs (one run), or the later partners of the block's rows
            for run in range(1 if listing else row_end - row_first):
                if listing:
                    first = pair_start[own - chunk_first]
                    end = pair_start[own - chunk_first + 1]
                else:
                    row = row_first + run
                    first = max(cell_start[row * n_cells_x + x_first], own + 1)  # later partners only
                    end = cell_start[row * n_cells_x + x_end]
                for candidate in range(first, end):
                    slot = pair_slot[candidate] if listing else candidate
                    sj = cell_space[slot]
                    j = cell_agents[slot]
                    if sj != si and not may_interact(si, sj, elevation[i], elevation[j], space_link, max_dz):
                        continue
                    dx = xi - cell_x[slot]  # from j to i; from i to j it is −dx, exactly
                    dy = yi - cell_y[slot]
                    radii = ri + cell_radius[slot]
                    dist_sq = dx * dx + dy * dy
                    exj = dir_x[j]
                    eyj = dir_y[j]
                    j_in_path_of_i = looks_i and -(dx * exi + dy * eyi) > 0.0 and abs(dx * eyi - dy * exi) < radii
                    i_in_path_of_j = (headway_time[j] > 0.0 and dx * exj + dy * eyj > 0.0
                                      and abs(dx * eyj - dy * exj) < radii)
                    if not (j_in_path_of_i or i_in_path_of_j) and _surely_beyond(dist_sq, cutoff + radii):
                        continue
                    if lying[i] or lying[j]:
                        continue  # bodies on the floor are stepped over and lie as they fell (hazards/floor.py)
                    dist = math.sqrt(dist_sq)
                    gap = dist - radii
                    if j_in_path_of_i and gap < ahead[own]:
                        ahead[own] = gap
                    if i_in_path_of_j and gap < ahead[slot]:
                        ahead[slot] = gap
                    if gap > cutoff:
                        continue
                    if gap <= margin:
                        # k counts even before touching: the pair may close within the step.
                        stiffness = A / B * math.exp(-gap / B) + k
                        friction = kappa * max(-gap, 0.0)
                        if active[i]:
                            _add_stiff_partner(i, j, own, stiffness, friction, stiff_partners, n_stiff,
                                               stiffness_sum, friction_sum, status)
                        if active[j]:
                            _add_stiff_partner(j, i, slot, stiffness, friction, stiff_partners, n_stiff,
                                               stiffness_sum, friction_sum, status)
                        continue
                    repulsion = A * math.exp(-gap / B)
                    push_x = repulsion * dx / dist
                    push_y = repulsion * dy / dist
                    sum_fx[own] += push_x
                    sum_fy[own] += push_y
                    sum_fx[slot] -= push_x
                    sum_fy[slot] -= push_y
        chunk_first = chunk_end
    # the sums are complete (no agent visited later has a pair with an earlier one): hand them
    # from slots to agents, for the walls to be added after the partners, as in smooth_forces
    stiffness_sums = np.zeros(pos_x.size)
    friction_sums = np.zeros(pos_x.size)
    for i in range(pos_x.size):
        out_fx[i] = 0.0
        out_fy[i] = 0.0
    for own in range(n_listed):
        i = cell_agents[own]
        if active[i]:
            out_fx[i] = sum_fx[own]
            out_fy[i] = sum_fy[own]
            stiffness_sums[i] = stiffness_sum[own]
            friction_sums[i] = friction_sum[own]
            gap_ahead[i] = ahead[own]
    if cache_state[0] == n_listed and cache_state[1] == 1:  # each agent's walls within reach + skin
        agent_row, wall_start, wall_ids = pair_cache[7], pair_cache[8], pair_cache[9]
    else:  # the walls of each agent's cell
        agent_row, wall_start, wall_ids = agent_cell, wall_cell_start, wall_cell_ids
    add_wall_forces(
        pos_x, pos_y, radius, mass, space, active, agent_row, dir_x, dir_y, walls, wall_space, wall_start,
        wall_ids, params, out_fx, out_fy, stiffness_sums, friction_sums, stiff_walls, n_stiff_walls,
        contact_rate, status,
    )


@njit(cache=True, parallel=True)
def gather_by_cell(cell_agents, pos_x, pos_y, radius, space, cell_x, cell_y, cell_radius, cell_space):
    """Copy positions, radii and spaces of the listed agents into cell order."""
    for slot in prange(cell_agents.size):
        j = cell_agents[slot]
        cell_x[slot] = pos_x[j]
        cell_y[slot] = pos_y[j]
        cell_radius[slot] = radius[j]
        cell_space[slot] = space[j]


@njit(cache=True, inline="always")
def driving_force(m, v0, tau, ex, ey, vx, vy):
    """Relaxation towards the desired velocity: m (v0 e0 − v)/τ."""
    return m * (v0 * ex - vx) / tau, m * (v0 * ey - vy) / tau


@njit(cache=True, parallel=True)
def stiff_accelerations(
    stiff_ids, pos_x, pos_y, vel_x, vel_y, radius, mass, desired_speed, relaxation_time,
    dir_x, dir_y, smooth_fx, smooth_fy, stiff_partners, n_stiff, walls, stiff_walls, n_stiff_walls,
    params, acc_x, acc_y, radial_sum, agent_id=None,
):
    """Accelerations of the stiff agents at the current sub-step (full law on stiff contacts).

    ``agent_id`` (optional) gives each index's original index, when the engine has stored the
    agents in another order: bodies with coincident centres are parted by it."""
    A = params[P_A]
    B = params[P_B]
    k = params[P_K]
    kappa = params[P_KAPPA]
    for s in prange(stiff_ids.size):
        i = stiff_ids[s]
        fx, fy = driving_force(mass[i], desired_speed[i], relaxation_time[i], dir_x[i], dir_y[i], vel_x[i], vel_y[i])
        fx += smooth_fx[i]
        fy += smooth_fy[i]
        radial = 0.0
        for p in range(n_stiff[i]):
            j = stiff_partners[i, p]
            if agent_id is None:
                id_i = i
                id_j = j
            else:
                id_i = agent_id[i]
                id_j = agent_id[j]
            gx, gy, rad = pair_force(
                pos_x[i], pos_y[i], vel_x[i], vel_y[i], radius[i],
                pos_x[j], pos_y[j], vel_x[j], vel_y[j], radius[j], id_i, id_j, A, B, k, kappa,
            )
            fx += gx
            fy += gy
            radial += rad
        for p in range(n_stiff_walls[i]):  # written out in both kernels: see stiff_pass
            w = stiff_walls[i, p]
            gx, gy, rad = wall_force(
                pos_x[i], pos_y[i], vel_x[i], vel_y[i], radius[i],
                walls[w, 0], walls[w, 1], walls[w, 2], walls[w, 3], dir_x[i], dir_y[i], A, B, k, kappa,
            )
            fx += gx
            fy += gy
            radial += rad
        acc_x[i] = fx / mass[i]
        acc_y[i] = fy / mass[i]
        radial_sum[i] += radial


@njit(cache=True)
def stiff_accelerations_pairwise(
    stiff_ids, pos_x, pos_y, vel_x, vel_y, radius, mass, desired_speed, relaxation_time,
    dir_x, dir_y, smooth_fx, smooth_fy, stiff_partners, n_stiff, walls, stiff_walls, n_stiff_walls,
    params, acc_x, acc_y, radial_sum, agent_id=None,
):
    """:func:`stiff_accelerations` on one thread, each stiff pair evaluated once: the same bits.

    The parallel kernel evaluates a stiff pair from both ends (no two threads write to one
    agent). Here the agent of a pair visited first evaluates it and keeps its terms; the
    other, when its turn comes, finds itself in the first one's list and takes the terms
    negated. :func:`pair_force` is antisymmetric to the last bit (the distance, the overlap and
    the tangential relative speed are the same numbers from both ends, each force component
    the exact negative: rounding to nearest is symmetric; coincident centres are parted by
    the two ids, ±1), so every agent's sum gets the same terms in the same (its own list's)
    order as in the parallel kernel. The one exception is the sign of a component that is
    exactly zero, and adding +0.0 or −0.0 to a sum gives the same bits unless the sum is −0.0;
    sums here start from the driving plus smooth force, which the force pass never leaves at
    −0.0 (its sums start at +0.0). Pairs listed from one end only (the partner is not stiff,
    not active, or its list overflowed) are evaluated from that end, as before.
    """
    mirror = mirror_plan(stiff_ids, stiff_partners, n_stiff, pos_x.size)
    terms = np.empty((stiff_ids.size * MAX_STIFF_PARTNERS, 3))
    stiff_pass(
        mirror, terms, stiff_ids, pos_x, pos_y, vel_x, vel_y, radius, mass, desired_speed, relaxation_time,
        dir_x, dir_y, smooth_fx, smooth_fy, stiff_partners, n_stiff, walls, stiff_walls, n_stiff_walls,
        params, acc_x, acc_y, radial_sum, agent_id,
    )


@njit(cache=True)
def mirror_plan(stiff_ids, stiff_partners, n_stiff, n_agents):
    """Which stiff pairs :func:`stiff_pass` evaluates and which it takes negated.

    mirror[s, p] is −1 where the s-th stiff agent (in ``stiff_ids`` order) evaluates the pair
    with its p-th partner j; where j was visited earlier (at s') and lists i (at q), it is
    s' × MAX_STIFF_PARTNERS + q, the row of the terms table where j left them. The lists do not
    change within an outer step, so the contact sub-steps plan once (kernels/contact.py).
    """
    n = stiff_ids.size
    visit_rank = np.zeros(n_agents, np.int64)  # 1 + visiting position; 0 for agents not visited
    for s in range(n):
        visit_rank[stiff_ids[s]] = s + 1
    mirror = np.full((n, MAX_STIFF_PARTNERS), -1, np.int64)
    for s in range(n):
        i = stiff_ids[s]
        for p in range(n_stiff[i]):
            j = stiff_partners[i, p]
            rank = visit_rank[j]
            if 0 < rank <= s:  # j comes first: it evaluated the pair, if it lists i
                for q in range(n_stiff[j]):
                    if stiff_partners[j, q] == i:
                        mirror[s, p] = (rank - 1) * MAX_STIFF_PARTNERS + q
                        break
    return mirror


@njit(cache=True)
def stiff_pass(
    mirror, terms, stiff_ids, pos_x, pos_y, vel_x, vel_y, radius, mass, desired_speed, relaxation_time,
    dir_x, dir_y, smooth_fx, smooth_fy, stiff_partners, n_stiff, walls, stiff_walls, n_stiff_walls,
    params, acc_x, acc_y, radial_sum, agent_id,
):
    """One evaluation of :func:`stiff_accelerations_pairwise` following a :func:`mirror_plan`;
    ``terms`` [stiff agents × MAX_STIFF_PARTNERS, 3] is work space."""
    A = params[P_A]
    B = params[P_B]
    k = params[P_K]
    kappa = params[P_KAPPA]
    for s in range(stiff_ids.size):
        i = stiff_ids[s]
        fx, fy = driving_force(mass[i], desired_speed[i], relaxation_time[i], dir_x[i], dir_y[i], vel_x[i], vel_y[i])
        fx += smooth_fx[i]
        fy += smooth_fy[i]
        radial = 0.0
        for p in range(n_stiff[i]):
            m = mirror[s, p]
            if m >= 0:
                gx = -terms[m, 0]
                gy = -terms[m, 1]
                rad = terms[m, 2]
            else:
                j = stiff_partners[i, p]
                if agent_id is None:
                    id_i = i
                    id_j = j
                else:
                    id_i = agent_id[i]
                    id_j = agent_id[j]
                gx, gy, rad = pair_force(
                    pos_x[i], pos_y[i], vel_x[i], vel_y[i], radius[i],
                    pos_x[j], pos_y[j], vel_x[j], vel_y[j], radius[j], id_i, id_j, A, B, k, kappa,
                )
                own = s * MAX_STIFF_PARTNERS + p
                terms[own, 0] = gx
                terms[own, 1] = gy
                terms[own, 2] = rad
            fx += gx
            fy += gy
            radial += rad
        # The wall loop is written out here and in stiff_accelerations: as an inlined helper
        # taking the arrays, numba updated a reference count per array and agent, which took
        # half of this kernel's time (2.1 of 4.3 µs a call at the Los Olivos crush).
        for p in range(n_stiff_walls[i]):
            w = stiff_walls[i, p]
            gx, gy, rad = wall_force(
                pos_x[i], pos_y[i], vel_x[i], vel_y[i], radius[i],
                walls[w, 0], walls[w, 1], walls[w, 2], walls[w, 3], dir_x[i], dir_y[i], A, B, k, kappa,
            )
            fx += gx
            fy += gy
            radial += rad
        acc_x[i] = fx / mass[i]
        acc_y[i] = fy / mass[i]
        radial_sum[i] += radial


@njit(cache=True, parallel=True)
def kick_drift(ids, pos_x, pos_y, vel_x, vel_y, acc_x, acc_y, dt):
    """Semi-implicit (symplectic) Euler: v += a dt, then x += v dt, for the listed agents."""
    for s in prange(ids.size):
        i = ids[s]
        vel_x[i] += acc_x[i] * dt
        vel_y[i] += acc_y[i] * dt
        pos_x[i] += vel_x[i] * dt
        pos_y[i] += vel_y[i] * dt


@njit(cache=True, parallel=True)
def free_accelerations(
    free_ids, vel_x, vel_y, mass, desired_speed, relaxation_time, dir_x, dir_y, smooth_fx, smooth_fy,
    acc_x, acc_y,
):
    """Accelerations of agents with no stiff contact: driving plus smooth social forces."""
    for s in prange(free_ids.size):
        i = free_ids[s]
        fx, fy = driving_force(mass[i], desired_speed[i], relaxation_time[i], dir_x[i], dir_y[i], vel_x[i], vel_y[i])
        acc_x[i] = (fx + smooth_fx[i]) / mass[i]
        acc_y[i] = (fy + smooth_fy[i]) / mass[i]


@njit(cache=True)
def split_stiff(active, n_stiff, n_stiff_walls, n_stiff_leaves, contact_rate):
    """Indices of stiff and free active agents, and the largest contact rate (1/s)."""
    n = active.size
    stiff = np.empty(n, np.int64)
    free = np.empty(n, np.int64)
    n_s = 0
    n_f = 0
    rate = 0.0
    for i in range(n):
        if not active[i]:
            continue
        if n_stiff[i] > 0 or n_stiff_walls[i] > 0 or n_stiff_leaves[i] > 0:
            stiff[n_s] = i
            n_s += 1
            if contact_rate[i] > rate:
                rate = contact_rate[i]
        else:
            free[n_f] = i
            n_f += 1
    return stiff[:n_s], free[:n_f], rate


@njit(cache=True)
def substep_count(dt, rate, stability, max_substeps):
    """Sub-steps per outer step so that sub_step × rate ≤ stability (at least 1)."""
    if rate <= 0.0:
        return 1
    count = int(math.ceil(dt * rate / stability))
    if count < 1:
        count = 1
    if count > max_substeps:
        count = max_substeps
    return count


# On one thread the smooth forces and the stiff contacts are taken pair by pair, each pair
# evaluated once: the same bits, less work.
use_as_serial_twin(smooth_forces, smooth_forces_pairwise)
use_as_serial_twin(stiff_accelerations, stiff_accelerations_pairwise)
