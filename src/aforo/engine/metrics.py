"""Observers that keep the run's headline numbers: peaks and the evacuation curve."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from aforo.kernels.density import local_density

# Density is counted in a disc of 2 m² around each agent: large enough that one body more or
# less moves the value by 0.5 /m², small enough to see a jam at a 1 m door. Near walls the disc
# is partly outside walkable space, so wall-side densities read low.
DENSITY_DISC_AREA_M2 = 2.0


@dataclass
class Peak:
    """The largest value of a per-agent quantity seen at a recorded frame, and where."""

    value: float = 0.0
    agent: int = -1
    time_s: float = float("nan")
    x_m: float = float("nan")
    y_m: float = float("nan")
    space: str = ""

    def offer(self, values: np.ndarray, sim) -> None:
        if values.size == 0:
            return
        i = int(np.argmax(values))
        if values[i] > self.value:
            s = sim.state
            self.value = float(values[i])
            self.agent = i
            self.time_s = sim.time_s
            self.x_m = float(s.pos_x[i])
            self.y_m = float(s.pos_y[i])
            self.space = sim.venue.space_names[int(s.space[i])]

    def as_dict(self, unit: str) -> dict:
        return {
            f"value_{unit}": round(self.value, 4),
            "agent": self.agent,
            "time_s": None if math.isnan(self.time_s) else round(self.time_s, 4),
            "x_m": None if math.isnan(self.x_m) else round(self.x_m, 4),
            "y_m": None if math.isnan(self.y_m) else round(self.y_m, 4),
            "space": self.space,
        }


@dataclass
class Metrics:
    """Peak density, compression and contact force, and agents inside over time."""

    density: Peak = field(default_factory=Peak)
    compression: Peak = field(default_factory=Peak)
    contact_force: Peak = field(default_factory=Peak)
    times_s: list[float] = field(default_factory=list)
    inside: list[int] = field(default_factory=list)
    last_density: np.ndarray | None = None

    def on_start(self, sim) -> None:
        pass

    def on_frame(self, sim) -> None:
        s = sim.state
        self.times_s.append(sim.time_s)
        self.inside.append(sim.active_count)
        self.last_density = frame_density(sim)
        self.density.offer(self.last_density, sim)
        active = s.active
        self.compression.offer(np.where(active, s.compression, 0.0), sim)
        self.contact_force.offer(np.where(active, s.contact_force, 0.0), sim)

    def on_finish(self, sim) -> None:
        pass


def frame_density(sim) -> np.ndarray:
    """Local density (1/m²) of every agent at the current frame (0 for those who left)."""
    radius = math.sqrt(DENSITY_DISC_AREA_M2 / math.pi)
    x0, y0, x1, y1 = sim.venue.bounds
    x0, y0 = x0 - radius, y0 - radius
    n_cx = int(math.ceil((x1 - x0) / radius)) + 2
    n_cy = int(math.ceil((y1 - y0) / radius)) + 2
    s = sim.state
    return local_density(s.pos_x, s.pos_y, s.space, s.active, radius, x0, y0, n_cx, n_cy)
