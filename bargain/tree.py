"""Negotiation trees: explicit extensive-form games solved by backward induction.

A scenario may carry a ``[tree]`` section: a finite game tree whose inner nodes
are moved by one of the two parties or by chance, and whose leaves carry each
party's payoff, given by formulas of the scenario's parameters or by solving a
(sub-)scenario with any solver of :data:`bargain.solve.SOLVERS`::

    [tree]
    root = "start"                      # the first node
    title = "..."                       # optional
    [tree.definitions]                  # optional named formulas, in order
    pie = "1 + g"
    [tree.nodes.start]
    label = "B decides whether to invest"   # optional
    mover = "B"                         # a party name, or "chance"
    [tree.nodes.start.children]         # move label -> node name, in file order
    invest = "after_investment"
    "do not invest" = "status_quo"
    [tree.nodes.weather]
    mover = "chance"
    children = { rain = "wet", sun = "dry" }
    probabilities = { rain = "p_rain", sun = "1 - p_rain" }   # must sum to 1
    [tree.nodes.status_quo]             # a leaf: payoffs by formulas ...
    payoffs = { A = "0.5", B = "0.5" }
    [tree.nodes.after_investment]       # ... or by solving a scenario ...
    solve = { scenario = "other.toml", method = "nash", set = { inv = 1 } }
    [tree.nodes.imposed]                # ... or at a given deal of a scenario
    deal = { issues = { x = 0.9 }, set = { inv = 1 } }

``scenario`` is a path relative to the tree's file; without it the leaf uses
the tree's own scenario. A ``deal`` leaf's payoffs are the scenario's
utilities at the given value of every issue. An optional ``add = { A = "...",
B = "..." }`` on a leaf adds a formula to each party's payoff (e.g. a cost that
the sub-scenario does not model). ``set`` changes parameters of that scenario
(numbers or formulas of the tree's parameters and definitions). The leaf's
payoffs are the solution's utilities, or the disagreement point when the
solver reports ``no_agreement``. A node may be the child of several nodes (the
same subgame reached along different histories); the graph must be acyclic,
and every node must be reachable from the root. See
``docs/reference/tree-format.md``.

The tree is held as a :class:`networkx.DiGraph` and solved by backward
induction: at a party's node the mover picks the move with the highest value
to itself; at a chance node the value is the expected value,

.. math::

    V(n) = V(c^*(n)), \\; c^*(n) \\in \\arg\\max_{c} V_{i(n)}(c) \\quad\\text{or}\\quad
    V(n) = \\textstyle\\sum_c p_c V(c).

This is the subgame-perfect equilibrium (Selten 1965; Kuhn 1953). All optimal
moves are listed; ties are broken by file order, and the result's status is
``not_unique`` when a tie lies on the equilibrium path or could change what
happens upstream.

References
----------
.. [1] Kuhn, H. W. (1953). Extensive games and the problem of information.
   Contributions to the Theory of Games II, 193-216.
.. [2] Selten, R. (1965). Spieltheoretische Behandlung eines Oligopolmodells
   mit Nachfrageträgheit. Zeitschrift für die gesamte Staatswissenschaft 121,
   301-324.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import sympy as sp

from .errors import ScenarioError, suggest
from .formula import parse_formula
from .frontier import Frontier
from .result import STATUSES, _jsonable
from .scenario import Scenario, _kind, load
from .solve import SOLVERS

__all__ = [
    "CHANCE",
    "TreeSolution",
    "backward_induction",
    "render_path",
    "solve_tree",
    "tree_graph",
]

#: The mover of chance nodes.
CHANCE = "chance"
_PROB_TOL = 1e-9
_TREE_KEYS = {"root", "title", "description", "definitions", "nodes"}
_NODE_KEYS = {"label", "mover", "children", "probabilities", "payoffs", "solve", "deal", "add"}
_SOLVE_KEYS = {"scenario", "method", "set"}
_DEAL_KEYS = {"scenario", "issues", "set"}


class _Reader:
    """Validate the raw ``[tree]`` table of one scenario and evaluate its formulas."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.file = scenario.path
        self.names: dict[str, sp.Basic] = {
            name: sp.Float(value) for name, value in scenario.parameter_values().items()
        }
        self.cache: dict[tuple[Any, ...], np.ndarray] = {}

    def fail(self, problem: str, key: str, fix: str = "") -> ScenarioError:
        return ScenarioError(problem, key=key, fix=fix, file=self.file)

    def table(self, value: Any, key: str, example: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"expected a table, got {_kind(value)}", key, f"write {example}")
        return value

    def known(self, table: Mapping[str, Any], allowed: set[str], key: str) -> None:
        for name in table:
            if name not in allowed:
                raise self.fail(f"unknown key '{name}'", f"{key}.{name}", suggest(name, allowed))

    def number(self, text: Any, key: str) -> float:
        if isinstance(text, bool) or not isinstance(text, str | int | float):
            raise self.fail(
                f"expected a formula or a number, got {_kind(text)}",
                key,
                'write a number or a formula in quotes, e.g. "0.5 * pie"',
            )
        try:
            source = text if isinstance(text, str) else repr(float(text))
            expr = parse_formula(source, self.names, key=key)
        except ScenarioError as exc:
            raise exc.located(file=self.file) from None
        try:
            value = float(expr)
        except TypeError:
            raise self.fail(
                f"{text!r} does not evaluate to a number",
                key,
                "use only numbers, parameters and tree definitions",
            ) from None
        if not np.isfinite(value):
            raise self.fail(
                f"{text!r} evaluates to {value}",
                key,
                "keep the formula finite at these parameter values",
            )
        return value

    def definitions(self, table: Any) -> None:
        table = self.table(table, "tree.definitions", '[tree.definitions] with name = "formula"')
        for name, text in table.items():
            key = f"tree.definitions.{name}"
            if name in self.names:
                raise self.fail(
                    f"the name '{name}' is already a parameter or definition",
                    key,
                    "rename the definition",
                )
            self.names[name] = sp.Float(self.number(text, key))


