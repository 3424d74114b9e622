"""Shared helpers for the scenario tests: a small valid scenario to break, and problem matchers."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from aforo.errors import Problem, ScenarioError
from aforo.scenario import from_dict, loads

REPO = Path(__file__).resolve().parents[2]
SHIPPED = sorted((REPO / "scenarios").rglob("*.toml"))
LOS_OLIVOS = REPO / "scenarios" / "los-olivos" / "venue.toml"

# A 10 m × 10 m room with a 1 m exit in the east wall and ten people: valid as it stands.
ROOM: dict[str, Any] = {
    "scenario": {"name": "room"},
    "levels": {
        "room": {
            "walkable": [[0, 0], [10, 0], [10, 10], [0, 10]],
            "exits": {"east": {"segment": [[10, 4.5], [10, 5.5]]}},
        }
    },
    "populations": {"people": {"space": "room", "count": 10}},
}


def room(**changes: Any) -> dict[str, Any]:
    """A deep copy of ROOM with dotted-path changes: room(**{"run.duration": -1})."""
    data = copy.deepcopy(ROOM)
    for dotted, value in changes.items():
        set_path(data, dotted, value)
    return data


def los_olivos(**changes: Any) -> dict[str, Any]:
    data = tomllib.loads(LOS_OLIVOS.read_text(encoding="utf-8"))
    for dotted, value in changes.items():
        set_path(data, dotted, value)
    return data


_DELETE = object()
DELETE = _DELETE  # set_path(data, "a.b", DELETE) removes the key


def set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for key in parents:
        data = data.setdefault(key, {})
    if value is _DELETE:
        del data[last]
    else:
        data[last] = value


def problems_of(data: dict[str, Any] | str) -> list[Problem]:
    """The problems raised for ``data`` (a dict or TOML text); fails if it loads."""
    with pytest.raises(ScenarioError) as info:
        loads(data) if isinstance(data, str) else from_dict(data)
    assert info.value.problems, "a ScenarioError must list at least one problem"
    return info.value.problems


def find(problems: list[Problem], path: str, *fragments: str) -> Problem:
    """The problem at ``path`` whose message contains every fragment; fails with the list if none."""
    for problem in problems:
        if problem.path == path and all(f in problem.message for f in fragments):
            return problem
    listed = "\n".join(str(p) for p in problems)
    raise AssertionError(f"no problem at {path!r} containing {fragments!r}; got:\n{listed}")


def only(problems: list[Problem], path: str, *fragments: str) -> Problem:
    """Like find, and there is no other problem."""
    problem = find(problems, path, *fragments)
    assert len(problems) == 1, "expected one problem, got:\n" + "\n".join(str(p) for p in problems)
    return problem
