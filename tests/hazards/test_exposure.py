"""Exposure: Purser FED as FDS computes it (ISO 20414 test 19), CS dose and eyes, smoke speed."""

import math

import numpy as np
import pytest

from aforo.errors import ScenarioError
from aforo.hazards.exposure import (
    Exposure,
    ExposureParameters,
    fed_rate_per_s,
    smoke_speed_factor,
)

# ISO 20414:2020 test 19 (Korhonen 2021, FDS+Evac guide, Fig. 8; shared/reference/tear-gas.md):
# CO2 (%), CO (%), O2 (%), hand-calculated time to FED = 1 (s).
ISO_TEST_19 = {
    "a": (2.0, 0.1, 15.0, 981.7),
    "b": (0.0, 0.0, 12.0, 1666.5),
    "c": (0.0, 0.1, 21.0, 1692.8),
    "d": (3.43, 0.1, 21.0, 846.5),
}


def _iso_columns():
    cases = list(ISO_TEST_19.values())
    co2 = np.array([c[0] for c in cases])
    co_ppm = np.array([c[1] for c in cases]) * 1e4  # % -> ppm
    o2 = np.array([c[2] for c in cases])
    expected = np.array([c[3] for c in cases])
    return co_ppm, co2, o2, expected


def test_iso_20414_test_19_accumulator_dt_0_1():
    """A stationary occupant per case (one agent each), integrated at dt = 0.1 s."""
    co_ppm, co2, o2, expected = _iso_columns()
    dt = 0.1
    exposure = Exposure(4)
    first_step = np.full(4, -1)
    step = 0
    while not exposure.incapacitated_fed.all() and step < 30_000:
        exposure.update(dt, co_ppm=co_ppm, co2_percent=co2, o2_percent=o2)
        step += 1
        first_step[(first_step < 0) & exposure.incapacitated_fed] = step
    assert exposure.incapacitated_fed.all()
    # The interpolated crossing time and the step at which the flag is first set.
    assert np.all(np.abs(exposure.time_incapacitated_fed_s - expected) < 1.0), exposure.time_incapacitated_fed_s
    assert np.all(np.abs(first_step * dt - expected) < 1.0), first_step * dt


def test_iso_20414_test_19_rate_dt_0_01():
    """The same cases by summing the pure rate at dt = 0.01 s (step count to FED >= 1)."""
    co_ppm, co2, o2, expected = _iso_columns()
    dt = 0.01
    rate = fed_rate_per_s(co_ppm, co2, o2)
    n = 200_000
    fed = np.cumsum(np.broadcast_to(rate * dt, (n, 4)), axis=0)
    steps = np.argmax(fed >= 1.0, axis=0) + 1
    assert np.all(fed[-1] >= 1.0)
    assert np.all(np.abs(steps * dt - expected) < 1.0), steps * dt


@pytest.mark.slow
def test_iso_20414_test_19_accumulator_dt_0_01():
    co_ppm, co2, o2, expected = _iso_columns()
    exposure = Exposure(4)
    for _ in range(170_000):
        exposure.update(0.01, co_ppm=co_ppm, co2_percent=co2, o2_percent=o2)
    assert np.all(np.abs(exposure.time_incapacitated_fed_s - expected) < 1.0)


def test_case_c_needs_hv_co2_of_one_where_there_is_no_co2():
    """Case c passes only with FDS's convention: no CO2 -> HV_CO2 = 1, not exp(2.0004)/7.1."""
    rate_no_co2 = fed_rate_per_s(1000.0, 0.0, 21.0)
    assert 1.0 / rate_no_co2 == pytest.approx(1692.8, abs=1.0)
    literal_hv = math.exp(2.0004) / 7.1
    assert 1.0 / (rate_no_co2 * literal_hv) < 1692.8 - 50.0  # the literal formula would miss by 67 s
    # Any CO2 at all switches the factor on (a step of 4 % at CO2 -> 0+, as in FDS).
    assert fed_rate_per_s(1000.0, 1e-9, 21.0) / rate_no_co2 == pytest.approx(literal_hv, rel=1e-6)