def tree_graph(scenario: Scenario) -> nx.DiGraph:
    """Validate a scenario's ``[tree]`` section and build it as a DiGraph.

    Formulas are evaluated, and sub-scenarios solved, at the scenario's current
    parameter values (use :meth:`bargain.Scenario.with_parameters` to change them).

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    networkx.DiGraph
        Graph attributes ``root``, ``parties``, ``title``, ``file``; node
        attributes ``mover`` (a party, ``"chance"`` or ``None`` at leaves),
        ``label``, ``moves`` (``[(move, child), ...]`` in file order),
        ``payoffs`` (array of shape (2,) at leaves) and ``source``; edge
        attributes ``move`` and ``probability`` (``None`` at a party's node).

    Raises
    ------
    ScenarioError
        Naming the file and the key path (e.g. ``tree.nodes.apec.children``) for
        a missing section or root, an unknown node (with suggestions), a cycle,
        an unreachable node, a mover that is not a party, chance probabilities
        that do not sum to 1, a leaf without payoffs, a bad formula, or a
        sub-scenario that cannot be solved.
    """
    if "tree" not in scenario.extra:
        raise ScenarioError(
            "the scenario has no [tree] section",
            key="tree",
            file=scenario.path,
            fix='add [tree] with root = "..." and [tree.nodes.NAME] tables '
            "(see docs/reference/tree-format.md)",
        )
    reader = _Reader(scenario)
    raw = reader.table(scenario.extra["tree"], "tree", "[tree] as a table")
    reader.known(raw, _TREE_KEYS, "tree")
    if "definitions" in raw:
        reader.definitions(raw["definitions"])
    nodes = reader.table(raw.get("nodes", {}), "tree.nodes", "[tree.nodes.NAME] tables")
    if not nodes:
        raise reader.fail(
            "the tree has no nodes",
            "tree.nodes",
            "add [tree.nodes.NAME] tables for the root, inner nodes and leaves",
        )
    graph = nx.DiGraph(
        parties=scenario.party_names,
        file=scenario.path,
        title=str(raw.get("title", "") or scenario.title),
        parameters=scenario.parameter_values(),
    )
    for name, spec in nodes.items():
        _add_node(reader, graph, name, spec)
    for name in nodes:
        _add_edges(reader, graph, name, nodes)
    graph.graph["root"] = _root(reader, raw, graph)
    _check_shape(reader, graph)
    return graph


