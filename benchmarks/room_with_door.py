"""Agent-steps per second for a crowd leaving a square room (measured and printed, never asserted).

    python benchmarks/room_with_door.py                      # 1 000, 10 000 and 100 000 agents
    python benchmarks/room_with_door.py --agents 10000 --steps 300 --profile

The room is square and sized for an initial density of 2 persons/m² (1 000 agents: 22.4 m × 22.4 m).
Exits get 1.2 m of clear width per 1 000 agents, so that every size would empty in about the same
time (≈ N / (1.3 persons/(m·s) × width) ≈ 640 s): one 1.2 m exit in the middle of the east wall
for 1 000 agents, else four equal exits, one in the middle of each wall (10 000: 4 × 3 m,
100 000: 4 × 30 m). Populations use the default body, speed and headway settings.

Each size runs in its own process, so peak RSS and set-up time belong to that size alone. Set-up
(venue compile including the navigation field, then spawning) and the first ``advance_steps`` call
(JIT compile or cache load) are reported separately and excluded from the timed steps. The timed
steps (advanced a frame at a time, as ``Simulation.run`` does) are repeated ``--repeat`` times from
the same state and the best time is reported: the machine may be shared. Agent-steps count the
agents inside at the start of the timed steps. Results are printed as a table and written as JSON
to benchmarks/results/.

``--profile`` also runs the pipeline of :func:`aforo.kernels.step.advance` stage by stage from
Python on a copy of the state (same kernels, same order) and prints each stage's share of the time.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import math
import multiprocessing
import os
import platform
import resource
import subprocess
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import fields, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

DENSITY_PER_M2 = 2.0
EXIT_WIDTH_PER_1000_M = 1.2
DEFAULT_STEPS = {1_000: 1_000, 10_000: 300, 100_000: 100}
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def room_with_door(agents: int):
    """A square room at 2 persons/m² with exits of total width 1.2 m per 1 000 agents."""
    from aforo.scenario.model import Exit, Level, Population, RunSettings, Scenario

    side = math.sqrt(agents / DENSITY_PER_M2)
    total_width = EXIT_WIDTH_PER_1000_M * agents / 1000
    walls = ("east",) if agents <= 1000 else ("south", "east", "north", "west")
    half = total_width / len(walls) / 2
    mid = side / 2
    # Counter-clockwise ring with each exit's jambs as vertices.
    jambs = {
        "south": ((mid - half, 0.0), (mid + half, 0.0)),
        "east": ((side, mid - half), (side, mid + half)),
        "north": ((mid + half, side), (mid - half, side)),
        "west": ((0.0, mid + half), (0.0, mid - half)),
    }
    corners = {"south": (0.0, 0.0), "east": (side, 0.0), "north": (side, side), "west": (0.0, side)}
    ring = []
    for wall in ("south", "east", "north", "west"):
        ring.append(corners[wall])
        if wall in walls:
            ring.extend(jambs[wall])
    exits = tuple(Exit(f"exit-{w}", "ground", jambs[w]) for w in walls)
    return Scenario.build(
        name=f"room-{agents}",
        levels=(Level("ground", 0.0, (tuple(ring),), exits=exits),),
        populations=(Population("crowd", "ground", agents),),
        run=RunSettings(duration=3600.0, time_step=0.01, record_interval=0.1, seed=0),
    ), side, total_width, len(walls)


def stiff_fraction(sim) -> float:
    """Share of active agents with a stiff contact (partner or wall) in the last step."""
    s, active = sim._scratch, sim.state.active
    stiff = (s.n_stiff > 0) | (s.n_stiff_walls > 0)
    return float(np.count_nonzero(stiff & active) / max(1, np.count_nonzero(active)))


def state_bytes(sim) -> int:
    arrays = [getattr(sim.state, f.name) for f in fields(sim.state)]
    arrays += [getattr(sim._scratch, f.name) for f in fields(sim._scratch)]
    return sum(a.nbytes for a in arrays)


def benchmark(agents: int, steps: int, repeat: int, profile: bool, threads: int | None) -> dict:
    """Build, warm up and time one size (run in a fresh process)."""
    import numba

    if threads:
        numba.set_num_threads(threads)

    from aforo.engine.simulation import Simulation
    from aforo.venue.compiled import compile_venue

    scenario, side, exit_width, n_exits = room_with_door(agents)
    t0 = time.perf_counter()
    venue = compile_venue(scenario)
    t1 = time.perf_counter()
    sim = Simulation.from_scenario(scenario, venue)
    t2 = time.perf_counter()
    sim.advance_steps(1)  # JIT compile (or load from the numba cache): not timed
    t3 = time.perf_counter()

    start = _snapshot(sim)
    active_before = sim.active_count
    load_before = os.getloadavg()[0]
    walls, others = [], []
    for _ in range(repeat):  # the same steps from the same state each time
        _restore(sim, start)
        before = _cpu_seconds()
        wall, stiff = _timed_steps(sim, steps)
        after = _cpu_seconds()
        walls.append(wall)
        others.append(_others_share(before, after))
    best = int(np.argmin(walls))
    wall = walls[best]
    substeps = sim.diagnostics.substeps - start[5].substeps
    dt = sim.time_step_s
    result = {
        "agents": agents,
        "room_side_m": round(side, 2),
        "exits": n_exits,
        "exit_width_total_m": exit_width,
        "steps": steps,
        "time_step_s": dt,
        "compile_venue_s": t1 - t0,
        "spawn_s": t2 - t1,
        "first_advance_s": t3 - t2,
        "wall_s": wall,  # best of the repeats
        "wall_s_repeats": walls,
        # share of the machine's CPU time used by other processes during each repeat
        "others_cpu_share_repeats": others,
        "agent_steps_per_s": active_before * steps / wall,
        "sim_s_per_wall_s": steps * dt / wall,
        "substeps_per_step": substeps / steps,
        "most_substeps_in_a_step": sim.diagnostics.most_substeps_in_a_step,
        "stiff_fraction_mean": float(np.mean(stiff)),
        "evacuated_during_timing": active_before - sim.active_count,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "state_bytes_per_agent": state_bytes(sim) / agents,
        "nav_cells": int(venue.nav_grid.n_cells),
        "threads": numba.get_num_threads(),
        "threading_layer": numba.threading_layer(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
        # 1-minute load average before and after the timed steps: other work on the machine
        "load_average": [load_before, os.getloadavg()[0]],
        "others_cpu_share": others[best],
    }
    if profile:
        result["profile"] = profile_stages(sim, *start[:3], steps)  # last use of start
    return result


def _timed_steps(sim, steps: int) -> tuple[float, list[float]]:
    """Advance ``steps`` outer steps a frame at a time; wall time of the advance calls only."""
    wall = 0.0
    stiff = []
    done = 0
    while done < steps:
        k = min(sim.steps_per_frame, steps - done)
        start = time.perf_counter()
        sim.advance_steps(k)
        wall += time.perf_counter() - start
        done += k
        stiff.append(stiff_fraction(sim))
    return wall, stiff


def _cpu_seconds() -> tuple[float, float, float]:
    """(wall clock, CPU seconds busy on the whole machine, CPU seconds of this process)."""
    with open("/proc/stat") as f:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, f.readline().split()[1:9])
    busy = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    own = os.times()
    return time.monotonic(), busy, own.user + own.system


def _others_share(before, after) -> float:
    """Share of all cores' time that other processes kept busy between two _cpu_seconds()."""
    wall = after[0] - before[0]
    others = (after[1] - before[1]) - (after[2] - before[2])
    return max(0.0, others / (wall * os.cpu_count()))


