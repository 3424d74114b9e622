"""Issue 3 in the file: door leaves, areas, roles, beliefs, and reachability with them.

Each rule is fed bad input and the test asserts the path and the message of the problem.
"""

import math
from dataclasses import replace

import pytest
from shapely.geometry import Polygon

from aforo.errors import ScenarioError
from aforo.scenario import Area, Door, Population, Scenario, from_dict
from aforo.scenario import geometry as geo
from aforo.scenario.model import Level
from aforo.venue.geometry import is_on_outer_boundary, level_area

from scenario_helpers import find, los_olivos, only, problems_of, room

STREET = "levels.street.doors.street"
POST = [[0.3, -6.4], [1.2, -6.4], [1.2, -5.9], [0.3, -5.9]]  # in front of the Los Olivos street door


def west_door(**door):
    """ROOM with an exterior door in the west wall (its exit kept, so the door is not the only way out)."""
    return room(**{"levels.room.doors": {"west": {"jambs": [[0, 4], [0, 5]], **door}}})


def two_rooms(**door) -> dict:
    """West room x 0–5, a 0.2 m passage with an interior door, east room x 5.2–10 with the exit."""
    return {
        "scenario": {"name": "two-rooms"},
        "levels": {"floor": {
            "walkable": [[[0, 0], [5, 0], [5, 5], [0, 5]], [[5, 2], [5.2, 2], [5.2, 3], [5, 3]],
                         [[5.2, 0], [10, 0], [10, 5], [5.2, 5]]],
            "doors": {"inner": {"jambs": [[5.1, 2], [5.1, 3]], **door}},
            "exits": {"out": {"segment": [[10, 1], [10, 2]]}},
        }},
        "populations": {"west": {"space": "floor", "count": 20, "spawn": [[1, 1], [4, 1], [4, 4], [1, 4]]}},
    }


def guarded(**population) -> dict:
    """Los Olivos with a post in front of the street door and two guards holding it."""
    data = los_olivos()
    data["areas"] = {"door_post": {"space": "street", "polygon": POST}}
    data["populations"]["police"] = {"space": "street", "count": 2, "role": "guard", "post": "door_post",
                                     **population}
    return data


# --- door leaves: loading ------------------------------------------------------------------------


def test_every_door_field_of_the_model_can_be_set_from_a_file():
    data = west_door(state="latched", swing="outward", leaves=1, hinge="second", max_angle="120 deg",
                     leaf_mass="45 kg", handle_force="0.15 kN")
    door = from_dict(data).doors[0]
    default = Door(name="west", level="room", jambs=door.jambs)
    changed = {f for f in Door.__dataclass_fields__ if getattr(door, f) != getattr(default, f)}
    assert changed == set(Door.__dataclass_fields__) - {"name", "level", "jambs", "leaves"}
    assert door.max_angle == pytest.approx(2 * math.pi / 3) and door.handle_force == 150.0
    assert from_dict(west_door(swing="inward", leaves=2)).doors[0].leaves == 2


def test_defaults_of_a_door_without_leaves():
    door = from_dict(west_door()).doors[0]
    assert (door.swing, door.leaves, door.hinge, door.max_angle) == ("none", 1, "first", math.pi / 2)


def test_a_swing_must_be_known():
    problem = only(problems_of(west_door(swing="inwards")), "levels.room.doors.west.swing",
                   "'inwards' is not one of none, inward, outward, left, right")
    assert "did you mean 'inward'?" in problem.hint


def test_leaf_keys_without_a_swing_are_an_error():
    problem = only(problems_of(west_door(leaves=2, max_angle="90 deg")), "levels.room.doors.west.swing",
                   "swing is 'none'", "leaves and max_angle are given")
    assert '"inward" or "outward"' in problem.hint and "remove leaves and max_angle" in problem.hint


def test_a_hinge_with_two_leaves_is_an_error():
    problem = only(problems_of(west_door(swing="inward", leaves=2, hinge="first")), "levels.room.doors.west.hinge",
                   "hinge is for a single leaf", "leaves = 2")
    assert "remove hinge" in problem.hint


