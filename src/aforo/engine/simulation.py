"""The simulation: a venue, the agents' state, and the clock that advances them.

Python drives frames (one recording interval at a time); inside a frame the compiled pipeline
in :mod:`aforo.kernels.step` runs every outer step without returning. Between frames the engine
drains line crossings (exits, doors, stair portals), turns kernel status flags into messages
naming the agent, the place and the time, and hands the frame to its observers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

import numba
import numpy as np

from aforo.engine.behaviour import Behaviour
from aforo.engine.air import Air
from aforo.engine.harm import Harm
from aforo.engine.state import KERNEL_FIELDS, STEP_WRITES, AgentState, Scratch, kernel_parameters, spawn_agents
from aforo.hazards.settings import harm_parameters
from aforo.kernels.cells import build_agent_cells, build_wall_cells
from aforo.kernels.constraints import LINE_COUNTER, LINE_EXIT
from aforo.kernels.social_force import (
    P_BODY_FOOTPRINT,
    STATUS_NON_FINITE,
    STATUS_PARTNER_OVERFLOW,
    STATUS_WALL_PUSHED,
    STATUS_WALL_REVERTED,
)
from aforo.kernels.step import advance, advance_serial
from aforo.scenario.model import Scenario
from aforo.venue.compiled import Venue, compile_venue, rebuild_for_doors

# Below this many agents inside, the step runs the serial twin of the pipeline
# (kernels.step.advance_serial): a parallel region costs about a microsecond to start even on
# one thread and an idle machine, and on a busy one a region waits for a preempted worker
# (measured: the Los Olivos crush, 132 agents, ran 30× faster on one thread while another
# process used a core). Both pipelines give the same bits, whatever the thread count.
PARALLEL_MIN_AGENTS = 500

# From this many agents inside, each frame runs on the agents stored in cell order
# (Simulation._advance_in_cell_order): their arrays outgrow the caches. Results do not depend
# on it. Measured (docs/performance.md): 1.2 × at 100 000 agents, 1.06 × at 10 000, none at 2 000.
CELL_ORDER_MIN_AGENTS = 10_000

# Neighbour cells are at least this large (m): twice the largest body radius plus the
# interaction range covers every partner within the cutoff.
_CELL_SLACK_M = 0.05


class Observer(Protocol):
    """Something that watches a run: called at the start, at every recorded frame, at the end."""

    def on_start(self, sim: "Simulation") -> None: ...

    def on_frame(self, sim: "Simulation") -> None: ...

    def on_finish(self, sim: "Simulation") -> None: ...


@dataclass(frozen=True)
class Message:
    """Something that went wrong for one agent, reported instead of aborting the run."""

    time_s: float
    agent: int
    space: str
    x_m: float
    y_m: float
    what: str


@dataclass
class Passage:
    """One crossing of an exit or a door line."""

    time_s: float
    agent: int
    line: str  # outlet or door name
    direction: int  # +1 / −1 relative to the line's jamb order; exits always +1


@dataclass
class Diagnostics:
    """Counts of the numeric safeguards that acted during a run."""

    outer_steps: int = 0
    substeps: int = 0
    most_substeps_in_a_step: int = 0
    wall_reverts: int = 0
    wall_pushes: int = 0
    non_finite_resets: int = 0
    partner_overflows: int = 0


@dataclass
class Simulation:
    """Build with ``Simulation.from_scenario``; run with :meth:`run` or :meth:`advance_frame`."""

    scenario: Scenario
    venue: Venue
    state: AgentState
    params: np.ndarray
    step_index: int = 0
    exit_time_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    exit_outlet: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    passages: list[Passage] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    fired: list = field(default_factory=list)  # (time_s, Event) as they fired
    _timeline: list = field(default_factory=list)  # (step, Event) still to fire, in time order
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    behaviour: Behaviour | None = None
    harm: Harm | None = None
    air: Air | None = None  # only when the scenario has canisters or smoke
    substeps_this_frame: int = 0

    @staticmethod
    def from_scenario(scenario: Scenario, venue: Venue | None = None) -> "Simulation":
        harm = harm_parameters(scenario.harm)  # bad thresholds fail before any work is done
        venue = venue if venue is not None else compile_venue(scenario)
        state = spawn_agents(scenario, venue)
        sim = Simulation(
            scenario=scenario,
            venue=venue,
            state=state,
            params=kernel_parameters(scenario.physics, harm.floor),
            exit_time_s=np.full(state.count, np.nan),
            exit_outlet=np.full(state.count, -1, dtype=np.int64),
        )
        sim._prepare()
        sim.behaviour = Behaviour(sim)
        sim.behaviour.assign_fields()
        sim.air = Air(sim, harm.exposure) if scenario.canisters or scenario.smoke else None
        sim.harm = Harm(sim, harm)
        sim._timeline = [(int(round(e.at / scenario.run.time_step)), e) for e in scenario.events]
        return sim

    # -- clock ----------------------------------------------------------------------------
    @property
    def time_step_s(self) -> float:
        return self.scenario.run.time_step

    @property
    def time_s(self) -> float:
        return self.step_index * self.time_step_s

    @property
    def steps_per_frame(self) -> int:
        run = self.scenario.run
        return max(1, int(round(run.record_interval / run.time_step)))

    @property
    def active_count(self) -> int:
        return int(self.state.active.sum())

    @property
    def parallel(self) -> bool:
        """Whether kernels run on threads now (else their serial twins): by crowd size only,
        never by thread count, and the results are the same either way."""
        return self.active_count >= PARALLEL_MIN_AGENTS

    # -- set-up ---------------------------------------------------------------------------
    def _prepare(self) -> None:
        n = self.state.count
        self._scratch = Scratch.for_agents(n)
        capacity = self.steps_per_frame * (n + 64)
        self._events = (
            np.zeros(capacity, np.int64),
            np.zeros(capacity, np.int64),
            np.zeros(capacity, np.int64),
            np.zeros(capacity, np.int64),
        )
        self._build_venue_tuple()

    def _build_venue_tuple(self) -> None:
        v = self.venue
        r_max = float(self.state.radius.max(initial=0.35))
        # the cells must also hold a walker overlapping a lying body's footprint (kernels/floor.py)
        footprint = float(self.params[P_BODY_FOOTPRINT])
        cell = max(2.0 * r_max + self.scenario.physics.interaction_range, (1.0 + footprint) * r_max) + _CELL_SLACK_M
        x_min, y_min, x_max, y_max = v.bounds
        x_min, y_min = x_min - cell, y_min - cell  # one cell of margin all round
        n_cx = int(math.ceil((x_max + cell - x_min) / cell))
        n_cy = int(math.ceil((y_max + cell - y_min) / cell))
        wall_start, wall_ids = build_wall_cells(v.walls, x_min, y_min, cell, n_cx, n_cy)
        g = v.nav_grid
        self._venue_tuple = (
            v.walls, v.wall_space, wall_start, wall_ids, v.space_link, v.space_plane,
            v.space_uphill, v.space_factor_up, v.space_factor_down, v.lines, v.line_space,
            v.line_kind, v.line_target, v.line_start, g.origin_x, g.origin_y, g.nx, g.ny,
            g.offset, float(g.cell_size), self._field_direction(), x_min, y_min, cell, n_cx, n_cy,
        )

    def _field_direction(self) -> np.ndarray:
        if self.behaviour is None:  # before behaviour exists: the venue's exit field
            return self.venue.field_direction()
        return self.behaviour.fields.directions

    def refresh_fields(self) -> None:
        """The set of fields changed: hand the kernel the new stack."""
        t = list(self._venue_tuple)
        t[20] = self._field_direction()
        self._venue_tuple = tuple(t)

    def set_door_state(self, name: str, state: str) -> None:
        """Open, close or lock a door now: walls, lines and fields are rebuilt."""
        if name not in self.venue.door_states:
            raise KeyError(f"no door named {name!r}; doors: {sorted(self.venue.door_states)}")
        self.venue.door_states[name] = state
        self.venue.leaves.set_state(name, state)
        rebuild_for_doors(self.venue)
        self._build_venue_tuple()
        if self.behaviour is not None:
            self.behaviour.door_state_changed()

    # -- stepping -------------------------------------------------------------------------
    def advance_steps(self, n_steps: int) -> None:
        """Advance ``n_steps`` outer steps and digest what happened."""
        if n_steps <= 0:
            return
        capacity = self._events[0].size
        if n_steps * (self.state.count + 64) > capacity:
            raise ValueError(f"advance at most {self.steps_per_frame} steps per call")
        # The kernels do not check bounds: an agent pointing past the field stack would read
        # garbage. Cheap to check here, and a bug if it fails.
        n_fields = self._venue_tuple[20].shape[0]
        if self.state.count and int(self.state.field_of_agent.max()) >= n_fields:
            raise RuntimeError(f"an agent follows field {int(self.state.field_of_agent.max())} of {n_fields}")
        inside = self.active_count
        if inside >= CELL_ORDER_MIN_AGENTS:
            n_events, substeps, most = self._advance_in_cell_order(n_steps)
        else:
            n_events, substeps, most = self._pipeline(n_steps, self.state.kernel_tuple(), None,
                                                      inside >= PARALLEL_MIN_AGENTS)
        if n_events < 0:  # cannot happen with the capacity above; a bug if it does
            raise RuntimeError("line-crossing buffer overflowed")
        self.step_index += n_steps
        d = self.diagnostics
        d.outer_steps += n_steps
        d.substeps += substeps
        d.most_substeps_in_a_step = max(d.most_substeps_in_a_step, most)
        self.substeps_this_frame += substeps
        self._digest_events(n_events)
        self._digest_status()

    def _pipeline(self, n_steps: int, agents: tuple, agent_id: np.ndarray | None, parallel: bool | None = None):
        """The compiled pipeline on ``agents`` (stored in their own order when agent_id is None)."""
        pipeline = advance if (self.parallel if parallel is None else parallel) else advance_serial
        return pipeline(
            n_steps, self.time_step_s, self.params, agents, self._venue_tuple, self.venue.leaves.kernel_tuple(),
            self._scratch.kernel_tuple(), self._events, 0, self.step_index, agent_id, numba.get_num_threads(),
        )

    def _advance_in_cell_order(self, n_steps: int):
        """The pipeline on copies of the agents stored in cell order, then copied back.

        Agents are stored in spawn order, random in space: a large crowd's neighbour reads miss
        the caches. For one call (a frame, 0.1 s: agents move a few cm) they are renumbered
        neighbours-first; the kernels follow the original numbering wherever it matters, so the
        results are the same, bit for bit (tests/engine/test_simulation.py). The work arrays
        (``_scratch``) stay in the order of the last call.
        """
        state = self.state
        _, cell_agents, _ = build_agent_cells(state.pos_x, state.pos_y, state.active, *self._venue_tuple[21:26])
        agent_id = np.concatenate([cell_agents, np.flatnonzero(~state.active)])  # index → original
        agents = tuple(column[agent_id] for column in state.kernel_tuple())
        n_events, substeps, most = self._pipeline(n_steps, agents, agent_id)
        for name, column in zip(KERNEL_FIELDS, agents):
            if name in STEP_WRITES:
                getattr(state, name)[agent_id] = column
        if n_events > 0:  # in original numbering, and within a step in original order
            events = tuple(column[:n_events] for column in self._events)
            agent = agent_id[events[0]]
            key = (events[3] - events[3].min()) * agent_id.size + agent
            by_step_then_agent = np.argsort(key, kind="stable")  # an agent's lines stay in order
            events[0][:] = agent[by_step_then_agent]
            for column in events[1:]:
                column[:] = column[by_step_then_agent]
        return n_events, substeps, most

    def advance_frame(self) -> None:
        """Advance one recording interval, firing due events at their step, then let people
        decide (arrivals, beliefs, fields)."""
        self.substeps_this_frame = 0
        self.venue.leaves.force_sum[:] = 0.0  # leaf records are means over the frame
        self.venue.leaves.closing_sum[:] = 0.0
        end = self.step_index + self.steps_per_frame
        while self.step_index < end:
            self._fire_due_events()
            upcoming = [s for s, _ in self._timeline if s > self.step_index]
            stop = min([end] + upcoming)
            self.advance_steps(stop - self.step_index)
        self._fire_due_events()
        self.behaviour.update(self.steps_per_frame * self.time_step_s)
        if self.air is not None:
            self.air.update(self.steps_per_frame * self.time_step_s)
        self.harm.update(self.steps_per_frame * self.time_step_s, self.steps_per_frame)

    def _fire_due_events(self) -> None:
        """Events whose step has come, in timeline order (each fires exactly once)."""
        while self._timeline and self._timeline[0][0] <= self.step_index:
            _, event = self._timeline.pop(0)
            self.behaviour.apply(event)
            self.fired.append((self.time_s, event))

    def _digest_events(self, n_events: int) -> None:
        if n_events <= 0:
            return
        agent, line, sign, step = (a[:n_events] for a in self._events)
        v = self.venue
        for a, l, sg, st in zip(agent.tolist(), line.tolist(), sign.tolist(), step.tolist()):
            kind = int(v.line_kind[l])
            t = (st + 1) * self.time_step_s
            target = int(v.line_target[l])
            if kind == LINE_EXIT:
                self.exit_time_s[a] = t
                self.exit_outlet[a] = target
                self.passages.append(Passage(t, a, v.outlets[target].name, 1))
            elif kind == LINE_COUNTER:  # an interior door
                self.passages.append(Passage(t, a, v.interior_doors[target].name, sg))

    def _digest_status(self) -> None:
        status = self.state.status
        if not status.any():
            return
        d = self.diagnostics
        d.wall_reverts += int(np.count_nonzero(status & STATUS_WALL_REVERTED))
        d.wall_pushes += int(np.count_nonzero(status & STATUS_WALL_PUSHED))
        d.partner_overflows += int(np.count_nonzero(status & STATUS_PARTNER_OVERFLOW))
        for i in np.flatnonzero(status & STATUS_NON_FINITE):
            d.non_finite_resets += 1
            self.messages.append(self._message(int(i), "state became non-finite; reset to its last position at rest"))
        status[:] = 0

    def _still_to_come(self) -> bool:
        """Someone may still appear: a population not yet entered, or waiting at the door."""
        waiting = self.behaviour.waiting_to_enter.any()
        enters = any(e.action == "enter" for _, e in self._timeline)
        return bool(waiting or enters)

    def _message(self, agent: int, what: str) -> Message:
        s = self.state
        return Message(
            self.time_s, agent, self.venue.space_names[int(s.space[agent])],
            float(s.pos_x[agent]), float(s.pos_y[agent]), what,
        )

    # -- running --------------------------------------------------------------------------
    def run(self, observers: tuple[Observer, ...] = (), progress=None) -> None:
        """Run to the scenario's duration (or until everyone has left, if so configured).

        ``progress`` is called with the simulated time after each frame (for progress bars).
        """
        run = self.scenario.run
        total_steps = int(round(run.duration / run.time_step))
        for obs in observers:
            obs.on_start(self)
        for obs in observers:
            obs.on_frame(self)
        while self.step_index < total_steps:
            self.advance_frame()
            for obs in observers:
                obs.on_frame(self)
            if progress is not None:
                progress(self.time_s)
            if run.stop_when_empty and self.active_count == 0 and not self._still_to_come():
                break
        for obs in observers:
            obs.on_finish(self)
