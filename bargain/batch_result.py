"""The result type of the batched solvers and the arrays they share for one batch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .batch_model import BatchModel
from .frontier import Frontier

__all__ = ["BatchResult"]

_RESOLUTION = 81  # frontier grid of the convexity check, as bargain.Frontier's default


@dataclass(frozen=True)
class BatchResult:
    """One solution concept at many parameter points.

    Attributes
    ----------
    method : str
        ``"nash"``, ``"asymmetric_nash"`` or ``"rubinstein"``.
    issues, parties : tuple of str
    status : ndarray of str, shape (N,)
        As the per-scenario solver's (see :data:`bargain.STATUSES`).
    deal : ndarray, shape (N, n)
        Issue values (nan unless the status is ok).
    utilities : ndarray, shape (N, 2)
        Both parties' utilities at the deal (nan unless ok).
    iterations : ndarray of int, shape (N,)
        Newton iterations (0 where the point fell back).
    fallback : ndarray of bool, shape (N,)
        Points solved by the per-scenario solver instead.
    """

    method: str
    issues: tuple[str, ...]
    parties: tuple[str, str]
    status: np.ndarray
    deal: np.ndarray
    utilities: np.ndarray
    iterations: np.ndarray
    fallback: np.ndarray
    diagnostics: dict[str, Any] = field(default_factory=dict)

    @property
    def fallback_rate(self) -> float:
        """The share of points solved by the per-scenario solver."""
        return float(self.fallback.mean()) if self.fallback.size else 0.0

    def columns(self, prefix: str | None = None) -> dict[str, np.ndarray]:
        """Flat named columns: ``<method>.<issue>``, ``<method>.u_<party>``, ``<method>.status``."""
        p = self.method if prefix is None else prefix
        out: dict[str, np.ndarray] = {}
        for k, name in enumerate(self.issues):
            out[f"{p}.{name}"] = self.deal[:, k]
        for k, name in enumerate(self.parties):
            out[f"{p}.u_{name}"] = self.utilities[:, k]
        out[f"{p}.status"] = self.status
        out[f"{p}.fallback"] = self.fallback
        return out


class _Batch:
    """Everything the solvers share for one array of parameter points."""

    def __init__(self, bm: BatchModel, theta: np.ndarray, compiled: bool | None = None) -> None:
        from .batch_jit import use_compiled

        self.bm = bm
        self.theta = theta
        self.size = theta.shape[1]
        self.kernels = use_compiled(bm, self.size, compiled)
        self.ctx = bm.prepare(theta)
        self.settings = bm.settings(theta)
        self.d = self.settings["disagreement"]
        self.scale = bm.scale(theta, self.ctx, self.d)
        self._frontiers: dict[int, Frontier] = {}
        self._traced = np.zeros(0, dtype=int)
        self._traces: list[Any] = []

    def problem_at(self, i: int) -> Any:
        values = dict(zip(self.bm.model.parameter_names, self.theta[:, i], strict=True))
        return self.bm.model.problem({k: float(v) for k, v in values.items()})

    def trace(self, idx: np.ndarray) -> Any:
        """The traced frontiers of the points ``idx`` (each point traced once per batch)."""
        from .batch_frontier import trace_frontier

        missing = np.setdiff1d(idx, self._traced)
        if missing.size:
            new = trace_frontier(self.bm, self.theta[:, missing], resolution=_RESOLUTION)
            self._traced = np.concatenate([self._traced, missing])
            self._traces.append(new)
            order = np.argsort(self._traced, kind="stable")
            merged = _concat_traces(self._traces)
            self._traced, self._traces = self._traced[order], [merged.take(order)]
        rows = np.searchsorted(self._traced, idx)
        return self._traces[0].take(rows)

    def frontier_at(self, i: int) -> Frontier:
        if i not in self._frontiers:
            self._frontiers[i] = Frontier(self.problem_at(i))
        return self._frontiers[i]


class _SubSet:
    """A subset of a batch's points (shares the model)."""

    def __init__(self, sub: Any, idx: np.ndarray) -> None:
        self.bm = sub.bm
        self.kernels = sub.kernels
        self.ctx = sub.ctx[:, idx]
        self.d = sub.d[:, idx]
        self.scale = sub.scale[:, idx]
        self.size = int(np.size(self.d, 1))


def _concat_traces(traces: list[Any]) -> Any:
    """One trace from several (of different points, the same resolution)."""
    if len(traces) == 1:
        return traces[0]
    first = traces[0]
    return type(first)(
        **{f: np.concatenate([getattr(t, f) for t in traces]) for f in first.__dataclass_fields__}
    )


def _empty(batch: _Batch, method: str) -> BatchResult:
    bm, size = batch.bm, batch.size
    return BatchResult(
        method,
        bm.model.issue_names,
        bm.model.party_names,
        np.full(size, "not_converged", dtype="<U13"),
        np.full((size, bm.n), np.nan),
        np.full((size, 2), np.nan),
        np.zeros(size, dtype=int),
        np.zeros(size, dtype=bool),
    )


def _fill_fallback(result: BatchResult, batch: _Batch, which: np.ndarray, solver: Callable) -> None:
    for i in np.flatnonzero(which):
        sol = solver(int(i), batch.problem_at(int(i)), batch.frontier_at(int(i)))
        result.status[i] = sol.status
        result.fallback[i] = True
        result.iterations[i] = 0
        if sol.ok:
            result.deal[i] = [sol.deal[k] for k in result.issues]
            result.utilities[i] = [sol.utilities[p] for p in result.parties]
        else:
            result.deal[i] = np.nan
            result.utilities[i] = np.nan
