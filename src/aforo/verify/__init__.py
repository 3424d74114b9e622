"""``aforo verify``: the published verification cases run against aforo, and their report.

    from aforo.verify import run_verification, write_reports

    run = run_verification(["rimea-1", "helbing-panic"], full=False)
    write_reports(run, "runs/verify")      # report.md, report.html, results.json, plots/

The cases (RiMEA 1–16, NIST TN 1822, ISO 20414 tests 18 and 19, Helbing 2000's panic room,
Seyfried 2009's bottleneck, Weidmann's fundamental diagram, stair speeds) are listed in
:mod:`aforo.verify.registry`; docs/verification.md describes each.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import numba

from aforo.verify.model import Case, CaseResult, Outcome
from aforo.verify.registry import CASES, select
from aforo.verify.report import Run, update_readme, write_reports
from aforo.verify.runner import Context, run_cases
from aforo.verify.simulate import VerificationError, default_scenarios_dir

__all__ = ["CASES", "Case", "CaseResult", "Context", "Outcome", "Run", "VerificationError", "run_verification",
           "select", "update_readme", "write_reports"]


def run_verification(
    case_ids: list[str] | None = None,
    *,
    full: bool = False,
    scenarios_dir: Path | None = None,
    threads: int = 1,
    on_progress: Callable[[str], None] = lambda text: None,
    on_result: Callable[[CaseResult], None] = lambda result: None,
) -> Run:
    """Run the selected cases (all by default), quick or full, and return the results.

    ``threads`` is numba's thread count for the runs (1 by default: results do not depend on
    it, and most cases are small crowds that a parallel region only slows on a busy machine).
    """
    cases = select(case_ids)
    directory = Path(scenarios_dir) if scenarios_dir is not None else default_scenarios_dir()
    if not directory.is_dir():
        raise VerificationError(f"{directory}: no verification scenarios there (pass --scenarios DIR pointing "
                                "at aforo's scenarios/verification)")
    ctx = Context(full=full, scenarios_dir=directory, note_progress=on_progress)
    before = numba.get_num_threads()
    numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    started = time.perf_counter()
    try:
        results = run_cases(cases, ctx, on_result)
    finally:
        numba.set_num_threads(before)
    return Run(results=results, variant=ctx.variant, wall_time_s=time.perf_counter() - started)
