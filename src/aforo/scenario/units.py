"""Physical quantities in scenario files: a plain number (SI) or a string with a unit.

    radius = 0.25          # metres
    radius = "25 cm"       # the same
    duration = "2 min"     # 120 s
    desired_speed = "5 km/h"
    max_angle = "90 deg"   # stored in rad
    share_rate = "0.2 /s"  # 1/s
    mass = "2.5 g"         # 0.0025 kg
    diffusivity = "0.01 m^2/s"

The unit table is deliberately small and strict: each field expects one dimension, and a value in
another dimension ("3 kg" for a length) or an unknown unit is an error naming what was expected.
Units are case-sensitive ("N" is a newton, "n" is nothing).
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from typing import NoReturn


@dataclass(frozen=True)
class Dimension:
    """A physical dimension: its name, its SI unit and the units accepted for it (factor to SI)."""

    name: str
    si_unit: str
    units: dict[str, float]

    @property
    def unit_list(self) -> str:
        return ", ".join(self.units)

    def describe(self) -> str:
        """E.g. "a length (a number in m, or a string with a unit: m, cm, mm)"."""
        return (f"{_article(self.name)} {self.name} (a number in {self.si_unit}, "
                f"or a string with a unit: {self.unit_list})")


LENGTH = Dimension("length", "m", {"m": 1.0, "cm": 0.01, "mm": 0.001})
TIME = Dimension("time", "s", {"s": 1.0, "ms": 0.001, "min": 60.0, "h": 3600.0})
SPEED = Dimension("speed", "m/s", {"m/s": 1.0, "km/h": 1000.0 / 3600.0})
MASS = Dimension("mass", "kg", {"kg": 1.0, "g": 0.001, "mg": 1e-6})
FORCE = Dimension("force", "N", {"N": 1.0, "kN": 1000.0})
# Body compression constant k of Helbing, Farkas & Vicsek 2000: force per metre of overlap.
STIFFNESS = Dimension("stiffness", "kg/s²", {"kg/s²": 1.0, "N/m": 1.0, "kN/m": 1000.0})
# Sliding friction constant κ: force per metre of overlap per m/s of tangential speed.
FRICTION = Dimension("friction coefficient", "kg/(m·s)", {"kg/(m·s)": 1.0, "N·s/m²": 1.0})
# Plane angles (how far a door leaf opens); a plain number is in radians.
ANGLE = Dimension("angle", "rad", {"rad": 1.0, "deg": math.pi / 180.0})
# Rates of events per unit time (how fast beliefs spread); a plain number is per second.
RATE = Dimension("rate", "1/s", {"/s": 1.0, "/min": 1.0 / 60.0, "/h": 1.0 / 3600.0})
# Turbulent diffusivity of the air that carries tear gas ("m^2/s" and "m2/s" are spelled "m²/s").
DIFFUSIVITY = Dimension("diffusivity", "m²/s", {"m²/s": 1.0})

# How much of the air is one gas (CO, CO2, O2, HCN...): a plain number is a fraction (mol/mol,
# so ambient O2 is 0.209); "20.9 %" and "1200 ppm" are the units fire engineers write.
VOLUME_FRACTION = Dimension("volume fraction", "mol/mol", {"mol/mol": 1.0, "%": 0.01, "ppm": 1e-6})
# Smoke's extinction coefficient K (visibility ≈ 3/K m for reflecting signs).
EXTINCTION = Dimension("extinction coefficient", "1/m", {"1/m": 1.0, "/m": 1.0})
DIMENSIONS: tuple[Dimension, ...] = (LENGTH, TIME, SPEED, MASS, FORCE, STIFFNESS, FRICTION, ANGLE, RATE,
                                     DIFFUSIVITY, VOLUME_FRACTION, EXTINCTION)

_NUMBER_THEN_UNIT = re.compile(
    r"^\s*(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(?P<unit>.*?)\s*$"
)


class UnitError(ValueError):
    """A quantity could not be read; ``message`` says why and ``hint`` how to write it."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint


def normalize_unit(text: str) -> str:
    """Spell a unit one way: "kg/s^2" → "kg/s²", "N*s/m2" → "N·s/m²", "kg/(m s)" → "kg/(m·s)"."""
    unit = text.strip().replace("^2", "²").replace("*", "·").replace("⋅", "·").replace(".", "·")
    unit = re.sub(r"(?<=[A-Za-z])2\b", "²", unit)  # "m2" → "m²"
    unit = re.sub(r"\s*([/()·])\s*", r"\1", unit)  # no spaces around operators
    return re.sub(r"\s+", "·", unit)  # "m s" → "m·s"


