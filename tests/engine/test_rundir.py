"""The run directory (engine/rundir.py, engine/trajectories.py): files, columns, summary, atomicity.

Two small runs are shared by most tests (module fixtures, about a second each once compiled):

* ``orderly``: 24 people in a 6 m × 4 m west room walk through an open interior door (1 m) into
  an east room with 4 more people, and everyone leaves through a 2 m exit in the east wall;
* ``pushing``: the same venue with a 0.8 m door and 40 pushing people, so bodies touch.

Both run until the venue is empty, so every agent's exit is on record.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import aforo
from aforo.engine import rundir
from aforo.engine.metrics import DENSITY_DISC_AREA_M2
from aforo.engine.rundir import RunResult, run_scenario, steady_flow
from aforo.engine.simulation import Simulation
from aforo.engine.trajectories import SCHEMA, read_trajectories
from aforo.errors import AforoError, RunDirectoryError
from aforo.scenario import Exit, Level, Population, RunSettings, Scenario, loads

FINISHED_FILES = {
    "trajectories.parquet",
    "passages.parquet",
    "doors.parquet",
    "casualties.parquet",
    "gas.parquet",
    "summary.json",
    "scenario.resolved.toml",
    "provenance.json",
}

TWO_ROOMS = """\
[scenario]
name = "two-rooms"
description = "a west room, an interior door, an east room with the exit"

[run]
duration = 60.0
time_step = 0.01
record_interval = 0.1
seed = 7

[levels.floor]
walkable = [
  [[0, 0], [6, 0], [6, 4], [0, 4]],
  [[6, {lo}], [6.2, {lo}], [6.2, {hi}], [6, {hi}]],   # the doorway
  [[6.2, 0], [10, 0], [10, 4], [6.2, 4]],
]

[levels.floor.doors.middle]
jambs = [[6.1, {lo}], [6.1, {hi}]]

[levels.floor.exits.east]
segment = [[10, 1], [10, 3]]

[populations.west]
space = "floor"
count = {west}
pushing = {pushing}
spawn = [[0.5, 0.5], [5, 0.5], [5, 3.5], [0.5, 3.5]]

