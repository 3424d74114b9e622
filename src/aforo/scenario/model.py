"""The frozen scenario model: what a scenario file (or the Python API) describes.

Plain data, SI units, no behaviour beyond small derived properties. Objects are validated once,
by :func:`aforo.scenario.validate.validate` (called by the loader and by ``Scenario.build``);
everything downstream may assume they are consistent.

Coordinates are metres in plan (x east, y north); elevations are metres above the lowest datum.
A ring is a tuple of (x, y) vertices, not closed (the last vertex is not the first repeated).
A segment is a pair of (x, y) points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

Point = tuple[float, float]
Ring = tuple[Point, ...]
Segment = tuple[Point, Point]

DoorState = Literal["open", "closed", "latched", "locked", "broken"]
# open: passable. closed: shut but not latched (a leaf can be pushed open in its swing
# direction, or pulled by its handle). latched: shut, opens only by its handle. locked: shut;
# occupants cannot open it, only an event can (open or unlock: someone with the key;
# force_open: rescuers break it). broken: forced open, leaves gone; it cannot be shut again.
# A door without leaves (swing "none") is a wall in every state but open and broken.
DOOR_STATES: tuple[str, ...] = ("open", "closed", "latched", "locked", "broken")
DOOR_SWINGS: tuple[str, ...] = ("none", "inward", "outward", "left", "right")
ROLES: tuple[str, ...] = ("occupant", "guard", "marshal")
EVENT_ACTIONS: tuple[str, ...] = (
    "open", "close", "latch", "lock", "unlock", "force_open",  # doors
    "enter", "start", "stop", "send", "release_role",  # populations
)
# The state a door is in after each door action (an unlocked door is closed).
DOOR_STATE_AFTER: dict[str, str] = {"open": "open", "close": "closed", "latch": "latched", "lock": "locked",
                                    "unlock": "closed", "force_open": "broken"}


@dataclass(frozen=True)
class Distribution:
    """A per-agent quantity: fixed, uniform on [low, high], or normal truncated to [low, high].

    ``kind`` is "fixed" (uses ``value``), "uniform" (``low``, ``high``) or "normal" (``mean``,
    ``std``, optional ``low``/``high`` truncation, sampled by rejection).
    """

    kind: Literal["fixed", "uniform", "normal"] = "fixed"
    value: float = 0.0
    low: float | None = None
    high: float | None = None
    mean: float = 0.0
    std: float = 0.0

    @staticmethod
    def fixed(value: float) -> "Distribution":
        return Distribution(kind="fixed", value=float(value))

    def sample(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """Draw ``count`` values (float64)."""
        if self.kind == "fixed":
            return np.full(count, self.value, dtype=np.float64)
        if self.kind == "uniform":
            return rng.uniform(self.low, self.high, size=count)
        low = -np.inf if self.low is None else self.low
        high = np.inf if self.high is None else self.high
        out = np.empty(count, dtype=np.float64)
        filled = 0
        while filled < count:  # truncated normal by rejection; validation keeps [low, high] sane
            draw = rng.normal(self.mean, self.std, size=2 * (count - filled) + 8)
            draw = draw[(draw >= low) & (draw <= high)][: count - filled]
            out[filled : filled + draw.size] = draw
            filled += draw.size
        return out

    @property
    def minimum(self) -> float:
        """Smallest value that can be drawn (−inf for an untruncated normal)."""
        if self.kind == "fixed":
            return self.value
        if self.kind == "uniform":
            return float(self.low)
        return -np.inf if self.low is None else float(self.low)

    @property
    def maximum(self) -> float:
        """Largest value that can be drawn (+inf for an untruncated normal)."""
        if self.kind == "fixed":
            return self.value
        if self.kind == "uniform":
            return float(self.high)
        return np.inf if self.high is None else float(self.high)

    @property
    def typical(self) -> float:
        """A representative value (the fixed value, the mid-range, or the mean)."""
        if self.kind == "fixed":
            return self.value
        if self.kind == "uniform":
            return 0.5 * (float(self.low) + float(self.high))
        return self.mean


@dataclass(frozen=True)
class Door:
    """An opening with a state, between two parts of a level or from a level to the outside.

    ``jambs`` are the two jamb points; both lie on walls of the level. A door whose segment lies
    along the level's outer boundary leads outside: when open, agents leave through it (it acts
    as an exit). A door across a gap inside the level joins two areas; when closed or locked it
    is a wall.
    """

    name: str
    level: str
    jambs: Segment
    state: DoorState = "open"
    # Leaves as bodies (issue 3). "none": an opening with a state and no leaf. Exterior doors
    # swing "inward" (into the level) or "outward"; interior doors "left" or "right" of the
    # direction from the first jamb to the second.
    swing: str = "none"
    leaves: int = 1  # 1 or 2 (two leaves hinged at both jambs, meeting in the middle)
    hinge: str = "first"  # a single leaf's hinge: the "first" or "second" jamb
    max_angle: float = float(np.pi / 2)  # rad, how far a leaf opens (the file takes "90 deg")
    leaf_mass: float = 40.0  # kg per leaf (a steel leaf of about 0.9 m × 2 m)
    # Force (N) with which one person pulls or pushes the handle, at 90 % of the leaf's length
    # from the hinge. Guidance for opening forces of doors is of this order (tens to ~130 N);
    # a person bracing can pull a few hundred N (crowd-physics.md: 623–800 N against a bar).
    handle_force: float = 200.0

    @property
    def clear_width(self) -> float:
        """Clear width of the opening (m): the distance between the jambs."""
        (x1, y1), (x2, y2) = self.jambs
        return float(np.hypot(x2 - x1, y2 - y1))


@dataclass(frozen=True)
class Exit:
    """A permanently open opening on a level's outer boundary where agents leave the simulation."""

    name: str
    level: str
    segment: Segment

    @property
    def width(self) -> float:
        """Width of the exit (m)."""
        (x1, y1), (x2, y2) = self.segment
        return float(np.hypot(x2 - x1, y2 - y1))


