"""Every verification case, in report order, and selection by id.

Order: RiMEA 1–16, NIST TN 1822, ISO 20414, then the comparisons with published data.
"""

from __future__ import annotations

import fnmatch

from aforo.verify import nist, published, rimea
from aforo.verify.model import Case
from aforo.verify.simulate import VerificationError

CASES: tuple[Case, ...] = (
    *rimea.CASES,
    *(c for c in nist.CASES if c.suite != "ISO 20414"),
    *(c for c in nist.CASES if c.suite == "ISO 20414"),
    *published.CASES,
)

_ids = [c.id for c in CASES]
if len(set(_ids)) != len(_ids):  # pragma: no cover - caught by the registry test
    raise RuntimeError(f"duplicate verification case ids: {sorted(i for i in _ids if _ids.count(i) > 1)}")


def case(case_id: str) -> Case:
    for c in CASES:
        if c.id == case_id:
            return c
    raise KeyError(case_id)


def select(patterns: list[str] | None) -> list[Case]:
    """The cases named by ``patterns`` (ids, or shell patterns such as ``rimea-*``), in report
    order; all cases when none are given. An unknown id is an error naming the known ones."""
    if not patterns:
        return list(CASES)
    unknown = [p for p in patterns if not any(fnmatch.fnmatchcase(c.id, p) for c in CASES)]
    if unknown:
        raise VerificationError(
            f"unknown verification case{'s' if len(unknown) > 1 else ''} {', '.join(repr(u) for u in unknown)}; "
            f"known: {', '.join(_ids)} (patterns such as 'rimea-*' work too)")
    return [c for c in CASES if any(fnmatch.fnmatchcase(c.id, p) for p in patterns)]
