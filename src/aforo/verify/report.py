"""The verification report: Markdown, a self-contained HTML page, a JSON file of every value,
and the results table that README.md carries between its verify markers.

Written from :class:`aforo.verify.model.CaseResult` lists only, so each writer is a pure
function of the results (tests feed them synthetic ones).
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import aforo
from aforo.verify.model import STATUSES, CaseResult
from aforo.verify.simulate import VerificationError

README_START = "<!-- verify:start -->"
README_END = "<!-- verify:end -->"
STATUS_MARK = {"pass": "pass", "fail": "**FAIL**", "n/a": "n/a", "not judged": "not judged"}


@dataclass
class Run:
    """A finished verification run: what ran, how, and its results."""

    results: list[CaseResult]
    variant: str  # "quick" or "full"
    wall_time_s: float
    created: str = field(default_factory=lambda: _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    aforo_version: str = aforo.__version__

    def counts(self) -> dict[str, int]:
        return {s: sum(r.outcome.status == s for r in self.results) for s in STATUSES}


# --- JSON ----------------------------------------------------------------------------------------

def plain(value: Any) -> Any:
    """A JSON-ready copy: numpy scalars and arrays to Python, non-finite floats to None (JSON has
    no infinity; a missing value reads as null), dict keys to strings."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def to_json(run: Run) -> dict:
    return plain({
        "aforo_version": run.aforo_version,
        "variant": run.variant,
        "created": run.created,
        "wall_time_s": round(run.wall_time_s, 1),
        "counts": run.counts(),
        "cases": [{
            "id": r.case.id, "suite": r.case.suite, "title": r.case.title, "source": r.case.source,
            "criterion": r.case.criterion, "scenarios": [f"scenarios/verification/{s}" for s in r.case.scenarios],
            "variant": r.case.quick if run.variant == "quick" else r.case.full,
            "status": r.outcome.status, "measured": r.outcome.measured, "note": r.outcome.note,
            "error": r.outcome.error, "figures": [f"plots/{f.file_name}" for f in r.outcome.figures],
            "wall_time_s": round(r.wall_time_s, 2), "values": r.outcome.values,
        } for r in run.results],
    })


# --- Markdown ------------------------------------------------------------------------------------

def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def summary_line(run: Run) -> str:
    c = run.counts()
    return (f"{c['pass']} pass, {c['fail']} fail, {c['not judged']} not judged, {c['n/a']} not applicable "
            f"({run.variant} run, aforo {run.aforo_version}, {run.created}, {run.wall_time_s / 60:.1f} min)")


def results_table(run: Run, *, criterion: bool = True) -> list[str]:
    """The table of results (Markdown lines): case, measured, criterion (unless left out), result."""
    if criterion:
        lines = ["| case | measured | criterion | result |", "|---|---|---|---|"]
    else:
        lines = ["| case | measured | result |", "|---|---|---|"]
    for r in run.results:
        cells = [f"{r.case.id}: {r.case.title}", r.outcome.measured] + ([r.case.criterion] if criterion else [])
        lines.append("| " + " | ".join(_cell(c) for c in cells) + f" | {STATUS_MARK[r.outcome.status]} |")
    return lines


def to_markdown(run: Run) -> str:
    out = [f"# aforo verification report", "", summary_line(run), "",
           "Each case below states its scenario, the criterion and its source, what was measured, and the verdict. "
           "Every value is in results.json; plots are in plots/.", "", *results_table(run), ""]
    for r in run.results:
        c, o = r.case, r.outcome
        out += [f'<a id="{c.id}"></a>', "", f"## {c.id}: {c.title}", "",
                f"- **result:** {STATUS_MARK[o.status]}",
                f"- **source:** {c.source}",
                f"- **criterion:** {c.criterion}",
                f"- **scenario:** {', '.join(f'`scenarios/verification/{s}`' for s in c.scenarios) or 'none'}",
                f"- **run:** {(c.quick if run.variant == 'quick' else c.full) or '—'} ({r.wall_time_s:.1f} s)",
                f"- **measured:** {o.measured}"]
        if o.note:
            out.append(f"- **note:** {' '.join(o.note.split())}")
        if o.error:
            out += ["", "```", o.error.rstrip(), "```"]
        for f in o.figures:
            out += ["", f"![{f.title}](plots/{f.file_name})"]
        out.append("")
    return "\n".join(out)