@dataclass(frozen=True)
class Area:
    """A named region of a space: a waiting area, a queue, a post for guards and marshals."""

    name: str
    space: str  # a level or stair name
    polygon: Ring


@dataclass(frozen=True)
class Event:
    """Something that happens at a time: a door changes, a population moves, a role ends.

    ``at`` is seconds after the start of the run; the file may give a clock time ("20:52")
    relative to ``Scenario.clock_start``. Which of ``door``, ``population`` and ``to`` an action
    needs: open/close/latch/lock/unlock/force_open → door; enter (the population appears in its
    spawn area), start (it begins to move), stop (it stands still), release_role (guards and
    marshals become occupants) → population; send → population and ``to`` ("exit", an exit or
    door name, or an area name).
    """

    at: float
    action: str
    door: str | None = None
    population: str | None = None
    to: str | None = None
    label: str = ""  # free text shown in the timeline


@dataclass(frozen=True)
class BeliefSettings:
    """How agents learn that a door cannot be passed, and tell others."""

    # An agent that stands (speed below 0.1 m/s) within 1 m of a shut door it is heading for,
    # for this long (s), believes the door blocked and routes around it.
    learn_time: float = 3.0
    # Each neighbour within share_radius (m) adopts a belief at this rate (1/s).
    share_rate: float = 0.2
    share_radius: float = 2.0


@dataclass(frozen=True)
class Canister:
    """A tear-gas (CS) source: released at ``position`` from ``at`` for ``duration`` seconds.

    ``mass`` is the mass of CS agent (kg), not of the canister: a 255 g grenade with 1 % CS holds
    about 2.5 g (shared/reference/tear-gas.md). Released evenly over the emission time.
    """

    name: str
    space: str  # level or stair name
    position: Point
    at: float  # s after the start (the file may give a clock time)
    mass: float  # kg of CS
    duration: float = 30.0  # s; pyrotechnic canisters burn about 20–40 s (tear-gas.md, unverified)


@dataclass(frozen=True)
class GasSettings:
    """The air the gas moves in (tear-gas.md)."""

    cell_size: float = 0.25  # m, ≤ 0.25
    # Turbulent diffusivity (m²/s): measured indoors 0.001–0.013 (Cheng et al. 2011); a crowd in
    # flight stirs more, so this is a setting to vary.
    diffusivity: float = 0.01
    air_changes_per_h: float = 0.0  # ventilation, 1/h
    ceiling_height: float = 3.0  # m, the air column over every level


