"""Scenario files of the verification cases, and running them with the engine.

The cases live in ``scenarios/verification/`` (each loads with ``aforo check``). A case may vary
one file (seeds, counts, desired speeds, an exit's width) with the helpers here; the variations
are :func:`dataclasses.replace` of the frozen model, validated again before they run.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import aforo
from aforo.engine.simulation import Simulation
from aforo.errors import AforoError, ScenarioError
from aforo.scenario import load
from aforo.scenario.model import Distribution, Exit, Level, Population, Scenario
from aforo.scenario.validate import find_problems


def default_scenarios_dir() -> Path:
    """``scenarios/verification`` of the source tree aforo runs from (an editable install)."""
    return Path(aforo.__file__).resolve().parents[2] / "scenarios" / "verification"


class VerificationError(AforoError, ValueError):
    """Bad input to ``aforo verify`` (unknown case, missing scenarios, unwritable output)."""


def load_scenario(directory: Path, name: str) -> Scenario:
    path = Path(directory) / name
    if not path.is_file():
        raise VerificationError(f"{path}: verification scenario not found (pass --scenarios DIR "
                                "pointing at aforo's scenarios/verification)")
    return load(path)


def checked(scenario: Scenario, what: str) -> Scenario:
    """The scenario, after the loader's checks (a variation must obey the file's rules)."""
    problems = find_problems(scenario)
    if problems:
        raise ScenarioError(problems, what)
    return scenario


def with_seed(scenario: Scenario, seed: int) -> Scenario:
    return replace(scenario, run=replace(scenario.run, seed=int(seed)))


def with_duration(scenario: Scenario, duration_s: float) -> Scenario:
    return replace(scenario, run=replace(scenario.run, duration=float(duration_s)))


def with_population(scenario: Scenario, name: str | None = None, **changes) -> Scenario:
    """Change fields of one population (the only one when ``name`` is None)."""
    if name is None and len(scenario.populations) != 1:
        raise ValueError("name the population: the scenario has several")
    pops = tuple(replace(p, **changes) if name is None or p.name == name else p for p in scenario.populations)
    return replace(scenario, populations=pops)


def with_fixed_speed(scenario: Scenario, speed_m_per_s: float, name: str | None = None) -> Scenario:
    return with_population(scenario, name, desired_speed=Distribution.fixed(speed_m_per_s))


def with_exit_width(scenario: Scenario, exit_name: str, width_m: float) -> Scenario:
    """The named exit resized to ``width_m`` about its midpoint, along its own line."""
    levels = []
    for level in scenario.levels:
        exits = []
        for e in level.exits:
            if e.name == exit_name:
                (x1, y1), (x2, y2) = e.segment
                mx, my = (x1 + x2) / 2, (y1 + y2) / 2
                ux, uy = (x2 - x1) / e.width, (y2 - y1) / e.width
                h = width_m / 2
                e = Exit(e.name, e.level, ((mx - ux * h, my - uy * h), (mx + ux * h, my + uy * h)))
            exits.append(e)
        levels.append(replace(level, exits=tuple(exits)))
    return replace(scenario, levels=tuple(levels))


def level_bounds(level: Level) -> tuple[float, float, float, float]:
    """(x_min, y_min, x_max, y_max) of a level's walkable rings."""
    xs = [x for ring in level.walkable for x, _ in ring]
    ys = [y for ring in level.walkable for _, y in ring]
    return min(xs), min(ys), max(xs), max(ys)


def build(scenario: Scenario) -> Simulation:
    """A simulation of ``scenario`` (a case that tests the movement law alone, such as Helbing
    2000's room, turns harm off in its file: ``[harm] enabled = false``)."""
    return Simulation.from_scenario(scenario)


def simulate(scenario: Scenario, *, observers: tuple = ()) -> Simulation:
    """Run ``scenario`` to its end (or until everyone has left) and return the simulation."""
    sim = build(scenario)
    sim.run(observers=observers)
    return sim


def population_mask(sim: Simulation, name: str):
    """Boolean mask of the agents of one population."""
    index = [p.name for p in sim.scenario.populations].index(name)
    return sim.state.population == index


def population(scenario: Scenario, name: str) -> Population:
    return scenario.population(name)
