"""[smoke.*] (fire gases as input) and [harm.*] (threshold overrides) in scenario files."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aforo.scenario import dumps, from_dict, load, loads
from aforo.scenario.model import HarmSettings, Smoke

from scenario_helpers import find, only, problems_of, room


def smoke_room(**entry):
    return room(**{f"smoke.hall.{k}": v for k, v in {"space": "room", **entry}.items()})


def test_a_region_is_read_in_stored_units():
    s = from_dict(smoke_room(times=["0 s", "2 min"], co=["0 ppm", "1200 ppm"], o2="17 %", co2=0.02,
                             extinction="0.5 /m", irritants="0.6 /min", polygon=[[0, 0], [5, 0], [5, 5]]))
    (smoke,) = s.smoke
    assert smoke == Smoke("hall", "room", polygon=((0, 0), (5, 0), (5, 5)), times=(0.0, 120.0), co=(0.0, 0.0012),
                          co2=(0.02,), o2=(0.17,), extinction=(0.5,), irritants=(pytest.approx(0.01),))


def test_times_may_be_clock_times():
    data = smoke_room(times=["20:41", "20:42"], co=["0 ppm", "100 ppm"])
    data["clock"] = {"start": "20:40"}
    assert from_dict(data).smoke[0].times == (60.0, 120.0)


def test_smoke_and_harm_round_trip():
    data = smoke_room(times=[0, 60], co=["0 ppm", "1200 ppm"], extinction="1 /m")
    data["harm"] = {"compression": {"lethal_time_high_s": 20}, "exposure": {"fed_incapacitation": 0.3}}
    s = from_dict(data)
    assert s.harm == HarmSettings(compression=(("lethal_time_high_s", 20.0),), exposure=(("fed_incapacitation", 0.3),))
    assert loads(dumps(s)) == s


@pytest.mark.parametrize(("entry", "path", "fragments"), [
    ({"co": ["0 ppm", "1 ppm"]}, "smoke.hall.co", ("2 values given", "one value (no times given)")),
    ({"times": [0, 10], "co": ["0 ppm", "1 ppm", "2 ppm"]}, "smoke.hall.co", ("3 values given", "one per time (2)")),
    ({"times": [10, 5], "co": 0.001}, "smoke.hall.times", ("times must increase",)),
    ({"o2": "170 %"}, "smoke.hall.o2", ("a volume fraction is at most 1",)),
    ({"co": "-5 ppm"}, "smoke.hall.co", ("must be a finite value ≥ 0",)),
    ({}, "smoke.hall", ("gives no quantity",)),
    ({"space": "hal", "co": 0.001}, "smoke.hall.space", ("unknown space 'hal'",)),
    ({"co": 0.001, "polygon": [[20, 20], [30, 20], [30, 30]]}, "smoke.hall.polygon", ("does not overlap",)),
])
def test_bad_regions_are_errors_at_their_place(entry, path, fragments):
    only(problems_of(smoke_room(**entry)), path, *fragments)


@pytest.mark.parametrize(("value", "fragments"), [
    ("0.5 /s", ("is a rate, but an extinction coefficient is expected",)),
    ("0.5 m", ("is a length",)),
])
def test_extinction_has_its_own_unit(value, fragments):
    only(problems_of(smoke_room(extinction=value)), "smoke.hall.extinction", *fragments)


def test_a_file_entry_takes_nothing_else_and_must_exist(tmp_path):
    data = room(**{"smoke.fds.file": str(tmp_path / "none.parquet"), "smoke.fds.co": 0.001})
    problems = problems_of(data)
    find(problems, "smoke.fds.co", "also gives co")
    find(problems, "smoke.fds.file", "not found")


def _snapshot_file(path, **columns):
    base = {"time_s": [0.0, 0.0], "space": ["room", "room"], "x_m": [0.5, 1.5], "y_m": [0.5, 0.5]}
    pq.write_table(pa.table({**base, **columns}), path)


@pytest.mark.parametrize(("columns", "fragments"), [
    ({}, ("no quantity column",)),
    ({"co": [1.0, 2.0]}, ("unknown columns ['co']",)),
    ({"co_ppm": [1.0, float("nan")]}, ("not finite",)),
    ({"co_ppm": [1.0, -2.0]}, ("negative values",)),
    ({"co_ppm": [1.0, 1.0], "space": ["room", "attic"]}, ("names space 'attic'",)),
    ({"co_ppm": [1.0, 1.0], "x_m": [0.5, 1.25], "y_m": [0.5, 0.6]}, ("not on one square grid",)),
])
def test_a_bad_snapshot_file_is_an_error_naming_the_rule(tmp_path, columns, fragments):
    _snapshot_file(tmp_path / "s.parquet", **columns)
    find(problems_of(room(**{"smoke.fds.file": str(tmp_path / "s.parquet")})), "smoke.fds.file", *fragments)


def test_a_file_that_is_not_parquet_is_an_error(tmp_path):
    (tmp_path / "s.parquet").write_text("time_s,co_ppm\n0,1\n")
    find(problems_of(room(**{"smoke.fds.file": str(tmp_path / "s.parquet")})), "smoke.fds.file", "cannot read")


def test_file_paths_are_relative_to_the_file_that_names_them(tmp_path):
    (tmp_path / "venue").mkdir()
    _snapshot_file(tmp_path / "venue" / "s.parquet", co_ppm=[1.0, 2.0])
    (tmp_path / "venue" / "venue.toml").write_text(
        '[scenario]\nname = "v"\n[levels.room]\nwalkable = [[0, 0], [10, 0], [10, 10], [0, 10]]\n'
        '[levels.room.exits.east]\nsegment = [[10, 4.5], [10, 5.5]]\n[smoke.fds]\nfile = "s.parquet"\n')
    (tmp_path / "account.toml").write_text('[scenario]\nname = "a"\nbase = "venue/venue.toml"\n')
    assert load(tmp_path / "account.toml").smoke[0].file == str((tmp_path / "venue" / "s.parquet").resolve())


def test_harm_keys_name_their_unit_and_take_plain_numbers():
    problem = only(problems_of(room(**{"harm.falls.fall_force_n": "800 N"})), "harm.falls.fall_force_n",
                   "expected a number")
    assert "unit the key's name ends with" in problem.hint
    problem = only(problems_of(room(**{"harm.falls.fall_force": 800})), "harm.falls.fall_force", "unknown key")
    assert "fall_force_n" in problem.hint
    only(problems_of(room(**{"harm.injury.x": 1})), "harm.injury", "unknown key 'injury'")


def test_harm_can_be_switched_off_and_round_trips():
    s = from_dict(room(**{"harm.enabled": False}))
    assert s.harm.enabled is False
    assert loads(dumps(s)) == s
    assert from_dict(room()).harm.enabled is True
    only(problems_of(room(**{"harm.enabled": "no"})), "harm.enabled", "expected true or false")


def test_bodies_on_floor_can_be_switched_off_and_round_trip():
    s = from_dict(room(**{"harm.bodies_on_floor": False, "harm.floor.footprint_factor": 1.5}))
    assert s.harm.bodies_on_floor is False and s.harm.floor == (("footprint_factor", 1.5),)
    assert loads(dumps(s)) == s
    assert from_dict(room()).harm.bodies_on_floor is True
    only(problems_of(room(**{"harm.bodies_on_floor": 1})), "harm.bodies_on_floor", "expected true or false")