def _snapshot(sim):
    return (sim.state.copy(), _copy_scratch(sim), copy.deepcopy(sim.venue.leaves), sim.step_index,
            sim.exit_time_s.copy(), replace(sim.diagnostics), len(sim.passages))


def _restore(sim, snapshot) -> None:
    state, scratch, leaves, step_index, exit_time_s, diagnostics, n_passages = snapshot
    for saved, live in ((state, sim.state), (scratch, sim._scratch), (leaves, sim.venue.leaves)):
        for f in fields(saved):
            if isinstance(getattr(saved, f.name), np.ndarray):
                np.copyto(getattr(live, f.name), getattr(saved, f.name))
    sim.step_index = step_index
    np.copyto(sim.exit_time_s, exit_time_s)
    sim.diagnostics = replace(diagnostics)
    del sim.passages[n_passages:]


def _copy_scratch(sim):
    return type(sim._scratch)(**{f.name: getattr(sim._scratch, f.name).copy() for f in fields(sim._scratch)})


def profile_stages(sim, state, scratch, leaves, steps: int) -> dict:
    """Run ``steps`` outer steps stage by stage, as kernels/step.advance does, and time each stage.

    Works on copies of the state taken before the timed run, so it covers the same steps; at the
    end its positions are compared with the compiled run's: they must agree exactly, or this
    copy of the pipeline has fallen behind kernels/step.py.
    """
    from aforo.kernels.cells import build_agent_cells
    from aforo.kernels.constraints import (
        apply_roles, cross_lines, desired_directions, enforce_walls, guard_non_finite,
        update_elevation,
    )
    from aforo.kernels.doors import (
        add_leaf_contacts, advance_leaves, enforce_leaves, find_leaf_contacts, handle_torques,
        update_leaf_segments,
    )
    from aforo.kernels.social_force import (
        P_CLEARANCE, P_K, P_KAPPA, P_MARGIN, P_MAX_SUBSTEPS, P_STABILITY, STATUS_WALL_REVERTED,
        apply_headway, free_accelerations, kick_drift, smooth_forces, split_stiff,
        stiff_accelerations, substep_count,
    )

    a, c, L = state, scratch, leaves  # agents, scratch, door leaves: read by name
    (walls, wall_space, wall_cell_start, wall_cell_ids, space_link, space_plane, space_uphill,
     space_factor_up, space_factor_down, lines, line_space, line_kind, line_target, line_start,
     grid_origin_x, grid_origin_y, grid_nx, grid_ny, grid_offset, nav_cell_size, field_direction,
     x_min, y_min, cell_size, n_cells_x, n_cells_y) = sim._venue_tuple
    params, dt, first_step = sim.params, sim.time_step_s, sim.step_index - steps
    capacity = a.count + 64
    event_agent, event_line, event_sign = (np.zeros(capacity, np.int64) for _ in range(3))

    names = ("cells", "directions", "forces", "integrate: free", "integrate: contact sub-steps",
             "walls", "health", "lines", "elevation")
    spent = dict.fromkeys(names, 0.0)
    clock = time.perf_counter

    def lap(stage, since):
        now = clock()
        spent[stage] += now - since
        return now

    for step in range(steps):
        t = clock()
        c.old_x[:] = a.pos_x
        c.old_y[:] = a.pos_y
        cell_start, cell_agents, agent_cell = build_agent_cells(
            a.pos_x, a.pos_y, a.active, x_min, y_min, cell_size, n_cells_x, n_cells_y)
        t = lap("cells", t)
        desired_directions(
            a.pos_x, a.pos_y, a.space, a.active, a.field_of_agent, grid_origin_x, grid_origin_y,
            grid_nx, grid_ny, grid_offset, nav_cell_size, field_direction, space_uphill,
            space_factor_up, space_factor_down, a.desired_speed, a.dir_x, a.dir_y, c.speed_now)
        apply_roles(first_step + step, a.pos_x, a.pos_y, a.active, a.start_step, a.moving,
                    a.hold_x, a.hold_y, a.hold_force, a.mass, a.relaxation_time, a.dir_x, a.dir_y,
                    c.speed_now)
        t = lap("directions", t)
        smooth_forces(
            a.pos_x, a.pos_y, a.vel_x, a.vel_y, a.radius, a.mass, a.space, a.elevation, a.active,
            cell_start, cell_agents, agent_cell, n_cells_x, n_cells_y, walls, wall_space,
            wall_cell_start, wall_cell_ids, space_link, params, a.dir_x, a.dir_y, c.smooth_fx,
            c.smooth_fy, c.stiff_partners, c.n_stiff, c.stiff_walls, c.n_stiff_walls,
            c.contact_rate, c.gap_ahead, a.status)
        apply_headway(a.active, c.gap_ahead, a.headway_time, c.speed_now)
        find_leaf_contacts(a.pos_x, a.pos_y, a.radius, a.mass, a.space, a.active, L.segment,
                           L.space, L.mode, params[P_MARGIN], params[P_K], c.stiff_leaves,
                           c.n_stiff_leaves, c.contact_rate)
        handle_torques(a.pos_x, a.pos_y, a.space, a.active, a.dir_x, a.dir_y, L.hinge_x, L.hinge_y,
                       L.length, L.base_angle, L.sign, L.angle, L.space, L.mode, L.handle_force,
                       L.frame, L.handle_torque)
        t = lap("forces", t)
        stiff_ids, free_ids, rate = split_stiff(a.active, c.n_stiff, c.n_stiff_walls,
                                                c.n_stiff_leaves, c.contact_rate)
        free_accelerations(free_ids, a.vel_x, a.vel_y, a.mass, c.speed_now, a.relaxation_time,
                           a.dir_x, a.dir_y, c.smooth_fx, c.smooth_fy, c.acc_x, c.acc_y)
        kick_drift(free_ids, a.pos_x, a.pos_y, a.vel_x, a.vel_y, c.acc_x, c.acc_y, dt)
        t = lap("integrate: free", t)
        n_sub = substep_count(dt, rate, params[P_STABILITY], int(params[P_MAX_SUBSTEPS]))
        n_sub = 0 if stiff_ids.size == 0 else n_sub
        h = dt / max(n_sub, 1)
        c.radial_sum[:] = 0.0
        leaf_args = (L.length, L.max_angle, L.inertia, L.mode, L.handle_torque, L.angle, L.omega,
                     L.torque, L.force_sum, L.closing_sum)
        leaf_segment_args = (L.hinge_x, L.hinge_y, L.length, L.base_angle, L.sign, L.angle, L.segment)
        for _ in range(n_sub):
            stiff_accelerations(
                stiff_ids, a.pos_x, a.pos_y, a.vel_x, a.vel_y, a.radius, a.mass, c.speed_now,
                a.relaxation_time, a.dir_x, a.dir_y, c.smooth_fx, c.smooth_fy, c.stiff_partners,
                c.n_stiff, walls, c.stiff_walls, c.n_stiff_walls, params, c.acc_x, c.acc_y,
                c.radial_sum)
            add_leaf_contacts(
                stiff_ids, a.pos_x, a.pos_y, a.vel_x, a.vel_y, a.radius, a.mass, c.stiff_leaves,
                c.n_stiff_leaves, L.hinge_x, L.hinge_y, L.sign, L.omega, L.segment, params[P_K],
                params[P_KAPPA], c.acc_x, c.acc_y, c.radial_sum, c.agent_leaf_torque,
                c.agent_leaf_force)
            kick_drift(stiff_ids, a.pos_x, a.pos_y, a.vel_x, a.vel_y, c.acc_x, c.acc_y, h)
            advance_leaves(stiff_ids, c.stiff_leaves, c.n_stiff_leaves, c.agent_leaf_torque,
                           c.agent_leaf_force, *leaf_args, h)
            update_leaf_segments(*leaf_segment_args)
        if n_sub == 0 and L.angle.size > 0:
            advance_leaves(stiff_ids, c.stiff_leaves, c.n_stiff_leaves, c.agent_leaf_torque,
                           c.agent_leaf_force, *leaf_args, dt)
            update_leaf_segments(*leaf_segment_args)
        a.contact_force[:] = c.radial_sum / n_sub if n_sub > 0 else 0.0
        t = lap("integrate: contact sub-steps", t)
        enforce_walls(c.old_x, c.old_y, a.pos_x, a.pos_y, a.vel_x, a.vel_y, a.radius, a.space,
                      a.active, agent_cell, walls, wall_space, wall_cell_start, wall_cell_ids,
                      params[P_CLEARANCE], a.status)
        if L.angle.size > 0:
            enforce_leaves(c.old_x, c.old_y, a.pos_x, a.pos_y, a.vel_x, a.vel_y, a.radius, a.space,
                           a.active, L.segment, L.space, L.mode, params[P_CLEARANCE],
                           STATUS_WALL_REVERTED, a.status)
        t = lap("walls", t)
        guard_non_finite(c.old_x, c.old_y, a.pos_x, a.pos_y, a.vel_x, a.vel_y, a.active, a.status)
        t = lap("health", t)
        cross_lines(c.old_x, c.old_y, a.pos_x, a.pos_y, a.space, a.active, lines, line_space,
                    line_kind, line_target, line_start, event_agent, event_line, event_sign, 0)
        t = lap("lines", t)
        update_elevation(a.pos_x, a.pos_y, a.space, a.active, space_plane, a.elevation)
        lap("elevation", t)
        a.status[:] = 0

    total = sum(spent.values())
    same = bool(np.array_equal(a.pos_x, sim.state.pos_x) and np.array_equal(a.pos_y, sim.state.pos_y))
    return {
        "steps": steps,
        "total_s": total,
        "stages_s": spent,
        "share": {k: v / total for k, v in spent.items()},
        "matches_compiled_run": same,
    }


