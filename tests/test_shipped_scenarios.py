"""The shipped scenarios load, and the Los Olivos venue with its door open behaves as issue 2 asks."""

from pathlib import Path

import numpy as np
import pytest

from aforo.engine.metrics import Metrics
from aforo.engine.simulation import Simulation
from aforo.scenario import load

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.mark.parametrize("path", sorted(SCENARIOS.rglob("*.toml")), ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_shipped_scenario_loads(path):
    scenario = load(path)
    assert scenario.agent_count > 0


def test_los_olivos_open_door_everyone_leaves_unhurt():
    """120 occupants, door open: all get out, and no one's compression reaches Helbing's
    1600 N/m injury level (HFV 2000)."""
    sim = Simulation.from_scenario(load(SCENARIOS / "los-olivos" / "venue.toml"))
    metrics = Metrics()
    sim.run(observers=(metrics,))
    assert sim.state.count == 120
    assert not np.isnan(sim.exit_time_s).any()
    assert metrics.compression.value < 1600.0
    assert {p.line for p in sim.passages} == {"street"}


def test_prosecution_account_runs_to_the_end_with_the_door_held_until_forced():
    """scenarios/los-olivos/prosecution.toml: the door shuts at 20:52 (t = 720 s) and is forced
    at 21:20 (t = 2400 s). In between nobody passes it; the crowd sent down at 20:53 presses on
    it, and the load is larger at the door than up the stair (a crowd held against a door at the
    foot of a stair). Casualties are issue 4; their number is never a target here."""
    from aforo.engine.metrics import AreaMetrics, DoorMetrics

    scenario = load(SCENARIOS / "los-olivos" / "prosecution.toml")
    sim = Simulation.from_scenario(scenario)
    doors, areas = DoorMetrics(), AreaMetrics()
    sim.run(observers=(doors, areas))
    assert sim.time_s == pytest.approx(2700.0)
    times = np.array([p.time_s for p in sim.passages if p.line == "street"])
    assert not np.any((times > 720.0 + 0.01) & (times < 2400.0))  # held shut in between
    # once forced, the crowd pours out: everyone still on their feet leaves; those left inside
    # are the limp (dead, unconscious or fallen), however many that is (an outcome, issue 4)
    assert np.sum(times >= 2400.0) >= 50
    police = np.isin(sim.state.population, [k for k, p in enumerate(scenario.populations) if "officer" in p.name])
    assert np.all(sim.state.limp[sim.state.active & ~police])
    shut = [row for row in doors.rows if 800.0 <= row[1] <= 2390.0]
    # The leaves stay too near shut for anyone to pass (checked above by the passages). An
    # earlier bound, 1°, held while bodies stayed standing; with bodies on the floor (issue 4)
    # the crushed officer holding the door goes down once the crowd relents, and the crowd then
    # pushes a leaf ajar onto the bodies behind it: 8.6° and 34.6° in two versions of seed 0,
    # still too narrow to pass. The bound is now set by the width one person needs: the two
    # 0.45 m leaves ajar by less than 45° clear at most 2 × 0.45 × (1 − cos 45°) ≈ 0.26 m of the
    # door line, under a body's 0.4–0.5 m.
    assert max(row[5] for row in shut) < 45.0
    # the handle force it would have taken exceeds what one person can pull
    assert max(p.handle_force.value for p in doors.peaks) > scenario.levels[1].doors[0].handle_force
    fired = [(round(t), e.action) for t, e in sim.fired]
    assert fired == [(300, "enter"), (300, "enter"), (720, "close"), (780, "start"),
                     (2400, "force_open"), (2400, "release_role")]
    # while the door is held, the largest compression in each area, averaged over that time:
    # at the foot of the stair (the landing and the lowest 2 m) above the top of the flight
    held = {}
    for a in areas.summary():
        t = np.array(a["series"]["time_s"])
        worst = np.array(a["series"]["max_compression_n_per_m"])
        held[a["area"]] = worst[(t >= 900.0) & (t < 2390.0)].mean()
    bottom = max(held["landing"], held["lower-stair"])
    assert bottom > 1000.0 and bottom > held["upper-stair"]  # measured: 1386 against 821 N/m


def test_witnesses_account_runs_to_the_end_and_reports_casualties_with_places_and_causes():
    """scenarios/los-olivos/witnesses.toml: tear gas in the hall, the door sealed. The run must
    reach its end and record harm with where and why; how many is an outcome, not a target."""
    scenario = load(SCENARIOS / "los-olivos" / "witnesses.toml")
    sim = Simulation.from_scenario(scenario)
    sim.run()
    assert sim.time_s == pytest.approx(2700.0)
    air = sim.air
    assert air.released_mg == pytest.approx(5000.0, rel=1e-9)  # two grenades of 2.5 g CS
    f = air.field
    assert f.total_mass_mg + f.leaked_mg + f.ventilated_mg == pytest.approx(f.released_mg, rel=1e-9)
    rows = sim.harm.casualties
    assert rows and all(r["space"] in sim.venue.space_names and r["cause"] for r in rows)
    gassed = [r for r in rows if r["cause"] == "CS gas"]
    assert gassed and min(r["time_s"] for r in gassed) > 360.0  # not before the first grenade
    times = np.array([p.time_s for p in sim.passages if p.line == "street"])
    assert not np.any((times > 351.0) & (times < 2400.0))  # sealed from 20:45:50 to 21:20
