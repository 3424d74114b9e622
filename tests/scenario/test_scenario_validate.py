"""Validation rules: each one fed bad input, asserting the path and the message of the problem."""

import math

import pytest

from aforo.errors import ScenarioError
from aforo.scenario import Distribution, Door, Level, Population, Scenario, find_problems, from_dict, validate

from scenario_helpers import DELETE, find, los_olivos, only, problems_of, room

SQUARE = [[0, 0], [10, 0], [10, 10], [0, 10]]

# --- run, navigation, physics -----------------------------------------------------------------


@pytest.mark.parametrize("key", ["duration", "time_step", "record_interval"])
@pytest.mark.parametrize("value", [0, -0.5])
def test_times_must_be_positive(key, value):
    find(problems_of(room(**{f"run.{key}": value})), f"run.{key}", "must be > 0")


def test_record_interval_must_be_a_whole_multiple_of_the_step():
    problem = only(problems_of(room(**{"run.record_interval": 0.015})), "run.record_interval",
                   "not a whole multiple of time_step = 0.01 s", "1.5 steps")
    assert "0.02" in problem.hint


def test_record_interval_must_not_be_shorter_than_the_step():
    only(problems_of(room(**{"run.record_interval": 0.005})), "run.record_interval", "shorter than time_step")


@pytest.mark.parametrize(
    ("step", "interval"), [(0.01, 0.1), (0.01, 0.3), (0.001, 0.07), (0.02, 0.02), (0.1, 1 / 3 * 0.3)]
)
def test_record_interval_multiples_pass_despite_float_rounding(step, interval):
    from_dict(room(**{"run.time_step": step, "run.record_interval": interval}))


def test_a_time_that_failed_to_load_is_not_compared_with_the_others():
    problems = problems_of(room(**{"run.time_step": "5 kg", "run.record_interval": 0.005, "run.duration": -1}))
    find(problems, "run.time_step", "a mass")
    find(problems, "run.duration", "must be > 0")
    assert len(problems) == 2


def test_the_step_may_not_exceed_the_duration():
    find(problems_of(room(**{"run.duration": 0.005, "run.record_interval": 0.01})), "run.time_step",
         "longer than duration")


def test_seed_must_not_be_negative():
    only(problems_of(room(**{"run.seed": -1})), "run.seed", "must be ≥ 0")


@pytest.mark.parametrize(("value", "fragment"), [(0.2, "coarser than the 0.1 m allowed"), ("11 cm", "coarser"),
                                                 (0, "must be > 0"), (-0.05, "must be > 0")])
def test_cell_size_must_be_positive_and_at_most_10_cm(value, fragment):
    only(problems_of(room(**{"navigation.cell_size": value})), "navigation.cell_size", fragment)


def test_cell_size_of_exactly_10_cm_passes():
    assert from_dict(room(**{"navigation.cell_size": "10 cm"})).navigation.cell_size == pytest.approx(0.1)


def test_physics_parameters_must_be_positive_and_in_range():
    problems = problems_of(room(**{
        "physics.social_repulsion_strength": 0,
        "physics.body_stiffness": "-1 N/m",
        "physics.wall_clearance_fraction": 1.5,
        "physics.max_substeps": 0,
    }))
    find(problems, "physics.social_repulsion_strength", "must be > 0, got 0 N")
    find(problems, "physics.body_stiffness", "must be > 0, got -1 kg/s²")
    find(problems, "physics.wall_clearance_fraction", "must lie in [0, 1]")
    find(problems, "physics.max_substeps", "must be ≥ 1")
    assert len(problems) == 4


# --- polygons ------------------------------------------------------------------------------------


def test_a_self_intersecting_walkable_ring_is_explained():
    data = room(**{"levels.room.walkable": [[0, 0], [10, 10], [10, 0], [0, 10]]})
    problem = find(problems_of(data), "levels.room.walkable[0]", "not a simple polygon", "Self-intersection")
    assert "[5 5]" in problem.message  # shapely's explain_validity names the crossing


def test_a_degenerate_ring_is_an_error():
    data = room(**{"levels.room.walkable": [[0, 0], [5, 0], [10, 0]]})
    find(problems_of(data), "levels.room.walkable[0]", "degenerate", "on one line")


def test_a_ring_with_too_few_vertices_is_an_error():
    data = room(**{"levels.room.walkable": [[0, 0], [5, 0]]})
    find(problems_of(data), "levels.room.walkable[0]", "2 distinct vertices")


