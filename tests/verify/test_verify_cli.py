"""``aforo verify``: bad input gives one clear message; the quick run end to end (issue #5).

The end-to-end test runs the whole quick variant: measured at about 1.5 min on 2 cores with the
kernels compiled (compiling them first adds a minute or two).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from aforo import cli
from aforo.verify import CASES
from aforo.verify.report import README_END, README_START


@pytest.fixture(autouse=True)
def wide_consoles(monkeypatch):
    monkeypatch.setattr(cli, "console", Console(width=200))
    monkeypatch.setattr(cli, "errors", Console(stderr=True, width=200))


def test_unknown_case_is_one_message_and_exit_2(capsys, tmp_path):
    assert cli.main(["verify", "--only", "rimea-99", "--out", str(tmp_path / "v")]) == 2
    out, err = capsys.readouterr()
    assert "error: unknown verification case 'rimea-99'" in err and "Traceback" not in err
    assert not (tmp_path / "v").exists()  # nothing ran, nothing written


def test_unwritable_out_is_one_message_and_exit_2(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert cli.main(["verify", "--only", "rimea-1", "--out", str(blocker / "sub")]) == 2
    _, err = capsys.readouterr()
    assert "error:" in err and "cannot write the verification report" in err and "Traceback" not in err


def test_out_is_required_unless_listing(capsys):
    assert cli.main(["verify", "--only", "rimea-1"]) == 2
    assert "give --out DIR" in capsys.readouterr().err
    assert cli.main(["verify", "--list"]) == 0
    out = capsys.readouterr().out
    assert all(c.id in out for c in CASES)


def test_bad_input_from_the_installed_script_prints_no_traceback(tmp_path):
    script = Path(sys.executable).parent / "aforo"
    done = subprocess.run([str(script), "verify", "--only", "nope", "--out", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 2
    assert "unknown verification case" in done.stderr and "Traceback" not in done.stderr


def test_one_case_writes_the_report_and_the_readme_block(capsys, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{README_START}\n{README_END}\nend\n", encoding="utf-8")
    out = tmp_path / "v"
    assert cli.main(["verify", "--quick", "--only", "rimea-1", "--out", str(out), "--readme", str(readme), "--quiet"]) == 0
    data = json.loads((out / "results.json").read_text())
    assert [c["id"] for c in data["cases"]] == ["rimea-1"]
    assert data["cases"][0]["status"] == "pass"
    assert 26.0 <= data["cases"][0]["values"]["travel_time_s"] <= 34.0
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith("end\n") and "| rimea-1: Walking speed in a corridor" in text
    assert "v/report.md" in text


def test_quick_run_end_to_end(capsys, tmp_path):
    """The whole quick variant, as CI runs it: every case reported, no case raised, the report
    files complete, and the issue's checked criteria (bottleneck within ±15 % of Seyfried 2009,
    faster-is-slower minimum inside the range) met."""
    out = tmp_path / "verify"
    code = cli.main(["verify", "--quick", "--out", str(out), "--quiet"])
    stdout, stderr = capsys.readouterr()
    assert code == 0, stderr
    data = json.loads((out / "results.json").read_text())
    by_id = {c["id"]: c for c in data["cases"]}
    assert set(by_id) == {c.id for c in CASES}
    assert not [c["id"] for c in data["cases"] if c["error"]]
    for c in data["cases"]:
        assert c["status"] in ("pass", "fail", "not judged", "n/a")
        assert c["measured"] and c["criterion"] and c["source"]
        if c["status"] == "fail":
            assert c["note"], f"{c['id']} fails without an explanation"
    assert by_id["seyfried-bottleneck"]["status"] == "pass"
    assert by_id["helbing-panic"]["values"]["minimum_strictly_inside"] is True
    assert by_id["nist-2.9"]["status"] == "n/a"
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == sum(len(c["figures"]) for c in data["cases"]) > 5
    for c in data["cases"]:
        for figure in c["figures"]:
            assert (out / figure).stat().st_size > 1000
    assert "| case | measured | criterion | result |" in (out / "report.md").read_text()
