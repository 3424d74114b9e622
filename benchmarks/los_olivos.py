"""Wall time of a whole Los Olivos night, and where it goes (measured and printed, never asserted).

    python benchmarks/los_olivos.py                    # the prosecution account, as `aforo run`
    python benchmarks/los_olivos.py --profile          # and a second run, timed stage by stage
    python benchmarks/los_olivos.py scenarios/los-olivos/witnesses.toml
    python benchmarks/los_olivos.py --baseline /tmp/old/src --repeat 2   # A/B against other code

Issue #6 asks for the prosecution account (132 agents, 2 700 s simulated, contact physics) in
≤ 10 s of wall time on 2 cores. A run here is what ``aforo run`` does (``run_scenario``: every
observer, every output file), in a temporary directory, after one untimed warm-up run of 1 s
of the same scenario (numba compile or cache load). The time reported is ``run_scenario``'s
from the start of the simulation to the end of the outputs, with set-up (venue compile, spawn)
apart.

``--profile`` runs it a second time with the step pipeline's kernels timed inside compiled code
(benchmarks/stage_clock.py) and the per-frame Python work (behaviour, air, harm, each observer)
timed from Python, and checks that the profiled run ended in the same state as the plain one.
``--baseline SRC`` times another version of aforo (SRC: the ``src`` folder of another checkout,
e.g. ``git worktree add /tmp/old <commit>``) against this one, alternating fresh processes;
on a shared machine only such interleaved comparisons are trustworthy.

Results are printed and written as JSON to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import hashlib
import json
import os
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path


from machine import cpu_seconds, git_revision, machine_load, others_share, write_results  # noqa: I001  (benchmarks/)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SCENARIO = REPO / "scenarios" / "los-olivos" / "prosecution.toml"


def run_once(scenario, out_dir: Path):
    from aforo.engine.rundir import run_scenario

    started = time.perf_counter()
    result = run_scenario(scenario, out_dir, overwrite=True)
    return result, time.perf_counter() - started


def outcome(result) -> dict:
    """What a change to the engine must not move (beyond stated tolerances): harm and timing."""
    sim, summary = result.simulation, result.summary
    state = sim.state
    digest = hashlib.sha256(state.pos_x.tobytes() + state.pos_y.tobytes() + state.vel_x.tobytes()).hexdigest()
    return {
        "casualties": summary["harm"]["counts"],
        "falls": summary["harm"]["falls"],
        "first_death_s": summary["harm"]["first_death_s"],
        "evacuated": summary["evacuated"],
        "evacuation_time_s": summary["evacuation_time_s"],
        "peak_compression_n_per_m": summary["peak_compression"]["value_n_per_m"],
        "substeps": sim.diagnostics.substeps,
        "final_state_sha256": digest[:16],
    }


class PythonClock:
    """Wall time of the engine's per-frame Python methods, patched on their classes."""

    def __init__(self):
        from aforo.engine.air import Air
        from aforo.engine.behaviour import Behaviour
        from aforo.engine.harm import Harm
        from aforo.engine.metrics import AreaMetrics, DoorMetrics, GasSnapshots, Metrics
        from aforo.engine.simulation import Simulation
        from aforo.engine.trajectories import TrajectoryWriter

        self.seconds: dict[str, float] = defaultdict(float)
        self._patched = []
        targets = [(Behaviour, "update", "behaviour"), (Air, "update", "air"), (Harm, "update", "harm"),
                   (Simulation, "_digest_events", "engine: line events"),
                   (Simulation, "_digest_status", "engine: status flags"),
                   (Simulation, "_fire_due_events", "engine: timeline")]
        targets += [(cls, "on_frame", f"observer: {cls.__name__}")
                    for cls in (TrajectoryWriter, Metrics, DoorMetrics, AreaMetrics, GasSnapshots)]
        for cls, method, label in targets:
            original = getattr(cls, method)
            self._patched.append((cls, method, original))
            setattr(cls, method, self._timed(original, label))

    def _timed(self, method, label):
        seconds = self.seconds

        @functools.wraps(method)
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                seconds[label] += time.perf_counter() - start
        return timed

    def restore(self) -> None:
        for cls, method, original in self._patched:
            setattr(cls, method, original)


