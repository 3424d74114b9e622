"""Hard walls, line crossings and numeric health: what keeps a run valid whatever the forces do.

Walls in the force law are soft (a body can be pressed into them). These kernels make them hard:
after each outer step, an agent whose path crossed a wall is put back where it was, and an agent
closer to a wall than its clearance is pushed out along the wall normal. The guarantee is simple:
an agent's centre never crosses a wall segment, so it never leaves walkable space.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from aforo.kernels.geometry import box_apart_from_segment, closest_point_on_segment, segments_cross, side_of_line
from aforo.kernels.social_force import STATUS_NON_FINITE, STATUS_WALL_PUSHED, STATUS_WALL_REVERTED

LINE_PORTAL = 0  # crossing moves the agent into line_target's space
LINE_EXIT = 1  # crossing removes the agent; line_target is the exit's index
LINE_COUNTER = 2  # crossing is only counted (open doors); line_target is the door's index


@njit(cache=True)
def _crosses_any_wall(ox, oy, px, py, s, c, walls, wall_space, wall_cell_start, wall_cell_ids):
    for slot in range(wall_cell_start[c], wall_cell_start[c + 1]):
        w = wall_cell_ids[slot]
        if wall_space[w] != s:
            continue
        if box_apart_from_segment(min(ox, px), min(oy, py), max(ox, px), max(oy, py), walls[w, 0], walls[w, 1],
                                   walls[w, 2], walls[w, 3], 0.0):
            continue  # segments whose boxes are apart cannot cross or touch
        if segments_cross(ox, oy, px, py, walls[w, 0], walls[w, 1], walls[w, 2], walls[w, 3]):
            return True
    return False


# How far an agent may be from where the force pass listed its walls (within force range +
# skin, 0.7 m + r) for the guard to read that list: the walls it can cross or come within
# clearance (≤ r) of, pushes included, are then within 0.1 m + 2 r of that place.
GUARD_DRIFT_M = 0.1


@njit(cache=True)
def _near_walls_hold(pos_x, pos_y, active, pair_cache):
    """True when the force pass of this step kept its lists with each agent's walls, and every
    active agent is within GUARD_DRIFT_M of where they were made."""
    state, cached_x, cached_y, agent_row = pair_cache[6], pair_cache[2], pair_cache[3], pair_cache[7]
    if state[0] < 0 or state[1] != 1:
        return False
    for i in range(pos_x.size):
        if active[i]:
            row = agent_row[i]
            dx = pos_x[i] - cached_x[row]
            dy = pos_y[i] - cached_y[row]
            if dx * dx + dy * dy > GUARD_DRIFT_M * GUARD_DRIFT_M:
                return False
    return True


@njit(cache=True, inline="always")
def _surely_clear(dist_sq, clearance):
    """True when sqrt(dist_sq) ≥ clearance for certain (a relative slack of 1e-9 ≫ rounding):
    the square root is needed only near the clearance, and the outcome never differs."""
    return dist_sq > clearance * clearance * (1.0 + 1e-9)


@njit(cache=True, parallel=True)
def enforce_walls(
    old_x, old_y, pos_x, pos_y, vel_x, vel_y, radius, space, active, agent_cell,
    walls, wall_space, wall_cell_start, wall_cell_ids, pair_cache, clearance_fraction, status,
):
    """Keep every centre inside walkable space and at least clearance·r from walls.

    ``agent_cell`` is the cell of the old position; a step is far shorter than a cell, so the old
    cell's wall list holds every wall the path can meet. When the serial force pass of this
    step kept its lists (``pair_cache``, kernels/pair_list.py) and no agent has moved more than
    :data:`GUARD_DRIFT_M` from where they were made, each agent reads its walls within force
    range there instead: every wall it can cross or come within clearance of is among them,
    in the cell's order, so the outcome is the same, bit for bit.
    """
    # Chosen once, not per agent: an array variable assigned in the loop costs numba reference
    # counting per agent (slower than reading the cells' walls).
    if _near_walls_hold(pos_x, pos_y, active, pair_cache):
        wall_row, wall_start, wall_ids = pair_cache[7], pair_cache[8], pair_cache[9]
    else:
        wall_row, wall_start, wall_ids = agent_cell, wall_cell_start, wall_cell_ids
    for i in prange(pos_x.size):
        if not active[i]:
            continue
        s = space[i]
        c = agent_cell[i]
        row = wall_row[i]
        ox = old_x[i]
        oy = old_y[i]
        # _crosses_any_wall written out: called per agent, the helper cost numba a reference
        # count update per array argument (3.0 → 2.2 µs a call at the Los Olivos crush). The
        # rare second check, after a push, still calls it.
        px = pos_x[i]
        py = pos_y[i]
        crossed = False
        for slot in range(wall_start[row], wall_start[row + 1]):
            w = wall_ids[slot]
            if wall_space[w] != s:
                continue
            if box_apart_from_segment(min(ox, px), min(oy, py), max(ox, px), max(oy, py), walls[w, 0], walls[w, 1],
                                       walls[w, 2], walls[w, 3], 0.0):
                continue  # segments whose boxes are apart cannot cross or touch
            if segments_cross(ox, oy, px, py, walls[w, 0], walls[w, 1], walls[w, 2], walls[w, 3]):
                crossed = True
                break
        if crossed:
            pos_x[i] = ox
            pos_y[i] = oy
            vel_x[i] = 0.0
            vel_y[i] = 0.0
            status[i] |= STATUS_WALL_REVERTED
            continue
        clearance = clearance_fraction * radius[i]
        pushed = False
        for _ in range(3):  # a few passes settle concave corners
            moved = False
            for slot in range(wall_start[row], wall_start[row + 1]):
                w = wall_ids[slot]
                if wall_space[w] != s:
                    continue
                px = pos_x[i]
                py = pos_y[i]
                if box_apart_from_segment(px, py, px, py, walls[w, 0], walls[w, 1], walls[w, 2], walls[w, 3], clearance):
                    continue  # further than the clearance: left alone, as below
                qx, qy = closest_point_on_segment(px, py, walls[w, 0], walls[w, 1], walls[w, 2], walls[w, 3])
                dx = px - qx
                dy = py - qy
                dist_sq = dx * dx + dy * dy
                if _surely_clear(dist_sq, clearance):
                    continue
                dist = math.sqrt(dist_sq)
                if dist >= clearance or dist <= 1e-12:
                    continue
                nx = dx / dist
                ny = dy / dist
                pos_x[i] = qx + nx * clearance
                pos_y[i] = qy + ny * clearance
                inward = vel_x[i] * nx + vel_y[i] * ny
                if inward < 0.0:  # remove the velocity component into the wall
                    vel_x[i] -= inward * nx
                    vel_y[i] -= inward * ny
                moved = True
            if not moved:
                break
            pushed = True
            status[i] |= STATUS_WALL_PUSHED
        # A push must not carry the centre across another wall (possible in acute corners).
        # Without a push the centre is where the first check found it on the right side.
        if pushed and _crosses_any_wall(ox, oy, pos_x[i], pos_y[i], s, c, walls, wall_space, wall_cell_start, wall_cell_ids):
            pos_x[i] = ox
            pos_y[i] = oy
            vel_x[i] = 0.0
            vel_y[i] = 0.0
            status[i] |= STATUS_WALL_REVERTED


@njit(cache=True, parallel=True)
def guard_non_finite(old_x, old_y, pos_x, pos_y, vel_x, vel_y, active, status):
    """Put an agent whose state became NaN or infinite back where it was, at rest, and flag it."""
    for i in prange(pos_x.size):
        if not active[i]:
            continue
        if not (
            math.isfinite(pos_x[i]) and math.isfinite(pos_y[i])
            and math.isfinite(vel_x[i]) and math.isfinite(vel_y[i])
        ):
            pos_x[i] = old_x[i]
            pos_y[i] = old_y[i]
            vel_x[i] = 0.0
            vel_y[i] = 0.0
            status[i] |= STATUS_NON_FINITE


@njit(cache=True)
def cross_lines(
    old_x, old_y, pos_x, pos_y, space, active, lines, line_space, line_kind, line_target,
    line_start, event_agent, event_line, event_sign, n_events,
):
    """Apply portal and exit crossings and record every crossing of a line of the agent's space.

    Lines of space s are lines[line_start[s]:line_start[s+1]]. A crossing's sign is +1 when the
    agent moved from the left of the line's direction (x1,y1)→(x2,y2) to its right. Events go to
    the preallocated event arrays from index n_events; returns the new count (events beyond the
    arrays' capacity are dropped and counted as −1 in the return: the caller sizes them).
    Agents are gone through in index order. Which agents crossed a line at all is found first, in
    parallel (:func:`_crossing_any`): most agents cross nothing in a step, and the ordered pass
    that records events and changes spaces then skips them.
    """
    crossing = _crossing_any(old_x, old_y, pos_x, pos_y, space, active, lines, line_start)
    capacity = event_agent.size
    count = n_events
    overflow = False
    for i in range(pos_x.size):
        if not crossing[i]:
            continue
        s = space[i]
        ox = old_x[i]
        oy = old_y[i]
        px = pos_x[i]
        py = pos_y[i]
        for l in range(line_start[s], line_start[s + 1]):
            ax = lines[l, 0]
            ay = lines[l, 1]
            bx = lines[l, 2]
            by = lines[l, 3]
            if not segments_cross(ox, oy, px, py, ax, ay, bx, by):
                continue
            before = side_of_line(ax, ay, bx, by, ox, oy)
            after = side_of_line(ax, ay, bx, by, px, py)
            if before == after or after == 0:
                continue  # touched without passing
            if count < capacity:
                event_agent[count] = i
                event_line[count] = l
                event_sign[count] = 1 if before > 0 else -1
                count += 1
            else:
                overflow = True
            kind = line_kind[l]
            if kind == LINE_PORTAL:
                space[i] = line_target[l]
                break
            if kind == LINE_EXIT:
                active[i] = False
                break
    return -1 if overflow else count


@njit(cache=True, parallel=True)
def _crossing_any(old_x, old_y, pos_x, pos_y, space, active, lines, line_start):
    """Whether each active agent's move crosses a line of its space (the test ``cross_lines``
    starts each line with: an agent it rejects for every line records nothing and changes nothing)."""
    crossing = np.zeros(pos_x.size, np.bool_)
    for i in prange(pos_x.size):
        if not active[i]:
            continue
        s = space[i]
        for l in range(line_start[s], line_start[s + 1]):
            if segments_cross(old_x[i], old_y[i], pos_x[i], pos_y[i], lines[l, 0], lines[l, 1], lines[l, 2],
                              lines[l, 3]):
                crossing[i] = True
                break
    return crossing


@njit(cache=True, parallel=True)
def update_elevation(pos_x, pos_y, space, active, space_plane, elevation):
    """Elevation of each agent from its space's plane z = z0 + gx·x + gy·y (levels are flat)."""
    for i in prange(pos_x.size):
        if active[i]:
            s = space[i]
            elevation[i] = space_plane[s, 0] + space_plane[s, 1] * pos_x[i] + space_plane[s, 2] * pos_y[i]


