"""Every scenario shipped under scenarios/ loads, is documented and solves."""

from __future__ import annotations

from pathlib import Path

import pytest

import bargain

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").rglob("*.toml"))


def test_there_are_scenarios():
    """The catalogue is not empty."""
    assert len(SCENARIOS) >= 5


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: str(p.relative_to(ROOT)))
def test_scenario_loads_and_solves(path):
    """Each scenario loads, every parameter has a unit and a source, and Nash is computed."""
    scenario = bargain.load(path)
    for param in scenario.parameters.values():
        assert param.unit.strip() and param.source.strip()
    report = bargain.solve(scenario, methods=["nash"], resolution=41)
    assert report.solutions["nash"].status in bargain.STATUSES
    assert report.to_json()
