"""Door leaves as rigid bodies: hinged segments that bodies press on and that press back.

A leaf is a segment from its hinge H of length L at angle base + sign·θ, θ ∈ [0, θ_max]
(θ = 0 shut in the frame; positive θ swings towards the door's swing side). Its equation is

    I dω/dt = Σ τ_contact + τ_handle − c ω,   I = m L²/3 (a uniform plate about its edge)

Contacts use the wall contact law of HFV (body force k·g along the normal, sliding friction
κ·g against the relative tangential velocity) but no social repulsion: people touch doors on
purpose. Each contact's reaction −f acts on the leaf at the contact point Q, τ = (Q − H) × (−f).
At θ = 0 the frame stops the leaf, at θ_max the wall does (inelastic). A latched leaf is held
at θ = 0 unless someone works its handle; a locked leaf is always held.

The "handle" is one person's pull or push of ``handle_force`` N at 0.9 L from the hinge, applied
while some agent within reach of the handle wants to go through the door. The torque the leaf's
contacts put against opening, divided by that arm, is the handle force it would take to open the
door now — the number reported as ``handle_force_needed_n`` (doors.parquet).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from aforo.kernels.cells import _sort_by_rank
from aforo.kernels.geometry import closest_point_on_segment, segments_cross

LEAF_FREE = 0  # open, or closed but not latched
LEAF_LATCHED = 1
LEAF_LOCKED = 2
LEAF_GONE = 3  # broken (forced open) or never modelled

MAX_STIFF_LEAVES = 2
HANDLE_ARM_FRACTION = 0.9  # handle position along the leaf from the hinge
HANDLE_REACH_M = 0.8  # how far from the handle a person can work it
# Hinge damping time (s): a swinging leaf loses its speed over about this time. Door closers
# are not modelled.
HINGE_DAMPING_TIME_S = 0.5
_THROUGH_COSINE = 0.5  # desired direction within 60° of "through the door"

# Layout of the leaf tuple (built in aforo.venue.doors):
# (hinge_x, hinge_y, length, base_angle, sign, max_angle, inertia, space, mode, handle_force,
#  frame [nl, 4] (the door's jamb segment), angle, omega, segment [nl, 4], torque, contact_force,
#  closing_torque, handle_torque)


@njit(cache=True, inline="always")
def leaf_tip(hx, hy, length, base, sign, angle):
    a = base + sign * angle
    return hx + length * math.cos(a), hy + length * math.sin(a)


@njit(cache=True)
def update_leaf_segments(hinge_x, hinge_y, length, base, sign, angle, segment):
    """Segments [nl, 4] (hinge → tip) at the current angles."""
    for l in range(angle.size):
        tx, ty = leaf_tip(hinge_x[l], hinge_y[l], length[l], base[l], sign[l], angle[l])
        segment[l, 0] = hinge_x[l]
        segment[l, 1] = hinge_y[l]
        segment[l, 2] = tx
        segment[l, 3] = ty


@njit(cache=True, parallel=True)
def find_leaf_contacts(pos_x, pos_y, radius, mass, space, active, segment, leaf_space, mode,
                       margin, k, stiff_leaves, n_stiff_leaves, contact_rate):
    """List each agent's leaves within the contact margin; raise its contact rate for them."""
    for i in prange(pos_x.size):
        n_stiff_leaves[i] = 0
        if not active[i]:
            continue
        count = 0
        for l in range(segment.shape[0]):
            if leaf_space[l] != space[i] or mode[l] == LEAF_GONE:
                continue
            qx, qy = closest_point_on_segment(pos_x[i], pos_y[i], segment[l, 0], segment[l, 1], segment[l, 2], segment[l, 3])
            gap = math.sqrt((pos_x[i] - qx) ** 2 + (pos_y[i] - qy) ** 2) - radius[i]
            if gap <= margin and count < MAX_STIFF_LEAVES:
                stiff_leaves[i, count] = l
                count += 1
        n_stiff_leaves[i] = count
        if count > 0:
            rate = math.sqrt(2.0 * count * k / mass[i])
            if rate > contact_rate[i]:
                contact_rate[i] = rate


