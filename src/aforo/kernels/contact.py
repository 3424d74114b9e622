"""The contact sub-steps of one outer step: stiff agents and the leaves they touch, n sub-steps of h.

Within an outer step the stiff agents, their partner and wall lists and the leaves they touch
are fixed (kernels/social_force.py lists them once per outer step); each sub-step evaluates the
full contact law on those lists, adds the leaf contacts, moves the stiff agents (symplectic
Euler) and turns the leaves (docs/physics.md, "Contact sub-steps").

``contact_substeps`` strings the parallel kernels together for large crowds.
``contact_substeps_pairwise`` is its serial twin for small crowds (a Los Olivos night takes a
million sub-steps): it works out once per outer step which of its stiff pairs the agent visited
first evaluates and where the other finds the terms (the same pairs in the same order as
:func:`aforo.kernels.social_force.stiff_accelerations_pairwise`, which searched for them at
every sub-step), so each sub-step only evaluates pairs and adds. The same bits either way
(tests/kernels/test_contact.py).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from aforo.kernels.doors import add_leaf_contacts, advance_leaves, update_leaf_segments
from aforo.kernels.serial import use_as_serial_twin
from aforo.kernels.social_force import (
    MAX_STIFF_PARTNERS,
    P_K,
    P_KAPPA,
    kick_drift,
    mirror_plan,
    stiff_accelerations,
    stiff_pass,
)


@njit(cache=True)
def contact_substeps(
    n_sub, h, stiff_ids, pos_x, pos_y, vel_x, vel_y, radius, mass, desired_speed, relaxation_time,
    dir_x, dir_y, smooth_fx, smooth_fy, stiff_partners, n_stiff, walls, stiff_walls, n_stiff_walls,
    params, acc_x, acc_y, radial_sum, agent_id, stiff_leaves, n_stiff_leaves, agent_leaf_torque,
    agent_leaf_force, leaves,
):
    """``n_sub`` contact sub-steps of ``h`` (s): stiff agents and the leaves they touch move.

    ``leaves`` is the leaf tuple (aforo.venue.doors); ``radial_sum`` gains each stiff agent's
    body compression force (N) at every sub-step.
    """
    for _ in range(n_sub):
        stiff_accelerations(
            stiff_ids, pos_x, pos_y, vel_x, vel_y, radius, mass, desired_speed, relaxation_time,
            dir_x, dir_y, smooth_fx, smooth_fy, stiff_partners, n_stiff, walls, stiff_walls,
            n_stiff_walls, params, acc_x, acc_y, radial_sum, agent_id,
        )
        _leaves_substep(
            h, stiff_ids, pos_x, pos_y, vel_x, vel_y, radius, mass, params, acc_x, acc_y, radial_sum,
            agent_id, stiff_leaves, n_stiff_leaves, agent_leaf_torque, agent_leaf_force, leaves,
        )


@njit(cache=True)
def contact_substeps_pairwise(
    n_sub, h, stiff_ids, pos_x, pos_y, vel_x, vel_y, radius, mass, desired_speed, relaxation_time,
    dir_x, dir_y, smooth_fx, smooth_fy, stiff_partners, n_stiff, walls, stiff_walls, n_stiff_walls,
    params, acc_x, acc_y, radial_sum, agent_id, stiff_leaves, n_stiff_leaves, agent_leaf_torque,
    agent_leaf_force, leaves,
):
    """:func:`contact_substeps` on one thread, each stiff pair evaluated once a sub-step.

    As in ``stiff_accelerations_pairwise``: of a pair listed from both ends, the agent visited
    first (in ``stiff_ids`` order) evaluates it and keeps its terms, and the other takes them
    negated (``pair_force`` is antisymmetric to the last bit; that function's docstring gives
    the argument for equal sums). Which entry mirrors which is planned once for all the
    sub-steps (``mirror_plan``), not searched for at each.
    """
    if n_sub <= 0:
        return
    mirror = mirror_plan(stiff_ids, stiff_partners, n_stiff, pos_x.size)
    terms = np.empty((stiff_ids.size * MAX_STIFF_PARTNERS, 3))
    for _ in range(n_sub):
        stiff_pass(
            mirror, terms, stiff_ids, pos_x, pos_y, vel_x, vel_y, radius, mass, desired_speed, relaxation_time,
            dir_x, dir_y, smooth_fx, smooth_fy, stiff_partners, n_stiff, walls, stiff_walls, n_stiff_walls,
            params, acc_x, acc_y, radial_sum, agent_id,
        )
        _leaves_substep(
            h, stiff_ids, pos_x, pos_y, vel_x, vel_y, radius, mass, params, acc_x, acc_y, radial_sum,
            agent_id, stiff_leaves, n_stiff_leaves, agent_leaf_torque, agent_leaf_force, leaves,
        )


@njit(cache=True)
def _leaves_substep(
    h, stiff_ids, pos_x, pos_y, vel_x, vel_y, radius, mass, params, acc_x, acc_y, radial_sum, agent_id,
    stiff_leaves, n_stiff_leaves, agent_leaf_torque, agent_leaf_force, leaves,
):
    """The rest of a sub-step once the stiff agents' pair and wall accelerations are set: leaf
    contacts added, the stiff agents moved, the leaves turned and their segments updated."""
    (leaf_hinge_x, leaf_hinge_y, leaf_length, leaf_base, leaf_sign, leaf_max, leaf_inertia,
     leaf_space, leaf_mode, leaf_handle_force, leaf_frame, leaf_angle, leaf_omega, leaf_segment,
     leaf_torque, leaf_force_sum, leaf_closing_sum, leaf_handle_torque) = leaves
    add_leaf_contacts(
        stiff_ids, pos_x, pos_y, vel_x, vel_y, radius, mass, stiff_leaves, n_stiff_leaves,
        leaf_hinge_x, leaf_hinge_y, leaf_sign, leaf_omega, leaf_segment, params[P_K],
        params[P_KAPPA], acc_x, acc_y, radial_sum, agent_leaf_torque, agent_leaf_force,
    )
    kick_drift(stiff_ids, pos_x, pos_y, vel_x, vel_y, acc_x, acc_y, h)
    advance_leaves(
        stiff_ids, stiff_leaves, n_stiff_leaves, agent_leaf_torque, agent_leaf_force,
        leaf_length, leaf_max, leaf_inertia, leaf_mode, leaf_handle_torque, leaf_angle,
        leaf_omega, leaf_torque, leaf_force_sum, leaf_closing_sum, h, agent_id,
    )
    update_leaf_segments(leaf_hinge_x, leaf_hinge_y, leaf_length, leaf_base, leaf_sign, leaf_angle, leaf_segment)


use_as_serial_twin(contact_substeps, contact_substeps_pairwise)
