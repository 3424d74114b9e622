"""Door leaves: the static geometry and the dynamic state the door kernels read."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aforo.kernels.doors import LEAF_FREE, LEAF_GONE, LEAF_LATCHED, LEAF_LOCKED, update_leaf_segments
from aforo.scenario.model import Door

MODE_OF_STATE = {"open": LEAF_FREE, "closed": LEAF_FREE, "latched": LEAF_LATCHED, "locked": LEAF_LOCKED,
                 "broken": LEAF_GONE}


@dataclass
class Leaves:
    """All leaves of a venue, one entry per leaf (a double door has two)."""

    door: list[str]  # door name of each leaf
    hinge_x: np.ndarray
    hinge_y: np.ndarray
    length: np.ndarray  # m
    base_angle: np.ndarray  # rad, direction hinge → tip when shut
    sign: np.ndarray  # +1 / −1: opening turns the leaf this way
    max_angle: np.ndarray  # rad
    inertia: np.ndarray  # kg·m², m L²/3
    space: np.ndarray  # int64
    mode: np.ndarray  # int64 LEAF_*
    handle_force: np.ndarray  # N
    frame: np.ndarray  # [nl, 4] the door's jamb segment
    angle: np.ndarray  # rad (state)
    omega: np.ndarray  # rad/s (state)
    segment: np.ndarray  # [nl, 4] current leaf segment
    torque: np.ndarray  # N·m, last sub-step's total contact torque (opening positive)
    force_sum: np.ndarray  # N, contact force magnitudes summed over the frame's sub-steps
    closing_sum: np.ndarray  # N·m, closing torques summed over the frame's sub-steps
    handle_torque: np.ndarray  # N·m, from a person at the handle this step

    @property
    def count(self) -> int:
        return len(self.door)

    def kernel_tuple(self) -> tuple:
        return (
            self.hinge_x, self.hinge_y, self.length, self.base_angle, self.sign, self.max_angle,
            self.inertia, self.space, self.mode, self.handle_force, self.frame, self.angle,
            self.omega, self.segment, self.torque, self.force_sum, self.closing_sum, self.handle_torque,
        )

    def set_state(self, door: str, state: str) -> None:
        """Apply a door state to its leaves: latching and locking shut them; breaking removes them."""
        for l, name in enumerate(self.door):
            if name != door:
                continue
            self.mode[l] = MODE_OF_STATE[state]
            if state in ("latched", "locked"):  # the act of latching shuts the door
                self.angle[l] = 0.0
                self.omega[l] = 0.0
            elif state == "open":
                self.angle[l] = self.max_angle[l]
                self.omega[l] = 0.0
            elif state == "closed":
                self.angle[l] = 0.0
                self.omega[l] = 0.0
        self.refresh()

    def refresh(self) -> None:
        update_leaf_segments(self.hinge_x, self.hinge_y, self.length, self.base_angle, self.sign,
                             self.angle, self.segment)


def build_leaves(doors: list[tuple[Door, int, tuple[float, float]]]) -> Leaves:
    """Leaves of the given doors. Each entry: (door, space index, unit normal towards its swing side)."""
    rows = []
    for door, space, swing_normal in doors:
        (x1, y1), (x2, y2) = door.jambs
        hinges = [((x1, y1), (x2, y2))] if door.hinge == "first" else [((x2, y2), (x1, y1))]
        if door.leaves == 2:
            mid = (0.5 * (x1 + x2), 0.5 * (y1 + y2))
            hinges = [((x1, y1), mid), ((x2, y2), mid)]
        for (hx, hy), (tx, ty) in hinges:
            length = float(np.hypot(tx - hx, ty - hy))
            base = float(np.arctan2(ty - hy, tx - hx))
            # turning by +θ moves the tip towards the left normal of hinge → tip
            left = (-np.sin(base), np.cos(base))
            sign = 1.0 if left[0] * swing_normal[0] + left[1] * swing_normal[1] > 0 else -1.0
            rows.append((door.name, hx, hy, length, base, sign, door.max_angle,
                         door.leaf_mass * length**2 / 3.0, space, MODE_OF_STATE[door.state],
                         door.handle_force, (x1, y1, x2, y2),
                         door.max_angle if door.state == "open" else 0.0))
    n = len(rows)
    col = lambda k, dtype=np.float64: np.array([r[k] for r in rows], dtype=dtype).reshape(n)  # noqa: E731
    leaves = Leaves(
        door=[r[0] for r in rows], hinge_x=col(1), hinge_y=col(2), length=col(3), base_angle=col(4),
        sign=col(5), max_angle=col(6), inertia=col(7), space=col(8, np.int64), mode=col(9, np.int64),
        handle_force=col(10), frame=np.array([r[11] for r in rows], dtype=np.float64).reshape(n, 4),
        angle=col(12), omega=np.zeros(n), segment=np.zeros((n, 4)), torque=np.zeros(n),
        force_sum=np.zeros(n), closing_sum=np.zeros(n), handle_torque=np.zeros(n),
    )
    leaves.refresh()
    return leaves