@njit(cache=True, parallel=True)
def desired_directions(
    pos_x, pos_y, space, active, field_of_agent, grid_origin_x, grid_origin_y, grid_nx, grid_ny,
    grid_offset, cell_size, field_direction, space_uphill, space_factor_up, space_factor_down,
    desired_speed, dir_x, dir_y, speed_now, nav_cache,
):
    """Desired direction from the agent's navigation field, and its speed after stair factors.

    Where the agent's raster cell has no direction (a wall cell, rounding at a boundary), the
    previous direction is kept: the hard-wall guard keeps centres off walls, so this is rare.

    ``nav_cache`` (:func:`new_nav_cache`) holds each agent's last raster read: its key (field and
    cell) and the two components. A walker stays in its 0.1 m cell for several 10 ms steps, and
    the raster of a large venue (80 MB at 100 000 agents) is read at random: reading the agent's
    own last value back instead of the raster saves most of the stage's cache misses, with the
    same values. The caller empties it whenever the fields or the agents' order may have changed
    (:func:`invalidate_nav_cache`).
    """
    cached_key, cached_ex, cached_ey = nav_cache
    n_cells = field_direction.shape[1]
    for i in prange(pos_x.size):
        if not active[i]:
            continue
        s = space[i]
        ix = int(math.floor((pos_x[i] - grid_origin_x[s]) / cell_size))
        iy = int(math.floor((pos_y[i] - grid_origin_y[s]) / cell_size))
        if 0 <= ix < grid_nx[s] and 0 <= iy < grid_ny[s]:
            cell = grid_offset[s] + iy * grid_nx[s] + ix
            f = field_of_agent[i]
            key = f * n_cells + cell
            if key != cached_key[i]:
                cached_key[i] = key
                cached_ex[i] = field_direction[f, cell, 0]
                cached_ey[i] = field_direction[f, cell, 1]
            ex = cached_ex[i]
            ey = cached_ey[i]
            if ex != 0.0 or ey != 0.0:
                dir_x[i] = ex
                dir_y[i] = ey
        up = dir_x[i] * space_uphill[s, 0] + dir_y[i] * space_uphill[s, 1]
        if up > 0.0:
            speed_now[i] = desired_speed[i] * space_factor_up[s]
        elif up < 0.0:
            speed_now[i] = desired_speed[i] * space_factor_down[s]
        else:
            speed_now[i] = desired_speed[i]


