"""Serialization: to_dict is plain resolved data in SI; loads(dumps(s)) == s."""

import tomllib

import numpy as np
import pytest

from aforo.scenario import Distribution, Population, Scenario, dumps, from_dict, load, loads, to_dict
from aforo.scenario.serialize import compact_arrays

from scenario_helpers import REPO, SHIPPED, los_olivos, room


def round_trip(scenario: Scenario) -> Scenario:
    return loads(dumps(scenario))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenarios_round_trip(path):
    scenario = load(path)
    assert round_trip(scenario) == scenario
    assert from_dict(to_dict(scenario)) == scenario


def test_a_scenario_using_every_feature_round_trips():
    data = room(**{
        "scenario.description": 'quotes " and unicode: salón, 90 m²',
        "run.duration": "2 min", "run.seed": 7, "run.stop_when_empty": False, "run.record_interval": 0.05,
        "physics.body_stiffness": "120 kN/m", "physics.max_substeps": 50,
        "navigation.cell_size": "5 cm",
        "levels.room.elevation": 1.25,
        "levels.room.obstacles": [[[4, 4], [5, 4], [5, 5], [4, 5]]],
        "levels.room.doors": {"west": {"center": [0, 5], "clear_width": "90 cm", "state": "closed"}},
        "populations.people.spawn": [[1, 1], [3, 1], [3, 3], [1, 3]],
        "populations.people.seed": 3,
        "populations.people.radius": {"distribution": "uniform", "low": 0.2, "high": 0.3},
        "populations.people.desired_speed": {"distribution": "normal", "mean": 1.2, "std": 0.2, "low": 0.4},
        "populations.people.mass": "70 kg",
        "populations.people.pushing": True,
        "populations.people.headway_time": 0.8,
    })
    data["levels"]["annex"] = {"elevation": 0, "walkable": [[[20, 0], [25, 0], [25, 5], [20, 5]],
                                                            [[24, 0], [30, 0], [30, 5], [24, 5]]],
                               "exits": {"far": {"segment": [[30, 1], [30, 2]]}}}
    scenario = from_dict(data)
    again = round_trip(scenario)
    assert again == scenario
    assert again.populations[0].desired_speed.high is None
    assert again.level("room").doors[0].jambs == ((0.0, 5.45), (0.0, 4.55)) or again.level("room").doors[0].jambs == (
        (0.0, 4.55), (0.0, 5.45))


def guarded_timeline() -> dict:
    """Los Olivos with every issue-3 feature: clock, leaves, areas, roles, beliefs, events."""
    data = los_olivos(**{"run.duration": "30 min"})
    data["clock"] = {"start": "20:40"}
    data["beliefs"] = {"learn_time": "4 s", "share_rate": "6 /min", "share_radius": "150 cm"}
    data["levels"]["street"]["doors"]["street"].update(state="closed", swing="inward", leaves=2,
                                                       max_angle="100 deg", leaf_mass="45 kg", handle_force="0.2 kN")
    data["areas"] = {"door_post": {"space": "street", "polygon": [[0.3, -6.4], [1.2, -6.4], [1.2, -5.9],
                                                                 [0.3, -5.9]]},
                     "queue": {"space": "stair", "polygon": [[0.3, -4.5], [1.2, -4.5], [1.2, -0.5], [0.3, -0.5]]}}
    data["populations"]["occupants"].update(
        destination="exit", unknown_doors=["street"], start={"distribution": "normal", "mean": "1 min",
                                                             "std": "20 s", "low": 0})
    data["populations"]["police"] = {"space": "street", "count": 2, "role": "guard", "post": "door_post",
                                     "effort": "400 N", "present": False}
    data["populations"]["stewards"] = {"space": "hall", "count": 1, "role": "marshal", "post": "queue",
                                       "start": "30 s", "destination": "queue"}
    data["events"] = [
        {"at": "21:10", "action": "force_open", "door": "street", "label": "forced open from outside"},
        {"at": "20:45", "action": "enter", "population": "police", "label": 'officers "enter"'},
        {"at": "20:52", "action": "close", "door": "street", "label": "an officer closes the street door"},
        {"at": 720, "action": "send", "population": "occupants", "to": "queue"},
        {"at": "20:55", "action": "release_role", "population": "stewards"},
    ]
    return data


def test_a_scenario_with_doors_roles_and_a_timeline_round_trips():
    scenario = from_dict(guarded_timeline())
    assert round_trip(scenario) == scenario
    assert from_dict(to_dict(scenario)) == scenario
    assert [e.at for e in scenario.events] == [300.0, 720.0, 720.0, 900.0, 1800.0]


def test_events_are_written_in_seconds_as_array_of_tables_at_the_end():
    scenario = from_dict(guarded_timeline())
    out = to_dict(scenario)
    assert out["clock"] == {"start": "20:40"}
    assert out["events"][0] == {"at": 300.0, "action": "enter", "population": "police", "label": 'officers "enter"'}
    assert out["events"][2] == {"at": 720.0, "action": "send", "population": "occupants", "to": "queue", "label": ""}
    text = dumps(scenario)
    assert text.count("\n[[events]]\n") == 5 and "events = [" not in text
    assert text.index("[[events]]") > text.index("[populations.")
    assert 'at = 300.0\naction = "enter"' in text