def _run_in_child(*args) -> dict:
    """One size in a fresh (spawned) process: clean peak RSS, no state shared between sizes."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(benchmark, *args).result()


def print_results(results: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=160)
    table = Table(title="aforo: room with door, 2 persons/m², dt 0.01 s")
    columns = ("agents", "steps", "set-up s", "best wall s", "agent-steps/s", "sim s / wall s",
               "sub-steps/step", "stiff %", "peak RSS MiB", "state B/agent", "threads", "others' CPU %")
    for c in columns:
        table.add_column(c, justify="right")
    for r in results:
        table.add_row(
            f"{r['agents']:,}", f"{r['steps']}", f"{r['compile_venue_s'] + r['spawn_s']:.1f}",
            f"{r['wall_s']:.2f}", f"{r['agent_steps_per_s']:.3g}", f"{r['sim_s_per_wall_s']:.3g}",
            f"{r['substeps_per_step']:.1f}", f"{100 * r['stiff_fraction_mean']:.1f}",
            f"{r['peak_rss_mib']:.0f}", f"{r['state_bytes_per_agent']:.0f}",
            f"{r['threads']} {r['threading_layer']}", f"{100 * r['others_cpu_share']:.0f}",
        )
    console.print(table)
    for r in results:
        console.print(
            f"{r['agents']:,} agents: wall s of the repeats "
            f"{', '.join(f'{w:.2f}' for w in r['wall_s_repeats'])} (others' CPU "
            f"{', '.join(f'{100 * o:.0f} %' for o in r['others_cpu_share_repeats'])}); room {r['room_side_m']} m square, {r['exits']} exit(s) of "
            f"{r['exit_width_total_m'] / r['exits']:g} m; venue compile {r['compile_venue_s']:.1f} s "
            f"({r['nav_cells']:,} navigation cells), spawn {r['spawn_s']:.1f} s, first advance "
            f"(JIT compile or cache load) {r['first_advance_s']:.1f} s; most sub-steps in one step {r['most_substeps_in_a_step']}; "
            f"{r['evacuated_during_timing']} left during the timed steps"
        )
        if "profile" in r:
            p = r["profile"]
            prof = Table(title=f"stage profile, {r['agents']:,} agents, {p['steps']} steps "
                         f"(stage by stage from Python; matches compiled run: {p['matches_compiled_run']})")
            for c in ("stage", "s", "ms/step", "share %"):
                prof.add_column(c, justify="right" if c != "stage" else "left")
            for name, secs in p["stages_s"].items():
                prof.add_row(name, f"{secs:.2f}", f"{1000 * secs / p['steps']:.2f}",
                             f"{100 * p['share'][name]:.1f}")
            prof.add_row("total", f"{p['total_s']:.2f}", f"{1000 * p['total_s'] / p['steps']:.2f}", "100.0")
            prof.add_row("compiled advance (timed run)", f"{r['wall_s']:.2f}",
                         f"{1000 * r['wall_s'] / r['steps']:.2f}", "")
            console.print(prof)
            console.print("Stage by stage pays numba's dispatch cost (~10–20 µs a call) on every "
                          "kernel call; the compiled run does not.")


def _private_numba_cache() -> str:
    """A numba cache directory of our own, named by a hash of aforo's kernel sources.

    numba's cache=True only notices changes in a function's own file: ``kernels/step.advance``
    keeps its cached machine code when a kernel it calls (in another file) changes, and then
    calls it with the old argument layout (a segfault when arguments were added). Keying the
    directory on every kernel file's content keeps the benchmark safe while src/ is edited.
    """
    kernels = Path(__file__).resolve().parents[1] / "src" / "aforo" / "kernels"
    digest = hashlib.sha256()
    for source in sorted(kernels.glob("*.py")):
        digest.update(source.name.encode() + source.read_bytes())
    return str(RESULTS_DIR / ".numba-cache" / digest.hexdigest()[:12])


def _git_revision() -> str:
    try:
        return subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True,
                              text=True, cwd=Path(__file__).parent, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, nargs="+", default=sorted(DEFAULT_STEPS),
                        help="crowd sizes (default: 1000 10000 100000)")
    parser.add_argument("--steps", type=int, default=None,
                        help="outer steps to time (default: 1000 / 300 / 100 for 1k / 10k / 100k)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="time the same steps this many times from the same state; best is reported")
    parser.add_argument("--profile", action="store_true", help="also time each pipeline stage")
    parser.add_argument("--threads", type=int, default=None,
                        help="numba threads (default: numba's, i.e. NUMBA_NUM_THREADS or all cores)")
    args = parser.parse_args()

    os.environ.setdefault("NUMBA_CACHE_DIR", _private_numba_cache())  # read by the children
    results = []
    for n in args.agents:
        steps = args.steps or DEFAULT_STEPS.get(n, max(10, 10 * round(1e5 / n)))
        results.append(_run_in_child(n, steps, args.repeat, args.profile, args.threads))
    print_results(results)

    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS_DIR / f"room_with_door-{stamp}.json"
    machine = {"platform": platform.platform(), "python": platform.python_version(),
               "cpus": os.cpu_count(), "processor": _cpu_model(), "aforo": _git_revision()}
    out.write_text(json.dumps({"machine": machine, "results": results}, indent=2))
    print(f"written {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    main()
