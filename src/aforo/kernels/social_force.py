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

from aforo.kernels.geometry import closest_point_on_segment, projects_inside

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
N_PARAMS = 10

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
def smooth_forces(
    pos_x, pos_y, vel_x, vel_y, radius, mass, space, elevation, active,
    cell_start, cell_agents, agent_cell, n_cells_x, n_cells_y,
    walls, wall_space, wall_cell_start, wall_cell_ids,
    space_link, params, dir_x, dir_y,
    out_fx, out_fy, stiff_partners, n_stiff, stiff_walls, n_stiff_walls, contact_rate, gap_ahead,
    status,
):
    """Smooth (non-touching) social forces, and the stiff pairs and walls of each agent.

    Writes out_fx/out_fy (N) without the driving term, the stiff partner and wall lists, and each
    agent's contact rate (1/s): the largest of sqrt(2 Σ stiffness / m) and 2 Σ κ g / m over its
    stiff contacts, from which the engine picks the sub-step.

    Also writes ``gap_ahead`` (m): the free distance to the nearest body in the agent's path
    (centres ahead along its desired direction, laterally closer than the sum of the radii),
    surface to surface; +inf when nobody within the searched cells is in the way.
    """
    A = params[P_A]
    B = params[P_B]
    k = params[P_K]
    kappa = params[P_KAPPA]
    cutoff = params[P_RANGE]
    margin = params[P_MARGIN]
    max_dz = params[P_MAX_DZ]
    n = pos_x.size
    for i in prange(n):
        out_fx[i] = 0.0
        out_fy[i] = 0.0
        n_stiff[i] = 0
        n_stiff_walls[i] = 0
        contact_rate[i] = 0.0
        if not active[i]:
            continue
        xi = pos_x[i]
        yi = pos_y[i]
        ri = radius[i]
        fx = 0.0
        fy = 0.0
        ex = dir_x[i]
        ey = dir_y[i]
        ahead = np.inf
        stiffness_sum = 0.0
        friction_sum = 0.0
        count = 0
        c = agent_cell[i]
        cx = c % n_cells_x
        cy = c // n_cells_x
        for ny_ in range(max(cy - 1, 0), min(cy + 2, n_cells_y)):
            for nx_ in range(max(cx - 1, 0), min(cx + 2, n_cells_x)):
                nc = ny_ * n_cells_x + nx_
                for slot in range(cell_start[nc], cell_start[nc + 1]):
                    j = cell_agents[slot]
                    if j == i:
                        continue
                    if not may_interact(space[i], space[j], elevation[i], elevation[j], space_link, max_dz):
                        continue
                    dx = xi - pos_x[j]
                    dy = yi - pos_y[j]
                    dist = math.sqrt(dx * dx + dy * dy)
                    gap = dist - ri - radius[j]
                    along = -(dx * ex + dy * ey)  # j's centre ahead of i along e_i
                    if along > 0.0 and abs(dx * ey - dy * ex) < ri + radius[j]:
                        if gap < ahead:
                            ahead = gap
                    if gap > cutoff:
                        continue
                    if gap <= margin:
                        if count < MAX_STIFF_PARTNERS:
                            stiff_partners[i, count] = j
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
        wall_count = 0
        for slot in range(wall_cell_start[c], wall_cell_start[c + 1]):
            w = wall_cell_ids[slot]
            if wall_space[w] != space[i]:
                continue
            qx, qy = closest_point_on_segment(xi, yi, walls[w, 0], walls[w, 1], walls[w, 2], walls[w, 3])
            dx = xi - qx
            dy = yi - qy
            dist = math.sqrt(dx * dx + dy * dy)
            gap = dist - ri
            if gap > cutoff:
                continue
            if gap <= margin or dist <= 1e-12:
                if wall_count < MAX_STIFF_WALLS:
                    stiff_walls[i, wall_count] = w
                    wall_count += 1
                    overlap = max(-gap, 0.0)
                    stiffness_sum += 0.5 * (A / B * math.exp(-gap / B) + k)
                    friction_sum += 0.5 * kappa * overlap
                else:
                    status[i] |= STATUS_PARTNER_OVERFLOW
                continue
            facing = projects_inside(xi, yi, walls[w, 0], walls[w, 1], walls[w, 2], walls[w, 3])
            gx, gy = wall_social(A, B, gap, dx / dist, dy / dist, facing, ex, ey)
            fx += gx
            fy += gy
        n_stiff_walls[i] = wall_count
        gap_ahead[i] = ahead
        out_fx[i] = fx
        out_fy[i] = fy
        # Relative motion of a pair involves both masses: 2/m for equal bodies (walls count half).
        contact_rate[i] = max(math.sqrt(2.0 * stiffness_sum / mass[i]), 2.0 * friction_sum / mass[i])


@njit(cache=True, parallel=True)
def apply_headway(active, gap_ahead, headway_time, speed_now):
    """Orderly walkers do not walk into the body ahead: desired speed ≤ gap / headway time.

    The collision-free speed rule of Tordeux, Chraibi & Seyfried (2016), applied to the desired
    speed of the social force's driving term. A headway time of 0 switches it off: the agent
    pushes with the full HFV driving force m v0/τ, as in a competitive or panicking crowd.
    """
    for i in prange(active.size):
        if active[i] and headway_time[i] > 0.0:
            limit = max(gap_ahead[i], 0.0) / headway_time[i]
            if limit < speed_now[i]:
                speed_now[i] = limit


@njit(cache=True, inline="always")
def driving_force(m, v0, tau, ex, ey, vx, vy):
    """Relaxation towards the desired velocity: m (v0 e0 − v)/τ."""
    return m * (v0 * ex - vx) / tau, m * (v0 * ey - vy) / tau


@njit(cache=True, parallel=True)
def stiff_accelerations(
    stiff_ids, pos_x, pos_y, vel_x, vel_y, radius, mass, desired_speed, relaxation_time,
    dir_x, dir_y, smooth_fx, smooth_fy, stiff_partners, n_stiff, walls, stiff_walls, n_stiff_walls,
    params, acc_x, acc_y, radial_sum,
):
    """Accelerations of the stiff agents at the current sub-step (full law on stiff contacts)."""
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
            gx, gy, rad = pair_force(
                pos_x[i], pos_y[i], vel_x[i], vel_y[i], radius[i],
                pos_x[j], pos_y[j], vel_x[j], vel_y[j], radius[j], i, j, A, B, k, kappa,
            )
            fx += gx
            fy += gy
            radial += rad
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
