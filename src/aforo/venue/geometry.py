"""Shapely helpers that turn scenario rings and segments into walls and lines."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, Polygon
from shapely.ops import unary_union

from aforo.scenario.model import Level, Ring, Segment, Stair

# Openings are cut out of the boundary with this tolerance (m): vertices in a scenario are typed
# by hand and a door jamb 1 mm off a wall must still open it.
OPENING_TOLERANCE_M = 1e-3


def level_area(level: Level):
    """Walkable area of a level: union of its polygons minus its obstacles."""
    area = unary_union([Polygon(ring) for ring in level.walkable])
    if level.obstacles:
        area = area.difference(unary_union([Polygon(ring) for ring in level.obstacles]))
    return area


def stair_area(stair: Stair):
    return Polygon(stair.footprint)


def segment_line(segment: Segment) -> LineString:
    return LineString(segment)


def boundary_segments(area, openings: Iterable[Segment] = ()) -> np.ndarray:
    """Wall segments [n, 4] of an area's boundary, with the openings cut out."""
    boundary = area.boundary
    cuts = [LineString(s).buffer(OPENING_TOLERANCE_M, cap_style="flat") for s in openings]
    if cuts:
        boundary = boundary.difference(unary_union(cuts))
    return lines_to_segments(boundary)


def lines_to_segments(geometry) -> np.ndarray:
    """Every straight piece of a (multi)line geometry as rows (x1, y1, x2, y2)."""
    rows: list[tuple[float, float, float, float]] = []
    for line in _lines(geometry):
        coords = np.asarray(line.coords)
        for (x1, y1), (x2, y2) in zip(coords[:-1], coords[1:]):
            if (x1, y1) != (x2, y2):
                rows.append((x1, y1, x2, y2))
    return np.asarray(rows, dtype=np.float64).reshape(-1, 4)


def _lines(geometry):
    if geometry.is_empty:
        return []
    if isinstance(geometry, LineString):
        return [geometry]
    if isinstance(geometry, MultiLineString):
        return list(geometry.geoms)
    if hasattr(geometry, "geoms"):
        return [g for part in geometry.geoms for g in _lines(part)]
    return []


def segments_near(segments: np.ndarray, segment: Segment, distance_m: float) -> np.ndarray:
    """The parts of ``segments`` within ``distance_m`` of ``segment`` (clipped)."""
    if segments.size == 0:
        return segments
    zone = LineString(segment).buffer(distance_m)
    clipped = unary_union([LineString([(r[0], r[1]), (r[2], r[3])]) for r in segments]).intersection(zone)
    return lines_to_segments(clipped)


def is_on_outer_boundary(area, segment: Segment, tolerance_m: float = 0.02) -> bool:
    """True when the whole segment runs along the area's boundary (an opening to the outside)."""
    line = LineString(segment)
    return bool(area.boundary.buffer(tolerance_m).contains(line))


def outward_normal(area, segment: Segment) -> tuple[float, float]:
    """Unit normal of a boundary segment pointing out of the area."""
    (x1, y1), (x2, y2) = segment
    length = float(np.hypot(x2 - x1, y2 - y1))
    nx, ny = (y2 - y1) / length, -(x2 - x1) / length
    mx, my = 0.5 * (x1 + x2), 0.5 * (y1 + y2)
    probe = shapely.Point(mx + 0.01 * nx, my + 0.01 * ny)
    return (nx, ny) if not area.contains(probe) else (-nx, -ny)


def ring_area(ring: Ring) -> float:
    return float(Polygon(ring).area)
