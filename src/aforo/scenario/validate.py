"""Check a Scenario once, listing every problem: the path, the value, the rule and a hint.

``validate(scenario)`` raises :class:`aforo.errors.ScenarioError` with all problems found;
``find_problems(scenario)`` returns them. The loader calls these after building the objects, so
the same rules hold for scenario files and for ``Scenario.build`` in Python.

Paths are those of the scenario file: ``run.time_step``, ``levels.hall.doors.street.jambs``,
``stairs.stair.lower_edge``, ``populations.occupants.count``, ``levels.hall.walkable[0]``,
``areas.door_post.polygon``, ``events[2].door`` (the third ``[[events]]`` of the file).
"""

from __future__ import annotations

import difflib
import math
import numbers
import re
from dataclasses import dataclass, replace, fields
from typing import Iterable, Sequence

from aforo.errors import Problem, ScenarioError
from aforo.scenario import geometry as geo
from aforo.scenario.model import (
    DOOR_STATE_AFTER,
    DOOR_STATES,
    DOOR_SWINGS,
    EVENT_ACTIONS,
    ROLES,
    Area,
    BeliefSettings,
    Canister,
    Distribution,
    Door,
    Event,
    Exit,
    GasSettings,
    HARM_KEYS,
    SMOKE_QUANTITIES,
    HarmSettings,
    Level,
    NavigationSettings,
    PhysicsParameters,
    Population,
    RunSettings,
    Scenario,
    Smoke,
    Stair,
)
from aforo.scenario.smoke_file import SmokeFileError, read_smoke_file
from aforo.scenario.units import UnitError, format_clock, parse_clock

# Names of levels, stairs, doors, exits and populations: letters (any script), digits, _ and -.
NAME_PATTERN = re.compile(r"^[^\W][\w-]*$")
MAX_CELL_SIZE_M = 0.1  # the navigation rasters must resolve a 0.9 m door into several cells
MAX_GAS_CELL_SIZE_M = 0.25  # the gas grid must resolve the cloud near a canister and a 1.1 m stair
STAIR_HEIGHT_TOLERANCE_M = 0.05  # |steps · rise − height difference of the levels|
RECORD_INTERVAL_RELATIVE_TOLERANCE = 1e-9
# Hexagonal packing of discs of radius r covers 2·√3·r² per disc; spawning more than 90 % of that
# leaves the random placement no room (and would start the run in a crush nobody asked for).
PACKING_FRACTION = 0.9
# A truncated normal is sampled by rejection; below this probability mass in [low, high] the
# sampling would crawl (or never end), and the truncation is almost surely a mistake.
MIN_TRUNCATED_NORMAL_MASS = 0.01

HINGES = ("first", "second")
EXTERIOR_SWINGS = ("inward", "outward")  # and "none"
INTERIOR_SWINGS = ("left", "right")  # and "none"
# The fields of a door that describe its leaves: meaningless for a door without leaves (swing "none").
LEAF_FIELDS = ("leaves", "hinge", "max_angle", "leaf_mass", "handle_force")
STAFF_ROLES = ("guard", "marshal")  # roles that hold a post and need not reach an exit
# The destination meaning "the nearest way out"; other destinations are exit, door or area names.
ANY_EXIT = "exit"
DOOR_ACTIONS = ("open", "close", "latch", "lock", "unlock", "force_open")
# Which of an event's door, population and to each action needs; the others must be absent.
EVENT_NEEDS: dict[str, tuple[str, ...]] = {
    **{action: ("door",) for action in DOOR_ACTIONS},
    "enter": ("population",),
    "start": ("population",),
    "stop": ("population",),
    "release_role": ("population",),
    "send": ("population", "to"),
}
EVENT_REFERENCES = ("door", "population", "to")
# The state a door is in after each door action (for the timeline checks), as the engine applies
# them (aforo.engine.behaviour): an unlocked door is closed; "open" opens even a locked door.
STATE_AFTER = DOOR_STATE_AFTER


@dataclass(frozen=True)
class Damage:
    """What the loader could not build from its input (already reported as problems).

    ``paths``: file paths of objects or fields that failed to load; problems found at or under
    them are dropped (they would only echo the first report). ``left_out_spaces``: paths of the
    levels and stairs left out for bad input ("levels.hall", "stairs.stair"): references to them
    are not called unknown, and their names still take part in the check for duplicates.
    """

    paths: frozenset[str] = frozenset()
    left_out_spaces: tuple[str, ...] = ()
    # Paths of every other named object left out ("levels.hall.doors.street", "levels.hall.exits.e",
    # "areas.queue", "populations.police"): references to them are not called unknown.
    left_out: tuple[str, ...] = ()
    # The file index of each stored event (the loader sorts events by time and leaves out those it
    # could not read), so that problems name events as the file numbers them. Empty: identity.
    event_sources: tuple[int, ...] = ()

    @property
    def missing_spaces(self) -> frozenset[str]:
        return frozenset(p.split(".", 1)[1] for p in self.left_out_spaces)

    def missing(self, kind: str) -> frozenset[str]:
        """Names of left-out objects of ``kind``: "doors", "exits", "areas" or "populations"."""
        out = set()
        for path in self.left_out:
            parts = path.split(".")
            if kind in ("doors", "exits") and len(parts) >= 4 and parts[0] == "levels" and parts[2] == kind:
                out.add(".".join(parts[3:]))
            elif parts[0] == kind and len(parts) >= 2:
                out.add(".".join(parts[1:]))
        return frozenset(out)

    @property
    def events_complete(self) -> bool:
        """Whether every event of the file was read (needed to say an event is missing)."""
        return not any(p == "events" or p.startswith("events[") for p in self.paths)

    def covers(self, path: str) -> bool:
        return any(path == p or path.startswith((p + ".", p + "[")) for p in self.paths)

    @property
    def geometry_complete(self) -> bool:
        """Whether every level, door, exit and stair was built (needed to judge reachability)."""
        return not any(p == "levels" or p == "stairs" or p.startswith(("levels.", "stairs.")) for p in self.paths)


NO_DAMAGE = Damage()


def validate(scenario: Scenario) -> None:
    """Raise ScenarioError listing every problem of ``scenario``; return None if it has none."""
    problems = find_problems(scenario)
    if problems:
        raise ScenarioError(problems)


def find_problems(scenario: Scenario, damage: Damage = NO_DAMAGE) -> list[Problem]:
    """Every problem of ``scenario``, in file order (scenario, run, ..., levels, stairs, populations)."""
    checker = _Checker(scenario, damage)
    checker.check_all()
    return [p for i, p in enumerate(checker.problems) if i in checker.never_echo or not damage.covers(p.path)]


def _fmt(value: object) -> str:
    """A value for a message: floats short, anything else as repr, cut to 60 characters."""
    if isinstance(value, float):
        return f"{value:g}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _with_unit(value: object, unit: str) -> str:
    text = _fmt(float(value)) if _is_real(value) else _fmt(value)
    return f"{text} {unit}" if unit else text


