"""The clock and the timeline of events: reading times, sorting, and every rule of an event."""

import datetime

import pytest

from aforo.errors import ScenarioError
from aforo.scenario import Event, Scenario, from_dict, loads
from aforo.scenario.validate import EVENT_NEEDS
from aforo.scenario.model import EVENT_ACTIONS

from scenario_helpers import LOS_OLIVOS, find, los_olivos, only, problems_of, room

POST = [[0.3, -6.4], [1.2, -6.4], [1.2, -5.9], [0.3, -5.9]]


def timeline(*events, clock: str | None = "20:40", duration: float = 1800.0, **police) -> dict:
    """Los Olivos with a clock, a post at the street door, police that enter later, and ``events``."""
    data = los_olivos(**{"run.duration": duration})
    if clock is not None:
        data["clock"] = {"start": clock}
    data["areas"] = {"door_post": {"space": "street", "polygon": POST},
                     "landing": {"space": "street", "polygon": [[0.2, -6.5], [1.3, -6.5], [1.3, -5.0],
                                                                [0.2, -5.0]]}}
    data["populations"]["police"] = {"space": "street", "count": 2, "role": "guard", "post": "door_post",
                                     "present": False, **police}
    data["events"] = [{"at": "20:45", "action": "enter", "population": "police"}, *events]
    return data


def event(at, action, **refs) -> dict:
    return {"at": at, "action": action, **refs}


# --- the clock -----------------------------------------------------------------------------------


def test_the_clock_start_is_kept_as_written():
    assert from_dict(timeline()).clock_start == "20:40"
    assert from_dict(room()).clock_start is None


def test_a_toml_local_time_is_read_as_a_clock_time():
    text = LOS_OLIVOS.read_text(encoding="utf-8") + "\n[clock]\nstart = 20:40:00\n\n[[events]]\nat = 20:48:30\n" \
        'action = "close"\ndoor = "street"\n'
    scenario = loads(text)
    assert scenario.clock_start == "20:40:00" and scenario.events[0].at == 510.0


@pytest.mark.parametrize(("start", "fragment"), [("25:00", "is not a time of day"), ("8 pm", "cannot read"),
                                                 (2040, "expected a clock time")])
def test_a_bad_clock_start_is_an_error(start, fragment):
    data = timeline(clock=start)
    problem = only(problems_of(data), "clock.start", fragment)  # the clock-time events are not reported again
    assert "HH:MM" in problem.hint


def test_a_clock_start_with_a_date_is_an_error():
    data = room(**{"clock": {"start": datetime.datetime(2020, 8, 22, 20, 40)}})
    find(problems_of(data), "clock.start", "expected a time of day, got the date and time")


def test_an_unknown_clock_key_is_reported():
    problem = only(problems_of(room(**{"clock": {"strat": "20:40"}})), "clock.strat", "unknown key")
    assert "did you mean 'start'?" in problem.hint


def test_the_python_api_checks_the_clock():
    base = from_dict(room())
    with pytest.raises(ScenarioError) as info:
        Scenario.build(name="x", levels=base.levels, populations=base.populations, clock_start="20h40")
    only(info.value.problems, "clock.start", "cannot read '20h40' as a clock time")


# --- reading times ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("at", "seconds"), [("20:52", 720.0), ("20:52:30", 750.0), ("20:40", 0.0),
                                             ("2 min", 120.0), (90, 90.0), (90.5, 90.5), ("1.5 min", 90.0)])
def test_event_times_are_seconds_after_the_clock_start(at, seconds):
    scenario = from_dict(timeline(event(at, "close", door="street")))
    assert [e.at for e in scenario.events if e.action == "close"] == [seconds]


def test_clock_times_wrap_past_midnight():
    data = timeline(event("00:10", "close", door="street"), clock="23:50")
    data["events"][0]["at"] = "23:55"
    assert [e.at for e in from_dict(data).events] == [300.0, 1200.0]


def test_a_clock_time_before_the_start_is_the_next_day_and_too_late():
    problem = only(problems_of(timeline(event("20:30", "close", door="street"))), "events[1].at",
                   "at = 85800 s (clock 20:30 the next day) is after the end of the run", "run.duration = 1800 s")
    assert "next day" in problem.hint


def test_a_clock_time_needs_a_clock_start():
    problem = only(problems_of(timeline(clock=None)), "events[0].at",
                   "clock time '20:45' needs [clock] start")
    assert 'start = "20:40"' in problem.hint and "seconds" in problem.hint


