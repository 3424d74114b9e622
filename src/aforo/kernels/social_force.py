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

This module holds the law and the contact sub-step. The smooth pass, once a step, is
kernels/smooth_pass.py. In the parallel contact sub-step each agent sums its own force over its
own stiff partners (every stiff pair is evaluated from both ends), so no two threads write the
same element and the sums are deterministic for any thread count.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from aforo.kernels.geometry import closest_point_on_segment, projects_inside
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


# On one thread the stiff contacts are taken pair by pair, each pair evaluated once: the same
# bits, less work (the smooth forces: kernels/smooth_pass.py).
use_as_serial_twin(stiff_accelerations, stiff_accelerations_pairwise)
