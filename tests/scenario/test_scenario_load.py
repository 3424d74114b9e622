"""Loading: shipped files, TOML syntax, layout (keys, types, units), doors by centre, distributions."""

import math

import pytest

from aforo.errors import ScenarioError
from aforo.scenario import Distribution, Scenario, from_dict, load, loads
from aforo.scenario.load import BELIEF_FIELDS, NAVIGATION_FIELDS, PHYSICS_FIELDS, RUN_FIELDS
from aforo.scenario.model import BeliefSettings, NavigationSettings, PhysicsParameters, Population, RunSettings

from scenario_helpers import DELETE, LOS_OLIVOS, REPO, SHIPPED, find, only, problems_of, room

# --- shipped scenarios ---------------------------------------------------------------------------


def test_every_shipped_scenario_is_found():
    names = {p.relative_to(REPO).as_posix() for p in SHIPPED}
    assert {
        "scenarios/examples/corridor.toml",
        "scenarios/examples/room-door.toml",
        "scenarios/los-olivos/venue.toml",
    } <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenarios_load_without_problems(path):
    assert isinstance(load(path), Scenario)


def test_los_olivos_venue_matches_the_reference():
    s = load(LOS_OLIVOS)
    assert [lv.name for lv in s.levels] == ["hall", "street"]
    hall, street = s.level("hall"), s.level("street")
    assert hall.elevation == 3.5 and street.elevation == 0.0
    stair = s.stair("stair")
    assert (stair.lower_level, stair.upper_level, stair.steps, stair.rise) == ("street", "hall", 20, 0.175)
    assert math.isclose(stair.run_length, 5.0)
    door = s.doors[0]
    assert (door.name, door.level, door.state) == ("street", "street", "open")
    assert math.isclose(door.clear_width, 0.9)
    assert s.agent_count == 120 and s.populations[0].space == "hall"
    assert (s.run.duration, s.run.time_step, s.run.record_interval) == (600.0, 0.01, 0.1)


def test_corridor_is_rimea_test_1():
    s = load(REPO / "scenarios/examples/corridor.toml")
    walker = s.populations[0]
    assert walker.count == 1
    assert walker.desired_speed == Distribution.fixed(1.33)
    assert walker.radius == Distribution.fixed(0.25)
    assert s.exits[0].segment == ((40.0, 0.0), (40.0, 2.0))


def test_room_door_places_its_door_from_the_centre():
    s = load(REPO / "scenarios/examples/room-door.toml")
    assert s.doors[0].jambs == ((10.0, 4.5), (10.0, 5.5))
    assert s.agent_count == 150 and s.populations[0].spawn is None


# --- files and syntax ----------------------------------------------------------------------------


def test_a_toml_syntax_error_names_line_and_column():
    problem = only(problems_of('[scenario]\nname = "x"\nbroken = \n'), "line 3, column 10", "TOML syntax error")
    assert problem.hint


def test_a_missing_file_is_a_scenario_error(tmp_path):
    with pytest.raises(ScenarioError) as info:
        load(tmp_path / "nope.toml")
    assert info.value.problems[0].message == "no such file"


