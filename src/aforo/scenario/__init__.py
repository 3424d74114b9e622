"""The scenario input language: the frozen model, loading from TOML, validation, serialization.

    from aforo.scenario import load, loads, from_dict, validate, to_dict, dumps, Scenario

See docs/scenario-format.md for the file format.
"""

from aforo.scenario.load import from_dict, load, loads
from aforo.scenario.model import (
    DOOR_STATES,
    DOOR_SWINGS,
    EVENT_ACTIONS,
    ROLES,
    Area,
    BeliefSettings,
    Distribution,
    Door,
    Event,
    Exit,
    Level,
    NavigationSettings,
    PhysicsParameters,
    Population,
    RunSettings,
    Scenario,
    Stair,
)
from aforo.scenario.serialize import dumps, to_dict
from aforo.scenario.validate import find_problems, validate

__all__ = [
    "DOOR_STATES",
    "DOOR_SWINGS",
    "EVENT_ACTIONS",
    "ROLES",
    "Area",
    "BeliefSettings",
    "Distribution",
    "Door",
    "Event",
    "Exit",
    "Level",
    "NavigationSettings",
    "PhysicsParameters",
    "Population",
    "RunSettings",
    "Scenario",
    "Stair",
    "dumps",
    "find_problems",
    "from_dict",
    "load",
    "loads",
    "to_dict",
    "validate",
]
