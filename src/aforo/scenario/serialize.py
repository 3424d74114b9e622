"""Write a Scenario back out: a plain dict, or TOML text, fully resolved.

Everything is written: every default, doors as jambs (a door given by centre and width in the
source comes out as its resolved jambs), all quantities as plain SI numbers (m, s, m/s, kg, N,
rad, 1/s, m²/s; the gas's air changes per hour), event and canister times as seconds after the start (a clock time in the source comes out as its
seconds; ``[clock] start`` is kept). Keys the file forbids in context are left out: a door
without leaves (swing "none") has no leaf keys, a double door no hinge, an occupant no post and
no effort.
The result is what a run directory keeps as ``scenario.resolved`` and loads back unchanged:
``loads(dumps(s)) == s``.
"""

from __future__ import annotations

import numbers
from dataclasses import fields
from typing import Any

import tomli_w

from aforo.scenario.model import (
    HARM_KEYS,
    SMOKE_QUANTITIES,
    Area,
    Canister,
    Distribution,
    Door,
    Event,
    Exit,
    Level,
    Population,
    Scenario,
    Smoke,
    Stair,
)

__all__ = ["to_dict", "dumps"]

HEADER = ("# aforo scenario, resolved: SI units (m, s, m/s, kg, N, rad, 1/s, m²/s; air changes per hour),\n"
          "# every default written out; event and canister times in seconds after the start.\n\n")


LINE_WIDTH = 100


def dumps(scenario: Scenario) -> str:
    """The scenario as TOML text that :func:`aforo.scenario.loads` reads back equal."""
    data = to_dict(scenario)
    events = data.pop("events", [])
    text = HEADER + compact_arrays(tomli_w.dumps(data))
    # One [[events]] section per event, in time order, after everything else (tomli_w would
    # write short ones as an inline array at the top of the file).
    for event in events:
        text += "\n[[events]]\n" + tomli_w.dumps(event)
    return text


def compact_arrays(text: str, width: int = LINE_WIDTH) -> str:
    """Put each multi-line array that fits in ``width`` characters on one line, innermost first.

    tomli_w writes every array one item per line, so a point takes four lines and a ring twenty.
    TOML text written by tomli_w opens a multi-line array with a line ending in "[" and closes it
    with a line "]" or "],"; strings never span lines (multiline_strings is off), so this is safe.
    """
    out: list[str] = []
    opened: list[int] = []  # indices in ``out`` of lines that opened a still-open array
    for line in text.split("\n"):
        closing = line.strip()
        if line.endswith("["):
            opened.append(len(out))
        elif closing in ("]", "],") and opened:
            start = opened.pop()
            items = [item.strip() for item in out[start + 1 :]]
            if not any(item.endswith("[") for item in items):  # every inner array already one line
                joined = out[start] + ", ".join(item.rstrip(",") for item in items) + closing.lstrip()
                if len(joined) <= width:
                    del out[start:]
                    out.append(joined)
                    continue
        out.append(line)
    return "\n".join(out)


def to_dict(scenario: Scenario) -> dict[str, Any]:
    """The scenario as a dict of plain TOML values, laid out like the scenario file."""
    out: dict[str, Any] = {"scenario": {"name": scenario.name, "description": scenario.description}}
    if scenario.clock_start is not None:
        out["clock"] = {"start": scenario.clock_start}
    out.update({
        "run": _settings(scenario.run),
        "physics": _settings(scenario.physics),
        "navigation": _settings(scenario.navigation),
        "beliefs": _settings(scenario.beliefs),
        "gas": _settings(scenario.gas),
        "levels": {level.name: _level(level) for level in scenario.levels},
    })
    if scenario.stairs:
        out["stairs"] = {stair.name: _stair(stair) for stair in scenario.stairs}
    if scenario.areas:
        out["areas"] = {area.name: _area(area) for area in scenario.areas}
    if scenario.populations:
        out["populations"] = {pop.name: _population(pop) for pop in scenario.populations}
    if scenario.canisters:
        out["canisters"] = {can.name: _canister(can) for can in scenario.canisters}
    if scenario.smoke:
        out["smoke"] = {smoke.name: _smoke(smoke) for smoke in scenario.smoke}
    harm: dict[str, Any] = {model: {k: float(v) for k, v in getattr(scenario.harm, model)} for model in HARM_KEYS}
    harm = {model: values for model, values in harm.items() if values}
    if not scenario.harm.enabled:
        harm["enabled"] = False
    if not scenario.harm.bodies_on_floor:
        harm["bodies_on_floor"] = False
    if harm:
        out["harm"] = harm
    if scenario.events:
        out["events"] = [_event(event) for event in scenario.events]
    return out