def test_a_file_that_is_not_utf8_is_a_scenario_error(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('[scenario]\nname = "salón"\n'.encode("latin-1"))
    with pytest.raises(ScenarioError) as info:
        load(path)
    assert "UTF-8" in info.value.problems[0].message
    assert info.value.source == str(path)


def test_the_source_names_the_file_in_the_error(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[scenario]\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load(path)
    assert str(path) in str(info.value)


def test_from_dict_rejects_a_non_table():
    with pytest.raises(ScenarioError):
        from_dict([1, 2])  # type: ignore[arg-type]


# --- layout: required, unknown, types, units ---------------------------------------------------


def test_missing_sections_are_reported_together():
    problems = problems_of("")
    find(problems, "scenario", "missing required section [scenario]")
    find(problems, "levels", "missing required section [levels]")
    assert len(problems) == 2


def test_missing_required_keys_name_the_key():
    problems = problems_of(room(**{"scenario.name": DELETE, "populations.people.count": DELETE}))
    find(problems, "scenario.name", "missing required key 'name'")
    find(problems, "populations.people.count", "missing required key 'count'")
    assert len(problems) == 2


def test_unknown_keys_get_a_did_you_mean_hint():
    problems = problems_of(room(**{"run.durration": 5, "levels.room.obstacels": [], "popultions": {}}))
    assert find(problems, "run.durration", "unknown key 'durration' in [run]").hint == "did you mean 'duration'?"
    assert "obstacles" in find(problems, "levels.room.obstacels", "unknown key").hint
    assert "populations" in find(problems, "popultions", "unknown key 'popultions' in the top level").hint
    assert len(problems) == 3


def test_unknown_key_without_a_close_match_lists_the_known_keys():
    problem = find(problems_of(room(**{"navigation.zzz": 1})), "navigation.zzz", "unknown key")
    assert "known keys: cell_size" in problem.hint


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        ("scenario.name", 3, "expected a string"),
        ("run.seed", 1.5, "expected an integer"),
        ("run.stop_when_empty", "yes", "expected true or false"),
        ("run.duration", True, "expected a time"),
        ("physics.max_substeps", 2.0, "expected an integer"),
        ("physics.contact_stability", "0.2", "expected a number"),
        ("levels.room.walkable", "square", "expected a ring"),
        ("levels.room.elevation", [1], "expected a length"),
        ("levels.room.exits.east.segment", [[10, 4.5]], "exactly 2 points"),
        ("populations.people.space", ["room"], "expected a string"),
        ("populations.people.count", "10", "expected an integer"),
    ],
)
def test_wrong_types_are_named_with_their_path(path, value, fragment):
    find(problems_of(room(**{path: value})), path, fragment)


def test_a_bad_vertex_is_named_by_its_index():
    data = room(**{"levels.room.walkable": [[0, 0], [10, 0], [10, "ten"], [0, 10]]})
    find(problems_of(data), "levels.room.walkable[0][2]", "expected a point [x, y]")


def test_wrong_units_name_the_expected_dimension():
    problems = problems_of(room(**{
        "levels.room.elevation": "3 kg",
        "run.duration": "5 m",
        "populations.people.desired_speed": "1.3 m",
        "physics.body_stiffness": "1.2e5 N",
    }))
    find(problems, "levels.room.elevation", "'3 kg' is a mass", "a length is expected")
    find(problems, "run.duration", "'5 m' is a length", "a time is expected")
    find(problems, "populations.people.desired_speed", "a speed is expected")
    find(problems, "physics.body_stiffness", "a force", "a stiffness is expected")
    assert len(problems) == 4


def test_quantities_with_units_are_converted_on_load():
    s = from_dict(room(**{
        "run.duration": "2 min", "run.time_step": "10 ms", "run.record_interval": "0.1 s",
        "navigation.cell_size": "5 cm", "physics.social_repulsion_strength": "2 kN",
        "populations.people.desired_speed": "5 km/h", "populations.people.mass": "70 kg",
        "populations.people.radius": "25 cm", "levels.room.elevation": "350 cm",
    }))
    assert (s.run.duration, s.run.time_step, s.navigation.cell_size) == (120.0, 0.01, 0.05)
    assert s.physics.social_repulsion_strength == 2000.0
    assert s.levels[0].elevation == 3.5
    pop = s.populations[0]
    assert pop.desired_speed == Distribution.fixed(5 / 3.6)
    assert (pop.mass, pop.radius) == (Distribution.fixed(70.0), Distribution.fixed(0.25))