def test_a_level_needs_a_walkable_ring():
    find(problems_of(room(**{"levels.room.walkable": []})), "levels.room.walkable", "at least one walkable ring")


def test_an_obstacle_outside_the_walkable_area_is_an_error():
    data = room(**{"levels.room.obstacles": [[[9, 9], [11, 9], [11, 11], [9, 11]]]})
    only(problems_of(data), "levels.room.obstacles[0]", "not inside the walkable area", "3 m² of it lies outside")


def test_an_obstacle_inside_passes_and_obstacles_covering_everything_fail():
    inside = room(**{"levels.room.obstacles": [[[4, 4], [5, 4], [5, 5], [4, 5]]]})
    assert from_dict(inside).levels[0].obstacles
    everything = room(**{"levels.room.obstacles": [SQUARE]})
    find(problems_of(everything), "levels.room.obstacles", "cover the whole walkable area")


def test_a_self_intersecting_obstacle_is_an_error():
    data = room(**{"levels.room.obstacles": [[[4, 4], [5, 5], [5, 4], [4, 5]]]})
    find(problems_of(data), "levels.room.obstacles[0]", "Self-intersection")


# --- names ---------------------------------------------------------------------------------------


def test_levels_and_stairs_share_one_namespace():
    data = los_olivos()
    data["stairs"]["hall"] = data["stairs"].pop("stair")
    problem = find(problems_of(data), "stairs.hall", "already used by the level at levels.hall",
                   "levels and stairs share one namespace")
    assert problem.hint


def test_a_duplicate_name_is_reported_even_when_the_stair_has_other_problems():
    data = los_olivos(**{"stairs.stair.steps": 20.5})
    data["stairs"]["hall"] = data["stairs"].pop("stair")
    problems = problems_of(data)
    find(problems, "stairs.hall.steps", "expected an integer")
    find(problems, "stairs.hall", "already used by the level")


def test_doors_and_exits_share_one_namespace():
    data = room(**{"levels.room.doors": {"east": {"jambs": [[0, 4], [0, 5]]}}})
    find(problems_of(data), "levels.room.exits.east", "already used by the door at levels.room.doors.east")


def test_names_must_be_simple():
    data = room()
    data["populations"]["two words"] = data["populations"].pop("people")
    find(problems_of(data), "populations.two words", "name 'two words' is not allowed")


# --- doors and exits -----------------------------------------------------------------------------


def test_a_door_not_on_a_wall_names_the_jamb_and_its_distance():
    data = room(**{"levels.room.doors": {"d": {"jambs": [[0, 4], [0.5, 5]]}}})
    problem = only(problems_of(data), "levels.room.doors.d.jambs", "second jamb (0.5, 5) is 0.500 m",
                   "within 0.02 m of the walkable boundary")
    assert "center" in problem.hint


def test_door_jambs_within_the_tolerance_pass():
    data = room(**{"levels.room.doors": {"d": {"jambs": [[0.015, 4], [-0.015, 5]]}}})
    assert from_dict(data).doors[0].jambs == ((0.015, 4.0), (-0.015, 5.0))


def test_a_door_with_no_width_is_an_error():
    data = room(**{"levels.room.doors": {"d": {"jambs": [[0, 4], [0, 4]]}}})
    find(problems_of(data), "levels.room.doors.d.jambs", "zero length", "width must be > 0 m")


def test_an_exit_off_the_outer_boundary_is_an_error():
    data = room(**{"levels.room.exits.east.segment": [[9, 4.5], [9, 5.5]]})
    problem = only(problems_of(data), "levels.room.exits.east.segment", "does not lie along the outer boundary")
    assert "door" in problem.hint


def test_an_exit_partly_along_the_boundary_is_an_error():
    data = room(**{"levels.room.exits.east.segment": [[10, 9.5], [10, 10.5]]})
    find(problems_of(data), "levels.room.exits.east.segment", "outer boundary")


def test_an_exit_along_an_obstacle_is_not_on_the_outer_boundary():
    data = room(**{"levels.room.obstacles": [[[4, 4], [5, 4], [5, 5], [4, 5]]],
                   "levels.room.exits.east.segment": [[4, 4], [5, 4]]})
    find(problems_of(data), "levels.room.exits.east.segment", "outer boundary")


def test_an_exit_with_zero_width_is_an_error():
    data = room(**{"levels.room.exits.east.segment": [[10, 5], [10, 5]]})
    find(problems_of(data), "levels.room.exits.east.segment", "zero length")


