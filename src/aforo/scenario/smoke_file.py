"""Fire-gas snapshots from a file: the ``file`` of a ``[smoke.<name>]`` entry.

A fire model (FDS, CFAST's zones, a hand calculation) gives the air; aforo only reads it. The
file is Parquet, one row per grid point and time, long ("tidy") format:

    time_s      float   s after the start of the run
    space       string  the level or stair the point lies on
    x_m, y_m    float   the point (a cell centre of a regular grid of square cells)
    co_ppm, co2_percent, o2_percent, hcn_ppm, no_ppm, no2_ppm,
    irritants_per_min, extinction_per_m
                float   any of these, at least one; a quantity left out is clean air

Each space's points lie on one regular lattice (the same spacing in x and y, the smallest gap
between distinct coordinates); an agent reads the point of the cell it stands in, and between
two snapshot times the values are linear in time (held before the first and after the last).
An agent on a space or a cell the file does not cover breathes what the earlier entries give
(clean air if none).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aforo.errors import Problem

# Column → the unit written in its name; the same units aforo.hazards.exposure takes.
FILE_QUANTITIES = ("co_ppm", "co2_percent", "o2_percent", "hcn_ppm", "no_ppm", "no2_ppm", "irritants_per_min",
                   "extinction_per_m")
KEY_COLUMNS = ("time_s", "space", "x_m", "y_m")
_LATTICE_TOLERANCE = 1e-6  # m: coordinates off the lattice by more than this are an error


@dataclass(frozen=True)
class SpaceGrid:
    """One space's snapshots: ``values[t, q, iy, ix]`` (NaN where the file has no point)."""

    x0_m: float
    y0_m: float
    cell_m: float
    times_s: np.ndarray  # increasing
    quantities: tuple[str, ...]
    values: np.ndarray


@dataclass(frozen=True)
class SmokeFile:
    path: str
    grids: dict[str, SpaceGrid]


class SmokeFileError(Exception):
    """The file cannot be used; ``problems`` say why, at ``path`` (the scenario path of the entry)."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def read_smoke_file(file: str, path: str) -> SmokeFile:
    """Read and check a snapshot file; every problem is raised at once as :class:`SmokeFileError`."""
    import pyarrow.parquet as pq

    where = f"{path}.file"
    if not Path(file).is_file():
        raise SmokeFileError([Problem(where, f"file {file!r} not found",
                                      "give the path relative to the scenario file that names it")])
    try:
        table = pq.read_table(file)
    except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
        raise SmokeFileError([Problem(where, f"cannot read {file!r} as Parquet: {exc}",
                                      "write the snapshots with pyarrow or pandas .to_parquet()")]) from None
    columns = set(table.column_names)
    problems = [Problem(where, f"column '{c}' is missing", "columns: " + ", ".join(KEY_COLUMNS) + " and any of "
                        + ", ".join(FILE_QUANTITIES)) for c in KEY_COLUMNS if c not in columns]
    quantities = tuple(q for q in FILE_QUANTITIES if q in columns)
    if not quantities:
        problems.append(Problem(where, "no quantity column", "give at least one of " + ", ".join(FILE_QUANTITIES)))
    unknown = sorted(columns - set(KEY_COLUMNS) - set(FILE_QUANTITIES))
    if unknown:
        problems.append(Problem(where, f"unknown columns {unknown}", "known: " + ", ".join(FILE_QUANTITIES)))
    if problems:
        raise SmokeFileError(problems)
    data = table.to_pydict()
    spaces = np.asarray(data["space"], dtype=object)
    numbers = {c: np.asarray(data[c], dtype=np.float64) for c in ("time_s", "x_m", "y_m", *quantities)}
    for c, column in numbers.items():
        bad = np.flatnonzero(~np.isfinite(column))
        if bad.size:
            problems.append(Problem(where, f"column '{c}' has {bad.size} values that are not finite numbers "
                                    f"(first at row {bad[0]})", "every value must be a finite number"))
        elif c in quantities and np.any(column < 0):
            problems.append(Problem(where, f"column '{c}' has negative values (first at row "
                                    f"{np.flatnonzero(column < 0)[0]})", "concentrations are ≥ 0"))
    if problems:
        raise SmokeFileError(problems)
    grids = {}
    for space in sorted({str(s) for s in spaces}):
        rows = spaces == space
        grids[space] = _grid(where, space, {c: v[rows] for c, v in numbers.items()}, quantities, problems)
    if problems:
        raise SmokeFileError(problems)
    return SmokeFile(path=file, grids=grids)


def _grid(where: str, space: str, cols: dict[str, np.ndarray], quantities: tuple[str, ...],
          problems: list[Problem]) -> SpaceGrid | None:
    x, y, t = cols["x_m"], cols["y_m"], cols["time_s"]
    gaps = np.concatenate([np.diff(np.unique(x)), np.diff(np.unique(y))])
    cell = float(gaps.min()) if gaps.size else 1.0
    x0, y0 = float(x.min()), float(y.min())
    ix = np.rint((x - x0) / cell)
    iy = np.rint((y - y0) / cell)
    off = np.abs(x0 + ix * cell - x) + np.abs(y0 + iy * cell - y)
    if np.any(off > _LATTICE_TOLERANCE):
        problems.append(Problem(where, f"the points of space '{space}' are not on one square grid (spacing "
                                f"{cell:g} m)", "give cell centres of a regular grid, as FDS slices are"))
        return None
    times = np.unique(t)
    it = np.searchsorted(times, t)
    ix, iy = ix.astype(np.int64), iy.astype(np.int64)
    values = np.full((times.size, len(quantities), int(iy.max()) + 1, int(ix.max()) + 1), np.nan)
    cell_key = (it * values.shape[2] + iy) * values.shape[3] + ix
    if np.unique(cell_key).size != cell_key.size:
        problems.append(Problem(where, f"space '{space}' has the same point twice at one time",
                                "one row per point and time"))
        return None
    for q, name in enumerate(quantities):
        values[it, q, iy, ix] = cols[name]
    return SpaceGrid(x0_m=x0, y0_m=y0, cell_m=cell, times_s=times, quantities=quantities, values=values)
