"""Report writers on synthetic results: Markdown, self-contained HTML, JSON, the README block."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from aforo.verify import VerificationError
from aforo.verify.model import Case, CaseResult, Figure, Outcome
from aforo.verify.report import README_END, README_START, Run, to_html, to_json, to_markdown, update_readme, write_reports

PNG = bytes.fromhex("89504e470d0a1a0a") + b"not really a png"


def fake_run() -> Run:
    ok = Case("demo-1", "RiMEA", "A corridor | with a bar", "a guideline, test 1", "26–34 s", ("x.toml",),
              run=lambda ctx: None, quick="1 run", full="3 runs")
    bad = Case("demo-2", "published data", "A curve", "a paper", "minimum inside", ("y.toml",), run=lambda ctx: None,
               quick="q", full="f")
    na = Case("demo-3", "NIST TN 1822", "Groups", "a report", "together", not_applicable="no groups")
    results = [
        CaseResult(ok, Outcome("pass", "30.1 s", {"travel_time_s": np.float64(30.1), "n": np.int64(1)}), 0.4),
        CaseResult(bad, Outcome("fail", "minimum at the end", {"times": [1.0, math.inf, math.nan], "a": np.arange(3)},
                                note="why it failed", figures=[Figure("the curve", PNG, "demo-2.png")],
                                error="Traceback: boom"), 2.0),
        CaseResult(na, Outcome("n/a", "not applicable", note="no groups"), 0.0),
    ]
    return Run(results=results, variant="quick", wall_time_s=75.0, created="2026-01-01 00:00 UTC")


def test_markdown_has_the_table_every_case_and_its_verdict():
    md = to_markdown(fake_run())
    assert "| case | measured | criterion | result |" in md
    assert "A corridor \\| with a bar" in md  # a bar in a cell does not break the table
    for case_id in ("demo-1", "demo-2", "demo-3"):
        assert f"## {case_id}:" in md
    assert "**FAIL**" in md and "- **note:** why it failed" in md
    assert "![the curve](plots/demo-2.png)" in md
    assert "1 pass, 1 fail, 0 not judged, 1 not applicable (quick run" in md


def test_html_is_self_contained_with_the_plots_embedded():
    page = to_html(fake_run())
    assert page.startswith("<!DOCTYPE html>")
    assert "data:image/png;base64," in page
    assert "src=\"http" not in page and "<link" not in page and "<script" not in page
    assert "A corridor | with a bar" in page
    assert '<section id="demo-2">' in page and "Traceback: boom" in page


def test_json_holds_every_value_and_no_infinities():
    data = to_json(fake_run())
    text = json.dumps(data, allow_nan=False)  # raises on NaN or infinity
    back = json.loads(text)
    assert [c["id"] for c in back["cases"]] == ["demo-1", "demo-2", "demo-3"]
    assert back["cases"][0]["values"] == {"travel_time_s": 30.1, "n": 1}
    assert back["cases"][1]["values"]["times"] == [1.0, None, None]
    assert back["cases"][1]["values"]["a"] == [0, 1, 2]
    assert back["cases"][1]["figures"] == ["plots/demo-2.png"]
    assert back["counts"] == {"pass": 1, "fail": 1, "n/a": 1, "not judged": 0}


def test_write_reports_writes_the_files_and_plots(tmp_path):
    paths = write_reports(fake_run(), tmp_path / "out")
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"report.md", "report.html", "results.json", "plots"}
    assert (tmp_path / "out" / "plots" / "demo-2.png").read_bytes() == PNG
    assert json.loads(paths["json"].read_text())["variant"] == "quick"


def test_write_reports_into_a_file_is_a_clear_error(tmp_path):
    blocker = tmp_path / "taken"
    blocker.write_text("a file")
    with pytest.raises(VerificationError, match="not a directory"):
        write_reports(fake_run(), blocker)


def test_readme_block_is_rewritten_and_nothing_else(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\nbefore\n\n{README_START}\nold table\n{README_END}\n\nafter\n", encoding="utf-8")
    update_readme(readme, fake_run(), "runs/verify/report.md")
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("# x\n\nbefore\n\n" + README_START)
    assert text.endswith(README_END + "\n\nafter\n")
    assert "old table" not in text and "| demo-1: A corridor" in text and "runs/verify/report.md" in text
    assert "| case | measured | result |" in text and "26–34 s" not in text  # criteria live in the report
    update_readme(readme, fake_run(), "runs/verify/report.md")  # idempotent
    assert readme.read_text(encoding="utf-8") == text


def test_readme_without_markers_is_a_clear_error(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# no markers\n", encoding="utf-8")
    with pytest.raises(VerificationError, match="verify:start"):
        update_readme(readme, fake_run(), "r.md")


def test_an_outcome_has_a_known_status():
    with pytest.raises(ValueError):
        Outcome("passed", "x")


def test_a_case_is_either_runnable_or_not_applicable():
    with pytest.raises(ValueError):
        Case("x", "s", "t", "src", "crit")
    with pytest.raises(ValueError):
        Case("x", "s", "t", "src", "crit", run=lambda ctx: None, not_applicable="because")