[populations.east]
space = "floor"
count = 4
spawn = [[7, 0.5], [9, 0.5], [9, 3.5], [7, 3.5]]
"""

ORDERLY_TEXT = TWO_ROOMS.format(lo=1.5, hi=2.5, west=24, pushing="false")
PUSHING_TEXT = TWO_ROOMS.format(lo=1.6, hi=2.4, west=40, pushing="true")
BOUNDS = (0.0, 0.0, 10.0, 4.0)


@dataclass
class Run:
    scenario: Scenario
    text: str
    directory: Path
    result: RunResult
    trajectories: pa.Table
    passages: pa.Table
    summary: dict

    @property
    def exits(self) -> pa.Table:
        return self.passages.filter(pc.equal(self.passages["line"], "east"))

    def exits_through(self, line: str) -> list[int]:
        """Agents who left through ``line``."""
        rows = self.passages.filter(pc.equal(self.passages["line"], line))
        return rows["agent"].to_pylist()

    def frame_times(self) -> np.ndarray:
        return np.asarray(self.summary["evacuated_over_time"]["time_s"])


def _finished_run(directory: Path, text: str) -> Run:
    scenario = loads(text)
    result = run_scenario(scenario, directory, scenario_text=text)
    return Run(
        scenario=scenario,
        text=text,
        directory=directory,
        result=result,
        trajectories=pq.read_table(directory / "trajectories.parquet"),
        passages=pq.read_table(directory / "passages.parquet"),
        summary=json.loads((directory / "summary.json").read_text(encoding="utf-8")),
    )


@pytest.fixture(scope="module")
def orderly(tmp_path_factory) -> Run:
    return _finished_run(tmp_path_factory.mktemp("orderly"), ORDERLY_TEXT)


@pytest.fixture(scope="module")
def pushing(tmp_path_factory) -> Run:
    return _finished_run(tmp_path_factory.mktemp("pushing"), PUSHING_TEXT)


def short(text: str = PUSHING_TEXT, *, duration: float = 3.0, seed: int | None = None) -> Scenario:
    """The scenario cut short (not everyone gets out), optionally with another seed."""
    scenario = loads(text)
    run = replace(scenario.run, duration=duration)
    return replace(scenario, run=run if seed is None else replace(run, seed=seed))


def files_in(directory: Path) -> set[str]:
    return {p.name for p in directory.iterdir()}


# --- the files ---------------------------------------------------------------------------------


def test_a_run_writes_exactly_the_output_files_and_no_partial(orderly):
    assert files_in(orderly.directory) == FINISHED_FILES
    assert not list(orderly.directory.glob("*.partial"))
    assert orderly.result.directory == orderly.directory
    assert orderly.result.summary == orderly.summary  # the returned summary is the one on disk


def test_trajectories_have_the_documented_columns_and_types(orderly):
    table = orderly.trajectories
    assert table.schema.names == [
        "frame", "time_s", "agent", "population", "space", "x_m", "y_m", "elevation_m",
        "vx_m_per_s", "vy_m_per_s", "contact_force_n", "compression_n_per_m", "health", "limp", "lying",
        "cs_mg_m3", "cs_dose_mg_min_m3", "fed", "extinction_per_m",
    ]
    assert table.schema.equals(SCHEMA)
    types = {f.name: f.type for f in table.schema}
    assert types["frame"] == pa.int32() and types["agent"] == pa.int32()
    assert types["time_s"] == pa.float64()
    for name in ("x_m", "y_m", "elevation_m", "vx_m_per_s", "vy_m_per_s", "contact_force_n", "compression_n_per_m"):
        assert types[name] == pa.float32(), name
    for name in ("population", "space"):
        assert pa.types.is_dictionary(types[name]) and types[name].value_type == pa.string()
    assert types["health"] == pa.int8() and types["limp"] == pa.bool_()
    assert types["cs_mg_m3"] == pa.float32() and types["cs_dose_mg_min_m3"] == pa.float32()
    for name in ("fed", "extinction_per_m"):
        assert types[name] == pa.float32(), name
        assert table[name].to_numpy().max() == 0.0  # no smoke
    assert table["cs_mg_m3"].to_numpy().max() == 0.0  # no canister, no gas
    assert set(table["health"].to_pylist()) <= {0, 1, 2, 3}
    assert read_trajectories(orderly.directory / "trajectories.parquet").equals(table)


def test_passages_have_the_documented_columns_and_types(orderly):
    assert orderly.passages.schema == pa.schema(
        [("time_s", pa.float64()), ("agent", pa.int32()), ("line", pa.string()), ("direction", pa.int8())]
    )


def test_rows_per_frame_are_the_agents_inside(orderly):
    table, summary = orderly.trajectories, orderly.summary
    n = summary["agents"]
    inside = n - np.asarray(summary["evacuated_over_time"]["evacuated"])
    frames = table["frame"].to_numpy()
    counts = np.bincount(frames, minlength=inside.size)
    assert counts.size == inside.size  # no frame beyond the recorded ones
    np.testing.assert_array_equal(counts, inside)
    assert table.num_rows == inside.sum()
    # every agent at most once per frame
    keys = frames.astype(np.int64) * n + table["agent"].to_numpy()
    assert np.unique(keys).size == table.num_rows


def test_frames_follow_the_record_interval(orderly):
    run = orderly.scenario.run
    table = orderly.trajectories
    frames = table["frame"].to_numpy()
    times = table["time_s"].to_numpy()
    np.testing.assert_allclose(times, frames * run.record_interval, atol=1e-9)
    # the frame numbers are 0, 1, 2, ... with nothing skipped while anyone is inside
    assert np.array_equal(np.unique(frames), np.arange(frames.max() + 1))
    np.testing.assert_allclose(orderly.frame_times(), np.arange(orderly.frame_times().size) * run.record_interval, atol=1e-4)
    # the first frame is the start, with everyone in it
    first = table.filter(pc.equal(table["frame"], 0))
    assert first.num_rows == orderly.summary["agents"]
    assert np.all(first["time_s"].to_numpy() == 0.0)


def test_agent_ids_populations_and_exits_agree(orderly):
    table, summary = orderly.trajectories, orderly.summary
    n = summary["agents"]
    agents = table["agent"].to_numpy()
    assert set(np.unique(agents)) == set(range(n))
    # populations are numbered in file order: west 0..23, east 24..27
    population = np.asarray(table["population"].to_pylist())
    assert set(population[agents < 24]) == {"west"} and set(population[agents >= 24]) == {"east"}
    assert set(table["space"].to_pylist()) == {"floor"}
    # each agent is recorded in every frame from the first until it leaves, and no longer:
    # its exit lies after its last frame and no later than the next frame
    exits = orderly.exits
    exit_time = dict(zip(exits["agent"].to_pylist(), exits["time_s"].to_pylist()))
    assert sorted(exit_time) == list(range(n))  # everyone left, each exactly once
    interval = orderly.scenario.run.record_interval
    frames = table["frame"].to_numpy()
    times = table["time_s"].to_numpy()
    for a in range(n):
        mine = agents == a
        assert mine.sum() == frames[mine].max() + 1, f"agent {a} missing from some frame"
        last = times[mine].max()
        assert last < exit_time[a] <= last + interval + 1e-9, f"agent {a}"


def test_units_are_plausible(orderly):
    table = orderly.trajectories
    x, y = table["x_m"].to_numpy(), table["y_m"].to_numpy()
    x0, y0, x1, y1 = BOUNDS
    assert tuple(orderly.result.simulation.venue.bounds) == BOUNDS
    assert np.all((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
    speed = np.hypot(table["vx_m_per_s"].to_numpy(), table["vy_m_per_s"].to_numpy())
    assert np.all(np.isfinite(speed))
    assert speed.max() <= 2.5  # m/s: desired speeds are at most 2.2 m/s
    assert speed.max() >= 1.0  # people did walk (m/s, not some other unit)
    assert np.all(table["elevation_m"].to_numpy() == 0.0)  # one level at elevation 0
    assert np.all(table["contact_force_n"].to_numpy() >= 0.0)
    assert np.all(table["compression_n_per_m"].to_numpy() >= 0.0)


@pytest.mark.xfail(reason="known: people leaving a jammed door are shot out at up to ~2.9 m/s "
                   "(desired ≤ 2.2 m/s); physics, not the run directory", strict=False)
def test_speeds_stay_plausible_behind_a_pushing_jam(pushing):
    table = pushing.trajectories
    speed = np.hypot(table["vx_m_per_s"].to_numpy(), table["vy_m_per_s"].to_numpy())
    assert speed.max() <= 2.5


def test_compression_is_contact_force_over_the_body_circumference(pushing):
    table = pushing.trajectories
    force = table["contact_force_n"].to_numpy().astype(float)
    compression = table["compression_n_per_m"].to_numpy().astype(float)
    assert (force > 0).any(), "the pushing run should have bodies in contact"
    assert np.array_equal(force > 0, compression > 0)
    touching = force > 1.0
    radius = force[touching] / (2 * math.pi * compression[touching])
    # the default radius is uniform on [0.2, 0.25] m
    assert radius.min() >= 0.2 * (1 - 1e-5) and radius.max() <= 0.25 * (1 + 1e-5)


# --- summary.json --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["orderly", "pushing"])
def test_summary_counts_add_up(name, request):
    run: Run = request.getfixturevalue(name)
    s = run.summary
    assert s["scenario"] == "two-rooms" and s["seed"] == 7 and s["aforo_version"] == aforo.__version__
    assert s["agents"] == run.scenario.agent_count
    assert s["evacuated"] + s["remaining"] == s["agents"]
    assert s["remaining"] == 0  # both runs empty the venue
    curve = s["evacuated_over_time"]
    assert len(curve["time_s"]) == len(curve["evacuated"])
    assert curve["evacuated"][0] == 0
    assert np.all(np.diff(curve["evacuated"]) >= 0)
    assert np.all(np.diff(curve["time_s"]) > 0)
    assert curve["evacuated"][-1] == s["evacuated"]
    assert curve["time_s"][-1] == pytest.approx(s["simulated_time_s"], abs=1e-4)


@pytest.mark.parametrize("name", ["orderly", "pushing"])
def test_outlet_passages_match_passages_parquet(name, request):
    run: Run = request.getfixturevalue(name)
    s = run.summary
    (outlet,) = s["outlets"]
    assert outlet["name"] == "east" and outlet["kind"] == "exit" and outlet["state"] == "open"
    assert outlet["width_m"] == pytest.approx(2.0)
    exits = run.exits
    times = exits["time_s"].to_numpy()
    assert sum(o["passages"] for o in s["outlets"]) == s["evacuated"] == exits.num_rows
    assert set(exits["direction"].to_pylist()) == {1}
    assert outlet["first_s"] == pytest.approx(times.min(), abs=1e-3)
    assert outlet["last_s"] == pytest.approx(times.max(), abs=1e-3)
    assert outlet["flow_per_s"] == pytest.approx(steady_flow(times), abs=1e-4)
    assert outlet["specific_flow_per_m_s"] == pytest.approx(outlet["flow_per_s"] / 2.0, abs=1e-4)
    # everyone left: the evacuation time is the last exit, and the run stopped at the next frame
    assert s["evacuation_time_s"] == pytest.approx(times.max(), abs=1e-3)
    interval = run.scenario.run.record_interval
    assert s["evacuation_time_s"] <= s["simulated_time_s"] < s["evacuation_time_s"] + interval + 1e-6
    # passages are in time order
    assert np.all(np.diff(run.passages["time_s"].to_numpy()) >= 0)


def test_interior_door_crossings_match_passages_parquet(orderly):
    (door,) = orderly.summary["doors"]
    assert door["name"] == "middle" and door["state"] == "open"
    assert door["width_m"] == pytest.approx(1.0)
    crossings = orderly.passages.filter(pc.equal(orderly.passages["line"], "middle"))
    direction = crossings["direction"].to_numpy()
    assert door["crossings_forward"] == int((direction == 1).sum())
    assert door["crossings_backward"] == int((direction == -1).sum())
    assert set(direction) <= {-1, 1}
    # forward (+1) is from the left of the jamb order (6.1, 1.5) → (6.1, 2.5) to its right:
    # west to east. Every west agent went through once (net), no east agent did.
    net = np.zeros(orderly.summary["agents"], dtype=int)
    np.add.at(net, crossings["agent"].to_numpy(), direction)
    assert np.all(net[:24] == 1)
    assert np.all(net[24:] == 0)
    flow = steady_flow(crossings["time_s"].to_numpy()[direction == 1])
    assert flow is not None and 0.3 < flow < 3.0  # persons/s through a 1 m door
    assert door["flow_per_s"] == pytest.approx(flow)


def _row(run: Run, agent: int, time_s: float) -> dict:
    t = run.trajectories
    rows = t.filter(pc.and_(pc.equal(t["agent"], agent), pc.less(pc.abs(pc.subtract(t["time_s"], time_s)), 1e-6)))
    assert rows.num_rows == 1, f"agent {agent} at {time_s} s"
    return rows.to_pylist()[0]


@pytest.mark.parametrize(
    ("peak", "unit", "column"),
    [("peak_compression", "n_per_m", "compression_n_per_m"), ("peak_contact_force", "n", "contact_force_n")],
)
def test_force_peaks_carry_place_and_time_and_match_the_trajectories(pushing, peak, unit, column):
    p = pushing.summary[peak]
    value = p[f"value_{unit}"]
    assert value > 0
    assert value == pytest.approx(float(pc.max(pushing.trajectories[column]).as_py()), rel=1e-5, abs=1e-3)
    assert np.isclose(pushing.frame_times(), p["time_s"], atol=1e-6).any()
    assert p["space"] == "floor"
    row = _row(pushing, p["agent"], p["time_s"])
    assert row[column] == pytest.approx(value, rel=1e-5, abs=1e-3)
    assert (row["x_m"], row["y_m"]) == pytest.approx((p["x_m"], p["y_m"]), abs=1e-3)


def test_density_peak_carries_place_and_time_and_counts_bodies(pushing):
    p = pushing.summary["peak_density"]
    assert p["disc_area_m2"] == DENSITY_DISC_AREA_M2
    assert p["space"] == "floor"
    assert np.isclose(pushing.frame_times(), p["time_s"], atol=1e-6).any()
    row = _row(pushing, p["agent"], p["time_s"])
    assert (row["x_m"], row["y_m"]) == pytest.approx((p["x_m"], p["y_m"]), abs=1e-3)
    # the value is the number of centres within the 2 m² disc (itself included) over 2 m²
    t = pushing.trajectories
    frame = t.filter(pc.equal(t["frame"], row["frame"]))
    d = np.hypot(frame["x_m"].to_numpy() - row["x_m"], frame["y_m"].to_numpy() - row["y_m"])
    count = int((d <= math.sqrt(DENSITY_DISC_AREA_M2 / math.pi)).sum())
    assert p["value_per_m2"] == pytest.approx(count / DENSITY_DISC_AREA_M2, abs=1e-3)
    assert p["value_per_m2"] >= 2.0  # people queue at the door


def test_peaks_of_a_run_where_no_one_touches_anyone(tmp_path):
    """One walker in the middle of a wide corridor: no contact, so the force peaks say "none"."""
    scenario = Scenario.build(
        name="alone",
        levels=(Level("ground", 0.0, (((0, 0), (20, 0), (20, 4), (0, 4)),),
                      exits=(Exit("end", "ground", ((20, 0), (20, 4))),)),),
        populations=(Population("walker", "ground", 1, spawn=((1, 1.5), (2, 1.5), (2, 2.5), (1, 2.5))),),
        run=RunSettings(duration=2.0, time_step=0.01, record_interval=0.1),
    )
    s = run_scenario(scenario, tmp_path / "run").summary
    none = {"agent": -1, "time_s": None, "x_m": None, "y_m": None, "space": ""}
    assert s["peak_compression"] == {"value_n_per_m": 0.0, **none}
    assert s["peak_contact_force"] == {"value_n": 0.0, **none}
    # density still has a peak: the walker alone in its 2 m² disc
    assert s["peak_density"]["value_per_m2"] == pytest.approx(1 / DENSITY_DISC_AREA_M2)
    assert s["peak_density"]["agent"] == 0 and s["peak_density"]["time_s"] == 0.0
    (outlet,) = s["outlets"]
    assert outlet["passages"] == 0 and outlet["first_s"] is None and outlet["flow_per_s"] is None
    table = pq.read_table(tmp_path / "run" / "trajectories.parquet")
    assert float(pc.max(table["contact_force_n"]).as_py()) == 0.0


def test_summary_is_strict_json(orderly):
    """No NaN or Infinity: other tools (and browsers) reject them."""
    json.loads((orderly.directory / "summary.json").read_text(encoding="utf-8"),
               parse_constant=lambda c: pytest.fail(f"summary.json holds {c}"))
    json.loads((orderly.directory / "provenance.json").read_text(encoding="utf-8"),
               parse_constant=lambda c: pytest.fail(f"provenance.json holds {c}"))


def test_steady_flow_uses_the_10th_to_90th_percentile_of_passages():
    assert steady_flow([]) is None
    assert steady_flow([3.0]) is None
    assert steady_flow([2.0, 2.0, 2.0]) is None  # no time between them
    assert steady_flow([0.0, 1.0, 3.0]) == pytest.approx(2 / 3)  # fewer than 10: (n − 1)/(last − first)
    regular = np.arange(16) * 0.5  # 2 per second
    # two early and two late outliers among 20 passages: the 10 %/90 % trim drops exactly them
    times = np.concatenate([[-100.0, -50.0], regular, [1000.0, 2000.0]])
    assert steady_flow(np.random.default_rng(0).permutation(times)) == pytest.approx(2.0)


# --- resolved scenario and provenance ------------------------------------------------------------


def test_resolved_scenario_loads_back_equal(orderly):
    text = (orderly.directory / "scenario.resolved.toml").read_text(encoding="utf-8")
    assert loads(text) == orderly.scenario


def test_provenance_names_version_seed_and_input_hash(orderly):
    prov = json.loads((orderly.directory / "provenance.json").read_text(encoding="utf-8"))
    assert prov["aforo_version"] == aforo.__version__
    assert prov["seed"] == 7
    assert prov["scenario_sha256"] == hashlib.sha256(ORDERLY_TEXT.encode("utf-8")).hexdigest()
    resolved = (orderly.directory / "scenario.resolved.toml").read_bytes()
    assert prov["resolved_scenario_sha256"] == hashlib.sha256(resolved).hexdigest()
    assert isinstance(prov["threads"], int) and prov["threads"] >= 1
    assert prov["outer_steps"] == orderly.summary["diagnostics"]["outer_steps"]
    assert prov["outer_steps"] == round(orderly.summary["simulated_time_s"] / orderly.scenario.run.time_step)
    for key in ("python", "numpy", "numba", "platform", "started_utc", "wall_time_s"):
        assert prov[key] not in (None, ""), key


# --- atomicity and overwriting -------------------------------------------------------------------


def interrupt_after(monkeypatch, calls: int, exc: type[BaseException] = KeyboardInterrupt) -> None:
    """Make the simulation raise ``exc`` on its ``calls + 1``-th frame advance (as Ctrl-C would)."""
    original = Simulation.advance_steps
    done = {"n": 0}

    def advance_steps(self, n_steps):
        if done["n"] == calls:
            raise exc("interrupted by the test")
        done["n"] += 1
        return original(self, n_steps)

    monkeypatch.setattr(Simulation, "advance_steps", advance_steps)


@pytest.mark.parametrize("exc", [KeyboardInterrupt, RuntimeError])
def test_an_interrupted_run_leaves_only_a_partial_trajectories_file(tmp_path, monkeypatch, exc):
    interrupt_after(monkeypatch, 5, exc)
    out = tmp_path / "run"
    with pytest.raises(exc):
        run_scenario(short(), out)
    assert files_in(out) == {"trajectories.parquet.partial"}
    # what was recorded before the interruption is a readable table: frames 0..5
    partial = pq.read_table(out / "trajectories.parquet.partial")
    assert partial.schema.equals(SCHEMA)
    assert sorted(set(partial["frame"].to_pylist())) == list(range(6))


def test_an_interrupted_overwrite_leaves_nothing_of_the_old_run(tmp_path, monkeypatch):
    out = tmp_path / "run"
    run_scenario(short(duration=1.0), out)
    assert files_in(out) == FINISHED_FILES
    interrupt_after(monkeypatch, 3)
    with pytest.raises(KeyboardInterrupt):
        run_scenario(short(duration=1.0), out, overwrite=True)
    assert files_in(out) == {"trajectories.parquet.partial"}


def test_an_interrupted_directory_can_be_run_into_again(tmp_path, monkeypatch):
    out = tmp_path / "run"
    interrupt_after(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        run_scenario(short(duration=1.0), out)
    monkeypatch.undo()
    run_scenario(short(duration=1.0), out)  # no summary.json: not a finished run, no overwrite needed
    assert files_in(out) == FINISHED_FILES


def test_a_finished_run_is_not_overwritten_unless_asked(tmp_path):
    out = tmp_path / "run"
    first = run_scenario(short(duration=1.0), out)
    before = {name: (out / name).read_bytes() for name in FINISHED_FILES}
    with pytest.raises(RunDirectoryError, match="overwrite") as caught:
        run_scenario(short(duration=2.0), out)
    assert isinstance(caught.value, AforoError)
    assert {name: (out / name).read_bytes() for name in FINISHED_FILES} == before  # untouched
    second = run_scenario(short(duration=2.0), out, overwrite=True)
    assert files_in(out) == FINISHED_FILES
    assert first.summary["simulated_time_s"] == pytest.approx(1.0)
    assert json.loads((out / "summary.json").read_text())["simulated_time_s"] == pytest.approx(2.0)
    assert second.summary["simulated_time_s"] == pytest.approx(2.0)


def test_a_file_in_the_way_of_the_run_directory_is_an_error(tmp_path):
    blocker = tmp_path / "run"
    blocker.write_text("not a directory")
    with pytest.raises(RunDirectoryError, match="not a directory"):
        run_scenario(short(duration=1.0), blocker)
    assert blocker.read_text() == "not a directory"


def test_other_files_in_the_run_directory_are_left_alone(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    run_scenario(short(duration=1.0), out)
    assert files_in(out) == FINISHED_FILES | {"notes.txt"}


# --- determinism and a run cut short -------------------------------------------------------------


def test_same_scenario_and_seed_give_identical_trajectories(tmp_path):
    a = run_scenario(short(), tmp_path / "a")
    b = run_scenario(short(), tmp_path / "b")
    ta = pq.read_table(tmp_path / "a" / "trajectories.parquet")
    tb = pq.read_table(tmp_path / "b" / "trajectories.parquet")
    assert ta.num_rows > 0
    assert ta.equals(tb)
    assert pq.read_table(tmp_path / "a" / "passages.parquet").equals(pq.read_table(tmp_path / "b" / "passages.parquet"))
    strip = lambda s: {k: v for k, v in s.items() if k != "wall_time_s"}  # noqa: E731
    assert strip(a.summary) == strip(b.summary)
    # and the seed matters: another seed places people elsewhere
    run_scenario(short(seed=8), tmp_path / "c")
    assert not ta.equals(pq.read_table(tmp_path / "c" / "trajectories.parquet"))


def test_a_run_cut_short_reports_who_is_still_inside(tmp_path):
    result = run_scenario(short(duration=3.0), tmp_path / "run")
    s = result.summary
    assert s["simulated_time_s"] == pytest.approx(3.0)
    assert s["remaining"] > 0 and s["evacuation_time_s"] is None
    assert s["evacuated"] + s["remaining"] == s["agents"]
    assert s["evacuated_over_time"]["evacuated"][-1] == s["evacuated"]
    table = pq.read_table(tmp_path / "run" / "trajectories.parquet")
    last = table.filter(pc.equal(table["frame"], pc.max(table["frame"])))
    assert last.num_rows == s["remaining"]
    assert last["time_s"][0].as_py() == pytest.approx(3.0)
    # without the input text, the provenance hashes the resolved scenario
    prov = json.loads((tmp_path / "run" / "provenance.json").read_text())
    assert prov["scenario_sha256"] == prov["resolved_scenario_sha256"]


def test_extra_observers_see_every_frame(tmp_path):
    class Counter:
        def __init__(self):
            self.calls = []

        def on_start(self, sim):
            self.calls.append("start")

        def on_frame(self, sim):
            self.calls.append(sim.active_count)

        def on_finish(self, sim):
            self.calls.append("finish")

    counter = Counter()
    result = run_scenario(short(duration=1.0), tmp_path / "run", observers=(counter,))
    curve = result.summary["evacuated_over_time"]["evacuated"]
    assert counter.calls[0] == "start" and counter.calls[-1] == "finish"
    assert counter.calls[1:-1] == [result.summary["agents"] - k for k in curve]


def test_output_file_names_are_the_documented_ones():
    assert set(rundir.OUTPUT_FILES) == FINISHED_FILES


# --- door leaves, named areas, the timeline and people who never came in ------------------------

# A 4 m × 3 m room whose way out is an inward-opening single-leaf door in the east wall, shut:
# 14 pushing people press it shut (the Los Olivos arrangement). The clock starts two seconds
# before midnight; at 00:00 the door is locked, at 00:00:01 opened, and at 00:00:02 (the end of
# the run) three latecomers whose spawn square holds one body at a time are let in. A double
# door in the north wall stays locked; a 1.2 m × 1.8 m area lies in front of the east door and a
# 0.3 m × 0.3 m post in a corner.
DOOR_ROOM_TEXT = """\
[scenario]
name = "door-room"