def test_an_event_time_in_the_wrong_unit_is_an_error():
    problem = only(problems_of(timeline(event("5 m", "close", door="street"))), "events[1].at", "a length")
    assert '"20:52"' in problem.hint


@pytest.mark.parametrize(("at", "fragment"), [("-5 s", "before the start of the run"),
                                              (1800.5, "after the end of the run")])
def test_event_times_lie_within_the_run(at, fragment):
    problem = only(problems_of(timeline(event(at, "close", door="street"))), "events[1].at", fragment)
    assert "next day" not in problem.hint


def test_an_event_at_the_very_end_passes():
    assert from_dict(timeline(event(1800, "close", door="street"))).events[-1].at == 1800.0


# --- sorting ---------------------------------------------------------------------------------------


def test_events_are_stored_in_time_order_stably():
    data = timeline(event("21:10", "force_open", door="street", label="forced"),
                    event("20:52", "close", door="street", label="closed"),
                    event(720, "send", population="occupants", to="landing", label="queued"),
                    event("20:52", "latch", door="street", label="latched"))
    labels = [e.label for e in from_dict(data).events]
    assert labels == ["", "closed", "queued", "latched", "forced"]


def test_problems_name_events_by_their_place_in_the_file_even_when_sorted():
    data = timeline(event("21:10", "force_open", door="street"), event("20:50", "close", door="stret"),
                    event("20:46", "bogus"))
    problems = problems_of(data)
    find(problems, "events[2].door", "unknown door 'stret'")
    find(problems, "events[3].action", "'bogus' is not one of")
    assert len(problems) == 2


def test_the_python_api_requires_events_in_time_order():
    base = from_dict(timeline())
    events = (Event(at=400.0, action="close", door="street"), Event(at=350.0, action="open", door="street"))
    with pytest.raises(ScenarioError) as info:
        Scenario.build(**{**base.__dict__, "events": (base.events[0], *events)})
    problem = only(info.value.problems, "events[2].at", "events must be in time order", "350 s comes after")
    assert "sort" in problem.hint


# --- layout ----------------------------------------------------------------------------------------


def test_an_unknown_action_suggests_the_right_one():
    problem = only(problems_of(timeline(event(60, "colse", door="street"))), "events[1].action",
                   "'colse' is not one of")
    assert "did you mean 'close'?" in problem.hint


def test_an_event_needs_at_and_action():
    problems = problems_of(timeline({"door": "street"}))
    find(problems, "events[1].at", "missing required key 'at'")
    find(problems, "events[1].action", "missing required key 'action'")
    assert len(problems) == 2


def test_an_unknown_event_key_gets_a_did_you_mean():
    problem = only(problems_of(timeline(event(60, "close", door="street", lable="x"))), "events[1].lable",
                   "unknown key")
    assert "did you mean 'label'?" in problem.hint


def test_events_must_be_an_array_of_tables():
    data = timeline()
    data["events"] = {"at": 60, "action": "close"}
    find(problems_of(data), "events", "expected an array of tables")
    data["events"] = [5]
    find(problems_of(data), "events[0]", "expected a table")


def test_every_action_has_its_rule():
    assert set(EVENT_NEEDS) == set(EVENT_ACTIONS)


# --- what each action needs --------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["open", "close", "latch", "lock", "unlock", "force_open"])
def test_door_actions_need_a_door_and_nothing_else(action):
    problem = only(problems_of(timeline(event(60, action))), "events[1].door", f"action '{action}' needs door")
    assert 'door = "<door name>"' in problem.hint
    problem = only(problems_of(timeline(event(60, action, door="street", population="police"))),
                   "events[1].population", f"action '{action}' takes no population (got 'police')")
    assert f"'{action}' names only door" in problem.hint


@pytest.mark.parametrize("action", ["start", "stop"])
def test_population_actions_need_a_population_and_nothing_else(action):
    only(problems_of(timeline(event(600, action))), "events[1].population", f"action '{action}' needs population")
    only(problems_of(timeline(event(600, action, population="occupants", to="exit"))), "events[1].to",
         f"action '{action}' takes no to")
    only(problems_of(timeline(event(600, action, population="occupants", door="street"))), "events[1].door",
         "takes no door")


def test_send_needs_a_population_and_a_destination():
    problem = only(problems_of(timeline(event(600, "send", population="occupants"))), "events[1].to",
                   "action 'send' needs to")
    assert '"exit"' in problem.hint
    only(problems_of(timeline(event(600, "send", to="exit"))), "events[1].population", "needs population")


@pytest.mark.parametrize("to", ["exit", "street", "landing", "door_post"])
def test_send_goes_to_exit_a_door_or_an_area(to):
    assert from_dict(timeline(event(600, "send", population="occupants", to=to))).events[-1].to == to


