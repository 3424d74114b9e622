"""Fundamental diagrams in the periodic corridor: speed and flow against density.

Measured as RiMEA test 4 asks (shared/reference/verification-suites.md): a crowd at each
density walks a corridor with joined ends (aforo.verify.periodic) for 60 s, the first 10 s are
dropped, and three 2 m × 2 m measuring areas on the corridor's centre line give the density
(classic N / A, per frame) and the speed (mean speed of the people inside). Each person's speed
is its displacement along the corridor over one second centred on the frame, so sideways
jostling does not count as walking. Flow is density × speed (specific flow, 1/(m·s)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aforo.scenario.model import Scenario
from aforo.verify.periodic import PeriodicCorridor, crowd_at_density
from aforo.verify.simulate import level_bounds

AREA_SIDE_M = 2.0
SPEED_WINDOW_S = 1.0
RECORD_EVERY_S = 0.1


@dataclass
class DiagramPoint:
    """One density of a fundamental diagram (means over the measured time and areas)."""

    target_density_per_m2: float  # the crowd placed: count / corridor area
    seed: int
    agents: int
    density_per_m2: float  # measured in the areas
    speed_m_per_s: float  # measured in the areas
    corridor_speed_m_per_s: float  # everyone's mean speed over the measured time
    most_substeps: int
    wall_time_s: float

    @property
    def flow_per_m_s(self) -> float:
        return self.density_per_m2 * self.speed_m_per_s

    def as_dict(self) -> dict:
        return {**self.__dict__, "flow_per_m_s": self.flow_per_m_s}


def measuring_areas(length_m: float, width_m: float, count: int = 3) -> list[tuple[float, float, float, float]]:
    """``count`` squares of 2 m on the centre line, evenly along the corridor: (x0, y0, x1, y1)."""
    y0 = width_m / 2 - AREA_SIDE_M / 2
    centres = [(k + 0.5) * length_m / count for k in range(count)]
    return [(c - AREA_SIDE_M / 2, y0, c + AREA_SIDE_M / 2, y0 + AREA_SIDE_M) for c in centres]


def measure_density(scenario: Scenario, density_per_m2: float, seed: int, *, duration_s: float,
                    dropped_s: float = 10.0, width_m: float | None = None,
                    areas: list | None = None) -> DiagramPoint:
    """Run the scenario's corridor (its first level, a rectangle along x) at one density."""
    import time

    started = time.perf_counter()
    x0, y0, x1, y1 = level_bounds(scenario.levels[0])
    length = x1 - x0
    width = (y1 - y0) if width_m is None else width_m
    crowd = crowd_at_density(scenario.populations[0], density_per_m2, length, width, seed)
    corridor = PeriodicCorridor(crowd, length, width, scenario.physics, scenario.run.time_step)
    every = max(1, int(round(RECORD_EVERY_S / scenario.run.time_step)))
    frames = int(round(duration_s / scenario.run.time_step)) // every
    xs, ys, travelled = [], [], []
    for _ in range(frames):
        for _ in range(every):
            corridor.step()
        xs.append(crowd.pos_x.copy())
        ys.append(crowd.pos_y.copy())
        travelled.append(crowd.travelled_x.copy())
    xs, ys, travelled = np.array(xs), np.array(ys), np.array(travelled)
    half = int(round(SPEED_WINDOW_S / RECORD_EVERY_S / 2))
    first = max(int(round(dropped_s / RECORD_EVERY_S)), half)
    areas = measuring_areas(length, width) if areas is None else areas
    densities, speeds = [], []
    for f in range(first, frames - half):
        v = (travelled[f + half] - travelled[f - half]) / (2 * half * RECORD_EVERY_S)
        for ax0, ay0, ax1, ay1 in areas:
            inside = (xs[f] >= ax0) & (xs[f] < ax1) & (ys[f] >= ay0) & (ys[f] < ay1)
            densities.append(inside.sum() / ((ax1 - ax0) * (ay1 - ay0)))
            if inside.any():
                speeds.append(v[inside].mean())
    measured_s = (frames - first) * RECORD_EVERY_S
    corridor_speed = float(((travelled[-1] - travelled[first]) / measured_s).mean()) if crowd.count else float("nan")
    return DiagramPoint(
        target_density_per_m2=density_per_m2, seed=seed, agents=crowd.count,
        density_per_m2=float(np.mean(densities)), speed_m_per_s=float(np.mean(speeds)) if speeds else float("nan"),
        corridor_speed_m_per_s=corridor_speed, most_substeps=corridor.most_substeps,
        wall_time_s=time.perf_counter() - started,
    )


def mean_by_density(points: list[DiagramPoint]) -> list[dict]:
    """Points averaged over seeds, per target density, in increasing density."""
    out = []
    for rho in sorted({p.target_density_per_m2 for p in points}):
        mine = [p for p in points if p.target_density_per_m2 == rho]
        out.append({
            "target_density_per_m2": rho,
            "density_per_m2": float(np.mean([p.density_per_m2 for p in mine])),
            "speed_m_per_s": float(np.mean([p.speed_m_per_s for p in mine])),
            "speed_sd_between_seeds_m_per_s": float(np.std([p.speed_m_per_s for p in mine])),
            "flow_per_m_s": float(np.mean([p.flow_per_m_s for p in mine])),
            "seeds": len(mine),
        })
    return out


def measure_single_file(scenario: Scenario, count: int, seed: int, *, duration_s: float,
                        dropped_s: float = 10.0) -> dict:
    """Single file (RiMEA 16): ``count`` people in the scenario's narrow corridor with joined
    ends; the line density is count / length and the speed everyone's mean over the measured
    time (the whole ring is the measuring line)."""
    import time

    from aforo.verify.periodic import crowd_of

    started = time.perf_counter()
    x0, y0, x1, y1 = level_bounds(scenario.levels[0])
    length, width = x1 - x0, y1 - y0
    crowd = crowd_of(scenario.populations[0], count, length, width, seed)
    corridor = PeriodicCorridor(crowd, length, width, scenario.physics, scenario.run.time_step)
    steps = int(round(duration_s / scenario.run.time_step))
    drop = int(round(dropped_s / scenario.run.time_step))
    start_x = None
    for k in range(steps):
        corridor.step()
        if k + 1 == drop:
            start_x = crowd.travelled_x.copy()
    speed = float(((crowd.travelled_x - start_x) / (duration_s - dropped_s)).mean())
    return {"count": count, "seed": seed, "line_density_per_m": count / length, "speed_m_per_s": speed,
            "most_substeps": corridor.most_substeps, "wall_time_s": time.perf_counter() - started}
