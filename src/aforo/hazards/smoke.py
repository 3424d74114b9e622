"""Fire gases as an input layer: the air each agent breathes, from the scenario's ``[smoke.*]``.

aforo does not compute fire: concentrations of CO, CO2, O2, HCN, NO, NO2, other irritants and
the smoke's extinction coefficient come from a fire model or a hand calculation, either as
constant or piecewise-linear values over a region, or as grid snapshots in a Parquet file
(:mod:`aforo.scenario.smoke_file`). :class:`SmokeLayer` samples them at agents' positions in
the units :meth:`aforo.hazards.exposure.Exposure.update` takes, which computes Purser's FED
as FDS+Evac does.

Where entries overlap, the later one decides all the air at a point (quantities it does not
give are clean air there): a file for the building and a region laid over it for a test.
"""

from __future__ import annotations

import numpy as np
import shapely

from aforo.hazards.exposure import AMBIENT_O2_PERCENT
from aforo.scenario.model import Smoke
from aforo.scenario.smoke_file import FILE_QUANTITIES, SpaceGrid, read_smoke_file

# Model field → (keyword of Exposure.update, factor from the stored unit to that keyword's unit).
_FROM_MODEL = {
    "co": ("co_ppm", 1e6),
    "co2": ("co2_percent", 100.0),
    "o2": ("o2_percent", 100.0),
    "hcn": ("hcn_ppm", 1e6),
    "no": ("no_ppm", 1e6),
    "no2": ("no2_ppm", 1e6),
    "irritants": ("irritant_fld_per_min", 60.0),
    "extinction": ("extinction_per_m", 1.0),
}
# File column → keyword of Exposure.update (the columns carry the same units).
_FROM_FILE = {
    "co_ppm": "co_ppm", "co2_percent": "co2_percent", "o2_percent": "o2_percent", "hcn_ppm": "hcn_ppm",
    "no_ppm": "no_ppm", "no2_ppm": "no2_ppm", "irritants_per_min": "irritant_fld_per_min",
    "extinction_per_m": "extinction_per_m",
}
CLEAN_AIR = {"co_ppm": 0.0, "co2_percent": 0.0, "o2_percent": AMBIENT_O2_PERCENT, "hcn_ppm": 0.0, "no_ppm": 0.0,
             "no2_ppm": 0.0, "irritant_fld_per_min": 0.0, "extinction_per_m": 0.0}
assert set(_FROM_FILE) == set(FILE_QUANTITIES)


class _Region:
    """Values over time in a space (or a polygon of it)."""

    def __init__(self, smoke: Smoke, space_index: int):
        self.space = space_index
        self.polygon = None if smoke.polygon is None else shapely.Polygon(smoke.polygon)
        if self.polygon is not None:
            shapely.prepare(self.polygon)
        self.times = np.asarray(smoke.times, dtype=np.float64)
        self.series = {_FROM_MODEL[q][0]: np.asarray(getattr(smoke, q)) * _FROM_MODEL[q][1]
                       for q in _FROM_MODEL if getattr(smoke, q)}

    def apply(self, air: dict[str, np.ndarray], time_s: float, space, x, y) -> None:
        inside = space == self.space
        if self.polygon is not None and inside.any():
            inside[inside] = shapely.intersects_xy(self.polygon, x[inside], y[inside])
        if not inside.any():
            return
        for key, clean in CLEAN_AIR.items():
            series = self.series.get(key)
            if series is None:
                air[key][inside] = clean
            else:
                air[key][inside] = series[0] if series.size == 1 else np.interp(time_s, self.times, series)


class _Snapshots:
    """Grid snapshots of one file, per space."""

    def __init__(self, smoke: Smoke, space_index: dict[str, int]):
        snapshots = read_smoke_file(smoke.file, f"smoke.{smoke.name}")
        self.grids = [(space_index[name], grid) for name, grid in snapshots.grids.items()]

    def apply(self, air: dict[str, np.ndarray], time_s: float, space, x, y) -> None:
        for s, grid in self.grids:
            on = np.flatnonzero(space == s)
            if on.size == 0:
                continue
            ix = np.rint((x[on] - grid.x0_m) / grid.cell_m).astype(np.int64)
            iy = np.rint((y[on] - grid.y0_m) / grid.cell_m).astype(np.int64)
            ny, nx = grid.values.shape[2:]
            in_grid = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
            on, ix, iy = on[in_grid], ix[in_grid], iy[in_grid]
            values = _at_time(grid, time_s)[:, iy, ix]  # [quantity, agent]
            covered = ~np.all(np.isnan(values), axis=0)  # a point the file has
            on, values = on[covered], values[:, covered]
            for key, clean in CLEAN_AIR.items():
                air[key][on] = clean
            for q, column in enumerate(grid.quantities):
                air[_FROM_FILE[column]][on] = values[q]


def _at_time(grid: SpaceGrid, time_s: float) -> np.ndarray:
    """Snapshots linear in time; held before the first and after the last."""
    times = grid.times_s
    if time_s <= times[0]:
        return grid.values[0]
    if time_s >= times[-1]:
        return grid.values[-1]
    k = int(np.searchsorted(times, time_s)) - 1
    w = (time_s - times[k]) / (times[k + 1] - times[k])
    return (1.0 - w) * grid.values[k] + w * grid.values[k + 1]


class SmokeLayer:
    """The scenario's fire gases, sampled at agents' positions and times."""

    def __init__(self, entries: tuple[Smoke, ...], space_names: tuple[str, ...]):
        index = {name: i for i, name in enumerate(space_names)}
        self.sources = [_Snapshots(e, index) if e.file is not None else _Region(e, index[e.space]) for e in entries]

    def sample(self, time_s: float, space, x, y, inside) -> dict[str, np.ndarray]:
        """Keyword arguments for Exposure.update: one array per quantity, clean air where nothing
        is given and for agents not ``inside`` (gone, or not yet arrived)."""
        n = len(x)
        air = {key: np.full(n, clean) for key, clean in CLEAN_AIR.items()}
        space = np.where(inside, space, -1)
        for source in self.sources:
            source.apply(air, time_s, space, x, y)
        return air
