"""Compile a scenario: formulas to sympy, sympy to vectorised numpy functions.

Every formula is parsed once by :func:`bargain.formula.parse_formula`;
definitions are substituted in dependency order (a networkx DAG, so cycles are
found and named); each party's utility is the sum of its components. The
utilities and their exact gradients with respect to the issues are lambdified
to numpy functions of ``(*issues, *parameters)`` that broadcast over arrays,
so the same compiled model serves one deal or millions of parameter points.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from .errors import ScenarioError
from .formula import MAX_BRANCHES, parse_formula
from .problem import BargainingProblem

if TYPE_CHECKING:
    from .scenario import Formula, Scenario

__all__ = ["Model", "compile_scenario", "lambdify"]


def _select(condlist: list[Any], choicelist: list[Any], default: float = np.nan) -> Any:
    arrays = np.broadcast_arrays(*condlist, *choicelist)
    n = len(condlist)
    return np.select([a.astype(bool) for a in arrays[:n]], list(arrays[n:]), default)


class _Logical:
    """``numpy.logical_and``/``or`` whose ``reduce`` broadcasts scalars with arrays."""

    def __init__(self, ufunc: np.ufunc) -> None:
        self.ufunc = ufunc

    def reduce(self, args: Any) -> Any:
        return functools.reduce(self.ufunc, args)

    def __call__(self, *args: Any) -> Any:
        return self.ufunc(*args)


#: numpy namespace for lambdify, with broadcasting fixes for Piecewise, Min, Max.
NUMPY_MODULES: list[Any] = [
    {
        "select": _select,
        "logical_and": _Logical(np.logical_and),
        "logical_or": _Logical(np.logical_or),
    },
    "numpy",
]

#: Prefix of every symbol's name in generated numpy code: no name that lambdify's
#: namespace holds (numpy's, the builtins, the functions above) starts with it.
SAFE_PREFIX = "_s_"


class _NumPyPrinter(NumPyPrinter):
    """sympy's numpy printer with constants fully qualified (``numpy.e``, never ``e``)."""

    def _print_known_const(self, expr: Any) -> str:
        return str(self.known_constants[type(expr).__name__])


for _name in NumPyPrinter._kc:
    setattr(_NumPyPrinter, f"_print_{_name}", _NumPyPrinter._print_known_const)


def safe_names(symbols: Any) -> dict[sp.Symbol, sp.Symbol]:
    """A generated name for each symbol: ``_s_`` and its own name, made unique.

    The prefix keeps the symbols' relative order (sympy orders terms by name), so
    the printed code computes in the same order as with the users' names.
    """
    rename: dict[sp.Symbol, sp.Symbol] = {}
    taken: set[str] = set()
    for s in sorted(symbols, key=sp.default_sort_key):
        name = SAFE_PREFIX + s.name
        while name in taken:  # two symbols of one name (different assumptions)
            name += "_"
        taken.add(name)
        rename[s] = sp.Symbol(name, **s.assumptions0)
    return rename


def _map(exprs: Any, func: Callable[[Any], Any]) -> Any:
    if isinstance(exprs, list | tuple):
        return type(exprs)(_map(e, func) for e in exprs)
    return func(exprs)


def no_delta(expr: sp.Expr) -> sp.Expr:
    """Second derivatives of kinks (``max``, ``abs``, ``where``) are zero almost everywhere.

    Examples
    --------
    >>> x = sp.Symbol("x")
    >>> no_delta(sp.diff(sp.Max(x, 0), x, 2))
    0
    """
    return expr.replace(sp.DiracDelta, lambda *args: sp.S.Zero)


