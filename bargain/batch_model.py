"""A scenario's utilities with exact derivatives, evaluated on arrays of points.

:class:`BatchModel` is what every batched solver (:mod:`bargain.batch`) and the
batched frontier (:mod:`bargain.batch_frontier`) evaluate: the compiled
utilities of a scenario with their exact gradients and Hessians (sympy), split
into a part computed once per parameter point and a part evaluated at every
Newton step. The starting grids of the batched solvers live here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from .frontier import start_points
from .model import _SETTINGS, lambdify, no_delta
from .scenario import Scenario

__all__ = ["BatchModel"]

_GRID_POINTS = 64  # at most this many grid points in the starting search


def _hoist(
    expr: sp.Expr,
    issues: set[sp.Symbol],
    table: dict[sp.Expr, sp.Symbol],
    reserved: frozenset[str] = frozenset(),
) -> Any:
    """Replace every issue-free subexpression by a symbol computed once per point.

    Only expressions are lifted: an issue-free condition or ``where`` branch
    (``ExprCondPair``) keeps its place and only its parts are lifted.
    """
    if not expr.free_symbols & issues and isinstance(expr, sp.Expr):
        if expr.is_Atom:
            return expr
        if expr not in table:
            table[expr] = _fresh(f"_h{len(table)}", reserved)
        return table[expr]
    if isinstance(expr, sp.Add | sp.Mul):
        fixed = [a for a in expr.args if not a.free_symbols & issues]
        moving = [_hoist(a, issues, table, reserved) for a in expr.args if a.free_symbols & issues]
        if fixed:
            moving.append(_hoist(expr.func(*fixed), issues, table, reserved))
        return expr.func(*moving)
    if not expr.args:
        return expr
    return expr.func(*[_hoist(a, issues, table, reserved) for a in expr.args])


def _fresh(name: str, reserved: frozenset[str]) -> sp.Symbol:
    """A real symbol called ``name``, with ``_`` appended while it is a reserved name
    (the scenario's: a parameter may be called ``_h0``)."""
    while name in reserved:
        name += "_"
    return sp.Symbol(name, real=True)


class BatchModel:
    """A scenario's utilities with exact gradients and Hessians, for arrays of points.

    Sub-expressions that depend on the parameters only are computed once per
    parameter point (:meth:`prepare`); the issue-dependent rest is evaluated at
    every Newton step (:meth:`evaluate`). Points run along the last axis.

    Examples
    --------
    >>> import bargain, numpy as np
    >>> bm = BatchModel(bargain.load("scenarios/textbook/unit_pie.toml"))
    >>> ctx = bm.prepare(bm.theta({}, 1))
    >>> u, g, h = bm.evaluate(np.array([[0.25]]), ctx, derivatives=True)
    >>> u[:, 0].tolist(), g[:, :, 0].tolist()
    ([0.25, 0.75], [[1.0], [-1.0]])
    """

    def __init__(self, scenario: Scenario) -> None:
        model = scenario.model
        self.scenario = scenario
        self.model = model
        self.n = len(model.issues)
        self.lower = np.asarray(model.lower, dtype=float)
        self.upper = np.asarray(model.upper, dtype=float)
        self.span = np.where(self.upper > self.lower, self.upper - self.lower, 1.0)
        xs = list(model.issues)
        utils = [model.utilities[p] for p in model.party_names]
        grads = [sp.diff(u, x) for u in utils for x in xs]
        hess = [no_delta(sp.diff(u, a, b)) for u in utils for a in xs for b in xs]
        table: dict[sp.Expr, sp.Symbol] = {}
        issues = set(xs)
        params = list(model.parameters)
        reserved = frozenset(s.name for s in (*xs, *params))
        values = [_hoist(e, issues, table, reserved) for e in utils]
        full = [_hoist(e, issues, table, reserved) for e in (*utils, *grads, *hess)]
        used = set().union(*(sp.sympify(e).free_symbols for e in full)) & set(params)
        self._stage2_params = [i for i, p in enumerate(params) if p in used]
        stage2 = [*xs, *(params[i] for i in self._stage2_params), *table.values()]
        # the issues and context, and the expressions, of the compiled kernels (bargain.batch_jit)
        self.stage2_symbols = (xs, stage2[len(xs) :])
        self.stage2_exprs = (values, full)
        self._pre = lambdify(params, list(table), cse=True)
        self._value = lambdify(stage2, values, cse=True)
        self._full = lambdify(stage2, full, cse=True)
        self._hoisted = len(table)
        self._breakdown = lambdify(params, model.breakdown_expr)

    def theta(self, values: Mapping[str, ArrayLike], size: int | None = None) -> np.ndarray:
        """Parameter arrays of shape ``(P, N)`` in model order; missing names take file values."""
        base = self.scenario.parameter_values()
        arrays = [np.asarray(values.get(n, base[n]), dtype=float) for n in base]
        shape = np.broadcast_shapes(*(a.shape for a in arrays), (size,) if size else (1,))
        if len(shape) != 1:
            raise ValueError("parameter values must be scalars or 1-d arrays of one length")
        rows = [np.broadcast_to(a, shape) for a in arrays]
        return np.array(rows, dtype=float).reshape(len(base), shape[0])

    def prepare(self, theta: np.ndarray) -> np.ndarray:
        """The per-point context: stage-two parameters and hoisted sub-expressions."""
        size = theta.shape[1]
        with np.errstate(all="ignore"):
            pre = self._pre(*theta) if self._hoisted else []
        rows = [theta[i] for i in self._stage2_params] + [
            np.broadcast_to(np.asarray(v, dtype=float), (size,)) for v in pre
        ]
        return np.array(rows, dtype=float).reshape(len(rows), size)

    def evaluate(
        self, x: np.ndarray, ctx: np.ndarray, derivatives: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Utilities ``(2, N)``; if asked, gradients ``(2, n, N)``, Hessians ``(2, n, n, N)``."""
        size, n = x.shape[1], self.n
        with np.errstate(all="ignore"):
            if not derivatives:
                raw = self._value(*x, *ctx)
                return _rows(raw, size).reshape(2, size), np.empty(0), np.empty(0)
            out = _rows(self._full(*x, *ctx), size)
            # 0/0 at the edge of the box (e.g. d/dx x**k = k x**k / x at 0): take the
            # one-sided derivatives a hair inside; cap what stays infinite (sqrt at 0)
            bad = ~np.isfinite(out[2:]).all(axis=0)
            if bad.any():
                mid = ((self.lower + self.upper) / 2)[:, None]
                inside = x[:, bad] + 1e-10 * (mid - x[:, bad])
                near = _rows(self._full(*inside, *ctx[:, bad]), int(bad.sum()))[2:]
                here = out[2:, bad]
                out[2:, bad] = np.where(np.isfinite(here), here, near)
        u = out[:2]
        out[2:] = np.nan_to_num(out[2:], nan=0.0, posinf=1e12, neginf=-1e12)
        g = out[2 : 2 + 2 * n].reshape(2, n, size)
        h = out[2 + 2 * n :].reshape(2, n, n, size)
        return u, g, h

    def settings(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        """Disagreement, discount, outside option, power, cost per round: ``(2, N)`` each.

        Also ``"breakdown"``, the per-round breakdown probability ``(N,)`` (it may be a
        formula of the parameters, so it differs from point to point).
        """
        size = theta.shape[1]
        with np.errstate(all="ignore"):
            raw = _rows(self.model.settings_function(*theta), size)
            breakdown = np.broadcast_to(np.asarray(self._breakdown(*theta), dtype=float), (size,))
        table = raw.reshape(2, len(_SETTINGS), size)
        out = {key: table[:, j] for j, key in enumerate(_SETTINGS)}
        out["breakdown"] = breakdown.copy()
        powers = out["power"]
        both_nan = np.isnan(powers).all(axis=0)
        filled = np.where(np.isnan(powers), 1.0 - np.nansum(powers, axis=0), powers)
        filled = np.where(both_nan, 0.5, filled)
        out["power"] = filled / filled.sum(axis=0)
        return out

    def scale(self, theta: np.ndarray, ctx: np.ndarray, d: np.ndarray) -> np.ndarray:
        """The frontier's scale of each party's gains (as :class:`bargain.Frontier` sets it)."""
        spread = np.zeros_like(d)
        for x in _start_points(self.lower, self.upper):
            u, _, _ = self.evaluate(np.repeat(x[:, None], d.shape[1], axis=1), ctx)
            with np.errstate(invalid="ignore"):
                spread = np.fmax(spread, np.abs(u - d))
        return np.where(np.isfinite(spread) & (spread > 1e-12), spread, 1.0)


def _rows(raw: Any, size: int) -> np.ndarray:
    """The outputs of a lambdified list (arrays and constants) as one ``(k, size)`` array."""
    out = np.empty((len(raw), size))
    for i, r in enumerate(raw):
        out[i] = r  # broadcasts a constant
    return out


def _start_points(lower: np.ndarray, upper: np.ndarray, count: int = 8) -> list[np.ndarray]:
    """The starting points of :class:`bargain.Frontier` (seed 0), which set its scale."""
    return start_points(lower, upper, np.random.default_rng(0), count)


def _grid(lower: np.ndarray, upper: np.ndarray) -> list[np.ndarray]:
    """A coarse grid over the box (or seeded random points in many dimensions)."""
    n = lower.size
    k = int(np.floor(_GRID_POINTS ** (1.0 / n) + 1e-9))
    if k >= 3:
        axes = [np.linspace(0.0, 1.0, k)] * n
        unit = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, n)
    else:
        unit = np.random.default_rng(1).random((_GRID_POINTS, n))
    return [lower + u * (upper - lower) for u in unit] + _start_points(lower, upper)