@pytest.mark.parametrize(("key", "value", "fragment"), [
    ("hinge", "middle", "'middle' is not one of first, second"),
    ("leaves", 1.0, "expected an integer"),
    ("max_angle", "90 N", "a force"),
    ("leaf_mass", "45 N", "a mass is expected"),
    ("handle_force", "20 kg", "a force is expected"),
])
def test_leaf_keys_are_read_with_their_types_and_units(key, value, fragment):
    find(problems_of(west_door(swing="inward", **{key: value})), f"levels.room.doors.west.{key}", fragment)


# --- door leaves: validation ---------------------------------------------------------------------


@pytest.mark.parametrize(("key", "value", "fragment"), [
    ("leaves", 3, "leaves must be 1 or 2, got 3"),
    ("leaves", 0, "leaves must be 1 or 2, got 0"),
    ("max_angle", 0, "must lie in (0, π] rad (0°–180°), got 0 rad"),
    ("max_angle", "200 deg", "got 3.49066 rad (200°)"),
    ("leaf_mass", 0, "must be > 0, got 0 kg"),
    ("handle_force", "-1 N", "must be ≥ 0, got -1 N"),
])
def test_leaf_values_must_be_in_range(key, value, fragment):
    only(problems_of(west_door(swing="inward", **{key: value})), f"levels.room.doors.west.{key}", fragment)


def test_a_plain_max_angle_is_in_radians_and_the_hint_says_so():
    problem = only(problems_of(west_door(swing="inward", max_angle=90)), "levels.room.doors.west.max_angle",
                   "got 90 rad")
    assert "'90 deg'" in problem.hint


def test_180_degrees_and_no_handle_force_pass():
    door = from_dict(west_door(swing="outward", max_angle="180 deg", handle_force=0)).doors[0]
    assert door.max_angle == pytest.approx(math.pi) and door.handle_force == 0.0


@pytest.mark.parametrize("swing", ["left", "right"])
def test_an_exterior_door_cannot_swing_left_or_right(swing):
    problem = only(problems_of(west_door(swing=swing)), "levels.room.doors.west.swing",
                   f"swing '{swing}' is for an interior door", "an exterior door")
    assert '"inward"' in problem.hint


@pytest.mark.parametrize("swing", ["inward", "outward"])
def test_an_interior_door_cannot_swing_inward_or_outward(swing):
    problem = only(problems_of(two_rooms(swing=swing)), "levels.floor.doors.inner.swing",
                   f"swing '{swing}' is for an exterior door", "spans a gap inside level 'floor'")
    assert '"left" or "right"' in problem.hint and "first jamb to the second" in problem.hint


@pytest.mark.parametrize(("make", "swings"), [(west_door, ("none", "inward", "outward")),
                                              (two_rooms, ("none", "left", "right"))])
def test_swings_that_fit_the_door_pass(make, swings):
    for swing in swings:
        assert from_dict(make(swing=swing)).doors[0].swing == swing


def test_the_los_olivos_street_door_as_reported_loads():
    data = los_olivos()
    data["levels"]["street"]["doors"]["street"].update(swing="inward", leaves=2, state="closed")
    door = from_dict(data).doors[0]
    assert (door.swing, door.leaves, door.state) == ("inward", 2, "closed")


@pytest.mark.parametrize("jambs", [
    ((0, 4), (0, 5)),  # along the outer wall
    ((4, 4), (5, 4)),  # along an obstacle's outline: the venue compiler makes it an outlet too
    ((0.015, 4), (-0.015, 5)),  # within the jamb tolerance
    ((2, 0), (2, 10)),  # across the room (not along any wall)
    ((0, 9.5), (0, 10.5)),  # partly along
])
def test_exterior_means_what_the_venue_compiler_decides(jambs):
    level = Level(name="room", elevation=0.0, walkable=(((0, 0), (10, 0), (10, 10), (0, 10)),),
                  obstacles=(((4, 4), (5, 4), (5, 5), (4, 5)),))
    assert geo.door_is_exterior(geo.level_shape(level), jambs) == is_on_outer_boundary(level_area(level), jambs)


def test_the_python_api_checks_leaves_too():
    base = from_dict(room())
    level = replace(base.levels[0], doors=(
        Door(name="a", level="room", jambs=((0, 4), (0, 5)), leaves=2),  # no swing
        Door(name="b", level="room", jambs=((0, 6), (0, 7)), swing="inward", leaves=2, hinge="second"),
        Door(name="c", level="room", jambs=((0, 1), (0, 2)), swing="sideways", hinge="top"),  # type: ignore
    ))
    with pytest.raises(ScenarioError) as info:
        Scenario.build(name="x", levels=(level,), populations=base.populations)
    problems = info.value.problems
    find(problems, "levels.room.doors.a.swing", "swing is 'none'", "leaves is set")
    find(problems, "levels.room.doors.b.hinge", "hinge = 'second' is for a single leaf")
    find(problems, "levels.room.doors.c.swing", "'sideways' is not one of")
    find(problems, "levels.room.doors.c.hinge", "'top' is not one of first, second")
    assert len(problems) == 4