@njit(cache=True, inline="always")
def leaf_contact(px, py, vx, vy, r, ax, ay, bx, by, hx, hy, omega_signed, k, kappa):
    """Contact force of a leaf segment on an agent: (fx, fy, body force k·g, qx, qy).

    ``omega_signed`` is the leaf's angular velocity about z (rad/s); the leaf's velocity at
    the contact point enters the sliding friction.
    """
    qx, qy = closest_point_on_segment(px, py, ax, ay, bx, by)
    dx = px - qx
    dy = py - qy
    dist = math.sqrt(dx * dx + dy * dy)
    overlap = r - dist
    if overlap <= 0.0 or dist <= 1e-12:
        return 0.0, 0.0, 0.0, qx, qy
    nx = dx / dist
    ny = dy / dist
    # velocity of the leaf at Q: ω × (Q − H)
    lvx = -omega_signed * (qy - hy)
    lvy = omega_signed * (qx - hx)
    tx = -ny
    ty = nx
    body = k * overlap
    friction = -kappa * overlap * ((vx - lvx) * tx + (vy - lvy) * ty)
    return body * nx + friction * tx, body * ny + friction * ty, body, qx, qy


@njit(cache=True, parallel=True)
def add_leaf_contacts(stiff_ids, pos_x, pos_y, vel_x, vel_y, radius, mass, stiff_leaves, n_stiff_leaves,
                      hinge_x, hinge_y, sign, omega, segment, k, kappa,
                      acc_x, acc_y, radial_sum, agent_leaf_torque, agent_leaf_force):
    """Add leaf contact forces to the stiff agents' accelerations; store each contact's torque
    on its leaf (about the hinge, positive = opening) and force magnitude per agent slot."""
    for s in prange(stiff_ids.size):
        i = stiff_ids[s]
        for c in range(n_stiff_leaves[i]):
            l = stiff_leaves[i, c]
            fx, fy, body, qx, qy = leaf_contact(
                pos_x[i], pos_y[i], vel_x[i], vel_y[i], radius[i], segment[l, 0], segment[l, 1],
                segment[l, 2], segment[l, 3], hinge_x[l], hinge_y[l], sign[l] * omega[l], k, kappa,
            )
            acc_x[i] += fx / mass[i]
            acc_y[i] += fy / mass[i]
            radial_sum[i] += body
            # reaction −f on the leaf at Q: τ_z = (Q − H) × (−f)
            torque_z = (qx - hinge_x[l]) * (-fy) - (qy - hinge_y[l]) * (-fx)
            agent_leaf_torque[i, c] = sign[l] * torque_z
            agent_leaf_force[i, c] = math.sqrt(fx * fx + fy * fy)


@njit(cache=True)
def handle_torques(pos_x, pos_y, space, active, dir_x, dir_y, hinge_x, hinge_y, length, base, sign,
                   angle, leaf_space, mode, handle_force, frame, handle_torque):
    """Opening torque from a person working each shut leaf's handle (0 if nobody is there).

    Someone works the handle when within reach of it (handle position with the leaf shut) and
    wanting to go through the door: desired direction within 60° of the door's normal pointing
    away from the person's side. Applies to free and latched leaves less than 0.2 rad open.
    """
    for l in range(hinge_x.size):
        handle_torque[l] = 0.0
        if mode[l] == LEAF_LOCKED or mode[l] == LEAF_GONE or angle[l] > 0.2:
            continue
        arm = HANDLE_ARM_FRACTION * length[l]
        gx = hinge_x[l] + arm * math.cos(base[l])
        gy = hinge_y[l] + arm * math.sin(base[l])
        ax, ay, bx, by = frame[l, 0], frame[l, 1], frame[l, 2], frame[l, 3]
        fl = math.sqrt((bx - ax) ** 2 + (by - ay) ** 2)
        nlx = -(by - ay) / fl  # left normal of the frame
        nly = (bx - ax) / fl
        for i in range(pos_x.size):
            if not active[i] or space[i] != leaf_space[l]:
                continue
            if (pos_x[i] - gx) ** 2 + (pos_y[i] - gy) ** 2 > HANDLE_REACH_M * HANDLE_REACH_M:
                continue
            side = (pos_x[i] - ax) * nlx + (pos_y[i] - ay) * nly
            through = -(dir_x[i] * nlx + dir_y[i] * nly) if side > 0 else dir_x[i] * nlx + dir_y[i] * nly
            if through >= _THROUGH_COSINE:
                handle_torque[l] = handle_force[l] * arm
                break


