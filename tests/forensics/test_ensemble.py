"""Ensembles: accounts over seeds, resumable, summarized as distributions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aforo import cli
from aforo.forensics.ensemble import EnsembleError, distribution, parse_seeds, plan, run_ensemble, summarize

CORRIDOR = Path(__file__).resolve().parents[2] / "scenarios" / "examples" / "corridor.toml"


@pytest.mark.parametrize(("text", "seeds"), [("0-3", [0, 1, 2, 3]), ("1,4,7", [1, 4, 7]), ("0-2,10,1", [0, 1, 2, 10]),
                                             ("5", [5])])
def test_seeds_are_read_as_ranges_and_lists(text, seeds):
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize("text", ["a", "3-1", "1,,2", "-2", "1-x"])
def test_bad_seeds_are_a_clear_error(text):
    with pytest.raises(EnsembleError, match="seed"):
        parse_seeds(text)


def test_accounts_are_named_after_their_files_which_must_differ(tmp_path):
    with pytest.raises(EnsembleError, match="share the name 'corridor'"):
        plan([CORRIDOR, tmp_path / "corridor.toml"], [0], tmp_path)


def test_distribution_counts_runs_where_the_outcome_did_not_happen():
    d = distribution([None, 10.0, 20.0, None])
    assert (d["happened"], d["of"], d["median"], d["min"], d["max"]) == (2, 4, 15.0, 10.0, 20.0)
    assert distribution([None]) == {"happened": 0, "of": 1}


def test_an_ensemble_runs_each_seed_once_and_resumes(tmp_path):
    jobs = plan([CORRIDOR], [1, 2], tmp_path)
    done = []
    summaries = run_ensemble(jobs, on_done=lambda job, s: done.append(job.seed))
    assert sorted(done) == [1, 2]
    assert {s["seed"] for s in summaries.values()} == {1, 2}
    # different seeds draw different walkers: the travel times differ
    result = summarize(jobs, summaries)
    times = [r["evacuation time (s)"] for r in result["runs"]]
    assert len(set(times)) == 2
    stamp = (jobs[0].out_dir / "summary.json").stat().st_mtime_ns
    run_ensemble(jobs)  # finished runs are kept, not rerun
    assert (jobs[0].out_dir / "summary.json").stat().st_mtime_ns == stamp
    outcome = result["accounts"]["corridor"]["outcomes"]["evacuation time (s)"]
    assert outcome["happened"] == 2 and outcome["min"] == min(times)


def test_cli_ensemble_with_two_worker_processes(tmp_path, capsys):
    other = tmp_path / "corridor-b.toml"
    other.write_text(CORRIDOR.read_text())
    assert cli.main(["ensemble", str(CORRIDOR), str(other), "--seeds", "0-1", "--out", str(tmp_path / "e"),
                     "--workers", "2"]) == 0
    result = json.loads((tmp_path / "e" / "ensemble.json").read_text())
    assert set(result["accounts"]) == {"corridor", "corridor-b"}
    assert len(result["runs"]) == 4
    # the same scenario with the same seeds gives the same runs in any process
    by = {(r["account"], r["seed"]): r["evacuation time (s)"] for r in result["runs"]}
    assert by[("corridor", 0)] == by[("corridor-b", 0)] and by[("corridor", 1)] == by[("corridor-b", 1)]
    out = capsys.readouterr().out
    assert "corridor-b (2 runs)" in out and "evacuation time" in out
