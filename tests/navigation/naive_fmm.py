"""Slow, obvious twins of the kernels in aforo.kernels.fmm.

``naive_eikonal`` solves the same discrete equations as the fast-marching kernel by a different
method: Gauss–Seidel sweeps (forward then backward through the cells, repeated until nothing
changes) of the Godunov upwind update, using the current value of every neighbour. No heap, no
accepted set, no ordering argument: the fixed point is the unique solution of the upwind scheme,
which fast marching reaches in one ordered pass. The two must therefore agree up to round-off.
"""

from __future__ import annotations

import math

import numpy as np


def godunov(time_x: float, time_y: float, step_time: float) -> float:
    """The T ≥ both upwind times with (T − time_x)² + (T − time_y)² = step_time² if there is one
    (the front arrives along both axes), otherwise the earlier axis plus one step."""
    low, high = min(time_x, time_y), max(time_x, time_y)
    if low + step_time <= high:
        return low + step_time
    return 0.5 * (low + high + math.sqrt(2 * step_time**2 - (high - low) ** 2))


def naive_eikonal(neighbours, slowness, cell_size, seed_time, tolerance=0.0, max_sweeps=10_000):
    """Travel times by repeated Gauss–Seidel sweeps; same arguments as ``fast_marching``."""
    n_cells = len(seed_time)
    seeded = np.isfinite(seed_time)
    time = np.where(seeded, seed_time, np.inf).astype(float)
    passable = np.isfinite(slowness) & (slowness > 0)
    for _ in range(max_sweeps):
        largest_change = 0.0
        for order in (range(n_cells), range(n_cells - 1, -1, -1)):
            for cell in order:
                if seeded[cell] or not passable[cell]:
                    continue
                around = [time[j] if j >= 0 else math.inf for j in neighbours[cell]]
                time_x, time_y = min(around[0], around[1]), min(around[2], around[3])
                if math.isinf(time_x) and math.isinf(time_y):
                    continue
                new = godunov(time_x, time_y, slowness[cell] * cell_size)
                if new < time[cell]:
                    change = math.inf if math.isinf(time[cell]) else time[cell] - new
                    largest_change = max(largest_change, change)
                    time[cell] = new
        if largest_change <= tolerance:
            return time
    raise RuntimeError("naive_eikonal did not converge")


def naive_descent_directions(neighbours, travel_time, cell_size):
    """Steepest-descent unit vectors written out case by case, like ``descent_directions``."""
    n_cells = len(travel_time)
    direction = np.zeros((n_cells, 2))
    unit_steps = [(-1.0, 0.0), (1.0, 0.0), (0.0, -1.0), (0.0, 1.0)]
    for cell in range(n_cells):
        here = travel_time[cell]
        if not np.isfinite(here):
            continue
        around = [travel_time[j] if j >= 0 else math.inf for j in neighbours[cell]]
        components = []
        for minus, plus in ((around[0], around[1]), (around[2], around[3])):
            if np.isfinite(minus) and np.isfinite(plus):
                components.append((minus - plus) / (2 * cell_size))
            elif np.isfinite(minus):  # only the −side: never step towards the missing +side
                components.append(min(0.0, (minus - here) / cell_size))
            elif np.isfinite(plus):
                components.append(max(0.0, (here - plus) / cell_size))
            else:
                components.append(0.0)
        vector = np.array(components)
        norm = np.hypot(*vector)
        if norm > 0:
            direction[cell] = vector / norm
        elif min(around) < here:
            direction[cell] = unit_steps[int(np.argmin(around))]
    return direction


def lattice_neighbours(free: np.ndarray) -> np.ndarray:
    """Neighbour table (−x, +x, −y, +y) of the free cells of a 2-D mask [ny, nx], row-major."""
    ny, nx = free.shape
    table = np.full((ny * nx, 4), -1, dtype=np.int64)
    for iy in range(ny):
        for ix in range(nx):
            if not free[iy, ix]:
                continue
            for slot, (dx, dy) in enumerate(((-1, 0), (1, 0), (0, -1), (0, 1))):
                jx, jy = ix + dx, iy + dy
                if 0 <= jx < nx and 0 <= jy < ny and free[jy, jx]:
                    table[iy * nx + ix, slot] = jy * nx + jx
    return table


def naive_nearest_segment_distance(centre_x, centre_y, segments):
    """Distance from each point to the nearest of all segments [m, 4], by brute force."""
    best = np.full(len(centre_x), np.inf)
    for x1, y1, x2, y2 in segments:
        dx, dy = x2 - x1, y2 - y1
        t = np.clip(((centre_x - x1) * dx + (centre_y - y1) * dy) / (dx * dx + dy * dy), 0, 1)
        best = np.minimum(best, np.hypot(centre_x - x1 - t * dx, centre_y - y1 - t * dy))
    return best