def lambdify(args: Sequence[sp.Symbol], exprs: Any, cse: bool = False) -> Callable[..., Any]:
    """:func:`sympy.lambdify` to numpy in which no user's name can mean anything else.

    Every symbol is renamed :data:`SAFE_PREFIX` + its name before printing, and the
    constants are printed fully qualified: an issue called ``e``, ``nan``, ``select``
    or ``exp`` is an argument like any other, and ``exp(1)`` is ``numpy.e``.

    Examples
    --------
    >>> e, nan = sp.Symbol("e"), sp.Symbol("nan")
    >>> f = lambdify([e, nan], [sp.E * e, sp.nan + 0 * nan, nan])
    >>> [float(v) for v in f(2.0, 0.9)][::2]
    [5.43656365691809, 0.9]
    """
    symbols: set[sp.Symbol] = set(args)
    _map(exprs, lambda e: symbols.update(sp.sympify(e).atoms(sp.Symbol)))
    rename = safe_names(symbols)
    new_args = [rename[a] for a in args]
    new_exprs = _map(exprs, lambda e: sp.sympify(e).xreplace(rename))
    taken = {s.name for s in rename.values()}

    def numbered() -> Iterator[sp.Symbol]:  # as sympy's cse names them, prefixed
        for i in itertools.count():
            if f"{SAFE_PREFIX}x{i}" not in taken:
                yield sp.Symbol(f"{SAFE_PREFIX}x{i}")

    printer = _NumPyPrinter(
        {
            "fully_qualified_modules": False,
            "inline": True,
            "allow_unknown_functions": True,
            "user_functions": {k: k for k in NUMPY_MODULES[0]},
        }
    )
    return sp.lambdify(
        new_args,
        new_exprs,
        NUMPY_MODULES,
        printer=printer,
        cse=(lambda e: sp.cse(e, symbols=numbered(), list=False)) if cse else False,
    )


_SETTINGS = ("disagreement", "discount", "outside_option", "power", "cost_per_round")


