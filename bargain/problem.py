"""The numeric two-party bargaining problem that every solver takes.

A :class:`BargainingProblem` is a box of issues :math:`x \\in [l, u] \\subset
\\mathbb{R}^n`, two utility functions :math:`u_i(x)` with their gradients, a
disagreement point :math:`d = (d_1, d_2)` and the settings of the strategic
solvers. It is built from a scenario by :meth:`bargain.Scenario.problem`, or
directly from Python callables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["BargainingProblem"]

Vector = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class BargainingProblem:
    """A two-party bargaining problem over a box of issues.

    Parameters
    ----------
    utility : callable
        ``utility(x) -> array of shape (2,)``: both parties' utilities at the
        deal ``x`` (an array of shape ``(n,)``).
    jacobian : callable
        ``jacobian(x) -> array of shape (2, n)``: the gradients of the two
        utilities with respect to the issues.
    lower, upper : array of shape (n,)
        Bounds of the issues.
    disagreement : array of shape (2,)
        Utilities if the talks end without a deal.
    parties, issues : tuple of str
        Names, used in results.
    powers : array of shape (2,), optional
        Bargaining weights of the asymmetric Nash solution (normalised to sum
        to one). Default equal.
    discount : array of shape (2,), optional
        Per-round discount factors in (0, 1]. Default 1.
    outside_options : array of shape (2,), optional
        Utility from walking out when responding (nan where there is none).
    cost_per_round : array of shape (2,), optional
        Fixed cost per round of delay (Rubinstein's second model).
    breakdown : float, optional
        Per-round probability that talks collapse after a rejection.
    rounds : int, optional
        Deadline in rounds; 0 means no deadline.
    first_proposer : int, optional
        Index (0 or 1) of the party that proposes first.
    parameters : mapping, optional
        The parameter values the problem was built from (recorded in results).
    components : callable, optional
        ``components(x) -> {party: {component: value}}``, for decompositions.
    outputs : callable, optional
        ``outputs(x) -> {name: value}``: the scenario's reported quantities.

    Examples
    --------
    >>> import numpy as np
    >>> pie = BargainingProblem.from_functions(
    ...     lambda x: np.array([x[0], 1 - x[0]]),
    ...     lambda x: np.array([[1.0], [-1.0]]),
    ...     lower=[0.0], upper=[1.0])
    >>> pie.utility(np.array([0.25]))
    array([0.25, 0.75])
    """

    utility: Callable[[Vector], Vector]
    jacobian: Callable[[Vector], NDArray[np.float64]]
    lower: Vector
    upper: Vector
    disagreement: Vector
    parties: tuple[str, str] = ("A", "B")
    issues: tuple[str, ...] = ("x",)
    powers: Vector = field(default_factory=lambda: np.array([0.5, 0.5]))
    discount: Vector = field(default_factory=lambda: np.ones(2))
    outside_options: Vector = field(default_factory=lambda: np.full(2, np.nan))
    cost_per_round: Vector = field(default_factory=lambda: np.zeros(2))
    breakdown: float = 0.0
    rounds: int = 0
    first_proposer: int = 0
    parameters: Mapping[str, float] = field(default_factory=dict)
    components: Callable[[Vector], dict[str, dict[str, float]]] | None = None
    outputs: Callable[[Vector], dict[str, float]] | None = None

    @classmethod
    def from_functions(
        cls,
        utility: Callable[[Vector], Vector],
        jacobian: Callable[[Vector], NDArray[np.float64]],
        *,
        lower: Any,
        upper: Any,
        disagreement: Any = (0.0, 0.0),
        **settings: Any,
    ) -> BargainingProblem:
        """Build a problem from plain callables and array-likes."""
        lower_arr = np.asarray(lower, dtype=float)
        upper_arr = np.asarray(upper, dtype=float)
        n = lower_arr.size
        settings.setdefault("issues", tuple(f"x{i}" for i in range(n)) if n > 1 else ("x",))
        for key in ("powers", "discount", "outside_options", "cost_per_round"):
            if key in settings:
                settings[key] = np.asarray(settings[key], dtype=float)
        if "powers" in settings:
            settings["powers"] = settings["powers"] / settings["powers"].sum()
        return cls(
            utility,
            jacobian,
            lower_arr,
            upper_arr,
            np.asarray(disagreement, dtype=float),
            **settings,
        )

    @property
    def n_issues(self) -> int:
        """The number of issues."""
        return int(self.lower.size)

    def deal(self, x: Vector) -> dict[str, float]:
        """Name the issue values of a deal."""
        return {name: float(v) for name, v in zip(self.issues, x, strict=True)}

    def named(self, values: Vector) -> dict[str, float]:
        """Name a pair of per-party values."""
        return {name: float(v) for name, v in zip(self.parties, values, strict=True)}