[clock]
start = "23:59:58"

[run]
duration = 4.0
time_step = 0.01
record_interval = 0.1
seed = 3

[levels.room]
walkable = [[0, 0], [4, 0], [4, 3], [0, 3]]

[levels.room.doors.east]
jambs = [[4, 1], [4, 2]]
swing = "inward"
state = "closed"
max_angle = "100 deg"

[levels.room.doors.north]
jambs = [[0.5, 3], [1.5, 3]]
swing = "inward"
leaves = 2
state = "locked"

[areas.front]
space = "room"
polygon = [[2.8, 0.6], [4, 0.6], [4, 2.4], [2.8, 2.4]]

[areas.post]
space = "room"
polygon = [[0.1, 2.6], [0.4, 2.6], [0.4, 2.9], [0.1, 2.9]]

[populations.crowd]
space = "room"
count = 14
pushing = true
spawn = [[2.0, 0.3], [3.8, 0.3], [3.8, 2.7], [2.0, 2.7]]

[populations.late]
space = "room"
count = 3
present = false
spawn = [[0.1, 0.1], [0.7, 0.1], [0.7, 0.7], [0.1, 0.7]]

[[events]]
at = "00:00"
action = "lock"
door = "east"
label = "the door is locked"

[[events]]
at = "00:00:01"
action = "open"
door = "east"

