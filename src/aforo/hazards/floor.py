"""Bodies on the floor: who lies down, and what lying there means for the body and for others.

Issue #4 asks that unconscious and dead agents "become bodies on the floor that others slow
down over or stand on, and they still carry load". Nothing in shared/reference/ gives numbers
for it, so every value below is an ASSUMPTION, stated as one, settable in ``[harm.floor]``,
and to be varied in ensembles.

Where a body reaches the floor
------------------------------

A limp person (fallen, unconscious or dead: :mod:`aforo.engine.harm`) does not always go down.
In a crush at 6 /m² and more the unconscious are held upright by the pressure around them, and
the Los Olivos victims died in that state (shared/reference/los-olivos.md). A limp body is held
up by the friction of the bodies pressing it: with a total contact load F (N, the sum of k·g
over its contacts) and a friction coefficient μ between clothed bodies, friction can carry at
most μ F, so the body stays up while

    μ F ≥ m g          (``hold_friction`` μ = 0.5, ASSUMPTION: clothing on clothing)

and topples once that has failed for ``topple_s`` (0.5 s, ASSUMPTION: about the time a body
takes to fall from standing). For 80 kg that is F ≥ 1 570 N, below Helbing's injury load of
1 600 N/m × 2π r ≈ 2 200 N: whoever is pressed hard enough to be hurt is also held up. The rule
is the same for a person who *falls* (the fall model: loses footing under load): in a crush
there is no room to go down. A first version put everyone who fell on the floor at once; over
six seeds of the prosecution account 55 people fell, each fall took a pressed body out of the
crush, the crowd surged over them, and the account's outcome swung from about 20 dead to 3.5
dead and 53 unconscious. A person on the floor gets up as the fall model says, but not while
someone stands on it (no room to rise).

What lying means
----------------

- **Walkers step over, not into, a body**: a lying body exerts no contact or social force on
  anyone and feels none (kernels skip every pair with a lying body), and is in nobody's way in
  the headway rule or when stepping aside. It still meets walls and door leaves in full. Bodies
  on the floor therefore lie where they fell and may overlap, as bodies pile. A first version
  kept full contact between lying bodies: a person falling from on top of a body then landed
  inside it and the pair's contact force spiked to 15 900 N/m in one frame.
- **A body on the floor covers more floor than a standing one**: a lying adult is about
  1.7 m × 0.35 m ≈ 0.6 m² (anthropometry), against 0.15 m² for a standing disc of 0.22 m. Its
  footprint is taken as a disc of ``footprint_factor`` (2, ASSUMPTION: 0.6 m² for r = 0.22 m)
  times its standing radius about its centre.
- **Walking over a body is slow**: an upright agent whose disc overlaps a lying body's footprint
  walks at ``speed_factor_over_body`` (0.5, ASSUMPTION) of its desired speed.
- **Standing on a body loads it**: an upright agent whose centre lies within a lying body's
  footprint puts ``weight_fraction`` (0.5, ASSUMPTION: one foot of two) of its weight m g on it.
  That load is added to the body's contact force and so to its compression and asphyxia dose:
  people lying under a crowd are hurt by its weight, as in crowd collapses. At 6 /m² about
  3.6 people stand on a footprint of 0.6 m²: some 1 400 N, which kills in about 3.5 min by the
  asphyxia dose (hazards/injury.py).

Left out: a walker's choice to go round a body when there is room, tripping over one (the fall
model knows only load), and the weight of a body lying on another.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from aforo.errors import Problem, ScenarioError
from aforo.kernels.floor import GRAVITY_M_PER_S2
from aforo.kernels.floor import stood_on as _stood_on


@dataclass(frozen=True)
class FloorParameters:
    """How bodies go down and what lying means (all ASSUMPTIONS: module docstring)."""

    hold_friction: float = 0.5  # μ between pressed bodies: a limp body stays up while μ F ≥ m g
    topple_s: float = 0.5  # time unsupported before a limp body is on the floor
    speed_factor_over_body: float = 0.5  # walking speed over a lying body, fraction of desired
    weight_fraction: float = 0.5  # share of a walker's weight on a body it stands on
    footprint_factor: float = 2.0  # a lying body's footprint: a disc of this × its standing radius

    def __post_init__(self) -> None:
        problems = []
        for name in ("hold_friction", "topple_s", "speed_factor_over_body", "weight_fraction", "footprint_factor"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                problems.append(Problem(f"floor.{name}", f"must be finite and >= 0, got {value!r}"))
        for name in ("speed_factor_over_body", "weight_fraction"):
            value = getattr(self, name)
            if math.isfinite(value) and value > 1:
                problems.append(Problem(f"floor.{name}", f"must be at most 1, got {value!r}",
                                        "a fraction: 1 means no slowing / the whole weight"))
        if math.isfinite(self.footprint_factor) and not 0 < self.footprint_factor <= 3:
            problems.append(Problem("floor.footprint_factor", f"must be in (0, 3], got {self.footprint_factor!r}",
                                    "a lying adult covers about 1.7 m × 0.35 m ≈ 0.6 m²: 2 standing radii"))
        if problems:
            raise ScenarioError(problems)


DEFAULT_FLOOR = FloorParameters()


class BodiesOnFloor:
    """Per agent: lying on the floor or not. Public arrays ``lying`` (bool), ``time_lying_s``
    (when it last went down, NaN if never) and ``time_unsupported_s``."""

    def __init__(self, n_agents: int, params: FloorParameters = DEFAULT_FLOOR):
        n = int(n_agents)
        self.params = params
        self.lying = np.zeros(n, dtype=bool)
        self.time_lying_s = np.full(n, np.nan)
        self.time_unsupported_s = np.zeros(n)

    def update(self, dt_s: float, load_n, mass_kg, limp, time_s: float) -> np.ndarray:
        """One frame of ``dt_s`` ending at ``time_s``: ``load_n`` is each agent's mean contact
        load over it, ``limp`` who does not stand by themselves (fallen, unconscious, dead).
        Returns the agents that went down in this frame (index array)."""
        p = self.params
        load = np.asarray(load_n, dtype=np.float64)
        limp = np.asarray(limp, dtype=bool)
        held = p.hold_friction * load >= np.asarray(mass_kg) * GRAVITY_M_PER_S2
        standing_limp = limp & ~self.lying
        self.time_unsupported_s = np.where(standing_limp & ~held, self.time_unsupported_s + dt_s, 0.0)
        down = standing_limp & (self.time_unsupported_s >= p.topple_s - 1e-12)
        self.lying = (self.lying & limp) | down  # who is no longer limp (got up) stands again
        self.time_lying_s[down] = float(time_s)
        self.time_unsupported_s[down] = 0.0
        return np.flatnonzero(down)


def stood_on(pos_x, pos_y, radius, space, elevation, active, lying, time_lying_s, space_link, max_dz: float,
             footprint_factor: float) -> np.ndarray:
    """Per agent: True for a lying body with no room to rise: an upright agent's disc over its
    footprint, or a body that went down after it lying on its standing disc, in its space or a
    joined one at nearly its height. Compiled (kernels/floor.py): it runs every frame while
    bodies lie."""
    return _stood_on(np.asarray(pos_x, np.float64), np.asarray(pos_y, np.float64), np.asarray(radius, np.float64),
                     np.asarray(space), np.asarray(elevation, np.float64), np.asarray(active, bool),
                     np.asarray(lying, bool), np.asarray(time_lying_s, np.float64), np.asarray(space_link, bool),
                     float(max_dz), float(footprint_factor))
