"""A periodic corridor driven by the engine's own force kernels, for fundamental diagrams.

The engine has no periodic boundary, and a fundamental diagram needs a crowd held at one density
for a minute: RiMEA test 4 asks for a 1000 m corridor "or periodic" (shared/reference/
verification-suites.md). This driver runs the same compiled stages as ``kernels.step.advance``
(cells, smooth forces, the headway rule and stepping aside, free step, contact sub-steps, hard walls) on a
straight corridor ``0 ≤ x < length`` between walls at ``y = 0`` and ``y = width``, with every
agent walking towards +x. The ends are joined: before each step, agents within ``ghost_band_m``
of one end are copied, shifted by ± length, beyond the other end ("ghosts"). Ghosts take part in
every force as partners but are not integrated themselves; within contact sub-steps they follow
their originals. So the physics measured is the simulator's own, only the boundary differs.

What is not run: navigation fields (the desired direction is +x everywhere, which is what the
field gives in a straight corridor away from its ends), doors, stairs, lines, harm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numba
import numpy as np

from aforo.engine.state import kernel_parameters
from aforo.kernels.cells import build_agent_cells, build_wall_cells
from aforo.kernels.constraints import enforce_walls, guard_non_finite
from aforo.kernels.pair_list import new_pair_cache
from aforo.kernels.social_force import (
    MAX_STIFF_PARTNERS,
    MAX_STIFF_WALLS,
    P_CLEARANCE,
    P_MAX_DZ,
    P_MAX_SUBSTEPS,
    P_STABILITY,
    STATUS_WALL_REVERTED,
    free_accelerations,
    kick_drift,
    split_stiff,
    stiff_accelerations,
    substep_count,
)
from aforo.kernels.smooth_pass import smooth_forces
from aforo.kernels.steering import DECISION_INTERVAL_S, orderly_steering
from aforo.scenario.model import PhysicsParameters, Population

# As the engine sizes its cells (engine/simulation.py): two largest radii plus the range.
_CELL_SLACK_M = 0.05


@dataclass
class Crowd:
    """The real agents of a periodic run (structure of arrays, SI units)."""

    pos_x: np.ndarray  # m, in [0, length)
    pos_y: np.ndarray  # m
    vel_x: np.ndarray  # m/s
    vel_y: np.ndarray  # m/s
    radius: np.ndarray  # m
    mass: np.ndarray  # kg
    desired_speed: np.ndarray  # m/s
    relaxation_time: np.ndarray  # s
    headway_time: np.ndarray  # s (0: pushes)
    travelled_x: np.ndarray = field(default=None)  # m along x since the start (unwrapped)
    steer_choice: np.ndarray = field(default=None)  # the line each last chose (kernels/steering.py)

    def __post_init__(self):
        if self.travelled_x is None:
            self.travelled_x = np.zeros_like(self.pos_x)
        if self.steer_choice is None:
            self.steer_choice = np.zeros(self.pos_x.size, np.int64)

    @property
    def count(self) -> int:
        return int(self.pos_x.size)


def hexagonal_positions(count: int, length_m: float, width_m: float, margin_m: float,
                        rng: np.random.Generator) -> np.ndarray:
    """``count`` points on a hexagonal-like lattice over the corridor, at least ``margin_m`` from
    the side walls, as even as the count allows, jittered a little ([count, 2]).

    Even spacing matters at high density: random placement would start bodies overlapping
    deeply and blast the crowd apart before it settles.
    """
    usable_w = max(width_m - 2.0 * margin_m, 1e-6)
    spacing = math.sqrt(2.0 * length_m * usable_w / (math.sqrt(3.0) * max(count, 1)))
    n_x = max(1, int(math.floor(length_m / spacing)))
    n_y = max(1, int(math.floor(usable_w / (spacing * math.sqrt(3.0) / 2.0))) + 1)
    while n_x * n_y < count:  # tighten until everyone fits
        if (length_m / (n_x + 1)) > usable_w / max(n_y, 1):
            n_x += 1
        else:
            n_y += 1
    dx = length_m / n_x
    dy = usable_w / max(n_y - 1, 1) if n_y > 1 else 0.0
    xs, ys = [], []
    for row in range(n_y):
        y = margin_m + row * dy if n_y > 1 else width_m / 2.0
        shift = 0.5 * dx * (row % 2)
        for col in range(n_x):
            xs.append((col * dx + shift) % length_m)
            ys.append(y)
    points = np.column_stack([xs, ys])
    chosen = points[rng.choice(len(points), size=count, replace=False)]
    jitter = 0.1 * min(dx, dy if dy > 0 else dx)
    chosen[:, 0] = (chosen[:, 0] + rng.uniform(-jitter, jitter, count)) % length_m
    chosen[:, 1] = np.clip(chosen[:, 1] + rng.uniform(-jitter, jitter, count), margin_m, width_m - margin_m)
    return chosen


def crowd_at_density(population: Population, density_per_m2: float, length_m: float, width_m: float,
                     seed: int) -> Crowd:
    """Agents of ``population`` (its radius, speed, mass, τ, behaviour) at a density over the
    corridor's gross area, placed evenly."""
    return crowd_of(population, int(round(density_per_m2 * length_m * width_m)), length_m, width_m, seed)