def test_defaults_fill_what_the_file_leaves_out():
    s = from_dict(room())
    assert s.run == RunSettings() and s.physics == PhysicsParameters() and s.navigation == NavigationSettings()
    assert s.levels[0].elevation == 0.0 and s.levels[0].obstacles == ()
    assert s.populations[0] == Population(name="people", space="room", count=10)
    assert s.description == ""


@pytest.mark.parametrize(
    ("fields", "cls"),
    [(RUN_FIELDS, RunSettings), (PHYSICS_FIELDS, PhysicsParameters), (NAVIGATION_FIELDS, NavigationSettings),
     (BELIEF_FIELDS, BeliefSettings)],
)
def test_every_settings_field_of_the_model_can_be_set_from_a_file(fields, cls):
    assert set(fields) == set(cls.__dataclass_fields__)


def test_every_population_field_of_the_model_can_be_set_from_a_file():
    data = room(**{"populations.people": {
        "space": "room", "count": 3, "spawn": [[1, 1], [4, 1], [4, 4], [1, 4]], "seed": 5, "radius": 0.2,
        "desired_speed": 1.2, "mass": 70, "relaxation_time": 0.4, "pushing": True, "headway_time": "800 ms",
        "role": "guard", "post": "post", "effort": "300 N", "destination": "east",
        "start": {"distribution": "uniform", "low": "10 s", "high": "1 min"}, "present": False,
        "unknown_doors": ["west"]},
        "levels.room.doors": {"west": {"jambs": [[0, 4], [0, 5]], "state": "locked"}},
        "areas": {"post": {"space": "room", "polygon": [[8, 4], [9, 4], [9, 6], [8, 6]]}},
        "events": [{"at": 5, "action": "enter", "population": "people"}]})
    pop = from_dict(data).populations[0]
    defaults = Population(name="people", space="room", count=0)
    changed = {name for name in Population.__dataclass_fields__ if getattr(pop, name) != getattr(defaults, name)}
    assert changed == set(Population.__dataclass_fields__) - {"name", "space"}
    assert pop.pushing is True and pop.headway_time == pytest.approx(0.8)
    assert pop.effort == 300.0 and pop.start == Distribution(kind="uniform", low=10.0, high=60.0)
    assert pop.unknown_doors == ("west",) and pop.present is False


def test_walkable_accepts_one_ring_or_several_and_a_closed_ring():
    one = from_dict(room())
    closed = from_dict(room(**{"levels.room.walkable": [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]}))
    several = from_dict(room(**{"levels.room.walkable": [[[0, 0], [10, 0], [10, 10], [0, 10]]]}))
    assert one == closed == several
    assert one.levels[0].walkable == (((0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)),)


def test_parsed_objects_are_tuples_of_floats():
    s = from_dict(room())
    ring = s.levels[0].walkable[0]
    assert isinstance(ring, tuple) and all(isinstance(p, tuple) for p in ring)
    assert all(isinstance(c, float) for p in ring for c in p)


def test_several_problems_across_sections_are_listed_together_in_file_order():
    problems = problems_of(room(**{
        "populations.people.count": -1,
        "run.time_step": 0,
        "levels.room.exits.east.segment": [[5, 5], [6, 5]],
        "scenario.nmae": "x",
    }))
    assert [p.path for p in problems] == [
        "scenario.nmae",
        "run.time_step",
        "levels.room.exits.east.segment",
        "populations.people.count",
    ]


def test_the_error_message_lists_every_problem_with_its_hint():
    with pytest.raises(ScenarioError) as info:
        from_dict(room(**{"run.duration": -1, "run.seed": -2}))
    text = str(info.value)
    assert text.startswith("2 problems:")
    assert "run.duration: must be > 0, got -1 s (hint:" in text
    assert "run.seed: must be ≥ 0, got -2" in text


def test_a_section_that_is_not_a_table_is_reported():
    find(problems_of(room(**{"run": 5})), "run", "expected a table")
    find(problems_of(room(**{"levels.room": 5})), "levels.room", "expected a table")


