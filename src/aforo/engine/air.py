"""Tear gas in the engine: canisters release CS into the air, people breathe it.

Each recorded frame (0.1 s by default):

1. canisters that are burning release mass × frame / duration at their position;
2. the gas field (:mod:`aforo.hazards.gas`) diffuses and ventilates for the frame; stair edges
   are always open to the air, an interior door only while it is open (or broken), and open
   ways out leak gas to the outside air;
3. every agent inside breathes the concentration of its cell (its head is over its centre) and
   :class:`aforo.hazards.exposure.Exposure` keeps its dose and effects;
4. effects act on the body: with eyes closed (above the irritation level for the onset time)
   an agent's desired speed drops to the blindfolded walking speed.

5. people avoid the gas: every 5 s the navigation fields are recomputed with each raster cell's
   walking cost multiplied by 1 + 4·min(C / C_irritation, 1), so routes bend round irritating
   air where another way exists (an assumption: no law for how strongly people avoid CS is in
   our sources; the factor is a module constant to vary).

Fire gases and smoke are an input (``[smoke.*]``, :mod:`aforo.hazards.smoke`): each frame every
agent breathes the values at its position, which feed Purser's FED and slow walking in smoke
(Frantzich & Nilsson). FED ≥ 1 incapacitates: the agent goes down (:mod:`aforo.engine.harm`), as
FDS+Evac stops agents whose FED reaches 1.

CS incapacitation and lethal doses are recorded in the casualty table but do not make an agent
limp: people blinded by CS still stumble on.
"""

from __future__ import annotations

import numpy as np
from shapely.geometry import Polygon

from aforo.hazards.exposure import Exposure
from aforo.hazards.gas import GasField, GasOpening, GasOutlet, GasSpace, build_gas_grid
from aforo.hazards.smoke import SmokeLayer

MG_PER_KG = 1e6
GAS_AVOIDANCE = 4.0  # extra walking cost in fully irritating air (×, see the module docstring)
FIELD_REFRESH_S = 5.0  # how often the navigation fields see the gas
SHUT = ("closed", "latched", "locked")


class Air:
    """The gas field, the canisters, the fire gases given as input and everyone's exposure."""

    def __init__(self, sim, exposure_params):
        self.sim = sim
        self.exposure = Exposure(sim.state.count, exposure_params)
        self.base_speed = sim.state.desired_speed.copy()
        self.smoke = SmokeLayer(sim.scenario.smoke, sim.venue.space_names) if sim.scenario.smoke else None
        self.field = self._gas_field() if sim.scenario.canisters else None
        self._next_refresh_s = 0.0

    def _gas_field(self) -> GasField:
        sim = self.sim
        sc = sim.scenario
        v = sim.venue
        g = sc.gas
        spaces = []
        for s, kind in enumerate(v.space_kinds):
            if kind == "level":
                spaces.append(GasSpace(v.space_areas[s], height_m=g.ceiling_height))
            else:
                stair = sc.stair(v.space_names[s])
                spaces.append(GasSpace.for_stair(Polygon(stair.footprint), rise_m=stair.steps * stair.rise,
                                                 upper_ceiling_m=g.ceiling_height))
        openings = [GasOpening(p.stair, p.level, p.segment) for p in v.portals]
        self._door_openings = [(len(openings) + k, d.name) for k, d in enumerate(v.interior_doors)]
        openings += [GasOpening(v.space_index(d.level), v.space_index(d.level), d.jambs) for d in v.interior_doors]
        outlets = [GasOutlet(o.space, o.segment) for o in v.outlets]
        self.grid = build_gas_grid(spaces=spaces, openings=openings, outlets=outlets, cell_size=g.cell_size)
        self._n_openings = len(openings)
        g_nav = v.nav_grid
        self._nav_x, self._nav_y = g_nav.cell_centres()
        self._nav_space = g_nav.space_of_cell
        return GasField(self.grid)

    def _open_masks(self) -> tuple[np.ndarray, np.ndarray]:
        v = self.sim.venue
        links = np.ones(self._n_openings, dtype=bool)
        for index, door in self._door_openings:
            links[index] = v.door_states[door] not in SHUT
        outlets = np.array([o.door is None or v.door_states[o.door] not in SHUT for o in v.outlets], dtype=bool)
        return links, outlets

    def update(self, interval_s: float) -> None:
        sim = self.sim
        st = sim.state
        air = {}
        if self.field is not None:
            self._move_gas(interval_s)
            air["cs_mg_m3"] = np.where(st.active, self.field.concentration_at(st.space, st.pos_x, st.pos_y), 0.0)
        if self.smoke is not None:
            # the air over the frame just simulated, sampled at its middle
            air.update(self.smoke.sample(sim.time_s - interval_s / 2, st.space, st.pos_x, st.pos_y, st.active))
        self.exposure.update(interval_s, **air)
        st.desired_speed[:] = self.base_speed * self.exposure.speed_factor
        if self.field is not None and sim.time_s + 1e-9 >= self._next_refresh_s:
            self._next_refresh_s = sim.time_s + FIELD_REFRESH_S
            self._steer_round_gas()

    def _move_gas(self, interval_s: float) -> None:
        """Canisters release; the gas spreads, leaks through what is open and is ventilated."""
        sim = self.sim
        t_end = sim.time_s
        t_start = t_end - interval_s
        for c in sim.scenario.canisters:
            burning = min(t_end, c.at + c.duration) - max(t_start, c.at)
            if burning > 0:
                self.field.release(sim.venue.space_index(c.space), c.position[0], c.position[1],
                                   c.mass * MG_PER_KG * burning / c.duration)
        links, outlets = self._open_masks()
        g = sim.scenario.gas
        self.field.step(interval_s, diffusivity_m2_s=g.diffusivity, air_changes_per_h=g.air_changes_per_h,
                        open_links=links, open_outlets=outlets)

    def _steer_round_gas(self) -> None:
        """Navigation fields that make irritating air costly to walk through."""
        if self.field.total_mass_mg <= 0.0:
            return
        c = self.field.concentration_at(self._nav_space, self._nav_x, self._nav_y)
        irritating = np.minimum(c / self.exposure.params.cs_irritation_mg_m3, 1.0)
        cost = 1.0 + GAS_AVOIDANCE * irritating
        book = self.sim.behaviour.fields
        if book.cell_cost is not None and np.max(np.abs(cost - book.cell_cost)) < 0.05:
            return  # the gas has not changed enough to change anyone's route
        book.set_cell_cost(cost)
        self.sim.refresh_fields()

    @property
    def released_mg(self) -> float:
        return float(self.field.released_mg) if self.field is not None else 0.0
