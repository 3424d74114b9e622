"""[harm] in a scenario: overrides laid over the models' defaults, with the models' own checks."""

from dataclasses import fields

import pytest

from aforo.errors import ScenarioError
from aforo.hazards.settings import DEFAULTS, harm_parameters
from aforo.scenario.model import HARM_KEYS, HarmSettings


def test_scenario_keys_are_the_models_parameter_names():
    assert {m: tuple(f.name for f in fields(d)) for m, d in DEFAULTS.items()} == HARM_KEYS


def test_no_overrides_gives_the_defaults():
    p = harm_parameters(HarmSettings())
    assert (p.compression, p.falls, p.exposure, p.floor) == tuple(DEFAULTS.values())


def test_overrides_replace_only_what_they_name():
    p = harm_parameters(HarmSettings(compression=(("lethal_time_high_s", 20.0),), falls=(("fall_rate_per_s", 0.0),)))
    assert p.compression.lethal_time_high_s == 20.0
    assert p.compression.lethal_force_high_n == DEFAULTS["compression"].lethal_force_high_n
    assert p.falls.fall_rate_per_s == 0.0
    assert p.exposure == DEFAULTS["exposure"]


def test_every_broken_rule_is_reported_at_its_scenario_path():
    with pytest.raises(ScenarioError) as err:
        harm_parameters(HarmSettings(compression=(("lethal_time_high_s", 400.0),),
                                     exposure=(("cs_ict50_mg_min_m3", -1.0),)))
    paths = [p.path for p in err.value.problems]
    assert "harm.compression.lethal_force_high_n" in paths  # the higher force must kill sooner
    assert "harm.exposure.cs_ict50_mg_min_m3" in paths
