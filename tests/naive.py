"""Slow, obvious NumPy/Python twins of the numba kernels. Tests compare the two on random input."""

from __future__ import annotations

import math

import numpy as np


def pair_force(pi, vi, ri, pj, vj, rj, A, B, k, kappa):
    """HFV force of j on i, straight from the formula (Helbing et al. 2000)."""
    d_vec = np.asarray(pi, float) - np.asarray(pj, float)
    d = float(np.linalg.norm(d_vec))
    n = d_vec / d
    t = np.array([-n[1], n[0]])
    g = max(ri + rj - d, 0.0)
    dvt = float(np.dot(np.asarray(vj, float) - np.asarray(vi, float), t))
    return (A * math.exp((ri + rj - d) / B) + k * g) * n + kappa * g * dvt * t


def wall_social(A, B, gap, n, facing, e):
    """Wall social repulsion: full where the agent faces the segment, else without the part
    that opposes the desired direction e."""
    push = A * math.exp(-gap / B) * n
    if not facing and np.dot(n, e) < 0:
        push = push - A * math.exp(-gap / B) * np.dot(n, e) * np.asarray(e)
    return push


def wall_force(p, v, r, a, b, e, A, B, k, kappa):
    """HFV force of segment ab on an agent at p with desired direction e."""
    p, a, b, v, e = (np.asarray(x, float) for x in (p, a, b, v, e))
    ab = b - a
    t_par = np.clip(np.dot(p - a, ab) / np.dot(ab, ab), 0.0, 1.0)
    q = a + t_par * ab
    d = float(np.linalg.norm(p - q))
    n = (p - q) / d
    t = np.array([-n[1], n[0]])
    g = max(r - d, 0.0)
    facing = 0.0 <= np.dot(p - a, ab) <= np.dot(ab, ab)
    return wall_social(A, B, d - r, n, facing, e) + k * g * n - kappa * g * float(np.dot(v, t)) * t


def smooth_forces(pos, radius, space, active, walls, wall_space, link, elevation, A, B, cutoff, margin, max_dz, e,
                  lying=None):
    """All-pairs reference of kernels.smooth_pass.smooth_forces: (force [n,2], stiff sets).
    Bodies on the floor (``lying``) act on no one and no one on them."""
    lying = np.zeros(len(pos), bool) if lying is None else lying
    n = len(pos)
    force = np.zeros((n, 2))
    stiff = [set() for _ in range(n)]
    stiff_walls = [set() for _ in range(n)]
    for i in range(n):
        if not active[i]:
            continue
        for j in range(n):
            if j == i or not active[j] or lying[i] or lying[j]:
                continue
            if space[i] != space[j] and not (link[space[i], space[j]] and abs(elevation[i] - elevation[j]) <= max_dz):
                continue
            d_vec = pos[i] - pos[j]
            d = np.linalg.norm(d_vec)
            gap = d - radius[i] - radius[j]
            if gap > cutoff:
                continue
            if gap <= margin:
                stiff[i].add(j)
                continue
            force[i] += A * math.exp(-gap / B) * d_vec / d
        for w in range(len(walls)):
            if wall_space[w] != space[i]:
                continue
            a, b = walls[w, :2], walls[w, 2:]
            ab = b - a
            q = a + np.clip(np.dot(pos[i] - a, ab) / np.dot(ab, ab), 0, 1) * ab
            d = np.linalg.norm(pos[i] - q)
            gap = d - radius[i]
            if gap > cutoff:
                continue
            if gap <= margin:
                stiff_walls[i].add(w)
                continue
            facing = 0.0 <= np.dot(pos[i] - a, ab) <= np.dot(ab, ab)
            force[i] += wall_social(A, B, gap, (pos[i] - q) / d, facing, e[i])
    return force, stiff, stiff_walls