# Fire gases a [smoke.<name>] entry may give: model field → (what it is, unit stored).
SMOKE_QUANTITIES: dict[str, str] = {
    "co": "carbon monoxide, volume fraction (mol/mol)",
    "co2": "carbon dioxide, volume fraction (mol/mol)",
    "o2": "oxygen, volume fraction (mol/mol); ambient 0.209 where not given",
    "hcn": "hydrogen cyanide, volume fraction (mol/mol)",
    "no": "nitric oxide, volume fraction (mol/mol)",
    "no2": "nitrogen dioxide, volume fraction (mol/mol)",
    "irritants": "other irritants' fractional lethal dose rate Σ C_i/LCt_i (1/s), as FDS's FED takes them",
    "extinction": "smoke extinction coefficient K (1/m), for the walking speed",
}


@dataclass(frozen=True)
class Smoke:
    """Fire gases as an input layer: not computed by aforo, given (by a fire model or by hand).

    Either a *region* (``space``, optionally ``polygon``; the whole space without one) with
    values that are constant or piecewise linear over ``times``, or a *file* of grid snapshots
    (Parquet, columns described in docs/scenario-format.md) that names its own spaces.

    Each quantity is ``()`` (not given: clean air, 20.9 % O2), one value (constant) or one value
    per entry of ``times`` (linear in between, held before the first and after the last).
    Where entries overlap, the later one in the file decides the air at a point.
    """

    name: str
    space: str | None = None
    polygon: Ring | None = None
    times: tuple[float, ...] = ()  # s after the start
    co: tuple[float, ...] = ()
    co2: tuple[float, ...] = ()
    o2: tuple[float, ...] = ()
    hcn: tuple[float, ...] = ()
    no: tuple[float, ...] = ()
    no2: tuple[float, ...] = ()
    irritants: tuple[float, ...] = ()
    extinction: tuple[float, ...] = ()
    file: str | None = None  # path of a Parquet file of snapshots (resolved against the scenario file)


# [harm.<model>] keys: the parameter names of aforo.hazards' dataclasses (a test keeps them equal;
# the scenario layer does not import the hazards layer). Each name ends in its unit.
HARM_KEYS: dict[str, tuple[str, ...]] = {
    "compression": ("injury_compression_n_per_m", "lethal_force_high_n", "lethal_time_high_s",
                    "lethal_force_low_n", "lethal_time_low_s", "asphyxia_threshold_force_n",
                    "unconscious_fraction"),
    "falls": ("fall_force_n", "fall_rate_per_s", "rise_force_n", "rise_after_s"),
    "exposure": ("co_coefficient_per_min", "co_exponent", "o2_hypoxia_below_percent", "fed_incapacitation",
                 "smoke_alpha_m_per_s", "smoke_beta_m2_per_s", "smoke_min_speed_factor",
                 "cs_fec_reference_mg_m3", "cs_ict50_mg_min_m3", "cs_lct50_mg_min_m3", "cs_irritation_mg_m3",
                 "cs_eye_closure_onset_s", "cs_eyes_closed_speed_factor", "cs_recovery_s"),
    "floor": ("hold_friction", "topple_s", "speed_factor_over_body", "weight_fraction", "footprint_factor"),
}


@dataclass(frozen=True)
class HarmSettings:
    """Overrides of the harm models' thresholds, by model and parameter name.

    The names and defaults (with their sources) live in :mod:`aforo.hazards`: ``compression``
    (CompressionParameters), ``falls`` (FallParameters), ``exposure`` (ExposureParameters) and
    ``floor`` (FloorParameters: bodies on the floor).
    Each name carries its unit (``lethal_time_high_s``); values are plain numbers in that unit.
    Only the values a scenario sets are stored, so the defaults have a single home.
    """

    compression: tuple[tuple[str, float], ...] = ()
    falls: tuple[tuple[str, float], ...] = ()
    exposure: tuple[tuple[str, float], ...] = ()
    floor: tuple[tuple[str, float], ...] = ()
    # False: no injury, asphyxia or falls from bodies' loads (tests of the movement law alone,
    # such as Helbing 2000's escape room, whose bodies never go limp). Gas doses still count.
    enabled: bool = True
    # False: limp bodies stay standing discs that press and are pressed, wherever they are (as
    # before bodies on the floor were modelled); for the sensitivity of an account to them.
    bodies_on_floor: bool = True


@dataclass(frozen=True)
class Level:
    """A floor at one elevation: walkable polygons with obstacles (holes), its doors and exits.

    The walkable area is the union of ``walkable`` minus the union of ``obstacles``.
    """

    name: str
    elevation: float
    walkable: tuple[Ring, ...]
    obstacles: tuple[Ring, ...] = ()
    doors: tuple[Door, ...] = ()
    exits: tuple[Exit, ...] = ()


