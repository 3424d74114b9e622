"""What navigation needs to know about a space, and the error it raises on input it cannot grid."""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from aforo.errors import AforoError

Point = tuple[float, float]
Segment = tuple[Point, Point]  # ((x1, y1), (x2, y2)) in metres

UNIT_TOLERANCE = 1e-6  # how far |uphill| may be from 1


class NavigationError(AforoError, ValueError):
    """Navigation input that cannot be gridded: a portal or exit narrower than a cell, a segment
    off the boundary it should lie on, an index out of range. The message names the item."""


@dataclass(frozen=True, kw_only=True)
class NavSpace:
    """One space of a venue as navigation sees it: a level's floor or a stair flight, in plan.

    polygon        walkable area in plan (m), a shapely Polygon or MultiPolygon
    slowness_up    1/speed factor walking uphill (dimensionless; 1 on a level)
    slowness_down  1/speed factor walking downhill (dimensionless; 1 on a level)
    uphill         unit vector in plan pointing uphill; (0, 0) for a level. A space with a zero
                   ``uphill`` has no up or down and uses the mean of the two slownesses.
    """

    polygon: BaseGeometry
    slowness_up: float = 1.0
    slowness_down: float = 1.0
    uphill: tuple[float, float] = (0.0, 0.0)

    def __post_init__(self) -> None:
        problems = []
        if not isinstance(self.polygon, (Polygon, MultiPolygon)) or self.polygon.is_empty:
            problems.append(f"polygon must be a non-empty Polygon or MultiPolygon, got {self.polygon!r:.80}")
        elif not shapely.is_valid(self.polygon):
            problems.append(f"polygon is not valid: {shapely.is_valid_reason(self.polygon)}")
        for name in ("slowness_up", "slowness_down"):
            value = getattr(self, name)
            if not (isinstance(value, Real) and math.isfinite(value) and value > 0):
                problems.append(f"{name} must be a finite number > 0, got {value!r}")
        uphill = np.asarray(self.uphill, dtype=float)
        if uphill.shape != (2,) or not np.all(np.isfinite(uphill)):
            problems.append(f"uphill must be two finite numbers, got {self.uphill!r}")
        else:
            norm = math.hypot(*uphill)
            if norm != 0.0 and abs(norm - 1.0) > UNIT_TOLERANCE:
                problems.append(f"uphill must be a unit vector or (0, 0), got length {norm:.6g}")
        if problems:
            raise NavigationError("invalid NavSpace: " + "; ".join(problems))

    @property
    def is_stair(self) -> bool:
        """True when the space has an uphill direction (its slowness depends on the way walked)."""
        return self.uphill[0] != 0.0 or self.uphill[1] != 0.0

    @property
    def mean_slowness(self) -> float:
        """Mean of the up and down slownesses: the first-pass guess on a stair."""
        return 0.5 * (self.slowness_up + self.slowness_down)


def as_segment_array(segment: Segment, what: str) -> np.ndarray:
    """A segment as a [2, 2] float64 array (m), checked finite and of non-zero length."""
    try:
        array = np.asarray(segment, dtype=float).reshape(2, 2)
    except (TypeError, ValueError) as error:
        raise NavigationError(f"{what}: a segment must be ((x1, y1), (x2, y2)), got {segment!r}") from error
    if not np.all(np.isfinite(array)):
        raise NavigationError(f"{what}: segment has non-finite coordinates {segment!r}")
    if np.hypot(*(array[1] - array[0])) == 0.0:
        raise NavigationError(f"{what}: segment has zero length {segment!r}")
    return array


def check_area_polygon(polygon, what: str) -> BaseGeometry:
    """``polygon`` checked to be a non-empty, valid Polygon or MultiPolygon of positive area with
    finite coordinates, or a NavigationError naming ``what``."""
    if not isinstance(polygon, (Polygon, MultiPolygon)):
        raise NavigationError(f"{what}: an area must be a shapely Polygon or MultiPolygon, "
                              f"got {type(polygon).__name__}")
    if polygon.is_empty:
        raise NavigationError(f"{what}: the area's polygon is empty")
    if not np.all(np.isfinite(shapely.get_coordinates(polygon))):
        raise NavigationError(f"{what}: the area's polygon has non-finite coordinates")
    if not shapely.is_valid(polygon):
        raise NavigationError(f"{what}: the area's polygon is not valid: {shapely.is_valid_reason(polygon)}")
    if not polygon.area > 0.0:
        raise NavigationError(f"{what}: the area's polygon has zero area")
    return polygon


def check_space_index(space: int, n_spaces: int, what: str) -> int:
    """``space`` as an int, or a NavigationError naming ``what``."""
    if not isinstance(space, (int, np.integer)) or not 0 <= int(space) < n_spaces:
        raise NavigationError(f"{what}: space index {space!r} is not in 0..{n_spaces - 1}")
    return int(space)


def check_spaces(spaces: Sequence[NavSpace]) -> tuple[NavSpace, ...]:
    """The spaces as a tuple, each checked to be a :class:`NavSpace`."""
    spaces = tuple(spaces)
    if not spaces:
        raise NavigationError("at least one space is needed")
    for index, space in enumerate(spaces):
        if not isinstance(space, NavSpace):
            raise NavigationError(f"spaces[{index}] must be a NavSpace, got {type(space).__name__}")
    return spaces
