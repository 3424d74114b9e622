"""aforo and JuPedSim side by side: one geometry, one crowd, one model family, one time step.

    pip install -e ".[bench]"          # jupedsim 1.4.2
    python benchmarks/vs_jupedsim.py   # 500, 2 000 and 8 000 agents
    python benchmarks/vs_jupedsim.py --agents 500 --steps 300

Issue #6, item 1. The geometry: a square room (20 × 20, 32 × 32 or 64 × 64 m for 500, 2 000 or
8 000 agents: 1.25, 1.95 and 1.95 persons/m²) with a 1.2 m door in the middle of its east wall,
through a 0.2 m wall into a corridor 2.4 m wide and 10 m long whose far end is the exit.

Both simulators get the same agents: aforo places them (its seeded spawn: hexagonal lattice,
jittered, no overlap) and JuPedSim receives the same positions, radii (U(0.20, 0.25) m), desired
speeds (N(1.34, 0.26) m/s), masses (80 kg) and relaxation times (0.5 s). Both use the
Helbing–Farkas–Vicsek social force with body compression and sliding friction and the same
constants (A = 2000 N, B = 0.08 m, k = 1.2 × 10⁵ kg/s², κ = 2.4 × 10⁵ kg/(m·s)), and dt = 0.01 s.
aforo's crowd is ``pushing`` (the plain HFV drive m v0/τ, as in JuPedSim; aforo's default
orderly walkers keep a headway, which JuPedSim's model has not). What differs is the model
beyond the law: aforo resolves contact in sub-steps and keeps centres out of walls; JuPedSim
integrates everything at dt and stops an agent that would leave the walkable area.

Each size runs aforo, then JuPedSim, in this one process, for ``--steps`` steps from rest (after
an untimed warm-up: aforo's kernels compiled or loaded on a throw-away simulation). aforo is
timed through ``Simulation.advance_frame`` (0.1 s frames: behaviour and harm included), JuPedSim
through ``Simulation.iterate``; neither writes trajectories. Agent-steps count the agents inside
at the start of each 0.1 s. A JuPedSim run that raises (its social force model stops with
"outside of accessible area" in dense crowds) is reported with the step it reached; its rate is
over the steps it completed, and the ratio compares aforo over those same steps (the first
seconds of the same evacuation; aforo's rate over all the steps is shown too). The table is
printed and everything written as JSON to benchmarks/results/. Nothing is asserted: the
machine may be shared (its load is recorded with every number).
"""

from __future__ import annotations

import argparse
import math
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from machine import cpu_seconds, git_revision, machine_description, machine_load, others_share, write_results

SIZES = {500: 20.0, 2_000: 32.0, 8_000: 64.0}  # agents: room side (m)
DOOR_WIDTH_M = 1.2
WALL_THICKNESS_M = 0.2
CORRIDOR_WIDTH_M = 2.4
CORRIDOR_LENGTH_M = 10.0
EXIT_AREA_DEPTH_M = 0.5  # JuPedSim's exit stage: the corridor's last half metre
TIME_STEP_S = 0.01
FRAME_STEPS = 10  # agents counted, and JuPedSim iterated, 0.1 s at a time (aforo's frame)
# HFV 2000 constants, as in aforo's defaults and JuPedSim's SocialForceModel defaults.
A_N, B_M, K_KG_S2, KAPPA_KG_M_S = 2000.0, 0.08, 1.2e5, 2.4e5


@dataclass(frozen=True)
class Room:
    side_m: float

    @property
    def ring(self) -> list[tuple[float, float]]:
        """Walkable outline, counter-clockwise: room, door through the wall, corridor."""
        s, mid, half_door, half_corr = self.side_m, self.side_m / 2, DOOR_WIDTH_M / 2, CORRIDOR_WIDTH_M / 2
        c0, c1 = s + WALL_THICKNESS_M, s + WALL_THICKNESS_M + CORRIDOR_LENGTH_M
        return [(0.0, 0.0), (s, 0.0), (s, mid - half_door), (c0, mid - half_door), (c0, mid - half_corr),
                (c1, mid - half_corr), (c1, mid + half_corr), (c0, mid + half_corr), (c0, mid + half_door),
                (s, mid + half_door), (s, s), (0.0, s)]

    @property
    def exit_line(self) -> tuple[tuple[float, float], tuple[float, float]]:
        x = self.side_m + WALL_THICKNESS_M + CORRIDOR_LENGTH_M
        mid = self.side_m / 2
        return (x, mid - CORRIDOR_WIDTH_M / 2), (x, mid + CORRIDOR_WIDTH_M / 2)

    @property
    def spawn(self) -> tuple[tuple[float, float], ...]:
        s = self.side_m
        return ((0.0, 0.0), (s, 0.0), (s, s), (0.0, s))