# --- stairs --------------------------------------------------------------------------------------


def test_a_stair_on_an_unknown_level_suggests_the_right_one():
    problem = find(problems_of(los_olivos(**{"stairs.stair.upper_level": "hal"})), "stairs.stair.upper_level",
                   "unknown level 'hal'")
    assert "did you mean 'hall'?" in problem.hint


def test_the_lower_level_must_be_below_the_upper_level():
    data = los_olivos(**{"stairs.stair.lower_level": "hall", "stairs.stair.upper_level": "street"})
    find(problems_of(data), "stairs.stair.lower_level", "lower level 'hall' (elevation 3.5 m) is not below")


def test_steps_times_rise_must_match_the_height():
    problem = only(problems_of(los_olivos(**{"stairs.stair.rise": 0.15})), "stairs.stair.rise",
                   "20 × 0.15 m = 3.000 m", "differ by 3.500 m", "within 0.05 m")
    assert "0.1750" in problem.hint


def test_steps_times_rise_within_5_cm_passes():
    assert from_dict(los_olivos(**{"stairs.stair.rise": 0.1774})).stair("stair").rise == 0.1774


@pytest.mark.parametrize(("key", "value", "fragment"), [("steps", 0, "must be ≥ 1"), ("rise", 0, "must be > 0"),
                                                        ("rise", "-17 cm", "must be > 0"),
                                                        ("speed_factor_up", 0, "must be > 0")])
def test_stair_sizes_must_be_positive(key, value, fragment):
    find(problems_of(los_olivos(**{f"stairs.stair.{key}": value})), f"stairs.stair.{key}", fragment)


def test_a_stair_edge_off_the_footprint_is_an_error():
    data = los_olivos(**{"stairs.stair.lower_edge": [[0.2, -4.0], [1.3, -4.0]]})
    problems = problems_of(data)
    find(problems, "stairs.stair.lower_edge", "does not lie on the boundary of the footprint")
    find(problems, "stairs.stair.lower_edge", "does not lie on the walkable boundary of level 'street'")


def test_a_stair_edge_off_its_levels_boundary_is_an_error():
    data = los_olivos(**{"levels.street.walkable": [[0.2, -6.5], [1.3, -6.5], [1.3, -5.5], [0.2, -5.5]]})
    problem = only(problems_of(data), "stairs.stair.lower_edge", "does not lie on the walkable boundary of level "
                   "'street'")
    assert "vertices" in problem.hint


def test_a_stair_with_a_bad_footprint_is_an_error():
    data = los_olivos(**{"stairs.stair.footprint": [[0.2, -5.0], [1.3, 0.0], [1.3, -5.0], [0.2, 0.0]]})
    find(problems_of(data), "stairs.stair.footprint", "Self-intersection")


# --- populations ---------------------------------------------------------------------------------


def test_a_population_in_an_unknown_space_is_an_error():
    problem = only(problems_of(room(**{"populations.people.space": "rooom"})), "populations.people.space",
                   "unknown space 'rooom'")
    assert "did you mean 'room'?" in problem.hint


def test_a_population_on_a_stair_is_allowed():
    data = los_olivos(**{"populations.queue": {"space": "stair", "count": 10}})
    assert from_dict(data).agent_count == 130


def test_a_spawn_area_outside_its_space_is_an_error():
    data = room(**{"populations.people.spawn": [[8, 8], [11, 8], [11, 11], [8, 11]]})
    find(problems_of(data), "populations.people.spawn", "not inside the walkable area of space 'room'",
         "5 m² lies outside")


def test_a_spawn_area_on_an_obstacle_is_an_error():
    data = room(**{"levels.room.obstacles": [[[4, 4], [6, 4], [6, 6], [4, 6]]],
                   "populations.people.spawn": [[3, 3], [5, 3], [5, 5], [3, 5]]})
    find(problems_of(data), "populations.people.spawn", "not inside", "1 m² lies outside")


def test_a_spawn_area_a_hair_outside_passes():
    data = room(**{"populations.people.spawn": [[-1e-7, 0], [5, 0], [5, 5], [-1e-7, 5]]})
    assert from_dict(data).populations[0].spawn[0] == (-1e-7, 0.0)


def test_counts_must_not_be_negative():
    only(problems_of(room(**{"populations.people.count": -3})), "populations.people.count", "must be ≥ 0")


def fixed_radius_room(count: int, radius: float = 0.25):
    spawn = [[1, 1], [3, 1], [3, 3], [1, 3]]  # 2 m × 2 m
    return room(**{"populations.people.count": count, "populations.people.radius": radius,
                   "populations.people.spawn": spawn})


