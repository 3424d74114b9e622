"""Tear gas in the file: the [gas] settings and [canisters.<name>] sources, every rule and the round trip."""

import pytest

from aforo.scenario import Scenario, dumps, from_dict, loads, to_dict
from aforo.scenario.load import GAS_FIELDS
from aforo.scenario.model import Canister, GasSettings
from aforo.scenario.validate import find_problems

from scenario_helpers import find, los_olivos, only, problems_of, room


def grenade(**keys) -> dict:
    return {"space": "hall", "position": [5.0, 5.0], "at": "20:45", "mass": "2.5 g", **keys}


def gassed(clock: str | None = "20:40", **canister) -> dict:
    """Los Olivos with a clock and one canister in the hall (keys of ``canister`` override)."""
    data = los_olivos(**{"run.duration": "35 min"})
    if clock is not None:
        data["clock"] = {"start": clock}
    data["canisters"] = {"grenade-1": {k: v for k, v in grenade(**canister).items() if v is not None}}
    return data


# --- [gas] ---------------------------------------------------------------------------------------


def test_gas_defaults_fill_what_the_file_leaves_out():
    s = from_dict(room())
    assert s.gas == GasSettings() and s.canisters == ()


def test_every_gas_field_of_the_model_can_be_set_from_a_file():
    assert set(GAS_FIELDS) == set(GasSettings.__dataclass_fields__)


def test_gas_settings_are_read_with_units():
    s = from_dict(room(**{"gas": {"cell_size": "25 cm", "diffusivity": "0.01 m^2/s", "air_changes_per_h": 2,
                                  "ceiling_height": "3 m"}}))
    assert s.gas == GasSettings(cell_size=0.25, diffusivity=0.01, air_changes_per_h=2.0, ceiling_height=3.0)
    assert from_dict(room(**{"gas.diffusivity": "0.005 m²/s"})).gas.diffusivity == pytest.approx(0.005)
    assert from_dict(room(**{"gas.diffusivity": 0.02})).gas.diffusivity == 0.02


@pytest.mark.parametrize(("value", "per_hour"), [(2, 2.0), (0.5, 0.5), ("2 /h", 2.0), ("0.5 /min", 30.0),
                                                 ("0.001 /s", 3.6)])
def test_air_changes_are_stored_per_hour(value, per_hour):
    assert from_dict(room(**{"gas.air_changes_per_h": value})).gas.air_changes_per_h == pytest.approx(per_hour)


@pytest.mark.parametrize(("key", "value", "fragments"), [
    ("cell_size", 0.5, ("coarser than the 0.25 m", "0 < cell_size ≤ 0.25 m")),
    ("cell_size", "30 cm", ("cell_size = 0.3 m",)),
    ("cell_size", 0, ("must be > 0",)),
    ("diffusivity", 0, ("must be > 0, got 0 m²/s",)),
    ("diffusivity", "-0.01 m^2/s", ("must be > 0",)),
    ("air_changes_per_h", -1, ("must be ≥ 0, got -1 /h",)),
    ("air_changes_per_h", "-2 /h", ("must be ≥ 0",)),
    ("ceiling_height", "0 m", ("must be > 0",)),
])
def test_bad_gas_values_are_errors(key, value, fragments):
    problem = only(problems_of(room(**{f"gas.{key}": value})), f"gas.{key}", *fragments)
    assert problem.hint


@pytest.mark.parametrize(("key", "value", "fragments", "hint"), [
    ("diffusivity", "0.01 m/s", ("is a speed, but a diffusivity is expected",), "m²/s"),
    ("diffusivity", "0.01 cm^2/s", ("unknown unit",), "m²/s"),
    ("air_changes_per_h", "2 per hour", ("unknown unit",), "/h"),
    ("air_changes_per_h", "2 m", ("is a length, but a rate is expected",), "per hour"),
    ("air_changes_per_h", True, ("expected a number",), ""),
    ("cell_size", "25 kg", ("is a mass, but a length is expected",), "cm"),
])
def test_gas_values_of_the_wrong_kind_are_errors(key, value, fragments, hint):
    problem = only(problems_of(room(**{f"gas.{key}": value})), f"gas.{key}", *fragments)
    assert hint in problem.hint


def test_an_unknown_gas_key_suggests_the_close_one():
    problem = only(problems_of(room(**{"gas.diffusivty": 0.01})), "gas.diffusivty", "unknown key 'diffusivty' in [gas]")
    assert "did you mean 'diffusivity'?" in problem.hint


def test_gas_must_be_a_table():
    only(problems_of(room(**{"gas": 0.25})), "gas", "expected a table")