def _is_real(value: object) -> bool:
    """A finite real number; numpy scalars count (Python API), booleans do not."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _normal_mass(dist: Distribution) -> float:
    """Probability that N(mean, std) falls in [low, high]."""

    def cdf(x: float | None, default: float) -> float:
        if x is None:
            return default
        return 0.5 * (1.0 + math.erf((x - dist.mean) / (dist.std * math.sqrt(2.0))))

    return cdf(dist.high, 1.0) - cdf(dist.low, 0.0)


class _Checker:
    """Walks a scenario once and collects problems; keeps the shapes it built for later checks."""

    def __init__(self, scenario: Scenario, damage: Damage):
        self.scenario = scenario
        self.damage = damage
        self.problems: list[Problem] = []
        self.never_echo: set[int] = set()  # indices of problems kept even under a damaged path
        self.shapes: dict[str, geo.LevelShape] = {}  # levels whose rings are all valid
        self.footprints: dict[str, geo.Polygon] = {}  # stairs whose footprint is valid
        self.geometry_ok = True  # every ring of every level and stair is valid

    def add(self, path: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(path, message, hint))

    # --- small rules --------------------------------------------------------------------------

    def real(self, path: str, value: object, hint: str = "") -> bool:
        if _is_real(value):
            return True
        self.add(path, f"expected a finite number, got {_fmt(value)}", hint)
        return False

    def positive(self, path: str, value: object, unit: str, hint: str = "") -> bool:
        if not self.real(path, value, hint):
            return False
        if value <= 0:
            self.add(path, f"must be > 0, got {_with_unit(value, unit)}", hint)
            return False
        return True

    def at_least_zero(self, path: str, value: object, unit: str, hint: str = "") -> bool:
        if not self.real(path, value, hint):
            return False
        if value < 0:
            self.add(path, f"must be ≥ 0, got {_with_unit(value, unit)}", hint)
            return False
        return True

    def integer(self, path: str, value: object, minimum: int, hint: str = "") -> bool:
        if not _is_int(value):
            self.add(path, f"expected an integer, got {_fmt(value)}", hint)
            return False
        if value < minimum:
            self.add(path, f"must be ≥ {minimum}, got {value}", hint)
            return False
        return True

    def name(self, path: str, value: object) -> None:
        if not isinstance(value, str) or not NAME_PATTERN.match(value):
            self.add(
                path,
                f"name {_fmt(value)} is not allowed: names are letters, digits, '_' and '-', "
                "not starting with '-'",
                "rename it, e.g. 'hall', 'stair-1', 'street_door'",
            )

    def ring(self, path: str, ring: object) -> bool:
        """Structure (≥ 3 points of two finite numbers) then shape (simple, non-degenerate)."""
        if not isinstance(ring, (tuple, list)) or not all(
            isinstance(p, (tuple, list)) and len(p) == 2 and all(_is_real(c) for c in p) for p in ring
        ):
            self.add(path, f"expected a ring of [x, y] points in metres, got {_fmt(ring)}")
            return False
        problem = geo.ring_problem(ring)
        if problem:
            self.add(path, f"polygon {problem}", "list the vertices in order around the outline, without crossings")
            return False
        return True

    def segment(self, path: str, segment: object) -> bool:
        if not (
            isinstance(segment, (tuple, list))
            and len(segment) == 2
            and all(isinstance(p, (tuple, list)) and len(p) == 2 and all(_is_real(c) for c in p) for p in segment)
        ):
            self.add(path, f"expected a segment [[x1, y1], [x2, y2]] in metres, got {_fmt(segment)}")
            return False
        if geo.segment_length(segment) <= 0:
            self.add(path, f"segment {geo.fmt_segment(segment)} has zero length; its width must be > 0 m",
                     "give two different end points")
            return False
        return True

    # --- the whole scenario -------------------------------------------------------------------

    def check_all(self) -> None:
        s = self.scenario
        if not isinstance(s.name, str) or not s.name.strip():
            self.add("scenario.name", f"the scenario needs a non-empty name, got {_fmt(s.name)}",
                     'add name = "..." under [scenario]')
        self.check_clock(s.clock_start)
        self.check_run(s.run)
        self.check_physics(s.physics)
        self.check_navigation(s.navigation)
        self.check_beliefs(s.beliefs)
        self.check_gas(s.gas)
        self.check_levels(s.levels)
        self.check_stairs(s.stairs)
        self.check_areas(s.areas)
        self.check_namespaces()
        self.check_populations(s.populations)
        self.check_canisters(s.canisters)
        for smoke in s.smoke:
            self.check_smoke(smoke)
        self.check_harm(s.harm)
        self.check_events(s.events)
        if self.damage.geometry_complete and self.geometry_ok:
            self.check_reachability()

    # --- clock and beliefs --------------------------------------------------------------------

    def check_clock(self, clock_start: object) -> None:
        if clock_start is None:
            return
        try:
            parse_clock(clock_start)
        except UnitError as exc:
            self.add("clock.start", exc.message, exc.hint)

    def check_beliefs(self, beliefs: BeliefSettings) -> None:
        self.at_least_zero("beliefs.learn_time", beliefs.learn_time, "s",
                           "how long an agent stands at a shut door before believing it blocked, e.g. 3")
        self.at_least_zero("beliefs.share_rate", beliefs.share_rate, "/s",
                           "rate at which a neighbour adopts a belief, e.g. 0.2 or '0.2 /s'; 0: beliefs are not shared")
        self.at_least_zero("beliefs.share_radius", beliefs.share_radius, "m",
                           "distance within which beliefs are shared, e.g. 2")

    # --- gas and canisters --------------------------------------------------------------------

    def check_gas(self, gas: GasSettings) -> None:
        size = gas.cell_size
        hint = f"{MAX_GAS_CELL_SIZE_M} m or finer, e.g. 0.25 or '25 cm'"
        if self.positive("gas.cell_size", size, "m", hint) and size > MAX_GAS_CELL_SIZE_M + 1e-12:
            self.add("gas.cell_size", f"cell_size = {_fmt(float(size))} m is coarser than the "
                     f"{MAX_GAS_CELL_SIZE_M} m allowed (rule: 0 < cell_size ≤ {MAX_GAS_CELL_SIZE_M} m)", hint)
        self.positive("gas.diffusivity", gas.diffusivity, "m²/s",
                      "turbulent diffusivity of the air, e.g. '0.01 m^2/s' (measured indoors 0.001–0.013)")
        self.at_least_zero("gas.air_changes_per_h", gas.air_changes_per_h, "/h",
                           "ventilation in air changes per hour, e.g. 2 or '2 /h'; 0: a closed room")
        self.positive("gas.ceiling_height", gas.ceiling_height, "m", "the height of the air over each level, e.g. 3")

    def check_canisters(self, canisters: Sequence[Canister]) -> None:
        for canister in canisters:
            self.check_canister(canister)

    def check_canister(self, can: Canister) -> None:
        path = f"canisters.{getattr(can, 'name', '?')}"
        if not isinstance(can, Canister):
            self.add(path, f"expected a Canister, got {_fmt(can)}")
            return
        self.name(path, can.name)
        self.check_canister_at(f"{path}.at", can.at)
        self.positive(f"{path}.mass", can.mass, "kg", "the mass of CS agent, e.g. '2.5 g' (a 255 g grenade at 1 %)")
        self.positive(f"{path}.duration", can.duration, "s", "how long it emits, e.g. '30 s'")
        free = self.space_area(f"{path}.space", can.space, "a canister lies on a level or a stair")
        position = can.position
        if not (isinstance(position, (tuple, list)) and len(position) == 2 and all(_is_real(c) for c in position)):
            self.add(f"{path}.position", f"expected a point [x, y] in metres, got {_fmt(position)}")
            return
        if free is not None and geo.distance_to(free, position) > geo.CONTAINMENT_TOLERANCE_M:
            self.add(f"{path}.position", f"position {geo.fmt_point(position)} is not in the walkable area of space "
                     f"'{can.space}' (outside it or on an obstacle, {geo.distance_to(free, position):.3g} m away; "
                     f"tolerance {geo.CONTAINMENT_TOLERANCE_M} m)", "move it onto the floor of the space")

    def check_canister_at(self, path: str, at: object) -> None:
        if not self.real(path, at, "seconds after the start, or a clock time such as \"20:45\""):
            return
        duration = self.scenario.run.duration
        if at < 0:
            self.add(path, f"at = {_fmt(float(at))} s is before the start of the run (rule: 0 ≤ at ≤ "
                     "run.duration)", "a canister is released at 0 s or later")
        elif _is_real(duration) and not self.damage.covers("run.duration") and at > duration:
            when = self.event_time(float(at))
            wrapped = "; a clock time before [clock] start is read as the next day" if "day" in when else ""
            self.add(path, f"at = {when} is after the end of the run (rule: 0 ≤ at ≤ "
                     f"run.duration = {_fmt(float(duration))} s)", f"lengthen run.duration, or move the release{wrapped}")

    # --- fire gases and harm thresholds -------------------------------------------------------

    def check_smoke(self, smoke: Smoke) -> None:
        path = f"smoke.{getattr(smoke, 'name', '?')}"
        if not isinstance(smoke, Smoke):
            self.add(path, f"expected a Smoke entry, got {_fmt(smoke)}")
            return
        self.name(path, smoke.name)
        given = [q for q in SMOKE_QUANTITIES if getattr(smoke, q)]
        if smoke.file is not None:
            extra = [k for k in ("space", "polygon") if getattr(smoke, k) is not None]
            extra += ["times"] * bool(smoke.times) + given
            if extra:
                self.add(f"{path}.{extra[0]}", f"a smoke entry with a file takes its places, times and values from "
                         f"the file, but also gives {', '.join(extra)}",
                         "split it in two entries: one with file, one with space and values")
            self.check_smoke_file(path, smoke.file)
            return
        if smoke.space is None:
            self.add(path, "a smoke entry needs either file = \"snapshots.parquet\" or space = \"<level or stair>\"",
                     "give the space the values hold in (the whole space, or a polygon within it)")
            return
        free = self.space_area(f"{path}.space", smoke.space, "smoke fills a level or a stair")
        if smoke.polygon is not None and self.ring(f"{path}.polygon", smoke.polygon) and free is not None:
            if geo.polygon(smoke.polygon).intersection(free).area <= 0:
                self.add(f"{path}.polygon", f"the polygon does not overlap the walkable area of space '{smoke.space}'",
                         "draw it over the floor where the smoke is")
        if not given:
            self.add(path, "gives no quantity", "give at least one of " + ", ".join(SMOKE_QUANTITIES))
        times = smoke.times
        if times:
            if not all(_is_real(t) for t in times) or any(t < 0 for t in times):
                self.add(f"{path}.times", f"times must be seconds ≥ 0 after the start, got {_fmt(times)}")
            elif any(b <= a for a, b in zip(times, times[1:])):
                self.add(f"{path}.times", f"times must increase, got {_fmt(times)}", "list them in time order")
        for q in given:
            self.check_smoke_values(f"{path}.{q}", q, getattr(smoke, q), len(times))

    def check_smoke_values(self, path: str, quantity: str, values: tuple, n_times: int) -> None:
        if len(values) not in (1, n_times):
            rule = f"one value (constant) or one per time ({n_times})" if n_times else "one value (no times given)"
            self.add(path, f"{len(values)} values given; rule: {rule}",
                     "give as many values as times, or add times = [...]")
            return
        for i, v in enumerate(values):
            where = path if len(values) == 1 else f"{path}[{i}]"
            if not _is_real(v) or v < 0:
                self.add(where, f"must be a finite value ≥ 0, got {_fmt(v)}")
            elif quantity in ("co", "co2", "o2", "hcn", "no", "no2") and v > 1:
                self.add(where, f"a volume fraction is at most 1 (100 %), got {_fmt(v)}",
                         'write "20.9 %" or "1200 ppm", or a fraction such as 0.209')

    def check_smoke_file(self, path: str, file: object) -> None:
        if not isinstance(file, str):
            self.add(f"{path}.file", f"expected a file name, got {_fmt(file)}")
            return
        try:
            snapshots = read_smoke_file(file, path)
        except SmokeFileError as exc:
            self.problems.extend(exc.problems)
            return
        for space in snapshots.grids:
            if space not in self.scenario.space_names and self.damage.geometry_complete:
                self.add(f"{path}.file", f"the file names space '{space}', which is not a level or stair of this "
                         "scenario", "known spaces: " + ", ".join(self.scenario.space_names))

    def check_harm(self, harm: HarmSettings) -> None:
        if not isinstance(harm, HarmSettings):
            self.add("harm", f"expected HarmSettings, got {_fmt(harm)}")
            return
        if not isinstance(harm.enabled, bool):
            self.add("harm.enabled", f"expected true or false, got {_fmt(harm.enabled)}")
        if not isinstance(harm.bodies_on_floor, bool):
            self.add("harm.bodies_on_floor", f"expected true or false, got {_fmt(harm.bodies_on_floor)}")
        for model, keys in HARM_KEYS.items():
            for name, value in getattr(harm, model):
                path = f"harm.{model}.{name}"
                if name not in keys:
                    self.add(path, f"unknown parameter '{name}' of the {model} model", "known: " + ", ".join(keys))
                elif not _is_real(value):
                    self.add(path, f"expected a finite number, got {_fmt(value)}")

    # --- run, physics, navigation -------------------------------------------------------------

    def check_run(self, run: RunSettings) -> None:
        ok = self.positive("run.duration", run.duration, "s", "the simulated time, e.g. 300 or '5 min'")
        ok_dt = self.positive("run.time_step", run.time_step, "s", "the outer step, e.g. 0.01 or '10 ms'")
        ok_ri = self.positive("run.record_interval", run.record_interval, "s", "time between frames, e.g. 0.1")
        # A time that failed to load holds its default: comparing the others with it would mislead.
        loaded = not any(self.damage.covers(f"run.{key}") for key in ("duration", "time_step", "record_interval"))
        if loaded and ok and ok_dt and run.time_step > run.duration:
            self.add("run.time_step", f"time_step = {_fmt(run.time_step)} s is longer than duration = "
                     f"{_fmt(run.duration)} s", "use a step of about 0.01 s")
        if loaded and ok_dt and ok_ri:
            self.check_record_interval(run.record_interval, run.time_step)
        self.integer("run.seed", run.seed, 0, "any integer ≥ 0; runs with the same seed are identical")
        if not isinstance(run.stop_when_empty, bool):
            self.add("run.stop_when_empty", f"expected true or false, got {_fmt(run.stop_when_empty)}")

    def check_record_interval(self, interval_s: float, step_s: float) -> None:
        nearest = step_s * max(1, round(interval_s / step_s))
        hint = f"use a whole multiple of time_step = {_fmt(step_s)} s, e.g. {_fmt(nearest)}"
        if interval_s < step_s * (1 - RECORD_INTERVAL_RELATIVE_TOLERANCE):
            self.add("run.record_interval", f"record_interval = {_fmt(interval_s)} s is shorter than "
                     f"time_step = {_fmt(step_s)} s; frames are recorded at steps", hint)
            return
        steps = interval_s / step_s
        if abs(interval_s - round(steps) * step_s) > RECORD_INTERVAL_RELATIVE_TOLERANCE * interval_s:
            self.add("run.record_interval", f"record_interval = {_fmt(interval_s)} s is not a whole multiple "
                     f"of time_step = {_fmt(step_s)} s ({steps:.4g} steps; tolerance 1e-9 relative)", hint)

    def check_physics(self, physics: PhysicsParameters) -> None:
        units = {"social_repulsion_strength": "N", "social_repulsion_range": "m", "body_stiffness": "kg/s²",
                 "sliding_friction": "kg/(m·s)", "interaction_range": "m", "contact_stability": ""}
        for name, unit in units.items():
            self.positive(f"physics.{name}", getattr(physics, name), unit,
                          f"the default is {_fmt(getattr(PhysicsParameters, name))} {unit}".rstrip())
        fraction = physics.wall_clearance_fraction
        if self.real("physics.wall_clearance_fraction", fraction) and not 0.0 <= fraction <= 1.0:
            self.add("physics.wall_clearance_fraction", f"must lie in [0, 1] (a fraction of the body radius), "
                     f"got {_fmt(float(fraction))}", "the default is 0.5")
        self.integer("physics.max_substeps", physics.max_substeps, 1, "the default is 200")

    def check_navigation(self, navigation: NavigationSettings) -> None:
        size = navigation.cell_size
        hint = "0.1 m or finer, e.g. 0.05 or '5 cm'"
        if self.positive("navigation.cell_size", size, "m", hint) and size > MAX_CELL_SIZE_M + 1e-12:
            self.add("navigation.cell_size", f"cell_size = {_fmt(float(size))} m is coarser than the "
                     f"{MAX_CELL_SIZE_M} m allowed; distance fields must resolve doorways", hint)

    # --- levels, doors, exits -----------------------------------------------------------------

    def check_levels(self, levels: Sequence[Level]) -> None:
        if not levels and not any(p.startswith("levels.") for p in self.damage.left_out_spaces):
            self.add("levels", "a scenario needs at least one level",
                     "add [levels.ground] with walkable = [[0, 0], [10, 0], [10, 10], [0, 10]]")
        for level in levels:
            self.check_level(level)

    def check_level(self, level: Level) -> None:
        path = f"levels.{level.name}"
        self.name(path, level.name)
        self.real(f"{path}.elevation", level.elevation, "the floor's height in metres, e.g. 3.5")
        shape = self.level_shape(level, path)
        if shape is not None:
            self.shapes[level.name] = shape
        for door in level.doors:
            self.check_door(level, door, shape)
        for exit_ in level.exits:
            self.check_exit(level, exit_, shape)

    def level_shape(self, level: Level, path: str) -> geo.LevelShape | None:
        """Check the rings; return the level's shapes when they are all usable."""
        if not level.walkable:
            self.add(f"{path}.walkable", "a level needs at least one walkable ring",
                     "walkable = [[x, y], ...] outlining the floor, in metres")
            self.geometry_ok = False
            return None
        ok = all([self.ring(f"{path}.walkable[{i}]", r) for i, r in enumerate(level.walkable)])
        ok_obstacles = all([self.ring(f"{path}.obstacles[{i}]", r) for i, r in enumerate(level.obstacles)])
        if not (ok and ok_obstacles):
            self.geometry_ok = False
            return None
        shape = geo.level_shape(level)
        for i, ring in enumerate(level.obstacles):
            self.check_obstacle_inside(f"{path}.obstacles[{i}]", ring, shape)
        if shape.free.area < geo.MIN_AREA_M2:
            self.add(f"{path}.obstacles", f"the obstacles cover the whole walkable area of level '{level.name}'",
                     "remove or shrink obstacles")
            self.geometry_ok = False
            return None
        return shape

    def check_obstacle_inside(self, path: str, ring, shape: geo.LevelShape) -> None:
        obstacle = geo.polygon(ring)
        if not geo.covered_by(obstacle, shape.floor):
            outside = geo.protrusion_area(obstacle, shape.floor)
            self.add(path, f"obstacle is not inside the walkable area: {outside:.3g} m² of it lies outside "
                     "(an obstacle is a hole in the floor and must lie within it)",
                     "clip the obstacle to the walkable outline, or change the outline")

    def check_door(self, level: Level, door: Door, shape: geo.LevelShape | None) -> None:
        path = f"levels.{level.name}.doors.{door.name}"
        self.name(path, door.name)
        if door.level != level.name:
            self.add(f"{path}.level", f"door belongs to level '{level.name}' but names level {_fmt(door.level)}",
                     f"set level='{level.name}'")
        self.choice(f"{path}.state", door.state, DOOR_STATES, "state",
                    'open; closed (pushed open in its swing direction or by the handle); latched (only by the '
                    'handle); locked (only force_open); broken (forced open, cannot be shut)')
        self.check_leaves(path, door)
        if not self.segment(f"{path}.jambs", door.jambs):
            self.geometry_ok = False
            return
        if shape is None:
            return
        on_walls = True
        for end, jamb in zip(("first", "second"), door.jambs):
            distance = geo.distance_to(shape.walls, jamb)
            if distance > geo.WALL_TOLERANCE_M:
                self.add(f"{path}.jambs", f"{end} jamb {geo.fmt_point(jamb)} is {distance:.3f} m from the nearest "
                         f"wall of level '{level.name}'; both jambs must be within {geo.WALL_TOLERANCE_M} m of the "
                         "walkable boundary (a door is an opening in a wall)",
                         "put the jambs on the walkable outline, or give center = [x, y] and clear_width")
                self.geometry_ok = False
                on_walls = False
        if on_walls:
            self.check_swing_side(path, level, door, shape)

    def choice(self, path: str, value: object, options: Sequence[str], what: str, hint: str = "") -> bool:
        """``value`` is one of ``options``; otherwise a problem with a did-you-mean hint."""
        if isinstance(value, str) and value in options:
            return True
        close = difflib.get_close_matches(str(value), options, n=1, cutoff=0.5)
        hint = (f"did you mean '{close[0]}'? " if close else "") + (hint or f"one of: {', '.join(options)}")
        self.add(path, f"{what} {_fmt(value)} is not one of {', '.join(options)}", hint)
        return False

    def check_leaves(self, path: str, door: Door) -> None:
        """The leaves' description: swing, count, hinge, opening angle, mass and handle force."""
        self.choice(f"{path}.swing", door.swing, DOOR_SWINGS, "swing",
                    '"none" (no leaf), "inward" or "outward" (exterior doors), "left" or "right" (interior '
                    "doors, seen from the first jamb towards the second)")
        if door.swing == "none":
            defaults = {f.name: f.default for f in fields(Door)}
            given = [name for name in LEAF_FIELDS if getattr(door, name) != defaults[name]]
            if given:
                self.add(f"{path}.swing", f"swing is 'none' (an opening without leaves), but {_and(given)} "
                         f"{'is' if len(given) == 1 else 'are'} set; they describe leaves",
                         'give the swing: "inward" or "outward" for an exterior door, "left" or "right" for an '
                         f"interior one; or remove {_and(given)}")
        leaves_ok = _is_int(door.leaves) and door.leaves in (1, 2)
        if not leaves_ok:
            self.add(f"{path}.leaves", f"leaves must be 1 or 2, got {_fmt(door.leaves)}",
                     "1: one leaf hinged at one jamb; 2: a double door, two leaves hinged at both jambs")
        if self.choice(f"{path}.hinge", door.hinge, HINGES, "hinge",
                       'the jamb a single leaf turns on: "first" or "second"') and leaves_ok:
            if door.leaves == 2 and door.hinge != "first":
                self.add(f"{path}.hinge", f"hinge = {_fmt(door.hinge)} is for a single leaf; a double door "
                         "(leaves = 2) is hinged at both jambs", "remove hinge, or set leaves = 1")
        angle = door.max_angle
        if self.real(f"{path}.max_angle", angle) and not 0.0 < angle <= math.pi:
            degrees = math.degrees(angle)
            hint = ("a plain number is in radians: write '90 deg' for a right angle" if angle > math.pi
                    else "how far a leaf opens from shut, e.g. '90 deg' or '180 deg'")
            self.add(f"{path}.max_angle", f"max_angle must lie in (0, π] rad (0°–180°), got "
                     f"{_fmt(float(angle))} rad ({degrees:.4g}°)", hint)
        self.positive(f"{path}.leaf_mass", door.leaf_mass, "kg", "mass of one leaf, e.g. '40 kg'")
        self.at_least_zero(f"{path}.handle_force", door.handle_force, "N",
                           "force one person puts on the handle, e.g. '200 N'")

    def check_swing_side(self, path: str, level: Level, door: Door, shape: geo.LevelShape) -> None:
        """Exterior doors swing inward or outward; interior doors left or right."""
        exterior = geo.door_is_exterior(shape, door.jambs)
        if exterior and door.swing in INTERIOR_SWINGS:
            self.add(f"{path}.swing", f"swing '{door.swing}' is for an interior door, but door '{door.name}' lies "
                     f"along the walls of level '{level.name}': it is an exterior door (a way out)",
                     'use "inward" (opening into the level) or "outward"')
        elif not exterior and door.swing in EXTERIOR_SWINGS:
            self.add(f"{path}.swing", f"swing '{door.swing}' is for an exterior door, but door '{door.name}' spans a "
                     f"gap inside level '{level.name}': it is an interior door",
                     'use "left" or "right": the side of the line from the first jamb to the second that the '
                     "leaves open towards")

    def check_exit(self, level: Level, exit_: Exit, shape: geo.LevelShape | None) -> None:
        path = f"levels.{level.name}.exits.{exit_.name}"
        self.name(path, exit_.name)
        if exit_.level != level.name:
            self.add(f"{path}.level", f"exit belongs to level '{level.name}' but names level {_fmt(exit_.level)}",
                     f"set level='{level.name}'")
        if not self.segment(f"{path}.segment", exit_.segment):
            self.geometry_ok = False
            return
        if shape is not None and not geo.lies_along(exit_.segment, shape.outer):
            self.add(f"{path}.segment", f"exit {geo.fmt_segment(exit_.segment)} does not lie along the outer "
                     f"boundary of level '{level.name}' (every point must be within {geo.WALL_TOLERANCE_M} m of it)",
                     "exits are openings in the outer wall: put the segment on an outer edge of a walkable ring; "
                     "for an opening inside the level use a door")
            self.geometry_ok = False

    # --- stairs -------------------------------------------------------------------------------

    def check_stairs(self, stairs: Sequence[Stair]) -> None:
        for stair in stairs:
            self.check_stair(stair)

    def check_stair(self, stair: Stair) -> None:
        path = f"stairs.{stair.name}"
        self.name(path, stair.name)
        lower = self.known_level(f"{path}.lower_level", stair.lower_level)
        upper = self.known_level(f"{path}.upper_level", stair.upper_level)
        steps_ok = self.integer(f"{path}.steps", stair.steps, 1, "the number of risers, e.g. 20")
        rise_ok = self.positive(f"{path}.rise", stair.rise, "m", "the riser height, e.g. 0.175 or '17.5 cm'")
        for factor in ("speed_factor_up", "speed_factor_down"):
            self.positive(f"{path}.{factor}", getattr(stair, factor), "",
                          "horizontal speed on the stair over the desired speed, e.g. 0.46")
        if lower and upper:
            self.check_stair_levels(path, stair, lower, upper, steps_ok and rise_ok)
        footprint_ok = self.ring(f"{path}.footprint", stair.footprint)
        edges_ok = [self.segment(f"{path}.{e}", getattr(stair, e)) for e in ("lower_edge", "upper_edge")]
        if not (footprint_ok and all(edges_ok)):
            self.geometry_ok = False
            return
        footprint = geo.polygon(stair.footprint)
        self.footprints[stair.name] = footprint
        for edge_name, level in (("lower_edge", lower), ("upper_edge", upper)):
            self.check_stair_edge(path, stair, edge_name, footprint, level)

    def known_level(self, path: str, name: str) -> Level | None:
        for level in self.scenario.levels:
            if level.name == name:
                return level
        if name in self.damage.missing_spaces:
            return None
        known = [lv.name for lv in self.scenario.levels]
        self.add(path, f"unknown level {_fmt(name)}", _did_you_mean(name, known, "levels"))
        self.geometry_ok = False
        return None

    def check_stair_levels(self, path: str, stair: Stair, lower: Level, upper: Level, sizes_ok: bool) -> None:
        if not (_is_real(lower.elevation) and _is_real(upper.elevation)):
            return
        if lower.elevation >= upper.elevation:
            self.add(f"{path}.lower_level", f"lower level '{lower.name}' (elevation {_fmt(float(lower.elevation))} m) "
                     f"is not below upper level '{upper.name}' (elevation {_fmt(float(upper.elevation))} m)",
                     "swap lower_level and upper_level, or fix the elevations")
            return
        if not sizes_ok:
            return
        height = upper.elevation - lower.elevation
        climbed = stair.steps * stair.rise
        if abs(climbed - height) > STAIR_HEIGHT_TOLERANCE_M:
            self.add(f"{path}.rise", f"steps × rise = {stair.steps} × {_fmt(float(stair.rise))} m = {climbed:.3f} m, "
                     f"but the levels differ by {height:.3f} m (rule: within {STAIR_HEIGHT_TOLERANCE_M} m)",
                     f"for {stair.steps} steps use rise = {height / stair.steps:.4f} m")

    def check_stair_edge(self, path: str, stair: Stair, edge_name: str, footprint, level: Level | None) -> None:
        edge = getattr(stair, edge_name)
        if not geo.lies_along(edge, footprint.exterior):
            self.add(f"{path}.{edge_name}", f"{edge_name} {geo.fmt_segment(edge)} does not lie on the boundary of "
                     f"the footprint (within {geo.WALL_TOLERANCE_M} m)",
                     "the edge must be one side of the footprint (usually a whole side)")
            self.geometry_ok = False
        shape = self.shapes.get(level.name) if level is not None else None
        if shape is not None and not geo.lies_along(edge, shape.walls):
            self.add(f"{path}.{edge_name}", f"{edge_name} {geo.fmt_segment(edge)} does not lie on the walkable "
                     f"boundary of level '{level.name}' (within {geo.WALL_TOLERANCE_M} m); the stair must meet "
                     "the floor along an edge of its outline",
                     f"add the edge's end points as vertices of a walkable ring of '{level.name}' and put "
                     "the edge on that ring")
            self.geometry_ok = False

    # --- areas --------------------------------------------------------------------------------

    def check_areas(self, areas: Sequence[Area]) -> None:
        for area in areas:
            self.check_area(area)

    def check_area(self, area: Area) -> None:
        path = f"areas.{area.name}"
        self.name(path, area.name)
        if area.name == ANY_EXIT:
            self.never_echo.add(len(self.problems))
            self.add(path, f"the name '{ANY_EXIT}' is reserved: destination = \"{ANY_EXIT}\" means the nearest way out",
                     "rename the area, e.g. 'exit_queue'")
        free = self.space_area(f"{path}.space", area.space, "an area lies on a level or a stair")
        if not self.ring(f"{path}.polygon", area.polygon) or free is None:
            return
        if not geo.covered_by(geo.polygon(area.polygon), free):
            outside = geo.protrusion_area(geo.polygon(area.polygon), free)
            self.add(f"{path}.polygon", f"area is not inside the walkable area of space '{area.space}': "
                     f"{outside:.3g} m² lies outside (or on obstacles); tolerance {geo.CONTAINMENT_TOLERANCE_M} m",
                     "shrink the polygon to lie within the space")

    # --- names --------------------------------------------------------------------------------

    def check_namespaces(self) -> None:
        s = self.scenario
        spaces = [(f"levels.{lv.name}", lv.name, "level") for lv in s.levels]
        spaces += [(f"stairs.{st.name}", st.name, "stair") for st in s.stairs]
        spaces += [(p, p.split(".", 1)[1], p.split(".")[0][:-1]) for p in self.damage.left_out_spaces]
        spaces.sort(key=lambda entry: not entry[0].startswith("levels."))  # levels first, as in the file
        self.unique(spaces, "levels and stairs share one namespace (a population names its space)")
        places = [(f"levels.{lv.name}.doors.{d.name}", d.name, "door") for lv in s.levels for d in lv.doors]
        places += [(f"levels.{lv.name}.exits.{e.name}", e.name, "exit") for lv in s.levels for e in lv.exits]
        places += [(f"areas.{a.name}", a.name, "area") for a in s.areas]
        self.unique(places, "doors, exits and areas share one namespace across all levels (destinations and "
                    "events name them)")
        people = [(f"populations.{p.name}", p.name, "population") for p in s.populations]
        self.unique(people, "population names must be unique")
        gas = [(f"canisters.{c.name}", c.name, "canister") for c in s.canisters]
        self.unique(gas, "canister names must be unique")
        smoke = [(f"smoke.{m.name}", m.name, "smoke entry") for m in s.smoke]
        self.unique(smoke, "smoke entry names must be unique")

    def unique(self, entries: Iterable[tuple[str, str, str]], rule: str) -> None:
        first: dict[str, tuple[str, str]] = {}
        for path, name, kind in entries:
            if name in first:
                other_path, other_kind = first[name]
                # A duplicate name is never an echo of a problem inside the object: always keep it.
                self.never_echo.add(len(self.problems))
                self.add(path, f"name '{name}' of this {kind} is already used by the {other_kind} at {other_path}; "
                         f"{rule}", "rename one of them")
            else:
                first[name] = (path, kind)

    # --- populations --------------------------------------------------------------------------

    def check_populations(self, populations: Sequence[Population]) -> None:
        for population in populations:
            self.check_population(population)

    def check_population(self, pop: Population) -> None:
        path = f"populations.{pop.name}"
        self.name(path, pop.name)
        count_ok = self.integer(f"{path}.count", pop.count, 0, "the number of agents, e.g. 120")
        if pop.seed is not None:
            self.integer(f"{path}.seed", pop.seed, 0, "omit it to derive one from the run seed")
        radius_ok = self.check_distribution(f"{path}.radius", pop.radius, "m")
        for name, unit in (("desired_speed", "m/s"), ("mass", "kg"), ("relaxation_time", "s")):
            self.check_distribution(f"{path}.{name}", getattr(pop, name), unit)
        if not isinstance(pop.pushing, bool):
            self.add(f"{path}.pushing", f"expected true or false, got {_fmt(pop.pushing)}")
        self.positive(f"{path}.headway_time", pop.headway_time, "s", "time gap kept to the body ahead, e.g. 0.5")
        self.check_role(path, pop)
        self.check_destination(f"{path}.destination", pop.destination)
        if pop.start is not None:
            self.check_distribution(f"{path}.start", pop.start, "s", allow_zero=True)
        if not isinstance(pop.present, bool):
            self.add(f"{path}.present", f"expected true or false, got {_fmt(pop.present)}")
        self.check_unknown_doors(f"{path}.unknown_doors", pop.unknown_doors)
        area = self.space_area(f"{path}.space", pop.space)
        if area is None:
            return
        spawn = self.spawn_area(path, pop, area)
        if spawn is not None and count_ok and radius_ok:
            # A population that enters later steps in one at a time as its spawn area frees, so
            # one body must fit there; one present from the start must fit all at once.
            self.check_capacity(path, pop if pop.present else replace(pop, count=min(pop.count, 1)), spawn, area)

    def check_role(self, path: str, pop: Population) -> None:
        self.choice(f"{path}.role", pop.role, ROLES, "role",
                    '"occupant" (the default), "guard" or "marshal" (they hold a post)')
        if pop.role in STAFF_ROLES and pop.post is None:
            self.add(f"{path}.post", f"a {pop.role} needs a post: the area where the {pop.role}s stand",
                     'add post = "<area name>", an area defined under [areas.<name>]')
        elif pop.role == "occupant" and pop.post is not None:
            self.add(f"{path}.post", f"post = {_fmt(pop.post)} is given but occupants have no post; it is only "
                     "for guards and marshals", 'set role = "guard" or "marshal", or remove post')
        elif pop.post is not None:
            self.check_area_name(f"{path}.post", pop.post)
        if self.at_least_zero(f"{path}.effort", pop.effort, "N",
                              "the force with which a guard holds the post, e.g. '400 N'"):
            default = Population.__dataclass_fields__["effort"].default
            if pop.role == "occupant" and pop.effort != default:
                self.add(f"{path}.effort", f"effort = {_fmt(float(pop.effort))} N is given but occupants exert "
                         "none; it is the force with which a guard holds the post",
                         'set role = "guard" or "marshal", or leave effort at its default')

    def check_area_name(self, path: str, name: object) -> None:
        areas = [a.name for a in self.scenario.areas]
        if name in areas or name in self.damage.missing("areas"):
            return
        doors = {d.name for d in self.scenario.doors}
        hint = _did_you_mean(name, areas, "areas")
        if name in doors:
            hint = f"'{name}' is a door: to guard it, define an area in front of it under [areas.<name>]; " + hint
        self.add(path, f"unknown area {_fmt(name)}; a post is an area", hint)

    def destination_names(self) -> list[str]:
        s = self.scenario
        names = [ANY_EXIT] + [e.name for e in s.exits] + [d.name for d in s.doors] + [a.name for a in s.areas]
        return list(dict.fromkeys(names))  # a name used twice is reported elsewhere

    def check_destination(self, path: str, name: object) -> None:
        if not isinstance(name, str):
            self.add(path, f"expected a name, got {_fmt(name)}", f'"{ANY_EXIT}", or an exit, door or area name')
            return
        missing = self.damage.missing("doors") | self.damage.missing("exits") | self.damage.missing("areas")
        known = self.destination_names()
        if name in known or name in missing:
            return
        self.add(path, f"unknown destination {_fmt(name)}; a destination is \"{ANY_EXIT}\" (the nearest way out), "
                 "an exit, a door or an area", _did_you_mean(name, known, "destinations"))

    def check_unknown_doors(self, path: str, names: object) -> None:
        if not isinstance(names, (tuple, list)) or not all(isinstance(n, str) for n in names):
            self.add(path, f"expected a list of door names, got {_fmt(names)}")
            return
        doors = [d.name for d in self.scenario.doors]
        exits = {e.name for e in self.scenario.exits}
        seen: set[str] = set()
        for i, name in enumerate(names):
            if name in seen:
                self.add(f"{path}[{i}]", f"door '{name}' is listed twice", "list each door once")
            seen.add(name)
            if name in doors or name in self.damage.missing("doors"):
                continue
            if name in exits:
                self.add(f"{path}[{i}]", f"'{name}' is an exit, not a door; unknown_doors lists doors",
                         "exits are always known; remove it, or make it a door")
            else:
                self.add(f"{path}[{i}]", f"unknown door {_fmt(name)}", _did_you_mean(name, doors, "doors"))

    def space_area(self, path: str, space: str, rule: str = "a population is placed on a level or a stair"):
        """The free area of the named level or stair, or None (reported if the name is unknown)."""
        if not isinstance(space, str):
            self.add(path, f"expected a level or stair name, got {_fmt(space)}")
            return None
        if space in self.shapes:
            return self.shapes[space].free
        if space in self.footprints:
            return self.footprints[space]
        names = self.scenario.space_names
        if space not in names and space not in self.damage.missing_spaces:
            self.add(path, f"unknown space {_fmt(space)}; {rule}", _did_you_mean(space, list(names), "spaces"))
        return None

    def spawn_area(self, path: str, pop: Population, area):
        if pop.spawn is None:
            return area
        if not self.ring(f"{path}.spawn", pop.spawn):
            return None
        spawn = geo.polygon(pop.spawn)
        if not geo.covered_by(spawn, area):
            outside = geo.protrusion_area(spawn, area)
            self.add(f"{path}.spawn", f"spawn area is not inside the walkable area of space '{pop.space}': "
                     f"{outside:.3g} m² lies outside (or on obstacles); tolerance {geo.CONTAINMENT_TOLERANCE_M} m",
                     "shrink the spawn ring to lie within the space, or omit spawn to use the whole space")
        return spawn

    def check_capacity(self, path: str, pop: Population, spawn, area) -> None:
        radius_m = pop.radius.minimum
        # Centres must lie in the spawn area and at least r from every wall (engine/spawn.py).
        usable = spawn.intersection(area.buffer(-radius_m))
        usable_m2 = float(usable.area)
        capacity = math.floor(usable_m2 / (2.0 * math.sqrt(3.0) * radius_m**2) * PACKING_FRACTION)
        if not usable.is_empty:
            capacity = max(capacity, 1)  # one body fits wherever one centre can stand
        if pop.count > capacity:
            self.add(f"{path}.count", f"{pop.count} agents do not fit: at most {capacity} fit in the spawn area "
                     f"(rule: count ≤ usable area · 1/(2·√3·r²) · {PACKING_FRACTION}, "
                     "hexagonal packing at 90 %, "
                     f"with r = {radius_m:g} m the smallest radius and usable area = {usable_m2:.3g} m², the part "
                     "of the spawn area at least r from every wall)",
                     "lower count, enlarge the spawn area, or split the population")

    def check_distribution(self, path: str, dist: Distribution, unit: str, allow_zero: bool = False) -> bool:
        """A per-agent quantity: well formed and able to draw only positive (or, with ``allow_zero``,
        non-negative) values."""
        if not isinstance(dist, Distribution):
            self.add(path, f"expected a Distribution, got {_fmt(dist)}")
            return False
        bound = self.at_least_zero if allow_zero else self.positive
        if dist.kind == "fixed":
            return bound(path, dist.value, unit)
        if dist.kind == "uniform":
            return self.check_uniform(path, dist, unit, allow_zero)
        if dist.kind == "normal":
            return self.check_normal(path, dist, unit, allow_zero)
        self.add(f"{path}.distribution", f"unknown distribution {_fmt(dist.kind)}", "use uniform or normal")
        return False

    def check_uniform(self, path: str, dist: Distribution, unit: str, allow_zero: bool = False) -> bool:
        if not (self.real(f"{path}.low", dist.low) and self.real(f"{path}.high", dist.high)):
            return False
        if dist.low > dist.high:
            self.add(path, f"uniform low = {_with_unit(dist.low, unit)} is above high = {_with_unit(dist.high, unit)}",
                     "swap low and high")
            return False
        if allow_zero:
            return self.at_least_zero(f"{path}.low", dist.low, unit, "every drawn value must be ≥ 0")
        return self.positive(f"{path}.low", dist.low, unit, "every drawn value must be > 0")

    def check_normal(self, path: str, dist: Distribution, unit: str, allow_zero: bool = False) -> bool:
        ok = self.real(f"{path}.mean", dist.mean) and self.positive(f"{path}.std", dist.std, unit,
                                                                       "for a constant, give a plain number")
        if dist.low is None:
            self.add(f"{path}.low", f"a normal distribution without low can draw values {'<' if allow_zero else '≤'} "
                     f"0 {unit}", "truncate it: add low (and high), e.g. low = 0.5 × mean")
            return False
        if allow_zero:
            ok = self.at_least_zero(f"{path}.low", dist.low, unit, "every drawn value must be ≥ 0") and ok
        else:
            ok = self.positive(f"{path}.low", dist.low, unit, "every drawn value must be > 0") and ok
        if dist.high is not None and self.real(f"{path}.high", dist.high) and dist.high <= dist.low:
            self.add(path, f"normal low = {_with_unit(dist.low, unit)} is not below "
                     f"high = {_with_unit(dist.high, unit)}",
                     "swap low and high")
            return False
        if ok and _normal_mass(dist) < MIN_TRUNCATED_NORMAL_MASS:
            self.add(path, f"[low, high] holds {_normal_mass(dist):.2%} of the normal's probability (rule: at least "
                     f"{MIN_TRUNCATED_NORMAL_MASS:.0%}); mean = {_fmt(float(dist.mean))} {unit} lies far outside it",
                     "move mean inside [low, high] or widen the bounds")
            return False
        return ok

    # --- events -------------------------------------------------------------------------------

    def event_path(self, index: int) -> str:
        """``events[i]`` with i the event's index in the file (events are stored sorted by time)."""
        sources = self.damage.event_sources
        return f"events[{sources[index] if index < len(sources) else index}]"

    def event_time(self, at: float) -> str:
        """A time for messages: "720 s", with the clock time when the scenario has a clock."""
        text = f"{_fmt(float(at))} s"
        try:
            start = parse_clock(self.scenario.clock_start) if self.scenario.clock_start is not None else None
        except UnitError:
            start = None
        if start is None:
            return text
        days = int((start + at) // 86400)
        later = {0: "", 1: " the next day"}.get(days, f" {days} days later")
        return f"{text} (clock {format_clock(start + at)}{later})"

    def check_events(self, events: Sequence[Event]) -> None:
        s = self.scenario
        pops = {p.name: p for p in s.populations}
        states = {d.name: (d.state, "") for d in s.doors}  # name → (state now, event that set it)
        entered: dict[str, tuple[float, str]] = {}  # population → (time, path) of its enter event
        previous: float | None = None
        for i, event in enumerate(events):
            path = self.event_path(i)
            if not isinstance(event, Event):
                self.add(path, f"expected an Event, got {_fmt(event)}")
                continue
            at_ok = self.check_event_at(path, event, previous)
            if at_ok:
                previous = float(event.at)
            if not isinstance(event.label, str):
                self.add(f"{path}.label", f"expected a string, got {_fmt(event.label)}")
            if not self.choice(f"{path}.action", event.action, EVENT_ACTIONS, "action"):
                continue
            refs_ok = self.check_event_fields(path, event)
            if not refs_ok:
                continue
            if event.action in DOOR_ACTIONS:
                self.door_timeline(path, event, states)
            else:
                self.population_timeline(path, event, pops[event.population], entered)
        if not self.damage.events_complete:
            return
        for pop in s.populations:
            if pop.present is False and pop.name not in entered:
                self.add(f"populations.{pop.name}.present", f"population '{pop.name}' has present = false but no "
                         "\"enter\" event brings it in, so it never appears",
                         f'add [[events]] with action = "enter", population = "{pop.name}" and at = <time>; '
                         "or set present = true")

    def check_event_at(self, path: str, event: Event, previous: float | None) -> bool:
        if not self.real(f"{path}.at", event.at, "seconds after the start, or a clock time such as \"20:52\""):
            return False
        at = float(event.at)
        duration = self.scenario.run.duration
        if at < 0:
            self.add(f"{path}.at", f"at = {_fmt(at)} s is before the start of the run (rule: 0 ≤ at ≤ "
                     "run.duration)", "events happen at 0 s or later")
        elif _is_real(duration) and not self.damage.covers("run.duration") and at > duration:
            when = self.event_time(at)
            wrapped = "; a clock time before [clock] start is read as the next day" if "day" in when else ""
            self.add(f"{path}.at", f"at = {when} is after the end of the run (rule: 0 ≤ at ≤ "
                     f"run.duration = {_fmt(float(duration))} s)", f"lengthen run.duration, or move the event{wrapped}")
        if previous is not None and at < previous:
            self.add(f"{path}.at", f"events must be in time order: at = {_fmt(at)} s comes after an event at "
                     f"{_fmt(previous)} s", "sort the events by at (the file loader sorts them for you)")
        return True

    def check_event_fields(self, path: str, event: Event) -> bool:
        """Each action's door/population/to present, the others absent, and the names known."""
        needs = EVENT_NEEDS[event.action]
        ok = True
        for key in EVENT_REFERENCES:
            value = getattr(event, key)
            if key in needs and value is None:
                example = {"door": 'door = "<door name>"', "population": 'population = "<population name>"',
                           "to": f'to = "{ANY_EXIT}" (or an exit, door or area name)'}[key]
                self.add(f"{path}.{key}", f"action '{event.action}' needs {key}", f"add {example}")
                ok = False
            elif key not in needs and value is not None:
                self.add(f"{path}.{key}", f"action '{event.action}' takes no {key} (got {_fmt(value)})",
                         f"'{event.action}' names only {_and(needs)}; remove {key}")
                ok = False
        if event.door is not None and not self.known_door(f"{path}.door", event.door):
            ok = False
        if event.population is not None and not self.known_population(f"{path}.population", event.population):
            ok = False
        if event.to is not None:
            before = len(self.problems)
            self.check_destination(f"{path}.to", event.to)
            ok = ok and len(self.problems) == before
        return ok

    def known_door(self, path: str, name: object) -> bool:
        doors = [d.name for d in self.scenario.doors]
        if name in doors:
            return True
        if name in self.damage.missing("doors"):
            return False
        if name in {e.name for e in self.scenario.exits}:
            self.add(path, f"'{name}' is an exit (always open), not a door", _did_you_mean(name, doors, "doors"))
        else:
            self.add(path, f"unknown door {_fmt(name)}", _did_you_mean(name, doors, "doors"))
        return False

    def known_population(self, path: str, name: object) -> bool:
        names = [p.name for p in self.scenario.populations]
        if name in names:
            return True
        if name not in self.damage.missing("populations"):
            self.add(path, f"unknown population {_fmt(name)}", _did_you_mean(name, names, "populations"))
        return False

    def door_timeline(self, path: str, event: Event, states: dict[str, tuple[str, str]]) -> None:
        """A door action must be possible in the state the door is in at that time: a broken door
        cannot be shut again."""
        state, since = states[event.door]
        why = f" (since {since})" if since else " (its state at the start)"
        if state == "broken" and event.action in ("close", "latch", "lock"):
            self.add(f"{path}.action", f"door '{event.door}' is broken at that time{why}; a broken door has no "
                     f"leaves left and cannot be shut again, so '{event.action}' is impossible",
                     "remove this event, or the force_open before it")
        if state != "broken":
            states[event.door] = (STATE_AFTER[event.action], path)

    def population_timeline(self, path: str, event: Event, pop: Population,
                            entered: dict[str, tuple[float, str]]) -> None:
        """enter once, only for present = false; nothing before it; release_role only for staff."""
        at = float(event.at) if _is_real(event.at) else 0.0
        if event.action == "enter":
            if pop.present is not False:
                self.add(f"{path}.population", f"population '{pop.name}' is present from the start "
                         "(present = true), so it cannot enter", f"set present = false in [populations.{pop.name}], "
                         "or remove this event")
            elif pop.name in entered:
                self.add(f"{path}.population", f"population '{pop.name}' already enters at {entered[pop.name][1]}",
                         "a population enters once; remove one of the enter events")
            else:
                entered[pop.name] = (at, path)
            return
        if pop.present is False and pop.name not in entered and self.damage.events_complete:
            self.add(f"{path}.population", f"population '{pop.name}' is not in the venue yet at "
                     f"{self.event_time(at)}: it has present = false and no earlier \"enter\" event",
                     "move this event after the population's enter event")
        if event.action == "release_role" and pop.role == "occupant":
            self.add(f"{path}.population", f"population '{pop.name}' are occupants; release_role turns guards and "
                     "marshals into occupants", "name a population whose role is guard or marshal")

    # --- reachability -------------------------------------------------------------------------

    def check_reachability(self) -> None:
        """Every population of occupants must be able to reach an exit or an exterior door.

        Closed and latched doors are believed openable and broken ones are open, so they connect;
        a door locked from the start that no event unlocks or forces open never does. Guards and
        marshals hold their posts and need not reach a way out.
        """
        walls = _locked_throughout(self.scenario)
        graph = _SpaceGraph(self.scenario, self.shapes, self.footprints, walls)
        for pop in self.scenario.populations:
            if pop.role in STAFF_ROLES:
                continue
            if pop.space not in self.shapes and pop.space not in self.footprints:
                continue  # reported (unknown space) or unusable geometry
            if pop.spawn is not None and geo.ring_problem(pop.spawn):
                continue
            for node, where in graph.nodes_under(pop):
                if not graph.reaches_goal(node):
                    self.add(f"populations.{pop.name}.space",
                             f"no exit reachable from {where}: no path leads to an exit or an exterior door "
                             "(doors locked for the whole run never connect; closed and latched ones are believed "
                             "openable, broken ones are open)",
                             "add an exit or exterior door, unlock a door (or add an unlock or force_open event), "
                             "or connect the space with a door or a stair")


class _SpaceGraph:
    """Pieces of floor (level components, stairs) joined by doors and stair edges; goals are exits.

    A level's pieces are the components of its free area once its interior doors that stay locked
    (``walls``) are made walls. Other interior doors join the pieces they touch; other exterior
    doors (:func:`geo.door_is_exterior`) and all exits are goals; stairs join the pieces touching
    their edges.
    """

    def __init__(self, scenario: Scenario, shapes: dict[str, geo.LevelShape], footprints: dict,
                 walls: frozenset[str]):
        self.sets = geo.UnionFind()
        self.pieces: dict[str, list] = {}
        self.goals: set = set()
        self.walls = walls
        for level in scenario.levels:
            self.add_level(level, shapes[level.name])
        for stair in scenario.stairs:
            self.add_stair(stair)

    def add_level(self, level: Level, shape: geo.LevelShape) -> None:
        exterior = {d.name: geo.door_is_exterior(shape, d.jambs) for d in level.doors}
        locked_inside = [d.jambs for d in level.doors if d.name in self.walls and not exterior[d.name]]
        pieces = geo.cut_by_doors(shape.free, locked_inside)
        self.pieces[level.name] = pieces
        for i in range(len(pieces)):
            self.sets.add((level.name, i))
        for door in level.doors:
            if door.name in self.walls:
                continue
            touching = self.touching(level.name, door.jambs)
            if exterior[door.name]:
                self.goals.update(touching)
            for node in touching[1:]:
                self.sets.union(touching[0], node)
        for exit_ in level.exits:
            self.goals.update(self.touching(level.name, exit_.segment))

    def add_stair(self, stair: Stair) -> None:
        node = ("stair", stair.name)
        self.sets.add(node)
        for level_name, edge in ((stair.lower_level, stair.lower_edge), (stair.upper_level, stair.upper_edge)):
            for piece in self.touching(level_name, edge):
                self.sets.union(node, piece)

    def touching(self, level_name: str, segment) -> list:
        line = geo.segment_line(segment)
        return [(level_name, i) for i, piece in enumerate(self.pieces.get(level_name, []))
                if piece.distance(line) <= geo.WALL_TOLERANCE_M]

    def nodes_under(self, pop: Population) -> list[tuple[object, str]]:
        """The graph nodes a population starts on, each with words saying where it is."""
        if pop.space not in self.pieces:
            return [(("stair", pop.space), f"stair '{pop.space}'")]
        spawn = geo.polygon(pop.spawn) if pop.spawn is not None else None
        out = []
        for i, piece in enumerate(self.pieces[pop.space]):
            if spawn is None or piece.intersection(spawn).area > geo.MIN_AREA_M2:
                where = f"the part of level '{pop.space}' around {geo.fmt_point(_round_point(piece))}"
                out.append(((pop.space, i), where))
        return out

    def reaches_goal(self, node) -> bool:
        root = self.sets.find(node)
        return any(self.sets.find(goal) == root for goal in self.goals)


def _locked_throughout(scenario: Scenario) -> frozenset[str]:
    """Doors locked at the start that no event unlocks, opens or forces open: walls for the whole run."""
    changed = {e.door for e in scenario.events if isinstance(e, Event) and e.action in DOOR_ACTIONS
               and e.action != "lock"}
    return frozenset(d.name for d in scenario.doors if d.state == "locked" and d.name not in changed)


def _and(names: Sequence[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _round_point(piece) -> tuple[float, float]:
    p = piece.representative_point()
    return (round(p.x, 2), round(p.y, 2))


def _did_you_mean(name: object, candidates: list[str], what: str) -> str:
    close = difflib.get_close_matches(str(name), candidates, n=1, cutoff=0.6)
    known = ", ".join(f"'{c}'" for c in candidates) or "none"
    return (f"did you mean '{close[0]}'? " if close else "") + f"known {what}: {known}"

