"""A finished run directory, read back, and measures computed from it (pure functions).

Everything here reads what :mod:`aforo.engine.rundir` wrote (docs/outputs.md) and nothing else,
so a report can be made again from the files alone, on another machine, years later.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from aforo.errors import RunDirectoryError
from aforo.scenario import load
from aforo.scenario.model import Scenario

REQUIRED_FILES = ("summary.json", "provenance.json", "scenario.resolved.toml", "trajectories.parquet",
                  "passages.parquet", "doors.parquet", "casualties.parquet")


@dataclass(frozen=True)
class Run:
    directory: Path
    summary: dict
    provenance: dict
    scenario: Scenario
    casualties: pa.Table
    doors: pa.Table
    passages: pa.Table

    @property
    def trajectories_path(self) -> Path:
        return self.directory / "trajectories.parquet"


def load_run(directory: str | Path) -> Run:
    """Read a run directory; a missing or unfinished one is a :class:`RunDirectoryError` saying why."""
    directory = Path(directory)
    if not directory.is_dir():
        raise RunDirectoryError(f"{directory}: no such directory (give the --out directory of `aforo run`)")
    missing = [name for name in REQUIRED_FILES if not (directory / name).is_file()]
    if missing:
        why = ("the run did not finish (summary.json is written last)" if "summary.json" in missing
               else "files are missing")
        raise RunDirectoryError(f"{directory}: not a complete run directory: {why}: {', '.join(missing)}")
    return Run(
        directory=directory,
        summary=json.loads((directory / "summary.json").read_text(encoding="utf-8")),
        provenance=json.loads((directory / "provenance.json").read_text(encoding="utf-8")),
        scenario=load(directory / "scenario.resolved.toml"),
        casualties=pq.read_table(directory / "casualties.parquet"),
        doors=pq.read_table(directory / "doors.parquet"),
        passages=pq.read_table(directory / "passages.parquet"),
    )


@dataclass(frozen=True)
class Occupancy:
    """Person-seconds spent per square metre of floor: where people were, and for how long."""

    space: str
    x_edges_m: np.ndarray
    y_edges_m: np.ndarray
    person_seconds_per_m2: np.ndarray  # [ny, nx]


def occupancy(run: Run, space: str, *, cell_m: float = 0.25) -> Occupancy:
    """Each trajectory row stands for one record interval of one person in its cell."""
    table = pq.read_table(run.trajectories_path, columns=["space", "x_m", "y_m"],
                          filters=[("space", "=", space)])
    x = table["x_m"].to_numpy().astype(np.float64)
    y = table["y_m"].to_numpy().astype(np.float64)
    xmin, ymin, xmax, ymax = _bounds(run.scenario, space)
    x_edges = np.arange(xmin, xmax + cell_m, cell_m)
    y_edges = np.arange(ymin, ymax + cell_m, cell_m)
    counts, _, _ = np.histogram2d(y, x, bins=(y_edges, x_edges))
    interval_s = run.scenario.run.record_interval
    return Occupancy(space, x_edges, y_edges, counts * interval_s / cell_m**2)


def _bounds(scenario: Scenario, space: str) -> tuple[float, float, float, float]:
    if space in {lv.name for lv in scenario.levels}:
        points = np.array([p for ring in scenario.level(space).walkable for p in ring])
    else:
        points = np.array(scenario.stair(space).footprint)
    return (*points.min(axis=0), *points.max(axis=0))


@dataclass(frozen=True)
class FrameSeries:
    """Per recorded frame: time, people inside, the highest compression, people down (limp)."""

    time_s: np.ndarray
    inside: np.ndarray
    max_compression_n_per_m: np.ndarray
    limp: np.ndarray


def frame_series(run: Run) -> FrameSeries:
    table = pq.read_table(run.trajectories_path, columns=["frame", "time_s", "compression_n_per_m", "limp"])
    if table.num_rows == 0:
        empty = np.zeros(0)
        return FrameSeries(empty, empty.astype(np.int64), empty, empty.astype(np.int64))
    table = table.append_column("limp_count", pc.cast(table["limp"], pa.int64()))
    grouped = table.group_by("frame").aggregate([("time_s", "max"), ("frame", "count"),
                                                 ("compression_n_per_m", "max"), ("limp_count", "sum")])
    grouped = grouped.sort_by("frame")
    return FrameSeries(
        time_s=grouped["time_s_max"].to_numpy(),
        inside=grouped["frame_count"].to_numpy(),
        max_compression_n_per_m=grouped["compression_n_per_m_max"].to_numpy().astype(np.float64),
        limp=grouped["limp_count_sum"].to_numpy(),
    )


def exposure_at_end(run: Run) -> dict[str, np.ndarray]:
    """Each agent's last recorded FED and CS dose (zeros for a run without gas or smoke)."""
    table = pq.read_table(run.trajectories_path, columns=["agent", "frame", "fed", "cs_dose_mg_min_m3"])
    if table.num_rows == 0:
        return {"fed": np.zeros(0), "cs_dose_mg_min_m3": np.zeros(0)}
    agent = table["agent"].to_numpy()
    order = np.lexsort((table["frame"].to_numpy(), agent))
    last = order[np.r_[agent[order][1:] != agent[order][:-1], True]]
    return {name: table[name].to_numpy()[last].astype(np.float64) for name in ("fed", "cs_dose_mg_min_m3")}
