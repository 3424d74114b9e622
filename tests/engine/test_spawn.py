"""Placing people at the start."""

from aforo.engine.simulation import Simulation
from aforo.scenario.model import Exit, Level, Population, RunSettings, Scenario


def test_a_population_of_zero_is_allowed_and_places_nobody():
    room = ((0, 0), (6, 0), (6, 1), (6, 2), (6, 6), (0, 6))
    scenario = Scenario(
        name="empty-population",
        levels=(Level("room", 0.0, (room,), exits=(Exit("out", "room", ((6, 1), (6, 2))),)),),
        populations=(Population("nobody", "room", 0), Population("some", "room", 5)),
        run=RunSettings(duration=60.0))
    sim = Simulation.from_scenario(scenario)
    assert sim.state.count == 5
    assert set(sim.state.population.tolist()) == {1}
    sim.run()
    assert not sim.state.active.any()  # the five walked out
