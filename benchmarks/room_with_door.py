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

``--profile`` then runs the same steps again with every kernel the compiled pipeline calls timed
inside compiled code (benchmarks/stage_clock.py) and prints each stage's share; the run must end
in the same state as the plain one (checked and printed).

Every result carries the machine's load average before it ran and the share of CPU time other
processes used while it ran: the machine is shared (benchmarks/machine.py).
"""

from __future__ import annotations

import argparse
import copy
import math
import multiprocessing
import os
import platform
import resource
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import fields, replace

import numpy as np

from machine import cpu_seconds, git_revision, machine_description, machine_load, others_share, write_results

DENSITY_PER_M2 = 2.0
EXIT_WIDTH_PER_1000_M = 1.2
DEFAULT_STEPS = {1_000: 1_000, 10_000: 300, 100_000: 100}
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
    """Share of active agents with a stiff contact (partner, wall or leaf) in the last step.

    The work arrays may be in the pipeline's (cell) order; only agents inside have contacts."""
    s = sim._scratch
    stiff = (s.n_stiff > 0) | (s.n_stiff_walls > 0) | (s.n_stiff_leaves > 0)
    return float(np.count_nonzero(stiff) / max(1, sim.active_count))


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
    for f in fields(sim._scratch):
        value = getattr(sim._scratch, f.name)
        arrays += list(value) if isinstance(value, tuple) else [value]
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
    load_before = machine_load()
    walls, others = [], []
    for _ in range(repeat):  # the same steps from the same state each time
        _restore(sim, start)
        before = cpu_seconds()
        wall, stiff = _timed_steps(sim, steps)
        after = cpu_seconds()
        walls.append(wall)
        others.append(others_share(before, after))
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
        "load_before": load_before,
        "load_after": machine_load(),
        "cell_ordered": sim.active_count >= _cell_order_threshold(),
        "event_buffer_bytes_per_agent": sum(a.nbytes for a in sim._events) / agents,
    }
    if profile:
        result["profile"] = profile_stages(sim, start, steps)
    return result


def _cell_order_threshold() -> int:
    from aforo.engine.simulation import CELL_ORDER_MIN_AGENTS

    return CELL_ORDER_MIN_AGENTS


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


def _snapshot(sim):
    return (sim.state.copy(), _copy_scratch(sim), copy.deepcopy(sim.venue.leaves), sim.step_index,
            sim.exit_time_s.copy(), replace(sim.diagnostics), len(sim.passages))


def _restore(sim, snapshot) -> None:
    state, scratch, leaves, step_index, exit_time_s, diagnostics, n_passages = snapshot
    for saved, live in ((state, sim.state), (scratch, sim._scratch), (leaves, sim.venue.leaves)):
        for f in fields(saved):
            value = getattr(saved, f.name)
            if isinstance(value, np.ndarray):
                np.copyto(getattr(live, f.name), value)
            elif isinstance(value, tuple):  # the lists kept between steps (made again at each call anyway)
                for saved_array, live_array in zip(value, getattr(live, f.name)):
                    np.copyto(live_array, saved_array)
    sim.step_index = step_index
    np.copyto(sim.exit_time_s, exit_time_s)
    sim.diagnostics = replace(diagnostics)
    del sim.passages[n_passages:]


def _copy_scratch(sim):
    return type(sim._scratch)(**{f.name: _copied(getattr(sim._scratch, f.name)) for f in fields(sim._scratch)})


def _copied(value):
    """A copy of a work array, or of each array of a tuple of them (the lists kept between steps)."""
    return tuple(a.copy() for a in value) if isinstance(value, tuple) else value.copy()


