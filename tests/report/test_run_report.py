"""aforo report: one self-contained HTML page from a run directory."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from aforo import cli
from aforo.engine.rundir import run_scenario
from aforo.report.run_report import _worst_per_agent, write_report
from aforo.scenario import load

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def fire_dir(tmp_path_factory):
    scenario = load(REPO / "scenarios" / "examples" / "room-fire.toml")
    scenario = replace(scenario, run=replace(scenario.run, duration=30.0))
    directory = tmp_path_factory.mktemp("room-fire")
    run_scenario(scenario, directory)
    return directory


def test_the_report_is_one_self_contained_page(fire_dir):
    path = write_report(fire_dir)
    assert path == fire_dir / "report.html"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert not re.search(r'(src|href)="(?!data:)', text)  # nothing linked: every image is inline
    images = re.findall(r'<img alt="([^"]*)" src="data:image/png;base64,', text)
    # one plan per space, the curves over time, the doses (the room fills with fire gases)
    assert sum(alt.startswith("plan of") for alt in images) == 1
    assert "people evacuated, inside and down; highest compression" in images
    assert "distribution of doses" in images
    assert "room-fire" in text and "Provenance" in text


def test_the_worst_state_of_each_agent_is_drawn_once():
    rows = [
        {"agent": 1, "state": "injured", "time_s": 1.0},
        {"agent": 1, "state": "unconscious", "time_s": 5.0},
        {"agent": 1, "state": "incapacitated", "time_s": 6.0},
        {"agent": 1, "state": "dead", "time_s": 9.0},
        {"agent": 2, "state": "incapacitated", "time_s": 2.0},
        {"agent": 2, "state": "lethal dose", "time_s": 8.0},
    ]
    worst = {r["agent"]: r["state"] for r in _worst_per_agent(rows)}
    assert worst == {1: "dead", 2: "lethal dose"}


def test_cli_report_writes_where_asked_and_reports_a_bad_directory(fire_dir, tmp_path, capsys):
    out = tmp_path / "page.html"
    assert cli.main(["report", str(fire_dir), "--out", str(out)]) == 0
    assert out.is_file()
    assert cli.main(["report", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err
    assert "no such directory" in err and "Traceback" not in err
