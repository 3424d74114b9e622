"""Agent state as a structure of arrays, and the tuples the step kernel reads."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from aforo.engine.spawn import place
from aforo.hazards.floor import DEFAULT_FLOOR, FloorParameters
from aforo.kernels.constraints import new_nav_cache
from aforo.kernels.doors import MAX_STIFF_LEAVES
from aforo.kernels.floor import new_body_cache
from aforo.kernels.pair_list import new_pair_cache
from aforo.kernels.social_force import (
    MAX_STIFF_PARTNERS,
    MAX_STIFF_WALLS,
    N_PARAMS,
    P_A,
    P_B,
    P_BODY_FOOTPRINT,
    P_CLEARANCE,
    P_K,
    P_KAPPA,
    P_MARGIN,
    P_MAX_DZ,
    P_MAX_SUBSTEPS,
    P_RANGE,
    P_SPEED_OVER_BODY,
    P_STABILITY,
    P_WEIGHT_ON_BODY,
)
from aforo.scenario.model import PhysicsParameters, Scenario
from aforo.venue.compiled import JOIN_MAX_DZ_M, Venue

# Pairs closer than this gap (m) are integrated in contact sub-steps, so contact never starts
# unseen between two outer steps: at dt = 0.01 s it covers pairs closing at up to 6 m/s (two
# people running into each other at 3 m/s). With 0.03 m, pairs in a pushing crowd entered
# contact unsupervised and peak compression read ~40 % above a small-step reference
# (tests/engine/test_integrator_accuracy.py).
CONTACT_MARGIN_M = 0.06


# The agents tuple of kernels.step.advance, in its order, and the fields the step writes.
KERNEL_FIELDS = (
    "pos_x", "pos_y", "vel_x", "vel_y", "radius", "mass", "desired_speed", "relaxation_time", "space",
    "elevation", "active", "field_of_agent", "dir_x", "dir_y", "status", "contact_force", "headway_time",
    "start_step", "moving", "hold_x", "hold_y", "hold_force", "limp", "lying", "steer_choice", "load_sum",
)
STEP_WRITES = frozenset({"pos_x", "pos_y", "vel_x", "vel_y", "space", "elevation", "active", "dir_x", "dir_y",
                         "status", "contact_force", "steer_choice", "load_sum"})


@dataclass
class AgentState:
    """One entry per agent, in index order; agents that left keep their slot with active False."""

    pos_x: np.ndarray  # m
    pos_y: np.ndarray  # m
    vel_x: np.ndarray  # m/s
    vel_y: np.ndarray  # m/s
    radius: np.ndarray  # m
    mass: np.ndarray  # kg
    desired_speed: np.ndarray  # m/s on level ground
    relaxation_time: np.ndarray  # s
    space: np.ndarray  # int64 index into venue.space_names
    elevation: np.ndarray  # m
    active: np.ndarray  # bool: still in the venue
    field_of_agent: np.ndarray  # int64 index of the navigation field the agent follows
    dir_x: np.ndarray  # desired direction (unit)
    dir_y: np.ndarray
    status: np.ndarray  # int64 bit flags set by kernels (see kernels.social_force STATUS_*)
    contact_force: np.ndarray  # N, sum of body compression forces k·g on the agent (mean over the step)
    population: np.ndarray  # int64 index into scenario.populations
    headway_time: np.ndarray  # s; 0 = pushes (competitive), > 0 = keeps a headway (orderly)
    start_step: np.ndarray  # int64: stands (pre-movement) before this outer step
    moving: np.ndarray  # bool: False = told to stop, or waiting where it was sent
    hold_x: np.ndarray  # m, where a guard holds or a standing agent stands
    hold_y: np.ndarray
    hold_force: np.ndarray  # N, > 0 while a guard holds its post
    limp: np.ndarray  # bool: fallen, unconscious or dead (no walking; the body remains)
    lying: np.ndarray  # bool: a limp body on the floor (stepped over, not pushed: hazards/floor.py)
    steer_choice: np.ndarray  # int64: the line an orderly walker last chose (0 straight; kernels/steering.py)
    load_sum: np.ndarray  # N·steps: contact_force summed over the frame's steps (harm reads it)

    @property
    def count(self) -> int:
        return int(self.pos_x.size)

    @property
    def compression(self) -> np.ndarray:
        """Helbing's injury measure (N/m): radial contact force over the body's circumference."""
        return self.contact_force / (2.0 * np.pi * self.radius)

    def kernel_tuple(self) -> tuple:
        """The agents tuple in the order ``kernels.step.advance`` unpacks it."""
        return tuple(getattr(self, name) for name in KERNEL_FIELDS)

    def copy(self) -> "AgentState":
        return AgentState(**{f.name: getattr(self, f.name).copy() for f in fields(self)})


def spawn_agents(scenario: Scenario, venue: Venue) -> AgentState:
    """Draw every population's agents (seeded) and place them without overlap."""
    columns: dict[str, list[np.ndarray]] = {k: [] for k in ("x", "y", "r", "m", "v0", "tau", "space", "pop", "headway", "start")}
    for index, pop in enumerate(scenario.populations):
        seed = pop.seed if pop.seed is not None else (scenario.run.seed, index)
        rng = np.random.default_rng(seed)
        s = venue.space_index(pop.space)
        radius = pop.radius.sample(rng, pop.count)
        positions = place(pop, venue.space_areas[s], rng, float(radius.max(initial=0.0)))
        columns["x"].append(positions[:, 0])
        columns["y"].append(positions[:, 1])
        columns["r"].append(radius)
        columns["m"].append(pop.mass.sample(rng, pop.count))
        columns["v0"].append(pop.desired_speed.sample(rng, pop.count))
        columns["tau"].append(pop.relaxation_time.sample(rng, pop.count))
        columns["space"].append(np.full(pop.count, s, dtype=np.int64))
        columns["pop"].append(np.full(pop.count, index, dtype=np.int64))
        # Guards push to hold their post; everyone else as their population says.
        pushes = pop.pushing or pop.role == "guard"
        columns["headway"].append(np.full(pop.count, 0.0 if pushes else pop.headway_time))
        start_s = pop.start.sample(rng, pop.count) if pop.start is not None else np.zeros(pop.count)
        columns["start"].append(np.ceil(start_s / scenario.run.time_step - 1e-9))
    joined = {k: (np.concatenate(v) if v else np.zeros(0)) for k, v in columns.items()}
    n = joined["x"].size
    space = joined["space"].astype(np.int64)
    pos_x = joined["x"].astype(np.float64)
    pos_y = joined["y"].astype(np.float64)
    plane = venue.space_plane[space] if n else np.zeros((0, 3))
    return AgentState(
        pos_x=pos_x,
        pos_y=pos_y,
        vel_x=np.zeros(n),
        vel_y=np.zeros(n),
        radius=joined["r"].astype(np.float64),
        mass=joined["m"].astype(np.float64),
        desired_speed=joined["v0"].astype(np.float64),
        relaxation_time=joined["tau"].astype(np.float64),
        space=space,
        elevation=plane[:, 0] + plane[:, 1] * pos_x + plane[:, 2] * pos_y,
        active=np.ones(n, dtype=np.bool_),
        field_of_agent=np.zeros(n, dtype=np.int64),
        dir_x=np.zeros(n),
        dir_y=np.zeros(n),
        status=np.zeros(n, dtype=np.int64),
        contact_force=np.zeros(n),
        population=joined["pop"].astype(np.int64),
        headway_time=joined["headway"].astype(np.float64),
        start_step=joined["start"].astype(np.int64),
        moving=np.ones(n, dtype=np.bool_),
        hold_x=pos_x.copy(),  # standing agents keep the place they were put in
        hold_y=pos_y.copy(),
        hold_force=np.zeros(n),
        limp=np.zeros(n, dtype=np.bool_),
        lying=np.zeros(n, dtype=np.bool_),
        steer_choice=np.zeros(n, dtype=np.int64),
        load_sum=np.zeros(n),
    )


