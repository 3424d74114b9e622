"""Small geometric primitives shared by kernels (inlined by numba)."""

from __future__ import annotations

import math

from numba import njit


@njit(cache=True, inline="always")
def closest_point_on_segment(px, py, ax, ay, bx, by):
    """The point of segment AB nearest to P, as (qx, qy)."""
    abx = bx - ax
    aby = by - ay
    length_sq = abx * abx + aby * aby
    if length_sq <= 0.0:
        return ax, ay
    t = ((px - ax) * abx + (py - ay) * aby) / length_sq
    if t < 0.0:
        t = 0.0
    elif t > 1.0:
        t = 1.0
    return ax + t * abx, ay + t * aby


# Absolute slack (m) of the box test below: far above the rounding of coordinates of a few
# hundred metres (1e-13 m), far below any distance that matters.
_BOX_SLACK_M = 1e-9


@njit(cache=True, inline="always")
def box_apart_from_segment(x0, y0, x1, y1, ax, ay, bx, by, reach):
    """True when the box [x0, x1] × [y0, y1] lies further than ``reach`` (+ 1 nm) from segment
    AB's bounding box, so that no point of the box is within ``reach`` of the segment.

    A cheap, conservative test that lets a kernel skip far segments; near ones it leaves to
    the exact computation, so a result never depends on it.
    """
    gap = reach + _BOX_SLACK_M
    return (x1 + gap < min(ax, bx) or x0 - gap > max(ax, bx)
            or y1 + gap < min(ay, by) or y0 - gap > max(ay, by))


@njit(cache=True, inline="always")
def projects_inside(px, py, ax, ay, bx, by):
    """True when P's orthogonal projection falls on segment AB (ends included)."""
    abx = bx - ax
    aby = by - ay
    t = (px - ax) * abx + (py - ay) * aby
    return 0.0 <= t <= abx * abx + aby * aby


@njit(cache=True, inline="always")
def _cross(ox, oy, ax, ay, bx, by):
    return (ax - ox) * (by - oy) - (ay - oy) * (bx - ox)


@njit(cache=True, inline="always")
def segments_cross(p1x, p1y, p2x, p2y, q1x, q1y, q2x, q2y):
    """True when segment P1P2 and segment Q1Q2 intersect (touching counts).

    Used for "did this step carry the agent across that line": a path that ends exactly on a wall
    counts as crossing, so the wall guard is conservative.
    """
    d1 = _cross(q1x, q1y, q2x, q2y, p1x, p1y)
    d2 = _cross(q1x, q1y, q2x, q2y, p2x, p2y)
    d3 = _cross(p1x, p1y, p2x, p2y, q1x, q1y)
    d4 = _cross(p1x, p1y, p2x, p2y, q2x, q2y)
    if ((d1 > 0.0 and d2 < 0.0) or (d1 < 0.0 and d2 > 0.0)) and (
        (d3 > 0.0 and d4 < 0.0) or (d3 < 0.0 and d4 > 0.0)
    ):
        return True
    # Collinear or touching cases: an endpoint lying on the other segment.
    if d1 == 0.0 and _on_segment(q1x, q1y, q2x, q2y, p1x, p1y):
        return True
    if d2 == 0.0 and _on_segment(q1x, q1y, q2x, q2y, p2x, p2y):
        return True
    if d3 == 0.0 and _on_segment(p1x, p1y, p2x, p2y, q1x, q1y):
        return True
    if d4 == 0.0 and _on_segment(p1x, p1y, p2x, p2y, q2x, q2y):
        return True
    return False


@njit(cache=True, inline="always")
def _on_segment(ax, ay, bx, by, px, py):
    return min(ax, bx) <= px <= max(ax, bx) and min(ay, by) <= py <= max(ay, by)


@njit(cache=True, inline="always")
def side_of_line(ax, ay, bx, by, px, py):
    """Sign of the cross product (B−A)×(P−A): +1 left of A→B, −1 right, 0 on the line."""
    c = (bx - ax) * (py - ay) - (by - ay) * (px - ax)
    if c > 0.0:
        return 1
    if c < 0.0:
        return -1
    return 0


@njit(cache=True, inline="always")
def hypot(x, y):
    return math.sqrt(x * x + y * y)
