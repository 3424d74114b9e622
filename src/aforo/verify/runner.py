"""Run verification cases: quick or full, one after another, with progress, into results.

Several cases read one experiment (RiMEA 4 and Weidmann's diagram share the periodic corridor;
RiMEA 12 and the Seyfried comparison share the bottleneck sweep): :meth:`Context.shared`
computes such an experiment once per verification run.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from aforo.scenario.model import Scenario
from aforo.verify.model import Case, CaseResult, Outcome
from aforo.verify.simulate import default_scenarios_dir, load_scenario


@dataclass
class Context:
    """What a case's ``run`` receives: the variant, the scenario files, a memo, progress."""

    full: bool = False
    scenarios_dir: Path = field(default_factory=default_scenarios_dir)
    note_progress: Callable[[str], None] = lambda text: None
    _memo: dict = field(default_factory=dict)
    _scenarios: dict = field(default_factory=dict)

    @property
    def variant(self) -> str:
        return "full" if self.full else "quick"

    def pick(self, quick: Any, full: Any) -> Any:
        """The quick or the full value of a setting."""
        return full if self.full else quick

    def scenario(self, name: str) -> Scenario:
        """A scenario file of scenarios/verification, loaded once."""
        if name not in self._scenarios:
            self._scenarios[name] = load_scenario(self.scenarios_dir, name)
        return self._scenarios[name]

    def shared(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per verification run; later calls with ``key`` reuse it."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def progress(self, text: str) -> None:
        self.note_progress(text)


def run_case(case: Case, ctx: Context) -> CaseResult:
    """Run one case. A case that raises is reported as a failure with the error, not a crash:
    a verification run always ends with a report."""
    started = time.perf_counter()
    if not case.applies:
        outcome = Outcome("n/a", "not applicable", note=case.not_applicable)
    else:
        try:
            outcome = case.run(ctx)
        except Exception as exc:  # noqa: BLE001 — reported in the case, with the traceback
            outcome = Outcome("fail", f"error: {type(exc).__name__}: {exc}",
                              note="The case raised an error instead of giving a verdict.",
                              error=traceback.format_exc(limit=8))
    return CaseResult(case, outcome, time.perf_counter() - started)


def run_cases(cases: list[Case], ctx: Context, on_result: Callable[[CaseResult], None] = lambda r: None) -> list[CaseResult]:
    results = []
    for case in cases:
        ctx.progress(case.id)
        result = run_case(case, ctx)
        results.append(result)
        on_result(result)
    return results
