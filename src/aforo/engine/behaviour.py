"""What people decide, between frames: where they head, what they believe, what roles they play.

The compiled step moves bodies; this module, run at every recorded frame (0.1 s by default)
and at every event, decides their intentions:

- **Destinations and fields.** Each agent heads for a destination ("exit", an exit or door, or
  an area) by the field of its belief: the doors it rules out (not known to its population, or
  learnt to be blocked). Fields are computed once per distinct (destination, ruled-out doors).
- **Arrival.** An agent reaching a destination area waits there; a guard reaching its post holds
  it with its effort (N); a marshal stands at its post.
- **Learning.** An agent that stands (speed < 0.1 m/s) within 1 m of a shut door it faces, for
  ``beliefs.learn_time``, believes the door blocked; neighbours within ``share_radius`` adopt
  each belief at ``share_rate`` per second.
- **Events** (timeline): doors open, close, latch, lock, unlock and are forced; populations
  enter, start (after their pre-movement time), stop, are sent elsewhere, leave their roles.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import Polygon

from aforo.engine.fields import FieldBook, FieldKey
from aforo.kernels.beliefs import share_beliefs, share_probability, stuck_at_door
from aforo.kernels.spacing import free_gaps
from aforo.scenario.model import DOOR_STATE_AFTER, Event

ROLE_CODE = {"occupant": 0, "guard": 1, "marshal": 2}
STAND_STEP = np.iinfo(np.int64).max // 2  # "not before an event says so"
STUCK_SPEED_M_PER_S = 0.1
STUCK_REACH_M = 1.0
# An entering agent steps in only with this much room (m of free gap to every body): closer,
# HFV's repulsion (A·exp(−gap/B) = 164 N at 0.2 m, 2000 N at contact) would blast it away.
ENTRY_GAP_M = 0.2


class Behaviour:
    """Intentions of every agent; owned by a Simulation."""

    def __init__(self, sim):
        self.sim = sim
        sc = sim.scenario
        st = sim.state
        n = st.count
        self.door_names = [d.name for d in sc.doors]
        self.door_bit = {name: np.int64(1) << np.int64(k) for k, name in enumerate(self.door_names)}
        self.destinations: list[str] = ["exit"]
        self.area_names = {a.name for a in sc.areas}
        pops = sc.populations
        self.role = np.array([ROLE_CODE[pops[p].role] for p in st.population], dtype=np.int64).reshape(n)
        self.destination = np.zeros(n, dtype=np.int64)
        self.unknown = np.zeros(n, dtype=np.int64)
        self.blocked = np.zeros(n, dtype=np.int64)
        self.stuck_s = np.zeros(n)
        self.arrived = np.zeros(n, dtype=bool)
        self.waiting_to_enter = np.zeros(n, dtype=bool)
        self.premove_steps = st.start_step.copy()  # pre-movement drawn at spawn, in steps
        starts_by_event = {e.population for e in sc.events if e.action == "start"}
        for k, pop in enumerate(pops):
            mine = st.population == k
            goal = pop.post if pop.role in ("guard", "marshal") and pop.post else pop.destination
            self.destination[mine] = self._destination_index(goal)
            mask = np.int64(0)
            for door in pop.unknown_doors:
                mask |= self.door_bit[door]
            self.unknown[mine] = mask
            if not pop.present:
                st.active[mine] = False
            if pop.name in starts_by_event:
                st.start_step[mine] = STAND_STEP
        self.fields = FieldBook(sim.venue)  # the simulation calls assign_fields once it holds us
        self._handed_over = False  # the kernel has not been given the field stack yet
        self._polygons: dict[str, Polygon] = {}

    # -- destinations and fields -------------------------------------------------------------
    def _destination_index(self, name: str) -> int:
        if name not in self.destinations:
            self.destinations.append(name)
        return self.destinations.index(name)

    def assign_fields(self) -> None:
        """Point every agent at the field of its (destination, ruled-out doors)."""
        ruled_out = self.unknown | self.blocked
        before = len(self.fields.keys)
        field_of = self.sim.state.field_of_agent
        for dest, mask in sorted(set(zip(self.destination.tolist(), ruled_out.tolist()))):
            key = FieldKey(self.destinations[dest], frozenset(n for n, b in self.door_bit.items() if mask & b))
            field_of[(self.destination == dest) & (ruled_out == mask)] = self.fields.index(key)
        if not self._handed_over or len(self.fields.keys) != before:
            self._handed_over = True
            self.sim.refresh_fields()

    # -- per frame ---------------------------------------------------------------------------
    def update(self, interval_s: float) -> None:
        """Arrivals, learning, telling, entering; then fields for any new belief."""
        self._enter_waiting()
        self._arrivals()
        changed = self._learn(interval_s)
        changed |= self._tell(interval_s)
        if changed:
            self.assign_fields()

    def _arrivals(self) -> None:
        st = self.sim.state
        sc = self.sim.scenario
        for area in sc.areas:
            if area.name not in self.destinations:
                continue
            dest = self.destinations.index(area.name)
            space = self.sim.venue.space_index(area.space)
            who = np.flatnonzero(st.active & ~self.arrived & (self.destination == dest) & (st.space == space))
            if who.size == 0:
                continue
            polygon = self._polygon(area)
            inside = who[shapely.contains_xy(polygon, st.pos_x[who], st.pos_y[who])]
            if inside.size == 0:
                continue
            self.arrived[inside] = True
            guards = inside[self.role[inside] == ROLE_CODE["guard"]]
            point = polygon.representative_point()
            st.hold_x[guards] = point.x
            st.hold_y[guards] = point.y
            st.hold_force[guards] = [sc.populations[p].effort for p in st.population[guards]]
            waiting = inside[self.role[inside] != ROLE_CODE["guard"]]
            self._stand(waiting)

    def _polygon(self, area) -> Polygon:
        """The area's polygon, built and prepared once (this runs every frame)."""
        polygon = self._polygons.get(area.name)
        if polygon is None:
            polygon = self._polygons[area.name] = Polygon(area.polygon)
            shapely.prepare(polygon)
        return polygon

    def _stand(self, who: np.ndarray) -> None:
        """These agents stand where they are now (and step back there if shoved)."""
        st = self.sim.state
        st.moving[who] = False
        st.hold_x[who] = st.pos_x[who]
        st.hold_y[who] = st.pos_y[who]

    def _learn(self, interval_s: float) -> bool:
        """Agents stuck at a shut door they face come to believe it blocked (a compiled pass per
        shut door, kernels/beliefs.py: this runs every frame)."""
        st = self.sim.state
        v = self.sim.venue
        near_any = np.zeros(st.count, dtype=bool)
        learnt = False
        learn_time = self.sim.scenario.beliefs.learn_time
        for door in self.sim.scenario.doors:
            if not v.door_is_shut(door.name):
                continue
            (x1, y1), (x2, y2) = door.jambs
            learnt |= stuck_at_door(
                st.pos_x, st.pos_y, st.vel_x, st.vel_y, st.dir_x, st.dir_y, st.space, st.active, st.moving,
                st.hold_force, v.space_index(door.level), float(x1), float(y1), float(x2), float(y2),
                self.door_bit[door.name], float(interval_s), float(learn_time), STUCK_SPEED_M_PER_S, STUCK_REACH_M,
                self.stuck_s, self.blocked, near_any)
        self.stuck_s[~near_any] = 0.0
        return learnt

    def _tell(self, interval_s: float) -> bool:
        if not self.blocked.any():
            return False
        st = self.sim.state
        b = self.sim.scenario.beliefs
        x0, y0, x1, y1 = self.sim.venue.bounds
        r = b.share_radius
        x0, y0 = x0 - r, y0 - r
        ncx = int(math.ceil((x1 - x0) / r)) + 2
        ncy = int(math.ceil((y1 - y0) / r)) + 2
        seed = (self.sim.scenario.run.seed * 1_000_003 + self.sim.step_index) % (2**31 - 1)
        told = share_beliefs(st.pos_x, st.pos_y, st.space, st.active, self.blocked, r,
                             share_probability(b.share_rate, interval_s), seed, x0, y0, ncx, ncy)
        changed = bool((told != self.blocked).any())
        self.blocked = told
        return changed

    def _enter_waiting(self) -> None:
        """Agents of an entered population step in where their spawn point is free.

        In index order, each one seeing those who stepped in before it. Someone without room
        now cannot get room from others stepping in, so only those with room at the start are
        gone through one by one (waiting agents are checked every frame: some wait all night).
        """
        st = self.sim.state
        for i in self._may_enter(np.flatnonzero(self.waiting_to_enter)):
            sel = st.active & (st.space == st.space[i])
            gap = np.hypot(st.pos_x[sel] - st.pos_x[i], st.pos_y[sel] - st.pos_y[i]) - st.radius[sel] - st.radius[i]
            if gap.size == 0 or gap.min() > ENTRY_GAP_M:
                st.active[i] = True
                st.hold_x[i], st.hold_y[i] = st.pos_x[i], st.pos_y[i]
                self.waiting_to_enter[i] = False
                st.start_step[i] = self.sim.step_index + self.premove_steps[i]

    def _may_enter(self, waiting: np.ndarray) -> np.ndarray:
        """Those of ``waiting`` with more than ENTRY_GAP_M to every body inside in their space."""
        if waiting.size == 0:
            return waiting
        st = self.sim.state
        gap = free_gaps(st.pos_x[waiting], st.pos_y[waiting], st.radius[waiting], st.space[waiting],
                        st.pos_x, st.pos_y, st.radius, st.space, st.active)
        return waiting[gap > ENTRY_GAP_M]

    # -- events ------------------------------------------------------------------------------
    def apply(self, event: Event) -> None:
        """Carry out one timeline event now."""
        sim = self.sim
        st = sim.state
        if event.action in DOOR_STATE_AFTER:
            state = DOOR_STATE_AFTER[event.action]
            if event.action == "unlock" and sim.venue.door_states[event.door] != "locked":
                return
            sim.set_door_state(event.door, state)
            if state in ("open", "broken"):  # people see and hear a door open
                self.blocked &= ~self.door_bit[event.door]
                self.assign_fields()
            return
        k = [p.name for p in sim.scenario.populations].index(event.population)
        mine = st.population == k
        pop = sim.scenario.populations[k]
        if event.action == "enter":
            self.waiting_to_enter[mine & ~st.active & np.isnan(sim.exit_time_s)] = True
            self._enter_waiting()
        elif event.action == "start":
            st.start_step[mine] = sim.step_index + self.premove_steps[mine]
            st.moving[mine] = True
        elif event.action == "stop":
            self._stand(np.flatnonzero(mine))
        elif event.action == "send":
            self.destination[mine] = self._destination_index(event.to)
            self.arrived[mine] = False
            st.moving[mine] = True
            st.hold_force[mine] = 0.0
            self.assign_fields()
        elif event.action == "release_role":
            self.role[mine] = ROLE_CODE["occupant"]
            st.hold_force[mine] = 0.0
            st.moving[mine] = True
            self.arrived[mine] = False
            st.headway_time[mine] = 0.0 if pop.pushing else pop.headway_time
            self.destination[mine] = self._destination_index("exit")
            self.assign_fields()

    def door_state_changed(self) -> None:
        self.fields.recompute()
        self.sim.refresh_fields()