def crowd_of(population: Population, count: int, length_m: float, width_m: float, seed: int) -> Crowd:
    """``count`` agents of ``population`` placed evenly over the corridor."""
    rng = np.random.default_rng(seed)
    radius = population.radius.sample(rng, count)
    pos = hexagonal_positions(count, length_m, width_m, float(radius.max(initial=0.25)), rng)
    headway = 0.0 if population.pushing else population.headway_time
    return Crowd(
        pos_x=pos[:, 0].copy(), pos_y=pos[:, 1].copy(), vel_x=np.zeros(count), vel_y=np.zeros(count),
        radius=radius, mass=population.mass.sample(rng, count),
        desired_speed=population.desired_speed.sample(rng, count),
        relaxation_time=population.relaxation_time.sample(rng, count),
        headway_time=np.full(count, headway),
    )


class PeriodicCorridor:
    """A corridor ``length_m`` × ``width_m`` whose ends are joined; advance with :meth:`step`."""

    def __init__(self, crowd: Crowd, length_m: float, width_m: float, physics: PhysicsParameters,
                 time_step_s: float = 0.01):
        self.crowd = crowd
        self.length_m = float(length_m)
        self.width_m = float(width_m)
        self.dt = float(time_step_s)
        self.params = kernel_parameters(physics)
        self.time_s = 0.0
        self.step_index = 0
        self.decide_steps = max(1, int(round(DECISION_INTERVAL_S / self.dt)))
        self.substeps = 0
        self.most_substeps = 0
        self.wall_reverts = 0
        r_max = float(crowd.radius.max(initial=0.35))
        self.cell_m = 2.0 * r_max + physics.interaction_range + _CELL_SLACK_M
        # Ghosts over two cells at each end: the neighbour search (forces and the headway gap
        # ahead) never reads further than the cells next to an agent's own.
        self.ghost_band_m = 2.0 * self.cell_m
        if self.length_m <= 2.0 * self.ghost_band_m:
            raise ValueError(f"corridor of {length_m} m is too short for periodic ghosts ({self.ghost_band_m:.2f} m each end)")
        reach = self.ghost_band_m + self.cell_m
        self.x_min = -reach
        self.y_min = -self.cell_m
        self.n_cx = int(math.ceil((self.length_m + 2.0 * reach) / self.cell_m))
        self.n_cy = int(math.ceil((self.width_m + 2.0 * self.cell_m) / self.cell_m))
        self.walls = np.array([[-reach, 0.0, self.length_m + reach, 0.0],
                               [-reach, self.width_m, self.length_m + reach, self.width_m]])
        self.wall_space = np.zeros(2, np.int64)
        self.wall_start, self.wall_ids = build_wall_cells(self.walls, self.x_min, self.y_min, self.cell_m,
                                                          self.n_cx, self.n_cy)
        self.space_link = np.ones((1, 1), dtype=np.bool_)
        self.pair_cache = new_pair_cache(0)  # never made here (the serial force pass makes it): cells
        n_max = 3 * crowd.count + 1  # real agents and at most one ghost each (bounded generously)
        self._buffers(n_max)

    def _buffers(self, n: int) -> None:
        z = lambda: np.zeros(n)  # noqa: E731
        self.b = dict(
            x=z(), y=z(), vx=z(), vy=z(), r=z(), m=z(), v0=z(), tau=z(), headway=z(), speed=z(),
            dir_x=np.ones(n), dir_y=z(), fx=z(), fy=z(), rate=z(), gap=z(), acc_x=z(), acc_y=z(),
            radial=z(), old_x=z(), old_y=z(), space=np.zeros(n, np.int64), elevation=z(),
            status=np.zeros(n, np.int64), partners=np.zeros((n, MAX_STIFF_PARTNERS), np.int64),
            n_stiff=np.zeros(n, np.int64), walls=np.zeros((n, MAX_STIFF_WALLS), np.int64),
            n_walls=np.zeros(n, np.int64), n_leaves=np.zeros(n, np.int64),
            # every agent walks from the start: no pre-movement, posts, limp or lying bodies here
            start_step=np.zeros(n, np.int64), moving=np.ones(n, np.bool_), hold_force=z(),
            limp=np.zeros(n, np.bool_), lying=np.zeros(n, np.bool_), steer=np.zeros(n, np.int64),
        )

    def step(self) -> None:
        """One outer step of ``time_step_s`` (the stages of kernels.step.advance, periodic)."""
        c = self.crowd
        n = c.count
        L = self.length_m
        band = self.ghost_band_m
        low = np.flatnonzero(c.pos_x < band)
        high = np.flatnonzero(c.pos_x >= L - band)
        origin = np.concatenate([low, high])  # ghost k copies real agent origin[k]
        shift = np.concatenate([np.full(low.size, L), np.full(high.size, -L)])
        total = n + origin.size
        b = {k: v[:total] for k, v in self.b.items()}
        for key, column in (("x", c.pos_x), ("y", c.pos_y), ("vx", c.vel_x), ("vy", c.vel_y), ("r", c.radius),
                            ("m", c.mass), ("v0", c.desired_speed), ("tau", c.relaxation_time),
                            ("headway", c.headway_time)):
            b[key][:n] = column
            b[key][n:] = column[origin]
        b["x"][n:] += shift
        b["old_x"][:] = b["x"]
        b["old_y"][:] = b["y"]
        b["speed"][:] = b["v0"]
        b["dir_x"][:] = 1.0
        b["dir_y"][:] = 0.0
        every = np.ones(total, dtype=np.bool_)
        real = np.zeros(total, dtype=np.bool_)
        real[:n] = True
        b["radial"][:] = 0.0

        def sync_ghosts():
            b["x"][n:] = b["x"][origin] + shift
            b["y"][n:] = b["y"][origin]
            b["vx"][n:] = b["vx"][origin]
            b["vy"][n:] = b["vy"][origin]

        # One thread: the kernels' results do not depend on it, and on a busy machine a parallel
        # region waits for preempted workers (engine/simulation.py, PARALLEL_MIN_AGENTS).
        threads = numba.get_num_threads()
        numba.set_num_threads(1)
        try:
            cell_start, cell_agents, agent_cell = build_agent_cells(
                b["x"], b["y"], every, self.x_min, self.y_min, self.cell_m, self.n_cx, self.n_cy)
            # Forces only for real agents (``real``); ghosts stand in the cell lists as partners.
            smooth_forces(
                b["x"], b["y"], b["vx"], b["vy"], b["r"], b["m"], b["space"], b["elevation"], real, b["lying"],
                cell_start, cell_agents, agent_cell, self.n_cx, self.n_cy,
                self.walls, self.wall_space, self.wall_start, self.wall_ids, self.space_link, self.params,
                b["dir_x"], b["dir_y"], b["headway"], self.pair_cache, b["fx"], b["fy"], b["partners"], b["n_stiff"], b["walls"],
                b["n_walls"], b["rate"], b["gap"], b["status"], numba.get_num_threads(),
            )
            b["steer"][:n] = c.steer_choice
            b["steer"][n:] = 0
            orderly_steering(
                self.step_index, self.decide_steps, None, b["x"], b["y"], b["vx"], b["vy"], b["r"], b["space"],
                b["elevation"], real, b["start_step"], b["moving"], b["hold_force"], b["limp"], b["lying"],
                b["headway"], b["steer"], cell_start, cell_agents, agent_cell, self.n_cx,
                self.n_cy, self.cell_m, self.walls, self.wall_space, self.wall_start, self.wall_ids,
                self.space_link, self.params[P_MAX_DZ], b["gap"], b["dir_x"], b["dir_y"], b["speed"],
            )
            stiff_ids, free_ids, rate = split_stiff(real, b["n_stiff"], b["n_walls"], b["n_leaves"], b["rate"])
            free_accelerations(free_ids, b["vx"], b["vy"], b["m"], b["speed"], b["tau"], b["dir_x"], b["dir_y"],
                               b["fx"], b["fy"], b["acc_x"], b["acc_y"])
            kick_drift(free_ids, b["x"], b["y"], b["vx"], b["vy"], b["acc_x"], b["acc_y"], self.dt)
            sync_ghosts()
            n_sub = 0
            if stiff_ids.size:
                n_sub = substep_count(self.dt, rate, self.params[P_STABILITY], int(self.params[P_MAX_SUBSTEPS]))
                h = self.dt / n_sub
                for _ in range(n_sub):
                    stiff_accelerations(
                        stiff_ids, b["x"], b["y"], b["vx"], b["vy"], b["r"], b["m"], b["speed"], b["tau"],
                        b["dir_x"], b["dir_y"], b["fx"], b["fy"], b["partners"], b["n_stiff"], self.walls,
                        b["walls"], b["n_walls"], self.params, b["acc_x"], b["acc_y"], b["radial"],
                    )
                    kick_drift(stiff_ids, b["x"], b["y"], b["vx"], b["vy"], b["acc_x"], b["acc_y"], h)
                    sync_ghosts()
            b["status"][:] = 0
            enforce_walls(b["old_x"], b["old_y"], b["x"], b["y"], b["vx"], b["vy"], b["r"], b["space"], real,
                          agent_cell, self.walls, self.wall_space, self.wall_start, self.wall_ids, self.pair_cache,
                          self.params[P_CLEARANCE], b["status"])
            guard_non_finite(b["old_x"], b["old_y"], b["x"], b["y"], b["vx"], b["vy"], real, b["status"])
        finally:
            numba.set_num_threads(threads)
        self.wall_reverts += int(np.count_nonzero(b["status"][:n] & STATUS_WALL_REVERTED))
        self.substeps += n_sub
        self.most_substeps = max(self.most_substeps, n_sub)
        c.travelled_x += b["x"][:n] - c.pos_x
        wrapped = np.mod(b["x"][:n], L)
        wrapped[wrapped >= L] = 0.0  # np.mod of a tiny negative number can round to L
        c.pos_x[:] = wrapped
        c.pos_y[:] = b["y"][:n]
        c.vel_x[:] = b["vx"][:n]
        c.vel_y[:] = b["vy"][:n]
        c.steer_choice[:] = b["steer"][:n]
        self.time_s += self.dt
        self.step_index += 1