# --- areas ---------------------------------------------------------------------------------------


def test_an_area_loads_on_a_level_or_a_stair():
    data = los_olivos(**{"areas": {"door_post": {"space": "street", "polygon": POST},
                                   "queue": {"space": "stair", "polygon": [[0.3, -4.5], [1.2, -4.5], [1.2, -0.5],
                                                                           [0.3, -0.5]]}}})
    scenario = from_dict(data)
    assert scenario.area("door_post") == Area(name="door_post", space="street", polygon=tuple(map(tuple, POST)))
    assert scenario.area("queue").space == "stair"


def test_an_area_outside_its_space_is_an_error():
    data = room(**{"areas": {"queue": {"space": "room", "polygon": [[8, 8], [11, 8], [11, 11], [8, 11]]}}})
    problem = only(problems_of(data), "areas.queue.polygon", "not inside the walkable area of space 'room'",
                   "5 m² lies outside")
    assert "shrink" in problem.hint


def test_an_area_on_an_obstacle_is_an_error():
    data = room(**{"levels.room.obstacles": [[[4, 4], [6, 4], [6, 6], [4, 6]]],
                   "areas": {"queue": {"space": "room", "polygon": [[3, 3], [5, 3], [5, 5], [3, 5]]}}})
    find(problems_of(data), "areas.queue.polygon", "not inside", "1 m² lies outside")


def test_an_area_in_an_unknown_space_suggests_the_right_one():
    data = room(**{"areas": {"queue": {"space": "rom", "polygon": [[1, 1], [2, 1], [2, 2]]}}})
    problem = only(problems_of(data), "areas.queue.space", "unknown space 'rom'", "an area lies on a level or a stair")
    assert "did you mean 'room'?" in problem.hint


def test_an_area_needs_a_valid_polygon_and_a_space():
    find(problems_of(room(**{"areas": {"q": {"space": "room", "polygon": [[1, 1], [2, 2], [2, 1], [1, 2]]}}})),
         "areas.q.polygon", "Self-intersection")
    problems = problems_of(room(**{"areas": {"q": {"polygon": [[1, 1], [2, 1], [2, 2]], "spcae": "room"}}}))
    find(problems, "areas.q.space", "missing required key 'space'")
    assert "did you mean 'space'?" in find(problems, "areas.q.spcae", "unknown key").hint


def test_area_names_share_the_namespace_of_doors_and_exits():
    data = room(**{"areas": {"east": {"space": "room", "polygon": [[1, 1], [2, 1], [2, 2]]}}})
    problem = only(problems_of(data), "areas.east", "already used by the exit at levels.room.exits.east",
                   "doors, exits and areas share one namespace")
    assert "rename" in problem.hint


def test_the_area_name_exit_is_reserved():
    data = room(**{"areas": {"exit": {"space": "room", "polygon": [[1, 1], [2, 1], [2, 2]]}}})
    only(problems_of(data), "areas.exit", "the name 'exit' is reserved", "the nearest way out")


# --- roles ---------------------------------------------------------------------------------------


def test_guards_hold_a_post_with_an_effort():
    police = from_dict(guarded(effort="0.5 kN")).population("police")
    assert (police.role, police.post, police.effort) == ("guard", "door_post", 500.0)


def test_a_role_must_be_known():
    problem = only(problems_of(guarded(role="gaurd")), "populations.police.role", "'gaurd' is not one of")
    assert "did you mean 'guard'?" in problem.hint


@pytest.mark.parametrize("role", ["guard", "marshal"])
def test_guards_and_marshals_need_a_post(role):
    data = guarded(role=role)
    del data["populations"]["police"]["post"]
    problem = only(problems_of(data), "populations.police.post", f"a {role} needs a post")
    assert "[areas.<name>]" in problem.hint