[[events]]
at = "00:00:02"
action = "enter"
population = "late"
"""
LEAVES = [("east", 0), ("north", 0), ("north", 1)]
MAX_ANGLE_DEG = {"east": 100.0, "north": 90.0}
DOORS_SCHEMA = pa.schema([
    ("frame", pa.int32()), ("time_s", pa.float64()), ("door", pa.string()), ("leaf", pa.int8()),
    ("state", pa.string()), ("angle_deg", pa.float32()), ("contact_force_n", pa.float32()),
    ("handle_force_needed_n", pa.float32()),
])


def east_state_at(time_s: float) -> str:
    """The east door's state as the events set it: closed, locked at 2 s, open from 3 s."""
    return "closed" if time_s < 2.0 - 1e-9 else "locked" if time_s < 3.0 - 1e-9 else "open"


@pytest.fixture(scope="module")
def door_room(tmp_path_factory) -> Run:
    return _finished_run(tmp_path_factory.mktemp("door-room"), DOOR_ROOM_TEXT)


@pytest.fixture(scope="module")
def door_rows(door_room) -> pa.Table:
    return pq.read_table(door_room.directory / "doors.parquet")


def _leaf(table: pa.Table, door: str, leaf: int) -> dict[str, np.ndarray]:
    rows = table.filter(pc.and_(pc.equal(table["door"], door), pc.equal(table["leaf"], leaf)))
    return {name: np.asarray(rows[name].to_pylist()) for name in rows.schema.names}


