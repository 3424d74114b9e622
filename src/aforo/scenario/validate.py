"""Check a Scenario once, listing every problem: the path, the value, the rule and a hint.

``validate(scenario)`` raises :class:`aforo.errors.ScenarioError` with all problems found;
``find_problems(scenario)`` returns them. The loader calls these after building the objects, so
the same rules hold for scenario files and for ``Scenario.build`` in Python.

Paths are those of the scenario file: ``run.time_step``, ``levels.hall.doors.street.jambs``,
``stairs.stair.lower_edge``, ``populations.occupants.count``, ``levels.hall.walkable[0]``.
"""

from __future__ import annotations

import difflib
import math
import numbers
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from aforo.errors import Problem, ScenarioError
from aforo.scenario import geometry as geo
from aforo.scenario.model import (
    DOOR_STATES,
    Distribution,
    Door,
    Exit,
    Level,
    NavigationSettings,
    PhysicsParameters,
    Population,
    RunSettings,
    Scenario,
    Stair,
)

# Names of levels, stairs, doors, exits and populations: letters (any script), digits, _ and -.
NAME_PATTERN = re.compile(r"^[^\W][\w-]*$")
MAX_CELL_SIZE_M = 0.1  # the navigation rasters must resolve a 0.9 m door into several cells
STAIR_HEIGHT_TOLERANCE_M = 0.05  # |steps · rise − height difference of the levels|
RECORD_INTERVAL_RELATIVE_TOLERANCE = 1e-9
# Hexagonal packing of discs of radius r covers 2·√3·r² per disc; spawning more than 90 % of that
# leaves the random placement no room (and would start the run in a crush nobody asked for).
PACKING_FRACTION = 0.9
# A truncated normal is sampled by rejection; below this probability mass in [low, high] the
# sampling would crawl (or never end), and the truncation is almost surely a mistake.
MIN_TRUNCATED_NORMAL_MASS = 0.01


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

    @property
    def missing_spaces(self) -> frozenset[str]:
        return frozenset(p.split(".", 1)[1] for p in self.left_out_spaces)

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
        self.check_run(s.run)
        self.check_physics(s.physics)
        self.check_navigation(s.navigation)
        self.check_levels(s.levels)
        self.check_stairs(s.stairs)
        self.check_namespaces()
        self.check_populations(s.populations)
        if self.damage.geometry_complete and self.geometry_ok:
            self.check_reachability()

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
        if door.state not in DOOR_STATES:
            self.add(f"{path}.state", f"state {_fmt(door.state)} is not one of {', '.join(DOOR_STATES)}",
                     'state = "open", "closed" (can be opened) or "locked" (cannot)')
        if not self.segment(f"{path}.jambs", door.jambs):
            self.geometry_ok = False
            return
        if shape is None:
            return
        for end, jamb in zip(("first", "second"), door.jambs):
            distance = geo.distance_to(shape.walls, jamb)
            if distance > geo.WALL_TOLERANCE_M:
                self.add(f"{path}.jambs", f"{end} jamb {geo.fmt_point(jamb)} is {distance:.3f} m from the nearest "
                         f"wall of level '{level.name}'; both jambs must be within {geo.WALL_TOLERANCE_M} m of the "
                         "walkable boundary (a door is an opening in a wall)",
                         "put the jambs on the walkable outline, or give center = [x, y] and clear_width")
                self.geometry_ok = False

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

    # --- names --------------------------------------------------------------------------------

    def check_namespaces(self) -> None:
        s = self.scenario
        spaces = [(f"levels.{lv.name}", lv.name, "level") for lv in s.levels]
        spaces += [(f"stairs.{st.name}", st.name, "stair") for st in s.stairs]
        spaces += [(p, p.split(".", 1)[1], p.split(".")[0][:-1]) for p in self.damage.left_out_spaces]
        spaces.sort(key=lambda entry: not entry[0].startswith("levels."))  # levels first, as in the file
        self.unique(spaces, "levels and stairs share one namespace (a population names its space)")
        openings = [(f"levels.{d.level}.doors.{d.name}", d.name, "door") for lv in s.levels for d in lv.doors]
        openings += [(f"levels.{e.level}.exits.{e.name}", e.name, "exit") for lv in s.levels for e in lv.exits]
        self.unique(openings, "doors and exits share one namespace across all levels (events name them)")
        people = [(f"populations.{p.name}", p.name, "population") for p in s.populations]
        self.unique(people, "population names must be unique")

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
        area = self.space_area(f"{path}.space", pop.space)
        if area is None:
            return
        spawn = self.spawn_area(path, pop, area)
        if spawn is not None and count_ok and radius_ok:
            self.check_capacity(path, pop, spawn, area)

    def space_area(self, path: str, space: str):
        """The free area of the named level or stair, or None (reported if the name is unknown)."""
        if space in self.shapes:
            return self.shapes[space].free
        if space in self.footprints:
            return self.footprints[space]
        names = self.scenario.space_names
        if space not in names and space not in self.damage.missing_spaces:
            self.add(path, f"unknown space {_fmt(space)}; a population is placed on a level or a stair",
                     _did_you_mean(space, list(names), "spaces"))
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

    def check_distribution(self, path: str, dist: Distribution, unit: str) -> bool:
        """A per-agent quantity: well formed and able to draw only positive values."""
        if not isinstance(dist, Distribution):
            self.add(path, f"expected a Distribution, got {_fmt(dist)}")
            return False
        if dist.kind == "fixed":
            return self.positive(path, dist.value, unit)
        if dist.kind == "uniform":
            return self.check_uniform(path, dist, unit)
        if dist.kind == "normal":
            return self.check_normal(path, dist, unit)
        self.add(f"{path}.distribution", f"unknown distribution {_fmt(dist.kind)}", "use uniform or normal")
        return False

    def check_uniform(self, path: str, dist: Distribution, unit: str) -> bool:
        if not (self.real(f"{path}.low", dist.low) and self.real(f"{path}.high", dist.high)):
            return False
        if dist.low > dist.high:
            self.add(path, f"uniform low = {_with_unit(dist.low, unit)} is above high = {_with_unit(dist.high, unit)}",
                     "swap low and high")
            return False
        return self.positive(f"{path}.low", dist.low, unit, "every drawn value must be > 0")

    def check_normal(self, path: str, dist: Distribution, unit: str) -> bool:
        ok = self.real(f"{path}.mean", dist.mean) and self.positive(f"{path}.std", dist.std, unit,
                                                                       "for a constant, give a plain number")
        if dist.low is None:
            self.add(f"{path}.low", f"a normal distribution without low can draw values ≤ 0 {unit}",
                     "truncate it: add low (and high), e.g. low = 0.5 × mean")
            return False
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

    # --- reachability -------------------------------------------------------------------------

    def check_reachability(self) -> None:
        """Every population must be able to reach an exit or an exterior door that is not locked.

        A closed (not locked) door is believed openable, so it connects; a locked door never does.
        """
        graph = _SpaceGraph(self.scenario, self.shapes, self.footprints)
        for pop in self.scenario.populations:
            if pop.space not in self.shapes and pop.space not in self.footprints:
                continue  # reported (unknown space) or unusable geometry
            if pop.spawn is not None and geo.ring_problem(pop.spawn):
                continue
            for node, where in graph.nodes_under(pop):
                if not graph.reaches_goal(node):
                    self.add(f"populations.{pop.name}.space",
                             f"no exit reachable from {where}: no path leads to an exit or an exterior door that "
                             "is open or closed (locked doors never connect; closed ones are believed openable)",
                             "add an exit or exterior door, unlock a door, or connect the space with an open door "
                             "or a stair")