def test_an_occupant_with_a_post_is_an_error():
    problem = only(problems_of(guarded(role="occupant")), "populations.police.post",
                   "post = 'door_post' is given but occupants have no post")
    assert 'role = "guard"' in problem.hint


def test_an_occupant_with_an_effort_is_an_error():
    data = room(**{"populations.people.effort": "400 N"})
    problem = only(problems_of(data), "populations.people.effort", "occupants exert none")
    assert "remove effort" in problem.hint


def test_the_python_api_rejects_an_occupants_effort_too():
    base = from_dict(room())
    pop = replace(base.populations[0], effort=100.0)
    with pytest.raises(ScenarioError) as info:
        Scenario.build(name="x", levels=base.levels, populations=(pop,))
    only(info.value.problems, "populations.people.effort", "effort = 100 N is given but occupants exert none")


def test_a_post_must_name_an_area():
    problem = only(problems_of(guarded(post="door_pots")), "populations.police.post", "unknown area 'door_pots'")
    assert "did you mean 'door_post'?" in problem.hint


def test_a_post_naming_a_door_explains_how_to_guard_it():
    problem = only(problems_of(guarded(post="street")), "populations.police.post", "unknown area 'street'")
    assert "'street' is a door: to guard it, define an area in front of it" in problem.hint


def test_effort_must_not_be_negative():
    only(problems_of(guarded(effort="-10 N")), "populations.police.effort", "must be ≥ 0, got -10 N")


def test_guards_need_not_reach_an_exit():
    data = guarded()
    data["levels"]["street"]["doors"]["street"]["state"] = "locked"
    data["populations"] = {"police": data["populations"]["police"]}
    assert from_dict(data).population("police").role == "guard"


@pytest.mark.parametrize("destination", ["exit", "street", "door_post"])
def test_a_destination_is_exit_or_an_exit_door_or_area(destination):
    assert from_dict(guarded(**{"role": "marshal", "destination": destination})).population(
        "police").destination == destination


def test_an_unknown_destination_suggests_the_right_one():
    problem = only(problems_of(guarded(destination="stret")), "populations.police.destination",
                   "unknown destination 'stret'", '"exit" (the nearest way out), an exit, a door or an area')
    assert "did you mean 'street'?" in problem.hint


def test_unknown_doors_must_name_doors():
    data = room(**{"levels.room.doors": {"west": {"jambs": [[0, 4], [0, 5]]}},
                   "populations.people.unknown_doors": ["west", "wset", "east", "west"]})
    problems = problems_of(data)
    assert "did you mean 'west'?" in find(problems, "populations.people.unknown_doors[1]", "unknown door 'wset'").hint
    find(problems, "populations.people.unknown_doors[2]", "'east' is an exit, not a door")
    find(problems, "populations.people.unknown_doors[3]", "door 'west' is listed twice")
    assert len(problems) == 3


def test_unknown_doors_must_be_a_list_of_names():
    find(problems_of(room(**{"populations.people.unknown_doors": "west"})), "populations.people.unknown_doors",
         "expected a list of names")
    find(problems_of(room(**{"populations.people.unknown_doors": ["west", 3]})),
         "populations.people.unknown_doors[1]", "expected a name")


@pytest.mark.parametrize(("start", "expected"), [
    ("30 s", ("fixed", 30.0)), (0, ("fixed", 0.0)),
    ({"distribution": "uniform", "low": 0, "high": "2 min"}, ("uniform", 120.0)),
])
def test_pre_movement_time_may_be_zero(start, expected):
    dist = from_dict(room(**{"populations.people.start": start})).populations[0].start
    assert (dist.kind, dist.maximum) == expected


@pytest.mark.parametrize(("start", "path", "fragment"), [
    ("-5 s", "start", "must be ≥ 0, got -5 s"),
    ({"distribution": "uniform", "low": "-1 s", "high": 10}, "start.low", "must be ≥ 0"),
    ({"distribution": "normal", "mean": 60, "std": 20}, "start.low", "without low can draw values < 0 s"),
    ("5 m", "start", "a length"),
])
def test_pre_movement_time_must_not_be_negative(start, path, fragment):
    find(problems_of(room(**{"populations.people.start": start})), f"populations.people.{path}", fragment)