def _add_node(reader: _Reader, graph: nx.DiGraph, name: str, spec: Any) -> None:
    key = f"tree.nodes.{name}"
    spec = reader.table(spec, key, f"[{key}] with a mover and children, or payoffs")
    reader.known(spec, _NODE_KEYS, key)
    label = spec.get("label", "")
    if not isinstance(label, str):
        raise reader.fail(
            f"expected a string, got {_kind(label)}",
            f"{key}.label",
            'write label = "..." in quotes',
        )
    if "children" in spec:
        children = reader.table(
            spec["children"], f"{key}.children", 'children = { "move label" = "node name" }'
        )
        if not children:
            raise reader.fail(
                "the node has no moves",
                f"{key}.children",
                "list at least one move, or make it a leaf with payoffs",
            )
        for kind in ("payoffs", "solve", "deal", "add"):
            if kind in spec:
                raise reader.fail(
                    f"an inner node cannot have {kind}",
                    f"{key}.{kind}",
                    "move the payoffs to a leaf (a node without children)",
                )
        mover = _mover(reader, spec, key)
        graph.add_node(
            name, mover=mover, label=label, payoffs=None, source="", moves=list(children.items())
        )
        return
    for kind in ("mover", "probabilities"):
        if kind in spec:
            raise reader.fail(
                f"a leaf has no {kind}",
                f"{key}.{kind}",
                "add children to make it an inner node, or remove the key",
            )
    payoffs, source = _leaf(reader, spec, key)
    graph.add_node(name, mover=None, label=label, payoffs=payoffs, source=source, moves=[])


def _mover(reader: _Reader, spec: Mapping[str, Any], key: str) -> str:
    parties = reader.scenario.party_names
    if "mover" not in spec:
        raise reader.fail(
            "an inner node needs a mover",
            key,
            f"add mover = one of {', '.join(repr(p) for p in parties)} or '{CHANCE}'",
        )
    mover = spec["mover"]
    if mover not in (*parties, CHANCE):
        raise reader.fail(
            f"mover {mover!r} is not a party",
            f"{key}.mover",
            suggest(str(mover), (*parties, CHANCE)),
        )
    if mover != CHANCE and "probabilities" in spec:
        raise reader.fail(
            "only chance nodes have probabilities",
            f"{key}.probabilities",
            f"remove them, or set mover = '{CHANCE}'",
        )
    return str(mover)


def _leaf(reader: _Reader, spec: Mapping[str, Any], key: str) -> tuple[np.ndarray, str]:
    parties = reader.scenario.party_names
    given = [kind for kind in ("payoffs", "solve", "deal") if kind in spec]
    if len(given) != 1:
        problem = "no payoffs" if not given else f"both {given[0]} and {given[1]}"
        raise reader.fail(
            f"the leaf has {problem}",
            key,
            f'give exactly one of payoffs = {{ {parties[0]} = "...", '
            f'{parties[1]} = "..." }}, solve = {{ method = "nash" }} or '
            "deal = { issues = { ... } } (or add children to make it an inner node)",
        )
    if "solve" in spec:
        values, source = _solve_leaf(reader, spec["solve"], f"{key}.solve")
    elif "deal" in spec:
        values, source = _deal_leaf(reader, spec["deal"], f"{key}.deal")
    else:
        values, source = _party_formulas(reader, spec["payoffs"], f"{key}.payoffs"), "formula"
    if "add" in spec:
        values = values + _party_formulas(reader, spec["add"], f"{key}.add")
        source += " plus add"
    return values, source


