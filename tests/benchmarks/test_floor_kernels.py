"""The floor benchmark's bare kernels do the whole of their stage's work, each piece once.

benchmarks/floor.py argues that 100 000 walkers cannot reach 1 simulated s per wall s on two
cores with this model, because bare kernels of its algorithms already take the whole budget. A
bare kernel that did some work twice would make that floor too high; these tests compare each
with a plain reference.
"""

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from floor import (  # noqa: E402  (benchmarks/ is not a package)
    ANTICIPATION_S,
    DECISION_EVERY,
    LINE_STEP_RAD,
    MIN_GAIN,
    N_LINES,
    bare_cells,
    bare_decisions,
    bare_line_crossings,
    bare_social_forces,
)

CELL_M = 1.35
ORIGIN_M = -1.35


def _crowd_in_cell_order(n, side_m, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, side_m, n)
    y = rng.uniform(0.0, side_m, n)
    r = rng.uniform(0.20, 0.25, n)
    cells_x = int((side_m - ORIGIN_M) / CELL_M) + 2
    key = ((y - ORIGIN_M) // CELL_M * cells_x + (x - ORIGIN_M) // CELL_M).astype(np.int64)
    order = np.argsort(key, kind="stable")
    start, agents = bare_cells(x[order], y[order], ORIGIN_M, ORIGIN_M, CELL_M, cells_x, cells_x)
    assert (agents == np.arange(n)).all()  # stored in cell order: a cell's slots are its agents
    return x[order], y[order], r[order], start, cells_x, rng


@pytest.mark.parametrize("stripes", [1, 2, 3])
def test_bare_social_forces_equal_the_sum_over_all_pairs(stripes):
    x, y, r, start, cells, _ = _crowd_in_cell_order(1500, 25.0, 4)
    fx = np.zeros((stripes, x.size))
    fy = np.zeros((stripes, x.size))
    bare_social_forces(x, y, r, start, cells, cells, 2000.0, 0.08, 0.6, fx, fy)
    dx = x[:, None] - x[None, :]
    dy = y[:, None] - y[None, :]
    d = np.hypot(dx, dy)
    np.fill_diagonal(d, np.inf)
    radii = r[:, None] + r[None, :]
    f = np.where(d < radii + 0.6, 2000.0 * np.exp((radii - d) / 0.08) / d, 0.0)
    scale = np.abs(f * dx).sum(axis=1).max()
    np.testing.assert_allclose(fx.sum(axis=0), (f * dx).sum(axis=1), rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(fy.sum(axis=0), (f * dy).sum(axis=1), rtol=0, atol=1e-12 * scale)


def _collision_distance(dx, dy, radii, wx, wy, speed):
    """Distance walked at ``speed`` until the discs touch: the first t ≥ 0 with
    |d − w t| = radii, found as a root of the quadratic (not the benchmark's closed form)."""
    approaching = dx * wx + dy * wy > 0.0
    if dx * dx + dy * dy <= radii * radii:
        return 0.0 if approaching else math.inf
    roots = np.roots([wx * wx + wy * wy, -2.0 * (dx * wx + dy * wy), dx * dx + dy * dy - radii * radii])
    times = [t.real for t in roots if abs(t.imag) < 1e-12 and t.real >= 0.0]
    return speed * min(times) if times and approaching else math.inf


def _decide(i, x, y, vx, vy, r, ex, ey, speed, headway_s):
    """The decision rule, plainly: every line against every neighbour within the 3 × 3 block."""
    def block(j):
        return (abs(int((x[j] - ORIGIN_M) // CELL_M) - int((x[i] - ORIGIN_M) // CELL_M)) <= 1
                and abs(int((y[j] - ORIGIN_M) // CELL_M) - int((y[i] - ORIGIN_M) // CELL_M)) <= 1)

    def line(k):
        angle = LINE_STEP_RAD * ((k + 1) // 2) * (-1.0 if k % 2 == 1 else 1.0)
        ux = math.cos(angle) * ex[i] - math.sin(angle) * ey[i]
        uy = math.sin(angle) * ex[i] + math.cos(angle) * ey[i]
        gap = free = CELL_M
        for j in range(x.size):
            if j == i or not block(j):
                continue
            dx, dy, radii = x[j] - x[i], y[j] - y[i], r[i] + r[j]
            if dx * ux + dy * uy > 0.0 and abs(dx * uy - dy * ux) < radii:
                gap = min(gap, math.sqrt(dx * dx + dy * dy) - radii)
            free = min(free, _collision_distance(dx, dy, radii, speed[i] * ux - vx[j], speed[i] * uy - vy[j],
                                                 speed[i]))
        return min(speed[i], gap / headway_s, free / ANTICIPATION_S) * math.cos(LINE_STEP_RAD * ((k + 1) // 2))

    best, best_progress = 0, line(0) + MIN_GAIN * speed[i]
    for k in range(1, N_LINES):
        if speed[i] * math.cos(LINE_STEP_RAD * ((k + 1) // 2)) <= best_progress:
            break
        progress = line(k)
        if progress > best_progress:
            best, best_progress = k, progress
    return best


def test_bare_decisions_take_the_lines_a_plain_loop_takes():
    x, y, r, start, cells, rng = _crowd_in_cell_order(400, 12.0, 5)
    heading = rng.uniform(0, 2 * np.pi, x.size)
    ex, ey = np.cos(heading), np.sin(heading)
    vx, vy = 0.5 * ex, 0.5 * ey
    speed = rng.uniform(1.0, 1.6, x.size)
    chosen = np.full(x.size, -1, np.int64)
    step = 3
    bare_decisions(step, x, y, vx, vy, r, ex, ey, speed, 0.5, start, cells, cells, ORIGIN_M, ORIGIN_M, CELL_M, chosen)
    due = (step + np.arange(x.size)) % DECISION_EVERY == 0
    assert (chosen[~due] == -1).all()  # only the decisions due this step are taken
    expected = [_decide(i, x, y, vx, vy, r, ex, ey, speed, 0.5) for i in np.flatnonzero(due)]
    assert chosen[due].tolist() == expected
    assert any(expected)  # some walkers do step aside in this crowd


def test_bare_line_crossings_find_each_crossed_exit():
    exits = np.array([[0.0, 0.0, 0.0, 4.0], [10.0, 0.0, 10.0, 4.0]])
    old_x, old_y = np.array([0.1, 9.9, 5.0, -0.1]), np.array([1.0, 2.0, 2.0, 5.0])
    x, y = np.array([-0.1, 10.1, 5.2, 0.1]), np.array([1.0, 2.0, 2.0, 5.0])
    crossed = np.zeros(4, np.int64)
    bare_line_crossings(old_x, old_y, x, y, exits, crossed)
    assert crossed.tolist() == [0, 1, -1, -1]  # the last passes beyond the exit's end