def test_the_python_api_checks_roles_and_their_references():
    base = from_dict(room())
    pops = (
        Population(name="g", space="room", count=1, role="guard"),
        Population(name="o", space="room", count=1, destination="nowhere", present="yes",  # type: ignore
                   unknown_doors=("x",)),
    )
    with pytest.raises(ScenarioError) as info:
        Scenario.build(name="x", levels=base.levels, populations=pops)
    problems = info.value.problems
    find(problems, "populations.g.post", "a guard needs a post")
    find(problems, "populations.o.destination", "unknown destination 'nowhere'")
    find(problems, "populations.o.present", "expected true or false")
    find(problems, "populations.o.unknown_doors[0]", "unknown door 'x'")
    assert len(problems) == 4


# --- beliefs -------------------------------------------------------------------------------------


def test_beliefs_load_with_units():
    beliefs = from_dict(room(**{"beliefs": {"learn_time": "5 s", "share_rate": "6 /min",
                                            "share_radius": "150 cm"}})).beliefs
    assert (beliefs.learn_time, beliefs.share_rate, beliefs.share_radius) == (5.0, pytest.approx(0.1), 1.5)
    assert from_dict(room(**{"beliefs": {"share_rate": 0.3}})).beliefs.share_rate == 0.3


@pytest.mark.parametrize(("key", "value", "fragment"), [
    ("learn_time", -1, "must be ≥ 0, got -1 s"),
    ("share_rate", "-0.1 /s", "must be ≥ 0, got -0.1 /s"),
    ("share_radius", -2, "must be ≥ 0, got -2 m"),
    ("share_rate", "0.2 s", "a time, but a rate is expected"),
])
def test_belief_settings_must_not_be_negative(key, value, fragment):
    only(problems_of(room(**{"beliefs": {key: value}})), f"beliefs.{key}", fragment)


def test_an_unknown_belief_key_is_reported():
    problem = only(problems_of(room(**{"beliefs": {"share_rat": 0.2}})), "beliefs.share_rat", "unknown key")
    assert "did you mean 'share_rate'?" in problem.hint


def test_no_sharing_at_all_is_allowed():
    assert from_dict(room(**{"beliefs": {"share_rate": 0, "share_radius": 0, "learn_time": 0}})).beliefs.share_rate == 0


# --- reachability ----------------------------------------------------------------------------------


def test_a_locked_door_that_an_event_opens_is_a_way_out():
    for action in ("unlock", "force_open"):
        data = los_olivos(**{"levels.street.doors.street.state": "locked"})
        data["events"] = [{"at": 300, "action": action, "door": "street"}]
        assert from_dict(data).events[0].action == action


def test_a_door_only_locked_again_stays_a_wall():
    data = los_olivos(**{"levels.street.doors.street.state": "locked"})
    data["events"] = [{"at": 300, "action": "lock", "door": "street"}]
    only(problems_of(data), "populations.occupants.space", "no exit reachable")


def test_a_door_locked_later_still_lets_people_out_before():
    data = los_olivos()
    data["events"] = [{"at": 300, "action": "lock", "door": "street"}]
    assert from_dict(data).events[0].at == 300.0


def test_a_locked_interior_door_forced_open_later_joins_the_rooms():
    data = two_rooms(state="locked")
    data["events"] = [{"at": 60, "action": "force_open", "door": "inner"}]
    from_dict(data)


def test_everything_wrong_at_once_is_reported_together():
    data = guarded(effort="-1 N", destination="nowhere", unknown_doors=["back"])
    data["populations"]["occupants"]["role"] = "gaurd"  # a layout error: this population is left out
    data["levels"]["street"]["doors"]["street"].update(swing="left", leaves=3)
    data["areas"]["exit"] = {"space": "hal", "polygon": POST}
    data["beliefs"] = {"share_rate": -1}
    data["events"] = [{"at": 10, "action": "close", "door": "stret"}, {"at": 5, "action": "stop",
                                                                      "population": "occupants"}]
    paths = [p.path for p in problems_of(data)]
    assert paths == ["beliefs.share_rate", f"{STREET}.leaves", f"{STREET}.swing", "areas.exit", "areas.exit.space",
                     "populations.occupants.role", "populations.police.effort", "populations.police.destination",
                     "populations.police.unknown_doors[0]", "events[0].door"]


def test_area_polygons_may_be_checked_with_shapely():
    # The post used throughout lies inside the landing (a sanity check of the fixture).
    assert Polygon([(0.2, -6.5), (1.3, -6.5), (1.3, -5.0), (0.2, -5.0)]).covers(Polygon(POST))