def profiled_run(scenario, out_dir: Path) -> dict:
    """One more run with the pipeline's kernels and the per-frame Python work timed."""
    import aforo.engine.simulation as engine
    from stage_clock import STAGE_OF, ProfiledPipeline, kernel_seconds, stage_seconds

    pipelines = {name: getattr(engine, name) for name in ("advance", "advance_serial")}
    profiled = {name: ProfiledPipeline(p) for name, p in pipelines.items()}
    pipeline_s = defaultdict(float)

    def wall_timed(name, call):
        def run(*args):
            start = time.perf_counter()
            try:
                return call(*args)
            finally:
                pipeline_s[name] += time.perf_counter() - start
        return run

    # warm up the profiled copies (they are compiled afresh, not cached)
    warm = dataclasses.replace(scenario, run=dataclasses.replace(scenario.run, duration=scenario.run.record_interval))
    for name in profiled:
        setattr(engine, name, profiled[name])
    try:
        run_once(warm, out_dir)
        for p in profiled.values():
            p.reset()
        for name in profiled:
            setattr(engine, name, wall_timed(name, profiled[name]))
        clock = PythonClock()
        try:
            before = cpu_seconds()
            result, wall_s = run_once(scenario, out_dir)
            others = others_share(before, cpu_seconds())
        finally:
            clock.restore()
    finally:
        for name, original in pipelines.items():
            setattr(engine, name, original)
    stages: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    per_kernel: dict[str, float] = defaultdict(float)
    for name, p in profiled.items():
        for kernel, seconds in kernel_seconds(p, pipeline_s[name]).items():
            per_kernel[kernel] += seconds
        for stage, seconds in stage_seconds(p, pipeline_s[name], STAGE_OF).items():
            stages[stage] += seconds
        for kernel, count in p.calls.items():
            calls[kernel] += count
    python = dict(clock.seconds)
    compiled_s = sum(pipeline_s.values())
    python["other Python (run loop, progress, outputs)"] = wall_s - compiled_s - sum(python.values())
    return {
        "wall_s": wall_s,
        "compiled_pipeline_s": compiled_s,
        "pipeline_s": dict(pipeline_s),
        "stages_s": dict(sorted(stages.items(), key=lambda kv: -kv[1])),
        "python_s": dict(sorted(python.items(), key=lambda kv: -kv[1])),
        "kernel_s": dict(sorted(per_kernel.items(), key=lambda kv: -kv[1])),
        "kernel_calls": {k: v for k, v in calls.items() if v},
        "outcome": outcome(result),
        "others_cpu_share": others,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", type=Path, default=DEFAULT_SCENARIO)
    parser.add_argument("--profile", action="store_true", help="also run once with every stage timed")
    parser.add_argument("--repeat", type=int, default=1, help="plain runs (the best is reported)")
    parser.add_argument("--contact-stability", type=float, default=None,
                        help="experiment: override physics.contact_stability (sub-step × contact rate)")
    parser.add_argument("--baseline", type=Path, default=None, metavar="SRC",
                        help="A/B: alternate plain runs of the aforo package under SRC (another checkout's "
                             "src/) and of this one, each in a fresh process, --repeat times")
    parser.add_argument("--json", type=Path, default=None, help=argparse.SUPPRESS)  # where a child reports
    args = parser.parse_args()
    if args.baseline is not None:
        return compare_with_baseline(args)

    import numba
    from aforo.scenario import load

    scenario = load(args.scenario)
    if args.contact_stability is not None:
        physics = dataclasses.replace(scenario.physics, contact_stability=args.contact_stability)
        scenario = dataclasses.replace(scenario, physics=physics)
    warm = dataclasses.replace(scenario, run=dataclasses.replace(scenario.run, duration=1.0))
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = Path(tmp) / "run"
        run_once(warm, out_dir)  # compile or load the kernels
        runs = []
        for _ in range(args.repeat):
            load_before = machine_load()
            before = cpu_seconds()
            result, wall_s = run_once(scenario, out_dir)
            runs.append({
                "wall_s": wall_s,
                "run_scenario_wall_time_s": result.summary["wall_time_s"],
                "others_cpu_share": others_share(before, cpu_seconds()),
                "load_before": load_before,
                "load_after": machine_load(),
                "outcome": outcome(result),
            })
        profile = profiled_run(scenario, out_dir) if args.profile else None

    best = min(runs, key=lambda r: r["wall_s"])
    report = {
        "scenario": str(args.scenario.relative_to(REPO) if args.scenario.is_relative_to(REPO) else args.scenario),
        "agents": result.simulation.state.count,
        "simulated_s": result.simulation.time_s,
        "threads": numba.get_num_threads(),
        "contact_stability": scenario.physics.contact_stability,
        "runs": runs,
        "best": best,
        "profile": profile,
        "revision": git_revision(),
        "utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if args.json is not None:
        args.json.write_text(json.dumps(report))
        return
    print_report(report)
    write_results(report, "los_olivos")


def compare_with_baseline(args) -> None:
    """Baseline and current code run alternately (B, A, B, A, ...), so that a change in what the
    machine is doing falls on both; each run in a fresh process after its own warm-up run."""
    import subprocess
    import sys

    sides = {"baseline": str(args.baseline.resolve()), "current": str(REPO / "src")}
    reports: dict[str, list[dict]] = {side: [] for side in sides}
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.repeat):
            for side, src in sides.items():
                out = Path(tmp) / f"{side}-{k}.json"
                command = [sys.executable, __file__, str(args.scenario), "--json", str(out)]
                if args.contact_stability is not None:
                    command += ["--contact-stability", str(args.contact_stability)]
                subprocess.run(command, check=True, env={**os.environ, "PYTHONPATH": src})
                reports[side].append(json.loads(out.read_text()))
                run = reports[side][-1]["best"]
                print(f"{side:8s} run {k + 1}: {run['wall_s']:.2f} s (load {run['load_before'][0]:.2f}, others' CPU "
                      f"{100 * run['others_cpu_share']:.0f} %), {run['outcome']['casualties']}", flush=True)
    best = {side: min(r["best"]["wall_s"] for r in runs) for side, runs in reports.items()}
    print(f"best: baseline {best['baseline']:.2f} s, current {best['current']:.2f} s: "
          f"{best['baseline'] / best['current']:.2f} × faster")
    write_results({"baseline_src": sides["baseline"], "runs": reports, "best_s": best}, "los_olivos-ab")


def print_report(report: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=140)
    table = Table(title=f"{report['scenario']}: {report['agents']} agents, {report['simulated_s']:.0f} s simulated, "
                        f"contact stability {report['contact_stability']:g}, {report['threads']} threads, "
                        f"{report['revision']}")
    for c in ("run", "wall s", "sim s / wall s", "others' CPU %", "load (1 min) before → after", "casualties",
              "sub-steps", "final state"):
        table.add_column(c, justify="right")
    for k, r in enumerate(report["runs"]):
        o = r["outcome"]
        table.add_row(str(k + 1), f"{r['wall_s']:.2f}", f"{report['simulated_s'] / r['wall_s']:.0f}",
                      f"{100 * r['others_cpu_share']:.0f}", f"{r['load_before'][0]:.2f} → {r['load_after'][0]:.2f}",
                      ", ".join(f"{v} {k}" for k, v in o["casualties"].items() if v), f"{o['substeps']:,}",
                      o["final_state_sha256"])
    console.print(table)
    p = report["profile"]
    if p is None:
        return
    same = p["outcome"] == report["runs"][0]["outcome"]
    prof = Table(title=f"where the time goes (profiled run: {p['wall_s']:.2f} s wall, others' CPU "
                       f"{100 * p['others_cpu_share']:.0f} %; same outcome as the plain run: {same})")
    for c in ("part", "s", "share %"):
        prof.add_column(c, justify="left" if c == "part" else "right")
    for name, seconds in p["stages_s"].items():
        prof.add_row(f"step: {name}", f"{seconds:.2f}", f"{100 * seconds / p['wall_s']:.1f}")
    for name, seconds in p["python_s"].items():
        prof.add_row(name, f"{seconds:.2f}", f"{100 * seconds / p['wall_s']:.1f}")
    console.print(prof)


if __name__ == "__main__":
    main()
