"""Run a scenario into a run directory.

    DIR/trajectories.parquet   one row per agent inside per frame (engine/trajectories.py)
    DIR/passages.parquet       every exit and door crossing: time, agent, line, direction
    DIR/doors.parquet          every door leaf per frame: angle, contact force, handle force needed
    DIR/casualties.parquet     every injury, loss of consciousness and death: who, when, where, why
    DIR/gas.parquet            tear-gas concentration of every air cell holding gas, every 5 s
    DIR/summary.json           headline numbers (written last: its presence means complete)
    DIR/scenario.resolved.toml the scenario with every default filled in
    DIR/provenance.json        aforo and library versions, seed, threads, input hash, timing

Every file is written under a ``.partial`` name and renamed into place only when complete, and
summary.json is renamed last, so an interrupted run never leaves a file that looks complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numba
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import aforo
from aforo.engine.metrics import DENSITY_DISC_AREA_M2, AreaMetrics, DoorMetrics, GasSnapshots, Metrics
from aforo.engine.simulation import Simulation
from aforo.engine.trajectories import TrajectoryWriter
from aforo.errors import RunDirectoryError
from aforo.scenario.model import Scenario
from aforo.scenario.serialize import dumps
from aforo.scenario.units import format_clock, parse_clock

PARTIAL = ".partial"
OUTPUT_FILES = ("trajectories.parquet", "passages.parquet", "doors.parquet", "casualties.parquet",
                "gas.parquet", "scenario.resolved.toml", "provenance.json", "summary.json")


@dataclass
class RunResult:
    directory: Path
    summary: dict
    simulation: Simulation


def prepare_directory(out_dir: Path, *, overwrite: bool) -> Path:
    """Create the run directory; refuse to overwrite a finished run unless asked."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise RunDirectoryError(f"{out_dir}: exists and is not a directory")
    if (out_dir / "summary.json").exists() and not overwrite:
        raise RunDirectoryError(
            f"{out_dir}: already holds a finished run (summary.json); choose another --out or pass --overwrite"
        )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunDirectoryError(f"{out_dir}: cannot create the run directory ({exc.strerror})") from exc
    for name in OUTPUT_FILES:  # an earlier run's files must not mix with this one's
        for path in (out_dir / name, out_dir / (name + PARTIAL)):
            path.unlink(missing_ok=True)
    return out_dir


def run_scenario(
    scenario: Scenario,
    out_dir: Path | str,
    *,
    scenario_text: str | None = None,
    overwrite: bool = False,
    progress=None,
    observers: tuple = (),
) -> RunResult:
    """Simulate ``scenario`` and write its run directory. Returns the summary and the simulation.

    ``progress`` is called with the simulated time after each frame; ``observers`` watch the run
    too (on_start / on_frame / on_finish with the Simulation, after the run directory's own).
    """
    out_dir = prepare_directory(Path(out_dir), overwrite=overwrite)
    started = time.time()
    sim = Simulation.from_scenario(scenario)
    compiled_s = time.time() - started
    writer = TrajectoryWriter(out_dir / ("trajectories.parquet" + PARTIAL))
    metrics, doors, areas, gas = Metrics(), DoorMetrics(), AreaMetrics(), GasSnapshots()
    try:
        sim.run(observers=(writer, metrics, doors, areas, gas, *observers), progress=progress)
    finally:
        writer.close()
    wall_s = time.time() - started
    summary = build_summary(sim, metrics)
    summary["door_leaves"] = doors.summary(sim)
    summary["areas"] = areas.summary()
    summary["harm"] = sim.harm.summary()
    summary["gas"] = {"snapshot_every_s": gas.every_s, "mass_books_mg": gas.books} if sim.air is not None and sim.air.field is not None else None
    summary["wall_time_s"] = round(wall_s, 3)
    _write_passages(sim, out_dir / ("passages.parquet" + PARTIAL))
    _write_doors(doors, out_dir / ("doors.parquet" + PARTIAL))
    _write_casualties(sim, out_dir / ("casualties.parquet" + PARTIAL))
    _write_gas(gas, out_dir / ("gas.parquet" + PARTIAL))
    _write_text(out_dir / "scenario.resolved.toml", dumps(scenario))
    _write_text(out_dir / "provenance.json", json.dumps(_provenance(scenario, scenario_text, compiled_s, wall_s, sim), indent=2))
    for name in ("trajectories.parquet", "passages.parquet", "doors.parquet", "casualties.parquet", "gas.parquet"):
        os.replace(out_dir / (name + PARTIAL), out_dir / name)
    _write_text(out_dir / "summary.json", json.dumps(summary, indent=2))
    return RunResult(out_dir, summary, sim)


