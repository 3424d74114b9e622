"""The step pipeline, compiled: ``advance`` runs whole outer steps without returning to Python.

One outer step of length dt is this fixed sequence of stages (docs/physics.md explains each):

1. ``cells``       agents binned on the plan grid (counting sort, deterministic order)
2. ``directions``  desired direction from the agent's navigation field; stair speed factor;
                   standing (pre-movement, stopped, waiting) and guards holding a post;
                   walkers over a body on the floor slowed (kernels/floor.py)
3. ``forces``      smooth social forces once; stiff pairs and walls listed; contact rate;
                   orderly walkers slow to the free gap ahead (headway rule) and, where
                   that slows them, step aside (kernels/steering.py)
4. ``integrate``   free agents: one symplectic Euler step of dt; stiff agents: n sub-steps of
                   dt/n with the full contact law, n from the largest contact rate
5. ``walls``       hard-wall guard: no centre crosses a wall or a leaf; clearance restored
   Door leaves (kernels/doors.py) take part in both: a leaf touched by an agent turns with
                   the contact sub-steps, a leaf nobody touches with dt.
6. ``health``      non-finite states put back and flagged (a run never dies of one agent)
7. ``lines``       portal crossings change space; exit crossings remove; door crossings counted
8. ``elevation``   z from the space's plane

Arguments are grouped in tuples (agents, venue, scratch, events) so the signature stays readable;
their layouts are built in :mod:`aforo.engine.state` and :mod:`aforo.venue.compiled`.

``advance`` runs the parallel kernels (large crowds); ``advance_serial`` is the same source with
every kernel replaced by its serial twin (:mod:`aforo.kernels.serial`; the smooth forces pair by
pair), for small crowds, which would otherwise spend their time starting parallel regions. Both
give the same bits (docs/performance.md).
"""

from __future__ import annotations

from numba import njit

from aforo.kernels.cells import build_agent_cells
from aforo.kernels.constraints import (
    apply_roles,
    cross_lines,
    desired_directions,
    enforce_walls,
    guard_non_finite,
    invalidate_nav_cache,
    update_elevation,
)
from aforo.kernels.contact import contact_substeps
from aforo.kernels.doors import (
    advance_leaves,
    enforce_leaves,
    find_leaf_contacts,
    handle_torques,
    update_leaf_segments,
)
from aforo.kernels.floor import invalidate_body_cache, slow_over_bodies, weight_on_bodies
from aforo.kernels.pair_list import invalidate_pair_cache
from aforo.kernels.serial import serial_twin
from aforo.kernels.smooth_pass import smooth_forces
from aforo.kernels.steering import DECISION_INTERVAL_S, orderly_steering
from aforo.kernels.social_force import (
    P_BODY_FOOTPRINT,
    P_CLEARANCE,
    P_K,
    P_MARGIN,
    P_MAX_DZ,
    P_SPEED_OVER_BODY,
    P_WEIGHT_ON_BODY,
    STATUS_WALL_REVERTED,
    P_MAX_SUBSTEPS,
    P_STABILITY,
    free_accelerations,
    kick_drift,
    split_stiff,
    substep_count,
)


