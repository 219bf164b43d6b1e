"""Tests of bargain.batch_frontier and bargain.batch_axiomatic against the per-scenario solvers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bargain
from bargain.batch import BatchModel
from bargain.batch_axiomatic import AXIOMATIC_METHODS, batch_axiomatic
from bargain.batch_frontier import trace_frontier
from bargain.batch_zone import zone_of_agreement
from bargain.frontier import Frontier
from bargain.frontier import zone_of_agreement as zone_one

TEXTBOOK = sorted(str(p) for p in Path("scenarios/textbook").glob("*.toml"))
FLAGSHIP = "tests/models/flagship_v1.toml"  # the two-issue flagship before issue 16, frozen
# a linear programme in nine issues: the barrier ascent stalls short of the vertex, and
# the trace says so (uncertified) instead of returning a wrong frontier
UNCERTIFIED = {"scenarios/textbook/nash_1950_barter.toml"}
R = 21
# SLSQP accepts a constraint violation of 1e-9 (scaled), which buys it up to slope * 1e-9
# of P; the trace meets the constraint exactly
FLAGSHIP_TOL = 1e-8

_MODELS: dict[str, BatchModel] = {}


def _model(path: str) -> BatchModel:
    if path not in _MODELS:
        _MODELS[path] = BatchModel(bargain.load(path))
    return _MODELS[path]


def _compare_trace(tr, i: int, problem, tol: float) -> None:
    fr = Frontier(problem, resolution=R)
    assert bool(tr.agreement[i]) == fr.agreement
    if not fr.agreement:
        return
    v, p = fr.grid()
    assert tr.m2[i] == pytest.approx(fr.m2, abs=tol)
    assert tr.v[i] == pytest.approx(v, abs=tol)
    diff = tr.p[i] - p
    # where they differ, the trace must be the better (larger) feasible value
    assert np.all(np.abs(diff) <= tol) or np.all(diff >= -tol), diff
    assert bool(tr.convex[i]) == fr.convex
    assert tr.concavity_violation[i] == pytest.approx(fr.concavity_violation(), abs=1e-6)
    np.testing.assert_allclose(tr.scale[i], fr.scale, rtol=1e-12)


@pytest.mark.parametrize("path", TEXTBOOK)
def test_trace_equals_the_per_scenario_frontier(path: str) -> None:
    """P(v) on the grid, m2, agreement and convexity as Frontier(problem).grid() gives them."""
    bm = _model(path)
    tr = trace_frontier(bm, bm.theta({}, 1), R)
    assert bool(tr.certified[0]) == (path not in UNCERTIFIED)
    if tr.certified[0]:
        _compare_trace(tr, 0, bargain.load(path).problem(), 1e-7)


def test_trace_of_the_flagship_at_its_values() -> None:
    """The Korea-US flagship (non-concave utilities): certified and equal to Frontier."""
    bm = _model(FLAGSHIP)
    tr = trace_frontier(bm, bm.theta({}, 1), R)
    assert tr.certified[0] and tr.agreement[0]
    _compare_trace(tr, 0, bargain.load(FLAGSHIP).problem(), FLAGSHIP_TOL)
    sample, exact = tr.sample(0), Frontier(bargain.load(FLAGSHIP).problem(), resolution=R).sample()
    np.testing.assert_allclose(sample.utilities, exact.utilities, atol=1e-6)


def test_concavity_flag_on_a_nonconvex_set() -> None:
    """u_A = x^2, u_B = (1 - x)^2: P(v) = (1 - sqrt v)^2 is convex, so the set is not."""
    text = (
        Path("scenarios/textbook/unit_pie.toml")
        .read_text()
        .replace('utility = "x"', 'utility = "x**2"')
        .replace('utility = "1 - x"', 'utility = "(1 - x)**2"')
    )
    scenario = bargain.loads(text)
    bm = BatchModel(scenario)
    tr = trace_frontier(bm, bm.theta({}, 1), R)
    assert tr.certified[0] and not tr.convex[0]
    s1, s2 = tr.scale[0]
    closed = (1 - np.sqrt(tr.v[0] * s2)) ** 2 / s1  # in scaled gains
    np.testing.assert_allclose(tr.p[0], closed, atol=1e-10)
    second = np.diff(closed, 2).max()  # the closed-form violation
    assert tr.concavity_violation[0] == pytest.approx(second, abs=1e-10)
    _compare_trace(tr, 0, scenario.problem(), 1e-7)


def test_no_agreement_is_certified_and_empty() -> None:
    """Both utilities negative everywhere: no agreement, a nan frontier, an empty sample."""
    text = Path("scenarios/textbook/unit_pie.toml").read_text().replace('"x"', '"-x - 0.1"')
    bm = BatchModel(bargain.loads(text))
    tr = trace_frontier(bm, bm.theta({}, 1), R)
    assert tr.certified[0] and not tr.agreement[0]
    assert np.isnan(tr.p[0]).all() and tr.sample(0).utilities.shape == (0, 2)
    out = batch_axiomatic(bm, bm.theta({}, 1), tr, fallback=False)
    assert {m: r.status[0] for m, r in out.items()} == dict.fromkeys(out, "no_agreement")


def _flagship_values(draw_unit: np.ndarray) -> dict[str, np.ndarray]:
    scenario = bargain.load(FLAGSHIP)
    ranged = [p for p in scenario.parameters.values() if p.range is not None]
    return {
        p.name: p.range[0] + draw_unit[:, k] * (p.range[1] - p.range[0])
        for k, p in enumerate(ranged)
    }


@settings(max_examples=3, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_trace_of_the_flagship_at_random_points(seed: int) -> None:
    """Three random points of the flagship's ranges, batched, against Frontier one by one."""
    values = _flagship_values(np.random.default_rng(seed).random((3, 40)))
    bm = _model(FLAGSHIP)
    tr = trace_frontier(bm, bm.theta(values), R)
    scenario = bargain.load(FLAGSHIP)
    for i in range(3):
        if tr.certified[i]:
            problem = scenario.with_parameters(**{k: float(v[i]) for k, v in values.items()})
            _compare_trace(tr, i, problem.problem(), FLAGSHIP_TOL)


