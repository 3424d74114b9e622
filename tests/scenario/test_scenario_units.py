"""Quantities: a number in SI, or a string with a unit of the expected dimension."""

import math

import pytest

from aforo.scenario.units import (
    FORCE,
    FRICTION,
    LENGTH,
    MASS,
    SPEED,
    STIFFNESS,
    TIME,
    UnitError,
    normalize_unit,
    parse_number,
    parse_quantity,
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
        ("2 kN", FORCE, 2000.0),
        ("2000 N", FORCE, 2000.0),
        ("1.2e5 kg/s^2", STIFFNESS, 1.2e5),
        ("1.2e5 kg/s²", STIFFNESS, 1.2e5),
        ("120 kN/m", STIFFNESS, 1.2e5),
        ("2.4e5 kg/(m s)", FRICTION, 2.4e5),
        ("2.4e5 kg/(m·s)", FRICTION, 2.4e5),
        ("2.4e5 N*s/m^2", FRICTION, 2.4e5),
        ("2.4e5 N s / m2", FRICTION, 2.4e5),
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