def aforo_simulation(agents: int, room: Room, seed: int = 0):
    from aforo.engine.simulation import Simulation
    from aforo.scenario.model import Exit, Level, PhysicsParameters, Population, RunSettings, Scenario

    scenario = Scenario.build(
        name=f"vs-jupedsim-{agents}",
        levels=(Level("ground", 0.0, (tuple(room.ring),), exits=(Exit("exit", "ground", room.exit_line),)),),
        populations=(Population("crowd", "ground", agents, spawn=room.spawn, pushing=True),),
        run=RunSettings(duration=3600.0, time_step=TIME_STEP_S, record_interval=FRAME_STEPS * TIME_STEP_S, seed=seed),
        physics=PhysicsParameters(social_repulsion_strength=A_N, social_repulsion_range=B_M, body_stiffness=K_KG_S2,
                                  sliding_friction=KAPPA_KG_M_S),
    )
    return Simulation.from_scenario(scenario)


def run_aforo(agents: int, room: Room, steps: int) -> dict:
    import numba

    build_start = time.perf_counter()
    sim = aforo_simulation(agents, room)
    setup_s = time.perf_counter() - build_start
    crowd = _initial_crowd(sim.state)
    agent_steps, wall, load = 0, 0.0, machine_load()
    frames = []  # (steps done, agent-steps so far, wall so far), to compare over JuPedSim's steps
    before = cpu_seconds()
    while sim.step_index < steps:
        inside = sim.active_count
        start = time.perf_counter()
        sim.advance_frame()
        wall += time.perf_counter() - start
        agent_steps += inside * FRAME_STEPS
        frames.append((sim.step_index, agent_steps, wall))
    d = sim.diagnostics
    problems = []
    if d.non_finite_resets:
        problems.append(f"{d.non_finite_resets} non-finite states reset")
    if d.wall_reverts:
        problems.append(f"wall guard reverted {d.wall_reverts} moves")
    return {
        "setup_s": setup_s, "steps": sim.step_index, "wall_s": wall, "agent_steps": agent_steps,
        "agent_steps_per_s": agent_steps / wall, "left": agents - sim.active_count,
        "substeps_per_step": d.substeps / max(d.outer_steps, 1), "threads": numba.get_num_threads(),
        "failed": None, "notes": problems, "load_before": load,
        "others_cpu_share": others_share(before, cpu_seconds()),
        "frames": frames,
        "crowd": crowd,  # what JuPedSim gets (dropped before writing JSON)
    }


def run_jupedsim(crowd: list[tuple[float, ...]], room: Room, steps: int) -> dict:
    """JuPedSim's social force model on aforo's initial crowd (positions and body parameters)."""
    import jupedsim as jps
    import shapely

    build_start = time.perf_counter()
    sim = jps.Simulation(model=jps.SocialForceModel(body_force=K_KG_S2, friction=KAPPA_KG_M_S),
                         geometry=shapely.Polygon(room.ring), dt=TIME_STEP_S)
    (x, y0), (_, y1) = room.exit_line
    exit_id = sim.add_exit_stage(shapely.box(x - EXIT_AREA_DEPTH_M, y0, x, y1))
    journey_id = sim.add_journey(jps.JourneyDescription([exit_id]))
    for px, py, r, v0, m, tau in crowd:
        sim.add_agent(jps.SocialForceModelAgentParameters(
            position=(px, py), orientation=(1.0, 0.0), journey_id=journey_id, stage_id=exit_id, mass=m,
            desired_speed=v0, reaction_time=tau, agent_scale=A_N, obstacle_scale=A_N, force_distance=B_M, radius=r,
        ))
    setup_s = time.perf_counter() - build_start
    agents = sim.agent_count()
    agent_steps, wall, failed, load = 0, 0.0, None, machine_load()
    before = cpu_seconds()
    while sim.iteration_count() < steps:
        inside = sim.agent_count()
        start = time.perf_counter()
        try:
            sim.iterate(FRAME_STEPS)
        except Exception as exc:  # noqa: BLE001 - any failure is the result to report
            wall += time.perf_counter() - start
            failed = f"{type(exc).__name__} at step {sim.iteration_count()} ({sim.elapsed_time():.2f} s): {exc}"
            break
        wall += time.perf_counter() - start
        agent_steps += inside * FRAME_STEPS
    return {
        "setup_s": setup_s, "steps": sim.iteration_count(), "wall_s": wall, "agent_steps": agent_steps,
        "agent_steps_per_s": agent_steps / wall if wall > 0 and agent_steps else None,
        "left": agents - sim.agent_count(), "threads": 1, "failed": failed, "notes": [], "load_before": load,
        "others_cpu_share": others_share(before, cpu_seconds()),
    }


