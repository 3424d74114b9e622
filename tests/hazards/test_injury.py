"""Compression injury, compressive asphyxia and falls."""

import math

import numpy as np
import pytest

from aforo.errors import ScenarioError
from aforo.hazards.injury import (
    CAUSE_ASPHYXIA,
    CAUSE_COMPRESSION,
    DEAD,
    INJURED,
    UNCONSCIOUS,
    UNHARMED,
    CompressionInjury,
    CompressionParameters,
    FallModel,
    FallParameters,
)


def _hold(model: CompressionInjury, force, seconds: float, dt: float, t0: float = 0.0):
    """Apply a constant load for ``seconds`` in steps of ``dt``; return all transitions and end time."""
    events = []
    steps = int(round(seconds / dt))
    t = t0
    for k in range(1, steps + 1):
        t = t0 + k * dt
        events += model.update(dt, force, t)
    return events, t


def test_derived_constants():
    p = CompressionParameters()
    assert p.asphyxia_exponent == pytest.approx(math.log(15 / 300) / math.log(1112 / 6227))
    assert p.asphyxia_exponent == pytest.approx(1.73894, abs=1e-5)
    assert p.reference_force_n == 1112.0
    assert p.lethal_dose_s == 300.0
    assert p.unconscious_dose_s == pytest.approx(25.0)
    assert p.force_for_time_to_death_n(360.0) == pytest.approx(1001.3, abs=0.1)


@pytest.mark.parametrize("dt", [0.01, 0.1])
def test_hopkins_upper_point_death_at_15_s(dt):
    model = CompressionInjury(1, radius_m=10.0)  # a large body, so the N/m injury criterion stays out
    events, _ = _hold(model, 6227.0, 20.0, dt)
    assert model.state[0] == DEAD
    assert abs(model.time_dead_s[0] - 15.0) <= dt
    assert [e for e in events if e[1] == DEAD] == [(0, DEAD, CAUSE_ASPHYXIA)]
    # The step at which the state changes is within one step of 15 s, too.
    model = CompressionInjury(1, radius_m=10.0)
    t = 0.0
    while model.state[0] < DEAD:
        t += dt
        model.update(dt, 6227.0, t)
    assert abs(t - 15.0) <= dt + 1e-9


def test_hopkins_lower_point_death_within_4_to_6_minutes():
    model = CompressionInjury(1)
    _hold(model, 1112.0, 400.0, 0.1)
    assert model.state[0] == DEAD
    assert 240.0 <= model.time_dead_s[0] <= 360.0
    assert model.time_dead_s[0] == pytest.approx(300.0, abs=0.1)
    # Not injured on the way: 1112 N on a 0.3 m body is 590 N/m, below 1600 N/m.
    assert math.isnan(model.time_injured_s[0])


def test_still_30_s_to_unconsciousness_6_min_to_death_under_reference_load():
    p = CompressionParameters()
    load = p.force_for_time_to_death_n(360.0)  # ≈ 1001 N
    assert 900.0 < load < 1100.0
    model = CompressionInjury(1)
    events, _ = _hold(model, load, 30.5, 0.1)
    assert model.state[0] == UNCONSCIOUS
    assert model.time_unconscious_s[0] == pytest.approx(30.0, abs=0.1)
    _hold(model, load, 400.0, 0.1, t0=30.5)
    assert model.state[0] == DEAD
    assert model.time_dead_s[0] == pytest.approx(360.0, abs=0.1)
    np.testing.assert_allclose(p.time_to_unconsciousness_s([load, 6227.0]), [30.0, 1.25], rtol=1e-6)


def test_below_threshold_loads_never_harm():
    p = CompressionParameters()
    model = CompressionInjury(3)
    force = np.array([0.0, 600.0, p.asphyxia_threshold_force_n])  # the threshold itself is not above it
    events, _ = _hold(model, force, 3600.0, 1.0)
    assert events == []
    assert (model.state == UNHARMED).all()
    assert (model.dose_s == 0.0).all()
    assert np.isinf(p.time_to_death_s(force)).all()
    # Just above the threshold, a load kills in about 14 minutes.
    assert p.time_to_death_s(623.5) == pytest.approx(300 * (1112 / 623.5) ** p.asphyxia_exponent)
    assert 800.0 < float(p.time_to_death_s(623.5)) < 830.0