def test_capacity_follows_hexagonal_packing_at_90_percent():
    r = 0.25
    # centres may stand anywhere in the spawn square, which lies more than r from every wall
    usable = 2.0 * 2.0
    capacity = math.floor(usable / (2 * math.sqrt(3) * r * r) * 0.9)
    assert capacity == 16
    from_dict(fixed_radius_room(capacity, r))
    problem = only(problems_of(fixed_radius_room(capacity + 1, r)), "populations.people.count",
                   "17 agents do not fit", "at most 16", "2·√3·r²", "90 %", "r = 0.25 m")
    assert problem.hint


def test_capacity_uses_the_smallest_radius_of_the_distribution():
    data = fixed_radius_room(16)
    data["populations"]["people"]["radius"] = {"distribution": "uniform", "low": 0.25, "high": 0.6}
    from_dict(data)  # 16 fit at r = 0.25, although not at r = 0.6


@pytest.mark.parametrize(
    ("key", "value", "path", "fragment"),
    [
        ("radius", 0, "radius", "must be > 0, got 0 m"),
        ("mass", "-80 kg", "mass", "must be > 0"),
        ("relaxation_time", 0, "relaxation_time", "must be > 0"),
        ("radius", {"distribution": "uniform", "low": 0.3, "high": 0.2}, "radius", "is above high"),
        ("radius", {"distribution": "uniform", "low": 0, "high": 0.2}, "radius.low", "must be > 0"),
        ("desired_speed", {"distribution": "normal", "mean": 1.3, "std": 0.2}, "desired_speed.low",
         "without low can draw values ≤ 0"),
        ("desired_speed", {"distribution": "normal", "mean": 1.3, "std": 0, "low": 0.5}, "desired_speed.std",
         "must be > 0"),
        ("desired_speed", {"distribution": "normal", "mean": 1.3, "std": 0.2, "low": 0.5, "high": 0.4},
         "desired_speed", "is not below high"),
        ("desired_speed", {"distribution": "normal", "mean": 1.3, "std": 0.1, "low": 3, "high": 4},
         "desired_speed", "holds 0.00% of the normal's probability (rule: at least 1%)"),
    ],
)
def test_per_agent_quantities_must_draw_positive_values(key, value, path, fragment):
    find(problems_of(room(**{f"populations.people.{key}": value})), f"populations.people.{path}", fragment)


def test_headway_time_must_be_positive_and_pushing_a_boolean():
    only(problems_of(room(**{"populations.people.headway_time": 0})), "populations.people.headway_time",
         "must be > 0")
    only(problems_of(room(**{"populations.people.pushing": "yes"})), "populations.people.pushing",
         "expected true or false")


def test_a_population_seed_must_not_be_negative():
    find(problems_of(room(**{"populations.people.seed": -1})), "populations.people.seed", "must be ≥ 0")


def test_a_population_on_a_level_that_failed_to_load_is_not_called_unknown():
    problems = problems_of(room(**{"levels.room.walkable": "nope"}))
    only(problems, "levels.room.walkable", "expected a ring")


# --- reachability --------------------------------------------------------------------------------


def room_with_door(state: str) -> dict:
    return room(**{"levels.room.exits": {}, "levels.room.doors": {"d": {"jambs": [[10, 4.5], [10, 5.5]],
                                                                        "state": state}}})


@pytest.mark.parametrize("state", ["open", "closed", "latched", "broken"])
def test_an_open_or_closed_exterior_door_is_a_way_out(state):
    assert from_dict(room_with_door(state)).doors[0].state == state


def test_a_locked_exterior_door_is_not_a_way_out():
    problem = only(problems_of(room_with_door("locked")), "populations.people.space", "no exit reachable",
                   "level 'room'", "doors locked for the whole run never connect")
    assert "unlock" in problem.hint


def test_a_level_without_any_exit_is_an_error():
    find(problems_of(room(**{"levels.room.exits": {}})), "populations.people.space", "no exit reachable")


def test_a_level_without_exits_and_without_people_passes():
    data = room(**{"levels.room.exits": {}, "populations": {}})
    assert from_dict(data).agent_count == 0