def partner_sums_in_block_order(pos_x, pos_y, radius, space, elevation, active, lying, cell_start, cell_agents,
                                agent_cell, n_cells_x, n_cells_y, link, A, B, k, kappa, cutoff, margin, max_dz,
                                dir_x, dir_y, headway, max_partners):
    """The partners' part of the smooth force pass, agent by agent, each pair from both ends.

    For each active agent, its partners in its 3 × 3 block of cells in slot order (the order
    the kernels must sum in): smooth force, stiffness and friction sums, stiff partners (at
    most ``max_partners``; ``overflow`` when more), and the gap to the nearest one in its path
    when it keeps a headway. Plain Python floats, operation for operation as the law is
    written, so the kernels' sums must equal these to the last bit.
    """
    n = len(pos_x)
    force_x, force_y = np.zeros(n), np.zeros(n)
    stiffness, friction = np.zeros(n), np.zeros(n)
    partners = [[] for _ in range(n)]
    overflow = np.zeros(n, bool)
    ahead = np.full(n, np.inf)
    for i in range(n):
        if not active[i]:
            continue
        cx, cy = agent_cell[i] % n_cells_x, agent_cell[i] // n_cells_x
        for row in range(max(cy - 1, 0), min(cy + 2, n_cells_y)):
            first = cell_start[row * n_cells_x + max(cx - 1, 0)]
            for slot in range(first, cell_start[row * n_cells_x + min(cx + 2, n_cells_x)]):
                j = cell_agents[slot]
                if j == i or lying[i] or lying[j]:
                    continue
                if space[i] != space[j] and not (link[space[i], space[j]]
                                                 and abs(elevation[i] - elevation[j]) <= max_dz):
                    continue
                dx, dy = float(pos_x[i] - pos_x[j]), float(pos_y[i] - pos_y[j])
                radii = float(radius[i] + radius[j])
                dist = math.sqrt(dx * dx + dy * dy)
                gap = dist - radii
                if headway[i] > 0 and dx * dir_x[i] + dy * dir_y[i] < 0 and abs(dx * dir_y[i] - dy * dir_x[i]) < radii:
                    ahead[i] = min(ahead[i], gap)
                if gap > cutoff:
                    continue
                if gap <= margin:
                    if len(partners[i]) < max_partners:
                        partners[i].append(int(j))
                        stiffness[i] += A / B * math.exp(-gap / B) + k
                        friction[i] += kappa * max(-gap, 0.0)
                    else:
                        overflow[i] = True
                    continue
                repulsion = A * math.exp(-gap / B)
                force_x[i] += repulsion * dx / dist
                force_y[i] += repulsion * dy / dist
    return force_x, force_y, stiffness, friction, partners, overflow, ahead


def local_density(pos, space, active, disc_radius):
    n = len(pos)
    out = np.zeros(n)
    for i in range(n):
        if not active[i]:
            continue
        d = np.linalg.norm(pos - pos[i], axis=1)
        out[i] = np.count_nonzero((d <= disc_radius) & (space == space[i]) & active) / (math.pi * disc_radius**2)
    return out


def gap_ahead(pos, radius, space, active, link, elevation, direction, max_dz, lying=None):
    """Surface gap to the nearest body whose centre is ahead along ``direction`` and laterally
    within the sum of radii (the collision corridor); inf if none. Bodies on the floor are in
    nobody's way."""
    n = len(pos)
    lying = np.zeros(n, bool) if lying is None else lying
    out = np.full(n, np.inf)
    for i in range(n):
        for j in range(n):
            if j == i or not active[j] or lying[i] or lying[j]:
                continue
            if space[i] != space[j] and not (link[space[i], space[j]] and abs(elevation[i] - elevation[j]) <= max_dz):
                continue
            rel = pos[j] - pos[i]
            along = rel @ direction[i]
            lateral = abs(rel[0] * direction[i][1] - rel[1] * direction[i][0])
            if along > 0 and lateral < radius[i] + radius[j]:
                out[i] = min(out[i], np.linalg.norm(rel) - radius[i] - radius[j])
    return out


def cross_lines(old, new, space, active, lines, line_kind, line_target, line_start):
    """Reference for kernels.constraints.cross_lines: returns (events, new_space, new_active)."""
    import shapely

    space = space.copy()
    active = active.copy()
    events = []
    for i in range(len(old)):
        if not active[i]:
            continue
        path = shapely.LineString([old[i], new[i]])
        for l in range(line_start[space[i]], line_start[space[i] + 1]):
            a, b = lines[l, :2], lines[l, 2:]
            if not path.intersects(shapely.LineString([a, b])):
                continue
            before = np.sign(_cross(b - a, old[i] - a))
            after = np.sign(_cross(b - a, new[i] - a))
            if before == after or after == 0:
                continue
            events.append((i, l, 1 if before > 0 else -1))
            if line_kind[l] == 0:
                space[i] = line_target[l]
                break
            if line_kind[l] == 1:
                active[i] = False
                break
    return events, space, active


def free_gaps(points, radii, spaces, pos, body_radius, body_space, present):
    """Smallest surface gap from each candidate body to the bodies present in its space (inf if none)."""
    out = np.full(len(points), np.inf)
    for k, (p, r, s) in enumerate(zip(points, radii, spaces)):
        mine = present & (body_space == s)
        if mine.any():
            out[k] = float(np.min(np.hypot(pos[mine, 0] - p[0], pos[mine, 1] - p[1]) - body_radius[mine] - r))
    return out


def _cross(u, v) -> float:
    """z of the 2-D cross product (numpy 2 deprecates np.cross on 2-vectors)."""
    return float(u[0] * v[1] - u[1] * v[0])