# --- canisters -----------------------------------------------------------------------------------


def test_a_canister_is_read_in_si_with_its_clock_time_in_seconds():
    s = from_dict(gassed())
    assert s.canisters == (Canister(name="grenade-1", space="hall", position=(5.0, 5.0), at=300.0, mass=0.0025),)
    assert s.canisters[0].duration == 30.0


def test_canisters_keep_the_file_order_and_take_seconds_and_a_duration():
    data = gassed(duration="40 s")
    data["canisters"]["b"] = grenade(at="2 min", mass="500 mg", position=[1, 1])
    data["canisters"]["a"] = grenade(at=60, mass=0.001, space="stair", position=[0.75, -2.5])
    s = from_dict(data)
    assert [(c.name, c.at, c.mass, c.duration) for c in s.canisters] == [
        ("grenade-1", 300.0, 0.0025, 40.0), ("b", 120.0, pytest.approx(0.0005), 30.0), ("a", 60.0, 0.001, 30.0)]


@pytest.mark.parametrize("key", ["space", "position", "at", "mass"])
def test_a_canister_needs_its_required_keys(key):
    problem = only(problems_of(gassed(**{key: None})), f"canisters.grenade-1.{key}", f"missing required key '{key}'")
    assert problem.hint.startswith(f"add {key} = ")


def test_an_unknown_canister_key_suggests_the_close_one():
    problem = only(problems_of(gassed(mas="2 g")), "canisters.grenade-1.mas", "unknown key 'mas'")
    assert "did you mean 'mass'?" in problem.hint


def test_a_canister_must_be_a_table():
    data = gassed()
    data["canisters"]["grenade-2"] = "hall"
    only(problems_of(data), "canisters.grenade-2", "expected a table")


@pytest.mark.parametrize(("key", "value", "fragments", "hint"), [
    ("mass", 0, ("must be > 0, got 0 kg",), "2.5 g"),
    ("mass", "-1 g", ("must be > 0",), "CS"),
    ("mass", "2.5 G", ("unknown unit 'G'",), "did you mean 'g'?"),
    ("mass", "2.5 cm", ("is a length, but a mass is expected",), "kg, g, mg"),
    ("duration", 0, ("must be > 0, got 0 s",), "30 s"),
    ("duration", "1 kg", ("is a mass, but a time is expected",), "min"),
    ("position", [5.0], ("expected a point [x, y]",), "metres"),
    ("position", ["5 m", 5], ("expected a point [x, y]",), "plain numbers"),
    ("space", 3, ("expected a string",), "quotes"),
])
def test_bad_canister_values_are_errors(key, value, fragments, hint):
    problem = only(problems_of(gassed(**{key: value})), f"canisters.grenade-1.{key}", *fragments)
    assert hint in problem.hint


def test_a_canister_in_an_unknown_space_suggests_the_close_one():
    problem = only(problems_of(gassed(space="hal")), "canisters.grenade-1.space", "unknown space 'hal'",
                   "a canister lies on a level or a stair")
    assert "did you mean 'hall'?" in problem.hint


@pytest.mark.parametrize(("space", "position"), [("hall", [12.0, 5.0]), ("hall", [0.7, -2.0]),
                                                 ("stair", [5.0, 5.0]), ("street", [0.7, -7.0])])
def test_a_canister_must_lie_inside_its_space(space, position):
    problem = only(problems_of(gassed(space=space, position=position)), "canisters.grenade-1.position",
                   "is not in the walkable area of space", f"'{space}'", "tolerance")
    assert "move it" in problem.hint


def test_a_canister_on_an_obstacle_is_an_error():
    data = gassed(position=[5.0, 5.0])
    data["levels"]["hall"]["obstacles"] = [[[4, 4], [6, 4], [6, 6], [4, 6]]]
    find(problems_of(data), "canisters.grenade-1.position", "(5, 5) is not in the walkable area", "1 m away")
    assert from_dict(gassed(position=[2.0, 2.0], **{})).canisters  # elsewhere in the hall it is fine


def test_a_canister_on_the_wall_is_inside():
    assert from_dict(gassed(position=[10.0, 10.0])).canisters[0].position == (10.0, 10.0)


def test_a_clock_time_needs_a_clock_start():
    problem = only(problems_of(gassed(clock=None)), "canisters.grenade-1.at", "clock time '20:45' needs [clock] start")
    assert "[clock]" in problem.hint


