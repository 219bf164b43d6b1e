"""Tests of the batched solvers against closed forms and the per-scenario solvers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import bargain
from bargain.batch import BatchModel, batch_nash, batch_rubinstein, batch_solve
from bargain.frontier import Frontier
from bargain.nash import nash_solution
from bargain.rubinstein import rubinstein_solution
from bargain.sweep import SweepSpec, points

FLAGSHIP = "tests/models/flagship_v1.toml"  # the two-issue flagship before issue 16, frozen
TOL = 1e-8


def _load(name: str) -> bargain.Scenario:
    return bargain.load(f"scenarios/textbook/{name}.toml")


def _in_range(scenario: bargain.Scenario) -> st.SearchStrategy[dict[str, float]]:
    """Random values of every parameter that has a range, inside it."""
    ranged = {n: p.range for n, p in scenario.parameters.items() if p.range}
    return st.fixed_dictionaries(
        {n: st.floats(lo, hi, allow_nan=False) for n, (lo, hi) in ranged.items()}
    )


def _per_scenario(scenario: bargain.Scenario, values: dict[str, float]) -> dict:
    """The per-scenario solutions at the same point, sharing one frontier."""
    problem = scenario.with_parameters(**values).problem()
    frontier = Frontier(problem)
    return {
        "nash": nash_solution(problem, frontier=frontier),
        "asymmetric_nash": nash_solution(problem, powers=tuple(problem.powers), frontier=frontier),
        "rubinstein": rubinstein_solution(problem, frontier=frontier),
    }


def _assert_same(batched, single, issues) -> None:
    assert batched.status[0] == single.status
    if single.ok:
        deal = [single.deal[k] for k in issues]
        np.testing.assert_allclose(batched.deal[0], deal, atol=TOL, rtol=0)


PIE = _load("unit_pie_weighted")


@settings(max_examples=15)
@given(_in_range(PIE))
def test_unit_pie_weighted_closed_form(values):
    """Pie with disagreement: x = dA0 + alpha (1 - dA0 - dB0), symmetric and asymmetric."""
    out = batch_solve(PIE, values, ["nash", "asymmetric_nash"], fallback=False)
    surplus = 1 - values["dA0"] - values["dB0"]
    assert out["nash"].deal[0, 0] == pytest.approx(values["dA0"] + surplus / 2, abs=1e-12)
    expected = values["dA0"] + values["a"] * surplus
    assert out["asymmetric_nash"].deal[0, 0] == pytest.approx(expected, abs=1e-12)


def test_unit_pie_rubinstein_closed_form():
    """Rubinstein (1982): the first proposer gets (1 - dB) / (1 - dA dB), on arrays."""
    pie = _load("unit_pie")
    da = np.linspace(0.5, 0.99, 9)
    db = np.linspace(0.95, 0.3, 9)
    res = batch_rubinstein(pie, {"dA": da, "dB": db}, fallback=False)
    np.testing.assert_allclose(res.deal[:, 0], (1 - db) / (1 - da * db), atol=1e-12)
    assert not res.fallback.any()


def test_breakdown_risk_closed_form():
    """Binmore-Rubinstein-Wolinsky (1986): with delta = 1 the share is 1 / (2 - p)."""
    brw = _load("brw_1986_breakdown")
    res = batch_rubinstein(brw, {"dA": [1.0], "dB": [1.0]}, fallback=False)
    p = brw.settings.breakdown
    assert res.deal[0, 0] == pytest.approx(1 / (2 - p), abs=1e-12)


def test_breakdown_formula_varies_per_point():
    """BRW (1986): a breakdown given by a parameter is applied at each point's own value.

    With ``q = 1 - p``: ``x* = (1 - q^2 dB^2) / (1 - q^3 dA dB^2)`` for A's share when
    B gets ``sqrt(1 - x)``.
    """
    brw = _load("brw_1986_convergence")
    p = np.array([0.0, 0.05, 0.2, 0.45])
    ra, rb, delta = np.array([1.0, 0.5, 2.0, 1.5]), np.array([2.0, 4.0, 0.5, 1.0]), 0.3
    res = batch_rubinstein(brw, {"p": p, "rA": ra, "rB": rb, "Delta": delta}, fallback=False)
    q, da, db = 1 - p, np.exp(-ra * delta), np.exp(-rb * delta)
    expected = (1 - q**2 * db**2) / (1 - q**3 * da * db**2)
    np.testing.assert_allclose(res.deal[:, 0], expected, atol=1e-10)
    assert (res.status == "ok").all()


@settings(max_examples=4)
@given(_in_range(_load("concave_power")))
def test_concave_power_matches_per_scenario(values):
    """Concave utilities: batched Nash, asymmetric Nash and Rubinstein equal the per-scenario."""
    scenario = _load("concave_power")
    batched = batch_solve(scenario, values, ["nash", "asymmetric_nash", "rubinstein"])
    single = _per_scenario(scenario, values)
    # (where B's utility is very steep at x = 1 some points need the fallback: the
    # trace cannot certify the frontier's end, nor Newton's method a corner offer)
    for name, res in batched.items():
        _assert_same(res, single[name], scenario.issue_names)


@settings(max_examples=3)
@given(_in_range(_load("transferable_project")))
# the top of this frontier holds t at 0 with a multiplier near the one that frees it;
# the barrier's estimate mu / slack once freed it and left the trace uncertified
@example({"a": 0.59765625, "b": 0.59375, "dA": 0.875, "dB": 0.875})
def test_two_issue_project_matches_per_scenario(values):
    """Two issues, one at an interior optimum: batched equals the per-scenario solvers."""
    scenario = _load("transferable_project")
    batched = batch_solve(scenario, values, ["nash", "rubinstein"])
    single = _per_scenario(scenario, values)
    for name, res in batched.items():  # (offers at t = 1 can need the fallback)
        _assert_same(res, single[name], scenario.issue_names)
    t, q = batched["nash"].deal[0]
    # a free transfer (the fallback's SLSQP can stop 1e-15 off a bound, so not at one):
    # the project maximises the joint surplus, a - q + b = 0
    if 1e-9 < t < 1 - 1e-9:
        assert q == pytest.approx(values["a"] + values["b"], abs=1e-10)


@pytest.mark.parametrize("name", ["concave_sqrt", "linear_three_solutions", "unit_pie_weighted"])
def test_textbook_statuses_match(name):
    """Where batched Rubinstein does not apply (delta = 1) the fallback gives the same status."""
    scenario = _load(name)
    values = scenario.parameter_values()
    batched = batch_solve(scenario, values, ["nash", "rubinstein"])
    single = _per_scenario(scenario, values)
    for method, res in batched.items():
        _assert_same(res, single[method], scenario.issue_names)
    assert batched["rubinstein"].fallback.all()
    assert not batched["nash"].fallback.any()


def test_outside_options_fall_back():
    """Outside options are left to the per-scenario solver, with its answer and status."""
    scenario = _load("bss_1989_outside_options")
    res = batch_rubinstein(scenario, {"oB": [0.6, 0.1]})
    assert res.fallback.all()
    for k, ob in enumerate([0.6, 0.1]):
        single = _per_scenario(scenario, {"oB": ob})["rubinstein"]
        assert res.status[k] == single.status
        assert res.deal[k, 0] == pytest.approx(single.deal["x"], abs=TOL)


def test_no_agreement():
    """Disagreement payoffs that add to more than the pie: no deal, as the per-scenario says."""
    values = {"dA0": np.array([0.7, 0.2]), "dB0": np.array([0.6, 0.1])}
    out = batch_solve(PIE, values, ["nash", "asymmetric_nash"], fallback=False)
    for res in out.values():
        assert res.status.tolist() == ["no_agreement", "ok"]
        assert np.isnan(res.deal[0]).all()
    single = _per_scenario(PIE, {"dA0": 0.7, "dB0": 0.6})
    assert single["nash"].status == "no_agreement"


def test_flagship_nominal_point_is_the_exact_maximum():
    """Flagship: the batched Nash deal is a KKT point at least as good as the per-scenario one."""
    scenario = bargain.load(FLAGSHIP)
    res = batch_nash(scenario, {}, fallback=False)
    single = nash_solution(scenario.problem())
    assert res.status[0] == "ok"
    e, c = res.deal[0]
    assert e == pytest.approx(single.deal["e"], abs=1e-7)
    # SLSQP is exact only to ~1e-6 in c, along which the Nash product is very flat
    assert c == pytest.approx(single.deal["c"], abs=1e-5)
    problem = scenario.problem()

    def log_nash(x):
        return np.log(problem.utility(np.asarray(x)) - problem.disagreement).sum()

    assert log_nash(res.deal[0]) >= log_nash([single.deal["e"], single.deal["c"]]) - 1e-15
    grad = (problem.jacobian(res.deal[0]) / problem.utility(res.deal[0])[:, None]).sum(axis=0)
    assert np.abs(grad).max() < 1e-9


FLAG = bargain.load(FLAGSHIP)


def _match_flagship(values: dict[str, np.ndarray], rows: list[int]) -> dict:
    """Batched (with fallback) and per-scenario Nash and Rubinstein agree at these rows."""
    picked = {k: v[rows] for k, v in values.items()}
    batched = batch_solve(FLAG, picked, ["nash", "rubinstein"])
    for j, i in enumerate(rows):
        single = _per_scenario(FLAG, {k: float(v[i]) for k, v in values.items()})
        for name, res in batched.items():
            assert res.status[j] == single[name].status, (i, name)
            if single[name].ok:
                assert res.deal[j, 0] == pytest.approx(single[name].deal["e"], abs=1e-6), (i, name)
    return batched


def test_flagship_random_points_match_per_scenario():
    """Flagship Monte Carlo points: same statuses and equity share as the per-scenario solvers.

    The rows are points of a seeded sample that once disagreed: a breakdown risk
    that differs from the file's (2, 6, 37), an offer held on a bound (10), Nash at
    a corner with the Rubinstein offers inside (20).
    """
    values = points(FLAG, SweepSpec(samples=40, seed=7), 0, 40)
    batched = _match_flagship(values, [2, 6, 10, 20, 37])
    for res in batched.values():  # all five solved by the batched solvers themselves
        assert not res.fallback.any()


@pytest.mark.slow
@pytest.mark.parametrize("seed", [11, 12, 13])
def test_flagship_more_random_points_match_per_scenario(seed):
    """As above, at 10 fresh Monte Carlo points per seed (slow: per-scenario solves)."""
    values = points(FLAG, SweepSpec(samples=10, seed=seed), 0, 10)
    _match_flagship(values, list(range(10)))


def test_flagship_corner_without_equity_is_certified():
    """Flagship corners at e = 0 (Korea's say no longer matters) are solved, as per-scenario."""
    values = points(FLAG, SweepSpec(samples=40, seed=7), 0, 40)
    corners = [3, 9]  # points of this seeded sample where the Nash deal has no equity
    res = batch_nash(FLAG, {k: v[corners] for k, v in values.items()}, fallback=False)
    assert (res.status == "ok").all() and not res.fallback.any()
    for row, i in enumerate(corners):
        problem = FLAG.with_parameters(**{k: float(v[i]) for k, v in values.items()}).problem()
        single = nash_solution(problem)
        assert single.ok
        assert res.deal[row, 0] == pytest.approx(single.deal["e"], abs=1e-6)
        expected = [single.utilities[p] for p in FLAG.party_names]
        np.testing.assert_allclose(res.utilities[row], expected, rtol=1e-6)


def _convex_frontier_pie() -> bargain.Scenario:
    """u_A = x^2 + x, u_B = 1 - x: P(v) = (1 - v)^2 + (1 - v) is convex, so the set is not."""
    text = (
        Path("scenarios/textbook/unit_pie.toml")
        .read_text()
        .replace('utility = "x"', 'utility = "x**2 + x"')
    )
    return bargain.loads(text)


def test_nonconvex_set_is_reported_as_the_per_scenario_solver_does():
    """Nash on a non-convex set: status nonconvex, as nash_solution; unchecked, the maximiser."""
    scenario = _convex_frontier_pie()
    single = nash_solution(scenario.problem())
    assert single.status == "nonconvex"
    checked = batch_nash(scenario, {}, fallback=False)
    assert checked.status.tolist() == ["nonconvex"]
    assert np.isnan(checked.deal).all()
    # without the check: the maximiser of (x^2 + x)(1 - x), where 1 - 3 x^2 = 0
    unchecked = batch_nash(scenario, {}, fallback=False, check_convexity=False)
    assert unchecked.status.tolist() == ["ok"]
    assert unchecked.deal[0, 0] == pytest.approx(1 / np.sqrt(3), abs=1e-10)
    both = batch_solve(scenario, {"dA": [0.9]}, ["nash", "rubinstein"], fallback=False)
    assert both["nash"].status[0] == "nonconvex"
    single_r = rubinstein_solution(scenario.with_parameters(dA=0.9).problem())
    assert both["rubinstein"].status[0] == single_r.status == "ok"
    assert both["rubinstein"].deal[0, 0] == pytest.approx(single_r.deal["x"], abs=1e-7)


def test_rubinstein_other_first_is_the_second_offer():
    """Unit pie: the other proposer's offer gives A dA times A's share of the first offer."""
    from bargain.batch_nash import _nash
    from bargain.batch_result import _Batch
    from bargain.batch_rubinstein import _rubinstein, other_first

    pie = _load("unit_pie")
    bm = BatchModel(pie)
    da, db = np.array([0.9, 0.6]), np.array([0.8, 0.95])
    batch = _Batch(bm, bm.theta({"dA": da, "dB": db}))
    res = _rubinstein(batch, _nash(batch, "equal", False), False)
    other = other_first(batch, res)
    x = (1 - db) / (1 - da * db)
    np.testing.assert_allclose(res.deal[:, 0], x, atol=1e-12)
    np.testing.assert_allclose(other.deal[:, 0], da * x, atol=1e-12)


def test_batch_model_derivatives_match_model():
    """The hoisted utilities and gradients equal the compiled model's at random points."""
    bm = BatchModel(FLAG)
    rng = np.random.default_rng(3)
    values = {n: rng.uniform(*p.range, 50) for n, p in FLAG.parameters.items() if p.range}
    theta = bm.theta(values)
    x = rng.random((2, 50))
    u, g, _ = bm.evaluate(x, bm.prepare(theta), derivatives=True)
    np.testing.assert_allclose(u, np.array(FLAG.model.utility_function(*x, *theta)), rtol=1e-12)
    jac = np.array(FLAG.model.jacobian_function(*x, *theta))
    np.testing.assert_allclose(g, jac, rtol=1e-10, atol=1e-12)


def test_scale_matches_frontier():
    """The batched scale of gains equals the frontier's, which sets the tolerances."""
    bm = BatchModel(FLAG)
    theta = bm.theta({})
    ctx = bm.prepare(theta)
    scale = bm.scale(theta, ctx, bm.settings(theta)["disagreement"])
    np.testing.assert_allclose(scale[:, 0], Frontier(FLAG.problem()).scale, rtol=1e-12)