def _party_formulas(reader: _Reader, raw: Any, key: str) -> np.ndarray:
    """A table with one formula per party, evaluated in the scenario's party order."""
    parties = reader.scenario.party_names
    table = reader.table(raw, key, f'{{ {parties[0]} = "...", {parties[1]} = "..." }}')
    for name in table:
        if name not in parties:
            raise reader.fail(f"'{name}' is not a party", f"{key}.{name}", suggest(name, parties))
    missing = [p for p in parties if p not in table]
    if missing:
        raise reader.fail(
            f"the value for {', '.join(missing)} is missing", key, f'add {missing[0]} = "<formula>"'
        )
    return np.array([reader.number(table[p], f"{key}.{p}") for p in parties])


def _solve_leaf(reader: _Reader, spec: Any, key: str) -> tuple[np.ndarray, str]:
    spec = reader.table(spec, key, 'solve = { scenario = "file.toml", method = "nash" }')
    reader.known(spec, _SOLVE_KEYS, key)
    method = spec.get("method", "nash")
    if method not in SOLVERS:
        raise reader.fail(
            f"unknown method {method!r}", f"{key}.method", suggest(str(method), SOLVERS)
        )
    sub, where, values = _sub_scenario(reader, spec, key)
    cache_key = (where, method, tuple(sorted(values.items())))
    if cache_key not in reader.cache:
        problem = sub.model.problem(values)
        solution = SOLVERS[method](problem, Frontier(problem))
        if solution.status == "no_agreement":
            utilities = dict(solution.disagreement)
        elif solution.ok and solution.utilities is not None:
            utilities = solution.utilities
        else:
            raise reader.fail(
                f"the {method} solution of {where} is {solution.status}: {solution.message}",
                f"{key}.method",
                "choose a method with a single answer here, or give payoffs",
            )
        reader.cache[cache_key] = np.array([utilities[p] for p in reader.scenario.party_names])
    return reader.cache[cache_key], f"{method} on {where}"


def _deal_leaf(reader: _Reader, spec: Any, key: str) -> tuple[np.ndarray, str]:
    spec = reader.table(spec, key, "deal = { issues = { x = 0.5 } }")
    reader.known(spec, _DEAL_KEYS, key)
    sub, where, values = _sub_scenario(reader, spec, key)
    issues = reader.table(spec.get("issues", {}), f"{key}.issues", "issues = { x = 0.5 }")
    for name in issues:
        if name not in sub.issue_names:
            raise reader.fail(
                f"'{name}' is not an issue of {where}",
                f"{key}.issues.{name}",
                suggest(name, sub.issue_names),
            )
    x = []
    for issue in sub.issues:
        if issue.name not in issues:
            raise reader.fail(
                f"the value of the issue '{issue.name}' is missing",
                f"{key}.issues",
                f"add {issue.name} = <number in [{issue.min:g}, {issue.max:g}]>",
            )
        value = reader.number(issues[issue.name], f"{key}.issues.{issue.name}")
        if not issue.min <= value <= issue.max:
            raise reader.fail(
                f"{value:g} is outside [{issue.min:g}, {issue.max:g}]",
                f"{key}.issues.{issue.name}",
                "give a value within the bounds",
            )
        x.append(value)
    utilities = sub.model.problem(values).utility(np.array(x))
    order = [sub.party_names.index(p) for p in reader.scenario.party_names]
    deal = ", ".join(f"{n}={v:.4g}" for n, v in zip(sub.issue_names, x, strict=True))
    return np.asarray(utilities, dtype=float)[order], f"deal {deal} on {where}"


