"""The harm models' parameters for one scenario: the defaults, with the file's ``[harm]`` laid over.

The defaults and their sources live with the models (:mod:`aforo.hazards.injury`,
:mod:`aforo.hazards.exposure`, :mod:`aforo.hazards.floor`); a scenario stores only what it changes (``HarmSettings``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from aforo.errors import Problem, ScenarioError
from aforo.hazards.exposure import DEFAULT_EXPOSURE, ExposureParameters
from aforo.hazards.floor import DEFAULT_FLOOR, FloorParameters
from aforo.hazards.injury import DEFAULT_COMPRESSION, DEFAULT_FALLS, CompressionParameters, FallParameters
from aforo.scenario.model import HarmSettings

DEFAULTS = {"compression": DEFAULT_COMPRESSION, "falls": DEFAULT_FALLS, "exposure": DEFAULT_EXPOSURE,
            "floor": DEFAULT_FLOOR}


@dataclass(frozen=True)
class HarmParameters:
    compression: CompressionParameters = DEFAULT_COMPRESSION
    falls: FallParameters = DEFAULT_FALLS
    exposure: ExposureParameters = DEFAULT_EXPOSURE
    floor: FloorParameters = DEFAULT_FLOOR


def harm_parameters(harm: HarmSettings) -> HarmParameters:
    """Every model's parameters; all rule breaks raised at once as :class:`ScenarioError` at
    ``harm.<model>.<name>`` (the models check their own ranges and cross-rules)."""
    chosen = {}
    problems: list[Problem] = []
    for model, default in DEFAULTS.items():
        try:
            chosen[model] = replace(default, **dict(getattr(harm, model)))
        except ScenarioError as exc:
            problems += [Problem(f"harm.{p.path}", p.message, p.hint) for p in exc.problems]
        except TypeError as exc:  # an unknown name given through the Python API
            problems.append(Problem(f"harm.{model}", str(exc), "see aforo.hazards for the parameter names"))
    if problems:
        raise ScenarioError(problems)
    return HarmParameters(**chosen)