def test_references_must_exist():
    data = timeline(event(600, "stop", population="ocupants"), event(610, "send", population="occupants", to="lobby"),
                    event(620, "close", door="east"))
    problems = problems_of(data)
    assert "did you mean 'occupants'?" in find(problems, "events[1].population", "unknown population 'ocupants'").hint
    find(problems, "events[2].to", "unknown destination 'lobby'")
    find(problems, "events[3].door", "unknown door 'east'")
    assert len(problems) == 3


def test_an_exit_is_not_a_door_for_events():
    data = room(**{"events": [event(5, "close", door="east")]})
    only(problems_of(data), "events[0].door", "'east' is an exit (always open), not a door")


# --- the timeline ------------------------------------------------------------------------------------


def test_a_population_absent_at_the_start_needs_an_enter_event():
    data = timeline()
    data["events"] = []
    problem = only(problems_of(data), "populations.police.present", "present = false but no \"enter\" event")
    assert 'action = "enter", population = "police"' in problem.hint


def test_a_population_present_from_the_start_cannot_enter():
    problem = only(problems_of(timeline(event(60, "enter", population="occupants"))), "events[1].population",
                   "population 'occupants' is present from the start (present = true), so it cannot enter")
    assert "present = false" in problem.hint


def test_a_population_enters_once():
    only(problems_of(timeline(event("20:50", "enter", population="police"))), "events[1].population",
         "population 'police' already enters at events[0]")


def test_nothing_happens_to_a_population_before_it_enters():
    data = timeline(event(60, "stop", population="police"))
    problem = only(problems_of(data), "events[1].population", "population 'police' is not in the venue yet at "
                   "60 s (clock 20:41)", "present = false")
    assert "after the population's enter event" in problem.hint


def test_release_role_is_for_guards_and_marshals():
    from_dict(timeline(event("21:00", "release_role", population="police")))
    only(problems_of(timeline(event("21:00", "release_role", population="occupants"))), "events[1].population",
         "population 'occupants' are occupants; release_role turns guards and marshals into occupants")


@pytest.mark.parametrize("action", ["close", "latch", "lock"])
def test_a_broken_door_cannot_be_shut_again(action):
    data = timeline(event("21:05", "force_open", door="street"), event("21:08", action, door="street"))
    problem = only(problems_of(data), "events[2].action", "door 'street' is broken at that time (since events[1])",
                   "cannot be shut again")
    assert "remove" in problem.hint


def test_a_door_broken_from_the_start_cannot_be_shut():
    data = timeline(event(60, "close", door="street"))
    data["levels"]["street"]["doors"]["street"]["state"] = "broken"
    only(problems_of(data), "events[1].action", "is broken at that time (its state at the start)")


def test_a_locked_door_may_be_unlocked_or_opened_by_an_event():
    from_dict(timeline(event("20:52", "lock", door="street"), event("20:59", "unlock", door="street"),
                       event("21:00", "open", door="street")))
    from_dict(timeline(event("20:52", "lock", door="street"), event("21:00", "open", door="street")))


def test_the_los_olivos_prosecution_timeline_loads():
    data = timeline(event("20:52", "close", door="street", label="an officer closes the street door"),
                    event("20:53", "send", population="occupants", to="landing", label="lined up on the stair"),
                    event("21:10", "force_open", door="street", label="forced open from outside"),
                    effort="400 N")
    scenario = from_dict(data)
    assert [(e.at, e.action) for e in scenario.events] == [(300.0, "enter"), (720.0, "close"), (780.0, "send"),
                                                           (1800.0, "force_open")]


def test_events_on_things_that_failed_to_load_are_not_called_unknown():
    data = timeline(event(600, "stop", population="occupants"), event(610, "close", door="street"))
    data["populations"]["occupants"]["count"] = "many"
    data["levels"]["street"]["walkable"] = "nope"
    problems = problems_of(data)
    assert {p.path for p in problems} == {"levels.street.walkable", "populations.occupants.count"}


def test_events_on_a_door_that_failed_to_load_are_not_called_unknown():
    data = timeline(event(600, "close", door="street"))
    data["levels"]["street"]["doors"]["street"]["leaves"] = "two"
    only(problems_of(data), "levels.street.doors.street.leaves", "expected an integer")


def test_a_missing_enter_is_not_claimed_when_an_event_failed_to_load():
    data = timeline()
    data["events"][0]["at"] = "soon"
    only(problems_of(data), "events[0].at", "cannot read 'soon'")