def _plain(value: Any) -> Any:
    """A number as a TOML int or float (numpy scalars included); other values unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    return value


def _settings(obj: Any) -> dict[str, Any]:
    return {f.name: _plain(getattr(obj, f.name)) for f in fields(obj)}


def _point(point) -> list[float]:
    return [float(point[0]), float(point[1])]


def _ring(ring) -> list[list[float]]:
    return [_point(p) for p in ring]


def _level(level: Level) -> dict[str, Any]:
    out: dict[str, Any] = {
        "elevation": float(level.elevation),
        "walkable": [_ring(r) for r in level.walkable],
        "obstacles": [_ring(r) for r in level.obstacles],
    }
    if level.doors:
        out["doors"] = {door.name: _door(door) for door in level.doors}
    if level.exits:
        out["exits"] = {exit_.name: _exit(exit_) for exit_ in level.exits}
    return out


def _door(door: Door) -> dict[str, Any]:
    out: dict[str, Any] = {"jambs": _ring(door.jambs), "state": door.state, "swing": door.swing}
    if door.swing != "none":  # leaf keys describe leaves; the loader rejects them without a swing
        out["leaves"] = int(door.leaves)
        if door.leaves == 1:  # a double door is hinged at both jambs: no hinge key
            out["hinge"] = door.hinge
        out["max_angle"] = float(door.max_angle)
        out["leaf_mass"] = float(door.leaf_mass)
        out["handle_force"] = float(door.handle_force)
    return out


def _exit(exit_: Exit) -> dict[str, Any]:
    return {"segment": _ring(exit_.segment)}


def _stair(stair: Stair) -> dict[str, Any]:
    return {
        "lower_level": stair.lower_level,
        "upper_level": stair.upper_level,
        "footprint": _ring(stair.footprint),
        "lower_edge": _ring(stair.lower_edge),
        "upper_edge": _ring(stair.upper_edge),
        "steps": int(stair.steps),
        "rise": float(stair.rise),
        "speed_factor_up": float(stair.speed_factor_up),
        "speed_factor_down": float(stair.speed_factor_down),
    }


def _population(pop: Population) -> dict[str, Any]:
    out: dict[str, Any] = {"space": pop.space, "count": int(pop.count)}
    if pop.spawn is not None:
        out["spawn"] = _ring(pop.spawn)
    if pop.seed is not None:
        out["seed"] = int(pop.seed)
    for name in ("radius", "desired_speed", "mass", "relaxation_time"):
        out[name] = _distribution(getattr(pop, name))
    out["pushing"] = bool(pop.pushing)
    out["headway_time"] = float(pop.headway_time)
    out["role"] = pop.role
    if pop.post is not None:
        out["post"] = pop.post
    if pop.role != "occupant":  # the loader rejects an occupant's effort (it would be unused)
        out["effort"] = float(pop.effort)
    out["destination"] = pop.destination
    if pop.start is not None:
        out["start"] = _distribution(pop.start)
    out["present"] = bool(pop.present)
    out["unknown_doors"] = list(pop.unknown_doors)
    return out


def _area(area: Area) -> dict[str, Any]:
    return {"space": area.space, "polygon": _ring(area.polygon)}


def _canister(can: Canister) -> dict[str, Any]:
    return {"space": can.space, "position": _point(can.position), "at": float(can.at), "mass": float(can.mass),
            "duration": float(can.duration)}


def _smoke(smoke: Smoke) -> dict[str, Any]:
    """Values as lists in stored units (volume fractions, 1/s, 1/m); times in seconds."""
    if smoke.file is not None:
        return {"file": smoke.file}
    out: dict[str, Any] = {"space": smoke.space}
    if smoke.polygon is not None:
        out["polygon"] = _ring(smoke.polygon)
    if smoke.times:
        out["times"] = [float(t) for t in smoke.times]
    for quantity in SMOKE_QUANTITIES:
        if getattr(smoke, quantity):
            out[quantity] = [float(v) for v in getattr(smoke, quantity)]
    return out


def _event(event: Event) -> dict[str, Any]:
    out: dict[str, Any] = {"at": float(event.at), "action": event.action}
    for key in ("door", "population", "to"):
        if getattr(event, key) is not None:
            out[key] = getattr(event, key)
    out["label"] = event.label
    return out


def _distribution(dist: Distribution) -> float | dict[str, Any]:
    """A fixed value as a number; otherwise the table the loader reads (absent bounds left out)."""
    if dist.kind == "fixed":
        return float(dist.value)
    if dist.kind == "uniform":
        return {"distribution": "uniform", "low": float(dist.low), "high": float(dist.high)}
    out: dict[str, Any] = {"distribution": "normal", "mean": float(dist.mean), "std": float(dist.std)}
    if dist.low is not None:
        out["low"] = float(dist.low)
    if dist.high is not None:
        out["high"] = float(dist.high)
    return out