# --- doors ---------------------------------------------------------------------------------------


def door_room(**door):
    """ROOM with one door on the west wall and no exit; the door is its way out."""
    return room(**{"levels.room.exits": {}, "levels.room.doors": {"west": door}})


def test_a_door_by_centre_sits_on_the_nearest_wall_edge():
    s = from_dict(door_room(center=[0.01, 5.0], clear_width="90 cm"))
    (a, b) = s.doors[0].jambs
    assert a[0] == b[0] == 0.0
    assert sorted([a[1], b[1]]) == pytest.approx([4.55, 5.45])
    assert s.doors[0].state == "open"


def test_a_door_by_centre_uses_merged_collinear_edges():
    # A wall split by an extra vertex (as where a stair meets a hall) is still one straight edge.
    data = door_room(center=[5.0, 0.0], clear_width=1.0)
    data["levels"]["room"]["walkable"] = [[0, 0], [5, 0], [10, 0], [10, 10], [0, 10]]
    (a, b) = from_dict(data).doors[0].jambs
    assert sorted([a, b]) == [(4.5, 0.0), (5.5, 0.0)]


def test_a_door_centre_off_the_wall_is_an_error():
    problem = only(problems_of(door_room(center=[0.5, 5.0], clear_width=0.9)), "levels.room.doors.west.center",
                   "0.500 m from the nearest wall edge", "within 0.02 m")
    assert "jambs" in problem.hint


def test_a_door_that_does_not_fit_on_its_edge_is_an_error():
    find(problems_of(door_room(center=[0.0, 9.8], clear_width=1.0)), "levels.room.doors.west.center",
         "does not fit on the wall edge")


def test_a_door_needs_jambs_or_centre_and_width_but_not_both():
    find(problems_of(door_room(state="open")), "levels.room.doors.west.jambs", "missing required key 'jambs'")
    find(problems_of(door_room(center=[0, 5])), "levels.room.doors.west.clear_width", "missing required key")
    find(problems_of(door_room(jambs=[[0, 4], [0, 5]], center=[0, 5], clear_width=1)), "levels.room.doors.west",
         "not both")


def test_a_door_width_must_be_positive():
    find(problems_of(door_room(center=[0, 5], clear_width="-1 m")), "levels.room.doors.west.clear_width", "> 0")


def test_a_door_state_must_be_known():
    problem = find(problems_of(door_room(jambs=[[0, 4], [0, 5]], state="opne")), "levels.room.doors.west.state",
                   "'opne' is not one of open, closed, latched, locked, broken")
    assert "did you mean 'open'?" in problem.hint


@pytest.mark.parametrize("state", ["open", "closed", "latched", "broken"])
def test_every_door_state_but_locked_loads_for_the_only_way_out(state):
    assert from_dict(door_room(jambs=[[0, 4], [0, 5]], state=state)).doors[0].state == state


# --- distributions -------------------------------------------------------------------------------


def people(**values):
    return from_dict(room(**{f"populations.people.{k}": v for k, v in values.items()})).populations[0]


def test_distributions_fixed_uniform_and_normal():
    pop = people(
        radius={"distribution": "uniform", "low": "22 cm", "high": 0.3},
        desired_speed={"distribution": "normal", "mean": 1.34, "std": 0.26, "low": 0.5, "high": "8 km/h"},
        mass="70 kg",
        relaxation_time={"distribution": "fixed", "value": "500 ms"},
    )
    assert pop.radius == Distribution(kind="uniform", low=0.22, high=0.3)
    assert pop.desired_speed == Distribution(kind="normal", mean=1.34, std=0.26, low=0.5, high=8 / 3.6)
    assert pop.mass == Distribution.fixed(70.0)
    assert pop.relaxation_time == Distribution.fixed(0.5)


def test_a_normal_may_leave_high_open():
    pop = people(desired_speed={"distribution": "normal", "mean": 1.3, "std": 0.2, "low": 0.5})
    assert pop.desired_speed.high is None and pop.desired_speed.maximum == math.inf