def test_o2_term_starts_below_20_percent():
    assert fed_rate_per_s(0.0, 0.0, 20.9) == 0.0
    assert fed_rate_per_s(0.0, 0.0, 20.0) == 0.0
    assert fed_rate_per_s(0.0, 0.0, 19.99) == pytest.approx(1.0 / (60.0 * math.exp(8.13 - 0.54 * 0.91)))
    # The guard is a parameter: 20.9 % gives the formula as usually quoted.
    quoted = ExposureParameters(o2_hypoxia_below_percent=20.9)
    assert fed_rate_per_s(0.0, 0.0, 20.5, params=quoted) > 0.0
    # CO2 does not multiply the O2 term.
    assert fed_rate_per_s(0.0, 5.0, 12.0) == fed_rate_per_s(0.0, 0.0, 12.0)


def test_hcn_and_nox_terms_as_fds_computes_them():
    hv = math.exp(0.1903 * 1.0 + 2.0004) / 7.1
    # HCN alone: (exp(C/43) - 1)/220 per minute, times HV.
    assert fed_rate_per_s(0.0, 1.0, 20.9, hcn_ppm=80.0) * 60 == pytest.approx((math.exp(80 / 43) - 1) / 220 * hv)
    # NOx: (NO + NO2)/1500 per minute, and it is subtracted from HCN.
    got = fed_rate_per_s(0.0, 1.0, 20.9, hcn_ppm=80.0, no_ppm=20.0, no2_ppm=10.0) * 60
    assert got == pytest.approx(((math.exp(50 / 43) - 1) / 220 + 30 / 1500) * hv)
    # HCN below NOx contributes nothing (no negative CN term).
    assert fed_rate_per_s(0.0, 0.0, 20.9, hcn_ppm=5.0, no_ppm=20.0) * 60 == pytest.approx(20 / 1500)
    # Irritant FLD enters under HV.
    assert fed_rate_per_s(0.0, 1.0, 20.9, irritant_fld_per_min=0.01) * 60 == pytest.approx(0.01 * hv)


def test_fds_verification_fed_fic_asphyxiants_zone():
    """FDS Verification/Species/FED_FIC, device 'FED (Asphyxiants)': FDS writes FED = 0.97403 at
    100 s for this constant mixture (value as quoted by pyFDS-Evac's tests; secondary)."""
    rate = fed_rate_per_s(2455.82, 1.918864, 9.021848, hcn_ppm=265.33, no_ppm=134.87)
    assert rate * 100.0 == pytest.approx(0.97403, abs=1e-4)


def test_bad_readings_count_as_clean_air():
    clean = fed_rate_per_s(0.0, 0.0, 20.9)
    assert fed_rate_per_s(-50.0, -1.0, np.nan, hcn_ppm=np.nan) == clean == 0.0


def test_fed_additive_over_split_steps_and_vectorised():
    co = np.array([0.0, 500.0, 2000.0])
    one = Exposure(3)
    one.update(60.0, co_ppm=co, co2_percent=1.0, o2_percent=17.0)
    split = Exposure(3)
    for _ in range(600):
        split.update(0.1, co_ppm=co, co2_percent=1.0, o2_percent=17.0)
    np.testing.assert_allclose(one.fed, split.fed, rtol=1e-9)
    assert one.fed[0] < one.fed[1] < one.fed[2]
    assert split.time_s == pytest.approx(60.0)


def test_cs_dose_flags_and_fec():
    exposure = Exposure(3)
    cs = np.array([0.5, 10.0, 2000.0])  # mg/m3
    for _ in range(1300):  # 130 s
        exposure.update(0.1, cs_mg_m3=cs)
    np.testing.assert_allclose(exposure.cs_ct_mg_min_m3, cs * 130.0 / 60.0, rtol=1e-9)
    np.testing.assert_allclose(exposure.fec_cs, cs / 10.0)
    assert exposure.intolerable.tolist() == [False, True, True]
    # ICt50 = 10 mg·min/m3: 10 mg/m3 reaches it at 60 s, 2000 mg/m3 at 0.3 s; 0.5 mg/m3 never here.
    assert exposure.incapacitated_cs.tolist() == [False, True, True]
    assert exposure.time_incapacitated_cs_s[1] == pytest.approx(60.0, abs=1e-6)
    assert exposure.time_incapacitated_cs_s[2] == pytest.approx(0.3, abs=1e-6)
    assert exposure.incapacitated.tolist() == [False, True, True]
    assert not exposure.incapacitated_fed.any()
    # LCt50 25 000 mg·min/m3: 2000 mg/m3 reaches it at 750 s, not yet.
    assert not exposure.lethal_cs.any()
    exposure.update(621.0, cs_mg_m3=cs)  # past 750 s
    assert exposure.lethal_cs.tolist() == [False, False, True]
    assert exposure.time_lethal_cs_s[2] == pytest.approx(750.0, abs=1e-6)
    # The alternative estimate (60 000 mg·min/m3) is a parameter: 2000 mg/m3 then takes 1800 s.
    alternative = Exposure(1, ExposureParameters(cs_lct50_mg_min_m3=60_000.0))
    alternative.update(751.0, cs_mg_m3=2000.0)
    assert not alternative.lethal_cs[0]
    alternative.update(1100.0, cs_mg_m3=2000.0)
    assert alternative.lethal_cs[0]
    assert alternative.time_lethal_cs_s[0] == pytest.approx(1800.0)


