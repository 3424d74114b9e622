"""The registry of verification cases is complete and every case is described (issue #5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aforo.scenario import load
from aforo.verify import CASES, VerificationError, select
from aforo.verify.simulate import default_scenarios_dir

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios" / "verification"
NIST_IDS = {"nist-1.1", "nist-2.1", "nist-2.2", "nist-2.3", "nist-2.4", "nist-2.5", "nist-2.8", "nist-2.9", "nist-2.10",
            "nist-3.1", "nist-4.1", "nist-5.1", "nist-5.2"}


def test_every_suite_the_issue_names_is_there():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert {f"rimea-{k}" for k in range(1, 17)} <= set(ids)
    assert NIST_IDS <= set(ids)
    assert {"iso-18", "iso-19", "helbing-panic", "seyfried-bottleneck", "weidmann-fd", "stair-speeds"} <= set(ids)


def test_report_order_is_rimea_nist_iso_then_published():
    suites = [c.suite for c in CASES]
    order = ["RiMEA", "NIST TN 1822", "ISO 20414", "published data"]
    assert [s for k, s in enumerate(suites) if k == 0 or suites[k - 1] != s] == order
    rimea = [int(c.id.split("-")[1]) for c in CASES if c.suite == "RiMEA"]
    assert rimea == sorted(rimea)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_each_case_states_its_source_criterion_scenario_and_variants(case):
    assert case.title and case.source and case.criterion
    if case.applies:
        assert case.scenarios, "an applicable case names the scenario files it runs"
        assert case.quick and case.full
        for name in case.scenarios:
            assert load(SCENARIOS / name).agent_count > 0
    else:
        assert case.not_applicable and not case.scenarios


def test_not_applicable_cases_give_a_reason():
    na = [c for c in CASES if not c.applies]
    assert [c.id for c in na] == ["nist-2.9"]
    assert "group" in na[0].not_applicable


def test_every_shipped_verification_scenario_is_used_by_a_case():
    used = {s for c in CASES for s in c.scenarios}
    shipped = {p.name for p in SCENARIOS.glob("*.toml")}
    assert shipped == used


def test_scenarios_are_found_from_the_installed_package():
    assert default_scenarios_dir() == SCENARIOS


def test_select_by_id_and_pattern_keeps_report_order():
    assert [c.id for c in select(["rimea-2", "rimea-1"])] == ["rimea-1", "rimea-2"]
    assert {c.id for c in select(["iso-*"])} == {"iso-18", "iso-19"}
    assert len(select(None)) == len(CASES)


def test_select_unknown_id_names_the_known_ones():
    with pytest.raises(VerificationError, match=r"unknown verification case 'rimea-99'.*known: rimea-1"):
        select(["rimea-1", "rimea-99"])