def _sub_scenario(
    reader: _Reader, spec: Mapping[str, Any], key: str
) -> tuple[Scenario, str, dict[str, float]]:
    """The scenario a leaf refers to, and its parameter values with ``set`` applied."""
    path = spec.get("scenario")
    if path is None:
        sub, where = reader.scenario, "this scenario"
    elif not isinstance(path, str):
        raise reader.fail(
            f"expected a path, got {_kind(path)}",
            f"{key}.scenario",
            'write scenario = "relative/path.toml"',
        )
    else:
        full = Path(reader.file).parent / path
        if not full.is_file():
            raise reader.fail(
                f"cannot find the scenario {path!r} (looked for {full})",
                f"{key}.scenario",
                "give a path relative to this file",
            )
        sub, where = load(full), path
    if set(sub.party_names) != set(reader.scenario.party_names):
        raise reader.fail(
            f"{where} has parties {list(sub.party_names)}, the tree "
            f"{list(reader.scenario.party_names)}",
            f"{key}.scenario",
            "use a scenario whose parties have the same names",
        )
    overrides = {}
    for name, text in reader.table(
        spec.get("set", {}), f"{key}.set", "set = { name = value }"
    ).items():
        if name not in sub.parameters:
            raise reader.fail(
                f"'{name}' is not a parameter of {where}",
                f"{key}.set.{name}",
                suggest(name, sub.parameters),
            )
        overrides[name] = reader.number(text, f"{key}.set.{name}")
    try:
        values = sub.with_parameters(**overrides).parameter_values()
        sub.model.problem(values)  # checks the settings at these values
    except ScenarioError as exc:
        raise reader.fail(
            f"{where} rejects these values: {exc.problem}", f"{key}.set", exc.fix
        ) from None
    return sub, where, values


def _add_edges(reader: _Reader, graph: nx.DiGraph, name: str, nodes: Mapping[str, Any]) -> None:
    key = f"tree.nodes.{name}"
    attrs = graph.nodes[name]
    for move, child in attrs["moves"]:
        if not isinstance(child, str):
            raise reader.fail(
                f"expected a node name, got {_kind(child)}",
                f"{key}.children.{move}",
                f'write {move} = "node name"',
            )
        if child not in nodes:
            raise reader.fail(
                f"unknown node '{child}'", f"{key}.children.{move}", suggest(child, nodes)
            )
        if graph.has_edge(name, child):
            raise reader.fail(
                f"two moves lead to the node '{child}'",
                f"{key}.children",
                "merge the moves, or give each its own node",
            )
        graph.add_edge(name, child, move=move, probability=None)
    if attrs["mover"] == CHANCE:
        _probabilities(reader, graph, name, nodes[name].get("probabilities"), key)


def _probabilities(reader: _Reader, graph: nx.DiGraph, name: str, raw: Any, key: str) -> None:
    moves = [m for m, _ in graph.nodes[name]["moves"]]
    if raw is None:
        raise reader.fail(
            "a chance node needs probabilities",
            key,
            "add probabilities = { " + ", ".join(f'"{m}" = ...' for m in moves) + " }",
        )
    table = reader.table(raw, f"{key}.probabilities", "probabilities = { move = p }")
    for move in table:
        if move not in moves:
            raise reader.fail(
                f"'{move}' is not a move of this node",
                f"{key}.probabilities.{move}",
                suggest(move, moves),
            )
    total = 0.0
    for move, child in graph.nodes[name]["moves"]:
        if move not in table:
            raise reader.fail(
                f"the probability of '{move}' is missing",
                f"{key}.probabilities",
                f'add "{move}" = <probability>',
            )
        p = reader.number(table[move], f"{key}.probabilities.{move}")
        if not 0.0 <= p <= 1.0:
            raise reader.fail(
                f"probability {p:g} is not in [0, 1]",
                f"{key}.probabilities.{move}",
                "give a probability in [0, 1]",
            )
        graph.edges[name, child]["probability"] = p
        total += p
    if abs(total - 1.0) > _PROB_TOL:
        raise reader.fail(
            f"the probabilities sum to {total:.10g}, not 1",
            f"{key}.probabilities",
            "make them add up to 1 (e.g. write the last one as 1 minus the others)",
        )


