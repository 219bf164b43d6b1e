"""Tests of the discretised and smoothed Nash demand games."""

from __future__ import annotations

import warnings

import nashpy
import numpy as np
import pytest

import bargain
from bargain.demand_game import bimatrix_equilibria, demand_game, smoothed_demand_game

# closed-form frontiers in utilities, d = (dA, dB): party A's most given B's utility u_B
FRONTIERS = {
    "unit_pie": lambda ub: 1.0 - ub,
    "concave_sqrt": lambda ub: 1.0 - ub**2,
    "unit_pie_weighted": lambda ub: 1.0 - ub,
}


def _expected_pure(game, frontier):
    """Efficient compatible pairs and mutual dead ends, from the closed-form frontier."""
    a, b = (np.array(game.demands[p]) for p in game.parties)
    ok = a[:, None] <= frontier(b)[None, :] + 1e-9
    k = a.size
    deals = {
        (i, j)
        for i in range(k)
        for j in range(k)
        if ok[i, j] and (i == k - 1 or not ok[i + 1, j]) and (j == k - 1 or not ok[i, j + 1])
    }
    # against b_j, A's best gain is zero iff only its zero demand fits, and vice versa
    a_stuck = [not ok[1:, j].any() for j in range(k)]
    b_stuck = [not ok[i, 1:].any() for i in range(k)]
    clashes = {
        (i, j) for i in range(k) for j in range(k) if not ok[i, j] and a_stuck[j] and b_stuck[i]
    }
    return deals, clashes


@pytest.mark.parametrize("name", sorted(FRONTIERS))
@pytest.mark.parametrize("levels", [3, 5, 8])
def test_pure_equilibria_are_efficient_pairs_and_clashes(name, levels):
    """Pure equilibria: every efficient compatible pair, and the mutually hopeless clashes."""
    problem = bargain.load(f"scenarios/textbook/{name}.toml").problem()
    game = demand_game(problem, levels=levels, mixed=False)
    deals, clashes = _expected_pure(game, FRONTIERS[name])
    found = {
        (int(np.argmax(e.strategies[0])), int(np.argmax(e.strategies[1])), e.outcome)
        for e in game.pure_equilibria
    }
    assert found == {(i, j, "deal") for i, j in deals} | {
        (i, j, "disagreement") for i, j in clashes
    }
    assert (levels - 1, levels - 1) in clashes  # both demand their ideal: no deal


def test_unit_pie_deals_split_the_pie_on_the_grid():
    """On the unit pie every split (i/(k-1), 1 - i/(k-1)) is an equilibrium deal."""
    game = demand_game(
        bargain.load("scenarios/textbook/unit_pie.toml").problem(), levels=6, mixed=False
    )
    deals = sorted(
        tuple(round(v, 9) for v in e.payoffs) for e in game.pure_equilibria if e.outcome == "deal"
    )
    assert deals == [(round(i / 5, 9), round(1 - i / 5, 9)) for i in range(6)]


def test_mixed_equilibria_are_equilibria_and_form_a_continuum():
    """Every strategy played is a best response (to 1e-9); the set is a continuum."""
    game = demand_game(bargain.load("scenarios/textbook/unit_pie.toml").problem(), levels=5)
    assert [e for e in game.equilibria if not e.pure]
    row, col = np.array(game.row_payoffs), np.array(game.col_payoffs)
    for e in game.equilibria:
        x, y = (np.array(s) for s in e.strategies)
        assert x.sum() == pytest.approx(1) and y.sum() == pytest.approx(1)
        assert np.all((row @ y)[x > 0] >= (row @ y).max() - 1e-9)
        assert np.all((x @ col)[y > 0] >= (x @ col).max() - 1e-9)
    assert game.continuum and "continuum" in game.warning


def test_support_enumeration_agrees():
    """Every equilibrium nashpy's support enumeration finds (run independently) is listed."""
    game = demand_game(bargain.load("scenarios/textbook/unit_pie.toml").problem(), levels=4)
    row, col = np.array(game.row_payoffs), np.array(game.col_payoffs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nashpy warns that the game is degenerate
        independent = list(nashpy.Game(row, col).support_enumeration(non_degenerate=False))
    ours = [tuple(np.round(np.concatenate(e.strategies), 9)) for e in game.equilibria]
    assert len(independent) > 4
    for x, y in independent:
        assert tuple(np.round(np.concatenate([x, y]), 9) + 0.0) in ours


def test_mixed_enumeration_is_skipped_on_large_grids():
    """Above the size limit mixed equilibria are skipped, and the warning says so."""
    game = demand_game(bargain.load("scenarios/textbook/unit_pie.toml").problem(), levels=9)
    assert all(e.pure for e in game.equilibria)
    assert "not enumerated" in game.warning


def test_bimatrix_nondegenerate_game_has_no_continuum():
    """Battle of the sexes: two pure equilibria and the mixed one (2/3, 1/3), (1/3, 2/3)."""
    eqs, continuum = bimatrix_equilibria([[2, 0], [0, 1]], [[1, 0], [0, 2]])
    mixed = [e for e in eqs if not e.pure]
    assert len(eqs) == 3 and not continuum
    assert mixed[0].strategies[0] == pytest.approx((2 / 3, 1 / 3))
    assert mixed[0].strategies[1] == pytest.approx((1 / 3, 2 / 3))


def test_bimatrix_degenerate_game_flags_a_continuum():
    """A column that pays the row player the same everywhere: a segment of equilibria."""
    eqs, continuum = bimatrix_equilibria([[1, 1], [1, 1]], [[1, 0], [1, 0]])
    assert continuum
    assert {e.strategies[1] for e in eqs} == {(1.0, 0.0)}


@pytest.mark.parametrize("name", ["unit_pie", "concave_sqrt"])
def test_smoothed_game_converges_to_nash(name):
    """As the smoothing shrinks the smoothed game's equilibrium tends to the Nash solution."""
    problem = bargain.load(f"scenarios/textbook/{name}.toml").problem()
    frontier = bargain.Frontier(problem)
    nash = np.array(list(bargain.nash_solution(problem).utilities.values()))
    gaps = []
    for sigma in (0.1, 0.02, 0.004, 0.001):
        game = smoothed_demand_game(problem, smoothing=sigma, levels=5, frontier=frontier)
        assert game.status == "ok"
        assert game.diagnostics["best_response_gap"] < 1e-8
        demands = np.array(list(game.demands.values()))
        gaps.append(float(np.max(np.abs(demands - nash))))
        assert game.deal_probability > 0.8
    assert all(later < earlier for earlier, later in zip(gaps, gaps[1:], strict=False))
    assert gaps[-1] < 5e-3


def test_no_agreement_is_reported():
    """When no deal beats disagreement both games say so instead of giving numbers."""
    pie = bargain.load("scenarios/textbook/unit_pie_weighted.toml").with_parameters(
        dA0=0.4, dB0=0.4
    )
    problem = pie.problem()
    squeezed = bargain.BargainingProblem.from_functions(
        problem.utility, problem.jacobian, lower=[0.0], upper=[1.0], disagreement=(0.7, 0.7)
    )
    assert demand_game(squeezed).status == "no_agreement"
    assert smoothed_demand_game(squeezed).status == "no_agreement"
