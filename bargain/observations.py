"""Observed statements about the parties' preferences (``[[observations]]``).

A scenario may carry publicly observed statements, each with its source and
date: a party accepted or rejected a deal, made an offer, both signed a deal, or
a zone of agreement existed. :func:`parse_observations` validates them when the
file is loaded; :func:`log_likelihood` evaluates one of them at many parameter
points at once, for calibration by revealed preference (:mod:`bargain.calibrate`).

With the gain of party :math:`P` at deal :math:`X`,
:math:`g_P(X) = u_P(X; \\theta) - d_P(\\theta)` (the disagreement point at the
same :math:`\\theta` and the observation's parameter overrides):

* ``accepts`` and ``offer``: :math:`g_P(X) \\ge 0` (an offer is acceptable to the
  party that made it);
* ``rejects``: :math:`g_P(X) < 0`;
* ``signed``: both parties accept :math:`X`;
* ``zone``: some deal of the issue box gives both parties a positive gain.

A hard observation's likelihood is the indicator of the statement; a soft one's
is logistic, :math:`\\sigma(g_P(X)/s)` for ``accepts`` (:math:`\\sigma(-g/s)` for
``rejects``, the product over both parties for ``signed``) with the scale
:math:`s` in the file's utility units. Issues listed in ``free`` may take any
value of their box (on a grid of :data:`FREE_GRID` points), chosen in the
observed party's favour: ``accepts`` and ``offer`` hold if some value makes the
deal acceptable, ``rejects`` holds if none does (a rejection of a deal that left
them open means no value would have made it acceptable), so the gain is
maximised over them in every case; for ``signed`` the smaller of the two gains,
or the product of the two soft likelihoods, is maximised.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import ScenarioError, suggest

if TYPE_CHECKING:
    from .batch_model import BatchModel
    from .scenario import Issue, Parameter

__all__ = ["FREE_GRID", "KINDS", "Observation", "log_likelihood", "parse_observations"]

#: The kinds of observation.
KINDS = ("accepts", "rejects", "signed", "offer", "zone")
#: At most this many grid points over the box of an observation's free issues.
FREE_GRID = 129
_KEYS = {
    "name",
    "kind",
    "party",
    "deal",
    "parameters",
    "strength",
    "scale",
    "source",
    "date",
    "note",
    "free",
}


@dataclass(frozen=True)
class Observation:
    """One observed statement about the parties' preferences.

    Attributes
    ----------
    name : str
        Unique in its file.
    kind : str
        One of :data:`KINDS`.
    party : str
        The party that accepts, rejects or offers ("" for ``signed`` and ``zone``).
    deal : mapping of str to float
        The issue values given (every issue not in ``free``; empty for ``zone``).
    parameters : mapping of str to float
        Parameter values that hold for this observation only.
    strength : str
        ``"hard"`` (an indicator) or ``"soft"`` (a logistic likelihood).
    scale : float or None
        The logistic scale of a soft observation, in utility units.
    source, date, note : str
        Where it was reported, when (ISO date), and any remark.
    free : tuple of str
        Issues that may take any value of their box.
    """

    name: str
    kind: str
    source: str
    date: str
    party: str = ""
    deal: Mapping[str, float] = field(default_factory=dict)
    parameters: Mapping[str, float] = field(default_factory=dict)
    strength: str = "hard"
    scale: float | None = None
    note: str = ""
    free: tuple[str, ...] = ()

    @property
    def hard(self) -> bool:
        """Whether the likelihood is an indicator."""
        return self.strength == "hard"


# ------------------------------------------------------------------ validation
def parse_observations(
    raw: Any,
    issues: Sequence[Issue],
    params: Mapping[str, Parameter],
    parties: Sequence[str],
    path: str,
) -> tuple[Observation, ...]:
    """Validate the ``[[observations]]`` array of tables of a scenario file.

    Raises
    ------
    ScenarioError
        Naming ``observations[i].<key>`` for an unknown key or kind, a missing or
        unknown party, an unknown issue or parameter, a value outside its bounds,
        a missing source or date, a date that is not ISO, a soft observation
        without a positive scale (or a hard one with a scale), a deal given for a
        ``zone``, an issue neither in ``deal`` nor in ``free``, a duplicate name.
    """
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise ScenarioError(
            "expected an array of tables",
            key="observations",
            file=path,
            fix="write each observation as an [[observations]] table",
        )
    seen: set[str] = set()
    out = []
    for i, table in enumerate(raw):
        obs = _observation(table, f"observations[{i}]", issues, params, parties, path)
        if obs.name in seen:
            raise ScenarioError(
                f"the name '{obs.name}' is used by an earlier observation",
                key=f"observations[{i}].name",
                file=path,
                fix="give each observation its own name",
            )
        seen.add(obs.name)
        out.append(obs)
    return tuple(out)


def _error(problem: str, key: str, path: str, fix: str) -> ScenarioError:
    return ScenarioError(problem, key=key, file=path, fix=fix)


def _string(table: Mapping[str, Any], name: str, key: str, path: str, required: bool) -> str:
    value = table.get(name)
    if value is None:
        if required:
            raise _error(
                f"the key '{name}' is missing", f"{key}.{name}", path, f'add {name} = "..."'
            )
        return ""
    if isinstance(value, _dt.date) and name == "date":
        return value.isoformat()
    if not isinstance(value, str) or (required and not value.strip()):
        raise _error(
            "expected a non-empty string", f"{key}.{name}", path, f'write {name} = "..." in quotes'
        )
    return value


def _number(value: Any, key: str, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _error(
            f"expected a finite number, got {value!r}",
            key,
            path,
            "write a plain number such as 0.5 (no quotes)",
        )
    return float(value)


def _observation(
    table: Mapping[str, Any],
    key: str,
    issues: Sequence[Issue],
    params: Mapping[str, Parameter],
    parties: Sequence[str],
    path: str,
) -> Observation:
    for name in table:
        if name not in _KEYS:
            raise _error(f"unknown key '{name}'", f"{key}.{name}", path, suggest(name, _KEYS))
    name = _string(table, "name", key, path, required=True)
    kind = _string(table, "kind", key, path, required=True)
    if kind not in KINDS:
        raise _error(f"unknown kind '{kind}'", f"{key}.kind", path, suggest(kind, KINDS))
    source = _string(table, "source", key, path, required=True)
    date = _date(_string(table, "date", key, path, required=True), f"{key}.date", path)
    party = _party(table, kind, key, parties, path)
    strength, scale = _strength(table, key, path)
    free = _free(table.get("free", []), f"{key}.free", issues, path)
    deal = _deal(table, kind, key, issues, free, path)
    overrides = _overrides(table.get("parameters", {}), f"{key}.parameters", params, path)
    note = _string(table, "note", key, path, required=False)
    return Observation(
        name, kind, source, date, party, deal, overrides, strength, scale, note, free
    )


def _date(text: str, key: str, path: str) -> str:
    try:
        return _dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise _error(
            f"'{text}' is not a date", key, path, 'write an ISO date, e.g. date = "2025-08-03"'
        ) from None


def _party(table: Mapping[str, Any], kind: str, key: str, parties: Sequence[str], path: str) -> str:
    if kind in ("signed", "zone"):
        if "party" in table:
            raise _error(
                f"a '{kind}' observation is about both parties",
                f"{key}.party",
                path,
                "remove the party key",
            )
        return ""
    party = _string(table, "party", key, path, required=True)
    if party not in parties:
        raise _error(f"unknown party '{party}'", f"{key}.party", path, suggest(party, parties))
    return party


def _strength(table: Mapping[str, Any], key: str, path: str) -> tuple[str, float | None]:
    strength = table.get("strength", "hard")
    if strength not in ("hard", "soft"):
        raise _error(
            f"unknown strength {strength!r}",
            f"{key}.strength",
            path,
            suggest(str(strength), ["hard", "soft"]),
        )
    if strength == "hard":
        if "scale" in table:
            raise _error(
                "a hard observation has no scale",
                f"{key}.scale",
                path,
                'remove scale, or write strength = "soft"',
            )
        return "hard", None
    if "scale" not in table:
        raise _error(
            "a soft observation needs a scale",
            f"{key}.scale",
            path,
            "add scale = <positive number, in the file's utility units>",
        )
    scale = _number(table["scale"], f"{key}.scale", path)
    if scale <= 0:
        raise _error(
            f"scale {scale:g} is not positive", f"{key}.scale", path, "give a positive scale"
        )
    return "soft", scale


def _free(value: Any, key: str, issues: Sequence[Issue], path: str) -> tuple[str, ...]:
    names = [i.name for i in issues]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _error("expected a list of issue names", key, path, 'write e.g. free = ["c"]')
    for v in value:
        if v not in names:
            raise _error(f"unknown issue '{v}'", key, path, suggest(v, names))
    if len(set(value)) != len(value):
        raise _error("an issue is named twice", key, path, "name each free issue once")
    return tuple(value)


def _deal(
    table: Mapping[str, Any],
    kind: str,
    key: str,
    issues: Sequence[Issue],
    free: tuple[str, ...],
    path: str,
) -> dict[str, float]:
    raw = table.get("deal")
    if kind == "zone":
        if raw is not None or free:
            bad = "deal" if raw is not None else "free"
            raise _error(
                "a 'zone' observation takes no deal (it is about the whole issue box)",
                f"{key}.{bad}",
                path,
                f"remove {bad}",
            )
        return {}
    if not isinstance(raw, dict):
        raise _error(
            "the deal is missing" if raw is None else "expected a table of issue values",
            f"{key}.deal",
            path,
            "write deal = { <issue> = <number>, ... }",
        )
    by_name = {i.name: i for i in issues}
    deal = {}
    for name, value in raw.items():
        where = f"{key}.deal.{name}"
        if name not in by_name:
            raise _error(f"unknown issue '{name}'", f"{key}.deal", path, suggest(name, by_name))
        if name in free:
            raise _error(f"'{name}' is both given and free", where, path, "remove one of them")
        x = _number(value, where, path)
        issue = by_name[name]
        if not issue.min <= x <= issue.max:
            raise _error(
                f"{x:g} lies outside the issue's bounds [{issue.min:g}, {issue.max:g}]",
                where,
                path,
                f"give a value between {issue.min:g} and {issue.max:g}",
            )
        deal[name] = x
    missing = [n for n in by_name if n not in deal and n not in free]
    if missing:
        raise _error(
            f"the deal does not give the issue(s) {', '.join(missing)}",
            f"{key}.deal",
            path,
            f"give a value for each, or declare them free = {list(missing)!r}".replace("'", '"'),
        )
    return deal


def _overrides(raw: Any, key: str, params: Mapping[str, Parameter], path: str) -> dict[str, float]:
    if not isinstance(raw, dict):
        raise _error(
            "expected a table of parameter values", key, path, "write parameters = { name = 1.0 }"
        )
    out = {}
    for name, value in raw.items():
        if name not in params:
            raise _error(f"unknown parameter '{name}'", key, path, suggest(name, params))
        x = _number(value, f"{key}.{name}", path)
        bounds = params[name].bounds
        if bounds and not bounds[0] <= x <= bounds[1]:
            raise _error(
                f"{x:g} lies outside the parameter's bounds [{bounds[0]:g}, {bounds[1]:g}]",
                f"{key}.{name}",
                path,
                f"give a value between {bounds[0]:g} and {bounds[1]:g}",
            )
        out[name] = x
    return out


# ------------------------------------------------------------------ likelihood
def log_sigmoid(z: np.ndarray) -> np.ndarray:
    """:math:`\\log \\sigma(z) = -\\log(1 + e^{-z})`, without overflow.

    Examples
    --------
    >>> log_sigmoid(np.array([0.0, -1000.0])).round(6).tolist()
    [-0.693147, -1000.0]
    """
    return -np.logaddexp(0.0, -z)


def free_grid(lower: np.ndarray, upper: np.ndarray, count: int = FREE_GRID) -> np.ndarray:
    """Grid of about ``count`` points (at least 2 per axis, ends included) over a box.

    Examples
    --------
    >>> free_grid(np.array([0.0]), np.array([1.0]), 3).tolist()
    [[0.0], [0.5], [1.0]]
    """
    m = lower.size
    k = max(2, int(math.floor(count ** (1.0 / m) + 1e-9)))
    axes = [np.linspace(lo, hi, k) for lo, hi in zip(lower, upper, strict=True)]
    return np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, m)


def gains(
    obs: Observation, bm: BatchModel, theta: np.ndarray, cache: dict | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The gains ``(2, N)`` at the observation's deal, and the parameters it holds at.

    With free issues, ``(G, 2, N)``: one row per point of :func:`free_grid`. ``theta``
    is ``(P, N)`` in the order of ``bm.model.parameter_names``; the observation's
    parameter overrides replace their rows. ``cache``: a dictionary kept for one
    ``theta``, so that observations of the same deal share the evaluation.
    """
    key = (tuple(sorted(obs.deal.items())), obs.free, tuple(sorted(obs.parameters.items())))
    if cache is not None and key in cache:
        return cache[key]
    out = _gains(obs, bm, theta)
    if cache is not None:
        cache[key] = out
    return out


