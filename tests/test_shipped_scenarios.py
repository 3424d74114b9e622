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
