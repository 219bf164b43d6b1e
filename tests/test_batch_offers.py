"""Tests of Rubinstein's stationary offers located on a traced frontier."""

from __future__ import annotations

import numpy as np
import pytest

import bargain
from bargain.batch import BatchModel
from bargain.batch_frontier import trace_frontier
from bargain.batch_offers import hermite, stationary_level
from bargain.batch_result import _Batch
from bargain.batch_rubinstein import _offers_on_trace


def _trace(name: str, values: dict, resolution: int = 41):
    bm = BatchModel(bargain.load(f"scenarios/textbook/{name}.toml"))
    theta = bm.theta(values)
    return bm, theta, trace_frontier(bm, theta, resolution)


def test_hermite_is_exact_for_a_cubic_frontier_between_levels():
    """u_A = x, u_B = sqrt(1 - x): P(v) = 1 - v^2 (in utilities) between any two levels."""
    _, _, tr = _trace("concave_sqrt", {})
    s1, s2 = tr.scale[0]
    z = np.linspace(0, tr.m2[0], 97)[None]
    np.testing.assert_allclose(hermite(tr, z)[0], (1 - (s2 * z[0]) ** 2) / s1, atol=1e-12)


def test_stationary_level_on_the_unit_pie():
    """Rubinstein (1982): party 2 offers 1 - dA x*, with x* = (1 - dB) / (1 - dA dB)."""
    da, db = np.array([0.9, 0.5, 0.99]), np.array([0.8, 0.7, 0.6])
    _, _, tr = _trace("unit_pie", {"dA": da, "dB": db})
    w, unique = stationary_level(tr, np.stack([da, db]))
    x = (1 - db) / (1 - da * db)
    assert unique.all()
    np.testing.assert_allclose(w * tr.scale[:, 1], 1 - da * x, atol=1e-12)


@pytest.mark.parametrize("dA, dB", [(0.9, 0.8), (0.95, 0.6)])
def test_offers_started_on_the_trace_are_the_equilibrium(dA, dB):
    """Risk-averse B, u_B = (1 - x)^b: both offers as the closed form, certified."""
    bm = BatchModel(bargain.load("scenarios/textbook/concave_power.toml"))
    batch = _Batch(bm, bm.theta({"dA": [dA], "dB": [dB], "b": [0.5]}))
    xs, good = _offers_on_trace(batch, np.array([0]), np.array([[dA], [dB]]))
    k = dB ** (1 / 0.5)  # (1 - x)^b = dB (1 - y)^b and y = dA x
    x = (1 - k) / (1 - dA * k)
    assert good.all()
    assert xs[0, 0, 0] == pytest.approx(x, abs=1e-10)
    assert xs[1, 0, 0] == pytest.approx(dA * x, abs=1e-10)