@dataclass(frozen=True, eq=False)
class Model:
    """A compiled scenario.

    Attributes
    ----------
    issues, parameters : tuple of sympy.Symbol
        The symbols, in file order.
    components : dict
        ``{party: {component: sympy expression}}`` with definitions substituted.
    utilities : dict
        ``{party: sympy expression}``, the sum of the components.
    settings : dict
        ``{party: {"disagreement"|"discount"|...: sympy expression or None}}``,
        formulas of the parameters only.
    outputs : dict
        ``{name: sympy expression}``: quantities reported at each deal (e.g. the
        dollar amount of equity), from the scenario's ``[outputs]`` table.
    """

    scenario_path: str
    party_names: tuple[str, str]
    issue_names: tuple[str, ...]
    parameter_names: tuple[str, ...]
    issues: tuple[sp.Symbol, ...]
    parameters: tuple[sp.Symbol, ...]
    components: dict[str, dict[str, sp.Expr]]
    utilities: dict[str, sp.Expr]
    settings: dict[str, dict[str, sp.Expr | None]]
    outputs: dict[str, sp.Expr]
    lower: np.ndarray
    upper: np.ndarray
    first_proposer: int
    breakdown: float
    breakdown_expr: sp.Expr
    rounds: int

    @functools.cached_property
    def _args(self) -> list[sp.Symbol]:
        return [*self.issues, *self.parameters]

    @functools.cached_property
    def utility_function(self) -> Callable[..., Any]:
        """``f(*issues, *parameters) -> [u_1, u_2]``, broadcasting over arrays."""
        return lambdify(self._args, [self.utilities[p] for p in self.party_names], cse=True)

    @functools.cached_property
    def jacobian_function(self) -> Callable[..., Any]:
        """``f(*issues, *parameters) -> [[du_1/dx_1, ...], [du_2/dx_1, ...]]``."""
        rows = [[sp.diff(self.utilities[p], x) for x in self.issues] for p in self.party_names]
        return lambdify(self._args, rows, cse=True)

    @functools.cached_property
    def component_function(self) -> Callable[..., Any]:
        """``f(*issues, *parameters) -> [value of each component, party by party]``."""
        exprs = [e for p in self.party_names for e in self.components[p].values()]
        return lambdify(self._args, exprs, cse=True)

    @functools.cached_property
    def component_jacobian_function(self) -> Callable[..., Any]:
        """``f(*issues, *parameters) -> [[dc/dx_1, ...] for each component, party by party]``."""
        rows = [
            [sp.diff(e, x) for x in self.issues]
            for p in self.party_names
            for e in self.components[p].values()
        ]
        return lambdify(self._args, rows, cse=True)

    @functools.cached_property
    def output_function(self) -> Callable[..., Any]:
        """``f(*issues, *parameters) -> [value of each output]``."""
        return lambdify(self._args, list(self.outputs.values()), cse=True)

    @functools.cached_property
    def settings_function(self) -> Callable[..., Any]:
        """``f(*parameters) -> [setting values]`` for both parties (nan where absent)."""
        exprs = [
            self.settings[p][k] if self.settings[p][k] is not None else sp.nan
            for p in self.party_names
            for k in _SETTINGS
        ]
        return lambdify(list(self.parameters), exprs)

    def parameter_vector(self, values: Mapping[str, float]) -> list[float]:
        """The parameter values in the model's order."""
        return [float(values[name]) for name in self.parameter_names]

    def evaluate_settings(self, values: Mapping[str, float]) -> dict[str, np.ndarray]:
        """Disagreement, discount, ... of both parties at the given parameters.

        Evaluated in numpy floats (``1/(p - 0.5)`` at 0.5 is inf, ``(-2)**p`` nan, not
        Python's ZeroDivisionError or a complex number); a setting the file gives
        must come out a finite real number, else a :class:`ScenarioError` names it.
        """
        theta = np.array(self.parameter_vector(values), dtype=float)
        with np.errstate(all="ignore"):
            raw = _real(self.settings_function(*theta), len(_SETTINGS) * 2)
        table = raw.reshape(2, len(_SETTINGS))
        for i, party in enumerate(self.party_names):
            for j, key in enumerate(_SETTINGS):
                given = self.settings[party][key] is not None
                if given and not np.isfinite(table[i, j]):
                    raise ScenarioError(
                        f"{key} is {table[i, j]:g} at these parameters; it must be a finite "
                        "real number",
                        key=f"parties.{party}.{key}",
                        file=self.scenario_path,
                        fix=f"change parties.{party}.{key} or the parameters it uses (guard "
                        "divisions and powers of negative numbers)",
                    )
        return {key: table[:, j] for j, key in enumerate(_SETTINGS)}

    def problem(self, values: Mapping[str, float]) -> BargainingProblem:
        """The numeric bargaining problem at the given parameter values."""
        theta = self.parameter_vector(values)
        settings = self.evaluate_settings(values)
        self._check_settings(settings)
        u_f, j_f, c_f = self.utility_function, self.jacobian_function, self.component_function
        n = len(self.issues)

        def utility(x: np.ndarray) -> np.ndarray:
            return np.asarray(u_f(*x, *theta), dtype=float).reshape(2)

        def jacobian(x: np.ndarray) -> np.ndarray:
            return np.asarray(j_f(*x, *theta), dtype=float).reshape(2, n)

        names = [(p, c) for p in self.party_names for c in self.components[p]]

        def components(x: np.ndarray) -> dict[str, dict[str, float]]:
            values_ = np.asarray(c_f(*x, *theta), dtype=float).reshape(-1)
            out: dict[str, dict[str, float]] = {p: {} for p in self.party_names}
            for (party, comp), value in zip(names, values_, strict=True):
                out[party][comp] = float(value)
            return out

        out_f, out_names = self.output_function, list(self.outputs)

        def outputs(x: np.ndarray) -> dict[str, float]:
            values_ = np.asarray(out_f(*x, *theta), dtype=float).reshape(-1)
            return {name: float(v) for name, v in zip(out_names, values_, strict=True)}

        powers = settings["power"]
        if np.isnan(powers).all():
            powers = np.array([0.5, 0.5])
        elif np.isnan(powers).any():  # one party gives its weight; the other gets the rest
            powers = np.where(np.isnan(powers), 1.0 - np.nansum(powers), powers)
        return BargainingProblem(
            utility=utility,
            jacobian=jacobian,
            lower=self.lower,
            upper=self.upper,
            disagreement=settings["disagreement"],
            parties=self.party_names,
            issues=self.issue_names,
            powers=powers / powers.sum(),
            discount=settings["discount"],
            outside_options=settings["outside_option"],
            cost_per_round=settings["cost_per_round"],
            breakdown=self._breakdown(values),
            rounds=self.rounds,
            first_proposer=self.first_proposer,
            parameters=dict(zip(self.parameter_names, theta, strict=True)),
            components=components,
            outputs=outputs if out_names else None,
        )

    def _breakdown(self, values: Mapping[str, float]) -> float:
        """The per-round breakdown probability at these parameters, checked."""
        return _probability(self.breakdown_expr, self.parameters, values, self.scenario_path)

    def _check_settings(self, settings: dict[str, np.ndarray]) -> None:
        checks = {
            "disagreement": (lambda v: np.isfinite(v), "must be finite"),
            "discount": (lambda v: (v > 0) & (v <= 1), "must lie in (0, 1]"),
            "power": (
                lambda v: (
                    np.isnan(v) | ((v > 0) & (np.isfinite(settings["power"]).all() | (v < 1)))
                ),
                "must be positive (and below 1 when only one party gives it)",
            ),
            "cost_per_round": (lambda v: np.isfinite(v) & (v >= 0), "must be finite and >= 0"),
            "outside_option": (lambda v: ~np.isinf(v), "must be finite"),
        }
        for key, (ok, what) in checks.items():
            good = ok(settings[key])
            for i, party in enumerate(self.party_names):
                if not good[i]:
                    raise ScenarioError(
                        f"{key} is {settings[key][i]:g} at these parameters; it {what}",
                        key=f"parties.{party}.{key}",
                        file=self.scenario_path,
                        fix=f"change parties.{party}.{key} or the parameters it uses",
                    )


