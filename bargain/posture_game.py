"""Posture games: hold firm or concede, with payoffs from the bargaining solutions.

Each party chooses a posture before the details are settled. The outcomes come
from the solution concepts of the problem:

- both concede: the (symmetric) Nash bargaining solution :math:`N`;
- party :math:`i` holds firm while the other concedes: the asymmetric Nash
  solution :math:`F^i` with bargaining power ``firm_power`` for :math:`i` — the
  firm side gets close to its ideal point, the other a little more than its
  disagreement utility;
- both hold firm: an impasse, worth the disagreement point minus an optional
  ``impasse_cost`` to each.

With :math:`z_i` the impasse utility, the row player's (party 1's) payoffs over
(firm, concede) against (firm, concede) are
:math:`\\begin{pmatrix} z_1 & F^1_1 \\\\ F^2_1 & N_1 \\end{pmatrix}`, and the column
player's are symmetric. When :math:`F^1_1 > N_1` and :math:`F^2_1 > z_1` (and the
same for party 2) this is a game of chicken: two pure equilibria in which one
side yields, and a mixed one in which party :math:`j` holds firm with the
probability that makes party :math:`i` indifferent,

.. math::

    q_j = \\frac{F^i_i - N_i}{(F^i_i - N_i) + (F^j_i - z_i)},

so the probability of an impasse is :math:`q_1 q_2`. The game is solved with
nashpy's vertex enumeration (:func:`bargain.demand_game.bimatrix_equilibria`).

References
----------
.. [1] Schelling, T. C. (1960). The Strategy of Conflict. Harvard University
   Press, ch. 2 (commitment and bargaining postures).
.. [2] Crawford, V. P. (1982). A theory of disagreement in bargaining.
   Econometrica 50(3), 607-637.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .demand_game import Equilibrium, bimatrix_equilibria
from .frontier import Frontier
from .nash import nash_solution
from .problem import BargainingProblem
from .result import STATUSES, _jsonable

__all__ = ["PostureGame", "POSTURES", "posture_game", "posture_game_from_outcomes"]

#: The strategies of each party, in the order of the payoff matrices.
POSTURES = ("firm", "concede")


@dataclass(frozen=True)
class PostureGame:
    """A 2x2 posture game and its equilibria.

    Attributes
    ----------
    method : str
        ``"posture_game"``.
    status, message : str
        ``"ok"``, or why there is no game (``"no_agreement"``, or the status of
        a solution concept that failed).
    parties : pair of str
    strategies : tuple of str
        :data:`POSTURES`.
    outcomes : dict
        ``{"firm/firm": {party: utility}, "firm/concede": ..., ...}``, the row
        party's posture first.
    row_payoffs, col_payoffs : tuple of tuples of float
        The payoff matrices, rows and columns in the order of ``strategies``.
    equilibria : tuple of Equilibrium
        Pure ones first, then mixed ones.
    mixed : Equilibrium or None
        The equilibrium in which both parties mix, if there is one.
    firm_probability : dict or None
        Each party's probability of holding firm in ``mixed``.
    impasse_probability : float
        The probability that both hold firm in ``mixed`` (nan if none).
    continuum : bool
        Whether the equilibrium set contains a continuum (a degenerate game).
    settings, parameters, diagnostics : dict
    """

    method: str
    status: str
    message: str
    parties: tuple[str, str]
    strategies: tuple[str, ...] = POSTURES
    outcomes: dict[str, dict[str, float]] = field(default_factory=dict)
    row_payoffs: tuple[tuple[float, ...], ...] = ()
    col_payoffs: tuple[tuple[float, ...], ...] = ()
    equilibria: tuple[Equilibrium, ...] = ()
    mixed: Equilibrium | None = None
    firm_probability: dict[str, float] | None = None
    impasse_probability: float = float("nan")
    continuum: bool = False
    settings: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, float] = field(default_factory=dict)
    diagnostics: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return _jsonable(asdict(self))


def posture_game_from_outcomes(
    outcomes: dict[str, Sequence[float]],
    *,
    parties: tuple[str, str] = ("A", "B"),
    settings: dict[str, Any] | None = None,
    parameters: dict[str, float] | None = None,
) -> PostureGame:
    """Solve a posture game given the utilities of its four outcomes.

    Parameters
    ----------
    outcomes : dict
        Keys ``"firm/firm"``, ``"firm/concede"``, ``"concede/firm"`` and
        ``"concede/concede"`` (the row party's posture first), each a pair of
        utilities (row party, column party).
    parties : pair of str

    Returns
    -------
    PostureGame

    Examples
    --------
    >>> game = posture_game_from_outcomes({"firm/firm": (0, 0), "firm/concede": (3, 1),
    ...                                    "concede/firm": (1, 3), "concede/concede": (2, 2)})
    >>> game.firm_probability, game.impasse_probability
    ({'A': 0.5, 'B': 0.5}, 0.25)
    """
    keys = [f"{r}/{c}" for r in POSTURES for c in POSTURES]
    missing = [k for k in keys if k not in outcomes]
    if missing:
        raise ValueError(f"outcomes lack {missing}; give all of {keys}")
    pay = np.array([[outcomes[f"{r}/{c}"] for c in POSTURES] for r in POSTURES], dtype=float)
    row, col = pay[:, :, 0], pay[:, :, 1]
    found, continuum = bimatrix_equilibria(row, col)
    both_mix = [e for e in found if all(0 < p < 1 for s in e.strategies for p in s)]
    mixed = both_mix[0] if len(both_mix) == 1 else None
    firm = impasse = None
    if mixed is not None:
        firm = {parties[0]: mixed.strategies[0][0], parties[1]: mixed.strategies[1][0]}
        impasse = mixed.strategies[0][0] * mixed.strategies[1][0]
    found = tuple(_label(e) for e in found)
    return PostureGame(
        method="posture_game",
        status="ok",
        message=STATUSES["ok"],
        parties=parties,
        outcomes={
            k: {parties[0]: float(v[0]), parties[1]: float(v[1])}
            for k, v in ((k, outcomes[k]) for k in keys)
        },
        row_payoffs=tuple(tuple(float(v) for v in r) for r in row),
        col_payoffs=tuple(tuple(float(v) for v in r) for r in col),
        equilibria=found,
        mixed=_label(mixed) if mixed else None,
        firm_probability=firm,
        impasse_probability=float("nan") if impasse is None else float(impasse),
        continuum=continuum,
        settings=settings or {},
        parameters=parameters or {},
        diagnostics={"both_mixed_equilibria": len(both_mix)},
    )


def _label(e: Equilibrium) -> Equilibrium:
    if not e.pure:
        return Equilibrium(e.strategies, e.payoffs, False, "mixed")
    r, c = (POSTURES[int(np.argmax(s))] for s in e.strategies)
    return Equilibrium(e.strategies, e.payoffs, True, f"{r}/{c}")


def posture_game(
    problem: BargainingProblem,
    *,
    firm_power: float = 0.9,
    impasse_cost: Sequence[float] = (0.0, 0.0),
    frontier: Frontier | None = None,
) -> PostureGame:
    """Build the firm/concede posture game of a problem and solve it.

    Parameters
    ----------
    problem : BargainingProblem
    firm_power : float
        Bargaining power in (0.5, 1) of a party that holds firm against one
        that concedes (the asymmetric Nash solution with this power).
    impasse_cost : pair of float
        What each party loses, below its disagreement utility, when both hold
        firm (utility units, >= 0).
    frontier : Frontier, optional

    Returns
    -------
    PostureGame

    Examples
    --------
    >>> import bargain
    >>> from bargain.posture_game import posture_game
    >>> pie = bargain.load("scenarios/textbook/unit_pie.toml").problem()
    >>> game = posture_game(pie, firm_power=0.8)  # q = (0.8 - 0.5) / (0.3 + 0.2)
    >>> {k: round(v, 6) for k, v in game.firm_probability.items()}
    {'A': 0.6, 'B': 0.6}
    >>> round(game.impasse_probability, 6)
    0.36
    """
    if not 0.5 < firm_power < 1.0:
        raise ValueError(f"firm_power must lie in (0.5, 1), got {firm_power!r}")
    cost = np.asarray(impasse_cost, dtype=float)
    if cost.shape != (2,) or not np.all(cost >= 0):
        raise ValueError(f"impasse_cost must be two numbers >= 0, got {impasse_cost!r}")
    frontier = frontier or Frontier(problem)
    settings = {"firm_power": float(firm_power), "impasse_cost": problem.named(cost)}
    params = dict(problem.parameters)
    solutions = {
        "concede/concede": nash_solution(problem, frontier=frontier),
        "firm/concede": nash_solution(
            problem, powers=(firm_power, 1 - firm_power), frontier=frontier
        ),
        "concede/firm": nash_solution(
            problem, powers=(1 - firm_power, firm_power), frontier=frontier
        ),
    }
    for name, sol in solutions.items():
        if not sol.ok or sol.utilities is None:
            return PostureGame(
                "posture_game",
                sol.status,
                f"the outcome {name} has no solution: {sol.message}",
                problem.parties,
                settings=settings,
                parameters=params,
            )
    outcomes: dict[str, Sequence[float]] = {
        name: tuple((sol.utilities or {}).values()) for name, sol in solutions.items()
    }
    outcomes["firm/firm"] = tuple(problem.disagreement - cost)
    return posture_game_from_outcomes(
        outcomes, parties=problem.parties, settings=settings, parameters=params
    )
