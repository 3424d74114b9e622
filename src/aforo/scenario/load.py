"""Read a scenario file (TOML) into the frozen model, reporting every problem at once.

    scenario = load("scenarios/los-olivos/venue.toml")
    scenario = loads(text)            # TOML text
    scenario = from_dict(data)        # an already-parsed dict (same layout as the file)

Reading happens in two passes. The *builder* here checks the layout: known keys, types, units,
required fields; it resolves doors given by centre and width; it builds the objects it can. The
*validator* (validate.py) then checks the meaning: geometry, references, capacity, reachability.
Problems from both are raised together in one :class:`ScenarioError`. An object the builder could
not build is left out, and the validator is told (``Damage``) so it does not report echoes of the
first problem (a population on a level that failed to load is not "on an unknown level").

The file layout is documented in docs/scenario-format.md.
"""

from __future__ import annotations

import datetime
import difflib
import re
import tomllib
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, Callable

from aforo.errors import Problem, ScenarioError
from aforo.scenario import geometry as geo
from aforo.scenario.model import (
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
    HARM_KEYS,
    SMOKE_QUANTITIES,
    Exit,
    GasSettings,
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
from aforo.scenario.units import (
    ANGLE,
    DIFFUSIVITY,
    EXTINCTION,
    FORCE,
    FRICTION,
    LENGTH,
    MASS,
    RATE,
    SPEED,
    STIFFNESS,
    TIME,
    VOLUME_FRACTION,
    Dimension,
    UnitError,
    is_clock_text,
    parse_clock,
    parse_number,
    parse_quantity,
    seconds_after,
)
from aforo.scenario.validate import HINGES, LEAF_FIELDS, Damage, find_problems

__all__ = ["load", "loads", "from_dict", "read_with_base"]


# --- public functions ----------------------------------------------------------------------------


def load(path: str | PathLike[str]) -> Scenario:
    """Read, build and validate the scenario file at ``path``.

    A file may build on another: ``[scenario] base = "venue.toml"`` (relative to the file) reads
    the base first and lays this file over it (see :func:`read_with_base`).

    Raises :class:`ScenarioError` listing every problem (including an unreadable file or a TOML
    syntax error, with its line and column).
    """
    return from_dict(read_with_base(path), source=str(path))


def read_with_base(path: str | PathLike[str], _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The file's tables laid over its base's, recursively.

    Tables merge key by key (so an account can add a door's swing to the venue's door, or a
    population to the venue's); any other value in the file replaces the base's; ``[[events]]``
    are appended to the base's. The result has no ``base`` key.
    """
    path = Path(path)
    data = _anchor_files(_parse_file(path), path.parent)
    meta = data.get("scenario")
    base = meta.get("base") if isinstance(meta, dict) else None
    if base is None:
        return data
    if not isinstance(base, str):
        raise ScenarioError(Problem("scenario.base", f"expected a file name, got {_show(base)}",
                                    'write base = "venue.toml" (a path relative to this file)'), str(path))
    base_path = (path.parent / base).resolve()
    if base_path in _seen or base_path == path.resolve():
        chain = " → ".join(str(p) for p in (*_seen, path.resolve(), base_path))
        raise ScenarioError(Problem("scenario.base", f"files build on each other in a circle: {chain}",
                                    "let one of them stand alone"), str(path))
    if not base_path.is_file():
        raise ScenarioError(Problem("scenario.base", f"base file {base!r} not found (looked for {base_path})",
                                    "give the path relative to this file"), str(path))
    merged = _lay_over(read_with_base(base_path, (*_seen, path.resolve())), data)
    del merged["scenario"]["base"]
    return merged


def _anchor_files(data: dict[str, Any], directory: Path) -> dict[str, Any]:
    """Data files named in a scenario ([smoke.<name>] file) are relative to that scenario file,
    so an account can build on a venue kept in another folder; they become absolute here."""
    smoke = data.get("smoke")
    if isinstance(smoke, dict):
        for entry in smoke.values():
            if isinstance(entry, dict) and isinstance(entry.get("file"), str):
                entry["file"] = str((directory / entry["file"]).resolve())
    return data


def _lay_over(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if key == "events" and isinstance(value, list) and isinstance(base.get(key), list):
            out[key] = [*base[key], *value]
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            out[key] = _lay_over(base[key], value)
        else:
            out[key] = value
    return out


def _parse_file(path: Path) -> dict[str, Any]:
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(Problem(source, "no such file", "check the path"), source) from None
    except IsADirectoryError:
        problem = Problem(source, "is a directory, not a scenario file", "name the .toml file")
        raise ScenarioError(problem, source) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(Problem(source, f"is not UTF-8 text ({exc.reason} at byte {exc.start})",
                                    "save the file as UTF-8"), source) from None
    except OSError as exc:
        raise ScenarioError(Problem(source, f"cannot be read: {exc.strerror}"), source) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(_syntax_problem(exc), source) from None


def loads(text: str, source: str | None = None) -> Scenario:
    """Build and validate a scenario from TOML ``text``; ``source`` names it in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(_syntax_problem(exc), source) from None
    return from_dict(data, source=source)


def from_dict(data: dict[str, Any], source: str | None = None) -> Scenario:
    """Build and validate a scenario from a dict laid out like the file (as tomllib returns it)."""
    if not isinstance(data, dict):
        raise ScenarioError(Problem("(top level)", f"expected a table, got {_show(data)}"), source)
    ctx = _Context()
    scenario = _read_scenario(ctx, data)
    damage = Damage(paths=frozenset(ctx.damaged), left_out_spaces=tuple(ctx.left_out_spaces),
                    left_out=tuple(ctx.left_out), event_sources=tuple(ctx.event_sources))
    problems = ctx.problems + find_problems(scenario, damage)
    if problems:
        raise ScenarioError(sorted(problems, key=_file_order), source)
    return scenario


def _file_order(problem: Problem) -> int:
    """Sections in the order a file usually has them (a stable sort keeps order within one)."""
    section = problem.path.split(".", 1)[0].split("[", 1)[0]
    return SECTIONS.index(section) if section in SECTIONS else len(SECTIONS)


def _syntax_problem(exc: tomllib.TOMLDecodeError) -> Problem:
    """Turn tomllib's message "Invalid value (at line 3, column 7)" into a Problem at that place."""
    text = str(exc)
    where = re.search(r"\(at line (\d+), column (\d+)\)", text)
    what = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", text)
    path = f"line {where[1]}, column {where[2]}" if where else "end of file"
    return Problem(path, f"TOML syntax error: {what}",
                   'check quotes, brackets and "key = value" pairs on that line (see docs/scenario-format.md)')


# --- reading tables --------------------------------------------------------------------------------

_REQUIRED: Any = object()
_BAD: Any = object()  # a value that could not be read (the problem is already recorded)


class _Invalid(Exception):
    """A value could not be read; carries the problems found in it."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems)
        self.problems = problems

    @staticmethod
    def at(path: str, message: str, hint: str = "") -> "_Invalid":
        return _Invalid([Problem(path, message, hint)])


@dataclass
class _Context:
    """What reading found so far: problems, paths that failed, levels/stairs left out."""

    problems: list[Problem] = field(default_factory=list)
    damaged: set[str] = field(default_factory=set)
    left_out_spaces: list[str] = field(default_factory=list)  # "levels.hall", "stairs.stair"
    left_out: list[str] = field(default_factory=list)  # every named object left out, spaces included
    event_sources: list[int] = field(default_factory=list)  # file index of each event kept, in stored order


Parser = Callable[[Any, str], Any]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _show(value: Any) -> str:
    """A value as the user might have written it (short)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class _Table:
    """One TOML table being read: remembers the keys asked for, so the rest can be called unknown."""

    def __init__(self, ctx: _Context, data: dict[str, Any], path: str):
        self.ctx = ctx
        self.data = data
        self.path = path
        self.asked: list[str] = []
        self.failed = False

    def read(self, key: str, parse: Parser, default: Any = _REQUIRED, expects: str = "") -> Any:
        """The value of ``key`` parsed, ``default`` if absent, or _BAD (problem recorded)."""
        self.asked.append(key)
        path = _join(self.path, key)
        if key not in self.data:
            if default is not _REQUIRED:
                return default
            if parse is _table:
                return self._fail(path, [Problem(path, f"missing required section [{path}]", expects)])
            return self._fail(path, [Problem(path, f"missing required key '{key}'", f"add {key} = {expects}".strip())])
        try:
            return parse(self.data[key], path)
        except _Invalid as exc:
            return self._fail(path, exc.problems)

    def _fail(self, path: str, problems: list[Problem]) -> Any:
        self.ctx.problems.extend(problems)
        self.ctx.damaged.add(path)
        self.failed = True
        return _BAD

    def finish(self) -> None:
        """Report every key that was not asked for, with a did-you-mean hint."""
        for key in self.data:
            if key in self.asked:
                continue
            close = difflib.get_close_matches(key, self.asked, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(self.asked)}"
            where = f"[{self.path}]" if self.path else "the top level"
            self.ctx.problems.append(Problem(_join(self.path, key), f"unknown key '{key}' in {where}", hint))


# --- parsers: (value, path) -> value, raising _Invalid -------------------------------------------


def _table(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Invalid.at(path, f"expected a table, got {_show(value)}", f"write it as a [{path}] section")
    return value


def _text(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise _Invalid.at(path, f"expected a string, got {_show(value)}", 'write it in quotes, e.g. "hall"')
    return value


def _boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise _Invalid.at(path, f"expected true or false, got {_show(value)}")
    return value


def _integer(value: Any, path: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        hint = "write it without a decimal point" if isinstance(value, float) and value.is_integer() else ""
        raise _Invalid.at(path, f"expected an integer, got {_show(value)}", hint)
    return value


def _number(value: Any, path: str) -> float:
    """A dimensionless number (a fraction or a factor)."""
    try:
        return parse_number(value)
    except UnitError as exc:
        raise _Invalid.at(path, exc.message, exc.hint) from None


def _quantity(dimension: Dimension) -> Parser:
    def parse(value: Any, path: str) -> float:
        try:
            return parse_quantity(value, dimension)
        except UnitError as exc:
            raise _Invalid.at(path, exc.message, exc.hint) from None

    return parse


def _choice(options: tuple[str, ...]) -> Parser:
    def parse(value: Any, path: str) -> str:
        if value not in options:
            close = difflib.get_close_matches(str(value), options, n=1, cutoff=0.5)
            hint = (f"did you mean '{close[0]}'? " if close else "") + f"one of: {', '.join(options)}"
            raise _Invalid.at(path, f"{_show(value)} is not one of {', '.join(options)}", hint)
        return value

    return parse


def _names(value: Any, path: str) -> tuple[str, ...]:
    """A list of names: ["back", "kitchen"]."""
    if not isinstance(value, list):
        raise _Invalid.at(path, f"expected a list of names, got {_show(value)}", 'e.g. ["back", "kitchen"]')
    problems = [Problem(f"{path}[{i}]", f"expected a name in quotes, got {_show(item)}")
                for i, item in enumerate(value) if not isinstance(item, str)]
    if problems:
        raise _Invalid(problems)
    return tuple(value)


def _clock_of(value: Any, path: str) -> str:
    """A clock time "HH:MM" or "HH:MM:SS", or a TOML local time (20:40:00): the text "HH:MM[:SS]"."""
    if isinstance(value, datetime.datetime):
        raise _Invalid.at(path, f"expected a time of day, got the date and time {value.isoformat()}",
                          'give only the time, e.g. "20:40"')
    if isinstance(value, datetime.time):
        if value.microsecond or value.tzinfo is not None:
            raise _Invalid.at(path, f"expected a time of day in whole seconds, got {value.isoformat()}",
                              'e.g. "20:40" or "20:40:30"')
        value = value.strftime("%H:%M:%S")
    try:
        parse_clock(value)
    except UnitError as exc:
        raise _Invalid.at(path, exc.message, exc.hint) from None
    return value.strip()


def _is_point(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(
        isinstance(c, (int, float)) and not isinstance(c, bool) for c in value
    )


def _point(value: Any, path: str) -> tuple[float, float]:
    """[x, y] in metres (coordinates are plain numbers; units are not accepted here)."""
    if not _is_point(value):
        raise _Invalid.at(path, f"expected a point [x, y] of two numbers in metres, got {_show(value)}",
                          "coordinates are plain numbers in metres, e.g. [0.2, -5.0]")
    x, y = (_number(c, path) for c in value)
    return (x, y)


def _points(value: Any, path: str) -> list[tuple[float, float]]:
    if not isinstance(value, list):
        raise _Invalid.at(path, f"expected a list of [x, y] points, got {_show(value)}")
    return _each(value, path, _point)


def _each(items: list, path: str, parse: Parser) -> list:
    """Every item parsed (paths ``path[i]``); all their problems raised together."""
    problems: list[Problem] = []
    parsed = []
    for i, item in enumerate(items):
        try:
            parsed.append(parse(item, f"{path}[{i}]"))
        except _Invalid as exc:
            problems += exc.problems
    if problems:
        raise _Invalid(problems)
    return parsed


def _ring(value: Any, path: str) -> tuple[tuple[float, float], ...]:
    """A polygon outline: [[x, y], ...]; a repeated first vertex at the end is dropped."""
    points = _points(value, path)
    if len(points) > 1 and points[0] == points[-1]:
        points = points[:-1]
    return tuple(points)


def _rings(value: Any, path: str) -> tuple[tuple[tuple[float, float], ...], ...]:
    """One ring, or a list of rings."""
    if not isinstance(value, list):
        raise _Invalid.at(path, f"expected a ring [[x, y], ...] or a list of rings, got {_show(value)}")
    if value and not (isinstance(value[0], list) and value[0] and isinstance(value[0][0], list)):
        return (_ring(value, f"{path}[0]"),)  # its first item is not a ring: it is one ring
    return tuple(_each(value, path, _ring))


def _segment(value: Any, path: str) -> tuple[tuple[float, float], tuple[float, float]]:
    points = _points(value, path)
    if len(points) != 2:
        raise _Invalid.at(path, f"expected a segment of exactly 2 points [[x1, y1], [x2, y2]], got {len(points)}")
    return (points[0], points[1])


# --- per-agent distributions -------------------------------------------------------------------

_DISTRIBUTION_KEYS = {"fixed": ("value",), "uniform": ("low", "high"), "normal": ("mean", "std", "low", "high")}
_DISTRIBUTION_REQUIRED = {"fixed": ("value",), "uniform": ("low", "high"), "normal": ("mean", "std")}


def _distribution(dimension: Dimension) -> Parser:
    """A fixed quantity, or { distribution = "uniform"|"normal", ... } with quantities inside."""

    def parse(value: Any, path: str) -> Distribution:
        if not isinstance(value, dict):
            return Distribution.fixed(_quantity(dimension)(value, path))
        ctx = _Context()
        table = _Table(ctx, value, path)
        kind = table.read("distribution", _choice(tuple(_DISTRIBUTION_KEYS)), expects='"uniform" or "normal"')
        if kind is _BAD:
            raise _Invalid(ctx.problems)
        values = {}
        for key in _DISTRIBUTION_KEYS[kind]:
            default = _REQUIRED if key in _DISTRIBUTION_REQUIRED[kind] else None
            values[key] = table.read(key, _quantity(dimension), default, expects=f"<{dimension.name}>")
        table.finish()
        if ctx.problems:
            raise _Invalid(ctx.problems)
        return Distribution(kind=kind, **values)

    return parse


# --- sections ------------------------------------------------------------------------------------

# Each settings section lists its keys with how to read them; tests check these cover the model.
RUN_FIELDS: dict[str, Parser] = {
    "duration": _quantity(TIME),
    "time_step": _quantity(TIME),
    "record_interval": _quantity(TIME),
    "seed": _integer,
    "stop_when_empty": _boolean,
}
PHYSICS_FIELDS: dict[str, Parser] = {
    "social_repulsion_strength": _quantity(FORCE),
    "social_repulsion_range": _quantity(LENGTH),
    "body_stiffness": _quantity(STIFFNESS),
    "sliding_friction": _quantity(FRICTION),
    "interaction_range": _quantity(LENGTH),
    "wall_clearance_fraction": _number,
    "contact_stability": _number,
    "max_substeps": _integer,
}
NAVIGATION_FIELDS: dict[str, Parser] = {"cell_size": _quantity(LENGTH)}
BELIEF_FIELDS: dict[str, Parser] = {
    "learn_time": _quantity(TIME),
    "share_rate": _quantity(RATE),
    "share_radius": _quantity(LENGTH),
}


def _per_hour(value: Any, path: str) -> float:
    """A rate stored per hour: a plain number is per hour, a string any rate ("2 /h", "0.5 /min")."""
    if isinstance(value, str):
        try:
            return parse_quantity(value, RATE) * 3600.0
        except UnitError as exc:
            raise _Invalid.at(path, exc.message, "write a plain number per hour, e.g. 2, or a rate such as "
                              '"2 /h" (units: /s, /min, /h)') from None
    return _number(value, path)


GAS_FIELDS: dict[str, Parser] = {
    "cell_size": _quantity(LENGTH),
    "diffusivity": _quantity(DIFFUSIVITY),
    "air_changes_per_h": _per_hour,
    "ceiling_height": _quantity(LENGTH),
}
SECTIONS = ("scenario", "clock", "run", "physics", "navigation", "beliefs", "gas", "levels", "stairs", "areas",
            "populations", "canisters", "smoke", "harm", "events")


def _read_scenario(ctx: _Context, data: dict[str, Any]) -> Scenario:
    top = _Table(ctx, data, "")
    meta = top.read("scenario", _table, expects='add [scenario] with name = "..."')
    name, description = _read_meta(ctx, meta)
    clock_start = _read_clock(ctx, top.read("clock", _table, {}))
    run = _read_settings(ctx, top.read("run", _table, {}), "run", RunSettings, RUN_FIELDS)
    physics = _read_settings(ctx, top.read("physics", _table, {}), "physics", PhysicsParameters, PHYSICS_FIELDS)
    navigation = _read_settings(ctx, top.read("navigation", _table, {}), "navigation", NavigationSettings,
                                NAVIGATION_FIELDS)
    beliefs = _read_settings(ctx, top.read("beliefs", _table, {}), "beliefs", BeliefSettings, BELIEF_FIELDS)
    gas = _read_settings(ctx, top.read("gas", _table, {}), "gas", GasSettings, GAS_FIELDS)
    levels_data = top.read("levels", _table, expects="add [levels.<name>] with walkable = [[x, y], ...]")
    levels = _read_named(ctx, levels_data, "levels", _read_level)
    stairs = _read_named(ctx, top.read("stairs", _table, {}), "stairs", _read_stair)
    areas = _read_named(ctx, top.read("areas", _table, {}), "areas", _read_area)
    populations = _read_named(ctx, top.read("populations", _table, {}), "populations", _read_population)
    canisters = _read_named(ctx, top.read("canisters", _table, {}), "canisters",
                            lambda c, n, d, p: _read_canister(c, n, d, p, clock_start))
    smoke = _read_named(ctx, top.read("smoke", _table, {}), "smoke",
                        lambda c, n, d, p: _read_smoke(c, n, d, p, clock_start))
    harm = _read_harm(ctx, top.read("harm", _table, {}))
    events = _read_events(ctx, top.read("events", _array_of_tables, []), clock_start)
    top.finish()
    return Scenario(name=name, levels=levels, stairs=stairs, populations=populations, run=run, physics=physics,
                    navigation=navigation, description=description, areas=areas, events=events,
                    beliefs=beliefs, clock_start=None if clock_start is _BAD else clock_start,
                    canisters=canisters, gas=gas, smoke=smoke, harm=harm)


def _read_clock(ctx: _Context, data: Any) -> Any:
    """[clock] start: the clock text, None when absent, or _BAD when it could not be read."""
    if data is _BAD:
        return _BAD
    table = _Table(ctx, data, "clock")
    start = table.read("start", _clock_of, None, expects='"20:40" (the clock time at t = 0)')
    table.finish()
    return start


def _array_of_tables(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise _Invalid.at(path, f"expected an array of tables, got {_show(value)}",
                          f"write each one as a [[{path}]] section")
    return value


def _read_meta(ctx: _Context, meta: Any) -> tuple[str, str]:
    if meta is _BAD:
        return "", ""
    table = _Table(ctx, meta, "scenario")
    name = table.read("name", _text, expects='"a short name"')
    description = table.read("description", _text, "")
    if "base" in meta:  # load() resolves and removes it; text or a dict has no file to go from
        table.read("base", _text, "")
        ctx.problems.append(Problem("scenario.base", "a base file can only be followed when reading a file",
                                    "use aforo.scenario.load(path), or merge the base yourself"))
    table.finish()
    return ("" if name is _BAD else name), ("" if description is _BAD else description)


def _read_settings(ctx: _Context, data: Any, path: str, cls: type, parsers: dict[str, Parser]):
    """A settings section: every key optional, defaults from the model; bad keys keep the default."""
    if data is _BAD:
        return cls()
    table = _Table(ctx, data, path)
    values = {key: table.read(key, parse, None) for key, parse in parsers.items()}
    table.finish()
    return cls(**{k: v for k, v in values.items() if v is not None and v is not _BAD})


def _read_named(ctx: _Context, data: Any, path: str, read_one: Callable) -> tuple:
    """A table of named sub-tables ([levels.hall], [levels.street], ...), read in file order."""
    if data is _BAD:
        return ()
    built = []
    for name, value in data.items():
        item_path = f"{path}.{name}"
        if not isinstance(value, dict):
            ctx.problems.append(Problem(item_path, f"expected a table, got {_show(value)}",
                                        f"write it as a [{item_path}] section"))
            _left_out(ctx, path, name, item_path)
            continue
        obj = read_one(ctx, name, value, item_path)
        if obj is None:
            _left_out(ctx, path, name, item_path)
        else:
            built.append(obj)
    return tuple(built)


def _left_out(ctx: _Context, section: str, name: str, path: str) -> None:
    ctx.damaged.add(path)
    ctx.left_out.append(path)
    if section in ("levels", "stairs"):
        ctx.left_out_spaces.append(path)


def _read_level(ctx: _Context, name: str, data: dict[str, Any], path: str) -> Level | None:
    table = _Table(ctx, data, path)
    elevation = table.read("elevation", _quantity(LENGTH), 0.0)
    walkable = table.read("walkable", _rings, expects="[[x, y], ...] (the floor outline in metres)")
    obstacles = table.read("obstacles", _rings, ())
    doors_data = table.read("doors", _table, {})
    exits_data = table.read("exits", _table, {})
    table.finish()
    shape = None
    if walkable is not _BAD and obstacles is not _BAD:
        shape = _shape_if_valid(Level(name=name, elevation=0.0, walkable=walkable, obstacles=obstacles))
    doors = _read_named(ctx, doors_data, f"{path}.doors", lambda c, n, d, p: _read_door(c, name, n, d, p, shape))
    exits = _read_named(ctx, exits_data, f"{path}.exits", lambda c, n, d, p: _read_exit(c, name, n, d, p))
    if table.failed:  # its doors and exits go with it: references to them are not "unknown"
        for kind, items in (("doors", doors), ("exits", exits)):
            ctx.left_out += [f"{path}.{kind}.{item.name}" for item in items]
        return None
    return Level(name=name, elevation=elevation, walkable=walkable, obstacles=obstacles, doors=doors, exits=exits)


def _shape_if_valid(level: Level) -> geo.LevelShape | None:
    """The level's shapes when all its rings are valid (the validator reports those that are not)."""
    if any(geo.ring_problem(r) for r in level.walkable + level.obstacles) or not level.walkable:
        return None
    return geo.level_shape(level)


def _read_door(ctx: _Context, level: str, name: str, data: dict[str, Any], path: str,
               shape: geo.LevelShape | None) -> Door | None:
    """A door by its jambs, or by center + clear_width (placed on the nearest wall edge)."""
    table = _Table(ctx, data, path)
    jambs = table.read("jambs", _segment, None)
    center = table.read("center", _point, None)
    clear_width = table.read("clear_width", _quantity(LENGTH), None)
    state = table.read("state", _choice(DOOR_STATES), "open")
    swing = table.read("swing", _choice(DOOR_SWINGS), "none")
    leaf_parsers = {"leaves": _integer, "hinge": _choice(HINGES), "max_angle": _quantity(ANGLE),
                    "leaf_mass": _quantity(MASS), "handle_force": _quantity(FORCE)}
    leaf = {key: table.read(key, parse, None) for key, parse in leaf_parsers.items()}
    table.finish()
    if table.failed:
        return None
    _check_leaf_keys(ctx, path, data, swing, leaf["leaves"])
    leaf = {"swing": swing, **{k: v for k, v in leaf.items() if v is not None}}
    if jambs is not None:
        if center is not None or clear_width is not None:
            return _door_problem(ctx, path, "give either jambs, or center and clear_width, not both",
                                 "keep jambs = [[x1, y1], [x2, y2]] or center = [x, y] with clear_width")
        return Door(name=name, level=level, jambs=jambs, state=state, **leaf)
    if center is None or clear_width is None:
        missing = "clear_width" if center is not None else "center" if clear_width is not None else "jambs"
        return _door_problem(ctx, f"{path}.{missing}", f"missing required key '{missing}' (a door needs jambs, "
                             "or center and clear_width)", "e.g. jambs = [[0.3, -6.5], [1.2, -6.5]], or "
                             'center = [0.75, -6.5] with clear_width = "90 cm"')
    if clear_width <= 0:
        return _door_problem(ctx, f"{path}.clear_width", f"must be > 0 m, got {clear_width:g} m",
                             "the clear width of the opening, e.g. 0.9 or '90 cm'")
    if shape is None:  # the level's rings are invalid (reported by the validator): cannot place it
        ctx.damaged.add(path)
        return None
    placed = geo.place_on_wall(shape.free, center, clear_width)
    if placed.jambs is None:
        return _door_problem(ctx, f"{path}.center", placed.problem, placed.hint)
    return Door(name=name, level=level, jambs=placed.jambs, state=state, **leaf)


def _check_leaf_keys(ctx: _Context, path: str, data: dict[str, Any], swing: str, leaves: int | None) -> None:
    """Keys that describe leaves need a swing; a hinge is for a single leaf. Given but unused is an error."""
    given = [key for key in LEAF_FIELDS if key in data]
    if swing == "none" and given:
        listed = given[0] if len(given) == 1 else ", ".join(given[:-1]) + " and " + given[-1]
        ctx.problems.append(Problem(
            f"{path}.swing", f"swing is 'none' (the default: an opening without leaves), but {listed} "
            f"{'is' if len(given) == 1 else 'are'} given; they describe leaves",
            'give the swing: "inward" or "outward" for an exterior door, "left" or "right" for an interior one; '
            f"or remove {listed}"))
        ctx.damaged.add(f"{path}.swing")
    if leaves == 2 and "hinge" in data:
        ctx.problems.append(Problem(
            f"{path}.hinge", "hinge is for a single leaf; a double door (leaves = 2) is hinged at both jambs",
            "remove hinge, or set leaves = 1"))
        ctx.damaged.add(f"{path}.hinge")


def _door_problem(ctx: _Context, path: str, message: str, hint: str) -> None:
    ctx.problems.append(Problem(path, message, hint))
    ctx.damaged.add(path)
    return None


def _read_exit(ctx: _Context, level: str, name: str, data: dict[str, Any], path: str) -> Exit | None:
    table = _Table(ctx, data, path)
    segment = table.read("segment", _segment, expects="[[x1, y1], [x2, y2]] (on the outer wall)")
    table.finish()
    return None if table.failed else Exit(name=name, level=level, segment=segment)


def _read_stair(ctx: _Context, name: str, data: dict[str, Any], path: str) -> Stair | None:
    table = _Table(ctx, data, path)
    values = {
        "lower_level": table.read("lower_level", _text, expects='"<level name>"'),
        "upper_level": table.read("upper_level", _text, expects='"<level name>"'),
        "footprint": table.read("footprint", _ring, expects="[[x, y], ...] (the flight in plan)"),
        "lower_edge": table.read("lower_edge", _segment, expects="[[x1, y1], [x2, y2]]"),
        "upper_edge": table.read("upper_edge", _segment, expects="[[x1, y1], [x2, y2]]"),
        "steps": table.read("steps", _integer, expects="<number of risers>"),
        "rise": table.read("rise", _quantity(LENGTH), expects="<riser height, e.g. 0.175>"),
        "speed_factor_up": table.read("speed_factor_up", _number, None),
        "speed_factor_down": table.read("speed_factor_down", _number, None),
    }
    table.finish()
    if table.failed:
        return None
    return Stair(name=name, **{k: v for k, v in values.items() if v is not None})


# Per-agent quantities and their dimensions (a number, a quantity string, or a distribution table).
AGENT_QUANTITIES: dict[str, Dimension] = {
    "radius": LENGTH,
    "desired_speed": SPEED,
    "mass": MASS,
    "relaxation_time": TIME,
}


def _read_population(ctx: _Context, name: str, data: dict[str, Any], path: str) -> Population | None:
    table = _Table(ctx, data, path)
    values = {
        "space": table.read("space", _text, expects='"<level or stair name>"'),
        "count": table.read("count", _integer, expects="<number of agents>"),
        "spawn": table.read("spawn", _ring, None),
        "seed": table.read("seed", _integer, None),
    }
    for key, dimension in AGENT_QUANTITIES.items():
        values[key] = table.read(key, _distribution(dimension), None)
    values["pushing"] = table.read("pushing", _boolean, None)
    values["headway_time"] = table.read("headway_time", _quantity(TIME), None)
    values["role"] = table.read("role", _choice(ROLES), None)
    values["post"] = table.read("post", _text, None)
    values["effort"] = table.read("effort", _quantity(FORCE), None)
    values["destination"] = table.read("destination", _text, None)
    values["start"] = table.read("start", _distribution(TIME), None)
    values["present"] = table.read("present", _boolean, None)
    values["unknown_doors"] = table.read("unknown_doors", _names, None)
    table.finish()
    if values["role"] in (None, "occupant") and "effort" in data:  # unused: an error, like post
        ctx.problems.append(Problem(f"{path}.effort", "effort is given but occupants exert none; it is the force "
                                    "with which a guard holds the post",
                                    'set role = "guard" or "marshal", or remove effort'))
        ctx.damaged.add(f"{path}.effort")
    if table.failed:
        return None
    defaults_ok = {k: v for k, v in values.items() if v is not None or k in ("spawn", "seed")}
    return Population(name=name, **defaults_ok)


def _read_area(ctx: _Context, name: str, data: dict[str, Any], path: str) -> Area | None:
    table = _Table(ctx, data, path)
    space = table.read("space", _text, expects='"<level or stair name>"')
    polygon = table.read("polygon", _ring, expects="[[x, y], ...] (the area's outline in metres)")
    table.finish()
    return None if table.failed else Area(name=name, space=space, polygon=polygon)


def _read_canister(ctx: _Context, name: str, data: dict[str, Any], path: str, clock_start: Any) -> Canister | None:
    """A tear-gas source: where, when (a clock time or seconds, as an event's at), how much CS."""
    table = _Table(ctx, data, path)
    space = table.read("space", _text, expects='"<level or stair name>"')
    position = table.read("position", _point, expects="[x, y] (where it lands, in metres)")
    at = table.read("at", _event_time(clock_start), expects='"20:45" (a clock time) or "300 s"')
    mass = table.read("mass", _quantity(MASS), expects='"2.5 g" (the mass of CS agent, not of the canister)')
    duration = table.read("duration", _quantity(TIME), None)
    table.finish()
    if table.failed:
        return None
    extra = {} if duration is None else {"duration": duration}
    return Canister(name=name, space=space, position=position, at=float(at), mass=mass, **extra)


def _read_smoke(ctx: _Context, name: str, data: dict[str, Any], path: str, clock_start: Any) -> Smoke | None:
    """Fire gases given as input: a region with values over time, or a file of grid snapshots."""
    table = _Table(ctx, data, path)
    file = table.read("file", _text, None)
    space = table.read("space", _text, None)
    polygon = table.read("polygon", _ring, None)
    times = table.read("times", _list_of(_event_time(clock_start)), ())
    values = {key: table.read(key, _one_or_list(_SMOKE_DIMENSIONS[key]), ()) for key in SMOKE_QUANTITIES}
    table.finish()
    if table.failed:
        return None
    return Smoke(name=name, space=space, polygon=polygon, times=tuple(times), file=file, **values)


_SMOKE_DIMENSIONS = {"co": VOLUME_FRACTION, "co2": VOLUME_FRACTION, "o2": VOLUME_FRACTION, "hcn": VOLUME_FRACTION,
                     "no": VOLUME_FRACTION, "no2": VOLUME_FRACTION, "irritants": RATE, "extinction": EXTINCTION}


def _list_of(parse: Parser) -> Parser:
    def read(value: Any, path: str) -> list:
        if not isinstance(value, list):
            raise _Invalid.at(path, f"expected a list, got {_show(value)}", 'write [..., ...], e.g. ["0 s", "2 min"]')
        return _each(value, path, parse)

    return read


def _one_or_list(dimension: Dimension) -> Parser:
    """A constant (one quantity) or one quantity per time: stored as a tuple either way."""
    one = _quantity(dimension)

    def read(value: Any, path: str) -> tuple[float, ...]:
        if isinstance(value, list):
            return tuple(_each(value, path, one))
        return (one(value, path),)

    return read


def _read_harm(ctx: _Context, data: Any) -> HarmSettings:
    """[harm.compression], [harm.falls], [harm.exposure], [harm.floor]: plain numbers in the unit the key names."""
    if data is _BAD:
        return HarmSettings()
    top = _Table(ctx, data, "harm")
    chosen = {}
    enabled = top.read("enabled", _boolean, True)
    if enabled is not _BAD:
        chosen["enabled"] = enabled
    on_floor = top.read("bodies_on_floor", _boolean, True)
    if on_floor is not _BAD:
        chosen["bodies_on_floor"] = on_floor
    for model, keys in HARM_KEYS.items():
        section = top.read(model, _table, {})
        if section is _BAD:
            continue
        table = _Table(ctx, section, f"harm.{model}")
        values = {key: table.read(key, _number_in_key_unit, None) for key in keys}
        table.finish()
        chosen[model] = tuple((k, v) for k, v in values.items() if v is not None and v is not _BAD)
    top.finish()
    return HarmSettings(**chosen)


def _number_in_key_unit(value: Any, path: str) -> float:
    try:
        return parse_number(value)
    except UnitError as exc:
        raise _Invalid.at(path, exc.message, "write a plain number in the unit the key's name ends with "
                          "(…_n: N, …_s: s, …_per_s: 1/s, …_mg_m3: mg/m³; no suffix: a factor)") from None


# --- events --------------------------------------------------------------------------------------


def _event_time(clock_start: Any) -> Parser:
    """``at``: seconds (a time quantity) or a clock time, counted from [clock] start."""

    def parse(value: Any, path: str) -> float:
        if is_clock_text(value) or isinstance(value, (datetime.time, datetime.datetime)):
            clock = _clock_of(value, path)
            if clock_start is _BAD:
                raise _Invalid([])  # [clock] start is wrong (reported): this time cannot be converted
            if clock_start is None:
                raise _Invalid.at(path, f"clock time {clock!r} needs [clock] start (the clock time at t = 0)",
                                  'add [clock] with start = "20:40", or give at in seconds, e.g. "120 s"')
            return seconds_after(clock, clock_start)
        try:
            return parse_quantity(value, TIME)
        except UnitError as exc:
            raise _Invalid.at(path, exc.message, exc.hint + ', or a clock time such as "20:52"') from None

    return parse


def _read_events(ctx: _Context, data: Any, clock_start: Any) -> tuple[Event, ...]:
    """[[events]] in the file, stored sorted by time (stable: equal times keep the file's order)."""
    if data is _BAD:
        return ()
    built: list[tuple[float, int, Event]] = []
    for i, item in enumerate(data):
        path = f"events[{i}]"
        if not isinstance(item, dict):
            ctx.problems.append(Problem(path, f"expected a table, got {_show(item)}", "write it as an [[events]] "
                                        "section with at and action"))
            ctx.damaged.add(path)
            continue
        table = _Table(ctx, item, path)
        at = table.read("at", _event_time(clock_start), expects='"20:52" (a clock time) or "120 s"')
        action = table.read("action", _choice(EVENT_ACTIONS), expects='"close" (one of ' + ", ".join(EVENT_ACTIONS)
                            + ")")
        refs = {key: table.read(key, _text, None) for key in ("door", "population", "to")}
        label = table.read("label", _text, "")
        table.finish()
        if table.failed:
            ctx.damaged.add(path)
            continue
        built.append((float(at), i, Event(at=float(at), action=action, label=label, **refs)))
    built.sort(key=lambda entry: entry[0])
    ctx.event_sources = [i for _, i, _ in built]
    return tuple(event for _, _, event in built)