def two_rooms(state: str) -> dict:
    """West room x 0–5, a 0.2 m passage with a door, east room x 5.2–10 with the exit."""
    return {
        "scenario": {"name": "two-rooms"},
        "levels": {"floor": {
            "walkable": [[[0, 0], [5, 0], [5, 5], [0, 5]], [[5, 2], [5.2, 2], [5.2, 3], [5, 3]],
                         [[5.2, 0], [10, 0], [10, 5], [5.2, 5]]],
            "doors": {"inner": {"jambs": [[5.1, 2], [5.1, 3]], "state": state}},
            "exits": {"out": {"segment": [[10, 1], [10, 2]]}},
        }},
        "populations": {"west": {"space": "floor", "count": 20, "spawn": [[1, 1], [4, 1], [4, 4], [1, 4]]}},
    }


@pytest.mark.parametrize("state", ["open", "closed", "latched", "broken"])
def test_open_and_closed_interior_doors_connect(state):
    assert from_dict(two_rooms(state)).doors[0].state == state


def test_a_locked_interior_door_separates_the_rooms():
    only(problems_of(two_rooms("locked")), "populations.west.space", "no exit reachable", "level 'floor'")


def test_people_beyond_a_locked_door_on_the_exit_side_are_fine():
    data = two_rooms("locked")
    data["populations"]["west"]["spawn"] = [[6, 1], [9, 1], [9, 4], [6, 4]]
    from_dict(data)


def test_separate_walkable_pieces_joined_by_an_open_door():
    # Two rooms whose outlines do not touch: a door touching both joins them.
    data = two_rooms("open")
    floor = data["levels"]["floor"]
    floor["walkable"] = [[[0, 0], [5, 0], [5, 5], [0, 5]], [[5.01, 0], [10, 0], [10, 5], [5.01, 5]]]
    floor["doors"]["inner"]["jambs"] = [[5.005, 2], [5.005, 3]]
    from_dict(data)
    floor["doors"]["inner"]["state"] = "locked"
    find(problems_of(data), "populations.west.space", "no exit reachable")


def test_los_olivos_reaches_the_street_over_the_stair_unless_the_door_is_locked():
    from_dict(los_olivos(**{"levels.street.doors.street.state": "closed"}))
    problems = problems_of(los_olivos(**{"levels.street.doors.street.state": "locked"}))
    only(problems, "populations.occupants.space", "no exit reachable from the part of level 'hall'")


def test_los_olivos_without_the_stair_leaves_the_hall_cut_off():
    problems = problems_of(los_olivos(**{"stairs": DELETE}))
    only(problems, "populations.occupants.space", "no exit reachable")


def test_people_on_a_stair_reach_the_street():
    data = los_olivos(**{"populations.queue": {"space": "stair", "count": 5},
                         "levels.street.doors.street.state": "locked"})
    problems = problems_of(data)
    find(problems, "populations.queue.space", "no exit reachable from stair 'stair'")


def test_reachability_is_not_judged_when_geometry_failed():
    problems = problems_of(room(**{"levels.room.exits.east.segment": [[5, 5], [6, 5]]}))
    only(problems, "levels.room.exits.east.segment", "outer boundary")


# --- Python API ----------------------------------------------------------------------------------


def test_validate_accepts_a_good_scenario_and_returns_none():
    assert validate(from_dict(room())) is None
    assert find_problems(from_dict(room())) == []


def test_the_python_api_catches_wrong_types_without_crashing():
    level = Level(name="ground", elevation="high", walkable=((("a", 0), (1, 0), (1, 1)),),  # type: ignore
                  doors=(Door(name="d", level="other", jambs=((0, 0), (0, 0)), state="ajar"),))  # type: ignore
    pop = Population(name="p", space="ground", count=2.5, radius=Distribution.fixed(-1))  # type: ignore
    with pytest.raises(ScenarioError) as info:
        Scenario.build(name="x", levels=(level,), populations=(pop,))
    problems = info.value.problems
    find(problems, "levels.ground.elevation", "expected a finite number, got 'high'")
    find(problems, "levels.ground.walkable[0]", "expected a ring")
    find(problems, "levels.ground.doors.d.level", "names level 'other'")
    find(problems, "levels.ground.doors.d.state", "'ajar' is not one of")
    find(problems, "levels.ground.doors.d.jambs", "zero length")
    find(problems, "populations.p.count", "expected an integer, got 2.5")
    find(problems, "populations.p.radius", "must be > 0")


def test_scenario_error_is_a_value_error_with_problems():
    with pytest.raises(ValueError) as info:
        from_dict(room(**{"run.duration": 0}))
    assert isinstance(info.value, ScenarioError)
    assert info.value.problems[0].path == "run.duration"