@pytest.mark.parametrize(("at", "fragments"), [
    ("21:20", ("at = 2400 s (clock 21:20) is after the end of the run", "run.duration = 2100 s")),
    ("20:30", ("the next day", "after the end of the run")),
    ("36 min", ("at = 2160 s (clock 21:16) is after the end",)),
    (-5, ("before the start of the run", "0 ≤ at ≤ run.duration")),
])
def test_a_canister_is_released_within_the_run(at, fragments):
    only(problems_of(gassed(at=at)), "canisters.grenade-1.at", *fragments)


@pytest.mark.parametrize(("at", "fragment"), [("25:00", "is not a time of day"), ("soon", "cannot read"),
                                              (True, "expected a time")])
def test_an_unreadable_release_time_is_an_error(at, fragment):
    only(problems_of(gassed(at=at)), "canisters.grenade-1.at", fragment)


def test_the_release_time_at_the_end_of_the_run_is_allowed():
    assert from_dict(gassed(at="21:15")).canisters[0].at == 2100.0


def test_a_bad_canister_name_is_an_error():
    data = gassed()
    data["canisters"] = {"grenade 1": data["canisters"]["grenade-1"]}
    problem = only(problems_of(data), "canisters.grenade 1", "name 'grenade 1' is not allowed")
    assert "rename" in problem.hint


def test_every_problem_is_listed_at_once():
    data = gassed(mass=0, at=-1, space="hal", duration="0 s")
    data["gas"] = {"cell_size": 1, "air_changes_per_h": -1, "diffusivty": 1}
    problems = problems_of(data)
    assert [p.path for p in problems] == [  # in file order of sections; layout problems first within one
        "gas.diffusivty", "gas.cell_size", "gas.air_changes_per_h", "canisters.grenade-1.at",
        "canisters.grenade-1.mass", "canisters.grenade-1.duration", "canisters.grenade-1.space"]


def test_a_canister_on_a_left_out_level_is_not_reported_again():
    data = gassed()
    data["levels"]["hall"]["elevation"] = "high"
    only(problems_of(data), "levels.hall.elevation", "cannot read")


# --- the Python API ------------------------------------------------------------------------------


def test_the_python_api_checks_the_same_rules():
    base = from_dict(gassed())
    bad = Scenario(**{**base.__dict__, "canisters": base.canisters * 2,
                      "gas": GasSettings(ceiling_height=-3.0)})
    problems = find_problems(bad)
    find(problems, "gas.ceiling_height", "must be > 0, got -3 m")
    find(problems, "canisters.grenade-1", "already used by the canister", "canister names must be unique")
    odd = Scenario(**{**base.__dict__, "canisters": (Canister("c", "hall", (float("nan"), 1.0), 10.0, 0.002),)})
    find(find_problems(odd), "canisters.c.position", "expected a point [x, y]")


# --- round trip ----------------------------------------------------------------------------------


def test_gas_and_canisters_round_trip():
    data = gassed(duration="45 s")
    data["canisters"]["second"] = grenade(at=600, mass="10 g", space="stair", position=[0.75, -2.5])
    data["gas"] = {"cell_size": "20 cm", "diffusivity": "0.003 m^2/s", "air_changes_per_h": "0.5 /min",
                   "ceiling_height": "2.8 m"}
    s = from_dict(data)
    written = to_dict(s)
    assert written["gas"] == {"cell_size": 0.2, "diffusivity": 0.003, "air_changes_per_h": pytest.approx(30.0),
                              "ceiling_height": 2.8}
    assert written["canisters"]["grenade-1"] == {"space": "hall", "position": [5.0, 5.0], "at": 300.0,
                                                 "mass": 0.0025, "duration": 45.0}
    assert list(written["canisters"]) == ["grenade-1", "second"]
    assert loads(dumps(s)) == s
    assert from_dict(written) == s


def test_a_scenario_without_canisters_writes_the_gas_defaults_and_no_canisters():
    written = to_dict(from_dict(room()))
    assert written["gas"] == {"cell_size": 0.25, "diffusivity": 0.01, "air_changes_per_h": 0.0, "ceiling_height": 3.0}
    assert "canisters" not in written


def test_the_worked_example_of_tear_gas_in_the_docs_loads_and_round_trips():
    from scenario_helpers import REPO

    text = (REPO / "docs" / "scenario-format.md").read_text(encoding="utf-8")
    section = text.split("## A worked example: tear gas in the hall", 1)[1]
    scenario = loads(section.split("```toml\n", 1)[1].split("```", 1)[0], source="docs/scenario-format.md")
    assert scenario.canisters == (Canister(name="grenade-1", space="hall", position=(5.0, 5.0), at=300.0,
                                           mass=0.0025, duration=30.0),)
    assert scenario.gas == GasSettings(air_changes_per_h=0.5)
    assert loads(dumps(scenario)) == scenario