def new_nav_cache(n_agents: int) -> tuple:
    """(key, ex, ey) of each agent's last navigation raster read, empty (key −1)."""
    return np.full(n_agents, -1, np.int64), np.zeros(n_agents), np.zeros(n_agents)


@njit(cache=True)
def invalidate_nav_cache(nav_cache):
    """Forget every agent's last raster read (fields recomputed, agents renumbered)."""
    nav_cache[0][:] = -1


@njit(cache=True, parallel=True)
def apply_roles(step, pos_x, pos_y, active, start_step, moving, hold_x, hold_y, hold_force, limp, mass,
                relaxation_time, desired_speed, dir_x, dir_y, speed_now):
    """Who stands and who holds a post, this step.

    A guard holding a post heads for its hold point with a desired speed chosen so that its
    driving force, from rest, is its effort (N) once displaced by 0.1 m or more:
    m v_des/τ = effort. Agents before their start step (pre-movement), told to stop, or waiting
    where they were sent stand at their hold point: shoved off it, they step back at up to
    their walking speed (v_des = min(v0, distance/τ)), as a waiting person keeps their place.
    A limp agent (fallen, unconscious, dead) does not walk at all: its driving term only brakes
    it, like friction with the floor; its body still presses and is pressed.
    """
    for i in prange(pos_x.size):
        if not active[i]:
            continue
        if limp[i]:
            speed_now[i] = 0.0
            continue
        guard = hold_force[i] > 0.0
        standing = step < start_step[i] or not moving[i]
        if not (guard or standing):
            continue
        dx = hold_x[i] - pos_x[i]
        dy = hold_y[i] - pos_y[i]
        d = math.sqrt(dx * dx + dy * dy)
        if d > 1e-9:
            dir_x[i] = dx / d
            dir_y[i] = dy / d
        if guard:
            speed_now[i] = hold_force[i] * relaxation_time[i] / mass[i] * min(1.0, d / 0.1)
        else:
            speed_now[i] = min(desired_speed[i], d / relaxation_time[i])
