"""Quantities: a number in SI, or a string with a unit of the expected dimension."""

import math

import pytest

from aforo.scenario.units import (
    ANGLE,
    DIFFUSIVITY,
    DIMENSIONS,
    FORCE,
    FRICTION,
    LENGTH,
    MASS,
    RATE,
    SPEED,
    STIFFNESS,
    TIME,
    UnitError,
    format_clock,
    normalize_unit,
    parse_clock,
    parse_number,
    parse_quantity,
    seconds_after,
)


@pytest.mark.parametrize(
    ("text", "dimension", "si"),
    [
        (0.9, LENGTH, 0.9),
        (3, LENGTH, 3.0),
        ("90 cm", LENGTH, 0.9),
        ("0.9 m", LENGTH, 0.9),
        ("900mm", LENGTH, 0.9),
        ("-6.5 m", LENGTH, -6.5),
        ("2 min", TIME, 120.0),
        ("10 ms", TIME, 0.01),
        ("1.5 h", TIME, 5400.0),
        ("5 km/h", SPEED, 5 / 3.6),
        ("1.34 m/s", SPEED, 1.34),
        ("80 kg", MASS, 80.0),
        ("2.5 g", MASS, 0.0025),
        ("500 mg", MASS, 0.0005),
        ("0.01 m^2/s", DIFFUSIVITY, 0.01),
        ("0.01 m²/s", DIFFUSIVITY, 0.01),
        ("0.01 m2/s", DIFFUSIVITY, 0.01),
        (0.01, DIFFUSIVITY, 0.01),
        ("2 kN", FORCE, 2000.0),
        ("2000 N", FORCE, 2000.0),
        ("1.2e5 kg/s^2", STIFFNESS, 1.2e5),
        ("1.2e5 kg/s²", STIFFNESS, 1.2e5),
        ("120 kN/m", STIFFNESS, 1.2e5),
        ("2.4e5 kg/(m s)", FRICTION, 2.4e5),
        ("2.4e5 kg/(m·s)", FRICTION, 2.4e5),
        ("2.4e5 N*s/m^2", FRICTION, 2.4e5),
        ("2.4e5 N s / m2", FRICTION, 2.4e5),
        ("90 deg", ANGLE, math.pi / 2),
        ("180deg", ANGLE, math.pi),
        ("1.2 rad", ANGLE, 1.2),
        (1.2, ANGLE, 1.2),
        ("0.2 /s", RATE, 0.2),
        ("0.2/s", RATE, 0.2),
        ("12 /min", RATE, 0.2),
        ("720 /h", RATE, 0.2),
        (0.2, RATE, 0.2),
    ],
)
def test_quantities_convert_to_si(text, dimension, si):
    assert math.isclose(parse_quantity(text, dimension), si, rel_tol=1e-12)


def test_a_quantity_of_another_dimension_names_both():
    with pytest.raises(UnitError) as info:
        parse_quantity("3 kg", LENGTH)
    assert "'3 kg' is a mass" in info.value.message
    assert "a length is expected" in info.value.message
    assert "m, cm, mm" in info.value.hint


def test_an_unknown_unit_suggests_the_close_one():
    with pytest.raises(UnitError) as info:
        parse_quantity("3 mts", LENGTH)
    assert "unknown unit 'mts'" in info.value.message
    assert "did you mean 'm'?" in info.value.hint


def test_units_are_case_sensitive_but_the_hint_finds_the_right_case():
    with pytest.raises(UnitError) as info:
        parse_quantity("80 KG", MASS)
    assert "did you mean 'kg'?" in info.value.hint


@pytest.mark.parametrize("value", ["3", "cm", "", "3 m m", True, None, [1.0], float("nan"), float("inf")])
def test_malformed_quantities_are_errors(value):
    with pytest.raises(UnitError):
        parse_quantity(value, LENGTH)


def test_a_number_string_without_unit_hints_at_the_plain_number():
    with pytest.raises(UnitError) as info:
        parse_quantity("0.9", LENGTH)
    assert "without a unit" in info.value.message
    assert "0.9" in info.value.hint


def test_plain_numbers_are_dimensionless_only():
    assert parse_number(0.5) == 0.5
    for bad in ("0.5", True, float("nan")):
        with pytest.raises(UnitError):
            parse_number(bad)


def test_normalize_unit_spells_compound_units_one_way():
    assert normalize_unit(" kg / ( m * s ) ") == "kg/(m·s)"
    assert normalize_unit("N.s/m^2") == "N·s/m²"


def test_no_unit_belongs_to_two_dimensions():
    units = [u for d in DIMENSIONS for u in d.units]
    assert len(units) == len(set(units))


def test_90_deg_is_exactly_the_models_right_angle():
    assert parse_quantity("90 deg", ANGLE) == float(math.pi / 2)


@pytest.mark.parametrize(("text", "dimension", "fragments"), [
    ("90 kg", ANGLE, ("'90 kg' is a mass", "an angle is expected")),
    ("0.2 s", RATE, ("'0.2 s' is a time", "a rate is expected")),
    ("90 N", ANGLE, ("a force",)),
])
def test_angles_and_rates_name_the_dimension_expected(text, dimension, fragments):
    with pytest.raises(UnitError) as info:
        parse_quantity(text, dimension)
    assert all(f in info.value.message for f in fragments)
    assert dimension.unit_list in info.value.hint


def test_an_unknown_angle_unit_suggests_deg():
    with pytest.raises(UnitError) as info:
        parse_quantity("90 degs", ANGLE)
    assert "did you mean 'deg'?" in info.value.hint


# --- clock times ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "seconds"), [("20:40", 74400), ("20:52:30", 75150), ("0:05", 300),
                                                ("23:59:59", 86399), (" 08:00 ", 28800)])
def test_clock_times_are_seconds_after_midnight(text, seconds):
    assert parse_clock(text) == seconds


@pytest.mark.parametrize("text", ["24:00", "20:60", "20:40:60", "20:4", "20h40", "", "8", 2040, None])
def test_malformed_clock_times_are_errors(text):
    with pytest.raises(UnitError) as info:
        parse_clock(text)
    assert "HH:MM" in info.value.hint


def test_seconds_after_wraps_past_midnight():
    assert seconds_after("20:52", "20:40") == 720.0
    assert seconds_after("00:10", "23:50") == 1200.0
    assert seconds_after("20:40", "20:40") == 0.0
    assert seconds_after("20:30", "20:40") == 86400.0 - 600.0


def test_format_clock_writes_seconds_only_when_needed():
    assert format_clock(75120) == "20:52"
    assert format_clock(75150) == "20:52:30"
    assert format_clock(86400 + 600) == "00:10"
