"""Serialization: to_dict is plain resolved data in SI; loads(dumps(s)) == s."""

import tomllib

import numpy as np
import pytest

from aforo.scenario import Distribution, Population, Scenario, dumps, from_dict, load, loads, to_dict
from aforo.scenario.serialize import compact_arrays

from scenario_helpers import REPO, SHIPPED, room


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
