"""The least a step of 100 000 walkers costs on this machine: the model's own work, as bare kernels.

    python benchmarks/floor.py                   # 100 000 agents, the room of room_with_door.py
    python benchmarks/floor.py --agents 20000

Issue #6 asks for 100 000 agents at 1 simulated second per wall second on 2 cores. With the
model's time step of 0.01 s that is a budget of 10 ms for a whole step. This benchmark asks how
much of that budget the model's algorithms need at the least, whoever writes them.

It takes the crowd of ``benchmarks/room_with_door.py`` (2 persons/m², orderly walkers) after 50
steps and times two things on it, in one process:

- aforo's own step, stage by stage, over the next steps (as ``room_with_door.py --profile``);
- a bare kernel for each stage whose work no implementation of these algorithms can skip, on the
  same agents, stored in cell order, in float64, on all of numba's threads:

  ``cells``            counting sort of the agents into the neighbour cells (every step: they move);
  ``directions``       one read of the navigation raster per agent;
  ``social forces``    Helbing–Farkas–Vicsek's A·exp((r_ij − d)/B) on every pair closer than
                       r_ij + the interaction range, each pair once (half shell, one accumulator per
                       thread); no walls, no path tests, no contact;
  ``stepping aside``   the decisions due this step (a walker decides every 0.25 s: one in 25 at
                       dt 0.01 s), each scoring the straight line, then as many of the 10 side
                       lines (Moussaïd et al. 2011) as could still beat it, against every
                       neighbour of its 3 × 3 cell block (surface gap on the line, collision
                       distance); no walls, and walkers between decisions do nothing;
  ``integration``      relaxation drive plus one symplectic Euler step;
  ``line crossings``   each agent's move tested against the exits.

The bare kernels leave out everything else aforo's do (walls, contact and its sub-steps, roles,
bodies on the floor, the health guard, the headway path tests, recording), and they run on a
still crowd whose arrays stay warm in the caches. Their sum is therefore a floor for these
algorithms on this machine, not for every algorithm: a cheaper law, a shorter reach, fewer
candidate lines or rarer decisions would lower it, and each of those is a change of the model.

Results are printed as a table and written as JSON to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import math
import platform
import time

import numpy as np
from numba import get_num_threads, njit, prange

from machine import cpu_seconds, git_revision, machine_description, machine_load, others_share, write_results
from room_with_door import _restore, _snapshot, _timed_steps, profile_stages, room_with_door

WARM_UP_STEPS = 50
PROFILED_STEPS = 100
BARE_REPEATS = 50  # calls of each bare kernel; the median is reported
DECISION_EVERY = 25  # steps between two decisions of one walker (0.25 s at dt 0.01 s)
N_LINES = 11  # straight on and five either side, every 15° up to 75° (kernels/steering.py)
LINE_STEP_RAD = math.radians(15.0)
ANTICIPATION_S = 1.0
MIN_GAIN = 0.2  # a side line must beat straight on by this share of the speed
BUDGET_SIM_S_PER_WALL_S = 1.0  # issue #6, target 3

# aforo's kernels (names in the profile) for each bare stage; the rest of its step is "the rest"
AFORO_KERNELS = {
    "cells": ("build_agent_cells",),
    "directions": ("desired_directions",),
    "social forces": ("smooth_forces",),
    "stepping aside": ("orderly_steering",),
    "integration": ("free_accelerations", "kick_drift"),
    "line crossings": ("cross_lines",),
}


@njit(cache=True)
def bare_cells(x, y, x_min, y_min, cell_m, nx, ny):
    """Counting sort into cells: (cell_start, cell_agents)."""
    n = x.size
    agent_cell = np.empty(n, np.int64)
    start = np.zeros(nx * ny + 1, np.int64)
    for i in range(n):
        c = int((y[i] - y_min) / cell_m) * nx + int((x[i] - x_min) / cell_m)
        agent_cell[i] = c
        start[c + 1] += 1
    for c in range(nx * ny):
        start[c + 1] += start[c]
    cursor = start[:-1].copy()
    agents = np.empty(n, np.int64)
    for i in range(n):
        agents[cursor[agent_cell[i]]] = i
        cursor[agent_cell[i]] += 1
    return start, agents


@njit(cache=True, parallel=True)
def bare_directions(x, y, origin_x, origin_y, raster_nx, raster_cell_m, field, ex, ey):
    """One nearest-cell read of the navigation raster per agent."""
    for i in prange(x.size):
        cell = int((y[i] - origin_y) / raster_cell_m) * raster_nx + int((x[i] - origin_x) / raster_cell_m)
        ex[i] = field[cell, 0]
        ey[i] = field[cell, 1]


@njit(cache=True, inline="always")
def _hfv_pair(i, j, x, y, r, a_n, b_m, range_m, fx, fy):
    """Add HFV's repulsion of pair (i, j) to j's sum in (fx, fy); return i's share."""
    dx = x[i] - x[j]
    dy = y[i] - y[j]
    radii = r[i] + r[j]
    reach = radii + range_m
    d2 = dx * dx + dy * dy
    if d2 >= reach * reach:
        return 0.0, 0.0
    d = math.sqrt(d2)
    f = a_n * math.exp((radii - d) / b_m) / d
    fx[j] -= f * dx
    fy[j] -= f * dy
    return f * dx, f * dy