# --- HTML ----------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;width:100%;font-size:0.9em}th,td{border:1px solid #ccc;padding:4px 6px;vertical-align:top}
th{background:#f2f2f2}.pass{color:#1a7f37;font-weight:600}.fail{color:#c62828;font-weight:700}
.na{color:#777}.nj{color:#a15c00;font-weight:600}section{border-top:1px solid #ddd;margin-top:1.5em}
dt{font-weight:600}dd{margin:0 0 .4em 1.5em}img{max-width:100%;border:1px solid #eee}pre{background:#f7f7f7;padding:.5em;overflow:auto}
"""
_STATUS_CLASS = {"pass": "pass", "fail": "fail", "n/a": "na", "not judged": "nj"}


def to_html(run: Run) -> str:
    e = html.escape
    rows = "".join(
        f'<tr><td><a href="#{e(r.case.id)}">{e(r.case.id)}</a>: {e(r.case.title)}</td><td>{e(r.outcome.measured)}</td>'
        f'<td>{e(r.case.criterion)}</td><td class="{_STATUS_CLASS[r.outcome.status]}">{e(r.outcome.status)}</td></tr>'
        for r in run.results)
    sections = []
    for r in run.results:
        c, o = r.case, r.outcome
        figures = "".join(
            f'<figure><img alt="{e(f.title)}" src="data:image/png;base64,{base64.b64encode(f.png).decode()}">'
            f"<figcaption>{e(f.title)}</figcaption></figure>" for f in o.figures)
        error = f"<pre>{e(o.error)}</pre>" if o.error else ""
        scenarios = ", ".join(f"<code>scenarios/verification/{e(s)}</code>" for s in c.scenarios) or "none"
        sections.append(
            f'<section id="{e(c.id)}"><h2>{e(c.id)}: {e(c.title)}</h2><dl>'
            f'<dt>result</dt><dd class="{_STATUS_CLASS[o.status]}">{e(o.status)}</dd>'
            f"<dt>source</dt><dd>{e(c.source)}</dd><dt>criterion</dt><dd>{e(c.criterion)}</dd>"
            f"<dt>scenario</dt><dd>{scenarios}</dd>"
            f"<dt>run</dt><dd>{e((c.quick if run.variant == 'quick' else c.full) or '—')} ({r.wall_time_s:.1f} s)</dd>"
            f"<dt>measured</dt><dd>{e(o.measured)}</dd>"
            + (f"<dt>note</dt><dd>{e(o.note)}</dd>" if o.note else "") + f"</dl>{error}{figures}</section>")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>aforo verification report</title>'
            f"<style>{_CSS}</style></head><body><h1>aforo verification report</h1><p>{e(summary_line(run))}</p>"
            f"<table><tr><th>case</th><th>measured</th><th>criterion</th><th>result</th></tr>{rows}</table>"
            f"{''.join(sections)}</body></html>")


# --- files ---------------------------------------------------------------------------------------

def prepare_output(out_dir: Path) -> Path:
    """Create the output folder and prove it writable, before any case runs."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise VerificationError(f"{out_dir}: exists and is not a directory")
    try:
        (out_dir / "plots").mkdir(parents=True, exist_ok=True)
        probe = out_dir / ".write-test"
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        raise VerificationError(f"{out_dir}: cannot write the verification report there ({exc.strerror})") from exc
    return out_dir


def write_reports(run: Run, out_dir: Path) -> dict[str, Path]:
    """Write report.md, report.html, results.json and plots/*.png into ``out_dir``."""
    out_dir = prepare_output(out_dir)
    for stale in (out_dir / "plots").glob("*.png"):  # an earlier run's plots must not mix with these
        stale.unlink()
    for r in run.results:
        for f in r.outcome.figures:
            (out_dir / "plots" / f.file_name).write_bytes(f.png)
    paths = {"markdown": out_dir / "report.md", "html": out_dir / "report.html", "json": out_dir / "results.json"}
    paths["markdown"].write_text(to_markdown(run), encoding="utf-8")
    paths["html"].write_text(to_html(run), encoding="utf-8")
    paths["json"].write_text(json.dumps(to_json(run), indent=1, allow_nan=False), encoding="utf-8")
    return paths


# --- README --------------------------------------------------------------------------------------

def readme_block(run: Run, report_path: str) -> str:
    """What README.md holds between its markers: a line of counts and the results table."""
    lines = [README_START,
             f"Generated by `aforo verify {'--quick ' if run.variant == 'quick' else ''}--out DIR --readme README.md` "
             f"(do not edit by hand): {summary_line(run)}. The criteria, notes on every failure and the plots are in "
             f"the report it writes (here `{report_path}`).", "",
             *results_table(run, criterion=False), README_END]
    return "\n".join(lines)


def update_readme(readme: Path, run: Run, report_path: str) -> None:
    """Rewrite only the part of ``readme`` between the verify markers (markers kept)."""
    readme = Path(readme)
    try:
        text = readme.read_text(encoding="utf-8")
    except OSError as exc:
        raise VerificationError(f"{readme}: cannot read it ({exc.strerror})") from exc
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise VerificationError(f"{readme}: no '{README_START}' … '{README_END}' block to rewrite; add the two "
                                "markers where the results table should go")
    new = text[:start] + readme_block(run, report_path) + text[end + len(README_END):]
    try:
        readme.write_text(new, encoding="utf-8")
    except OSError as exc:
        raise VerificationError(f"{readme}: cannot write it ({exc.strerror})") from exc
