"""Orderly walkers: the headway rule, and stepping aside when the way ahead is blocked.

Moussaïd, Helbing & Theraulaz (PNAS 108:6884, 2011) describe a walker by two heuristics:

1. it heads in the direction, within its field of vision (±75°), that brings it closest to its
   destination, counting that on each line it can walk only as far as the first collision;
2. it walks at  v = min(v₀, d_h / τ),  d_h the free distance in that direction, τ = 0.5 s.

Heuristic 2 is aforo's headway rule (Tordeux, Chraibi & Seyfried 2016 give it the same form):
desired speed ≤ gap ahead / headway time; a headway time of 0 switches it off (the agent pushes
with the full HFV drive m v0/τ, as a competitive or panicking crowd does). Heuristic 1 is what a walker needs to pass a slower one or let an oncoming one by: without
it an orderly walker only slows behind whoever is ahead, so platoons form behind slow walkers
(Weidmann's diagram at low density came out 0.17 m/s slow) and walkers meeting head-on stop.

aforo's form of heuristic 1 (ours, not Moussaïd's formula): among candidate directions α every
``CANDIDATE_STEP_DEG`` up to ``VISION_DEG`` either side of the navigation field's direction,
the walker takes the one with the fastest approach to its goal, v(α) cos α, where v(α) is the
speed it could keep on that line: its desired speed, at most gap(α) / T (the headway rule on
that line: the surface gap to the nearest body whose centre lies ahead on the line within the
sum of the radii, or the distance the disc can go before touching a wall), and at most
f(α) / ``ANTICIPATION_S``, f(α) the distance walked before touching a body that keeps its
present velocity (Moussaïd's collision distance: it sees an oncoming walker sooner than the
gap does). A side line must beat straight on by ``MIN_GAIN`` × the desired speed (nobody
changes course for a step's worth of gain); among sides the right wins ties (a walker keeps
right). Moussaïd instead minimises the distance left to a point 10 m ahead; ours scores the
speed, so that a walker following a leader at its own speed, whose headway does not bind,
never weaves.

MIN_GAIN = 0.2 is a CALIBRATION, not a measurement: swept over 0, 0.1 and 0.2 against Weidmann's
diagram in the periodic corridor (docs/verification.md). At 0 walkers weave through a crowd of
1–1.6 /m² for small gains and walk up to 0.2 m/s faster than Weidmann's people; at 0.2 the
diagram is within 0.15 m/s from 0.5 to 4 /m². So the Weidmann check of ``aforo verify`` is not
independent of this value.

A walker reconsiders its line every ``DECISION_INTERVAL_S`` (0.25 s, staggered over walkers by
their index: a human steering reaction time is 0.2–0.5 s, and the driving term relaxes with
τ = 0.5 s, so deciding every 10 ms step would change little) and walks the chosen side line in
between, at its headway speed. Deciding every step made the orderly 100 000-agent room 1.8×
slower; every 0.25 s, with the side lines measured in one pass, it costs about 10 %
(docs/performance.md).

Walkers whose straight line allows their full speed are left exactly as the headway rule
leaves them, bit for bit, so unimpeded and following walkers are unchanged. Everything is seen
within the horizon: one neighbour cell edge (about 1.35 m), as far as the cell lists reach.

Left out: a longer look-ahead (Moussaïd's 10 m), who blocks whose view, and any memory of a
side chosen. Two dense streams meeting head-on in a corridor still lock (NIST 2.8 with 100
against 100, docs/verification.md): lanes would have to form before the streams meet.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from aforo.kernels.cells import neighbour_block
from aforo.kernels.social_force import may_interact

VISION_DEG = 75.0  # Moussaïd et al. (2011): field of vision ±75°
CANDIDATE_STEP_DEG = 15.0
N_SIDE_CANDIDATES = int(VISION_DEG // CANDIDATE_STEP_DEG)  # per side
ANTICIPATION_S = 1.0  # how long before a predicted collision a walker turns aside
DECISION_INTERVAL_S = 0.25  # a walker reconsiders its line this often (staggered over walkers)
MIN_GAIN = 0.2  # least gain for stepping aside, as a share of the desired speed (CALIBRATED: above)
_CHUNKS = 256  # chunks of walkers in the parallel loop, each with its own decision work space
_MIN_CHUNK = 64  # walkers a chunk holds at least: a small crowd allocates a work space or two, not one a walker


@njit(cache=True, inline="always")
def ray_to_capsule(px, py, ux, uy, ax, ay, bx, by, r):
    """Distance (m) a disc of radius r at p can travel along unit u before touching segment ab.

    0 when it already overlaps the segment and u points into it; +inf when it never touches.
    """
    sx = bx - ax
    sy = by - ay
    length = math.sqrt(sx * sx + sy * sy)
    tx = sx / length if length > 1e-12 else 1.0
    ty = sy / length if length > 1e-12 else 0.0
    along = (px - ax) * tx + (py - ay) * ty
    clamped = min(max(along, 0.0), length)
    dx = px - (ax + clamped * tx)
    dy = py - (ay + clamped * ty)
    if dx * dx + dy * dy < r * r:  # overlapping already
        return 0.0 if dx * ux + dy * uy < 0.0 else math.inf
    if length <= 1e-12:
        return _ray_to_circle(px, py, ux, uy, ax, ay, r)
    best = math.inf
    nx = -ty
    ny = tx
    h = (px - ax) * nx + (py - ay) * ny  # signed distance from the segment's line
    un = ux * nx + uy * ny
    if h * un < 0.0 and abs(h) >= r:  # heading towards the line, from outside the band
        s = (abs(h) - r) / abs(un)
        t = along + s * (ux * tx + uy * ty)
        if 0.0 <= t <= length:
            best = s
    best = min(best, _ray_to_circle(px, py, ux, uy, ax, ay, r))
    return min(best, _ray_to_circle(px, py, ux, uy, bx, by, r))


@njit(cache=True, inline="always")
def _ray_to_circle(px, py, ux, uy, cx, cy, r):
    """Distance along unit u from p to the circle of radius r about c; +inf if the ray misses."""
    wx = px - cx
    wy = py - cy
    b = wx * ux + wy * uy
    c = wx * wx + wy * wy - r * r
    disc = b * b - c
    if disc < 0.0:
        return math.inf
    s = -b - math.sqrt(disc)
    return s if s >= 0.0 else math.inf


@njit(cache=True, inline="always")
def _candidate(ex, ey, k):
    """Unit direction of candidate k: 0 straight on; odd k to the right, even k to the left,
    at ⌈k/2⌉ steps of CANDIDATE_STEP_DEG (right first, so a tie keeps right)."""
    if k == 0:
        return ex, ey, 0.0
    steps = (k + 1) // 2
    angle = math.radians(CANDIDATE_STEP_DEG) * steps
    if k % 2 == 1:
        angle = -angle  # clockwise: the walker's right
    c = math.cos(angle)
    s = math.sin(angle)
    return c * ex - s * ey, s * ex + c * ey, angle


@njit(cache=True, parallel=True)
def orderly_steering(
    step, decide_steps, agent_id, pos_x, pos_y, vel_x, vel_y, radius, space, elevation, active, start_step,
    moving, hold_force, limp, lying, headway_time, steer_choice, cell_start, cell_agents, agent_cell, n_cells_x,
    n_cells_y, horizon_m, walls, wall_space, wall_cell_start, wall_cell_ids, space_link, max_dz, gap_ahead,
    dir_x, dir_y, speed_now,
):
    """Headway rule for every orderly walker; a step aside for those it would slow.

    Pushing agents (headway time 0) are left alone. For an orderly agent the desired speed
    becomes min(speed, gap ahead / headway time). A walking agent (not limp, not standing or
    holding a post) chooses its line every ``decide_steps`` steps, staggered by its original
    index ``agent_id`` (None: its index), and keeps the choice in ``steer_choice`` (0 straight
    on, else a candidate: :func:`_candidate`) until the next; between decisions it walks the
    chosen side line, at that line's headway speed, as the field's direction turns.
    """
    n_agents = pos_x.size
    n_chunks = min(n_agents // _MIN_CHUNK + 1, _CHUNKS)
    for chunk in prange(n_chunks):
        # a decision's work space, once per chunk of walkers: allocated per decision inside the
        # parallel loop, the threads waited on each other for the allocator (docs/performance.md)
        lines = _line_space()
        for i in range(chunk * n_agents // n_chunks, (chunk + 1) * n_agents // n_chunks):
            if not active[i] or headway_time[i] <= 0.0:
                continue
            T = headway_time[i]
            speed = speed_now[i]
            limit = max(gap_ahead[i], 0.0) / T
            if limit < speed:
                speed_now[i] = limit
            walking = not limp[i] and hold_force[i] <= 0.0 and moving[i] and step >= start_step[i]
            if not walking or speed <= 0.0:
                steer_choice[i] = 0
                continue
            own = i if agent_id is None else agent_id[i]
            if (step + own) % decide_steps == 0:
                steer_choice[i] = _decide(
                    i, speed, T, dir_x[i], dir_y[i], lines, pos_x, pos_y, vel_x, vel_y, radius, space, elevation,
                    lying, cell_start, cell_agents, agent_cell, n_cells_x, n_cells_y, horizon_m, walls, wall_space,
                    wall_cell_start, wall_cell_ids, space_link, max_dz,
                )
            k = steer_choice[i]
            if k != 0:
                ux, uy, _ = _candidate(dir_x[i], dir_y[i], k)
                gap, _ = _line(i, ux, uy, speed, False, pos_x, pos_y, vel_x, vel_y, radius, space, elevation, lying,
                               cell_start, cell_agents, agent_cell, n_cells_x, n_cells_y, horizon_m, walls,
                               wall_space, wall_cell_start, wall_cell_ids, space_link, max_dz)
                dir_x[i] = ux
                dir_y[i] = uy
                speed_now[i] = min(speed, max(gap, 0.0) / T)


@njit(cache=True)
def _line_space():
    """Work space of one decision: unit directions, cosines, gaps and free distances of the
    candidate lines (rows of a 5 × (1 + 2 N_SIDE_CANDIDATES) array)."""
    return np.empty((5, 1 + 2 * N_SIDE_CANDIDATES))


@njit(cache=True)
def _decide(
    i, speed, T, ex, ey, lines, pos_x, pos_y, vel_x, vel_y, radius, space, elevation, lying, cell_start, cell_agents,
    agent_cell, n_cells_x, n_cells_y, horizon_m, walls, wall_space, wall_cell_start, wall_cell_ids, space_link,
    max_dz,
):
    """The candidate agent i takes now (0: straight on); see the module docstring.

    Candidates come in order of growing angle, and a side's approach speed is at most
    speed × cos α, so the search stops at the first angle whose bound cannot beat the best so
    far; where not even the narrowest side could beat straight on, no side is looked at. The
    sides are measured together, in one pass over the neighbours (:func:`_side_lines`).
    ``lines`` is work space (:func:`_line_space`)."""
    gap0, free0 = _line(i, ex, ey, speed, True, pos_x, pos_y, vel_x, vel_y, radius, space, elevation, lying,
                        cell_start, cell_agents, agent_cell, n_cells_x, n_cells_y, horizon_m, walls, wall_space,
                        wall_cell_start, wall_cell_ids, space_link, max_dz)
    best = 0
    best_progress = _line_speed(speed, gap0, free0, T) + MIN_GAIN * speed  # a side must gain that much
    if speed * math.cos(math.radians(CANDIDATE_STEP_DEG)) <= best_progress:
        return 0  # not even the narrowest side could do better
    n = 1 + 2 * N_SIDE_CANDIDATES
    ux, uy, cos_angle, gap, free = lines[0], lines[1], lines[2], lines[3], lines[4]
    for k in range(1, n):
        ux[k], uy[k], angle = _candidate(ex, ey, k)
        cos_angle[k] = math.cos(angle)
        gap[k] = horizon_m
        free[k] = horizon_m
    _side_lines(i, ux, uy, speed, gap, free, pos_x, pos_y, vel_x, vel_y, radius, space, elevation, lying,
                cell_start, cell_agents, agent_cell, n_cells_x, n_cells_y, horizon_m, walls, wall_space,
                wall_cell_start, wall_cell_ids, space_link, max_dz)
    for k in range(1, n):  # right before left: a tie keeps right
        if speed * cos_angle[k] <= best_progress:
            break  # no wider line can do better
        progress = _line_speed(speed, gap[k], free[k], T) * cos_angle[k]
        if progress > best_progress:
            best_progress = progress
            best = k
    return best


@njit(cache=True, inline="always")
def _line_speed(speed, gap, free, headway_time):
    """The speed a walker could keep on a candidate line: its headway speed gap / T, and
    no faster than would bring a predicted collision within ANTICIPATION_S."""
    return min(speed, gap / headway_time, free / ANTICIPATION_S)


@njit(cache=True, inline="always")
def _collision_distance(dx, dy, radii, wx, wy, speed):
    """How far (m) a walker at speed ``speed`` goes before touching a body at offset d = (dx, dy)
    whose velocity relative to the walker's is −w (w: the walker's velocity minus the body's).
    +inf if they never touch; 0 if they touch now and close."""
    closing = dx * wx + dy * wy
    if closing <= 0.0:
        return math.inf
    d2 = dx * dx + dy * dy
    excess = d2 - radii * radii
    if excess <= 0.0:
        return 0.0
    w2 = wx * wx + wy * wy
    if w2 < 1e-18:  # relative speed below a nanometre a second: never closes
        return math.inf
    disc = closing * closing - w2 * excess
    if disc < 0.0:
        return math.inf
    return speed * (closing - math.sqrt(disc)) / w2


@njit(cache=True)
def _line(
    i, ux, uy, speed, with_free, pos_x, pos_y, vel_x, vel_y, radius, space, elevation, lying, cell_start,
    cell_agents, agent_cell, n_cells_x, n_cells_y, horizon_m, walls, wall_space, wall_cell_start, wall_cell_ids,
    space_link, max_dz,
):
    """(gap, free) of agent i's line along unit (ux, uy), both capped at the horizon (m): ``gap``
    the surface gap to the nearest body now on the line (centre ahead, within the sum of the
    radii) or the distance the disc can go before touching a wall (what the headway rule uses);
    ``free`` (when ``with_free``) the lesser of the wall distance and the distance walked at
    ``speed`` along the line before touching a body that keeps its present velocity (it sees an
    oncoming walker sooner). Bodies on the floor are stepped over and not counted."""
    xi = pos_x[i]
    yi = pos_y[i]
    ri = radius[i]
    si = space[i]
    gap = horizon_m
    free = horizon_m
    c = agent_cell[i]
    row_first, row_end, x_first, x_end = neighbour_block(c, n_cells_x, n_cells_y)
    for row in range(row_first, row_end):
        for slot in range(cell_start[row * n_cells_x + x_first], cell_start[row * n_cells_x + x_end]):
            j = cell_agents[slot]
            if j == i or lying[j]:
                continue  # itself, or a body on the floor, stepped over (hazards/floor.py)
            sj = space[j]
            if sj != si and not may_interact(si, sj, elevation[i], elevation[j], space_link, max_dz):
                continue
            dx = pos_x[j] - xi  # from i to j
            dy = pos_y[j] - yi
            radii = ri + radius[j]
            on_line = dx * ux + dy * uy > 0.0 and abs(dx * uy - dy * ux) < radii
            if not (on_line or with_free):
                continue  # off the line a neighbour cannot change ``gap``: no square root needed
            now = math.sqrt(dx * dx + dy * dy) - radii
            if now >= horizon_m + 2.0 * speed:
                continue  # out of reach within the horizon even head-on
            if on_line and now < gap:
                gap = now
            if with_free:
                f = _collision_distance(dx, dy, radii, speed * ux - vel_x[j], speed * uy - vel_y[j], speed)
                if f < free:
                    free = f
    for slot in range(wall_cell_start[c], wall_cell_start[c + 1]):
        w = wall_cell_ids[slot]
        if wall_space[w] != si:
            continue
        s = ray_to_capsule(xi, yi, ux, uy, walls[w, 0], walls[w, 1], walls[w, 2], walls[w, 3], ri)
        if s < gap:
            gap = s
        if s < free:
            free = s
    return max(gap, 0.0), max(free, 0.0)


@njit(cache=True)
def _side_lines(
    i, ux, uy, speed, gap, free, pos_x, pos_y, vel_x, vel_y, radius, space, elevation, lying, cell_start,
    cell_agents, agent_cell, n_cells_x, n_cells_y, horizon_m, walls, wall_space, wall_cell_start, wall_cell_ids,
    space_link, max_dz,
):
    """:func:`_line` with ``with_free`` for the side candidates 1… of agent i at once (unit
    directions ``ux``, ``uy``), into ``gap`` and ``free`` (filled with the horizon): one pass over
    the neighbours instead of one per line, the same minima."""
    n = ux.size
    xi = pos_x[i]
    yi = pos_y[i]
    ri = radius[i]
    si = space[i]
    c = agent_cell[i]
    row_first, row_end, x_first, x_end = neighbour_block(c, n_cells_x, n_cells_y)
    for row in range(row_first, row_end):
        for slot in range(cell_start[row * n_cells_x + x_first], cell_start[row * n_cells_x + x_end]):
            j = cell_agents[slot]
            if j == i or lying[j]:
                continue
            sj = space[j]
            if sj != si and not may_interact(si, sj, elevation[i], elevation[j], space_link, max_dz):
                continue
            dx = pos_x[j] - xi
            dy = pos_y[j] - yi
            radii = ri + radius[j]
            now = math.sqrt(dx * dx + dy * dy) - radii
            if now >= horizon_m + 2.0 * speed:
                continue
            for k in range(1, n):
                if dx * ux[k] + dy * uy[k] > 0.0 and abs(dx * uy[k] - dy * ux[k]) < radii and now < gap[k]:
                    gap[k] = now
                f = _collision_distance(dx, dy, radii, speed * ux[k] - vel_x[j], speed * uy[k] - vel_y[j], speed)
                if f < free[k]:
                    free[k] = f
    for slot in range(wall_cell_start[c], wall_cell_start[c + 1]):
        w = wall_cell_ids[slot]
        if wall_space[w] != si:
            continue
        for k in range(1, n):
            s = ray_to_capsule(xi, yi, ux[k], uy[k], walls[w, 0], walls[w, 1], walls[w, 2], walls[w, 3], ri)
            if s < gap[k]:
                gap[k] = s
            if s < free[k]:
                free[k] = s
    for k in range(1, n):
        gap[k] = max(gap[k], 0.0)
        free[k] = max(free[k], 0.0)
