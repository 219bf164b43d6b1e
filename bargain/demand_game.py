"""Nash's demand game, discretised and smoothed, solved as a bimatrix game with nashpy.

In the demand game (Nash 1953) both parties name, at the same time, the gain
they demand. If the demands are *compatible* — some deal gives each at least
its demand — each gets its demand; otherwise both get their disagreement
utility. In scaled gains :math:`g_i = (u_i - d_i)/s_i` (see
:mod:`bargain.frontier`) demands :math:`(a, b)` are compatible when
:math:`a \\le P(b)`, and the payoffs are

.. math::

    \\pi_1(a, b) = d_1 + s_1 a \\, [a \\le P(b)], \\qquad
    \\pi_2(a, b) = d_2 + s_2 b \\, [a \\le P(b)].

:func:`demand_game` puts the demands on a grid of ``levels`` values from 0 to
each party's ideal gain. Every *efficient* compatible pair (neither party can
raise its demand by one step and stay compatible) is a pure equilibrium, so the
game has many; so is every pair of demands that leaves the other party nothing
to gain (both demand so much that no deal is possible). The game is
degenerate, and its mixed equilibria form continua; they are enumerated with
nashpy's vertex enumeration (extreme equilibria), and a continuum is flagged
when one strategy is in equilibrium with two different strategies of the other
party (the segment between them is then in equilibrium too).

Nash's *smoothed* game (:func:`smoothed_demand_game`) meets the demands with a
probability :math:`h(a, b)` that falls smoothly off the frontier; here

.. math::

    h(a, b) = \\Phi\\left(\\frac{P(b) - a}{\\sigma}\\right),

as if the frontier were shifted by normal noise of scale :math:`\\sigma` (scaled
units). The maximiser of :math:`a\\,b\\,h(a, b)` is an equilibrium (its first-order
conditions are each party's), and as :math:`\\sigma \\to 0` it tends to the
maximiser of :math:`a\\,b` on the frontier: the Nash bargaining solution.

References
----------
.. [1] Nash, J. F. (1953). Two-person cooperative games. Econometrica 21(1),
   128-140.
.. [2] Binmore, K. (1987). Nash bargaining theory II. In Binmore and Dasgupta
   (eds.), The Economics of Bargaining, Blackwell, 61-76.
.. [3] Avis, D., Rosenberg, G. D., Savani, R. and von Stengel, B. (2010).
   Enumeration of Nash equilibria for two-player games. Economic Theory 42,
   9-37 (maximal Nash subsets of degenerate games).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

import nashpy
import numpy as np
from scipy import optimize, special

from .frontier import Frontier
from .nash import nash_solution
from .problem import BargainingProblem
from .result import STATUSES, _jsonable

__all__ = [
    "DemandGame",
    "Equilibrium",
    "SmoothedDemandGame",
    "bimatrix_equilibria",
    "demand_game",
    "smoothed_demand_game",
]

#: Largest grid for which mixed equilibria are enumerated by default: vertex
#: enumeration grows exponentially (about 0.1 s at 6 levels, 2 s at 8, minutes at 11).
MAX_MIXED_LEVELS = 7
_TOL = 1e-9  # compatibility and best-response tolerance, scaled units


@dataclass(frozen=True)
class Equilibrium:
    """A Nash equilibrium of a bimatrix game.

    Attributes
    ----------
    strategies : pair of tuples of float
        Each party's probability of each of its strategies.
    payoffs : pair of float
        Each party's expected payoff.
    pure : bool
        Whether both parties play one strategy for sure.
    outcome : str
        What the equilibrium means in the game, e.g. ``"deal"``, ``"disagreement"``
        or ``"mixed"``.
    """

    strategies: tuple[tuple[float, ...], tuple[float, ...]]
    payoffs: tuple[float, float]
    pure: bool
    outcome: str = ""


def bimatrix_equilibria(
    row: Any, col: Any, *, mixed: bool = True, tol: float = _TOL
) -> tuple[tuple[Equilibrium, ...], bool]:
    """Every pure equilibrium and the extreme mixed equilibria of a bimatrix game.

    Pure equilibria are read off the payoff matrices (each strategy a best
    response to the other). Mixed ones come from nashpy's vertex enumeration on
    the payoffs shifted to be positive (it copes with degenerate games); each is
    checked, rounded off and de-duplicated.

    Parameters
    ----------
    row, col : array of shape (m, n)
        The payoffs of the row and the column player.
    mixed : bool
        Whether to enumerate mixed equilibria.
    tol : float
        Tolerance of the best-response checks, relative to the payoff range.

    Returns
    -------
    equilibria : tuple of Equilibrium
        Pure ones first (in row-major order), then the strictly mixed ones.
    continuum : bool
        Whether the equilibria found show a continuum: one strategy in
        equilibrium with two different strategies of the other player.

    Examples
    --------
    >>> eqs, continuum = bimatrix_equilibria([[0, 3], [1, 2]], [[0, 1], [3, 2]])
    >>> for e in eqs:
    ...     print(e.strategies, e.pure)
    ((1.0, 0.0), (0.0, 1.0)) True
    ((0.0, 1.0), (1.0, 0.0)) True
    ((0.5, 0.5), (0.5, 0.5)) False
    >>> continuum
    False
    """
    a, b = np.asarray(row, dtype=float), np.asarray(col, dtype=float)
    scale = max(np.ptp(a), np.ptp(b), 1e-300)
    found = [_pure(a, b, i, j) for i, j in _pure_profiles(a, b, tol * scale)]
    if mixed:
        for x, y in _vertex_enumeration(a, b):
            x, y = _clean(x), _clean(y)
            if _is_equilibrium(a, b, x, y, tol * scale) and not any(
                np.allclose(x, e.strategies[0], atol=1e-9)
                and np.allclose(y, e.strategies[1], atol=1e-9)
                for e in found
            ):
                found.append(
                    Equilibrium(
                        (_tup(x), _tup(y)),
                        (float(x @ a @ y), float(x @ b @ y)),
                        pure=False,
                        outcome="mixed",
                    )
                )
    return tuple(found), _continuum(found)


def _pure_profiles(a: np.ndarray, b: np.ndarray, tol: float) -> list[tuple[int, int]]:
    row_best = a >= a.max(axis=0, keepdims=True) - tol
    col_best = b >= b.max(axis=1, keepdims=True) - tol
    return [(int(i), int(j)) for i, j in np.argwhere(row_best & col_best)]


def _pure(a: np.ndarray, b: np.ndarray, i: int, j: int) -> Equilibrium:
    x, y = np.eye(a.shape[0])[i], np.eye(a.shape[1])[j]
    return Equilibrium((_tup(x), _tup(y)), (float(a[i, j]), float(b[i, j])), pure=True)


def _vertex_enumeration(a: np.ndarray, b: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    # best-response polytopes need strictly positive payoffs to be bounded
    game = nashpy.Game(a - a.min() + 1.0, b - b.min() + 1.0)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return list(game.vertex_enumeration())


def _clean(p: np.ndarray) -> np.ndarray:
    p = np.where(np.abs(p) < 1e-10, 0.0, np.maximum(p, 0.0))
    return p / p.sum()


def _tup(p: np.ndarray) -> tuple[float, ...]:
    return tuple(float(round(v, 12)) + 0.0 for v in p)


def _is_equilibrium(a: np.ndarray, b: np.ndarray, x: np.ndarray, y: np.ndarray, tol: float) -> bool:
    return bool(x @ a @ y >= (a @ y).max() - tol and x @ b @ y >= (x @ b).max() - tol)


def _continuum(found: list[Equilibrium]) -> bool:
    for side in (0, 1):
        partners: dict[tuple[float, ...], set[tuple[float, ...]]] = {}
        for e in found:
            partners.setdefault(e.strategies[side], set()).add(e.strategies[1 - side])
        if any(len(p) > 1 for p in partners.values()):
            return True
    return False


@dataclass(frozen=True)
class DemandGame:
    """The discretised Nash demand game of a problem and its equilibria.

    Attributes
    ----------
    method : str
        ``"nash_demand_game"``.
    status, message : str
        ``"ok"``, or ``"no_agreement"`` when no deal beats disagreement.
    parties : pair of str
    demands : dict
        Each party's grid of demands, as utility levels.
    compatible : tuple of tuples of bool
        ``compatible[i][j]``: party 1's demand ``i`` and party 2's ``j`` can both be met.
    row_payoffs, col_payoffs : tuple of tuples of float
        The payoff matrices (utilities).
    equilibria : tuple of Equilibrium
        Every pure equilibrium (outcome ``"deal"`` or ``"disagreement"``), then
        the extreme mixed equilibria when they were enumerated.
    continuum : bool
        Whether the equilibrium set contains a continuum.
    warning : str
        A sentence when ``continuum`` is true (or mixed equilibria were skipped).
    settings, parameters, diagnostics : dict
    """

    method: str
    status: str
    message: str
    parties: tuple[str, str]
    demands: dict[str, tuple[float, ...]] = field(default_factory=dict)
    compatible: tuple[tuple[bool, ...], ...] = ()
    row_payoffs: tuple[tuple[float, ...], ...] = ()
    col_payoffs: tuple[tuple[float, ...], ...] = ()
    equilibria: tuple[Equilibrium, ...] = ()
    continuum: bool = False
    warning: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, float] = field(default_factory=dict)
    diagnostics: dict[str, Any] = field(default_factory=dict)

    @property
    def pure_equilibria(self) -> tuple[Equilibrium, ...]:
        """The pure equilibria."""
        return tuple(e for e in self.equilibria if e.pure)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return _jsonable(asdict(self))


def demand_game(
    problem: BargainingProblem,
    *,
    levels: int = 6,
    mixed: bool | None = None,
    frontier: Frontier | None = None,
) -> DemandGame:
    """Build the discretised Nash demand game of a problem and find its equilibria.

    Party :math:`i` demands one of ``levels`` scaled gains
    :math:`m_i \\, k / (\\text{levels} - 1)`, :math:`k = 0, \\dots, \\text{levels} - 1`,
    from nothing to its ideal gain :math:`m_i`; see the module notes for the payoffs.

    Parameters
    ----------
    problem : BargainingProblem
    levels : int
        Number of demands of each party (at least 2).
    mixed : bool, optional
        Enumerate mixed equilibria (vertex enumeration, exponential in
        ``levels``). Default: only when ``levels <= MAX_MIXED_LEVELS``.
    frontier : Frontier, optional
        A frontier already computed for this problem.

    Returns
    -------
    DemandGame

    Examples
    --------
    >>> import bargain
    >>> from bargain.demand_game import demand_game
    >>> pie = bargain.load("scenarios/textbook/unit_pie.toml").problem()
    >>> game = demand_game(pie, levels=5)
    >>> sorted((round(e.payoffs[0], 6), round(e.payoffs[1], 6))
    ...        for e in game.pure_equilibria if e.outcome == "deal")
    [(0.0, 1.0), (0.25, 0.75), (0.5, 0.5), (0.75, 0.25), (1.0, 0.0)]
    >>> game.continuum
    True
    """
    if int(levels) < 2:
        raise ValueError(f"levels must be at least 2, got {levels!r}")
    levels = int(levels)
    mixed = levels <= MAX_MIXED_LEVELS if mixed is None else bool(mixed)
    frontier = frontier or Frontier(problem)
    settings = {"levels": levels, "mixed": mixed, "tolerance": _TOL}
    if not frontier.agreement:
        return DemandGame(
            "nash_demand_game",
            "no_agreement",
            STATUSES["no_agreement"],
            problem.parties,
            settings=settings,
            parameters=dict(problem.parameters),
        )
    steps = np.linspace(0.0, 1.0, levels)
    a, b = frontier.m1 * steps, frontier.m2 * steps
    reach = np.array([frontier.value(v) for v in b])  # P(b): party 1's best against b
    compatible = a[:, None] <= reach[None, :] + _TOL
    ua, ub = frontier.to_utilities(np.column_stack([a, b])).T
    d = frontier.d
    row = np.where(compatible, ua[:, None], d[0])
    col = np.where(compatible, ub[None, :], d[1])
    found, continuum = bimatrix_equilibria(row, col, mixed=mixed)
    found = tuple(_label(e, compatible) for e in found)
    warning = (
        "the equilibrium set contains a continuum: a strategy is in equilibrium with "
        "several strategies of the other party, and so with every mixture of them"
        if continuum
        else ""
    )
    if not mixed:
        warning = (warning + "; " if warning else "") + (
            f"mixed equilibria were not enumerated (levels = {levels} > {MAX_MIXED_LEVELS})"
        )
    return DemandGame(
        method="nash_demand_game",
        status="ok",
        message=STATUSES["ok"],
        parties=problem.parties,
        demands={problem.parties[0]: _tup(ua), problem.parties[1]: _tup(ub)},
        compatible=tuple(tuple(bool(c) for c in r) for r in compatible),
        row_payoffs=tuple(_tup(r) for r in row),
        col_payoffs=tuple(_tup(r) for r in col),
        equilibria=found,
        continuum=continuum,
        warning=warning,
        settings=settings,
        parameters=dict(problem.parameters),
        diagnostics={
            "frontier_evaluations": frontier.evaluations,
            "pure": sum(e.pure for e in found),
            "mixed": sum(not e.pure for e in found),
        },
    )


def _label(e: Equilibrium, compatible: np.ndarray) -> Equilibrium:
    if not e.pure:
        return e
    i, j = int(np.argmax(e.strategies[0])), int(np.argmax(e.strategies[1]))
    outcome = "deal" if compatible[i, j] else "disagreement"
    return Equilibrium(e.strategies, e.payoffs, True, outcome)


@dataclass(frozen=True)
class SmoothedDemandGame:
    """The equilibrium of Nash's smoothed demand game.

    Attributes
    ----------
    method : str
        ``"nash_smoothed_demand_game"``.
    status, message : str
        ``"ok"``, ``"no_agreement"``, or ``"not_converged"`` when the candidate
        fails the best-response check.
    parties : pair of str
    smoothing : float
        :math:`\\sigma`, in scaled units.
    demands : dict or None
        Each party's equilibrium demand, as a utility level.
    deal_probability : float
        :math:`h` at the equilibrium demands.
    expected_utilities : dict or None
    nash : dict or None
        The Nash bargaining solution's utilities, for comparison.
    distance_to_nash : float
        Largest gap between an equilibrium demand and the Nash utility, in scaled
        units (the frontier's ``scale``).
    grid_equilibria : tuple of Equilibrium
        Pure equilibria of the smoothed game on a grid of ``levels`` demands.
    settings, parameters, diagnostics : dict
    """

    method: str
    status: str
    message: str
    parties: tuple[str, str]
    smoothing: float
    demands: dict[str, float] | None = None
    deal_probability: float = float("nan")
    expected_utilities: dict[str, float] | None = None
    nash: dict[str, float] | None = None
    distance_to_nash: float = float("nan")
    grid_equilibria: tuple[Equilibrium, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, float] = field(default_factory=dict)
    diagnostics: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return _jsonable(asdict(self))


def smoothed_demand_game(
    problem: BargainingProblem,
    *,
    smoothing: float = 0.05,
    levels: int = 41,
    frontier: Frontier | None = None,
) -> SmoothedDemandGame:
    """Solve Nash's smoothed demand game of a problem.

    The equilibrium demands maximise :math:`a\\,b\\,h(a, b)` (see the module
    notes): for each demand :math:`b` of party 2 the best :math:`a` depends only
    on :math:`P(b)`, so this is a one-dimensional search along the frontier.
    The result is then checked as an equilibrium: party 2's best response to
    the equilibrium :math:`a` is searched over a grid and refined
    (``best_response_gap`` in the diagnostics). The same game on a grid of
    ``levels`` demands is also solved for its pure equilibria.

    Parameters
    ----------
    problem : BargainingProblem
    smoothing : float
        :math:`\\sigma > 0`, the scale of the noise, in scaled units.
    levels : int
        Grid size of the discretised smoothed game.
    frontier : Frontier, optional

    Returns
    -------
    SmoothedDemandGame

    Examples
    --------
    >>> import bargain
    >>> from bargain.demand_game import smoothed_demand_game
    >>> pie = bargain.load("scenarios/textbook/unit_pie.toml").problem()
    >>> game = smoothed_demand_game(pie, smoothing=0.01)
    >>> game.status, game.distance_to_nash < 0.03
    ('ok', True)
    """
    if not smoothing > 0:
        raise ValueError(f"smoothing must be positive, got {smoothing!r}")
    frontier = frontier or Frontier(problem)
    sigma = float(smoothing)
    settings = {"smoothing": sigma, "levels": int(levels)}
    if not frontier.agreement:
        return SmoothedDemandGame(
            "nash_smoothed_demand_game",
            "no_agreement",
            STATUSES["no_agreement"],
            problem.parties,
            sigma,
            settings=settings,
            parameters=dict(problem.parameters),
        )
    m1 = frontier.m1

    def best_a(p: float) -> float:  # party 1's best demand when the frontier is at p
        res = optimize.minimize_scalar(
            lambda a: -a * special.ndtr((p - a) / sigma),
            bounds=(0.0, m1),
            method="bounded",
            options={"xatol": 1e-12},
        )
        return float(res.x)

    def product(v: float) -> float:
        p = frontier.value(v)
        a = best_a(p)
        return v * a * float(special.ndtr((p - a) / sigma))

    b = _argmax_1d(product, frontier.m2, frontier.resolution)
    p_b = frontier.value(b)
    a = best_a(p_b)
    h = float(special.ndtr((p_b - a) / sigma))
    respond = lambda v: v * float(special.ndtr((frontier.value(v) - a) / sigma))  # noqa: E731
    b_best = _argmax_1d(respond, frontier.m2, frontier.resolution)
    gap = max(respond(b_best) - respond(b), 0.0)
    nash = nash_solution(problem, frontier=frontier)
    demands = frontier.to_utilities(np.array([a, b]))
    distance = float("nan")
    if nash.ok and nash.utilities is not None:
        nash_u = np.array(list(nash.utilities.values()))
        distance = float(np.max(np.abs((demands - nash_u) / frontier.scale)))
    ok = gap <= 1e-7 * max(b, 1e-12)
    return SmoothedDemandGame(
        method="nash_smoothed_demand_game",
        status="ok" if ok else "not_converged",
        message=STATUSES["ok" if ok else "not_converged"],
        parties=problem.parties,
        smoothing=sigma,
        demands=problem.named(demands),
        deal_probability=h,
        expected_utilities=problem.named(frontier.d + h * (demands - frontier.d)),
        nash=nash.utilities,
        distance_to_nash=distance,
        grid_equilibria=_smoothed_grid(frontier, sigma, int(levels)),
        settings=settings,
        parameters=dict(problem.parameters),
        diagnostics={
            "best_response_gap": gap,
            "frontier_evaluations": frontier.evaluations,
            "scaled_demands": (a, b),
        },
    )


def _argmax_1d(func: Any, hi: float, resolution: int) -> float:
    """Maximise ``func`` on ``[0, hi]``: the best grid point, refined by bounded Brent."""
    grid = np.linspace(0.0, hi, max(resolution, 3))
    values = np.array([func(v) for v in grid])
    k = int(np.argmax(values))
    lo_, hi_ = grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)]
    res = optimize.minimize_scalar(
        lambda v: -func(v),
        bounds=(lo_, hi_),
        method="bounded",
        options={"xatol": 1e-12 * max(hi, 1.0)},
    )
    return float(res.x) if -res.fun >= values[k] else float(grid[k])


def _smoothed_grid(frontier: Frontier, sigma: float, levels: int) -> tuple[Equilibrium, ...]:
    steps = np.linspace(0.0, 1.0, levels)
    a, b = frontier.m1 * steps, frontier.m2 * steps
    reach = np.array([frontier.value(v) for v in b])
    h = special.ndtr((reach[None, :] - a[:, None]) / sigma)
    s, d = frontier.scale, frontier.d
    row, col = d[0] + s[0] * a[:, None] * h, d[1] + s[1] * b[None, :] * h
    found, _ = bimatrix_equilibria(row, col, mixed=False)
    return found