def dimension_of_unit(unit: str) -> Dimension | None:
    """The dimension a (normalized) unit belongs to, or None if it is not a known unit."""
    for dimension in DIMENSIONS:
        if unit in dimension.units:
            return dimension
    return None


def _is_number(value: object) -> bool:
    # TOML booleans are Python bools, which are ints: they are not numbers here.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def parse_number(value: object) -> float:
    """A plain finite number (a dimensionless quantity or a value already in SI)."""
    if not _is_number(value):
        raise UnitError(f"expected a number, got {value!r}", "write a plain number such as 0.5")
    number = float(value)
    if not math.isfinite(number):
        raise UnitError(f"expected a finite number, got {value!r}", "nan and inf are not allowed")
    return number


def parse_quantity(value: object, dimension: Dimension) -> float:
    """Read a quantity of ``dimension`` and return it in SI units.

    A number is taken as already in SI (metres, seconds, ...). A string must be a number followed
    by a unit of the right dimension: "90 cm", "2 min", "5 km/h", "1.2e5 N/m".
    """
    if _is_number(value):
        return parse_number(value)
    hint = f"write {dimension.describe()}"
    if not isinstance(value, str):
        raise UnitError(f"expected {_article(dimension.name)} {dimension.name}, got {value!r}", hint)
    match = _NUMBER_THEN_UNIT.match(value)
    if match is None:
        raise UnitError(f"cannot read {value!r} as a {dimension.name}: it must start with a number", hint)
    number = float(match["number"])
    raw_unit = match["unit"]
    if not raw_unit:
        raise UnitError(
            f"{value!r} is a string without a unit",
            f"write the plain number {match['number']} for {dimension.si_unit}, or add a unit ({dimension.unit_list})",
        )
    unit = normalize_unit(raw_unit)
    if unit in dimension.units:
        return number * dimension.units[unit]
    other = dimension_of_unit(unit)
    if other is not None:
        raise UnitError(
            f"{value!r} is {_article(other.name)} {other.name}, "
            f"but {_article(dimension.name)} {dimension.name} is expected",
            hint,
        )
    return _unknown_unit(value, raw_unit, dimension)


def _unknown_unit(value: str, raw_unit: str, dimension: Dimension) -> NoReturn:
    candidates = list(dimension.units)
    same_letters = [u for u in candidates if u.lower() == raw_unit.strip().lower()]
    close = same_letters or difflib.get_close_matches(raw_unit.strip(), candidates, n=1, cutoff=0.5)
    hint = f"did you mean '{close[0]}'? " if close else ""
    hint += f"{dimension.name} units are: {dimension.unit_list} (units are case-sensitive)"
    raise UnitError(f"unknown unit {raw_unit.strip()!r} in {value!r} for {_article(dimension.name)} {dimension.name}", hint)


# A time of day: "20:52" or "20:52:30" (24-hour clock).
CLOCK_PATTERN = re.compile(r"^(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?$")
SECONDS_PER_DAY = 86400


def is_clock_text(value: object) -> bool:
    """Whether ``value`` looks like a clock time ("HH:MM" or "HH:MM:SS"), valid or not."""
    return isinstance(value, str) and CLOCK_PATTERN.match(value.strip()) is not None


def parse_clock(value: object) -> int:
    """Seconds after midnight of a clock time "HH:MM" or "HH:MM:SS" (00:00 to 23:59:59)."""
    hint = 'write a 24-hour clock time "HH:MM" or "HH:MM:SS", e.g. "20:40" or "20:52:30"'
    if not isinstance(value, str):
        raise UnitError(f"expected a clock time, got {value!r}", hint)
    match = CLOCK_PATTERN.match(value.strip())
    if match is None:
        raise UnitError(f"cannot read {value!r} as a clock time", hint)
    hours, minutes, seconds = int(match["h"]), int(match["m"]), int(match["s"] or 0)
    if hours > 23 or minutes > 59 or seconds > 59:
        raise UnitError(f"{value!r} is not a time of day (hours 0–23, minutes and seconds 0–59)", hint)
    return hours * 3600 + minutes * 60 + seconds


def seconds_after(clock: object, start: object) -> float:
    """Seconds from clock time ``start`` to clock time ``clock``, wrapping past midnight."""
    return float((parse_clock(clock) - parse_clock(start)) % SECONDS_PER_DAY)


def format_clock(seconds: float) -> str:
    """A number of seconds after midnight as "HH:MM" or "HH:MM:SS" (modulo one day)."""
    whole = int(round(seconds)) % SECONDS_PER_DAY
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"