def _initial_crowd(s) -> list[tuple[float, ...]]:
    """(x, y, radius, desired speed, mass, relaxation time) of every agent of an AgentState."""
    return list(zip(*(a.tolist() for a in (s.pos_x, s.pos_y, s.radius, s.desired_speed, s.mass, s.relaxation_time))))


def warm_up() -> None:
    """Compile (or load) aforo's kernels, serial and parallel, on a throw-away simulation."""
    from aforo.engine import simulation as engine

    for agents in (100, engine.PARALLEL_MIN_AGENTS):
        sim = aforo_simulation(agents, Room(20.0), seed=1)
        sim.advance_frame()


def compare(agents: int, steps: int) -> dict:
    room = Room(SIZES.get(agents, math.sqrt(agents / 2.0)))
    aforo = run_aforo(agents, room, steps)
    jupedsim = run_jupedsim(aforo.pop("crowd"), room, steps)
    frames = aforo.pop("frames")
    # aforo over the steps JuPedSim completed (the same stretch of the same evacuation), and the ratio
    done = [f for f in frames if f[0] <= jupedsim["steps"]]
    aforo["agent_steps_per_s_over_jupedsims_steps"] = done[-1][1] / done[-1][2] if done else None
    rate = jupedsim["agent_steps_per_s"]
    return {"agents": agents, "room_side_m": room.side_m, "density_per_m2": agents / room.side_m ** 2,
            "steps": steps, "aforo": aforo, "jupedsim": jupedsim,
            "ratio": aforo["agent_steps_per_s_over_jupedsims_steps"] / rate if rate and done else None,
            "ratio_aforo_all_steps": aforo["agent_steps_per_s"] / rate if rate else None}


def print_table(rows: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"aforo vs JuPedSim: room with a {DOOR_WIDTH_M} m door into a corridor, social force, "
                        f"dt {TIME_STEP_S} s")
    for c in ("agents", "room", "steps (aforo / JuPedSim)", "aforo agent-steps/s (same steps)",
              "JuPedSim agent-steps/s", "ratio", "aforo agent-steps/s (all steps)", "load (1 min)", "notes"):
        table.add_column(c, justify="left" if c == "notes" else "right")
    for r in rows:
        a, j = r["aforo"], r["jupedsim"]
        notes = [f"JuPedSim failed: {j['failed']}"] if j["failed"] else []
        notes += [f"aforo: {n}" for n in a["notes"]]
        notes.append(f"aforo {a['threads']} threads, {a['substeps_per_step']:.1f} contact sub-steps/step; "
                     f"left during the run: aforo {a['left']}, JuPedSim {j['left']}")
        table.add_row(
            f"{r['agents']:,}", f"{r['room_side_m']:g} × {r['room_side_m']:g} m", f"{a['steps']} / {j['steps']}",
            _g(a["agent_steps_per_s_over_jupedsims_steps"]), _g(j["agent_steps_per_s"]),
            f"{r['ratio']:.1f} ×" if r["ratio"] else "–", _g(a["agent_steps_per_s"]),
            f"{a['load_before'][0]:.2f} / {j['load_before'][0]:.2f}", "; ".join(notes),
        )
    Console(width=180).print(table)


def _g(value) -> str:
    return f"{value:.3g}" if value else "–"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, nargs="+", default=list(SIZES), help="crowd sizes (default: 500 2000 8000)")
    parser.add_argument("--steps", type=int, default=1000, help="time steps of 0.01 s to run (default 1000: 10 s)")
    args = parser.parse_args()
    try:
        import jupedsim
    except ImportError:
        raise SystemExit("jupedsim is not installed: pip install -e '.[bench]' (or pip install jupedsim==1.4.2)")

    warm_up()
    rows = [compare(n, args.steps) for n in args.agents]
    print_table(rows)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    report = {"rows": rows, "jupedsim": jupedsim.__version__, "machine": machine_description(),
              "revision": git_revision(), "utc": stamp, "load_after": machine_load(), "pid": os.getpid()}
    write_results(report, "vs_jupedsim")


if __name__ == "__main__":
    main()
