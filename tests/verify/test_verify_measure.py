"""Measurements on runs: crossing times, start times, running means."""

from __future__ import annotations

import numpy as np
import pytest

from aforo.verify.measure import crossing_times, displacement_times, falling_crossing_times, running_mean, time_to_cover


def test_crossing_times_interpolate_between_frames_per_agent():
    t = np.array([0.0, 1.0, 2.0, 3.0])
    x = np.array([[0.0, 5.0], [1.0, 5.0], [2.0, np.nan], [3.0, np.nan]])  # agent 1 leaves (NaN)
    out = crossing_times(t, x, 1.5)
    assert out[0] == pytest.approx(1.5)
    assert np.isnan(out[1])
    assert falling_crossing_times(t, -x, -2.25)[0] == pytest.approx(2.25)


def test_displacement_times_measure_distance_from_the_first_frame():
    t = np.arange(5.0)
    x = np.array([[0.0], [0.0], [0.3], [0.6], [0.9]])
    y = np.zeros_like(x)
    assert displacement_times(t, x, y, 0.5)[0] == pytest.approx(2 + 0.2 / 0.3)


def test_time_to_cover_follows_the_relaxation_from_rest():
    # x(t) = v0 (t − τ (1 − e^(−t/τ))); long distances approach d / v0 + τ
    assert time_to_cover(100.0, 1.0, 0.5) == pytest.approx(100.5, abs=1e-6)
    t = time_to_cover(0.5, 1.34, 0.5)
    assert 1.34 * (t - 0.5 * (1 - np.exp(-t / 0.5))) == pytest.approx(0.5, abs=1e-9)


def test_running_mean():
    assert running_mean(np.array([1.0, 2.0, 3.0, 4.0]), 2).tolist() == [1.5, 2.5, 3.5]
    assert running_mean(np.array([1.0, 3.0]), 5).tolist() == [2.0]