@njit(cache=True)
def advance(n_steps, dt, params, agents, venue, leaves, scratch, events, n_events, first_step, agent_id, threads):
    """Run ``n_steps`` outer steps in place. Returns (n_events, total sub-steps, most in a step).

    ``n_events`` is −1 on return if the event buffers overflowed (the caller drains them every
    call and sizes them for the worst case, so this signals a bug, not a crowd).

    The agents may be stored in any order (the engine stores large crowds in cell order for
    locality): ``agent_id`` is each index's original index. Wherever the agents' order enters
    a result (the order of partners in a force sum, leaves summing torques, parting coincident
    bodies) the kernels follow the original order, so the run is the same, bit for bit, either
    way. Line events come in index order within a step; the engine puts them in id order.

    ``threads`` is numba's thread count, which the force pass divides its work by (the serial
    twin ignores it); any value gives the same bits.
    """
    (pos_x, pos_y, vel_x, vel_y, radius, mass, desired_speed, relaxation_time, space, elevation,
     active, field_of_agent, dir_x, dir_y, status, contact_force, headway_time, start_step, moving,
     hold_x, hold_y, hold_force, limp, lying, steer_choice, load_sum) = agents
    (walls, wall_space, wall_cell_start, wall_cell_ids, space_link, space_plane, space_uphill,
     space_factor_up, space_factor_down, lines, line_space, line_kind, line_target, line_start,
     grid_origin_x, grid_origin_y, grid_nx, grid_ny, grid_offset, nav_cell_size, field_direction,
     x_min, y_min, cell_size, n_cells_x, n_cells_y) = venue
    (old_x, old_y, smooth_fx, smooth_fy, stiff_partners, n_stiff, stiff_walls, n_stiff_walls,
     contact_rate, acc_x, acc_y, radial_sum, speed_now, gap_ahead, stiff_leaves, n_stiff_leaves,
     agent_leaf_torque, agent_leaf_force, pair_cache, body_cache, nav_cache) = scratch
    (leaf_hinge_x, leaf_hinge_y, leaf_length, leaf_base, leaf_sign, leaf_max, leaf_inertia,
     leaf_space, leaf_mode, leaf_handle_force, leaf_frame, leaf_angle, leaf_omega, leaf_segment,
     leaf_torque, leaf_force_sum, leaf_closing_sum, leaf_handle_torque) = leaves
    event_agent, event_line, event_sign, event_step = events

    total_substeps = 0
    most_substeps = 0
    decide_steps = max(1, int(round(DECISION_INTERVAL_S / dt)))
    invalidate_pair_cache(pair_cache)  # agents renumbered, headways and bodies changed since the last call
    invalidate_body_cache(body_cache)
    invalidate_nav_cache(nav_cache)  # fields may have been recomputed, agents renumbered
    for step in range(n_steps):
        old_x[:] = pos_x
        old_y[:] = pos_y
        # 1. cells
        cell_start, cell_agents, agent_cell = build_agent_cells(
            pos_x, pos_y, active, x_min, y_min, cell_size, n_cells_x, n_cells_y, agent_id
        )
        # 2. directions
        desired_directions(
            pos_x, pos_y, space, active, field_of_agent, grid_origin_x, grid_origin_y, grid_nx,
            grid_ny, grid_offset, nav_cell_size, field_direction, space_uphill, space_factor_up,
            space_factor_down, desired_speed, dir_x, dir_y, speed_now, nav_cache,
        )
        apply_roles(
            first_step + step, pos_x, pos_y, active, start_step, moving, hold_x, hold_y, hold_force,
            limp, mass, relaxation_time, desired_speed, dir_x, dir_y, speed_now,
        )
        slow_over_bodies(
            pos_x, pos_y, radius, space, elevation, active, lying, cell_start, cell_agents, agent_cell, n_cells_x,
            n_cells_y, space_link, params[P_MAX_DZ], params[P_BODY_FOOTPRINT], params[P_SPEED_OVER_BODY], body_cache,
            speed_now,
        )
        # 3. forces
        smooth_forces(
            pos_x, pos_y, vel_x, vel_y, radius, mass, space, elevation, active, lying,
            cell_start, cell_agents, agent_cell, n_cells_x, n_cells_y,
            walls, wall_space, wall_cell_start, wall_cell_ids, space_link, params, dir_x, dir_y, headway_time,
            pair_cache, smooth_fx, smooth_fy, stiff_partners, n_stiff, stiff_walls, n_stiff_walls, contact_rate,
            gap_ahead, status, threads,
        )
        orderly_steering(
            first_step + step, decide_steps, agent_id, pos_x, pos_y, vel_x, vel_y, radius, space, elevation, active,
            start_step, moving, hold_force, limp, lying, headway_time, steer_choice, cell_start, cell_agents,
            agent_cell, n_cells_x, n_cells_y,
            cell_size, walls, wall_space, wall_cell_start, wall_cell_ids, space_link, params[P_MAX_DZ],
            gap_ahead, dir_x, dir_y, speed_now,
        )
        find_leaf_contacts(
            pos_x, pos_y, radius, mass, space, active, leaf_segment, leaf_space, leaf_mode,
            params[P_MARGIN], params[P_K], stiff_leaves, n_stiff_leaves, contact_rate,
        )
        handle_torques(
            pos_x, pos_y, space, active, dir_x, dir_y, leaf_hinge_x, leaf_hinge_y, leaf_length,
            leaf_base, leaf_sign, leaf_angle, leaf_space, leaf_mode, leaf_handle_force, leaf_frame,
            leaf_handle_torque,
        )
        # 4. integrate
        stiff_ids, free_ids, rate = split_stiff(active, n_stiff, n_stiff_walls, n_stiff_leaves, contact_rate)
        free_accelerations(
            free_ids, vel_x, vel_y, mass, speed_now, relaxation_time, dir_x, dir_y,
            smooth_fx, smooth_fy, acc_x, acc_y,
        )
        kick_drift(free_ids, pos_x, pos_y, vel_x, vel_y, acc_x, acc_y, dt)
        n_sub = substep_count(dt, rate, params[P_STABILITY], int(params[P_MAX_SUBSTEPS]))
        if stiff_ids.size == 0:
            n_sub = 0
        h = dt / max(n_sub, 1)
        for i in range(pos_x.size):
            radial_sum[i] = 0.0
        contact_substeps(
            n_sub, h, stiff_ids, pos_x, pos_y, vel_x, vel_y, radius, mass, speed_now, relaxation_time,
            dir_x, dir_y, smooth_fx, smooth_fy, stiff_partners, n_stiff, walls, stiff_walls, n_stiff_walls,
            params, acc_x, acc_y, radial_sum, agent_id, stiff_leaves, n_stiff_leaves, agent_leaf_torque,
            agent_leaf_force, leaves,
        )
        if n_sub == 0 and leaf_angle.size > 0:  # nobody touches a leaf: they swing on their own
            advance_leaves(
                stiff_ids, stiff_leaves, n_stiff_leaves, agent_leaf_torque, agent_leaf_force,
                leaf_length, leaf_max, leaf_inertia, leaf_mode, leaf_handle_torque, leaf_angle,
                leaf_omega, leaf_torque, leaf_force_sum, leaf_closing_sum, dt, agent_id,
            )
            update_leaf_segments(leaf_hinge_x, leaf_hinge_y, leaf_length, leaf_base, leaf_sign, leaf_angle, leaf_segment)
        total_substeps += n_sub
        if n_sub > most_substeps:
            most_substeps = n_sub
        for i in range(pos_x.size):
            contact_force[i] = radial_sum[i] / n_sub if n_sub > 0 else 0.0
            load_sum[i] += contact_force[i]  # the frame's mean load, for harm
        weight_on_bodies(
            pos_x, pos_y, radius, mass, space, elevation, active, lying, cell_start, cell_agents, agent_cell,
            n_cells_x, n_cells_y, space_link, params[P_MAX_DZ], params[P_BODY_FOOTPRINT], params[P_WEIGHT_ON_BODY],
            body_cache, contact_force, load_sum,
        )
        # 5. walls
        enforce_walls(
            old_x, old_y, pos_x, pos_y, vel_x, vel_y, radius, space, active, agent_cell,
            walls, wall_space, wall_cell_start, wall_cell_ids, pair_cache, params[P_CLEARANCE], status,
        )
        if leaf_angle.size > 0:
            enforce_leaves(
                old_x, old_y, pos_x, pos_y, vel_x, vel_y, radius, space, active, leaf_segment,
                leaf_space, leaf_mode, params[P_CLEARANCE], STATUS_WALL_REVERTED, status,
            )
        # 6. health
        guard_non_finite(old_x, old_y, pos_x, pos_y, vel_x, vel_y, active, status)
        # 7. lines
        before = n_events
        n_events = cross_lines(
            old_x, old_y, pos_x, pos_y, space, active, lines, line_space, line_kind, line_target,
            line_start, event_agent, event_line, event_sign, n_events,
        )
        if n_events < 0:
            return -1, total_substeps, most_substeps
        for e in range(before, n_events):
            event_step[e] = first_step + step
        # 8. elevation
        update_elevation(pos_x, pos_y, space, active, space_plane, elevation)
    return n_events, total_substeps, most_substeps


# For small crowds: the same steps, bit for bit, without starting a parallel region per stage.
advance_serial = serial_twin(advance)
