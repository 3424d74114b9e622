"""Initial placement of populations: seeded, without overlap, inside walkable space."""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import Polygon

from aforo.errors import Problem, ScenarioError
from aforo.scenario.model import Population

# Placement keeps bodies this far apart at least, as a fraction of the largest diameter; below
# it a spawn area is "full". 0.9 matches the validator's 90 % of hexagonal packing.
MIN_SPACING_FRACTION = 0.9


def place(population: Population, area, rng: np.random.Generator, radius_max_m: float) -> np.ndarray:
    """Positions [count, 2] for a population inside ``area`` (a shapely geometry).

    Points come from a hexagonal lattice with a random offset, as loose as the count allows,
    chosen at random and jittered within the slack, so bodies of radius ≤ radius_max_m start
    without overlap whenever the lattice spacing permits it.
    """
    if population.count == 0:  # allowed: a population kept in a file but switched off
        return np.zeros((0, 2))
    # Centres lie in the spawn area and at least one radius from every wall.
    usable = area.buffer(-radius_max_m)
    if population.spawn is not None:
        usable = usable.intersection(Polygon(population.spawn))
    if usable.is_empty:
        points = np.zeros((0, 2))
    elif population.count == 1 or not population.present:
        # A single walker may be placed in any spawn area, however small; a population that
        # enters later steps in one at a time where its point is free, so points may overlap.
        return _random_points(usable, population.count, rng)
    else:
        # As loose as the area allows (room for about 15 % more than the count, so the draw is
        # still random), never closer than the bodies: people spread out where they can, and
        # the social repulsion of bodies placed almost touching would blow the crowd apart.
        loose = math.sqrt(2.0 * usable.area / (math.sqrt(3.0) * 1.15 * population.count))
        spacing = max(2.0 * radius_max_m * 1.05, loose)
        floor = 2.0 * radius_max_m * MIN_SPACING_FRACTION
        while True:
            points = _hex_points(usable, spacing, rng)
            if len(points) >= population.count or spacing <= floor:
                break
            spacing = max(floor, spacing * 0.97)
    if len(points) < population.count:
        raise ScenarioError(
            Problem(
                path=f"populations.{population.name}.count",
                message=f"{population.count} agents do not fit: at most {len(points)} bodies of "
                f"radius {radius_max_m:g} m could be placed",
                hint="enlarge the spawn area, lower the count or the radius",
            )
        )
    chosen = points[rng.choice(len(points), size=population.count, replace=False)]
    slack = max(0.0, 0.5 * (spacing - 2.0 * radius_max_m))
    if slack > 0:
        jittered = chosen + rng.uniform(-slack, slack, size=chosen.shape) / math.sqrt(2.0)
        inside = shapely.contains_xy(usable, jittered[:, 0], jittered[:, 1])
        chosen = np.where(inside[:, None], jittered, chosen)
    return chosen


def _random_points(region, count: int, rng: np.random.Generator) -> np.ndarray:
    """Uniform random points in a region (rejection from its bounding box)."""
    x0, y0, x1, y1 = region.bounds
    if x1 - x0 <= 0 or y1 - y0 <= 0:  # a segment or point: its representative point
        p = region.representative_point()
        return np.array([[p.x, p.y]] * count)
    found = np.zeros((0, 2))
    while len(found) < count:
        trial = rng.uniform((x0, y0), (x1, y1), size=(64 * count, 2))
        found = np.vstack([found, trial[shapely.contains_xy(region, trial[:, 0], trial[:, 1])]])
    return found[:count]


def _hex_points(region, spacing: float, rng: np.random.Generator) -> np.ndarray:
    x0, y0, x1, y1 = region.bounds
    row_step = spacing * math.sqrt(3.0) / 2.0
    offset_x, offset_y = rng.uniform(0, spacing), rng.uniform(0, row_step)
    ys = np.arange(y0 + offset_y - row_step, y1 + row_step, row_step)
    xs = np.arange(x0 + offset_x - spacing, x1 + spacing, spacing)
    grid_x, grid_y = np.meshgrid(xs, ys)
    grid_x = grid_x + (np.arange(len(ys))[:, None] % 2) * 0.5 * spacing
    px, py = grid_x.ravel(), grid_y.ravel()
    inside = shapely.contains_xy(region, px, py)
    return np.column_stack([px[inside], py[inside]])