def test_helbing_injury_criterion():
    r = 0.3
    limit = 1600.0 * 2 * math.pi * r  # 3016 N
    model = CompressionInjury(2, radius_m=r)
    events = model.update(0.01, np.array([limit * 0.999, limit * 1.001]), 5.0)
    assert events == [(1, INJURED, CAUSE_COMPRESSION)]
    assert model.state.tolist() == [UNHARMED, INJURED]
    assert model.time_injured_s[1] == 5.0
    assert model.cause[1] == CAUSE_COMPRESSION
    np.testing.assert_allclose(model.compression_n_per_m([limit, 0.0]), [1600.0, 0.0])
    # A transition is reported once, and its time is the first time it happened.
    assert model.update(0.01, limit * 1.5, 5.01) == [(0, INJURED, CAUSE_COMPRESSION)]
    assert model.update(0.01, limit * 1.5, 5.02) == []
    assert model.time_injured_s.tolist() == [5.01, 5.0]


def test_states_are_monotone_and_skipped_states_stay_unset():
    model = CompressionInjury(1)
    rng = np.random.default_rng(3)
    previous = 0
    t = 0.0
    for _ in range(3000):
        t += 0.1
        model.update(0.1, rng.uniform(0.0, 4000.0), t)
        assert model.state[0] >= previous
        previous = int(model.state[0])
    assert model.state[0] == DEAD
    # Once dead, relief changes nothing.
    model.update(10.0, 0.0, t + 10.0)
    assert model.state[0] == DEAD
    # Unharmed -> unconscious by asphyxia leaves the injured time unset.
    skip = CompressionInjury(1)
    events, _ = _hold(skip, 2000.0, 30.0, 0.1)
    assert [e[1] for e in events] == [UNCONSCIOUS]
    assert math.isnan(skip.time_injured_s[0])


def test_several_states_in_one_step_are_all_reported_with_interpolated_times():
    model = CompressionInjury(1)
    events = model.update(20.0, 6227.0, 20.0)  # one long step
    assert [e[1] for e in events] == [INJURED, UNCONSCIOUS, DEAD]
    assert [e[2] for e in events] == [CAUSE_COMPRESSION, CAUSE_ASPHYXIA, CAUSE_ASPHYXIA]
    assert model.time_unconscious_s[0] == pytest.approx(1.25)
    assert model.time_dead_s[0] == pytest.approx(15.0)
    assert model.cause[0] == CAUSE_ASPHYXIA


def test_dose_is_additive_over_split_intervals():
    force = np.array([700.0, 1112.0, 2500.0, 6227.0])
    whole = CompressionInjury(4)
    whole.update(7.0, force, 7.0)
    split = CompressionInjury(4)
    split.update(2.5, force, 2.5)
    split.update(4.5, force, 7.0)
    np.testing.assert_allclose(whole.dose_s, split.dose_s, rtol=1e-12)
    # A varying history: dose is the sum of its pieces, in any order.
    a = CompressionInjury(1)
    a.update(3.0, 3000.0, 3.0)
    a.update(5.0, 800.0, 8.0)
    b = CompressionInjury(1)
    b.update(5.0, 800.0, 5.0)
    b.update(3.0, 3000.0, 8.0)
    assert a.dose_s[0] == pytest.approx(b.dose_s[0])
    p = CompressionParameters()
    assert a.dose_s[0] == pytest.approx(3.0 * (3000 / 1112) ** p.asphyxia_exponent + 5.0 * (800 / 1112) ** p.asphyxia_exponent)


def test_parameters_settable_and_validated():
    stricter = CompressionParameters(asphyxia_threshold_force_n=1112.0)
    assert np.isinf(stricter.time_to_death_s(1000.0))
    assert stricter.time_to_death_s(1113.0) < 300.0
    with pytest.raises(ScenarioError) as info:
        CompressionParameters(lethal_time_high_s=0.0, unconscious_fraction=2.0)
    assert len(info.value.problems) == 2
    with pytest.raises(ScenarioError):
        CompressionParameters(lethal_force_high_n=1000.0)  # weaker force cannot kill sooner


# Falls

def test_falls_reproducible_with_the_same_seed():
    force = np.linspace(0.0, 2000.0, 500)
    runs = []
    for _ in range(2):
        model = FallModel(500, np.random.default_rng(42))
        log = []
        for k in range(1, 201):
            fell, rose = model.update(0.1, force, k * 0.1)
            log.append((fell.tolist(), rose.tolist()))
        runs.append((log, model.fallen.copy(), model.time_fallen_s.copy()))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    np.testing.assert_array_equal(runs[0][2], runs[1][2])
    other = FallModel(500, np.random.default_rng(43))
    for k in range(1, 201):
        other.update(0.1, force, k * 0.1)
    assert not np.array_equal(other.time_fallen_s, runs[0][2], equal_nan=True)