def test_doors_parquet_has_the_documented_columns_and_types(door_rows):
    assert door_rows.schema.remove_metadata() == DOORS_SCHEMA


def test_doors_parquet_has_one_row_per_leaf_per_frame(door_room, door_rows):
    times = door_room.frame_times()
    assert times.size == 41  # 4 s at 0.1 s, frame 0 included
    assert door_rows.num_rows == len(LEAVES) * times.size
    frames = door_rows["frame"].to_numpy()
    np.testing.assert_array_equal(frames, np.repeat(np.arange(times.size), len(LEAVES)))
    np.testing.assert_allclose(door_rows["time_s"].to_numpy(), np.repeat(times, len(LEAVES)), atol=1e-4)
    # the same frames as the trajectories
    traj = door_room.trajectories
    np.testing.assert_array_equal(np.unique(traj["frame"].to_numpy()), np.arange(times.size))
    # within a frame: doors in file order, then by leaf
    order = list(zip(door_rows["door"].to_pylist(), door_rows["leaf"].to_pylist()))
    assert order == LEAVES * times.size


def test_leaf_angles_stay_between_shut_and_max_angle(door_room, door_rows):
    for door, leaf in LEAVES:
        angle = _leaf(door_rows, door, leaf)["angle_deg"]
        assert np.all(np.isfinite(angle))
        assert angle.min() >= 0.0 and angle.max() <= MAX_ANGLE_DEG[door] + 1e-3, (door, leaf)
    # the locked double door never moves; the east leaf ends fully open
    for leaf in (0, 1):
        assert np.all(_leaf(door_rows, "north", leaf)["angle_deg"] == 0.0)
    # The east leaf ends open: on its stop, or resting on a person who fell in its sweep (one
    # of the crowd falls in this run and lies there: a body on the floor stops a leaf).
    final = _leaf(door_rows, "east", 0)["angle_deg"][-1]
    lay_down = json.loads((door_room.directory / "summary.json").read_text())["harm"]["lay_on_floor"]
    assert final == pytest.approx(100.0, abs=1e-3) or (lay_down > 0 and 90.0 < final < 100.0)