@dataclass(frozen=True)
class Stair:
    """A flight joining a lower and an upper level.

    ``footprint`` is the flight in plan. ``lower_edge`` and ``upper_edge`` are where it meets each
    level: each lies on the footprint's boundary and on the boundary of that level's walkable area,
    and is open (agents cross it). The other footprint edges are walls. Elevation varies linearly
    from the lower edge (lower level's elevation) to the upper edge (upper level's elevation).
    ``steps * rise`` equals the difference of the two levels' elevations.

    Horizontal walking speed on the flight is the agent's desired speed times
    ``speed_factor_up`` or ``speed_factor_down``.
    """

    name: str
    lower_level: str
    upper_level: str
    footprint: Ring
    lower_edge: Segment
    upper_edge: Segment
    steps: int
    rise: float  # m per step (riser height)
    # Defaults: horizontal stair speeds over a 1.34 m/s level speed. Up: Weidmann's 0.61 m/s;
    # down: 0.65 m/s as in JuPedSim's RiMEA 3 port (shared/reference/crowd-physics.md, "Stairs").
    speed_factor_up: float = 0.61 / 1.34
    speed_factor_down: float = 0.65 / 1.34

    @property
    def run_length(self) -> float:
        """Horizontal distance between the midpoints of the two edges (m)."""
        (a, b), (c, d) = self.lower_edge, self.upper_edge
        lx, ly = 0.5 * (a[0] + b[0]), 0.5 * (a[1] + b[1])
        ux, uy = 0.5 * (c[0] + d[0]), 0.5 * (c[1] + d[1])
        return float(np.hypot(ux - lx, uy - ly))


@dataclass(frozen=True)
class Population:
    """A group of agents placed at random (seeded) in a spawn area at the start.

    ``space`` names a level or a stair. ``spawn`` is a ring inside that space; ``None`` means the
    whole walkable area of the space.
    """

    name: str
    space: str
    count: int
    spawn: Ring | None = None
    # Body radius (m). Weidmann's largest density, 5.4 /m² (crowd-physics.md), is hexagonal
    # packing of touching discs of radius 0.21 m, and crush densities of 6–8 /m² need bodies
    # that small or compressed; HFV 2000's 0.25–0.35 m packs at most 3.2–4.6 /m². Shoulder
    # half-widths of adults lie near 0.2–0.25 m. Set HFV's range explicitly to reproduce HFV.
    radius: Distribution = Distribution(kind="uniform", low=0.2, high=0.25)
    # Desired speed (m/s): Weidmann 1993, free speed 1.34 m/s, sd 0.26 (crowd-physics.md).
    desired_speed: Distribution = Distribution(kind="normal", mean=1.34, std=0.26, low=0.5, high=2.2)
    mass: Distribution = Distribution(kind="fixed", value=80.0)  # kg, HFV 2000
    relaxation_time: Distribution = Distribution(kind="fixed", value=0.5)  # s, HFV 2000
    seed: int | None = None  # None: derived from the run seed and the population's index
    # Orderly walkers keep a time headway to the body ahead (desired speed ≤ gap / headway_time,
    # the collision-free speed rule of Tordeux, Chraibi & Seyfried 2016, T ≈ 1 s) and so do not
    # push; with ``pushing = true`` they drive with the full HFV force m v0/τ however blocked,
    # as a competitive or panicking crowd does (Helbing et al. 2000).
    pushing: bool = False
    # s. 0.5 s with the default radii puts hexagonal crowds on Weidmann's speed–density curve
    # (gap/T: 0.62 m/s at 2 /m², 0.34 at 3, 0.17 at 4; Weidmann 0.61, 0.33, 0.16): docs/physics.md.
    headway_time: float = 0.5
    # Roles (issue 3). A guard goes to its ``post`` (an area) and holds it, pressing back with
    # up to ``effort`` N, and never leaves. A marshal goes to its post and stands there; the
    # groups it directs are moved by "send" events. Occupants head for ``destination``.
    role: str = "occupant"
    post: str | None = None  # area name (guards and marshals)
    effort: float = 400.0  # N, a guard's holding force
    # "exit" (the nearest way out believed usable), an exit or door name, or an area (go there
    # and wait). Agents that reach an area stop there until sent on.
    destination: str = "exit"
    # Pre-movement time (s after the start, or after the population enters): agents stand
    # (bodies present) until then. None: they move at once.
    start: Distribution | None = None
    present: bool = True  # False: not in the venue until an "enter" event
    unknown_doors: tuple[str, ...] = ()  # doors this population does not know exist