def test_flags_latch_after_leaving_the_gas():
    exposure = Exposure(1)
    exposure.update(120.0, cs_mg_m3=10.0)
    assert exposure.incapacitated_cs[0]
    exposure.update(3600.0)
    assert exposure.incapacitated_cs[0]
    assert exposure.cs_mg_m3[0] == 0.0


def test_eyes_close_after_onset_above_irritation_only():
    exposure = Exposure(2)
    cs = np.array([1.0, 0.99])  # at and just below the irritation level
    for _ in range(199):  # 19.9 s
        exposure.update(0.1, cs_mg_m3=cs)
    assert not exposure.eyes_closed.any()
    exposure.update(0.1, cs_mg_m3=cs)  # 20.0 s
    assert exposure.eyes_closed.tolist() == [True, False]
    assert exposure.time_eyes_closed_s[0] == pytest.approx(20.0, abs=1e-9)
    assert exposure.time_above_irritation_s.tolist() == pytest.approx([20.0, 0.0])
    factor = exposure.speed_factor
    assert factor[0] == pytest.approx(0.3 / 1.34)
    assert factor[1] == 1.0


def test_eyes_recover_after_five_minutes_out_of_the_gas():
    exposure = Exposure(1)
    exposure.update(25.0, cs_mg_m3=5.0)
    assert exposure.eyes_closed[0]
    exposure.update(299.0)
    assert exposure.eyes_closed[0]
    exposure.update(1.0)
    assert not exposure.eyes_closed[0]
    # After recovery the onset clock starts again from zero.
    exposure.update(19.0, cs_mg_m3=5.0)
    assert not exposure.eyes_closed[0]
    exposure.update(1.0, cs_mg_m3=5.0)
    assert exposure.eyes_closed[0]


def test_short_dips_do_not_reset_irritation():
    exposure = Exposure(1)
    for _ in range(4):  # 4 × (5 s in, 10 s out): 20 s in the gas in all
        exposure.update(5.0, cs_mg_m3=3.0)
        if not exposure.eyes_closed[0]:
            exposure.update(10.0)
    assert exposure.eyes_closed[0]
    assert exposure.time_above_irritation_s[0] == pytest.approx(20.0)


def test_smoke_speed_law():
    alpha, beta = 0.706, -0.057
    k = np.array([0.0, 1.0, 5.0, 11.0, 100.0, np.nan])
    expected = np.clip(1 + beta * np.nan_to_num(k) / alpha, 0.1, 1.0)
    np.testing.assert_allclose(smoke_speed_factor(k), expected)
    assert smoke_speed_factor(5.0) == pytest.approx(1 - 0.057 * 5 / 0.706)
    assert smoke_speed_factor(100.0) == 0.1
    # In the accumulator, eyes-closed speed is a floor the smoke law tends to, not a second factor.
    exposure = Exposure(2)
    exposure.update(30.0, cs_mg_m3=np.array([5.0, 0.0]), extinction_per_m=np.array([1.0, 1.0]))
    assert exposure.speed_factor[0] == pytest.approx(0.3 / 1.34)
    assert exposure.speed_factor[1] == pytest.approx(1 - 0.057 / 0.706)
    exposure.update(0.1, cs_mg_m3=np.array([5.0, 0.0]), extinction_per_m=100.0)
    assert exposure.speed_factor.tolist() == pytest.approx([0.1, 0.1])


def test_parameters_are_validated_all_at_once():
    with pytest.raises(ScenarioError) as info:
        ExposureParameters(cs_ict50_mg_min_m3=0.0, smoke_min_speed_factor=2.0, cs_recovery_s=-1.0)
    assert len(info.value.problems) == 3
    with pytest.raises(ValueError):
        Exposure(1).update(-0.1)