def compile_scenario(scenario: Scenario) -> Model:
    """Parse and compile every formula of a scenario.

    Raises
    ------
    ScenarioError
        For a formula outside the language, an unknown name, a cycle among the
        definitions, a setting that depends on the issues, or a utility that is
        not finite somewhere in the box of issues.
    """
    path = scenario.path
    issues = tuple(sp.Symbol(i.name, real=True) for i in scenario.issues)
    params = tuple(sp.Symbol(p, real=True) for p in scenario.parameters)
    base: dict[str, sp.Basic] = {s.name: s for s in (*issues, *params)}
    names = {**base, **_definitions(scenario.definitions, base, path)}
    components = {}
    settings: dict[str, dict[str, sp.Expr | None]] = {}
    for party in scenario.parties:
        key = f"parties.{party.name}"
        components[party.name] = {
            comp: _parse(
                text,
                names,
                f"{key}.utility"
                + ("" if comp == "utility" and len(party.utility) == 1 else f".{comp}"),
                path,
            )
            for comp, text in party.utility.items()
        }
        settings[party.name] = {}
        for what in _SETTINGS:
            text = getattr(party, what)
            if text is None:
                settings[party.name][what] = None
                continue
            settings[party.name][what] = _setting(text, names, issues, f"{key}.{what}", path)
    outputs = {
        name: _parse(text, names, f"outputs.{name}", path)
        for name, text in scenario.outputs.items()
    }
    utilities = {p: sp.Add(*c.values()) for p, c in components.items()}
    solve = scenario.settings
    breakdown_expr = _setting(
        solve.breakdown if solve else 0.0, names, issues, "solve.breakdown", path
    )
    lower = np.array([i.min for i in scenario.issues])
    upper = np.array([i.max for i in scenario.issues])
    model = Model(
        scenario_path=path,
        party_names=scenario.party_names,
        issue_names=scenario.issue_names,
        parameter_names=tuple(scenario.parameters),
        issues=issues,
        parameters=params,
        components=components,
        utilities=utilities,
        outputs=outputs,
        settings=settings,
        lower=lower,
        upper=upper,
        first_proposer=scenario.party_names.index(solve.first_proposer) if solve else 0,
        breakdown=_probability(breakdown_expr, params, scenario.parameter_values(), path),
        breakdown_expr=breakdown_expr,
        rounds=solve.rounds if solve else 0,
    )
    check_values(model, scenario.parameter_values())
    return model


