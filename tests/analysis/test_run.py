"""Reading a run directory back, and the measures drawn from it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from aforo.analysis.run import RunDirectoryError, exposure_at_end, frame_series, load_run, occupancy
from aforo.engine.rundir import run_scenario
from aforo.scenario import load

ROOM_FIRE = Path(__file__).resolve().parents[2] / "scenarios" / "examples" / "room-fire.toml"


@pytest.fixture(scope="module")
def fire_run(tmp_path_factory):
    scenario = load(ROOM_FIRE)
    scenario = replace(scenario, run=replace(scenario.run, duration=30.0))  # people still inside at the end
    directory = tmp_path_factory.mktemp("room-fire")
    run_scenario(scenario, directory)
    return load_run(directory)


def test_a_missing_or_unfinished_run_is_a_clear_error(tmp_path):
    with pytest.raises(RunDirectoryError, match="no such directory"):
        load_run(tmp_path / "nope")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "trajectories.parquet").write_bytes(b"")
    with pytest.raises(RunDirectoryError, match="did not finish.*summary.json"):
        load_run(tmp_path / "half")


def test_occupancy_accounts_for_every_recorded_person_second(fire_run):
    rows = pq.read_table(fire_run.trajectories_path, columns=["x_m"]).num_rows
    occ = occupancy(fire_run, "room", cell_m=0.5)
    cell_area = 0.5 * 0.5
    total = occ.person_seconds_per_m2.sum() * cell_area
    assert total == pytest.approx(rows * fire_run.scenario.run.record_interval)
    assert occ.person_seconds_per_m2.shape == (occ.y_edges_m.size - 1, occ.x_edges_m.size - 1)


def test_frame_series_follow_the_summary(fire_run):
    series = frame_series(fire_run)
    s = fire_run.summary
    curve = s["evacuated_over_time"]
    frames_with_people = np.asarray(curve["evacuated"]) < s["agents"]
    np.testing.assert_array_equal(series.inside, s["agents"] - np.asarray(curve["evacuated"])[frames_with_people])
    # summary.json rounds to 4 decimals (engine/metrics.py), trajectories store float32 (7 digits):
    # equal to within either (a small peak fails a relative check, a large one the absolute one)
    assert series.max_compression_n_per_m.max() == pytest.approx(s["peak_compression"]["value_n_per_m"],
                                                                 rel=1e-6, abs=5e-5)
    assert np.all(series.limp >= 0) and np.all(series.limp <= series.inside)


def test_exposure_at_end_is_each_agents_last_dose(fire_run):
    doses = exposure_at_end(fire_run)
    table = pq.read_table(fire_run.trajectories_path, columns=["agent", "fed"]).to_pydict()
    last = {}
    for agent, fed in zip(table["agent"], table["fed"]):
        last[agent] = fed  # rows are in frame order
    assert doses["fed"].size == len(last)
    np.testing.assert_allclose(np.sort(doses["fed"]), np.sort(np.array(list(last.values()), dtype=np.float64)))
    assert doses["fed"].max() > 0  # the room fills with fire gases
