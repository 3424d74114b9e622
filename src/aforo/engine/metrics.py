"""Observers that keep the run's headline numbers: peaks and the evacuation curve."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from aforo.kernels.frames import active_peaks, box_area_frame
from aforo.kernels.density import local_density, local_density_serial

# Density is counted in a disc of 2 m² around each agent: large enough that one body more or
# less moves the value by 0.5 /m², small enough to see a jam at a 1 m door. Near walls the disc
# is partly outside walkable space, so wall-side densities read low.
DENSITY_DISC_AREA_M2 = 2.0
MIN_DENSITY_AREA_M2 = 0.5


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
            self._take(values, i, sim)

    def offer_among(self, values: np.ndarray, agents: np.ndarray, sim) -> None:
        """As :meth:`offer` for ``values`` ≥ 0 that are 0 outside ``agents`` (increasing indices)."""
        i = int(agents[np.argmax(values[agents])])
        if values[i] > self.value:
            self._take(values, i, sim)

    def _take(self, values: np.ndarray, i: int, sim) -> None:
        self._take_value(values[i], i, sim)

    def _take_value(self, value: float, i: int, sim) -> None:
        s = sim.state
        self.value = float(value)
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
    evacuated: list[int] = field(default_factory=list)  # left through a way out (not: not yet come in)
    last_density: np.ndarray | None = None

    def on_start(self, sim) -> None:
        pass

    def on_frame(self, sim) -> None:
        s = sim.state
        self.times_s.append(sim.time_s)
        self.inside.append(sim.active_count)
        self.evacuated.append(int(np.count_nonzero(np.isfinite(sim.exit_time_s))))
        self.last_density = frame_density(sim)
        self.density.offer(self.last_density, sim)
        # as offer(np.where(active, compression / contact force, 0.0)), in one compiled pass
        agent, compression, agent_f, force = active_peaks(s.active, s.contact_force, s.radius)
        if agent >= 0 and compression > self.compression.value:
            self.compression._take_value(compression, agent, sim)
        if agent_f >= 0 and force > self.contact_force.value:
            self.contact_force._take_value(force, agent_f, sim)

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
    count = local_density if sim.parallel else local_density_serial
    return count(s.pos_x, s.pos_y, s.space, s.active, radius, x0, y0, n_cx, n_cy)


@dataclass
class LeafPeak:
    """Largest values seen for one door leaf."""

    door: str
    leaf: int
    max_angle_deg: float = 0.0
    contact_force: Peak = field(default_factory=Peak)
    handle_force: Peak = field(default_factory=Peak)


class DoorMetrics:
    """Per frame and leaf: angle, contact force on it, and the handle force it would take to
    open it against its contacts (averages over the frame's contact sub-steps)."""

    def __init__(self):
        self.rows: list[tuple] = []  # (frame, time_s, door, leaf, state, angle_deg, force_n, handle_n)
        self.peaks: list[LeafPeak] = []
        self._frame = 0

    def on_start(self, sim) -> None:
        leaves = sim.venue.leaves
        counts: dict[str, int] = {}
        for name in leaves.door:
            self.peaks.append(LeafPeak(name, counts.get(name, 0)))
            counts[name] = counts.get(name, 0) + 1

    def on_frame(self, sim) -> None:
        leaves = sim.venue.leaves
        substeps = max(sim.substeps_this_frame, 1)
        force = leaves.force_sum / substeps
        handle = leaves.closing_sum / substeps / (0.9 * leaves.length)
        for l, peak in enumerate(self.peaks):
            angle = float(np.degrees(leaves.angle[l]))
            self.rows.append((self._frame, sim.time_s, peak.door, peak.leaf, sim.venue.door_states[peak.door],
                              angle, float(force[l]), float(handle[l])))
            peak.max_angle_deg = max(peak.max_angle_deg, angle)
            for target, value in ((peak.contact_force, force[l]), (peak.handle_force, handle[l])):
                if value > target.value:
                    target.value, target.time_s = float(value), sim.time_s
        self._frame += 1

    def on_finish(self, sim) -> None:
        pass

    def summary(self, sim) -> list[dict]:
        out = []
        for p in self.peaks:
            out.append({
                "door": p.door, "leaf": p.leaf, "final_state": sim.venue.door_states[p.door],
                "max_angle_deg": round(p.max_angle_deg, 2),
                "peak_contact_force_n": round(p.contact_force.value, 1),
                "peak_contact_force_time_s": _round_or_none(p.contact_force.time_s),
                "peak_handle_force_needed_n": round(p.handle_force.value, 1),
                "peak_handle_force_needed_time_s": _round_or_none(p.handle_force.time_s),
            })
        return out


class AreaMetrics:
    """Density (agents whose centre is inside / area) and largest compression in each named
    area, every frame; the summary keeps peaks and a once-per-second series. Density is not
    reported for areas under 0.5 m² (a post for one person): one body there reads 20 /m²."""

    def __init__(self, every_s: float = 1.0):
        self.every_s = every_s
        self.series: dict[str, dict[str, list]] = {}
        self.peaks: dict[str, dict[str, Peak]] = {}
        self._polygons = {}
        self._area_m2: dict[str, float] = {}
        self._boxes: dict[str, tuple | None] = {}  # bounds of areas that are upright rectangles
        self._box_names: list[str] | None = None  # set at the first frame
        self._box_index: set[str] = set()

    def on_start(self, sim) -> None:
        import shapely
        from shapely.geometry import Polygon

        for area in sim.scenario.areas:
            polygon = Polygon(area.polygon)
            shapely.prepare(polygon)
            self._polygons[area.name] = (sim.venue.space_index(area.space), polygon)
            self._area_m2[area.name] = polygon.area
            self._boxes[area.name] = polygon.bounds if polygon.equals(shapely.box(*polygon.bounds)) else None
            self.series[area.name] = {"time_s": [], "density_per_m2": [], "max_compression_n_per_m": []}
            self.peaks[area.name] = {"density": Peak(), "compression": Peak()}

    def on_frame(self, sim) -> None:
        # Every frame: the upright rectangles (every area of the Los Olivos accounts) are
        # counted in one compiled pass (kernels/areas.py); other polygons by shapely.
        s = sim.state
        record = not self.series or not next(iter(self.series.values()))["time_s"] or (
            sim.time_s - next(iter(self.series.values()))["time_s"][-1] >= self.every_s - 1e-9)
        if self._box_names is None:
            self._prepare_boxes()
        if self._box_names:
            counts, agents, worsts = box_area_frame(s.pos_x, s.pos_y, s.space, s.active, s.contact_force, s.radius,
                                                    *self._box_table)
            found = {name: (int(counts[k]), int(agents[k]), float(worsts[k]))
                     for k, name in enumerate(self._box_names)}
        all_compression = None
        in_space: dict[int, np.ndarray] = {}  # agents inside per space, shared by its areas
        for name, (space, polygon) in self._polygons.items():
            if name in self._box_index:
                count, worst_agent, worst = found[name]
            else:
                sel = in_space.get(space)
                if sel is None:
                    sel = in_space[space] = np.flatnonzero(s.active & (s.space == space))
                inside = sel[_inside(polygon, None, s.pos_x[sel], s.pos_y[sel])]
                count, worst_agent, worst = inside.size, -1, 0.0
                if inside.size:
                    if all_compression is None:
                        all_compression = s.compression
                    worst_agent = int(inside[np.argmax(all_compression[inside])])
                    worst = float(all_compression[worst_agent])
            density = count / self._area_m2[name]
            peaks = self.peaks[name]
            if density > peaks["density"].value:
                peaks["density"].value, peaks["density"].time_s = density, sim.time_s
            if count and worst > peaks["compression"].value:  # as Peak.offer_among
                if all_compression is None:
                    all_compression = s.compression
                peaks["compression"]._take(all_compression, worst_agent, sim)
            if record:
                series = self.series[name]
                series["time_s"].append(round(sim.time_s, 3))
                series["density_per_m2"].append(round(density, 3))
                series["max_compression_n_per_m"].append(round(worst, 1))

    def _prepare_boxes(self) -> None:
        """The areas that are upright rectangles, as the arrays box_area_frame takes."""
        self._box_names = [name for name, box in self._boxes.items() if box is not None]
        self._box_index = set(self._box_names)
        bounds = np.array([self._boxes[n] for n in self._box_names], dtype=np.float64).reshape(-1, 4)
        spaces = np.array([self._polygons[n][0] for n in self._box_names], dtype=np.int64)
        self._box_table = (spaces, *(np.ascontiguousarray(bounds[:, k]) for k in range(4)))

    def on_finish(self, sim) -> None:
        pass

    def summary(self) -> list[dict]:
        out = []
        for name in self.series:
            big = self._polygons[name][1].area >= MIN_DENSITY_AREA_M2
            peak = self.peaks[name]["density"]
            out.append({
                "area": name,
                "area_m2": round(self._polygons[name][1].area, 3),
                "peak_density_per_m2": round(peak.value, 3) if big else None,
                "peak_density_time_s": _round_or_none(peak.time_s) if big else None,
                "peak_compression": self.peaks[name]["compression"].as_dict("n_per_m"),
                "series": self.series[name] if big else {
                    k: v for k, v in self.series[name].items() if k != "density_per_m2"},
            })
        return out


def _inside(polygon, box: tuple | None, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Points strictly inside a polygon (as shapely.contains_xy), quicker for upright rectangles
    (every area of the Los Olivos accounts), whose interior is two open intervals."""
    import shapely

    if box is None:
        return shapely.contains_xy(polygon, x, y)
    x0, y0, x1, y1 = box
    return (x > x0) & (x < x1) & (y > y0) & (y < y1)


def _round_or_none(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 3)


class GasSnapshots:
    """Every ``every_s`` seconds, the concentration of every air cell holding gas (> 1 µg/m³),
    for gas.parquet; and the mass books (released, in the air, ventilated, leaked)."""

    THRESHOLD_MG_M3 = 1e-3

    def __init__(self, every_s: float = 5.0):
        self.every_s = every_s
        self.rows: list[tuple] = []  # (time_s, space, x_m, y_m, concentration_mg_m3)
        self.books: list[dict] = []
        self._next = 0.0

    def on_start(self, sim) -> None:
        pass

    def on_frame(self, sim) -> None:
        if sim.air is None or sim.air.field is None or sim.time_s + 1e-9 < self._next:
            return
        self._next = sim.time_s + self.every_s
        snap = sim.air.field.snapshot()
        keep = snap["concentration_mg_m3"] > self.THRESHOLD_MG_M3
        names = sim.venue.space_names
        for space, x, y, c in zip(snap["space"][keep], snap["x"][keep], snap["y"][keep],
                                  snap["concentration_mg_m3"][keep]):
            self.rows.append((sim.time_s, names[int(space)], float(x), float(y), float(c)))
        self.books.append({k: round(float(snap[k]), 6) for k in
                           ("total_mass_mg", "released_mg", "ventilated_mg", "leaked_mg")} | {"time_s": round(sim.time_s, 3)})

    def on_finish(self, sim) -> None:
        pass