def _write_text(path: Path, text: str) -> None:
    partial = path.with_name(path.name + PARTIAL)
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def _write_passages(sim: Simulation, path: Path) -> None:
    p = sim.passages
    table = pa.table(
        {
            "time_s": pa.array([x.time_s for x in p], pa.float64()),
            "agent": pa.array([x.agent for x in p], pa.int32()),
            "line": pa.array([x.line for x in p], pa.string()),
            "direction": pa.array([x.direction for x in p], pa.int8()),
        }
    )
    pq.write_table(table, path)


def _write_doors(doors: DoorMetrics, path: Path) -> None:
    columns = list(zip(*doors.rows)) if doors.rows else [[]] * 8
    table = pa.table(
        {
            "frame": pa.array(columns[0], pa.int32()),
            "time_s": pa.array(columns[1], pa.float64()),
            "door": pa.array(columns[2], pa.string()),
            "leaf": pa.array(columns[3], pa.int8()),
            "state": pa.array(columns[4], pa.string()),
            "angle_deg": pa.array(columns[5], pa.float32()),
            "contact_force_n": pa.array(columns[6], pa.float32()),
            "handle_force_needed_n": pa.array(columns[7], pa.float32()),
        }
    )
    pq.write_table(table, path)


CASUALTY_SCHEMA = pa.schema([
    ("agent", pa.int32()), ("population", pa.string()), ("state", pa.string()), ("cause", pa.string()),
    ("time_s", pa.float64()), ("x_m", pa.float64()), ("y_m", pa.float64()), ("space", pa.string()),
    ("area", pa.string()), ("peak_load_n", pa.float64()), ("peak_compression_n_per_m", pa.float64()),
    ("asphyxia_dose_s", pa.float64()),
])


def _write_casualties(sim: Simulation, path: Path) -> None:
    rows = sim.harm.casualties
    table = pa.table({f.name: pa.array([r[f.name] for r in rows], f.type) for f in CASUALTY_SCHEMA},
                     schema=CASUALTY_SCHEMA)
    pq.write_table(table, path)


def _write_gas(gas: GasSnapshots, path: Path) -> None:
    columns = list(zip(*gas.rows)) if gas.rows else [[]] * 5
    pq.write_table(pa.table({
        "time_s": pa.array(columns[0], pa.float64()),
        "space": pa.array(columns[1], pa.string()),
        "x_m": pa.array(columns[2], pa.float32()),
        "y_m": pa.array(columns[3], pa.float32()),
        "concentration_mg_m3": pa.array(columns[4], pa.float32()),
    }), path)


def steady_flow(times_s: np.ndarray) -> float | None:
    """Persons per second through a line in the steady part of the passage sequence.

    With n ≥ 10 passages, the 10th to the 90th percentile of the sorted passage times (transients
    at the start and the stragglers at the end dropped); otherwise (n − 1) / (last − first).
    """
    t = np.sort(np.asarray(times_s, dtype=float))
    n = t.size
    if n < 2:
        return None
    lo, hi = (int(0.1 * n), int(np.ceil(0.9 * n)) - 1) if n >= 10 else (0, n - 1)
    span = t[hi] - t[lo]
    return float((hi - lo) / span) if span > 0 else None