@dataclass(frozen=True)
class PhysicsParameters:
    """Helbing–Farkas–Vicsek 2000 social force with contact; defaults from crowd-physics.md."""

    social_repulsion_strength: float = 2000.0  # A (N)
    social_repulsion_range: float = 0.08  # B (m)
    body_stiffness: float = 1.2e5  # k (kg/s²)
    sliding_friction: float = 2.4e5  # κ (kg/(m·s))
    # Pairs further apart than r_i + r_j + interaction_range (m) are ignored: there the social
    # repulsion A·exp(−gap/B) is below 2000·exp(−0.6/0.08) ≈ 1.1 N, under 1 % of the driving force.
    interaction_range: float = 0.6
    # Hard wall: an agent's centre is kept at least this fraction of its radius from any wall.
    wall_clearance_fraction: float = 0.5
    # Contact sub-stepping: the stiff (touching) part is integrated in sub-steps so that
    # sub_step × (largest contact rate) stays below this number (see docs/physics.md). 0.5
    # since issue #6's third round: over 48 seeds its outcomes could not be told from 0.25's
    # or from a 0.1 reference's (docs/physics.md), with 40 % fewer sub-steps.
    contact_stability: float = 0.5
    max_substeps: int = 200


@dataclass(frozen=True)
class NavigationSettings:
    cell_size: float = 0.1  # m, raster resolution of the distance fields


@dataclass(frozen=True)
class RunSettings:
    duration: float = 300.0  # s simulated
    time_step: float = 0.01  # s, outer step; contact is sub-stepped inside it
    record_interval: float = 0.1  # s between recorded frames
    seed: int = 0
    # Stop early once every agent has left (True) or always run to ``duration`` (False).
    stop_when_empty: bool = True


@dataclass(frozen=True)
class Scenario:
    """A whole scenario. Build one with :func:`aforo.scenario.load` or ``Scenario.build``."""

    name: str
    levels: tuple[Level, ...]
    stairs: tuple[Stair, ...] = ()
    populations: tuple[Population, ...] = ()
    run: RunSettings = field(default_factory=RunSettings)
    physics: PhysicsParameters = field(default_factory=PhysicsParameters)
    navigation: NavigationSettings = field(default_factory=NavigationSettings)
    description: str = ""
    areas: tuple[Area, ...] = ()
    events: tuple[Event, ...] = ()
    beliefs: BeliefSettings = field(default_factory=BeliefSettings)
    clock_start: str | None = None  # "HH:MM" or "HH:MM:SS" at t = 0, for clock-time events
    canisters: tuple[Canister, ...] = ()
    gas: GasSettings = field(default_factory=GasSettings)
    smoke: tuple[Smoke, ...] = ()
    harm: HarmSettings = field(default_factory=HarmSettings)

    @staticmethod
    def build(**kwargs) -> "Scenario":
        """Build and validate a scenario from keyword arguments (the Python API).

        Raises :class:`aforo.errors.ScenarioError` listing every problem found.
        """
        from aforo.scenario.validate import validate

        scenario = Scenario(**kwargs)
        validate(scenario)
        return scenario

    def level(self, name: str) -> Level:
        for level in self.levels:
            if level.name == name:
                return level
        raise KeyError(name)

    def stair(self, name: str) -> Stair:
        for stair in self.stairs:
            if stair.name == name:
                return stair
        raise KeyError(name)

    @property
    def space_names(self) -> tuple[str, ...]:
        """Levels then stairs: the spaces an agent can be in."""
        return tuple(lv.name for lv in self.levels) + tuple(st.name for st in self.stairs)

    @property
    def doors(self) -> tuple[Door, ...]:
        return tuple(d for lv in self.levels for d in lv.doors)

    @property
    def exits(self) -> tuple[Exit, ...]:
        return tuple(e for lv in self.levels for e in lv.exits)

    def area(self, name: str) -> Area:
        for area in self.areas:
            if area.name == name:
                return area
        raise KeyError(name)

    def population(self, name: str) -> Population:
        for pop in self.populations:
            if pop.name == name:
                return pop
        raise KeyError(name)

    @property
    def agent_count(self) -> int:
        return sum(p.count for p in self.populations)
