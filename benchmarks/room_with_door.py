"""Agent-steps per second for a crowd leaving a square room (measured and printed, never asserted).

    python benchmarks/room_with_door.py                      # 1 000, 10 000 and 100 000 agents
    python benchmarks/room_with_door.py --agents 10000 --steps 300 --profile

The room is square and sized for an initial density of 2 persons/m² (1 000 agents: 22.4 m × 22.4 m).
Exits get 1.2 m of clear width per 1 000 agents, so that every size would empty in about the same
time (≈ N / (1.3 persons/(m·s) × width) ≈ 640 s): one 1.2 m exit in the middle of the east wall
for 1 000 agents, else four equal exits, one in the middle of each wall (10 000: 4 × 3 m,
100 000: 4 × 30 m). Populations use the default body, speed and headway settings (orderly
walkers); ``--pushing`` makes them a competitive crowd instead.

Each size runs in its own process, so peak RSS and set-up time belong to that size alone. Set-up
(venue compile including the navigation field, then spawning) and the first ``advance_steps`` call
(JIT compile or cache load) are reported separately and excluded from the timed steps. The timed
steps (advanced a frame at a time, as ``Simulation.run`` does) are repeated ``--repeat`` times from
the same state and the best time is reported: the machine may be shared. Agent-steps count the
agents inside at the start of the timed steps. Results are printed as a table and written as JSON
to benchmarks/results/.

``--profile`` then replays the same steps with :func:`aforo.kernels.step.advance` run as Python
(its compiled kernels timed one by one, by pipeline stage) and prints each stage's share.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import multiprocessing
import os
import platform
import resource
import subprocess
import time
import types
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import fields, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

DENSITY_PER_M2 = 2.0
EXIT_WIDTH_PER_1000_M = 1.2
DEFAULT_STEPS = {1_000: 1_000, 10_000: 300, 100_000: 100}
RESULTS_DIR = Path(__file__).resolve().parent / "results"
THREAD_SETTINGS = ("NUMBA_NUM_THREADS", "NUMBA_THREADING_LAYER", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT")


def room_with_door(agents: int, pushing: bool = False):
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
        populations=(Population("crowd", "ground", agents, pushing=pushing),),
        run=RunSettings(duration=3600.0, time_step=0.01, record_interval=0.1, seed=0),
    ), side, total_width, len(walls)


def stiff_fraction(sim) -> float:
    """Share of active agents with a stiff contact (partner, wall or leaf) in the last step."""
    s, active = sim._scratch, sim.state.active
    stiff = (s.n_stiff > 0) | (s.n_stiff_walls > 0) | (getattr(s, "n_stiff_leaves", 0) > 0)
    return float(np.count_nonzero(stiff & active) / max(1, np.count_nonzero(active)))


def sort_by_cell(sim) -> None:
    """Experiment (--sorted): renumber agents in neighbour-cell order, for memory locality.

    Spawning leaves agents in random order in space. Call before the first step (agent indices
    are the agents' ids in every output). Per-agent arrays of the state and of the engine's
    per-agent books (behaviour, harm) are permuted alike.
    """
    x_min, y_min, cell, n_cells_x = sim._venue_tuple[-5:-1]
    s = sim.state
    cx = ((s.pos_x - x_min) / cell).astype(np.int64)
    cy = ((s.pos_y - y_min) / cell).astype(np.int64)
    order = np.argsort(cy * n_cells_x + cx, kind="stable")
    columns = [getattr(s, f.name) for f in fields(s)]
    for book in (getattr(sim, "behaviour", None), getattr(sim, "harm", None)):
        columns += list(vars(book).values()) if book is not None else []
    for column in columns:
        if isinstance(column, np.ndarray) and column.shape[:1] == (s.count,):
            column[:] = column[order]


def state_bytes(sim) -> int:
    arrays = [getattr(sim.state, f.name) for f in fields(sim.state)]
    arrays += [getattr(sim._scratch, f.name) for f in fields(sim._scratch)]
    return sum(a.nbytes for a in arrays)


def benchmark(agents: int, steps: int, repeat: int, profile: bool, threads: int | None,
              pushing: bool, sorted_agents: bool) -> dict:
    """Build, warm up and time one size (run in a fresh process)."""
    import numba

    if threads:
        numba.set_num_threads(threads)

    from aforo.engine.simulation import Simulation
    from aforo.venue.compiled import compile_venue

    scenario, side, exit_width, n_exits = room_with_door(agents, pushing)
    t0 = time.perf_counter()
    venue = compile_venue(scenario)
    t1 = time.perf_counter()
    sim = Simulation.from_scenario(scenario, venue)
    t2 = time.perf_counter()
    if sorted_agents:
        sort_by_cell(sim)
    sim.advance_steps(1)  # JIT compile (or load from the numba cache): not timed
    t3 = time.perf_counter()

    start = _snapshot(sim)
    active_before = sim.active_count
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
        "pushing": pushing,
        "sorted_by_cell": sorted_agents,
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
        "environment": {k: os.environ[k] for k in THREAD_SETTINGS if k in os.environ},
        "others_cpu_share": others[best],
    }
    if profile:
        result["profile"] = profile_stages(sim, start, steps)
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
    return min(1.0, max(0.0, others / (wall * os.cpu_count())))


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


# Pipeline stage of each kernel that kernels/step.advance calls. A kernel not listed (kick_drift,
# or one added later) counts towards the stage of the kernel called before it.
STAGE_OF = {
    "build_agent_cells": "cells",
    "desired_directions": "directions", "apply_roles": "directions",
    "smooth_forces": "forces", "apply_headway": "forces", "find_leaf_contacts": "forces",
    "handle_torques": "forces",
    "split_stiff": "integrate: free", "free_accelerations": "integrate: free",
    "substep_count": "integrate: contact sub-steps", "stiff_accelerations": "integrate: contact sub-steps",
    "add_leaf_contacts": "integrate: contact sub-steps", "advance_leaves": "integrate: contact sub-steps",
    "update_leaf_segments": "integrate: contact sub-steps",
    "enforce_walls": "walls", "enforce_leaves": "walls",
    "guard_non_finite": "health",
    "cross_lines": "lines",
    "update_elevation": "elevation",
}


def profile_stages(sim, start, steps: int) -> dict:
    """Replay the timed steps with ``advance`` run as Python, each kernel call timed by stage.

    ``kernels.step.advance.py_func`` (the Python source of the compiled pipeline) is run with
    every compiled kernel it calls wrapped in a timer, so the stages are called exactly as the
    compiled run calls them. Its own element loops then run in Python: that time is reported
    apart (glue) and left out of the shares. The replay must end where the compiled run ended.
    """
    import aforo.engine.simulation as engine
    from numba.core.dispatcher import Dispatcher

    compiled = engine.advance
    spent, per_kernel = defaultdict(float), defaultdict(float)
    stage = ["cells"]

    def timed(name, kernel):
        def call(*args):
            stage[0] = STAGE_OF.get(name, stage[0])
            t = time.perf_counter()
            out = kernel(*args)
            elapsed = time.perf_counter() - t
            spent[stage[0]] += elapsed
            per_kernel[name] += elapsed
            return out
        return call

    py = compiled.py_func
    scope = {k: timed(k, v) if isinstance(v, Dispatcher) else v for k, v in py.__globals__.items()}
    replay = types.FunctionType(py.__code__, scope, py.__name__, py.__defaults__, py.__closure__)

    end_x, end_y = sim.state.pos_x.copy(), sim.state.pos_y.copy()
    _restore(sim, start)
    engine.advance = replay
    try:
        before = _cpu_seconds()
        wall, _ = _timed_steps(sim, steps)
        others = _others_share(before, _cpu_seconds())
    finally:
        engine.advance = compiled
    kernels = sum(spent.values())
    order = list(dict.fromkeys(STAGE_OF.values())) + sorted(set(spent) - set(STAGE_OF.values()))
    return {
        "steps": steps,
        "kernels_s": kernels,
        "glue_s": wall - kernels,  # advance's own loops run as Python: not in the compiled run
        "stages_s": {k: spent[k] for k in order},
        "share": {k: spent[k] / kernels for k in order},
        "kernel_s": dict(sorted(per_kernel.items(), key=lambda kv: -kv[1])),
        "matches_compiled_run": bool(np.array_equal(end_x, sim.state.pos_x)
                                     and np.array_equal(end_y, sim.state.pos_y)),
        "others_cpu_share": others,
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
    crowd = "pushing" if any(r["pushing"] for r in results) else "orderly"
    order = ", agents sorted by cell" if any(r["sorted_by_cell"] for r in results) else ""
    table = Table(title=f"aforo: room with door, 2 persons/m², {crowd} crowd{order}, dt 0.01 s")
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
        repeats = ", ".join(f"{w:.2f} s ({100 * o:.0f} %)"
                            for w, o in zip(r["wall_s_repeats"], r["others_cpu_share_repeats"]))
        console.print(
            f"{r['agents']:,} agents: room {r['room_side_m']} m square, {r['exits']} exit(s) of "
            f"{r['exit_width_total_m'] / r['exits']:g} m. Set-up: venue compile {r['compile_venue_s']:.1f} s "
            f"({r['nav_cells']:,} navigation cells), simulation and spawn {r['spawn_s']:.1f} s, first "
            f"advance (JIT compile or cache load) {r['first_advance_s']:.1f} s. Repeats (others' CPU): "
            f"{repeats}. Most sub-steps in one step {r['most_substeps_in_a_step']}; "
            f"{r['evacuated_during_timing']} agents left during the timed steps."
        )
        if "profile" not in r:
            continue
        p = r["profile"]
        prof = Table(title=f"stages, {r['agents']:,} agents, {p['steps']} steps (replay matches the "
                     f"compiled run: {p['matches_compiled_run']}; others' CPU {100 * p['others_cpu_share']:.0f} %)")
        for c in ("stage", "s", "ms/step", "share %"):
            prof.add_column(c, justify="left" if c == "stage" else "right")
        for name, secs in p["stages_s"].items():
            prof.add_row(name, f"{secs:.2f}", f"{1000 * secs / p['steps']:.2f}", f"{100 * p['share'][name]:.1f}")
        for name, secs in (("all stages", p["kernels_s"]), ("compiled advance (timed run)", r["wall_s"])):
            prof.add_row(name, f"{secs:.2f}", f"{1000 * secs / p['steps']:.2f}", "")
        console.print(prof)
        console.print(f"Stages include numba's dispatch cost of each kernel call from Python; the "
                      f"replay's own Python loops ({p['glue_s']:.2f} s) are left out.")


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
    parser.add_argument("--pushing", action="store_true",
                        help="a competitive crowd (no headway): more contact, more sub-steps")
    parser.add_argument("--sorted", action="store_true",
                        help="experiment: renumber agents in neighbour-cell order after spawning")
    parser.add_argument("--threads", type=int, default=None,
                        help="numba threads (default: numba's, i.e. NUMBA_NUM_THREADS or all cores)")
    args = parser.parse_args()

    results = []
    for n in args.agents:
        steps = args.steps or DEFAULT_STEPS.get(n, max(10, 10 * round(1e5 / n)))
        results.append(_run_in_child(n, steps, args.repeat, args.profile, args.threads, args.pushing,
                                    args.sorted))
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
