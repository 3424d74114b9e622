"""Navigation fields per distinct belief: computed once per (destination, doors believed out)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from shapely.geometry import Polygon

from aforo.navigation import NavField, compute_field
from aforo.venue.compiled import Venue, nav_spaces, nowhere_field


@dataclass(frozen=True)
class FieldKey:
    """What a field depends on: where to go, and which doors the agent rules out."""

    destination: str  # "exit", an outlet name, or an area name
    ruled_out: frozenset[str]  # doors believed blocked or not known


class FieldBook:
    """Fields by key; the kernel reads them stacked as [n_fields, n_cells, 2]."""

    def __init__(self, venue: Venue):
        self.venue = venue
        # The venue already holds the field to the nearest way out with every door known
        # (computed at compile): reuse it rather than march the whole raster again.
        everyone = FieldKey("exit", frozenset())
        self.keys: list[FieldKey] = [everyone]
        self.fields: list[NavField] = [venue.fields[0]]
        self._index: dict[FieldKey, int] = {everyone: 0}
        self._stack: np.ndarray | None = None
        self.cell_cost: np.ndarray | None = None  # per-cell slowness factor (gas people avoid)

    def index(self, key: FieldKey) -> int:
        """The field's index, computing it the first time the key is seen."""
        found = self._index.get(key)
        if found is not None:
            return found
        self._index[key] = len(self.keys)
        self.keys.append(key)
        self.fields.append(self._compute(key))
        self._stack = None
        return self._index[key]

    def recompute(self) -> None:
        """After a door changed state (and the venue recomputed its own exit field): every field
        in use is computed again."""
        self.fields = [self.venue.fields[0] if k == 0 and self.cell_cost is None else self._compute(key)
                       for k, key in enumerate(self.keys)]
        self._stack = None

    def set_cell_cost(self, cost: np.ndarray | None) -> None:
        """Change what cells cost (None: nothing extra) and recompute every field in use."""
        self.cell_cost = cost
        self.recompute()

    @property
    def directions(self) -> np.ndarray:
        if self._stack is None:
            self._stack = np.ascontiguousarray(np.stack([f.direction for f in self.fields]))
        return self._stack

    def _compute(self, key: FieldKey) -> NavField:
        v = self.venue
        sc = v.scenario
        barriers = [
            (v.space_index(d.level), d.jambs)
            for d in v.interior_doors
            if v.door_states[d.name] == "locked" or d.name in key.ruled_out
        ]
        targets, areas = [], []
        if key.destination in {a.name for a in sc.areas}:
            area = sc.area(key.destination)
            areas.append((v.space_index(area.space), Polygon(area.polygon)))
        else:
            for o in v.outlets:
                usable = o.door is None or (v.door_states[o.door] != "locked" and o.door not in key.ruled_out)
                if usable and key.destination in ("exit", o.name):
                    targets.append((o.space, o.segment))
        if not targets and not areas:
            return nowhere_field(v)
        return compute_field(v.nav_grid, spaces=nav_spaces(v), targets=targets, target_areas=areas, barriers=barriers,
                             cell_cost=self.cell_cost)