class _SpaceGraph:
    """Pieces of floor (level components, stairs) joined by doors and stair edges; goals are exits.

    A level's pieces are the components of its free area once its locked interior doors are made
    walls. Open and closed interior doors join the pieces they touch; open and closed exterior
    doors and all exits are goals; stairs join the pieces touching their edges.
    """

    def __init__(self, scenario: Scenario, shapes: dict[str, geo.LevelShape], footprints: dict):
        self.sets = geo.UnionFind()
        self.pieces: dict[str, list] = {}
        self.goals: set = set()
        for level in scenario.levels:
            self.add_level(level, shapes[level.name])
        for stair in scenario.stairs:
            self.add_stair(stair)

    def add_level(self, level: Level, shape: geo.LevelShape) -> None:
        exterior = {d.name: geo.lies_along(d.jambs, shape.outer) for d in level.doors}
        locked_inside = [d.jambs for d in level.doors if d.state == "locked" and not exterior[d.name]]
        pieces = geo.cut_by_doors(shape.free, locked_inside)
        self.pieces[level.name] = pieces
        for i in range(len(pieces)):
            self.sets.add((level.name, i))
        for door in level.doors:
            if door.state == "locked":
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


def _round_point(piece) -> tuple[float, float]:
    p = piece.representative_point()
    return (round(p.x, 2), round(p.y, 2))


def _did_you_mean(name: object, candidates: list[str], what: str) -> str:
    close = difflib.get_close_matches(str(name), candidates, n=1, cutoff=0.6)
    known = ", ".join(f"'{c}'" for c in candidates) or "none"
    return (f"did you mean '{close[0]}'? " if close else "") + f"known {what}: {known}"