def check_values(model: Model, values: Mapping[str, float]) -> None:
    """Check settings and finiteness of every utility component at these parameter values."""
    model.problem(values)
    _check_finite(model, values)


def _probability(
    expr: sp.Expr, params: tuple[sp.Symbol, ...], values: Mapping[str, float], path: str
) -> float:
    """Evaluate the [solve] breakdown probability and check it lies in [0, 1)."""
    theta = np.array([values[s.name] for s in params], dtype=float)
    with np.errstate(all="ignore"):
        p = float(_real(lambdify(list(params), expr)(*theta), 1)[0])
    if not 0.0 <= p < 1.0:
        raise ScenarioError(
            f"breakdown is {p:g} at these parameters; it must be a probability in [0, 1)",
            key="solve.breakdown",
            file=path,
            fix="give the per-round probability that talks collapse, e.g. 0.05",
        )
    return p


def _real(raw: Any, size: int) -> np.ndarray:
    """Evaluated settings as ``size`` floats: a complex value becomes nan (rejected)."""
    out = np.asarray(raw).reshape(size)
    if np.iscomplexobj(out) or out.dtype == object:
        out = np.array([complex(v).real if complex(v).imag == 0 else np.nan for v in out])
    return out.astype(float)


def _setting(
    text: Formula,
    names: Mapping[str, sp.Basic],
    issues: tuple[sp.Symbol, ...],
    key: str,
    path: str,
) -> sp.Expr:
    """Parse a setting: a number or a formula of the parameters only (not the issues)."""
    expr = _parse(text, names, key, path)
    used = sorted(s.name for s in expr.free_symbols & set(issues))
    if used:
        what = key.rsplit(".", 1)[-1]
        raise ScenarioError(
            f"{what} depends on the issue(s) {', '.join(used)}",
            key=key,
            file=path,
            fix=f"{what} is a number or a formula of the parameters only",
        )
    return expr


#: Largest formula once the definitions are substituted, in nodes of its expression tree
#: (the flagship's utilities have 343).
MAX_NODES = 1_500
#: At most :data:`bargain.formula.MAX_BRANCHES` ``where``/``min``/``max``/``abs`` nodes
#: in such a tree: sympy's work on nested conditionals grows far faster than their
#: size (a ``where`` chain of 5 took minutes; the scenarios here have at most 2).
_BRANCHES = (sp.Piecewise, sp.Max, sp.Min, sp.Abs)


def _measure(expr: sp.Basic, sizes: Mapping[sp.Basic, tuple[int, int]]) -> tuple[int, int]:
    """Tree nodes and branch nodes of ``expr``, a symbol of ``sizes`` counting as its
    expression (computed over the DAG, so the count itself stays cheap)."""
    memo: dict[sp.Basic, tuple[int, int]] = {}

    def walk(e: sp.Basic) -> tuple[int, int]:
        if e in sizes:
            return sizes[e]
        if e not in memo:
            nodes, branches = 1, int(isinstance(e, _BRANCHES))
            for a in e.args:
                n, b = walk(a)
                nodes, branches = nodes + n, branches + b
            memo[e] = (nodes, branches)
        return memo[e]

    return walk(expr)


def _check_size(nodes: int, branches: int, key: str, path: str) -> None:
    if nodes > MAX_NODES or branches > MAX_BRANCHES:
        raise ScenarioError(
            f"the formula grows to {nodes:,} terms with {branches:,} where/min/max/abs once "
            f"the definitions are substituted (at most {MAX_NODES:,} and {MAX_BRANCHES})",
            key=key,
            file=path,
            fix="use each definition fewer times in the next (every use copies it), or "
            "simplify the chain",
        )