def profile_stages(sim, start, steps: int) -> dict:
    """Run the timed steps again with every kernel of the compiled pipeline timed (stage_clock).

    The profiled pipeline is compiled afresh (not cached), so the steps run twice: once to
    compile, once timed. Time outside the compiled pipeline (the engine's Python: copies into
    cell order, line events) is reported apart. The run must end where the plain run ended.
    """
    import aforo.engine.simulation as engine
    from stage_clock import STAGE_OF, ProfiledPipeline, kernel_seconds, stage_seconds

    name = "advance" if sim.parallel else "advance_serial"
    original = getattr(engine, name)
    profiled = ProfiledPipeline(original)
    end_x, end_y = sim.state.pos_x.copy(), sim.state.pos_y.copy()
    pipeline_s = [0.0]
    plain_pipeline = sim._pipeline

    def timed_pipeline(*args):
        began = time.perf_counter()
        try:
            return plain_pipeline(*args)
        finally:
            pipeline_s[0] += time.perf_counter() - began

    setattr(engine, name, profiled)
    sim._pipeline = timed_pipeline
    try:
        _restore(sim, start)
        _timed_steps(sim, steps)  # compiles the profiled copy
        _restore(sim, start)
        profiled.reset()
        pipeline_s[0] = 0.0
        before = cpu_seconds()
        wall, _ = _timed_steps(sim, steps)
        others = others_share(before, cpu_seconds())
    finally:
        setattr(engine, name, original)
        del sim._pipeline
    stages = stage_seconds(profiled, pipeline_s[0], STAGE_OF)
    stages["engine (Python around the pipeline)"] = wall - pipeline_s[0]
    order = list(dict.fromkeys(STAGE_OF.values())) + sorted(set(stages) - set(STAGE_OF.values()))
    stages = {k: stages[k] for k in order if k in stages}
    return {
        "steps": steps,
        "wall_s": wall,
        "pipeline_s": pipeline_s[0],
        "stages_s": stages,
        "share": {k: v / wall for k, v in stages.items()},
        "kernel_s": dict(sorted(kernel_seconds(profiled, pipeline_s[0]).items(), key=lambda kv: -kv[1])),
        "kernel_calls": {k: v for k, v in profiled.calls.items() if v},
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
               "sub-steps/step", "stiff %", "peak RSS MiB", "RSS B/agent", "state B/agent", "threads",
               "others' CPU %", "load")
    for c in columns:
        table.add_column(c, justify="right")
    for r in results:
        table.add_row(
            f"{r['agents']:,}", f"{r['steps']}", f"{r['compile_venue_s'] + r['spawn_s']:.1f}",
            f"{r['wall_s']:.2f}", f"{r['agent_steps_per_s']:.3g}", f"{r['sim_s_per_wall_s']:.3g}",
            f"{r['substeps_per_step']:.1f}", f"{100 * r['stiff_fraction_mean']:.1f}",
            f"{r['peak_rss_mib']:.0f}", f"{r['peak_rss_mib'] * 2**20 / r['agents']:.0f}",
            f"{r['state_bytes_per_agent']:.0f}", f"{r['threads']} {r['threading_layer']}",
            f"{100 * r['others_cpu_share']:.0f}", f"{r['load_before'][0]:.2f}",
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
        prof = Table(title=f"stages, {r['agents']:,} agents, {p['steps']} steps (profiled run ends as the plain "
                     f"run: {p['matches_compiled_run']}; others' CPU {100 * p['others_cpu_share']:.0f} %)")
        for c in ("stage", "s", "ms/step", "share %"):
            prof.add_column(c, justify="left" if c == "stage" else "right")
        for name, secs in p["stages_s"].items():
            prof.add_row(name, f"{secs:.3f}", f"{1000 * secs / p['steps']:.3f}", f"{100 * p['share'][name]:.1f}")
        prof.add_row("all (profiled run)", f"{p['wall_s']:.3f}", f"{1000 * p['wall_s'] / p['steps']:.3f}", "")
        console.print(prof)


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

    machine = {"platform": platform.platform(), **machine_description(), "aforo": git_revision()}
    write_results({"machine": machine, "results": results}, "room_with_door")


if __name__ == "__main__":
    main()