@pytest.mark.parametrize(
    ("value", "path", "fragment"),
    [
        ({"distribution": "gamma", "low": 1, "high": 2}, "distribution", "'gamma' is not one of"),
        ({"low": 1, "high": 2}, "distribution", "missing required key 'distribution'"),
        ({"distribution": "uniform", "low": 1}, "high", "missing required key 'high'"),
        ({"distribution": "uniform", "low": 1, "high": 2, "mean": 1.5}, "mean", "unknown key 'mean'"),
        ({"distribution": "normal", "mean": "1 kg", "std": 0.1, "low": 0.5}, "mean", "a speed is expected"),
    ],
)
def test_malformed_distributions_name_the_key(value, path, fragment):
    find(problems_of(room(**{"populations.people.desired_speed": value})),
         f"populations.people.desired_speed.{path}", fragment)


def test_sampling_respects_the_bounds():
    import numpy as np

    pop = people(desired_speed={"distribution": "normal", "mean": 1.34, "std": 0.26, "low": 1.2, "high": 1.4})
    draws = pop.desired_speed.sample(np.random.default_rng(0), 1000)
    assert draws.min() >= 1.2 and draws.max() <= 1.4


def test_the_python_api_validates_too():
    good = from_dict(room())
    with pytest.raises(ScenarioError) as info:
        Scenario.build(name="", levels=good.levels, populations=good.populations)
    find(info.value.problems, "scenario.name", "non-empty name")
    assert Scenario.build(name="ok", levels=good.levels, populations=good.populations).name == "ok"


def test_loads_and_load_agree(tmp_path):
    text = LOS_OLIVOS.read_text(encoding="utf-8")
    assert loads(text) == load(LOS_OLIVOS)


def test_a_file_builds_on_its_base(tmp_path):
    from aforo.scenario import load

    (tmp_path / "venue.toml").write_text('''
[scenario]
name = "venue"
[levels.room]
walkable = [[0, 0], [6, 0], [6, 2], [6, 3], [6, 5], [0, 5]]
[levels.room.doors.door]
jambs = [[6, 2], [6, 3]]
[populations.people]
space = "room"
count = 10
[[events]]
at = 5
action = "close"
door = "door"
''')
    (tmp_path / "account.toml").write_text('''
[scenario]
name = "account"
base = "venue.toml"
[levels.room.doors.door]
swing = "outward"
[populations.people]
count = 20
pushing = true
[[events]]
at = 9
action = "open"
door = "door"
''')
    s = load(tmp_path / "account.toml")
    assert s.name == "account"
    door = s.levels[0].doors[0]
    assert door.swing == "outward" and door.jambs == ((6.0, 2.0), (6.0, 3.0))  # merged, not replaced
    assert s.populations[0].count == 20 and s.populations[0].pushing
    assert [e.action for e in s.events] == ["close", "open"]  # events appended


def test_base_problems_are_reported(tmp_path):
    from aforo.errors import ScenarioError
    from aforo.scenario import load, loads

    (tmp_path / "a.toml").write_text('[scenario]\nname = "a"\nbase = "b.toml"\n')
    (tmp_path / "b.toml").write_text('[scenario]\nname = "b"\nbase = "a.toml"\n')
    with pytest.raises(ScenarioError, match="in a circle"):
        load(tmp_path / "a.toml")
    (tmp_path / "c.toml").write_text('[scenario]\nname = "c"\nbase = "missing.toml"\n')
    with pytest.raises(ScenarioError, match="not found"):
        load(tmp_path / "c.toml")
    with pytest.raises(ScenarioError, match="only be followed when reading a file"):
        loads('[scenario]\nname = "x"\nbase = "venue.toml"\n[levels.a]\nwalkable = [[0,0],[1,0],[1,1]]\n')