@njit(cache=True, parallel=True)
def bare_social_forces(x, y, r, start, nx, ny, a_n, b_m, range_m, fx, fy):
    """Each pair once: an agent meets the later agents of its cell, the cell east, and the three
    cells of the row above. Rows are split into one stripe per thread, each with its own sums
    (fx[t], fy[t]); the agents are stored in cell order, so a cell's slots are its agents."""
    stripes = fx.shape[0]
    for t in prange(stripes):
        sx_all = fx[t]
        sy_all = fy[t]
        sx_all[:] = 0.0
        sy_all[:] = 0.0
        for row in range(t * ny // stripes, (t + 1) * ny // stripes):
            for col in range(nx):
                c = row * nx + col
                east_end = start[c + 2] if col + 1 < nx else start[c + 1]
                up_first = start[c + nx - 1 if col > 0 else c + nx] if row + 1 < ny else 0
                up_end = start[c + nx + 2 if col + 1 < nx else c + nx + 1] if row + 1 < ny else 0
                for i in range(start[c], start[c + 1]):
                    sx = 0.0
                    sy = 0.0
                    for j in range(i + 1, east_end):  # rest of own cell, then the cell east
                        px, py = _hfv_pair(i, j, x, y, r, a_n, b_m, range_m, sx_all, sy_all)
                        sx += px
                        sy += py
                    for j in range(up_first, up_end):
                        px, py = _hfv_pair(i, j, x, y, r, a_n, b_m, range_m, sx_all, sy_all)
                        sx += px
                        sy += py
                    sx_all[i] += sx
                    sy_all[i] += sy


@njit(cache=True, inline="always")
def _collision_distance(dx, dy, radii, wx, wy, speed):
    closing = dx * wx + dy * wy
    if closing <= 0.0:
        return math.inf
    excess = dx * dx + dy * dy - radii * radii
    if excess <= 0.0:
        return 0.0
    w2 = wx * wx + wy * wy
    disc = closing * closing - w2 * excess
    if disc < 0.0 or w2 < 1e-18:
        return math.inf
    return speed * (closing - math.sqrt(disc)) / w2


@njit(cache=True, inline="always")
def _score_lines(i, first, end, ux, uy, gap, free, x, y, vx, vy, r, speed, start, nx, ny, x_min, y_min, cell_m):
    """Surface gap on, and collision distance along, lines ``first``… ``end`` − 1 of walker i,
    in one pass over its 3 × 3 cell block."""
    for k in range(first, end):
        gap[k] = cell_m
        free[k] = cell_m
    cx = int((x[i] - x_min) / cell_m)
    cy = int((y[i] - y_min) / cell_m)
    for row in range(max(cy - 1, 0), min(cy + 2, ny)):
        for j in range(start[row * nx + max(cx - 1, 0)], start[row * nx + min(cx + 2, nx)]):
            if j == i:
                continue
            dx = x[j] - x[i]
            dy = y[j] - y[i]
            radii = r[i] + r[j]
            now = math.sqrt(dx * dx + dy * dy) - radii
            for k in range(first, end):
                if dx * ux[k] + dy * uy[k] > 0.0 and abs(dx * uy[k] - dy * ux[k]) < radii:
                    gap[k] = min(gap[k], now)
                f = _collision_distance(dx, dy, radii, speed * ux[k] - vx[j], speed * uy[k] - vy[j], speed)
                free[k] = min(free[k], f)


@njit(cache=True, parallel=True)
def bare_decisions(step, x, y, vx, vy, r, ex, ey, speed, headway_s, start, nx, ny, x_min, y_min, cell_m,
                   chosen):
    """The decisions due at ``step``, as aforo's rule takes them (kernels/steering.py) without
    walls: the straight line first; the side lines only if the narrowest could beat it by
    MIN_GAIN, and only as far out as a line's bound speed × cos α can still win."""
    n = x.size
    chunks = min(n, 256)
    for chunk in prange(chunks):
        ux = np.empty(N_LINES)
        uy = np.empty(N_LINES)
        cos_angle = np.empty(N_LINES)
        gap = np.empty(N_LINES)
        free = np.empty(N_LINES)
        for i in range(chunk * n // chunks, (chunk + 1) * n // chunks):
            if (step + i) % DECISION_EVERY != 0:
                continue
            v = speed[i]
            for k in range(N_LINES):
                angle = LINE_STEP_RAD * ((k + 1) // 2) * (-1.0 if k % 2 == 1 else 1.0)
                cos_angle[k] = math.cos(angle)
                s = math.sin(angle)
                ux[k] = cos_angle[k] * ex[i] - s * ey[i]
                uy[k] = s * ex[i] + cos_angle[k] * ey[i]
            _score_lines(i, 0, 1, ux, uy, gap, free, x, y, vx, vy, r, v, start, nx, ny, x_min, y_min, cell_m)
            best = 0
            best_progress = min(v, gap[0] / headway_s, free[0] / ANTICIPATION_S) + MIN_GAIN * v
            sides = 1
            while sides < N_LINES and v * cos_angle[sides] > best_progress:
                sides += 1
            if sides > 1:
                _score_lines(i, 1, sides, ux, uy, gap, free, x, y, vx, vy, r, v, start, nx, ny, x_min, y_min,
                             cell_m)
            for k in range(1, sides):
                progress = min(v, gap[k] / headway_s, free[k] / ANTICIPATION_S) * cos_angle[k]
                if progress > best_progress:
                    best_progress = progress
                    best = k
            chosen[i] = best


@njit(cache=True, parallel=True)
def bare_integration(x, y, vx, vy, ex, ey, speed, tau_s, mass_kg, fx, fy, dt):
    """Relaxation drive plus the summed social forces; one symplectic Euler step."""
    for i in prange(x.size):
        ax = (speed[i] * ex[i] - vx[i]) / tau_s + (fx[0, i] + fx[-1, i]) / mass_kg
        ay = (speed[i] * ey[i] - vy[i]) / tau_s + (fy[0, i] + fy[-1, i]) / mass_kg
        vx[i] += ax * dt
        vy[i] += ay * dt
        x[i] += vx[i] * dt
        y[i] += vy[i] * dt


@njit(cache=True, parallel=True)
def bare_line_crossings(old_x, old_y, x, y, lines, crossed):
    """Whether each agent's move crossed one of the lines (proper segment intersection)."""
    for i in prange(x.size):
        hit = -1
        for k in range(lines.shape[0]):
            ax, ay, bx, by = lines[k, 0], lines[k, 1], lines[k, 2], lines[k, 3]
            d1 = (bx - ax) * (old_y[i] - ay) - (by - ay) * (old_x[i] - ax)
            d2 = (bx - ax) * (y[i] - ay) - (by - ay) * (x[i] - ax)
            d3 = (x[i] - old_x[i]) * (ay - old_y[i]) - (y[i] - old_y[i]) * (ax - old_x[i])
            d4 = (x[i] - old_x[i]) * (by - old_y[i]) - (y[i] - old_y[i]) * (bx - old_x[i])
            if d1 * d2 < 0.0 and d3 * d4 < 0.0:
                hit = k
        crossed[i] = hit


def _median_ms(call, repeats: int) -> float:
    call(0)  # compile, or load from the cache
    times = []
    for k in range(repeats):
        began = time.perf_counter()
        call(k)
        times.append(time.perf_counter() - began)
    return 1e3 * float(np.median(times))


def bare_stages(sim, repeats: int) -> dict[str, float]:
    """Median ms a call of each bare kernel on the agents inside, stored in cell order."""
    s = sim.state
    (_, _, _, _, _, _, _, _, _, lines, line_space, _, _, _, origin_x, origin_y, raster_nx, _, offset,
     raster_cell_m, field, x_min, y_min, cell_m, nx, ny) = sim._venue_tuple
    inside = s.active.copy()
    cell = (((s.pos_y[inside] - y_min) // cell_m) * nx + (s.pos_x[inside] - x_min) // cell_m).astype(np.int64)
    order = np.argsort(cell, kind="stable")
    x, y, vx, vy, r, ex, ey, speed, mass, tau, headway = (
        np.ascontiguousarray(a[inside][order]) for a in (
            s.pos_x, s.pos_y, s.vel_x, s.vel_y, s.radius, s.dir_x, s.dir_y, s.desired_speed, s.mass,
            s.relaxation_time, s.headway_time))
    p = sim.scenario.physics
    start, _ = bare_cells(x, y, x_min, y_min, cell_m, nx, ny)
    threads = get_num_threads()
    fx = np.zeros((threads, x.size))
    fy = np.zeros((threads, x.size))
    space0 = int(s.space[inside][0])
    own_field = field[int(s.field_of_agent[inside][0]), offset[space0]:]
    exits = np.ascontiguousarray(lines[line_space == space0])
    old_x, old_y = x - vx * sim.time_step_s, y - vy * sim.time_step_s
    chosen = np.zeros(x.size, np.int64)
    crossed = np.zeros(x.size, np.int64)
    dt = sim.time_step_s
    # integration moves the crowd: it runs on copies so that the other kernels see the snapshot
    mx, my, mvx, mvy = x.copy(), y.copy(), vx.copy(), vy.copy()
    return {
        "cells": _median_ms(lambda k: bare_cells(x, y, x_min, y_min, cell_m, nx, ny), repeats),
        "directions": _median_ms(lambda k: bare_directions(
            x, y, origin_x[space0], origin_y[space0], raster_nx[space0], raster_cell_m, own_field,
            ex.copy(), ey.copy()), repeats),
        "social forces": _median_ms(lambda k: bare_social_forces(
            x, y, r, start, nx, ny, p.social_repulsion_strength, p.social_repulsion_range, p.interaction_range,
            fx, fy), repeats),
        "stepping aside": _median_ms(lambda k: bare_decisions(
            k, x, y, vx, vy, r, ex, ey, speed, float(np.median(headway)), start, nx, ny, x_min, y_min, cell_m,
            chosen), repeats),
        "integration": _median_ms(lambda k: bare_integration(
            mx, my, mvx, mvy, ex, ey, speed, float(np.median(tau)), float(np.median(mass)), fx, fy, dt), repeats),
        "line crossings": _median_ms(lambda k: bare_line_crossings(old_x, old_y, x, y, exits, crossed), repeats),
    }


def run(agents: int, repeats: int) -> dict:
    from aforo.engine.simulation import Simulation
    from aforo.venue.compiled import compile_venue

    scenario, *_ = room_with_door(agents)
    sim = Simulation.from_scenario(scenario, compile_venue(scenario))
    for _ in range(WARM_UP_STEPS // sim.steps_per_frame):
        sim.advance_steps(sim.steps_per_frame)
    start = _snapshot(sim)
    load_before = machine_load()
    before = cpu_seconds()
    plain_wall_s = math.inf
    for _ in range(2):  # best of two; the profile then checks that it ends where these end
        _restore(sim, start)
        plain_wall_s = min(plain_wall_s, _timed_steps(sim, PROFILED_STEPS)[0])
    profile = profile_stages(sim, start, PROFILED_STEPS)
    _restore(sim, start)
    bare = bare_stages(sim, repeats)
    others = others_share(before, cpu_seconds())
    per_step = {k: 1e3 * v / PROFILED_STEPS for k, v in profile["kernel_s"].items()}
    aforo = {stage: sum(per_step.get(k, 0.0) for k in kernels) for stage, kernels in AFORO_KERNELS.items()}
    aforo_all = 1e3 * profile["wall_s"] / PROFILED_STEPS
    aforo["the rest of the step"] = aforo_all - sum(aforo.values())
    return {
        "agents": agents,
        "agents_inside": int(sim.active_count),
        "time_step_s": sim.time_step_s,
        "budget_ms_per_step": 1e3 * sim.time_step_s / BUDGET_SIM_S_PER_WALL_S,
        "aforo_ms_per_step": aforo,
        "aforo_total_ms_per_step": aforo_all,
        "aforo_unprofiled_ms_per_step": 1e3 * plain_wall_s / PROFILED_STEPS,
        "bare_ms_per_step": bare,
        "bare_total_ms_per_step": sum(bare.values()),
        "threads": get_num_threads(),
        "load_before": load_before,
        "others_cpu_share": others,
        "profiled_run_matches_plain_run": profile["matches_compiled_run"],
    }


def print_result(res: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"A step of {res['agents_inside']:,} walkers at dt {res['time_step_s']:g} s: aforo "
                  f"against bare kernels of the same algorithms ({res['threads']} threads)")
    for c in ("stage", "aforo ms/step", "bare ms/step", "aforo / bare"):
        table.add_column(c, justify="left" if c == "stage" else "right")
    for stage, ms in res["aforo_ms_per_step"].items():
        bare = res["bare_ms_per_step"].get(stage)
        table.add_row(stage, f"{ms:.2f}", "—" if bare is None else f"{bare:.2f}",
                      "—" if bare is None else f"{ms / bare:.1f}")
    dt = res["time_step_s"]
    aforo, bare = res["aforo_total_ms_per_step"], res["bare_total_ms_per_step"]
    table.add_row("whole step (profiled)", f"{aforo:.2f}", f"{bare:.2f}", f"{aforo / bare:.1f}")
    table.add_row("simulated s per wall s", f"{dt * 1e3 / aforo:.2f}", f"{dt * 1e3 / bare:.2f}", "")
    console = Console(width=120)
    console.print(table)
    console.print(f"Budget for {BUDGET_SIM_S_PER_WALL_S:g} simulated s per wall s: {res['budget_ms_per_step']:.1f} ms "
                  f"a step. aforo's step without the stage clocks: {res['aforo_unprofiled_ms_per_step']:.2f} ms. "
                  f"Load before {res['load_before'][0]:.2f}; others' CPU {100 * res['others_cpu_share']:.0f} %. "
                  f"Profiled run ends as the plain run: {res['profiled_run_matches_plain_run']}.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=100_000, help="crowd size (default 100000)")
    parser.add_argument("--repeat", type=int, default=BARE_REPEATS, help="calls of each bare kernel (median)")
    args = parser.parse_args()
    res = run(args.agents, args.repeat)
    print_result(res)
    machine = {"platform": platform.platform(), **machine_description(), "aforo": git_revision()}
    write_results({"machine": machine, "result": res}, "floor")


if __name__ == "__main__":
    main()