def _gains(obs: Observation, bm: BatchModel, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    names = list(bm.model.parameter_names)
    theta = theta.copy()
    for name, value in obs.parameters.items():
        theta[names.index(name)] = value
    ctx = bm.prepare(theta)
    d = bm.settings(theta)["disagreement"]
    size = theta.shape[1]
    issues = list(bm.model.issue_names)
    x = np.array([obs.deal.get(i, np.nan) for i in issues], dtype=float)
    free = [issues.index(f) for f in obs.free]
    points = free_grid(bm.lower[free], bm.upper[free]) if free else np.zeros((1, 0))
    out = np.empty((len(points), 2, size))
    for k, values in enumerate(points):
        x[free] = values
        u, _, _ = bm.evaluate(np.repeat(x[:, None], size, axis=1), ctx)
        out[k] = u - d
    return (out if free else out[0]), theta


def log_likelihood(
    obs: Observation,
    bm: BatchModel,
    theta: np.ndarray,
    compiled: bool | None = False,
    cache: dict | None = None,
) -> np.ndarray:
    """Each parameter point's log-likelihood of one observation, shape ``(N,)``.

    Hard observations give 0 (holds) or :math:`-\\infty`; soft ones
    :math:`\\log \\sigma(\\cdot)` as in the module's docstring. A utility that is
    not a number counts as the statement failing. A ``zone`` holds where the
    batched Nash solver (:func:`bargain.batch.batch_nash`) does not report
    ``no_agreement``, or a point of the grid :func:`free_grid` over the whole box
    gives both parties a positive gain. The solver's first phase maximises the
    soft minimum :math:`-\\tau \\log \\sum_i e^{-g_i/(s_i \\tau)}` of the scaled
    gains (:math:`\\tau = 0.01`) and reports ``no_agreement`` when that maximum is
    below :math:`-10^{-3}`; as the soft minimum is below the true one by up to
    :math:`\\tau \\log 2` and the grid is coarse, a thin zone (best smaller
    scaled gain under about 0.01, measured) can be missed by both checks: it is
    then counted as no zone. A soft
    ``zone``'s statistic is :math:`\\max_X \\min(g_1, g_2)`,
    estimated from below by the best of the grid :func:`free_grid` over the whole
    box and the Nash deal.
    """
    if obs.kind == "zone":
        return _zone(obs, bm, theta, compiled)
    g, _ = gains(obs, bm, theta, cache)
    party = bm.model.party_names.index(obs.party) if obs.party else 0
    free = bool(obs.free)
    with np.errstate(invalid="ignore"):
        if obs.kind == "signed":
            if obs.hard:
                stat = g.min(axis=-2)
                ok = (stat.max(axis=0) if free else stat) >= 0
                return np.where(ok, 0.0, -np.inf)
            both = log_sigmoid(g / obs.scale).sum(axis=-2)
            return _finite(both.max(axis=0) if free else both)
        mine = g[..., party, :]
        if obs.kind == "rejects":
            mine = mine.max(axis=0) if free else mine  # no free value P would accept
            if obs.hard:
                return np.where(mine < 0, 0.0, -np.inf)
            return _finite(log_sigmoid(-mine / obs.scale))
        mine = mine.max(axis=0) if free else mine
        if obs.hard:
            return np.where(mine >= 0, 0.0, -np.inf)
        return _finite(log_sigmoid(mine / obs.scale))


def _finite(loglik: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(loglik), -np.inf, loglik)


def _zone(obs: Observation, bm: BatchModel, theta: np.ndarray, compiled: bool | None) -> np.ndarray:
    from .batch import batch_nash

    names = bm.model.parameter_names
    theta = theta.copy()
    for name, value in obs.parameters.items():
        theta[list(names).index(name)] = value
    values = dict(zip(names, theta, strict=True))
    res = batch_nash(bm, values, fallback=False, check_convexity=False, compiled=compiled)
    whole = Observation(obs.name, "signed", obs.source, obs.date, free=bm.model.issue_names)
    g, _ = gains(whole, bm, theta)
    best = g.min(axis=1).max(axis=0)  # the best grid point's smaller gain
    if obs.hard:  # the solver's soft minimum can miss a thin zone that a grid point shows
        return np.where((res.status != "no_agreement") | (best > 0), 0.0, -np.inf)
    d = bm.settings(theta)["disagreement"]
    with np.errstate(invalid="ignore"):
        at_nash = (res.utilities.T - d).min(axis=0)
    best = np.fmax(best, np.where(res.status == "ok", at_nash, np.nan))
    return _finite(log_sigmoid(best / obs.scale))
