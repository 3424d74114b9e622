"""What a verification case is, and what running one gives: plain data, no behaviour.

A :class:`Case` names a published test (its id, the suite it comes from, the source of its
criterion), states the criterion applied, points at its scenario file under
``scenarios/verification/``, and knows how to run itself in a quick or a full variant. Running
one gives an :class:`Outcome`: pass, fail, not applicable or not judged, the measured values, a
one-line summary for tables, an explanation, and plots where a curve is the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Literal

Status = Literal["pass", "fail", "n/a", "not judged"]
STATUSES: tuple[str, ...] = ("pass", "fail", "n/a", "not judged")
# "not judged": the case ran and its values are reported, but the published data its criterion
# needs is not in our references, so no verdict is given (never counted as a pass).


@dataclass(frozen=True)
class Figure:
    """A plot of a case's result: a title and the PNG bytes (embedded in the HTML report)."""

    title: str
    png: bytes
    file_name: str  # written next to the reports, e.g. "helbing-panic.png"


@dataclass
class Outcome:
    """The result of one case."""

    status: Status
    measured: str  # one line for the results table: the values that decide the verdict
    values: dict[str, Any] = field(default_factory=dict)  # every value, JSON-ready
    note: str = ""  # why it failed, what was simplified, what was not checked
    figures: list[Figure] = field(default_factory=list)
    error: str = ""  # set when the case raised instead of giving a verdict (a bug, not physics)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")


@dataclass(frozen=True)
class Case:
    """One verification case.

    ``run`` takes a :class:`aforo.verify.runner.Context` and returns an :class:`Outcome`; it is
    ``None`` for a test that does not apply to aforo, whose reason is ``not_applicable``.
    ``quick`` and ``full`` say what each variant runs (seeds, counts, sweeps), for the report.
    """

    id: str  # e.g. "rimea-4", "nist-2.8", "iso-18", "helbing-panic"
    suite: str  # "RiMEA", "NIST TN 1822", "ISO 20414", "published data"
    title: str
    source: str  # where the criterion is published (guideline and section, paper)
    criterion: str  # the criterion applied, stated
    scenarios: tuple[str, ...] = ()  # files under scenarios/verification/
    run: Callable[[Any], Outcome] | None = None
    not_applicable: str = ""  # the reason, when run is None
    quick: str = ""  # what the quick variant runs
    full: str = ""  # what the full variant runs

    def __post_init__(self) -> None:
        if (self.run is None) == (not self.not_applicable):
            raise ValueError(f"case {self.id}: give either run or a not_applicable reason, not both or neither")

    @property
    def applies(self) -> bool:
        return self.run is not None


@dataclass
class CaseResult:
    """A case, its outcome and how long it took (wall-clock seconds)."""

    case: Case
    outcome: Outcome
    wall_time_s: float