def _parse(text: Formula, names: Mapping[str, sp.Basic], key: str, path: str) -> sp.Expr:
    try:
        big = {k: v for k, v in names.items() if not v.is_Atom}
        if big:  # first with stand-ins: is it within the budget once substituted?
            stand = {k: sp.Dummy(k, real=True) for k in big}
            light = parse_formula(text, {**names, **stand}, key=key)
            sizes = {stand[k]: _measured(big[k]) for k in big if stand[k] in light.free_symbols}
            _check_size(*_measure(light, sizes), key, path)
        return parse_formula(text, names, key=key)
    except ScenarioError as exc:
        raise exc.located(file=path) from None


@functools.lru_cache(maxsize=1024)
def _measured(expr: sp.Basic) -> tuple[int, int]:
    return _measure(expr, {})


def _definitions(
    definitions: Mapping[str, Formula], base: dict[str, sp.Basic], path: str
) -> dict[str, sp.Expr]:
    """Parse the definitions and substitute them into each other in dependency order."""
    stand_ins = {name: sp.Dummy(f"def_{name}", real=True) for name in definitions}
    graph = nx.DiGraph()
    graph.add_nodes_from(definitions)
    parsed = {}
    for name, text in definitions.items():
        expr = _parse(text, {**base, **stand_ins}, f"definitions.{name}", path)
        parsed[name] = expr
        for other, symbol in stand_ins.items():
            if symbol in expr.free_symbols:
                graph.add_edge(other, name)
    try:
        order = list(nx.topological_sort(graph))
    except nx.NetworkXUnfeasible:
        cycle = " -> ".join(u for u, _ in nx.find_cycle(graph))
        raise ScenarioError(
            f"the definitions refer to each other in a cycle ({cycle})",
            key="definitions",
            file=path,
            fix="break the cycle: a definition may only use earlier results",
        ) from None
    resolved: dict[str, sp.Expr] = {}
    sizes: dict[sp.Basic, tuple[int, int]] = {}
    for name in order:
        _check_size(*_measure(parsed[name], sizes), f"definitions.{name}", path)
        resolved[name] = parsed[name].xreplace({stand_ins[k]: v for k, v in resolved.items()})
        sizes[stand_ins[name]] = _measured(resolved[name])
    return resolved


def _check_finite(model: Model, values: Mapping[str, float]) -> None:
    """Evaluate every component on corners, centre and random points of the box."""
    points = _probe_points(model.lower, model.upper)
    theta = model.parameter_vector(values)
    names = [(p, c) for p in model.party_names for c in model.components[p]]
    with np.errstate(all="ignore"):
        raw = model.component_function(*points, *theta)
    for (party, comp), column in zip(names, raw, strict=True):
        column = np.broadcast_to(np.asarray(column, dtype=float), points.shape[1:])
        bad = ~np.isfinite(column)
        if bad.any():
            where = points[:, int(np.argmax(bad))]
            at = ", ".join(f"{n}={v:.4g}" for n, v in zip(model.issue_names, where, strict=True))
            key = f"parties.{party}.utility" + ("" if comp == "utility" else f".{comp}")
            raise ScenarioError(
                f"the utility is {column[bad][0]} at {at}",
                key=key,
                file=model.scenario_path,
                fix="keep the formula finite on the whole box of issues (guard log and "
                "division, e.g. log(x + 0.01)), or narrow the issues' min/max",
            )


def _probe_points(lower: np.ndarray, upper: np.ndarray, n_random: int = 64) -> np.ndarray:
    """Corners (up to 2**10), the centre and seeded random points of a box, shape (n, k)."""
    n = lower.size
    rng = np.random.default_rng(20250927)
    corners = (np.arange(2 ** min(n, 10))[:, None] >> np.arange(n)[None, :]) & 1
    pts = [
        lower + corners * (upper - lower),
        ((lower + upper) / 2)[None, :],
        lower + rng.random((n_random, n)) * (upper - lower),
    ]
    return np.vstack(pts).T