def test_keys_the_file_forbids_in_context_are_not_written():
    out = to_dict(from_dict(guarded_timeline()))
    street = out["levels"]["street"]["doors"]["street"]
    assert street["leaves"] == 2 and "hinge" not in street  # a double door has no hinge
    assert street["max_angle"] == pytest.approx(np.radians(100)) and street["handle_force"] == 200.0
    assert "post" not in out["populations"]["occupants"] and "effort" not in out["populations"]["occupants"]
    assert out["populations"]["police"]["effort"] == 400.0 and out["populations"]["stewards"]["start"] == 30.0
    assert out["beliefs"] == {"learn_time": 4.0, "share_rate": pytest.approx(0.1), "share_radius": 1.5}
    plain = to_dict(from_dict(room(**{"levels.room.doors": {"w": {"jambs": [[0, 4], [0, 5]]}}})))
    assert plain["levels"]["room"]["doors"]["w"] == {"jambs": [[0.0, 4.0], [0.0, 5.0]], "state": "open",
                                                     "swing": "none"}
    assert "clock" not in plain and "events" not in plain and "areas" not in plain


def test_a_single_leaf_keeps_its_hinge():
    data = room(**{"levels.room.doors": {"w": {"jambs": [[0, 4], [0, 5]], "swing": "outward", "hinge": "second"}}})
    scenario = from_dict(data)
    assert to_dict(scenario)["levels"]["room"]["doors"]["w"]["hinge"] == "second"
    assert round_trip(scenario) == scenario


def test_to_dict_is_plain_toml_data_in_si():
    out = to_dict(from_dict(room(**{"run.duration": "2 min", "populations.people.mass": "70 kg"})))
    assert out["run"]["duration"] == 120.0
    assert out["populations"]["people"]["mass"] == 70.0
    default_radius = Population(name="p", space="room", count=0).radius
    assert out["populations"]["people"]["radius"] == {"distribution": "uniform", "low": default_radius.low,
                                                      "high": default_radius.high}
    assert out["physics"]["max_substeps"] == 200 and isinstance(out["physics"]["max_substeps"], int)
    assert "spawn" not in out["populations"]["people"] and "seed" not in out["populations"]["people"]
    assert out["levels"]["room"]["walkable"] == [[[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]]]
    assert tomllib.loads(dumps(from_dict(room()))) == to_dict(from_dict(room()))


def test_defaults_are_written_out():
    out = to_dict(from_dict(room()))
    assert set(out["run"]) == {"duration", "time_step", "record_interval", "seed", "stop_when_empty"}
    assert out["beliefs"] == {"learn_time": 3.0, "share_rate": 0.2, "share_radius": 2.0}
    assert out["populations"]["people"]["role"] == "occupant" and out["populations"]["people"]["present"] is True
    assert out["populations"]["people"]["unknown_doors"] == [] and "start" not in out["populations"]["people"]
    assert len(out["physics"]) == 8 and out["navigation"] == {"cell_size": 0.1}
    assert out["levels"]["room"]["elevation"] == 0.0 and out["levels"]["room"]["obstacles"] == []


def test_numpy_numbers_from_the_python_api_are_written_as_plain_numbers():
    base = from_dict(room())
    people = base.populations[0]
    from dataclasses import replace

    pop = replace(people, count=np.int64(5), mass=Distribution.fixed(np.float64(75.0)))
    scenario = Scenario.build(name="np", levels=base.levels, populations=(pop,))
    text = dumps(scenario)
    assert "count = 5\n" in text and "mass = 75.0\n" in text
    assert round_trip(scenario) == scenario


def test_dumps_keeps_points_and_short_rings_on_one_line():
    text = dumps(from_dict(room()))
    assert "walkable = [[[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]]]\n" in text
    assert text.startswith("# aforo scenario, resolved")


def test_compact_arrays_leaves_long_arrays_one_item_per_line():
    long_ring = {"walkable": [[float(i), float(i * i)] for i in range(30)]}
    import tomli_w

    text = compact_arrays(tomli_w.dumps(long_ring), width=100)
    assert "    [3.0, 9.0],\n" in text  # points compacted, the ring too long for one line
    assert tomllib.loads(text) == long_ring


def test_the_annotated_example_in_the_docs_loads_and_round_trips():
    text = (REPO / "docs" / "scenario-format.md").read_text(encoding="utf-8")
    example = text.split("## A complete annotated example", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    scenario = loads(example, source="docs/scenario-format.md")
    assert [lv.name for lv in scenario.levels] == ["club", "lobby"]
    assert scenario.level("club").doors[1].clear_width == pytest.approx(0.9)
    assert scenario.agent_count == 160
    assert round_trip(scenario) == scenario


def test_the_worked_example_of_a_guarded_door_loads_and_round_trips():
    text = (REPO / "docs" / "scenario-format.md").read_text(encoding="utf-8")
    section = text.split("## A worked example: a guarded door and a timeline", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    scenario = loads(example, source="docs/scenario-format.md")
    assert scenario.clock_start == "20:40"
    assert [(e.at, e.action) for e in scenario.events] == [
        (720.0, "close"), (720.0, "enter"), (780.0, "send"), (1800.0, "force_open"), (1800.0, "release_role"),
        (1810.0, "send")]
    door = scenario.doors[0]
    assert (door.swing, door.leaves, door.max_angle) == ("inward", 2, pytest.approx(np.pi / 2))
    police = scenario.population("police")
    assert (police.role, police.post, police.present, police.effort) == ("guard", "door_post", False, 400.0)
    assert scenario.population("occupants").start.kind == "uniform"
    assert round_trip(scenario) == scenario