def test_door_state_follows_the_events(door_rows):
    east = _leaf(door_rows, "east", 0)
    expected = [east_state_at(t) for t in east["time_s"]]
    assert east["state"].tolist() == expected
    assert {"closed", "locked", "open"} == set(expected)
    # lock shuts the leaf and holds it; open puts it at max_angle at once
    locked = east["state"] == "locked"
    assert np.all(east["angle_deg"][locked] == 0.0)
    first_open = int(np.argmax(east["state"] == "open"))
    assert east["time_s"][first_open] == pytest.approx(3.0)
    assert east["angle_deg"][first_open] == pytest.approx(100.0, abs=1e-3)
    for leaf in (0, 1):
        assert set(_leaf(door_rows, "north", leaf)["state"]) == {"locked"}


def test_leaf_forces_are_plausible(door_rows):
    east = _leaf(door_rows, "east", 0)
    force, handle = east["contact_force_n"], east["handle_force_needed_n"]
    assert np.all(force >= 0.0) and np.all(handle >= 0.0)
    assert force[0] == 0.0 and handle[0] == 0.0  # frame 0: no interval behind it yet
    # pushing people press an inward leaf shut: it takes far more than nothing to open it
    assert handle[east["state"] == "locked"].min() > 50.0
    # a closing torque is at most force × leaf length per contact, so the handle force at 0.9 L
    # can never exceed the summed contact force / 0.9
    assert np.all(handle <= force / 0.9 * (1 + 1e-5) + 1e-3)
    # nobody comes near the north door
    for leaf in (0, 1):
        north = _leaf(door_rows, "north", leaf)
        assert np.all(north["contact_force_n"] == 0.0) and np.all(north["handle_force_needed_n"] == 0.0)


