"""Harm from being pressed: compression injury, compressive asphyxia, and falls.

Vectorised over agents: the caller passes, each step, every agent's compressive load
``force_n`` (N): the sum of body compression forces k·g over its contacts, which the engine keeps
as ``AgentState.contact_force``. Every threshold is a field of a frozen dataclass with sourced
defaults (shared/reference/crowd-physics.md); they are uncertain and ensembles should vary them.

States
------

``UNHARMED = 0``, ``INJURED = 1``, ``UNCONSCIOUS = 2``, ``DEAD = 3``. States only go up: nobody
heals or wakes within a run. This is a simplification (people released from a crush often
recover), chosen because the model has no sourced recovery law and because a reconstruction
must not lose a harm once it has happened; the time each state was first reached is kept.

Injury: Helbing, Farkas & Vicsek 2000
-------------------------------------

Injured when the radial contact force over the body's circumference exceeds 1600 N/m,
``force_n / (2π r) > 1600`` (``injury_compression_n_per_m``). For r = 0.3 m that is 3016 N.

Compressive asphyxia: a power-law force–duration dose
-----------------------------------------------------

Hopkins et al. 1993 (via Lee & Hughes 2006) give two points at which a sustained chest load
killed: F1 = 6227 N for t1 = 15 s, and F2 = 1112 N for 4–6 min, taken as t2 = 300 s. Assume the
time to death under a constant load F follows a power law, t(F) = t_ref · (F_ref / F)^n, and
accumulate the dose

    D = ∫ (F / F_ref)^n dt          (s; only while F > F_threshold)

so that death comes at D ≥ t_ref for any load history (for a constant load, at t(F)). Both
points fix n:

    t1 / t2 = (F_ref/F1)^n / (F_ref/F2)^n = (F2 / F1)^n
    n = ln(t1 / t2) / ln(F2 / F1) = ln(15 / 300) / ln(1112 / 6227)
      = (−2.99573) / (−1.72272) = 1.73894

With F_ref = F2 = 1112 N and t_ref = t2 = 300 s, both points are reproduced exactly: at 6227 N,
t = 300 · (1112/6227)^1.73894 = 15.0 s.

Threshold. Below ``asphyxia_threshold_force_n`` no dose accrues. Default 623 N: Evans & Hayden
1971's tolerable horizontal force for men (via Lee & Hughes 2006), the largest load the
literature we hold calls bearable; a load just above it kills in t(623) = 300 · (1112/623)^1.739
≈ 822 s ≈ 14 min. It is a gate, not an offset, so that both Hopkins points stay exact. Setting
it to 1112 N instead would say that nothing short of Hopkins' lower point harms at all.

Unconsciousness. G. K. Still (secondary): about 30 s to unconsciousness and about 6 min to death
under the same sustained asphyxial load. Under a constant load the dose grows linearly, so the
ratio of the two times is the ratio of the two doses: unconscious at D ≥ f · t_ref with
f = 30 / 360 = 1/12 (``unconscious_fraction``). The load for which Still's times hold is the one
that kills in 360 s: F_Still = F_ref · (t_ref / 360)^(1/n) = 1112 · (300/360)^(1/1.73894)
≈ 1001 N; under it, unconsciousness comes at 30 s and death at 360 s. The same f applied to
Hopkins' upper point gives unconsciousness after 1.25 s at 6227 N.

The dose never decays (no recovery after release; see States). Crossing times are interpolated
linearly in the dose within the step, exact for a load held constant over the step.

Falls
-----

:class:`FallModel`. An agent whose load exceeds ``fall_force_n`` (default 800 N, Evans & Hayden's
bracing limit: beyond it a person can no longer brace) falls with a constant hazard rate λ
(``fall_rate_per_s``, default 0.05 /s, an ASSUMPTION with no source: it gives a 1 − e^(−0.05·10)
≈ 39 % chance of going down during 10 s of such a load). A fallen agent gets up once its load has
stayed below ``rise_force_n`` (default 623 N, the tolerable force) for ``rise_after_s`` = 2 s
(an assumption), unless it is unconscious or dead. Random draws come from the numpy Generator
given, one uniform per agent per step whether it can fall or not, so the same seed gives the same
falls and the stream does not shift when parameters change who is at risk.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from aforo.errors import Problem, ScenarioError
from aforo.kernels.harm import fall_step, injury_step

__all__ = [
    "UNHARMED",
    "INJURED",
    "UNCONSCIOUS",
    "DEAD",
    "STATE_NAMES",
    "CAUSE_COMPRESSION",
    "CAUSE_ASPHYXIA",
    "CompressionParameters",
    "CompressionInjury",
    "FallParameters",
    "FallModel",
]

UNHARMED, INJURED, UNCONSCIOUS, DEAD = 0, 1, 2, 3
STATE_NAMES = ("unharmed", "injured", "unconscious", "dead")
CAUSE_COMPRESSION = "compression"  # Helbing's N/m criterion
CAUSE_ASPHYXIA = "compressive asphyxia"  # the force–duration dose


@dataclass(frozen=True)
class CompressionParameters:
    """Thresholds of compression injury and compressive asphyxia (sources: module docstring)."""

    injury_compression_n_per_m: float = 1600.0  # Helbing, Farkas & Vicsek 2000
    lethal_force_high_n: float = 6227.0  # Hopkins et al. 1993: 6227 N ...
    lethal_time_high_s: float = 15.0  # ... kills in 15 s
    lethal_force_low_n: float = 1112.0  # Hopkins et al. 1993: 1112 N ...
    lethal_time_low_s: float = 300.0  # ... kills in 4–6 min (midpoint)
    asphyxia_threshold_force_n: float = 623.0  # Evans & Hayden 1971: tolerable force, men
    unconscious_fraction: float = 30.0 / 360.0  # G. K. Still: ~30 s unconscious, ~6 min dead

    def __post_init__(self) -> None:
        problems = []
        for name in ("injury_compression_n_per_m", "lethal_force_high_n", "lethal_time_high_s",
                     "lethal_force_low_n", "lethal_time_low_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                problems.append(Problem(f"compression.{name}", f"must be finite and > 0, got {value!r}"))
        if not (math.isfinite(self.asphyxia_threshold_force_n) and self.asphyxia_threshold_force_n >= 0):
            problems.append(Problem("compression.asphyxia_threshold_force_n", "must be finite and >= 0"))
        if not 0.0 < self.unconscious_fraction <= 1.0:
            problems.append(Problem("compression.unconscious_fraction", "must be in (0, 1]",
                                    "unconsciousness comes at this fraction of the lethal dose"))
        if not problems and not (self.lethal_force_high_n > self.lethal_force_low_n
                                 and self.lethal_time_high_s < self.lethal_time_low_s):
            problems.append(Problem("compression.lethal_force_high_n",
                                    "the higher force must kill sooner than the lower one",
                                    "Hopkins: 6227 N in 15 s, 1112 N in 300 s"))
        if problems:
            raise ScenarioError(problems)

    @property
    def asphyxia_exponent(self) -> float:
        """n = ln(t_high / t_low) / ln(F_low / F_high): 1.7389 with Hopkins' points."""
        return math.log(self.lethal_time_high_s / self.lethal_time_low_s) / math.log(
            self.lethal_force_low_n / self.lethal_force_high_n
        )

    @property
    def reference_force_n(self) -> float:
        """F_ref of the dose (the lower Hopkins point)."""
        return self.lethal_force_low_n

    @property
    def lethal_dose_s(self) -> float:
        """t_ref: the dose at which death comes (s at F_ref)."""
        return self.lethal_time_low_s

    @property
    def unconscious_dose_s(self) -> float:
        return self.unconscious_fraction * self.lethal_dose_s

    def dose_rate(self, force_n) -> np.ndarray:
        """dD/dt = (F / F_ref)^n above the threshold, else 0 (dimensionless, s of dose per s)."""
        f = np.fmax(np.asarray(force_n, dtype=np.float64), 0.0)
        return np.where(f > self.asphyxia_threshold_force_n, (f / self.reference_force_n) ** self.asphyxia_exponent, 0.0)

    def time_to_death_s(self, force_n) -> np.ndarray:
        """Under a constant load: t_ref · (F_ref / F)^n; inf at or below the threshold."""
        rate = self.dose_rate(force_n)
        with np.errstate(divide="ignore"):
            return np.where(rate > 0.0, self.lethal_dose_s / rate, np.inf)

    def time_to_unconsciousness_s(self, force_n) -> np.ndarray:
        return self.unconscious_fraction * self.time_to_death_s(force_n)

    def force_for_time_to_death_n(self, time_s: float) -> float:
        """The constant load that kills in ``time_s`` (ignoring the threshold)."""
        return self.reference_force_n * (self.lethal_dose_s / time_s) ** (1.0 / self.asphyxia_exponent)