@pytest.mark.parametrize("rate", [0.05, 0.5])
@pytest.mark.parametrize("dt", [0.01, 0.1])
def test_fall_rate_matches_lambda(rate, dt):
    n = 10_000
    model = FallModel(n, np.random.default_rng(7), FallParameters(fall_rate_per_s=rate))
    for k in range(1, int(round(1.0 / dt)) + 1):
        model.update(dt, 1000.0, k * dt)
    p = 1.0 - math.exp(-rate * 1.0)
    sigma = math.sqrt(p * (1 - p) / n)
    assert abs(model.fallen.mean() - p) < 3 * sigma


def test_no_falls_at_or_below_the_bracing_limit():
    model = FallModel(1000, np.random.default_rng(1), FallParameters(fall_rate_per_s=100.0))
    for k in range(1, 101):
        model.update(0.1, 800.0, k * 0.1)
    assert not model.fallen.any()


def test_getting_up_needs_relief_for_two_seconds_unless_unconscious():
    model = FallModel(2, np.random.default_rng(0), FallParameters(fall_rate_per_s=1e6))
    fell, _ = model.update(0.1, 1000.0, 0.1)
    assert fell.tolist() == [0, 1]
    assert model.time_fallen_s.tolist() == [0.1, 0.1]
    # Load between the rise force and the fall force: stay down.
    for k in range(2, 52):
        model.update(0.1, 700.0, k * 0.1)
    assert model.fallen.all()
    # Relief, but broken after 1.5 s: the clock restarts.
    t = 5.1
    for _ in range(15):
        t += 0.1
        model.update(0.1, 0.0, t)
    t += 0.1
    model.update(0.1, 700.0, t)
    assert model.fallen.all()
    cannot = np.array([False, True])
    rose_at = None
    for _ in range(25):
        t += 0.1
        _, rose = model.update(0.1, 0.0, t, cannot_rise=cannot)
        if rose.size:
            assert rose.tolist() == [0]
            rose_at = t
    assert rose_at is not None
    assert model.fallen.tolist() == [False, True]
    assert model.fall_count.tolist() == [1, 1]


def test_fall_parameters_validated():
    with pytest.raises(ScenarioError):
        FallParameters(rise_force_n=900.0)  # above the fall force
    with pytest.raises(ScenarioError):
        FallParameters(fall_rate_per_s=-1.0)


def _crowd_loads(rng, n, steps):
    """Loads of a crowd over ``steps`` frames: mostly none, a few pressed hard for a while
    (some past every threshold), some negative or NaN as a careless caller might pass."""
    base = np.where(rng.random(n) < 0.25, rng.uniform(0, 2500, n), 0.0)
    base[:3] = 7000.0
    for k in range(steps):
        load = base * rng.uniform(0.5, 1.5, n) * (k % 40 < 30)  # released now and then
        load[rng.integers(0, n, 2)] = [-5.0, np.nan]
        if k % 7 == 0:
            load[:] = np.where(rng.random(n) < 0.5, 0.0, rng.uniform(0, 300, n))  # frames of light touches
        yield load


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_injury_and_falls_skip_only_what_cannot_change(seed):
    """CompressionInjury.update and FallModel.update compute only agents whose load can harm
    them; every state, dose, time, cause, fall and transition must be the all-agents update's
    (tests/hazards/naive_injury.py), to the last bit."""
    import naive_injury

    rng = np.random.default_rng(seed)
    n = 60
    radius = rng.uniform(0.2, 0.3, n)
    models = [CompressionInjury(n, radius_m=radius) for _ in range(2)]
    falls = [FallModel(n, np.random.default_rng(seed)) for _ in range(2)]
    t = 0.0
    transitions = rises = 0
    for load in _crowd_loads(rng, n, 600):
        t += 0.5
        got = models[0].update(0.5, load, t)
        expected = naive_injury.injury_update(models[1], 0.5, load, t)
        assert got == expected
        transitions += len(got)
        down = models[0].state >= UNCONSCIOUS
        got_falls = falls[0].update(0.5, load, t, cannot_rise=down)
        expected_falls = naive_injury.fall_update(falls[1], 0.5, load, t, cannot_rise=down)
        for a, b in zip(got_falls, expected_falls):
            np.testing.assert_array_equal(a, b)
        rises += got_falls[1].size
    for name in ("state", "dose_s", "time_injured_s", "time_unconscious_s", "time_dead_s", "cause"):
        np.testing.assert_array_equal(getattr(models[0], name), getattr(models[1], name), err_msg=name)
    for name in ("fallen", "fall_count", "time_fallen_s", "time_below_rise_s"):
        np.testing.assert_array_equal(getattr(falls[0], name), getattr(falls[1], name), err_msg=name)
    assert transitions > 10 and (models[0].state == DEAD).any() and falls[0].fall_count.sum() > 5
    assert rises > 0
