"""Criteria as pure functions of measured numbers, so that each can be tested on synthetic data.

Every function here judges numbers only; the cases (rimea.py, nist.py, published.py) say which
published criterion they stand for. Reference curves are written out with their sources.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

# Weidmann 1993, as quoted by Seyfried et al. 2005 (arXiv:physics/0506170); crowd-physics.md.
WEIDMANN_FREE_SPEED_M_PER_S = 1.34
WEIDMANN_MAX_DENSITY_PER_M2 = 5.4
WEIDMANN_GAMMA_PER_M2 = 1.913

# Seyfried et al. 2009, Transportation Science 43:395 (N = 60): flow J (1/s) by width b (m);
# crowd-physics.md.
SEYFRIED_2009_FLOW_PER_S: dict[float, float] = {0.8: 1.29, 0.9: 1.68, 1.0: 1.90, 1.1: 2.12, 1.2: 2.37}

# Horizontal stair speeds (m/s) up, by handbook (crowd-physics.md, "Stairs").
STAIR_UP_SPEEDS_M_PER_S: dict[str, float] = {
    "Fruin": 0.55, "Weidmann": 0.61, "Predtechenskii–Milinskii": 0.63, "Nelson–Mowrer": 0.80,
}
# JuPedSim's RiMEA 3 implementation: 0.65 m/s down (the one published down speed we hold).
STAIR_DOWN_SPEED_M_PER_S = 0.65


def weidmann_speed(density_per_m2):
    """Weidmann's walking speed (m/s) at a density (1/m²): v0 [1 − exp(−γ (1/ρ − 1/ρ_max))],
    0 at and above ρ_max, v0 at ρ = 0."""
    rho = np.asarray(density_per_m2, dtype=float)
    with np.errstate(divide="ignore"):
        v = WEIDMANN_FREE_SPEED_M_PER_S * (
            1.0 - np.exp(-WEIDMANN_GAMMA_PER_M2 * (1.0 / rho - 1.0 / WEIDMANN_MAX_DENSITY_PER_M2)))
    v = np.where(rho <= 0.0, WEIDMANN_FREE_SPEED_M_PER_S, v)
    return np.clip(v, 0.0, None)


def within(value: float | None, low: float, high: float) -> bool:
    """low ≤ value ≤ high (a missing or non-finite value is not within anything)."""
    return value is not None and math.isfinite(value) and low <= value <= high


def within_relative(measured: float | None, expected: float, fraction: float) -> bool:
    """|measured − expected| ≤ fraction · |expected|."""
    return within(measured, expected - abs(expected) * fraction, expected + abs(expected) * fraction)


def within_absolute(measured: float | None, expected: float, tolerance: float) -> bool:
    """|measured − expected| ≤ tolerance."""
    return within(measured, expected - tolerance, expected + tolerance)


def strictly_increasing(values: Sequence[float]) -> bool:
    """Each value larger than the one before (needs at least two finite values)."""
    v = np.asarray(values, dtype=float)
    return v.size >= 2 and bool(np.all(np.isfinite(v))) and bool(np.all(np.diff(v) > 0))


def non_increasing(values: Sequence[float], tolerance: float = 0.0) -> bool:
    """No value exceeds the one before by more than ``tolerance`` (noise allowance)."""
    v = np.asarray(values, dtype=float)
    return v.size >= 2 and bool(np.all(np.isfinite(v))) and bool(np.all(np.diff(v) <= tolerance))


def minimum_strictly_inside(xs: Sequence[float], ys: Sequence[float]) -> tuple[bool, float | None]:
    """Whether the smallest y lies at an x strictly inside the tested range (not at either end),
    and that x. Non-finite ys (a run that never finished) count as larger than any finite one.

    This is the "faster is slower" shape of Helbing, Farkas & Vicsek 2000 (leaving time against
    desired speed: falling, a minimum, then rising).
    """
    x = np.asarray(xs, dtype=float)
    y = np.asarray(ys, dtype=float)
    if x.size < 3 or x.size != y.size or not np.isfinite(y).any():
        return False, None
    order = np.argsort(x)
    x, y = x[order], np.where(np.isfinite(y[order]), y[order], np.inf)
    k = int(np.argmin(y))
    inside = 0 < k < x.size - 1 and y[k] < y[0] and y[k] < y[-1]
    return bool(inside), float(x[k])


def interior_maximum(xs: Sequence[float], ys: Sequence[float]) -> tuple[bool, float | None]:
    """Whether the largest y lies strictly inside the x range (the flow of a fundamental
    diagram rises, peaks and falls), and its x."""
    inside, x_at = minimum_strictly_inside(xs, -np.asarray(ys, dtype=float))
    return inside, x_at


def ratio_within(numerator: float | None, denominator: float | None, low: float, high: float) -> tuple[bool, float | None]:
    """numerator / denominator, and whether it lies in [low, high]."""
    if numerator is None or denominator is None or not denominator or not math.isfinite(numerator) or not math.isfinite(denominator):
        return False, None
    r = numerator / denominator
    return within(r, low, high), r


def ks_statistic(samples: Sequence[float], cdf) -> float:
    """Kolmogorov–Smirnov distance between the samples' empirical CDF and ``cdf``."""
    x = np.sort(np.asarray(samples, dtype=float))
    n = x.size
    if n == 0:
        return 1.0
    f = np.asarray(cdf(x), dtype=float)
    above = np.arange(1, n + 1) / n - f
    below = f - np.arange(0, n) / n
    return float(max(above.max(), below.max()))


def ks_critical(n: int, alpha: float = 0.05) -> float:
    """Critical KS distance at level ``alpha`` for ``n`` samples, with Stephens' (1970)
    small-sample correction: c(α) / (√n + 0.12 + 0.11/√n), c(0.05) = 1.358, c(0.01) = 1.628."""
    c = {0.05: 1.358, 0.01: 1.628, 0.10: 1.224}[alpha]
    root = math.sqrt(n)
    return c / (root + 0.12 + 0.11 / root)


def uniform_cdf(low: float, high: float):
    return lambda x: np.clip((np.asarray(x, dtype=float) - low) / (high - low), 0.0, 1.0)


def normal_cdf(mean: float, std: float, low: float = -math.inf, high: float = math.inf):
    """CDF of a normal truncated to [low, high] (untruncated by default)."""
    def phi(z):
        return 0.5 * (1.0 + np.vectorize(math.erf)(np.asarray(z, dtype=float) / math.sqrt(2.0)))

    lo = float(phi((low - mean) / std)) if math.isfinite(low) else 0.0
    hi = float(phi((high - mean) / std)) if math.isfinite(high) else 1.0

    def cdf(x):
        return np.clip((phi((np.asarray(x, dtype=float) - mean) / std) - lo) / (hi - lo), 0.0, 1.0)

    return cdf


def fits_distribution(samples: Sequence[float], cdf, alpha: float = 0.05) -> tuple[bool, float, float]:
    """KS test: (not rejected at ``alpha``, distance, critical distance)."""
    d = ks_statistic(samples, cdf)
    crit = ks_critical(len(samples), alpha)
    return d <= crit, d, crit
