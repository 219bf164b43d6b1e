"""Nash's axioms, checked by hypothesis on random concave bargaining problems."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bargain import BargainingProblem, Frontier, nash_solution

TOL = 1e-6


def _problem(a, p, b, q, dA, dB, lo=0.0, hi=1.0, scale=1.0, shift=0.0):
    """u_A = scale * a x^p + shift, u_B = b (1 - x)^q: concave for p, q <= 1."""

    def utility(z):
        x = z[0]
        return np.array([scale * a * x**p + shift, b * (1 - x) ** q])

    def jacobian(z):
        x = min(max(z[0], 1e-300), 1 - 1e-16)
        return np.array([[scale * a * p * x ** (p - 1)], [-b * q * (1 - x) ** (q - 1)]])

    return BargainingProblem.from_functions(
        utility, jacobian, lower=[lo], upper=[hi], disagreement=[scale * dA + shift, dB]
    )


def _nash(problem):
    return nash_solution(problem, frontier=Frontier(problem, resolution=15, starts=4))


problems = st.fixed_dictionaries(
    {
        "a": st.floats(0.5, 3.0),
        "p": st.floats(0.4, 1.0),
        "b": st.floats(0.5, 3.0),
        "q": st.floats(0.4, 1.0),
        "dA": st.floats(0.0, 0.2),
        "dB": st.floats(0.0, 0.2),
    }
)


@settings(max_examples=8)
@given(problems)
def test_pareto_efficiency(params):
    """No deal on a fine grid gives both parties more than the Nash solution."""
    problem = _problem(**params)
    sol = _nash(problem)
    assert sol.ok
    grid = np.linspace(0, 1, 2001)
    u = np.array([problem.utility(np.array([x])) for x in grid])
    star = np.array(list(sol.utilities.values()))
    assert not np.any(np.all(u > star + TOL, axis=1))


@settings(max_examples=8)
@given(st.floats(0.5, 3.0), st.floats(0.4, 1.0), st.floats(0.0, 0.3))
def test_symmetry(a, p, d):
    """A symmetric problem gives both parties the same utility."""
    sol = _nash(_problem(a, p, a, p, d, d))
    assert sol.utilities["A"] == pytest.approx(sol.utilities["B"], abs=TOL)
    assert sol.deal["x"] == pytest.approx(0.5, abs=1e-5)


@settings(max_examples=8)
@given(problems, st.floats(0.1, 50.0), st.floats(-20.0, 20.0))
def test_invariance_to_affine_rescaling(params, scale, shift):
    """Rescaling one party's utility (and disagreement) by a > 0, + b leaves the deal alone."""
    base = _nash(_problem(**params))
    moved = _nash(_problem(**params, scale=scale, shift=shift))
    assert moved.deal["x"] == pytest.approx(base.deal["x"], abs=1e-6)


@settings(max_examples=8)
@given(problems, st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_independence_of_irrelevant_alternatives(params, left, right):
    """Removing deals other than the Nash solution does not change it."""
    base = _nash(_problem(**params))
    x = base.deal["x"]
    lo, hi = left * x, x + right * (1 - x)
    narrowed = _nash(_problem(**params, lo=lo, hi=hi))
    assert narrowed.deal["x"] == pytest.approx(x, abs=1e-6)
