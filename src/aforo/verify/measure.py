"""Measurements on runs: positions over time, crossing times, densities and speeds in areas.

Observers follow the engine's protocol (on_start / on_frame / on_finish with the Simulation) and
keep only what a case needs. Density in an area is the classic N / A of the agents inside and the
speed there the mean speed of those agents (Weidmann's and PedPy's classic method).
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import Polygon


class Positions:
    """Every agent's position, space and activity at every recorded frame (small crowds).

    After the run: ``time_s`` [frames], ``x``, ``y`` [frames, agents] (NaN once an agent has
    left or before it entered), ``space`` [frames, agents].
    """

    def __init__(self, every_frames: int = 1):
        self.every = max(1, int(every_frames))
        self._t, self._x, self._y, self._s = [], [], [], []
        self._frame = 0

    def on_start(self, sim) -> None:
        pass

    def on_frame(self, sim) -> None:
        if self._frame % self.every == 0:
            st = sim.state
            self._t.append(sim.time_s)
            self._x.append(np.where(st.active, st.pos_x, np.nan).astype(np.float32))
            self._y.append(np.where(st.active, st.pos_y, np.nan).astype(np.float32))
            self._s.append(st.space.astype(np.int16))
        self._frame += 1

    def on_finish(self, sim) -> None:
        self.time_s = np.array(self._t)
        self.x = np.array(self._x, dtype=np.float64)
        self.y = np.array(self._y, dtype=np.float64)
        self.space = np.array(self._s)


class AreaCounts:
    """Agents inside rectangles of one space, per frame: count and mean speed.

    ``areas`` maps a name to (space index, polygon ring). After the run: ``time_s`` and, per
    name, ``count[name]`` and ``speed[name]`` (mean |v| of those inside, NaN when empty).
    """

    def __init__(self, areas: dict[str, tuple[int, tuple]]):
        self.areas = {k: (s, Polygon(ring)) for k, (s, ring) in areas.items()}
        self.area_m2 = {k: p.area for k, (_, p) in self.areas.items()}
        self._t: list[float] = []
        self._n: dict[str, list[int]] = {k: [] for k in areas}
        self._v: dict[str, list[float]] = {k: [] for k in areas}

    def on_start(self, sim) -> None:
        pass

    def on_frame(self, sim) -> None:
        st = sim.state
        self._t.append(sim.time_s)
        speed = np.hypot(st.vel_x, st.vel_y)
        for name, (space, poly) in self.areas.items():
            sel = st.active & (st.space == space)
            inside = np.flatnonzero(sel)[shapely.contains_xy(poly, st.pos_x[sel], st.pos_y[sel])]
            self._n[name].append(int(inside.size))
            self._v[name].append(float(speed[inside].mean()) if inside.size else np.nan)

    def on_finish(self, sim) -> None:
        self.time_s = np.array(self._t)
        self.count = {k: np.array(v) for k, v in self._n.items()}
        self.speed = {k: np.array(v) for k, v in self._v.items()}

    def density(self, name: str) -> np.ndarray:
        return self.count[name] / self.area_m2[name]


def running_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Mean over each run of ``window`` consecutive values (length n − window + 1)."""
    v = np.asarray(values, dtype=float)
    if v.size < window:
        return np.array([v.mean()]) if v.size else np.zeros(0)
    c = np.cumsum(np.insert(v, 0, 0.0))
    return (c[window:] - c[:-window]) / window


def crossing_times(time_s: np.ndarray, coord: np.ndarray, level: float) -> np.ndarray:
    """Per agent, the first time its coordinate (x or y, [frames, agents]) rises through
    ``level``, interpolated linearly between frames; NaN if it never does."""
    t = np.asarray(time_s, dtype=float)
    c = np.asarray(coord, dtype=float)
    out = np.full(c.shape[1], np.nan)
    before, after = c[:-1], c[1:]
    crossed = (before < level) & (after >= level)
    for a in range(c.shape[1]):
        frames = np.flatnonzero(crossed[:, a])
        if frames.size:
            f = frames[0]
            x0, x1 = before[f, a], after[f, a]
            out[a] = t[f] + (t[f + 1] - t[f]) * (level - x0) / (x1 - x0)
    return out


def falling_crossing_times(time_s: np.ndarray, coord: np.ndarray, level: float) -> np.ndarray:
    """As :func:`crossing_times` for a coordinate falling through ``level``."""
    return crossing_times(time_s, -np.asarray(coord, dtype=float), -level)


def displacement_times(time_s: np.ndarray, x: np.ndarray, y: np.ndarray, distance_m: float) -> np.ndarray:
    """Per agent, when it first gets ``distance_m`` from where it was at the first frame
    (interpolated between frames); NaN if never."""
    return crossing_times(time_s, np.hypot(x - x[0], y - y[0]), distance_m)


def time_to_cover(distance_m: float, desired_speed_m_per_s: float, relaxation_time_s: float) -> float:
    """Time a walker starting from rest needs to cover a distance on a straight free path, under
    the driving term alone: x(t) = v0 (t − τ (1 − exp(−t/τ)))."""
    v0, tau = desired_speed_m_per_s, relaxation_time_s

    def covered(t):
        return v0 * (t - tau * (1.0 - np.exp(-t / tau)))

    lo, hi = 0.0, distance_m / v0 + 10.0 * tau
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if covered(mid) < distance_m else (lo, mid)
    return 0.5 * (lo + hi)
