"""The Korea–US model: sourced parameters and economic sanity across the parameter ranges."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bargain
from bargain import Frontier, nash_solution, rubinstein_solution, zone_of_agreement

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = "scenarios/korea_us/september_2025_standoff.toml"
FILES = sorted((ROOT / "scenarios" / "korea_us").glob("*.toml"))
STEP_TOL = 1e-7  # solver noise in e is ~1e-9; weak inequalities allow this much

#: parameters a student would vary, drawn inside their ranges for the properties
VARIED = [
    "crisis_loss_share",
    "reserves",
    "swap_line",
    "home_share",
    "q_us",
    "inc_auto",
    "us_direct_value",
    "crisis_steepness",
    "p_crisis_max",
    "res_usable",
]


@pytest.fixture(scope="module")
def flagship():
    """The flagship scenario, loaded once."""
    return bargain.load(FLAGSHIP)


def _equity(scenario, method="nash"):
    """Equity share e* under Nash (or Rubinstein), or None without an agreement."""
    problem = scenario.problem()
    frontier = Frontier(problem, resolution=31)
    solver = nash_solution if method == "nash" else rubinstein_solution
    sol = solver(problem, frontier=frontier)
    return sol, frontier


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_parameter_has_a_source_and_judgements_a_range(path):
    """Every parameter has value, unit and source; every judgement call has a range."""
    scenario = bargain.load(path)
    for p in scenario.parameters.values():
        assert p.unit.strip() and p.source.strip()
        if "judgement" in p.source.lower():
            assert p.range is not None, f"{p.name} is a judgement without a range"


def test_flagship_reports_dollars_and_a_zone(flagship):
    """The flagship predicts the split in dollars (cash + credit + Korea-led ships = pledge)
    and a deal inside a non-empty zone of agreement."""
    report = bargain.solve(flagship, methods=["nash", "rubinstein"], resolution=41)
    nash = report.solutions["nash"]
    assert nash.ok
    a = flagship.parameters["A"].value * flagship.parameters["pledge_realised"].value
    out = nash.outputs
    assert out["cash_usd_bn"] + out["credit_usd_bn"] + out["korea_led_ship_usd_bn"] == (
        pytest.approx(a)
    )
    assert out["cash_share_of_pledge"] == pytest.approx(out["cash_usd_bn"] / a)
    lo, hi = report.zone_of_agreement["e"]
    assert lo <= nash.deal["e"] <= hi
    assert report.decomposition["rows"]


def _shifted(scenario, name, factor):
    """Move a parameter towards the end of its range (factor in [0, 1])."""
    p = scenario.parameters[name]
    lo, hi = p.range
    return scenario.with_parameters(**{name: p.value + factor * (hi - p.value)})


def _cash(scenario, method="nash"):
    """The predicted cash in USD bn (0 without an agreement)."""
    sol = _equity(scenario, method)[0]
    return sol.outputs["cash_usd_bn"] if sol.ok else 0.0


def test_default_comparative_statics_have_the_right_signs(flagship):
    """At the defaults: a larger crisis loss and smaller reserves never raise the cash; a
    swap line never lowers it (weak: at the defaults the cash sits at its lower bound)."""
    base = _cash(flagship)
    worse_crisis = _cash(_shifted(flagship, "crisis_loss_share", 1.0))
    less_reserves = _cash(
        flagship.with_parameters(reserves=flagship.parameters["reserves"].range[0])
    )
    swap = _cash(flagship.with_parameters(swap_line=60.0))
    assert worse_crisis <= base + STEP_TOL
    assert less_reserves <= base + STEP_TOL
    assert swap >= base - STEP_TOL


def test_more_us_patience_moves_rubinstein_toward_the_us(flagship):
    """A more patient US gets more: its Rubinstein utility rises and Korea's falls (the
    gains over the BRW disagreement point move with patience too, so utilities are compared)."""
    base, _ = _equity(flagship, "rubinstein")
    patient, _ = _equity(flagship.with_parameters(delta_us=0.998), "rubinstein")
    assert patient.utilities["us"] > base.utilities["us"]
    assert patient.utilities["korea"] < base.utilities["korea"]


points = st.fixed_dictionaries({name: st.floats(0.0, 1.0) for name in VARIED})


def _draw(scenario, unit_point):
    """A parameter point inside the ranges from numbers in [0, 1]."""
    values = {}
    for name, u in unit_point.items():
        lo, hi = scenario.parameters[name].range
        values[name] = lo + u * (hi - lo)
    return scenario.with_parameters(**values)


@settings(max_examples=6, deadline=None)
@given(points, st.floats(0.2, 1.0))
def test_crisis_loss_never_raises_equity(flagship, unit_point, step):
    """Across the ranges, a larger crisis loss never raises the predicted cash."""
    base = _draw(flagship, unit_point)
    worse = _shifted(base, "crisis_loss_share", step)
    b, w = _equity(base)[0], _equity(worse)[0]
    if b.ok and w.ok:
        assert w.outputs["cash_usd_bn"] <= b.outputs["cash_usd_bn"] + 1e-5


@settings(max_examples=6, deadline=None)
@given(points, st.floats(10.0, 100.0))
def test_swap_line_never_lowers_equity(flagship, unit_point, extra):
    """Across the ranges, a (larger) swap line never lowers the predicted cash."""
    base = _draw(flagship, unit_point)
    line = min(base.parameters["swap_line"].value + extra, base.parameters["swap_line"].range[1])
    b, s = _equity(base)[0], _equity(base.with_parameters(swap_line=line))[0]
    if b.ok and s.ok:
        assert s.outputs["cash_usd_bn"] >= b.outputs["cash_usd_bn"] - 1e-5


@settings(max_examples=6, deadline=None)
@given(points)
def test_prediction_inside_the_zone_or_no_deal(flagship, unit_point):
    """The predicted share lies in the zone of agreement; with no zone, solvers say no deal;
    where the frontier is not concave, Nash says so."""
    scenario = _draw(flagship, unit_point)
    nash, frontier = _equity(scenario)
    zone = zone_of_agreement(scenario.problem(), frontier)
    if zone is None:
        assert nash.status == "no_agreement"
        rub = rubinstein_solution(scenario.problem(), frontier=frontier)
        assert rub.status == "no_agreement"
    elif nash.status != "nonconvex":  # a non-concave frontier is an honest answer too
        assert nash.ok
        lo, hi = zone["e"]
        assert lo - 1e-7 <= nash.deal["e"] <= hi + 1e-7
