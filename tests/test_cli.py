"""The command line (aforo.cli): help, check, run, and clean errors (exit 2, one message, no traceback).

Most tests call ``aforo.cli.main`` in-process; two run the installed ``aforo`` script, to prove the
entry point works and that a bad input prints no traceback to a real stderr.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from rich.console import Console

import aforo
from aforo import cli
from aforo.engine.simulation import Simulation
from aforo.scenario import load

REPO = Path(__file__).resolve().parents[1]
SHIPPED = sorted((REPO / "scenarios").rglob("*.toml"))
CORRIDOR = REPO / "scenarios" / "examples" / "corridor.toml"
RUN_FILES = {"trajectories.parquet", "passages.parquet", "doors.parquet", "casualties.parquet", "gas.parquet",
             "summary.json",
             "scenario.resolved.toml", "provenance.json"}

# Three semantic problems at once (the layout is fine; the values and references are not).
SEVERAL_PROBLEMS = """\
[scenario]
name = "broken"

[run]
duration = -1

[levels.room]
walkable = [[0, 0], [10, 0], [10, 10], [0, 10]]

[levels.room.exits.out]
segment = [[10, 4], [10, 6]]

[populations.people]
space = "nowhere"
count = -3
"""


@pytest.fixture(autouse=True)
def wide_consoles(monkeypatch):
    """Wide consoles, so tables and messages are not wrapped mid-word (they write to capsys)."""
    monkeypatch.setattr(cli, "console", Console(width=200))
    monkeypatch.setattr(cli, "errors", Console(stderr=True, width=200))


def aforo_script() -> str:
    here = Path(sys.executable).parent / "aforo"
    found = str(here) if here.exists() else shutil.which("aforo")
    assert found, "the aforo entry point is not installed (pip install -e .)"
    return found


def fails_cleanly(capsys, argv: list[str]) -> str:
    """Run ``aforo argv``: it must exit 2 with one error message on stderr; return that message."""
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert "Traceback" not in err
    assert [line for line in err.splitlines() if line.startswith("error:")] == err.splitlines()[:1], err
    return err


# --- help ----------------------------------------------------------------------------------------


def test_help_names_the_commands(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "run" in out and "check" in out
    assert "simulate a scenario" in out and "validate a scenario" in out


def test_no_command_prints_help(capsys):
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    assert "usage: aforo" in out and "check" in out


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0
    assert aforo.__version__ in capsys.readouterr().out


def test_the_installed_entry_point_runs():
    done = subprocess.run([aforo_script(), "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "run" in done.stdout and "check" in done.stdout
    assert "usage: aforo" in done.stdout


def test_the_installed_entry_point_reports_errors_without_a_traceback(tmp_path):
    missing = tmp_path / "missing.toml"
    done = subprocess.run([aforo_script(), "check", str(missing)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "no such file" in done.stderr
    assert done.stderr.startswith("error:") and done.stderr.count("error:") == 1


# --- check ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(REPO / "scenarios")))
def test_check_describes_each_shipped_scenario(capsys, path):
    assert cli.main(["check", str(path)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    scenario = load(path)
    assert f"valid scenario {scenario.name}" in out
    assert "spaces" in out and "populations" in out
    for space in scenario.space_names:
        assert space in out
    for exit_ in scenario.exits:
        assert exit_.name in out
    for door in scenario.doors:
        assert door.name in out
    for pop in scenario.populations:
        assert pop.name in out and str(pop.count) in out


def test_check_applies_the_harm_models_rules_to_the_files_thresholds(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text((REPO / "scenarios" / "examples" / "corridor.toml").read_text()
                    + "\n[harm.falls]\nrise_force_n = 900\n")
    assert cli.main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err.replace("\n", "")  # the file is named
    assert "harm.falls.rise_force_n" in err and "must not exceed fall_force_n" in err


def test_shipped_scenarios_are_found():
    names = {p.relative_to(REPO / "scenarios").as_posix() for p in SHIPPED}
    assert {"examples/corridor.toml", "examples/room-door.toml", "los-olivos/venue.toml"} <= names


# --- run -----------------------------------------------------------------------------------------


def test_run_writes_the_run_directory_and_prints_the_summary(capsys, tmp_path):
    out_dir = tmp_path / "corridor"
    code = cli.main(["run", str(CORRIDOR), "--out", str(out_dir), "--duration", "2", "--seed", "5"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert {p.name for p in out_dir.iterdir()} == RUN_FILES
    assert "rimea-1-corridor: summary" in out
    for label in ("agents", "evacuated", "evacuation time", "simulated", "exit end", "peak density"):
        assert label in out
    assert "not everyone left" in out  # 2 s is not enough to walk 40 m
    assert f"written to {out_dir}" in out
    # the overrides reach the run, the resolved scenario and the provenance
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["simulated_time_s"] == pytest.approx(2.0)
    assert summary["seed"] == 5 and summary["agents"] == 1 and summary["remaining"] == 1
    resolved = tomllib.loads((out_dir / "scenario.resolved.toml").read_text())
    assert resolved["run"]["duration"] == 2.0 and resolved["run"]["seed"] == 5
    provenance = json.loads((out_dir / "provenance.json").read_text())
    assert provenance["seed"] == 5
    assert provenance["scenario_sha256"] == hashlib.sha256(CORRIDOR.read_bytes()).hexdigest()  # the file as given


def test_the_progress_bar_follows_time_and_the_agents_inside(capsys, tmp_path, monkeypatch):
    import rich.progress

    seen: list[dict] = []
    original = rich.progress.Progress.update

    def update(self, task_id, **fields):
        seen.append(fields)
        return original(self, task_id, **fields)

    monkeypatch.setattr(rich.progress.Progress, "update", update)
    out_dir = tmp_path / "room"
    assert cli.main(["run", str(REPO / "scenarios" / "examples" / "room-door.toml"), "--out", str(out_dir),
                     "--duration", "3"]) == 0
    summary = json.loads((out_dir / "summary.json").read_text())
    inside = [f["inside"] for f in seen if "inside" in f]
    completed = [f["completed"] for f in seen if "completed" in f]
    assert len(inside) >= 30  # every frame of 0.1 s
    assert all(isinstance(k, int) for k in inside)
    assert inside[0] == 150 and inside[-1] == summary["remaining"] < 150
    assert all(a >= b for a, b in zip(inside, inside[1:]))
    assert completed[-1] == pytest.approx(3.0)
    assert "inside" in capsys.readouterr().out


def test_run_the_corridor_to_the_end(capsys, tmp_path):
    """RiMEA test 1 through the CLI: the walker leaves after 26–34 s, and the table says so."""
    out_dir = tmp_path / "corridor"
    assert cli.main(["run", str(CORRIDOR), "--out", str(out_dir), "--quiet"]) == 0
    out = capsys.readouterr().out
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["evacuated"] == 1 and summary["remaining"] == 0
    assert 26.0 <= summary["evacuation_time_s"] <= 34.0
    assert f"{summary['evacuation_time_s']:.1f} s" in out
    assert "1 out, 2.00 m, open" in out


def test_run_into_a_finished_directory_needs_overwrite(capsys, tmp_path):
    out_dir = tmp_path / "corridor"
    assert cli.main(["run", str(CORRIDOR), "--out", str(out_dir), "--duration", "1", "--quiet"]) == 0
    capsys.readouterr()
    before = (out_dir / "summary.json").read_bytes()
    err = fails_cleanly(capsys, ["run", str(CORRIDOR), "--out", str(out_dir), "--duration", "2", "--quiet"])
    assert "already holds a finished run" in err and "--overwrite" in err
    assert (out_dir / "summary.json").read_bytes() == before
    assert cli.main(["run", str(CORRIDOR), "--out", str(out_dir), "--duration", "2", "--quiet", "--overwrite"]) == 0
    assert json.loads((out_dir / "summary.json").read_text())["simulated_time_s"] == pytest.approx(2.0)


def test_an_interrupted_run_says_so_and_leaves_no_summary(capsys, tmp_path, monkeypatch):
    def interrupted(self, n_steps):
        raise KeyboardInterrupt

    monkeypatch.setattr(Simulation, "advance_steps", interrupted)
    out_dir = tmp_path / "corridor"
    assert cli.main(["run", str(CORRIDOR), "--out", str(out_dir), "--quiet"]) == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "Traceback" not in err
    assert {p.name for p in out_dir.iterdir()} == {"trajectories.parquet.partial"}


# --- bad inputs: exit 2, one clear message, no traceback ---------------------------------------


@pytest.mark.parametrize("command", ["check", "run"])
def test_a_missing_file(capsys, tmp_path, command):
    missing = tmp_path / "nope.toml"
    extra = ["--out", str(tmp_path / "out")] if command == "run" else []
    err = fails_cleanly(capsys, [command, str(missing), *extra])
    assert str(missing) in err and "no such file" in err
    assert not (tmp_path / "out").exists()


def test_a_toml_syntax_error(capsys, tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('[scenario]\nname = "x\n', encoding="utf-8")
    err = fails_cleanly(capsys, ["check", str(path)])
    assert "TOML syntax error" in err and "line 2" in err and str(path) in err


def test_several_semantic_errors_are_all_listed(capsys, tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text(SEVERAL_PROBLEMS, encoding="utf-8")
    err = fails_cleanly(capsys, ["check", str(path)])
    assert "3 problems" in err
    for where in ("run.duration", "populations.people.count", "populations.people.space"):
        assert where in err
    assert "'nowhere'" in err and "known spaces: 'room'" in err
    # and `run` refuses the same file before writing anything
    err = fails_cleanly(capsys, ["run", str(path), "--out", str(tmp_path / "out")])
    assert "3 problems" in err
    assert not (tmp_path / "out").exists()


def test_messages_keep_their_square_brackets(capsys, tmp_path):
    """Messages quote TOML ("[levels]", "[[x, y], ...]"); the console must not eat them as markup."""
    path = tmp_path / "no-levels.toml"
    path.write_text('[scenario]\nname = "x"\n', encoding="utf-8")
    err = fails_cleanly(capsys, ["check", str(path)])
    assert "missing required section [levels]" in err
    assert "[[x, y], ...]" in err


def test_a_path_that_looks_like_markup(capsys, tmp_path):
    folder = tmp_path / "["
    folder.mkdir()
    missing = folder / "b].toml"  # ".../[/b].toml" would be a closing markup tag
    err = fails_cleanly(capsys, ["check", str(missing)])
    assert str(missing) in err


@pytest.mark.parametrize(
    ("option", "path"), [(["--duration", "-5"], "run.duration"), (["--seed", "-1"], "run.seed")]
)
def test_command_line_overrides_are_validated(capsys, tmp_path, option, path):
    out_dir = tmp_path / "out"
    err = fails_cleanly(capsys, ["run", str(CORRIDOR), "--out", str(out_dir), *option])
    assert path in err and "--seed/--duration" in err
    assert not out_dir.exists()


def test_the_run_directory_cannot_be_a_file(capsys, tmp_path):
    blocker = tmp_path / "out"
    blocker.write_text("x")
    err = fails_cleanly(capsys, ["run", str(CORRIDOR), "--out", str(blocker), "--duration", "1"])
    assert "not a directory" in err


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["run", str(CORRIDOR)])  # --out is required
    assert exit_.value.code == 2
    assert "--out" in capsys.readouterr().err


# --- the Los Olivos prosecution account: door leaves, areas and the timeline in the table ----------

PROSECUTION = REPO / "scenarios" / "los-olivos" / "prosecution.toml"


def test_a_duration_before_the_last_events_leaves_them_out_with_a_notice(capsys, tmp_path):
    code = cli.main(["run", str(PROSECUTION), "--out", str(tmp_path / "out"), "--duration", "800", "--quiet"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.count("notice:") == 2 and "21:20" not in out.split("summary")[-1]
    fired = json.loads((tmp_path / "out" / "summary.json").read_text())["timeline"]
    assert [e["clock"] for e in fired] == ["20:45", "20:45", "20:52", "20:53"]


def test_run_prints_door_leaves_areas_and_the_timeline(capsys, tmp_path):
    """The prosecution account to 20:53:20: the door closed at 20:52, the crowd sent at 20:53."""
    out_dir = tmp_path / "prosecution"
    code = cli.main(["run", str(PROSECUTION), "--out", str(out_dir), "--duration", "800", "--quiet"])
    out, err = capsys.readouterr()
    assert code == 0, err
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["simulated_time_s"] == pytest.approx(800.0)
    lines = out.splitlines()

    def row(label: str) -> str:
        found = [line for line in lines if line.strip("│ ").startswith(label)]
        assert len(found) == 1, (label, out)
        return found[0]

    # both leaves of the street door: state at the end, how far open, peak load and handle force
    assert [(leaf["door"], leaf["leaf"]) for leaf in summary["door_leaves"]] == [("street", 0), ("street", 1)]
    for leaf in summary["door_leaves"]:
        text = row(f"door street leaf {leaf['leaf']}")
        assert leaf["final_state"] == "closed" and "closed at the end" in text
        assert f"opened up to {leaf['max_angle_deg']:.0f}°" in text
        assert f"peak load {leaf['peak_contact_force_n']:.0f} N" in text
        assert f"{leaf['peak_handle_force_needed_n']:.0f} N at the handle" in text
    # every named area, with its size
    assert [a["area"] for a in summary["areas"]] == ["door-post", "police-post", "landing", "lower-stair", "upper-stair"]
    for area in summary["areas"]:
        assert f"{area['area_m2']:.2g} m²" in row(f"area {area['area']}")
    assert "peak density" not in row("area door-post")  # 0.03 m²: no density for a post
    assert "peak density" in row("area landing")
    # the timeline in clock time, in order, with the file's labels
    clocks = [e["clock"] for e in summary["timeline"]]
    assert clocks == ["20:45", "20:45", "20:52", "20:53"]
    timeline = [line for line in lines if line.strip("│ ")[:5] in ("20:45", "20:52", "20:53")]
    assert [line.strip("│ ")[:5] for line in timeline] == clocks
    assert "an officer closes the street door and guards it" in timeline[2]
    assert "occupants are sent down the stair" in timeline[3]