def _root(reader: _Reader, raw: Mapping[str, Any], graph: nx.DiGraph) -> str:
    if "root" not in raw:
        raise reader.fail(
            "the key 'root' is missing",
            "tree",
            f'add root = "<first node>", e.g. root = "{next(iter(graph))}"',
        )
    root = raw["root"]
    if not isinstance(root, str) or root not in graph:
        raise reader.fail(f"unknown node {root!r}", "tree.root", suggest(str(root), graph))
    return root


def _check_shape(reader: _Reader, graph: nx.DiGraph) -> None:
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        cycle = None
    if cycle:
        loop = " -> ".join([*(u for u, _ in cycle), cycle[0][0]])
        raise reader.fail(
            f"the nodes form a cycle ({loop}), so this is not a tree",
            f"tree.nodes.{cycle[-1][0]}.children",
            "a move must lead to a later node; end the loop in a leaf",
        )
    reachable = nx.descendants(graph, graph.graph["root"]) | {graph.graph["root"]}
    stray = [n for n in graph if n not in reachable]
    if stray:
        raise reader.fail(
            f"the node '{stray[0]}' cannot be reached from the root '{graph.graph['root']}'",
            f"tree.nodes.{stray[0]}",
            "lead a move to it, or delete it",
        )


@dataclass(frozen=True)
class TreeSolution:
    """The subgame-perfect equilibrium of a negotiation tree.

    Attributes
    ----------
    method : str
        ``"backward_induction"``.
    status, message : str
        ``"ok"``, or ``"not_unique"`` when ties make the equilibrium ambiguous.
    title, root : str
    parties : pair of str
    value : dict
        Each party's equilibrium payoff at the root.
    values : dict
        ``{node: {party: value}}`` for every node (every subgame).
    choices : dict
        ``{node: move}``: the move chosen at each party's node (first optimal one).
    optimal_moves : dict
        ``{node: (move, ...)}``: every optimal move at each party's node.
    ties : dict
        The nodes with more than one optimal move.
    reach : dict
        ``{node: probability}`` of the nodes reached in equilibrium play.
    outcomes : dict
        ``{leaf: probability}`` of the leaves reached.
    path : tuple of str
        The nodes reached, in play order (depth first, moves in file order).
    settings, parameters, diagnostics : dict
    graph : networkx.DiGraph
        The tree (from :func:`tree_graph`), for rendering.
    """

    method: str
    status: str
    message: str
    title: str
    root: str
    parties: tuple[str, str]
    value: dict[str, float]
    values: dict[str, dict[str, float]]
    choices: dict[str, str]
    optimal_moves: dict[str, tuple[str, ...]]
    ties: dict[str, tuple[str, ...]]
    reach: dict[str, float]
    outcomes: dict[str, float]
    path: tuple[str, ...]
    settings: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, float] = field(default_factory=dict)
    diagnostics: dict[str, Any] = field(default_factory=dict)
    graph: nx.DiGraph = field(default_factory=nx.DiGraph, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """Whether the equilibrium is unique."""
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (without the graph)."""
        names = [f for f in self.__dataclass_fields__ if f != "graph"]
        return _jsonable({name: getattr(self, name) for name in names})


def backward_induction(graph: nx.DiGraph, *, tol: float = 1e-9) -> TreeSolution:
    """Solve a tree from :func:`tree_graph` by backward induction.

    Parameters
    ----------
    graph : networkx.DiGraph
    tol : float
        Moves whose value to the mover is within ``tol * (1 + |best|)`` of the
        best are optimal (ties).

    Returns
    -------
    TreeSolution
    """
    parties = tuple(graph.graph["parties"])
    values: dict[str, np.ndarray] = {}
    optimal: dict[str, tuple[str, ...]] = {}
    relevant_tie = False
    for node in reversed(list(nx.topological_sort(graph))):
        attrs = graph.nodes[node]
        if attrs["mover"] is None:
            values[node] = np.asarray(attrs["payoffs"], dtype=float)
        elif attrs["mover"] == CHANCE:
            values[node] = sum(
                (graph.edges[node, c]["probability"] * values[c] for _, c in attrs["moves"]),
                np.zeros(2),
            )
        else:
            i = parties.index(attrs["mover"])
            best = max(values[c][i] for _, c in attrs["moves"])
            moves = [
                (m, c) for m, c in attrs["moves"] if values[c][i] >= best - tol * (1 + abs(best))
            ]
            optimal[node] = tuple(m for m, _ in moves)
            values[node] = values[moves[0][1]]
            relevant_tie |= any(
                not np.allclose(values[c], values[node], rtol=tol, atol=tol) for _, c in moves
            )
    choices = {n: moves[0] for n, moves in optimal.items()}
    reach, path = _play(graph, choices)
    ties = {n: m for n, m in optimal.items() if len(m) > 1}
    on_path = [n for n in ties if n in reach]
    status = "not_unique" if on_path or relevant_tie else "ok"
    message = (
        STATUSES["ok"]
        if status == "ok"
        else (
            f"ties at {', '.join(sorted(ties))}: several moves are optimal (broken by file order)"
            + (", on the equilibrium path" if on_path else "")
            + ("; the players' payoffs differ between the tied moves" if relevant_tie else "")
        )
    )
    named = {n: dict(zip(parties, map(float, v), strict=True)) for n, v in values.items()}
    root = graph.graph["root"]
    return TreeSolution(
        method="backward_induction",
        status=status,
        message=message,
        title=graph.graph.get("title", ""),
        root=root,
        parties=(parties[0], parties[1]),
        value=named[root],
        values=named,
        choices=choices,
        optimal_moves=optimal,
        ties=ties,
        reach=reach,
        outcomes={n: p for n, p in reach.items() if graph.nodes[n]["mover"] is None},
        path=path,
        settings={"tie_tolerance": tol},
        parameters=dict(graph.graph.get("parameters", {})),
        diagnostics={
            "nodes": graph.number_of_nodes(),
            "leaves": sum(graph.nodes[n]["mover"] is None for n in graph),
            "depth": nx.dag_longest_path_length(graph),
        },
        graph=graph,
    )


def _play(
    graph: nx.DiGraph, choices: Mapping[str, str]
) -> tuple[dict[str, float], tuple[str, ...]]:
    """Probability of reaching each node in equilibrium play, and the play order.

    Each node is visited once (a depth-first preorder) and its probability is the
    sum over its parents in topological order, so a diamond of chance nodes 40
    levels deep costs 80 steps, not 2**40 paths.
    """

    def played(node: str) -> list[tuple[str, float]]:
        attrs = graph.nodes[node]
        out = []
        for move, child in attrs["moves"]:
            q = graph.edges[node, child]["probability"]
            if attrs["mover"] == CHANCE and q > 0:
                out.append((child, q))
            elif attrs["mover"] != CHANCE and move == choices[node]:
                out.append((child, 1.0))
        return out

    order: list[str] = []
    seen: set[str] = set()
    stack = [graph.graph["root"]]
    while stack:  # the order of first visits of a recursive depth-first walk
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            order.append(node)
            stack.extend(child for child, _ in reversed(played(node)))
    reach = {n: 0.0 for n in order}
    reach[graph.graph["root"]] = 1.0
    for node in nx.topological_sort(graph.subgraph(order)):
        for child, q in played(node):
            reach[child] += reach[node] * q
    return reach, tuple(order)


#: Longest equilibrium path :func:`render_path` prints.
MAX_PATH_LINES = 2000


class _TooLong(Exception):
    """The printed path reached :data:`MAX_PATH_LINES`."""


def solve_tree(scenario: Scenario, *, tol: float = 1e-9) -> TreeSolution:
    """Build a scenario's ``[tree]`` and solve it by backward induction.

    Parameters
    ----------
    scenario : Scenario
        With a ``[tree]`` section; see the module notes for its format.
    tol : float
        Tie tolerance, see :func:`backward_induction`.

    Returns
    -------
    TreeSolution

    Examples
    --------
    >>> import bargain
    >>> from bargain.tree import solve_tree
    >>> holdup = bargain.load("scenarios/textbook/holdup_tree.toml")
    >>> solution = solve_tree(holdup)
    >>> solution.choices["investment"], round(solution.value["B"], 6)
    ('do not invest', 0.5)
    """
    return backward_induction(tree_graph(scenario), tol=tol)


def render_path(solution: TreeSolution, *, digits: int = 4) -> str:
    """Render the equilibrium path of a solved tree as indented text.

    Each party's node on the path shows the chosen move (and the other optimal
    moves, if tied); each chance node shows every move with its probability;
    leaves show their payoffs.

    Examples
    --------
    >>> import bargain
    >>> from bargain.tree import render_path, solve_tree
    >>> print(render_path(solve_tree(bargain.load("scenarios/textbook/holdup_tree.toml"))))
    ... # doctest: +NORMALIZE_WHITESPACE
    Hold-up: investment before Nash bargaining (subgame-perfect equilibrium)
    investment [B]: "do not invest" -> no_investment  (A 0.5, B 0.5)
      no_investment: leaf  (A 0.5, B 0.5)  [nash on this scenario]
    equilibrium value: A 0.5, B 0.5
    status: ok
    """
    graph = solution.graph
    lines = [f"{solution.title or 'Negotiation tree'} (subgame-perfect equilibrium)"]

    def fmt(node: str) -> str:
        return ", ".join(f"{p} {v:.{digits}g}" for p, v in solution.values[node].items())

    def name(node: str) -> str:
        label = graph.nodes[node]["label"]
        return f"{node} ({label})" if label else node

    def visit(node: str, depth: int, prefix: str) -> None:
        if len(lines) > MAX_PATH_LINES:  # shared subtrees are printed at every parent
            raise _TooLong
        pad, attrs = "  " * depth, graph.nodes[node]
        if attrs["mover"] is None:
            lines.append(f"{pad}{prefix}{name(node)}: leaf  ({fmt(node)})  [{attrs['source']}]")
        elif attrs["mover"] == CHANCE:
            lines.append(f"{pad}{prefix}{name(node)} [chance]:  ({fmt(node)})")
            for move, child in attrs["moves"]:
                p = graph.edges[node, child]["probability"]
                if p > 0:
                    visit(child, depth + 1, f'p = {p:.{digits}g}, "{move}" -> ')
        else:
            move = solution.choices[node]
            child = dict(attrs["moves"])[move]
            others = [m for m in solution.optimal_moves[node] if m != move]
            tie = f"  [tie: also {', '.join(repr(m) for m in others)}]" if others else ""
            lines.append(
                f'{pad}{prefix}{name(node)} [{attrs["mover"]}]: "{move}" -> '
                f"{child}  ({fmt(node)}){tie}"
            )
            visit(child, depth + 1, "")

    try:
        visit(solution.root, 0, "")
    except _TooLong:
        lines.append(f"... (the rest is not printed: more than {MAX_PATH_LINES:,} lines)")
    lines.append(f"equilibrium value: {fmt(solution.root)}")
    lines.append(
        f"status: {solution.status}" + (f" ({solution.message})" if solution.status != "ok" else "")
    )
    return "\n".join(lines)
