"""Plan geometry the loader and the validator need: areas of levels, walls, segments on walls.

Small helpers over shapely. Everything is in metres. These are for checking and resolving a
scenario once at load; the compiled venue (aforo.venue) has its own arrays for the simulation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from aforo.scenario.model import Level, Ring, Segment

# A door jamb, an exit or a stair edge counts as "on a wall" within this distance (m).
WALL_TOLERANCE_M = 0.02
# A spawn area or an obstacle may stick out of the area that should contain it by this much (m):
# room for rounding in hand-written coordinates, far below any body size.
CONTAINMENT_TOLERANCE_M = 1e-6
# Vertices closer than this to the line through their neighbours are treated as collinear, so that
# a wall split by an extra vertex (a stair's corner, say) still counts as one straight edge.
COLLINEAR_TOLERANCE_M = 1e-9
# Smallest area (m²) that counts as a piece of floor; below it a polygon is degenerate.
MIN_AREA_M2 = 1e-9


def ring_problem(ring: Ring) -> str | None:
    """Why ``ring`` is not a usable simple polygon, or None if it is."""
    distinct = {(float(x), float(y)) for x, y in ring}
    if len(distinct) < 3:
        return f"has {len(distinct)} distinct vertices; a polygon needs at least 3"
    if _collinear(ring):
        return "is degenerate: all its vertices lie on one line, so its area is zero"
    polygon = Polygon(ring)
    if not polygon.is_valid:
        return f"is not a simple polygon: {explain_validity(polygon)} (edges cross or touch)"
    if polygon.area < MIN_AREA_M2:
        return f"is degenerate: its area is {polygon.area:.2g} m²"
    return None


def _collinear(ring: Ring) -> bool:
    """Whether all vertices lie within COLLINEAR_TOLERANCE_M of one line."""
    points = np.asarray(ring, dtype=np.float64)
    centred = points - points.mean(axis=0)
    # The smallest singular value / sqrt(n) is the rms distance from the best-fitting line.
    smallest = np.linalg.svd(centred, compute_uv=False)[-1]
    return bool(smallest / math.sqrt(len(points)) <= COLLINEAR_TOLERANCE_M)


def polygon(ring: Ring) -> Polygon:
    return Polygon(ring)


def union_of(rings: Sequence[Ring]) -> BaseGeometry:
    """Union of the polygons of ``rings`` (empty geometry for no rings)."""
    return shapely.union_all([Polygon(r) for r in rings]) if rings else Polygon()


def polygons_of(geometry: BaseGeometry) -> list[Polygon]:
    """The polygons of a Polygon, MultiPolygon or collection, dropping slivers below MIN_AREA_M2."""
    parts = getattr(geometry, "geoms", [geometry])
    out: list[Polygon] = []
    for part in parts:
        if isinstance(part, Polygon):
            if part.area >= MIN_AREA_M2:
                out.append(part)
        elif hasattr(part, "geoms"):
            out.extend(polygons_of(part))
    return out


@dataclass(frozen=True)
class LevelShape:
    """A level's floor in shapely terms, built only from valid rings.

    ``floor``: union of the walkable rings. ``free``: floor minus obstacles (where agents can be).
    ``walls``: boundary of ``free`` (outer walls and obstacle outlines). ``outer``: the exterior
    outlines of ``floor``, i.e. the building's outer walls, where exits and exterior doors sit.
    """

    floor: BaseGeometry
    free: BaseGeometry
    walls: BaseGeometry
    outer: BaseGeometry


def level_shape(level: Level) -> LevelShape:
    floor = union_of(level.walkable)
    free = floor.difference(union_of(level.obstacles)) if level.obstacles else floor
    outer = MultiLineString([p.exterior for p in polygons_of(floor)])
    return LevelShape(floor=floor, free=free, walls=free.boundary, outer=outer)


def segment_line(segment: Segment) -> LineString:
    return LineString(segment)


def segment_length(segment: Segment) -> float:
    (x1, y1), (x2, y2) = segment
    return math.hypot(x2 - x1, y2 - y1)


def distance_to(geometry: BaseGeometry, point: tuple[float, float]) -> float:
    return float(geometry.distance(Point(point)))


def lies_along(segment: Segment, line: BaseGeometry, tolerance: float = WALL_TOLERANCE_M) -> bool:
    """Whether every point of ``segment`` is within ``tolerance`` of ``line``."""
    if line.is_empty:
        return False
    # The buffer is inscribed in the exact tolerance band, so add a hair for points right on it.
    return bool(line.buffer(tolerance + 1e-9, quad_segs=16).covers(LineString(segment)))


def covered_by(inner: BaseGeometry, outer: BaseGeometry, tolerance: float = CONTAINMENT_TOLERANCE_M) -> bool:
    """Whether ``inner`` lies inside ``outer`` up to ``tolerance`` (m)."""
    return bool(outer.buffer(tolerance).covers(inner))


def protrusion_area(inner: BaseGeometry, outer: BaseGeometry) -> float:
    """Area (m²) of ``inner`` that lies outside ``outer``."""
    return float(inner.difference(outer).area)


# --- doors given by centre and clear width ---------------------------------------------------


def wall_edges(area: BaseGeometry) -> list[Segment]:
    """Straight wall edges of ``area`` (exteriors and holes), collinear runs merged into one edge."""
    edges: list[Segment] = []
    for poly in polygons_of(area):
        for ring in (poly.exterior, *poly.interiors):
            coords = list(shapely.simplify(LineString(ring.coords), COLLINEAR_TOLERANCE_M).coords)
            edges += [(tuple(a), tuple(b)) for a, b in zip(coords[:-1], coords[1:])]
    return edges


@dataclass(frozen=True)
class DoorPlacement:
    """Outcome of placing a door on a wall: the jambs, or why it could not be placed."""

    jambs: Segment | None
    problem: str = ""
    hint: str = ""


def place_on_wall(area: BaseGeometry, center: tuple[float, float], clear_width_m: float) -> DoorPlacement:
    """Put a door of ``clear_width_m`` on the wall edge of ``area`` nearest ``center``.

    The centre must be within WALL_TOLERANCE_M of that edge and the whole width must fit on it.
    Jambs are the centre's projection onto the edge ± half the width along the edge.
    """
    edges = wall_edges(area)
    if not edges:
        return DoorPlacement(None, "the level has no walls to place the door on")
    scored = sorted((_distance_to_edge(center, e), i, e) for i, e in enumerate(edges))
    near = [(d, e) for d, _, e in scored if d <= WALL_TOLERANCE_M + 1e-12]
    if not near:
        d, _, edge = scored[0]
        return DoorPlacement(
            None,
            f"center {fmt_point(center)} is {d:.3f} m from the nearest wall edge "
            f"{fmt_segment(edge)}; a door's center must be within {WALL_TOLERANCE_M} m of a wall",
            "move the center onto the wall, or give the jambs = [[x1, y1], [x2, y2]] directly",
        )
    for _, edge in near:  # at a corner two edges are near: take the first the door fits on
        jambs = _jambs_on_edge(edge, center, clear_width_m)
        if jambs is not None:
            return DoorPlacement(jambs)
    edge = near[0][1]
    return DoorPlacement(
        None,
        f"a door {clear_width_m:g} m wide centred at {fmt_point(center)} does not fit on the wall "
        f"edge {fmt_segment(edge)} (length {segment_length(edge):.3f} m); the whole clear width "
        "must lie on one straight wall edge",
        "move the center along the wall, make the door narrower, or give the jambs directly",
    )


def _distance_to_edge(point: tuple[float, float], edge: Segment) -> float:
    return float(LineString(edge).distance(Point(point)))


def _jambs_on_edge(edge: Segment, center: tuple[float, float], width: float) -> Segment | None:
    (ax, ay), (bx, by) = edge
    length = math.hypot(bx - ax, by - ay)
    ux, uy = (bx - ax) / length, (by - ay) / length
    along = (center[0] - ax) * ux + (center[1] - ay) * uy  # projection of the centre on the edge
    start, end = along - 0.5 * width, along + 0.5 * width
    slack = 1e-9 * max(1.0, length)
    if start < -slack or end > length + slack:
        return None
    start, end = max(start, 0.0), min(end, length)
    return ((ax + start * ux, ay + start * uy), (ax + end * ux, ay + end * uy))


def fmt_point(p: tuple[float, float]) -> str:
    return f"({p[0]:g}, {p[1]:g})"


def fmt_segment(s: Segment) -> str:
    return f"{fmt_point(s[0])}–{fmt_point(s[1])}"



# --- connectivity ------------------------------------------------------------------------------


def cut_by_doors(area: BaseGeometry, doors: Sequence[Segment]) -> list[Polygon]:
    """The pieces of ``area`` once each door segment is made a wall.

    Each door becomes a 2 mm strip, lengthened past both jambs by a little more than the jamb
    tolerance so it meets the walls even when a jamb sits up to WALL_TOLERANCE_M off them.
    """
    if not doors:
        return polygons_of(area)
    strips = [_door_strip(d) for d in doors]
    return polygons_of(area.difference(shapely.union_all(strips)))


def _door_strip(segment: Segment, half_width_m: float = 1e-3) -> Polygon:
    (ax, ay), (bx, by) = segment
    length = math.hypot(bx - ax, by - ay)
    ux, uy = (bx - ax) / length, (by - ay) / length
    nx, ny = -uy * half_width_m, ux * half_width_m
    reach = WALL_TOLERANCE_M + 0.005
    sx, sy = ax - reach * ux, ay - reach * uy
    ex, ey = bx + reach * ux, by + reach * uy
    return Polygon([(sx + nx, sy + ny), (ex + nx, ey + ny), (ex - nx, ey - ny), (sx - nx, sy - ny)])


class UnionFind:
    """Disjoint sets over hashable nodes (for which spaces connect to which)."""

    def __init__(self) -> None:
        self._parent: dict[object, object] = {}

    def add(self, node: object) -> None:
        self._parent.setdefault(node, node)

    def find(self, node: object) -> object:
        self.add(node)
        root = node
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[node] != root:  # path compression
            self._parent[node], node = root, self._parent[node]
        return root

    def union(self, a: object, b: object) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self._parent[rb] = ra


# --- doors ---------------------------------------------------------------------------------------


def door_is_exterior(shape: LevelShape, jambs: Segment) -> bool:
    """Whether a door leads outside: its whole segment runs along the level's walls.

    This is the venue compiler's rule (``aforo.venue.geometry.is_on_outer_boundary`` applied to
    the level's walkable area): a door along the boundary of the walkable area is an opening to
    the outside (an outlet when open); a door across a gap inside the level is interior.
    """
    return lies_along(jambs, shape.walls)