def build_summary(sim: Simulation, metrics: Metrics) -> dict:
    """The headline numbers of a finished simulation as a JSON-ready dict."""
    n = sim.state.count
    left = int(np.count_nonzero(~np.isnan(sim.exit_time_s)))
    everyone_out = left == n and n > 0
    outlets = []
    for k, outlet in enumerate(sim.venue.outlets):
        times = sim.exit_time_s[sim.exit_outlet == k]
        flow = steady_flow(times)
        outlets.append(
            {
                "name": outlet.name,
                "kind": "door" if outlet.door else "exit",
                "state": sim.venue.door_states.get(outlet.door, "open") if outlet.door else "open",
                "width_m": round(outlet.width, 4),
                "passages": int(times.size),
                "first_s": None if times.size == 0 else round(float(times.min()), 3),
                "last_s": None if times.size == 0 else round(float(times.max()), 3),
                "flow_per_s": None if flow is None else round(flow, 4),
                "specific_flow_per_m_s": None if flow is None else round(flow / outlet.width, 4),
            }
        )
    doors = []
    for door in sim.venue.interior_doors:
        crossing = [p for p in sim.passages if p.line == door.name]
        doors.append(
            {
                "name": door.name,
                "state": sim.venue.door_states[door.name],
                "width_m": round(door.clear_width, 4),
                "crossings_forward": sum(1 for p in crossing if p.direction > 0),
                "crossings_backward": sum(1 for p in crossing if p.direction < 0),
                "flow_per_s": steady_flow([p.time_s for p in crossing if p.direction > 0]),
            }
        )
    return {
        "scenario": sim.scenario.name,
        "aforo_version": aforo.__version__,
        "seed": sim.scenario.run.seed,
        "agents": n,
        "evacuated": left,
        "remaining": int(sim.active_count),
        "never_entered": int(n - left - sim.active_count),
        "simulated_time_s": round(sim.time_s, 6),
        "evacuation_time_s": round(float(np.nanmax(sim.exit_time_s)), 3) if everyone_out else None,
        "evacuated_over_time": {
            "time_s": [round(t, 4) for t in metrics.times_s],
            "evacuated": metrics.evacuated,
        },
        "outlets": outlets,
        "doors": doors,
        "peak_density": {**metrics.density.as_dict("per_m2"), "disc_area_m2": DENSITY_DISC_AREA_M2},
        "peak_compression": metrics.compression.as_dict("n_per_m"),
        "peak_contact_force": metrics.contact_force.as_dict("n"),
        "timeline": [
            {"time_s": round(t, 4), "clock": _clock(sim.scenario, t), "action": e.action,
             "door": e.door, "population": e.population, "to": e.to, "label": e.label}
            for t, e in sim.fired
        ],
        "diagnostics": asdict(sim.diagnostics),
        "messages": [asdict(m) for m in sim.messages[:1000]],
        "messages_total": len(sim.messages),
    }


def _clock(scenario: Scenario, time_s: float) -> str | None:
    """Wall-clock time of a simulated time, if the scenario has a start clock."""
    if scenario.clock_start is None:
        return None
    return format_clock(parse_clock(scenario.clock_start) + time_s)


def _provenance(scenario: Scenario, text: str | None, compiled_s: float, wall_s: float, sim: Simulation) -> dict:
    source = text if text is not None else dumps(scenario)
    return {
        "aforo_version": aforo.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "platform": platform.platform(),
        "threads": numba.get_num_threads(),
        "seed": scenario.run.seed,
        "scenario_sha256": hashlib.sha256(source.encode("utf-8")).hexdigest(),
        "resolved_scenario_sha256": hashlib.sha256(dumps(scenario).encode("utf-8")).hexdigest(),
        # data files the scenario reads: a rerun can check it read the same air
        "input_files_sha256": {s.file: hashlib.sha256(Path(s.file).read_bytes()).hexdigest()
                               for s in scenario.smoke if s.file is not None},
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - wall_s)),
        "setup_s": round(compiled_s, 3),
        "wall_time_s": round(wall_s, 3),
        "outer_steps": sim.diagnostics.outer_steps,
    }
