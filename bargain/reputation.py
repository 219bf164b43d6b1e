"""Reputational bargaining: the war of attrition of Abreu and Gul (2000).

Each party :math:`i` may be an *obstinate* type, with prior probability
:math:`z_i`, committed to a demand it never lowers; the rational type may
imitate it. When the two demands are incompatible the rational types play a
war of attrition in continuous time: each holds out, and concedes (accepts the
other's demand) at a constant hazard rate that keeps the *other* rational type
indifferent between conceding now and waiting.

On the unit pie party :math:`i` demands the share :math:`a_i`, with
:math:`a_1 + a_2 > 1`, and discounts at the rate :math:`r_i`. Conceding now gives
:math:`j` the share :math:`1 - a_i`; waiting :math:`dt` costs
:math:`r_j (1 - a_i)\\,dt` and gains :math:`a_j - (1 - a_i)` with probability
:math:`\\lambda_i\\,dt`. Indifference gives the concession rate of :math:`i`

.. math::

    \\lambda_i = \\frac{r_j\\,(1 - a_i)}{a_i + a_j - 1}.

A side that has not conceded by :math:`t` is obstinate with a probability that
grows like :math:`z_i e^{\\lambda_i t}`, so rational :math:`i` must be done by
:math:`T_i = -\\log(z_i) / \\lambda_i`. Both must finish together, at
:math:`T_0 = \\min(T_1, T_2)`: the side with the larger :math:`T_i` (the *weak*
side) concedes with probability

.. math::

    c_i = 1 - z_i\\, e^{\\lambda_i T_0}

at time 0, and the other concedes with no mass at 0. The probability that side
:math:`i` has not conceded by :math:`t \\le T_0` is
:math:`S_i(t) = (1 - c_i) e^{-\\lambda_i t}`, with :math:`S_i(T_0) = z_i`; talks
never end with probability :math:`z_1 z_2` (both obstinate). A rational type is
indifferent over conceding at any time in :math:`[0, T_0]`, so its equilibrium
payoff is its payoff from conceding at once,
:math:`c_j a_i + (1 - c_j)(1 - a_j)`: the weak side gets only :math:`1 - a_j`.

General utilities: the demands are two deals :math:`x_1, x_2` on any number of
issues and the shares are replaced by gains over disagreement,
:math:`h_i = u_i(x_i) - d_i` (own demand) and :math:`\\ell_i = u_i(x_j) - d_i`
(conceding), so :math:`\\lambda_i = r_j \\ell_j / (h_j - \\ell_j)`. The rates
depend only on ratios of one party's gains, so they are the same under any
positive affine rescaling of either utility: no normalisation is needed. The
Pareto frontier is used only to decide whether the demands are compatible
(some deal gives both at least their demand); then there is no war of
attrition.

Notes
-----
This is the game with one obstinate type per side (the demands are given), in
the continuous-time limit of Abreu and Gul (2000, sections 2-3), whose
equilibrium is unique. The formulas above were derived here from the
indifference conditions and are cross-checked in the tests by quadrature (a
rational type's payoff is flat in its concession time) and by simulation; the
equation numbers of the paper could not be checked against a copy.

References
----------
.. [1] Abreu, D. and Gul, F. (2000). Bargaining and reputation. Econometrica
   68(1), 85-117.
.. [2] Kambe, S. (1999). Bargaining with imperfect commitment. Games and
   Economic Behavior 28(2), 217-237.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .errors import BargainError
from .frontier import Frontier
from .problem import BargainingProblem
from .result import STATUSES, Solution

__all__ = [
    "Attrition",
    "ReputationError",
    "reputation_problem_solution",
    "reputation_solution",
    "war_of_attrition",
]

_TOL = 1e-12  # relative slack when comparing gains (compatibility of demands)


class ReputationError(BargainError, ValueError):
    """Inputs that do not define a war of attrition (demands, priors, rates)."""


@dataclass(frozen=True)
class Attrition:
    """The equilibrium of the war of attrition between two sides.

    Attributes
    ----------
    high, low : ndarray of shape (2,)
        Each side's gain if its own demand prevails, and if it concedes.
    priors : ndarray of shape (2,)
        Prior probabilities :math:`z_i` of the obstinate types.
    discount_rates : ndarray of shape (2,)
        Discount rates :math:`r_i` per unit of time.
    rates : ndarray of shape (2,)
        Concession rates :math:`\\lambda_i = r_j \\ell_j / (h_j - \\ell_j)`.
    times : ndarray of shape (2,)
        :math:`T_i = -\\log(z_i)/\\lambda_i` (infinite when :math:`z_i = 0`).
    end : float
        :math:`T_0 = \\min_i T_i`: the last moment at which a rational type concedes.
    atom : ndarray of shape (2,)
        :math:`c_i`: probability that side ``i`` concedes at time 0 (one of them is 0).

    Examples
    --------
    >>> w = war_of_attrition([0.6, 0.6], [0.4, 0.4], [0.1, 0.1], [1.0, 1.0])
    >>> w.rates.round(12).tolist(), round(w.end, 12), w.atom.tolist()
    ([2.0, 2.0], 1.151292546497, [0.0, 0.0])
    """

    high: np.ndarray
    low: np.ndarray
    priors: np.ndarray
    discount_rates: np.ndarray
    rates: np.ndarray
    times: np.ndarray
    end: float
    atom: np.ndarray

    def survival(self, t: ArrayLike) -> np.ndarray:
        """:math:`S_i(t)`: probability side ``i`` has not conceded by ``t`` (shape ``(2, ...)``).

        Right-continuous: the atom at 0 is included at ``t = 0``; after :math:`T_0`
        only the obstinate types are left, :math:`S_i = z_i`.
        """
        t = np.asarray(t, dtype=float)
        tc = np.minimum(t, self.end)[None, ...]
        shape = (2,) + (1,) * t.ndim
        lam, c = self.rates.reshape(shape), self.atom.reshape(shape)
        return np.where(tc < 0, 1.0, (1.0 - c) * np.exp(-lam * np.maximum(tc, 0.0)))

    def delay_cdf(self, t: ArrayLike, *, rational: bool = True) -> np.ndarray:
        """Probability that agreement is reached by time ``t``.

        With ``rational=True`` (default) given that both sides are rational (then
        agreement comes by :math:`T_0` for sure); otherwise unconditionally (it
        tends to :math:`1 - z_1 z_2`).
        """
        s = self.survival(t)
        if rational:
            z = self.priors.reshape((2,) + (1,) * (s.ndim - 1))
            s = np.clip((s - z) / (1.0 - z), 0.0, 1.0)
        out = 1.0 - s[0] * s[1]
        return np.where(np.asarray(t, dtype=float) < 0, 0.0, out)

    def mean_delay(self, *, rational: bool = True) -> float:
        """Expected time to agreement (given both rational, or given agreement at all)."""
        lam, c, z, end = self.rates, self.atom, self.priors, self.end
        both = (1 - c[0]) * (1 - c[1])
        zz = z[0] * z[1]
        first = (both - zz) / lam.sum()
        if not rational:
            return max(float((first - zz * end) / (1 - zz)), 0.0)  # rounding near z = 0
        cross = z[1] * ((1 - c[0]) - z[0]) / lam[0] + z[0] * ((1 - c[1]) - z[1]) / lam[1]
        return max(float((first - cross + zz * end) / ((1 - z[0]) * (1 - z[1]))), 0.0)

    def first_to_concede(self, *, rational: bool = True) -> np.ndarray:
        """Probability that side ``i`` concedes first (so the *other* side's demand prevails).

        Unconditionally the two add up to :math:`1 - z_1 z_2`; given both rational, to 1.
        """
        lam, c, z = self.rates, self.atom, self.priors
        both = (1 - c[0]) * (1 - c[1])
        zz = z[0] * z[1]
        flow = lam / lam.sum() * (both - zz)
        if not rational:
            return c + flow
        own = np.array([z[1] * ((1 - c[0]) - z[0]), z[0] * ((1 - c[1]) - z[1])])
        return c / (1 - z) + (flow - own) / ((1 - z[0]) * (1 - z[1]))

    def payoffs(self) -> np.ndarray:
        """Rational types' equilibrium (discounted) gains :math:`c_j h_i + (1 - c_j)\\ell_i`."""
        c_other = self.atom[::-1]
        return c_other * self.high + (1 - c_other) * self.low


def _pair(name: str, values: ArrayLike) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.shape != (2,) or not np.all(np.isfinite(arr)):
        raise ReputationError(f"{name} must be two finite numbers, got {values!r}")
    return arr


def war_of_attrition(
    high: ArrayLike, low: ArrayLike, priors: ArrayLike, discount_rates: ArrayLike
) -> Attrition:
    """Solve the war of attrition for given gains, priors and discount rates.

    Parameters
    ----------
    high : pair of float
        :math:`h_i`: side ``i``'s gain over disagreement if its own demand prevails.
    low : pair of float
        :math:`\\ell_i`: its gain if it concedes, with :math:`0 < \\ell_i < h_i`.
    priors : pair of float
        :math:`z_i \\in [0, 1)`, the probabilities of the obstinate types (not both 0).
    discount_rates : pair of float
        :math:`r_i > 0`.

    Returns
    -------
    Attrition

    Raises
    ------
    ReputationError
        If the gains, priors or rates are out of range.
    """
    h, lo = _pair("high", high), _pair("low", low)
    z, r = _pair("priors", priors), _pair("discount_rates", discount_rates)
    if not np.all((lo > 0) & (h > lo)):
        raise ReputationError(
            f"each side must gain from conceding and gain more if it prevails: 0 < low < high, "
            f"got high={h.tolist()}, low={lo.tolist()}"
        )
    if not np.all((z >= 0) & (z < 1)) or not np.any(z > 0):
        raise ReputationError(f"priors must lie in [0, 1), not both 0, got {z.tolist()}")
    if not np.all(r > 0):
        raise ReputationError(f"discount rates must be positive, got {r.tolist()}")
    # lambda_i keeps j indifferent: r_j l_j = lambda_i (h_j - l_j)
    lam = r[::-1] * lo[::-1] / (h[::-1] - lo[::-1])
    with np.errstate(divide="ignore"):
        times = -np.log(z) / lam
    end = float(np.min(times))
    atom = 1.0 - z * np.exp(lam * end)  # 0 on the side that sets T0
    atom[(atom < 1e-14) | (times == end)] = 0.0  # rounding: equal T_i means no atom
    return Attrition(h, lo, z, r, lam, times, end, atom)


def _diagnostics(w: Attrition) -> dict[str, Any]:
    first = w.first_to_concede(rational=False)
    first_rational = w.first_to_concede(rational=True)
    return {
        "concession_rates": w.rates.tolist(),
        "times": [float(t) for t in w.times],
        "end": w.end,
        "atom": w.atom.tolist(),
        "weak_side": int(np.argmax(w.atom)) if w.atom.max() > 0 else None,
        "first_to_concede": first.tolist(),
        "first_to_concede_if_rational": first_rational.tolist(),
        "no_agreement": float(w.priors[0] * w.priors[1]),
        "agreement_at_zero": float(w.atom.sum()),
        "mean_delay_if_rational": w.mean_delay(rational=True),
        "mean_delay_given_agreement": w.mean_delay(rational=False),
    }


def reputation_solution(
    demands: Sequence[float],
    priors: Sequence[float],
    rates: Sequence[float],
    *,
    parties: tuple[str, str] = ("A", "B"),
) -> Solution:
    """Reputational bargaining over a unit pie (Abreu and Gul 2000).

    Parameters
    ----------
    demands : pair of float
        The obstinate types' demanded shares :math:`a_i \\in (0, 1)`.
    priors : pair of float
        Prior probabilities :math:`z_i \\in [0, 1)` of the obstinate types.
    rates : pair of float
        Discount rates :math:`r_i > 0` per unit of time.
    parties : pair of str
        Names used in the result.

    Returns
    -------
    Solution
        Method ``"reputation"``. ``deal["x"]``: A's expected share given that both
        are rational (:math:`a_A` times the probability that B concedes first,
        plus :math:`1 - a_B` times the probability that A does); ``utilities``:
        the rational types' equilibrium discounted payoffs. ``diagnostics``: the
        concession rates, :math:`T_i`, :math:`T_0`, the atom, who concedes first
        (unconditionally and given both rational), the probability of no
        agreement :math:`z_1 z_2` and the mean delays. Compatible demands
        (:math:`a_1 + a_2 \\le 1`) give status ``not_unique``: agreement is
        immediate, on any split between the two demands.

    Examples
    --------
    >>> s = reputation_solution([0.6, 0.6], [0.1, 0.1], [1.0, 1.0])
    >>> round(s.deal["x"], 12), round(s.utilities["A"], 12)
    (0.5, 0.4)
    >>> round(s.diagnostics["mean_delay_if_rational"], 6)
    0.208658
    """
    a, z, r = _pair("demands", demands), _pair("priors", priors), _pair("rates", rates)
    if not np.all((a > 0) & (a < 1)):
        raise ReputationError(f"demands must be shares in (0, 1), got {a.tolist()}")
    settings: dict[str, Any] = {
        "demands": dict(zip(parties, a.tolist(), strict=True)),
        "priors": dict(zip(parties, z.tolist(), strict=True)),
        "rates": dict(zip(parties, r.tolist(), strict=True)),
    }
    zero = dict.fromkeys(parties, 0.0)
    if a.sum() <= 1:
        return Solution(
            "reputation",
            "not_unique",
            "the demands are compatible (a_A + a_B <= 1): agreement is immediate, on any "
            "split that gives each at least its demand",
            None,
            None,
            None,
            zero,
            settings=settings,
            diagnostics={"compatible": True, "mean_delay_if_rational": 0.0},
        )
    w = war_of_attrition(a, 1 - a[::-1], z, r)
    first = w.first_to_concede(rational=True)
    share = first[1] * a[0] + first[0] * (1 - a[1])  # B concedes first: A gets a_A
    payoffs = dict(zip(parties, w.payoffs().tolist(), strict=True))
    return Solution(
        "reputation",
        "ok",
        STATUSES["ok"],
        {"x": float(share)},
        payoffs,
        dict(payoffs),
        zero,
        settings=settings,
        diagnostics={"compatible": False, **_diagnostics(w)},
    )


def _as_deal(problem: BargainingProblem, deal: Mapping[str, float] | ArrayLike) -> np.ndarray:
    if isinstance(deal, Mapping):
        missing = [k for k in problem.issues if k not in deal]
        if missing or set(deal) - set(problem.issues):
            raise ReputationError(
                f"a demand must give every issue {list(problem.issues)}, got {sorted(deal)}"
            )
        deal = [deal[k] for k in problem.issues]
    x = np.asarray(deal, dtype=float)
    if x.shape != (problem.n_issues,) or not np.all(np.isfinite(x)):
        raise ReputationError(f"a demand must be {problem.n_issues} finite issue values")
    if np.any(x < problem.lower - 1e-12) or np.any(x > problem.upper + 1e-12):
        raise ReputationError(f"a demand lies outside the issues' bounds: {x.tolist()}")
    return x


def reputation_problem_solution(
    problem: BargainingProblem,
    demands: Sequence[Mapping[str, float] | ArrayLike],
    priors: Sequence[float],
    rates: Sequence[float] | None = None,
    *,
    frontier: Frontier | None = None,
) -> Solution:
    """Reputational bargaining over the deals of a general problem.

    Side ``i``'s obstinate type demands the deal ``demands[i]``; conceding means
    accepting the other's demanded deal. Gains over disagreement replace shares:
    :math:`h_i = u_i(x_i) - d_i`, :math:`\\ell_i = u_i(x_j) - d_i` and
    :math:`\\lambda_i = r_j \\ell_j / (h_j - \\ell_j)` (invariant to rescaling
    either utility, so nothing is normalised).

    Parameters
    ----------
    problem : BargainingProblem
        E.g. ``bargain.load(path).problem()``.
    demands : pair of deals
        Each a mapping ``{issue: value}`` or an array of issue values.
    priors : pair of float
        Prior probabilities of the obstinate types.
    rates : pair of float, optional
        Discount rates per unit of time; default :math:`-\\log \\delta_i` from the
        problem's per-round discount factors (one round = one unit of time).
    frontier : Frontier, optional
        Shared frontier, used to test whether the demands are compatible.

    Returns
    -------
    Solution
        Method ``"reputation"``. ``deal``: the expected deal given both rational
        (the two demands weighted by who concedes first; meaningful when the
        issues are continuous); ``utilities``/``gains``: the rational types'
        equilibrium discounted payoffs; ``diagnostics`` as in
        :func:`reputation_solution`, plus both demands' utilities. Status
        ``not_unique`` when some deal gives both at least their demands (agreement
        is immediate) and ``no_agreement`` when a side prefers disagreement to
        conceding.

    Examples
    --------
    >>> import bargain
    >>> pie = bargain.load("scenarios/textbook/unit_pie.toml").problem()
    >>> s = reputation_problem_solution(pie, [{"x": 0.7}, {"x": 0.4}], [0.05, 0.05],
    ...                                 rates=[1.0, 1.0])
    >>> t = reputation_solution([0.7, 0.6], [0.05, 0.05], [1.0, 1.0])
    >>> abs(s.deal["x"] - t.deal["x"]) < 1e-12
    True
    """
    x = np.array([_as_deal(problem, d) for d in demands])
    if x.shape[0] != 2:
        raise ReputationError("demands must be two deals, one per party")
    if rates is None:
        delta = np.asarray(problem.discount, dtype=float)
        if not np.all((delta > 0) & (delta < 1)):
            raise ReputationError(
                f"pass rates: the problem's discount factors {delta.tolist()} give no rate"
            )
        rates = (-np.log(delta)).tolist()
    r, z = _pair("rates", rates), _pair("priors", priors)
    d = np.asarray(problem.disagreement, dtype=float)
    u_own = np.array([problem.utility(x[0])[0], problem.utility(x[1])[1]])
    u_concede = np.array([problem.utility(x[1])[0], problem.utility(x[0])[1]])
    high, low = u_own - d, u_concede - d
    settings: dict[str, Any] = {
        "demands": {p: problem.deal(xi) for p, xi in zip(problem.parties, x, strict=True)},
        "priors": problem.named(z),
        "rates": problem.named(r),
    }
    info = {"demand_utilities": problem.named(u_own), "concede_utilities": problem.named(u_concede)}
    frontier = frontier or Frontier(problem)
    scale = frontier.scale
    if high[0] / scale[0] <= frontier.value(high[1] / scale[1]) * (1 + _TOL) + _TOL:
        return _refuse(problem, "not_unique", _COMPATIBLE, settings, info)
    if not np.all(low > 0):
        return _refuse(problem, "no_agreement", _NO_CONCESSION, settings, info)
    w = war_of_attrition(high, low, z, r)
    first = w.first_to_concede(rational=True)
    deal = first[1] * x[0] + first[0] * x[1]
    payoffs = w.payoffs()
    return Solution(
        "reputation",
        "ok",
        STATUSES["ok"],
        problem.deal(deal),
        problem.named(d + payoffs),
        problem.named(payoffs),
        problem.named(d),
        settings=settings,
        parameters=dict(problem.parameters),
        diagnostics={"compatible": False, **info, **_diagnostics(w)},
    )


_COMPATIBLE = (
    "the demands are compatible (some deal gives both at least their demand): agreement is "
    "immediate and the war of attrition does not arise"
)
_NO_CONCESSION = (
    "a side prefers disagreement to the other's demand, so it never concedes: there is no "
    "war of attrition to solve"
)


def _refuse(
    problem: BargainingProblem,
    status: str,
    message: str,
    settings: dict[str, Any],
    info: dict[str, Any],
) -> Solution:
    return Solution(
        "reputation",
        status,
        message,
        None,
        None,
        None,
        problem.named(problem.disagreement),
        settings=settings,
        parameters=dict(problem.parameters),
        diagnostics=info,
    )