DEFAULT_COMPRESSION = CompressionParameters()


class CompressionInjury:
    """Per-agent compression injury and asphyxia state.

    Public arrays (read, don't write): ``state`` (int8, 0–3), ``dose_s`` (asphyxia dose),
    ``time_injured_s``, ``time_unconscious_s``, ``time_dead_s`` (NaN until reached; a state
    skipped over, e.g. unharmed → unconscious by asphyxia, keeps NaN), and ``cause`` (object
    array: the cause of the latest transition, or None).
    """

    def __init__(self, n_agents: int, params: CompressionParameters = DEFAULT_COMPRESSION, *, radius_m=0.3):
        n = int(n_agents)
        self.params = params
        self.radius_m = np.broadcast_to(np.asarray(radius_m, dtype=np.float64), (n,)).copy()
        if np.any(~np.isfinite(self.radius_m) | (self.radius_m <= 0)):
            raise ValueError("radius_m must be finite and > 0 for every agent")
        self.state = np.zeros(n, dtype=np.int8)
        self.dose_s = np.zeros(n)
        self.time_injured_s = np.full(n, np.nan)
        self.time_unconscious_s = np.full(n, np.nan)
        self.time_dead_s = np.full(n, np.nan)
        self.cause = np.full(n, None, dtype=object)
        self._harmless_for: CompressionParameters | None = None
        self._harmless_cache = 0.0

    @property
    def n_agents(self) -> int:
        return int(self.state.size)

    def compression_n_per_m(self, force_n) -> np.ndarray:
        """Helbing's measure: load over the body's circumference (N/m)."""
        return np.fmax(np.asarray(force_n, dtype=np.float64), 0.0) / (2.0 * np.pi * self.radius_m)

    def update(self, dt_s: float, force_n, time_s: float) -> list[tuple[int, int, str]]:
        """Accumulate one step of load; ``time_s`` is the time at the END of the step.

        Returns the transitions of this step as ``(agent, new_state, cause)``, ordered by agent
        then state. An agent may pass through more than one state in one step (each is listed).

        Runs every frame (5 400 times a Los Olivos night), so only the agents under a load that
        can harm are computed: a dose accrues above the asphyxia threshold, an injury needs more
        than the Helbing compression, and a state is crossed only by an agent whose dose grew
        (crossings are recorded as they happen, so a dose at a limit always has its state). The
        rest keep their dose and state, exactly as if computed with a rate of 0.
        """
        dt = float(dt_s)
        if not math.isfinite(dt) or dt < 0.0:
            raise ValueError(f"dt_s must be finite and >= 0, got {dt_s!r}")
        p = self.params
        force = np.asarray(force_n, dtype=np.float64)
        if force.shape != self.state.shape:
            force = np.broadcast_to(force, self.state.shape)
        hot = np.flatnonzero(force > self._harmless_n)  # NaN loads count as 0 (never harm)
        if hot.size == 0:
            return []
        force = force[hot]  # > 0 here: no clamping needed
        agents, levels, times = injury_step(
            hot, force, p.dose_rate(force), dt, float(time_s), self.state, self.dose_s, self.radius_m,
            p.injury_compression_n_per_m, p.unconscious_dose_s, p.lethal_dose_s, INJURED, UNCONSCIOUS, DEAD)
        if agents.size == 0:
            return []
        events = []
        time_of = {INJURED: self.time_injured_s, UNCONSCIOUS: self.time_unconscious_s, DEAD: self.time_dead_s}
        for agent, level, t in zip(agents.tolist(), levels.tolist(), times.tolist()):
            cause = CAUSE_COMPRESSION if level == INJURED else CAUSE_ASPHYXIA
            events.append((agent, level, cause))
            time_of[level][agent] = t
            if level > self.state[agent]:
                self.state[agent] = level
                self.cause[agent] = cause
        return events

    @property
    def _harmless_n(self) -> float:
        """A load (N) at or below which nobody's dose or state can change: at most the asphyxia
        threshold, and half the smallest body's Helbing injury load (the half is slack far above
        rounding, so the shortcut decides nothing the full computation would decide otherwise)."""
        p = self.params
        if self._harmless_for is not p:
            smallest = float(self.radius_m.min(initial=np.inf))
            injury_n = 0.5 * p.injury_compression_n_per_m * 2.0 * np.pi * smallest
            self._harmless_cache = min(p.asphyxia_threshold_force_n, injury_n)
            self._harmless_for = p
        return self._harmless_cache


