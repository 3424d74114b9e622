"""Criteria on synthetic numbers: each published criterion judges what it should."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aforo.verify import criteria as crit


def test_weidmann_speed_reproduces_the_published_table():
    """crowd-physics.md: v = 1.30, 1.06, 0.81, 0.61, 0.33, 0.16, 0.04 m/s at 0.5 ... 5 /m²."""
    table = {0.5: 1.30, 1.0: 1.06, 1.5: 0.81, 1.75: 0.70, 2.0: 0.61, 3.0: 0.33, 4.0: 0.16, 5.0: 0.04}
    for rho, v in table.items():
        assert float(crit.weidmann_speed(rho)) == pytest.approx(v, abs=0.006)
    assert float(crit.weidmann_speed(6.0)) == 0.0  # beyond the jam density
    assert float(crit.weidmann_speed(0.0)) == pytest.approx(1.34)


def test_faster_is_slower_needs_a_minimum_strictly_inside():
    speeds = [0.6, 1.0, 1.5, 3.0, 5.0]
    assert crit.minimum_strictly_inside(speeds, [200, 130, 120, 140, 180]) == (True, 1.5)
    assert crit.minimum_strictly_inside(speeds, [200, 180, 160, 140, 120]) == (False, 5.0)  # still falling
    assert crit.minimum_strictly_inside(speeds, [100, 130, 140, 150, 180]) == (False, 0.6)  # only rising
    # a run that never emptied counts as slower than any finished one
    assert crit.minimum_strictly_inside(speeds, [math.inf, 130, 120, 140, math.inf]) == (True, 1.5)
    # unsorted input is sorted by speed first
    assert crit.minimum_strictly_inside([5.0, 0.6, 1.5], [180, 200, 120]) == (True, 1.5)
    assert crit.minimum_strictly_inside([1.0, 2.0], [3.0, 1.0])[0] is False  # too few points
    # a flat bottom that touches an end is not strictly inside
    assert crit.minimum_strictly_inside([1, 2, 3], [120, 120, 150])[0] is False


def test_interior_maximum_of_a_flow_curve():
    rho = [0.5, 1, 2, 3, 4, 5]
    assert crit.interior_maximum(rho, [0.6, 1.0, 1.2, 1.0, 0.6, 0.2]) == (True, 2)
    assert crit.interior_maximum(rho, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6])[0] is False


def test_monotone_helpers_and_bands():
    assert crit.strictly_increasing([1.27, 1.82, 2.32])
    assert not crit.strictly_increasing([1.27, 1.27, 2.32])
    assert not crit.strictly_increasing([1.0, math.inf])
    assert crit.non_increasing([1.1, 0.98, 1.0, 0.6], tolerance=0.05)
    assert not crit.non_increasing([1.1, 0.98, 1.1], tolerance=0.05)
    assert crit.within(30.1, 26, 34) and not crit.within(None, 0, 1) and not crit.within(math.nan, 0, 1)
    assert crit.within_relative(1.09, 1.29, 0.15) is False and crit.within_relative(1.27, 1.29, 0.15)
    assert crit.within_absolute(0.61, 0.606, 0.15)
    assert crit.ratio_within(229.0, 134.0, 1.6, 2.4) == (True, pytest.approx(1.709, abs=1e-3))
    assert crit.ratio_within(1.0, 0.0, 1.6, 2.4) == (False, None)


def test_kolmogorov_smirnov_accepts_the_right_distribution_and_rejects_a_shifted_one():
    rng = np.random.default_rng(3)
    uniform = rng.uniform(10, 100, 200)
    assert crit.fits_distribution(uniform, crit.uniform_cdf(10, 100))[0]
    assert not crit.fits_distribution(uniform + 20, crit.uniform_cdf(10, 100))[0]
    normal = rng.normal(1.2, 0.2, 300)
    assert crit.fits_distribution(normal, crit.normal_cdf(1.2, 0.2))[0]
    assert not crit.fits_distribution(normal, crit.normal_cdf(1.0, 0.2))[0]
    # the truncated normal's CDF runs from 0 at low to 1 at high
    cdf = crit.normal_cdf(1.2, 0.2, 0.4, 2.0)
    assert cdf(0.4) == pytest.approx(0.0) and cdf(2.0) == pytest.approx(1.0) and cdf(1.2) == pytest.approx(0.5)


def test_ks_critical_values_match_the_tables():
    assert crit.ks_critical(10) == pytest.approx(0.409, abs=0.002)  # exact table: 0.409
    assert crit.ks_critical(100) == pytest.approx(0.134, abs=0.002)
    assert crit.ks_statistic([0.5], crit.uniform_cdf(0, 1)) == pytest.approx(0.5)