def test_summary_door_leaf_peaks_are_the_maxima_of_doors_parquet(door_room, door_rows):
    summary = door_room.summary["door_leaves"]
    assert [(leaf["door"], leaf["leaf"]) for leaf in summary] == LEAVES
    for entry in summary:
        rows = _leaf(door_rows, entry["door"], entry["leaf"])
        assert entry["final_state"] == rows["state"][-1]
        assert entry["max_angle_deg"] == pytest.approx(rows["angle_deg"].max(), abs=0.006)
        for column, key in (("contact_force_n", "peak_contact_force"), ("handle_force_needed_n", "peak_handle_force_needed")):
            values = rows[column].astype(float)
            assert entry[f"{key}_n"] == pytest.approx(values.max(), abs=0.051, rel=1e-6), (entry["door"], key)
            if values.max() > 0:
                assert entry[f"{key}_time_s"] == pytest.approx(rows["time_s"][int(np.argmax(values))], abs=1e-3)
            else:
                assert entry[f"{key}_time_s"] is None
    east = summary[0]
    assert east["final_state"] == "open" and east["max_angle_deg"] == pytest.approx(100.0)
    assert east["peak_handle_force_needed_n"] > 50.0


def _in_area(run: Run, name: str) -> tuple[pa.Table, float]:
    """Trajectory rows whose centre lies inside the named area, and the area (m²)."""
    import shapely
    from shapely.geometry import Polygon

    area = next(a for a in run.scenario.areas if a.name == name)
    polygon = Polygon(area.polygon)
    t = run.trajectories.filter(pc.equal(run.trajectories["space"], area.space))
    inside = shapely.contains_xy(polygon, t["x_m"].to_numpy().astype(float), t["y_m"].to_numpy().astype(float))
    return t.filter(pa.array(inside)), polygon.area