def kernel_parameters(physics: PhysicsParameters, floor: FloorParameters = DEFAULT_FLOOR) -> np.ndarray:
    """The float64 parameter vector of the force kernels (layout in kernels.social_force); how
    walkers meet bodies on the floor comes from the harm settings (``[harm.floor]``)."""
    params = np.zeros(N_PARAMS)
    params[P_A] = physics.social_repulsion_strength
    params[P_B] = physics.social_repulsion_range
    params[P_K] = physics.body_stiffness
    params[P_KAPPA] = physics.sliding_friction
    params[P_RANGE] = physics.interaction_range
    params[P_MARGIN] = CONTACT_MARGIN_M
    params[P_MAX_DZ] = JOIN_MAX_DZ_M
    params[P_CLEARANCE] = physics.wall_clearance_fraction
    params[P_STABILITY] = physics.contact_stability
    params[P_MAX_SUBSTEPS] = physics.max_substeps
    params[P_SPEED_OVER_BODY] = floor.speed_factor_over_body
    params[P_WEIGHT_ON_BODY] = floor.weight_fraction
    params[P_BODY_FOOTPRINT] = floor.footprint_factor
    return params


@dataclass
class Scratch:
    """Work arrays reused every step (allocated once per run). Between calls they hold the last
    step's values in the order the pipeline stored the agents (cell order for large crowds:
    engine.simulation.Simulation._advance_in_cell_order), so read them per agent only for
    crowds below CELL_ORDER_MIN_AGENTS."""

    old_x: np.ndarray
    old_y: np.ndarray
    smooth_fx: np.ndarray
    smooth_fy: np.ndarray
    stiff_partners: np.ndarray
    n_stiff: np.ndarray
    stiff_walls: np.ndarray
    n_stiff_walls: np.ndarray
    contact_rate: np.ndarray
    acc_x: np.ndarray
    acc_y: np.ndarray
    radial_sum: np.ndarray
    speed_now: np.ndarray
    gap_ahead: np.ndarray
    stiff_leaves: np.ndarray
    n_stiff_leaves: np.ndarray
    agent_leaf_torque: np.ndarray
    agent_leaf_force: np.ndarray
    pair_cache: tuple  # the serial force pass's pair list (kernels/pair_list.py)
    body_cache: tuple  # the agents near each body on the floor (kernels/floor.py)
    nav_cache: tuple  # each agent's last navigation raster read (kernels/constraints.py)

    @staticmethod
    def for_agents(n: int) -> "Scratch":
        z = lambda: np.zeros(n)  # noqa: E731
        return Scratch(
            old_x=z(), old_y=z(), smooth_fx=z(), smooth_fy=z(),
            stiff_partners=np.zeros((n, MAX_STIFF_PARTNERS), dtype=np.int64),
            n_stiff=np.zeros(n, dtype=np.int64),
            stiff_walls=np.zeros((n, MAX_STIFF_WALLS), dtype=np.int64),
            n_stiff_walls=np.zeros(n, dtype=np.int64),
            contact_rate=z(), acc_x=z(), acc_y=z(), radial_sum=z(), speed_now=z(), gap_ahead=z(),
            stiff_leaves=np.zeros((n, MAX_STIFF_LEAVES), dtype=np.int64),
            n_stiff_leaves=np.zeros(n, dtype=np.int64),
            agent_leaf_torque=np.zeros((n, MAX_STIFF_LEAVES)),
            agent_leaf_force=np.zeros((n, MAX_STIFF_LEAVES)),
            pair_cache=new_pair_cache(n),
            body_cache=new_body_cache(n),
            nav_cache=new_nav_cache(n),
        )

    def kernel_tuple(self) -> tuple:
        return tuple(getattr(self, f.name) for f in fields(self))