@njit(cache=True)
def advance_leaves(stiff_ids, stiff_leaves, n_stiff_leaves, agent_leaf_torque, agent_leaf_force,
                   length, max_angle, inertia, mode, handle_torque, angle, omega,
                   torque_sum, force_sum, closing_sum, dt, agent_id=None):
    """Sum the contact torques per leaf (in agent order: deterministic) and step each leaf.

    Accumulates, for the frame's record, the contact force magnitude and the closing torque
    (torques against opening) in force_sum / closing_sum. With ``agent_id`` (each index's
    original index, when the engine stores agents in another order) the sums follow the
    original order.
    """
    nl = angle.size
    for l in range(nl):
        torque_sum[l] = 0.0
    closing = np.zeros(nl)
    touching = stiff_ids
    if agent_id is not None:
        touching = stiff_ids[n_stiff_leaves[stiff_ids] > 0]
        _sort_by_rank(touching, 0, touching.size, agent_id)
    for s in range(touching.size):
        i = touching[s]
        for c in range(n_stiff_leaves[i]):
            l = stiff_leaves[i, c]
            t = agent_leaf_torque[i, c]
            torque_sum[l] += t
            force_sum[l] += agent_leaf_force[i, c]
            if t < 0.0:
                closing[l] += -t
    for l in range(nl):
        closing_sum[l] += closing[l]
        m = mode[l]
        if m == LEAF_GONE:
            continue
        total = torque_sum[l] + handle_torque[l]
        held = m == LEAF_LOCKED or (m == LEAF_LATCHED and handle_torque[l] == 0.0)
        if held and angle[l] <= 1e-9:
            angle[l] = 0.0
            omega[l] = 0.0
            continue
        omega[l] += dt * (total / inertia[l] - omega[l] / HINGE_DAMPING_TIME_S)
        angle[l] += dt * omega[l]
        if angle[l] < 0.0:  # the frame stops it
            angle[l] = 0.0
            if omega[l] < 0.0:
                omega[l] = 0.0
        elif angle[l] > max_angle[l]:  # the wall (or a door stop) stops it
            angle[l] = max_angle[l]
            if omega[l] > 0.0:
                omega[l] = 0.0


@njit(cache=True, parallel=True)
def enforce_leaves(old_x, old_y, pos_x, pos_y, vel_x, vel_y, radius, space, active, segment, leaf_space, mode,
                   clearance_fraction, status_flag, status):
    """Hard leaves: no centre crosses a leaf; clearance from it restored (as for walls)."""
    for i in prange(pos_x.size):
        if not active[i]:
            continue
        for l in range(segment.shape[0]):
            if leaf_space[l] != space[i] or mode[l] == LEAF_GONE:
                continue
            ax, ay, bx, by = segment[l, 0], segment[l, 1], segment[l, 2], segment[l, 3]
            if segments_cross(old_x[i], old_y[i], pos_x[i], pos_y[i], ax, ay, bx, by):
                pos_x[i] = old_x[i]
                pos_y[i] = old_y[i]
                vel_x[i] = 0.0
                vel_y[i] = 0.0
                status[i] |= status_flag
                continue
            qx, qy = closest_point_on_segment(pos_x[i], pos_y[i], ax, ay, bx, by)
            dx = pos_x[i] - qx
            dy = pos_y[i] - qy
            dist = math.sqrt(dx * dx + dy * dy)
            clearance = clearance_fraction * radius[i]
            if 1e-12 < dist < clearance:
                pos_x[i] = qx + dx / dist * clearance
                pos_y[i] = qy + dy / dist * clearance