def test_area_density_and_compression_match_the_trajectories(door_room):
    front, post = door_room.summary["areas"]
    assert front["area"] == "front" and post["area"] == "post"
    rows, area_m2 = _in_area(door_room, "front")
    assert front["area_m2"] == pytest.approx(area_m2, abs=1e-3) and area_m2 == pytest.approx(2.16)
    n_frames = door_room.frame_times().size
    frames = rows["frame"].to_numpy()
    density = np.bincount(frames, minlength=n_frames) / area_m2
    # the peak is over every frame, with the time of the first frame that reached it
    assert front["peak_density_per_m2"] == pytest.approx(density.max(), abs=1e-3)
    assert front["peak_density_time_s"] == pytest.approx(door_room.frame_times()[int(np.argmax(density))], abs=1e-3)
    # the worst compression of anyone in the area, with who, where and when
    compression = rows["compression_n_per_m"].to_numpy().astype(float)
    peak = front["peak_compression"]
    assert compression.max() > 0
    assert peak["value_n_per_m"] == pytest.approx(compression.max(), rel=1e-5, abs=1e-3)
    row = rows.to_pylist()[int(np.argmax(compression))]
    assert (peak["agent"], peak["space"]) == (row["agent"], "room")
    assert peak["time_s"] == pytest.approx(row["time_s"], abs=1e-4)
    assert (peak["x_m"], peak["y_m"]) == pytest.approx((row["x_m"], row["y_m"]), abs=1e-3)


def test_area_series_is_once_per_second_and_within_the_peaks(door_room):
    front, post = door_room.summary["areas"]
    series = front["series"]
    assert series["time_s"] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert len(series["density_per_m2"]) == len(series["max_compression_n_per_m"]) == 5
    rows, area_m2 = _in_area(door_room, "front")
    frames, compression = rows["frame"].to_numpy(), rows["compression_n_per_m"].to_numpy()
    for k, t in enumerate(series["time_s"]):
        at = frames == round(t / 0.1)
        assert series["density_per_m2"][k] == pytest.approx(at.sum() / area_m2, abs=1e-3), t
        worst = float(compression[at].max()) if at.any() else 0.0
        assert series["max_compression_n_per_m"][k] == pytest.approx(worst, abs=0.051), t
    assert max(series["density_per_m2"]) <= front["peak_density_per_m2"]
    assert max(series["max_compression_n_per_m"]) <= front["peak_compression"]["value_n_per_m"] + 0.05
    # an area under 0.5 m² has no density at all (one body would read 11 /m² here)
    assert post["area_m2"] == pytest.approx(0.09)
    assert post["peak_density_per_m2"] is None and post["peak_density_time_s"] is None
    assert set(post["series"]) == {"time_s", "max_compression_n_per_m"}
    assert post["series"]["time_s"] == series["time_s"]


def test_timeline_lists_the_events_with_clock_times(door_room):
    timeline = door_room.summary["timeline"]
    assert [(e["time_s"], e["clock"], e["action"]) for e in timeline] == [
        (2.0, "00:00", "lock"), (3.0, "00:00:01", "open"), (4.0, "00:00:02", "enter"),
    ]
    lock, open_, enter = timeline
    assert (lock["door"], lock["population"], lock["to"], lock["label"]) == ("east", None, None, "the door is locked")
    assert (open_["door"], open_["label"]) == ("east", "")
    assert (enter["door"], enter["population"]) == (None, "late")


def test_timeline_without_a_clock_has_no_clock_strings(tmp_path):
    scenario = loads(DOOR_ROOM_TEXT)
    scenario = replace(scenario, clock_start=None, events=scenario.events[:1],
                       run=replace(scenario.run, duration=2.0))
    (lock,) = run_scenario(scenario, tmp_path / "run").summary["timeline"]
    assert (lock["time_s"], lock["clock"], lock["action"]) == (2.0, None, "lock")


def test_people_who_never_came_in_are_counted(door_room):
    s, traj = door_room.summary, door_room.trajectories
    assert s["agents"] == 17
    seen = set(traj["agent"].to_pylist())
    left = set(door_room.exits_through("east"))
    never = set(range(s["agents"])) - seen - left
    assert s["never_entered"] == len(never) >= 1
    assert never <= set(range(14, 17))  # only latecomers
    last = traj.filter(pc.equal(traj["frame"], pc.max(traj["frame"])))
    assert s["remaining"] == last.num_rows
    assert s["evacuated"] == len(left)
    assert s["evacuated"] + s["remaining"] + s["never_entered"] == s["agents"]
    # the curve counts those who left, not those still outside waiting to come in
    curve = s["evacuated_over_time"]
    exits = np.sort(door_room.passages.filter(pc.equal(door_room.passages["line"], "east"))["time_s"].to_numpy())
    expected = np.searchsorted(exits, np.asarray(curve["time_s"]) + 1e-9, side="right")
    np.testing.assert_array_equal(curve["evacuated"], expected)
    assert curve["evacuated"][0] == 0
    # the latecomers appear only with the enter event at the very end
    late = traj.filter(pc.equal(traj["population"], "late"))
    assert late.num_rows >= 1 and set(late["frame"].to_pylist()) == {40}


def test_a_venue_without_leaves_areas_or_events(orderly):
    doors = pq.read_table(orderly.directory / "doors.parquet")
    assert doors.num_rows == 0
    assert doors.schema.remove_metadata() == DOORS_SCHEMA
    s = orderly.summary
    assert s["door_leaves"] == [] and s["areas"] == [] and s["timeline"] == []
    assert s["never_entered"] == 0
