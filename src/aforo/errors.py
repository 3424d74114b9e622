"""The error hierarchy. Every error aforo raises on purpose is an :class:`AforoError`."""

from __future__ import annotations

from dataclasses import dataclass


class AforoError(Exception):
    """Base of every error aforo raises on purpose; the CLI prints these without a traceback."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: where, what was found, which rule it breaks, how to fix it."""

    path: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text


class ScenarioError(AforoError, ValueError):
    """A scenario is invalid. Carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem] | Problem, source: str | None = None):
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        self.source = source
        where = f" in {source}" if source else ""
        count = len(self.problems)
        lines = [f"{count} problem{'s' if count != 1 else ''}{where}:"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class SimulationError(AforoError, RuntimeError):
    """The simulation cannot go on (not raised for one misbehaving agent: that is reported)."""


class RunDirectoryError(AforoError, OSError):
    """The run directory cannot be written or read."""