@dataclass(frozen=True)
class FallParameters:
    """When pressed people go down and get up (sources and assumptions: module docstring)."""

    fall_force_n: float = 800.0  # Evans & Hayden 1971: bracing limit
    fall_rate_per_s: float = 0.05  # ASSUMPTION: hazard rate of falling while above fall_force_n
    rise_force_n: float = 623.0  # Evans & Hayden 1971: tolerable force
    rise_after_s: float = 2.0  # ASSUMPTION: time below rise_force_n needed to get up

    def __post_init__(self) -> None:
        problems = []
        for name in ("fall_force_n", "fall_rate_per_s", "rise_force_n", "rise_after_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                problems.append(Problem(f"falls.{name}", f"must be finite and >= 0, got {value!r}"))
        if not problems and self.rise_force_n > self.fall_force_n:
            problems.append(Problem("falls.rise_force_n", "must not exceed fall_force_n",
                                    "people get up at a lower load than the one that knocks them down"))
        if problems:
            raise ScenarioError(problems)


DEFAULT_FALLS = FallParameters()


class FallModel:
    """Per-agent falls under load, seeded by a numpy Generator.

    Public arrays: ``fallen`` (bool), ``fall_count`` (int), ``time_fallen_s`` (time of the most
    recent fall, NaN if never), ``time_below_rise_s`` (continuous time below the rise force while
    down).
    """

    def __init__(self, n_agents: int, rng: np.random.Generator, params: FallParameters = DEFAULT_FALLS):
        n = int(n_agents)
        self.params = params
        self.rng = rng
        self.fallen = np.zeros(n, dtype=bool)
        self.fall_count = np.zeros(n, dtype=np.int64)
        self.time_fallen_s = np.full(n, np.nan)
        self.time_below_rise_s = np.zeros(n)

    @property
    def n_agents(self) -> int:
        return int(self.fallen.size)

    def update(self, dt_s: float, force_n, time_s: float, *, cannot_rise=None) -> tuple[np.ndarray, np.ndarray]:
        """One step; ``time_s`` is the time at the end of the step. ``cannot_rise``: bool per agent
        (e.g. ``CompressionInjury.state >= UNCONSCIOUS``). Returns (agents that fell, agents that
        got up) as index arrays."""
        dt = float(dt_s)
        if not math.isfinite(dt) or dt < 0.0:
            raise ValueError(f"dt_s must be finite and >= 0, got {dt_s!r}")
        p = self.params
        n = self.n_agents
        force = np.fmax(np.asarray(force_n, dtype=np.float64), 0.0)
        if force.shape != (n,):
            force = np.broadcast_to(force, (n,))
        draws = self.rng.random(n)  # one per agent per step, always
        stuck = np.zeros(n, dtype=bool) if cannot_rise is None else np.asarray(cannot_rise, dtype=bool)
        if stuck.shape != (n,):
            stuck = np.broadcast_to(stuck, (n,))
        probability = -math.expm1(-p.fall_rate_per_s * dt)
        return fall_step(force, draws, stuck, self.fallen, self.time_below_rise_s, self.fall_count,
                         self.time_fallen_s, p.fall_force_n, p.rise_force_n, p.rise_after_s, probability, dt,
                         float(time_s))

