"""Harm, between frames: compression injury, asphyxia and falls from the bodies' loads.

Each frame the load on every agent is the mean of its contact force (Σ k·g over touching
bodies, walls and leaves) over the frame's steps. Averaging over the recording interval (0.1 s
by default) keeps the brief impacts of bodies bumping (tens of milliseconds at a few kN) from
counting as sustained compression; Helbing's criterion and the asphyxia dose
(:mod:`aforo.hazards.injury`) are meant for loads that last.

Unconscious and dead agents, and fallen ones until they get up, go limp: they stop walking and
are passive bodies that still press and are pressed (Cornes, Frank & Dorso 2017 model
unconscious pedestrians the same way: inanimate bodies others must dodge). A limp body held up
by the crowd's pressure stays upright; one that is not lies on the floor, where others step
over it and load it with their weight (:mod:`aforo.hazards.floor`).
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import Polygon

from aforo.hazards.floor import BodiesOnFloor, stood_on
from aforo.hazards.injury import (
    DEAD,
    INJURED,
    UNCONSCIOUS,
    CompressionInjury,
    FallModel,
)
from aforo.hazards.settings import HarmParameters
from aforo.kernels.social_force import P_MAX_DZ

STATE_NAMES = {INJURED: "injured", UNCONSCIOUS: "unconscious", DEAD: "dead"}
CAUSE_CS = "CS gas"
CAUSE_FIRE_GASES = "fire gases"


class Harm:
    """Injury states, falls and the casualty record of one simulation."""

    def __init__(self, sim, params: HarmParameters = HarmParameters()):
        self.sim = sim
        st = sim.state
        self.injury = CompressionInjury(st.count, params.compression, radius_m=st.radius if st.count else 0.3)
        self.falls = FallModel(st.count, np.random.default_rng((sim.scenario.run.seed, 0xFA11)), params.falls)
        self.floor = BodiesOnFloor(st.count, params.floor)
        self.casualties: list[dict] = []
        self.falls_total = 0
        self.peak_load_n = np.zeros(st.count)
        self._gas_seen: dict[str, np.ndarray] = {}
        self._areas = [(a.name, sim.venue.space_index(a.space), Polygon(a.polygon)) for a in sim.scenario.areas]

    def update(self, interval_s: float, steps: int) -> None:
        sim = self.sim
        st = sim.state
        load = np.where(st.active, st.load_sum / max(steps, 1), 0.0)
        st.load_sum[:] = 0.0
        np.maximum(self.peak_load_n, load, out=self.peak_load_n)
        if not sim.scenario.harm.enabled:  # [harm] enabled = false: bodies carry loads but are not hurt
            load[:] = 0.0
        for agent, state, cause in self.injury.update(interval_s, load, sim.time_s):
            self._record(agent, state, cause)
        if sim.air is not None:
            self._gas_casualties()
        down = self.injury.state >= UNCONSCIOUS
        if sim.air is not None:
            down = down | sim.air.exposure.incapacitated_fed  # FED ≥ 1: overcome by fire gases
        # nobody gets up from under someone standing on them
        covered = stood_on(st.pos_x, st.pos_y, st.radius, st.space, st.elevation, st.active, st.lying,
                           self.floor.time_lying_s, sim.venue.space_link, sim.params[P_MAX_DZ],
                           self.floor.params.footprint_factor)
        fell, _ = self.falls.update(interval_s, load, sim.time_s, cannot_rise=down | covered)
        self.falls_total += int(len(fell))
        st.limp[:] = self.falls.fallen | down
        if sim.scenario.harm.bodies_on_floor:
            self.floor.update(interval_s, load, st.mass, st.limp, sim.time_s)
            st.lying[:] = self.floor.lying & st.active

    def _gas_casualties(self) -> None:
        """Gas harm, recorded apart from the compression states: CS incapacitation and lethal
        doses, and incapacitation by fire gases (Purser's FED ≥ 1)."""
        ex = self.sim.air.exposure
        for flag, times, state, cause in (
                (ex.incapacitated_cs, ex.time_incapacitated_cs_s, "incapacitated", CAUSE_CS),
                (ex.lethal_cs, ex.time_lethal_cs_s, "lethal dose", CAUSE_CS),
                (ex.incapacitated_fed, ex.time_incapacitated_fed_s, "incapacitated", CAUSE_FIRE_GASES)):
            seen = self._gas_seen.setdefault(f"{state} ({cause})", np.zeros(flag.size, dtype=bool))
            for agent in np.flatnonzero(flag & ~seen):
                seen[agent] = True
                self._record(int(agent), state, cause, float(times[agent]))

    def _record(self, agent: int, state: int | str, cause: str, time_s: float | None = None) -> None:
        sim = self.sim
        st = sim.state
        inj = self.injury
        if time_s is None:
            time_s = {INJURED: inj.time_injured_s, UNCONSCIOUS: inj.time_unconscious_s, DEAD: inj.time_dead_s}[state][agent]
        space = int(st.space[agent])
        x, y = float(st.pos_x[agent]), float(st.pos_y[agent])
        self.casualties.append({
            "agent": int(agent),
            "population": sim.scenario.populations[int(st.population[agent])].name,
            "state": STATE_NAMES.get(state, state),
            "cause": cause,
            "time_s": float(time_s),
            "x_m": x,
            "y_m": y,
            "space": sim.venue.space_names[space],
            "area": self.area_of(space, x, y),
            "peak_load_n": float(self.peak_load_n[agent]),
            "peak_compression_n_per_m": float(self.peak_load_n[agent] / (2 * np.pi * st.radius[agent])),
            "asphyxia_dose_s": float(inj.dose_s[agent]),
        })

    def area_of(self, space: int, x: float, y: float) -> str | None:
        """The first named area holding the point, if any."""
        for name, s, polygon in self._areas:
            if s == space and shapely.contains_xy(polygon, x, y):
                return name
        return None

    @property
    def health(self) -> np.ndarray:
        """Per agent: 0 unharmed, 1 injured, 2 unconscious, 3 dead."""
        return self.injury.state

    def summary(self) -> dict:
        counts: dict[str, int] = {name: int(np.count_nonzero(self.injury.state == s)) for s, name in STATE_NAMES.items()}
        for key, seen in self._gas_seen.items():  # gas harm, reported apart
            counts[key] = int(seen.sum())
        by_place: dict[str, dict[str, int]] = {}
        worst = {name: s for s, name in STATE_NAMES.items()}
        for row in self.casualties:
            if row["state"] in worst and worst[row["state"]] < self.injury.state[row["agent"]]:
                continue  # each agent counted once, at its worst state, where it reached it
            place = row["area"] or row["space"]
            key = f"{row['state']} ({row['cause']})"
            by_place.setdefault(place, {}).setdefault(key, 0)
            by_place[place][key] += 1
        exposure = None
        if self.sim.air is not None:  # the worst doses anyone took (in the venue or before leaving it)
            ex = self.sim.air.exposure
            exposure = {"peak_fed": round(float(ex.fed.max(initial=0.0)), 4),
                        "peak_cs_dose_mg_min_m3": round(float(ex.cs_ct_mg_min_m3.max(initial=0.0)), 4)}
        lay_down = int(np.isfinite(self.floor.time_lying_s).sum())  # ever on the floor: stepped over, stood on
        return {"counts": counts, "falls": self.falls_total, "lay_on_floor": lay_down, "by_place": by_place,
                "first_death_s": _first(self.casualties, "dead"), "first_unconscious_s": _first(self.casualties, "unconscious"),
                "exposure": exposure}


def _first(rows: list[dict], state: str) -> float | None:
    times = [r["time_s"] for r in rows if r["state"] == state]
    return round(min(times), 3) if times else None
