"""Tests of the firm/concede posture game against the closed form of a 2x2 game."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import bargain
from bargain.posture_game import posture_game, posture_game_from_outcomes

_GAPS = st.lists(st.floats(min_value=0.1, max_value=5.0), min_size=3, max_size=3)
_BASE = st.floats(min_value=-5.0, max_value=5.0)


def _closed_form(z, f, c, n):
    """Firm probability of the other party that makes a party indifferent."""
    return (f - n) / ((f - n) + (c - z))


@given(_BASE, _GAPS, _BASE, _GAPS)
def test_mixed_equilibrium_matches_indifference_conditions(base_a, gaps_a, base_b, gaps_b):
    """Chicken: each side's firm probability solves the other's indifference condition."""
    za, ca, na, fa = np.cumsum([base_a, *gaps_a])  # f > n > c > z: a game of chicken
    zb, cb, nb, fb = np.cumsum([base_b, *gaps_b])
    game = posture_game_from_outcomes(
        {
            "firm/firm": (za, zb),
            "firm/concede": (fa, cb),
            "concede/firm": (ca, fb),
            "concede/concede": (na, nb),
        }
    )
    q_b = _closed_form(za, fa, ca, na)  # B's firm probability, from A's indifference
    q_a = _closed_form(zb, fb, cb, nb)
    assert game.firm_probability == pytest.approx({"A": q_a, "B": q_b}, abs=1e-8)
    assert game.impasse_probability == pytest.approx(q_a * q_b, abs=1e-8)
    pure = {e.outcome for e in game.equilibria if e.pure}
    assert pure == {"firm/concede", "concede/firm"}


def test_dominant_firm_has_no_mixed_equilibrium():
    """When holding firm is dominant for both, the only equilibrium is the impasse."""
    game = posture_game_from_outcomes(
        {
            "firm/firm": (1, 1),
            "firm/concede": (3, 0),
            "concede/firm": (0, 3),
            "concede/concede": (2, 2),
        }
    )
    assert [e.outcome for e in game.equilibria] == ["firm/firm"]
    assert game.mixed is None and game.impasse_probability != game.impasse_probability


@pytest.mark.parametrize(
    ("dA0", "dB0", "power", "cost"),
    [(0.2, 0.1, 0.8, 0.0), (0.0, 0.0, 0.9, 0.1), (0.3, 0.05, 0.7, 0.05)],
)
def test_posture_game_on_the_pie(dA0, dB0, power, cost):
    """Pie with disagreement: outcomes from Nash closed forms, then the indifference formula."""
    scenario = bargain.load("scenarios/textbook/unit_pie_weighted.toml").with_parameters(
        dA0=dA0, dB0=dB0
    )
    game = posture_game(scenario.problem(), firm_power=power, impasse_cost=(cost, cost))
    s = 1 - dA0 - dB0
    n = (dA0 + s / 2, dB0 + s / 2)
    fa = (dA0 + power * s, dB0 + (1 - power) * s)  # A firm, B concedes
    fb = (dA0 + (1 - power) * s, dB0 + power * s)
    z = (dA0 - cost, dB0 - cost)
    assert game.outcomes["firm/concede"] == pytest.approx({"A": fa[0], "B": fa[1]}, abs=1e-8)
    q_b = _closed_form(z[0], fa[0], fb[0], n[0])
    q_a = _closed_form(z[1], fb[1], fa[1], n[1])
    assert game.firm_probability == pytest.approx({"A": q_a, "B": q_b}, abs=1e-7)
    assert game.impasse_probability == pytest.approx(q_a * q_b, abs=1e-7)


def test_bad_firm_power_is_refused():
    """A firm power that does not favour the firm side is an error."""
    pie = bargain.load("scenarios/textbook/unit_pie.toml").problem()
    with pytest.raises(ValueError, match="firm_power"):
        posture_game(pie, firm_power=0.4)