def _compare_axiomatic(out, i: int, problem, frontier: Frontier) -> None:
    for method, solver in AXIOMATIC_METHODS.items():
        exact, res = solver(problem, frontier=frontier), out[method]
        assert res.status[i] == exact.status, method
        if exact.ok:
            deal = np.array([exact.deal[k] for k in res.issues])
            utilities = np.array([exact.utilities[p] for p in res.parties])
            # a deal to 1e-6, or another deal with the same utilities (ks_1975: b is free at a = 1)
            close = np.allclose(res.deal[i], deal, atol=1e-6)
            assert close or np.allclose(res.utilities[i], utilities, atol=1e-8), method
        elif exact.status == "not_unique" and not res.fallback[i]:
            low = res.diagnostics["utilities_low"][i]
            assert low == pytest.approx(list(exact.diagnostics["utilities_low"].values()), abs=1e-7)


@pytest.mark.parametrize("path", [*TEXTBOOK, FLAGSHIP])
def test_batched_axiomatic_equal_the_per_scenario_solvers(path: str) -> None:
    """Kalai-Smorodinsky, egalitarian, utilitarian: same status, same deal, as solve()."""
    bm = _model(path)
    theta = bm.theta({}, 1)
    out = batch_axiomatic(bm, theta, trace_frontier(bm, theta, R))
    problem = bargain.load(path).problem()
    _compare_axiomatic(out, 0, problem, Frontier(problem, resolution=R))
    if path not in UNCERTIFIED:
        assert not any(r.fallback.any() for r in out.values())  # all batched


@settings(max_examples=2, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_batched_axiomatic_on_the_flagship_at_random_points(seed: int) -> None:
    """Random flagship points: the batched concepts equal the per-scenario ones."""
    values = _flagship_values(np.random.default_rng(seed).random((3, 40)))
    bm = _model(FLAGSHIP)
    theta = bm.theta(values)
    out = batch_axiomatic(bm, theta, trace_frontier(bm, theta, R))
    scenario = bargain.load(FLAGSHIP)
    for i in range(3):
        problem = scenario.with_parameters(**{k: float(v[i]) for k, v in values.items()}).problem()
        _compare_axiomatic(out, i, problem, Frontier(problem, resolution=R))


def test_zone_of_agreement_matches_the_per_scenario_one() -> None:
    """The issue ranges over deals both prefer to no deal, to 1e-6 of the box."""
    for path in (FLAGSHIP, "scenarios/textbook/concave_sqrt.toml"):
        bm = _model(path)
        theta = bm.theta({}, 1)
        ends = zone_of_agreement(bm, theta, trace_frontier(bm, theta, R))[0]
        exact = zone_one(bargain.load(path).problem())
        assert ends.ravel() == pytest.approx(np.ravel(list(exact.values())), abs=1e-6)
