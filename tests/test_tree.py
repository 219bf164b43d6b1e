"""Tests of negotiation trees: backward induction by hand, ties, sub-scenarios, errors."""

from __future__ import annotations

import numpy as np
import pytest

import bargain
from bargain import ScenarioError
from bargain.tree import CHANCE, render_path, solve_tree, tree_graph

HEADER = """
schema_version = 1
title = "tree test"
[issues.x]
min = 0.0
max = 1.0
[parameters.p]
value = 0.25
unit = "probability"
source = "test"
[parameters.t]
value = 0.0
unit = "payoff"
source = "test"
[parties.A]
utility = "x"
[parties.B]
utility = "1 - x"
"""

# A moves left (to B) or right (to chance). B picks down (2 > 1), so left gives (0, 2);
# chance gives 0.25 (4, 0) + 0.75 (1, 3) = (1.75, 2.25), so A moves right.
SMALL = """
[tree]
root = "start"
[tree.nodes.start]
mover = "A"
children = { left = "b_node", right = "lottery" }
[tree.nodes.b_node]
mover = "B"
children = { up = "ul", down = "dl" }
[tree.nodes.lottery]
mover = "chance"
children = { heads = "h", tails = "tl" }
probabilities = { heads = "p", tails = "1 - p" }
[tree.nodes.ul]
payoffs = { A = 3, B = 1 }
[tree.nodes.dl]
payoffs = { A = "t", B = 2 }
[tree.nodes.h]
payoffs = { A = 4, B = 0 }
[tree.nodes.tl]
payoffs = { A = 1, B = 3 }
"""


def _load(tmp_path, tree=SMALL, name="tree.toml"):
    path = tmp_path / name
    path.write_text(HEADER + tree)
    return bargain.load(path)


def test_small_tree_matches_hand_solution(tmp_path):
    """The hand-solved tree: B picks down, A picks right, value (1.75, 2.25)."""
    solution = solve_tree(_load(tmp_path))
    assert solution.status == "ok"
    assert solution.choices == {"start": "right", "b_node": "down"}
    assert solution.value == pytest.approx({"A": 1.75, "B": 2.25})
    assert solution.values["b_node"] == pytest.approx({"A": 0.0, "B": 2.0})
    assert solution.outcomes == pytest.approx({"h": 0.25, "tl": 0.75})
    assert solution.path == ("start", "lottery", "h", "tl")
    assert "b_node" not in solution.reach


def test_parameters_change_the_equilibrium(tmp_path):
    """With p = 0 the lottery is worth (1, 3) and A still prefers it to left's (t, 2)."""
    scenario = _load(tmp_path).with_parameters(p=0.0, t=1.5)
    solution = solve_tree(scenario)
    assert solution.choices["start"] == "left"
    assert solution.value == pytest.approx({"A": 1.5, "B": 2.0})


def test_tie_lists_every_optimal_move(tmp_path):
    """With t = 1.75 A is indifferent: both moves are listed and the status is not_unique."""
    solution = solve_tree(_load(tmp_path).with_parameters(t=1.75))
    assert solution.status == "not_unique"
    assert solution.optimal_moves["start"] == ("left", "right")
    assert solution.ties == {"start": ("left", "right")}
    assert "tie: also 'right'" in render_path(solution)


def test_render_path_shows_moves_and_probabilities(tmp_path):
    """The rendered path names the chosen move, the chance moves and the value."""
    text = render_path(solve_tree(_load(tmp_path)))
    assert 'start [A]: "right" -> lottery' in text
    assert 'p = 0.25, "heads" -> h: leaf' in text
    assert text.splitlines()[-2] == "equilibrium value: A 1.75, B 2.25"


def test_graph_is_a_networkx_tree(tmp_path):
    """The tree is a DiGraph with movers, moves and probabilities as attributes."""
    graph = tree_graph(_load(tmp_path))
    assert graph.graph["root"] == "start"
    assert graph.nodes["lottery"]["mover"] == CHANCE
    assert graph.edges["lottery", "h"]["probability"] == pytest.approx(0.25)
    assert np.allclose(graph.nodes["h"]["payoffs"], [4, 0])


@pytest.mark.parametrize(("g", "k"), [(0.6, 0.4), (0.6, 0.2), (1.0, 0.45), (0.2, 0.0)])
def test_holdup_tree_closed_form(g, k):
    """Hold-up: B invests iff g/2 > k; payoffs (1 + g)/2 and (1 + g)/2 - k after investing."""
    scenario = bargain.load("scenarios/textbook/holdup_tree.toml").with_parameters(g=g, k=k)
    solution = solve_tree(scenario)
    invest = g / 2 > k
    assert solution.choices["investment"] == ("invest" if invest else "do not invest")
    expected = {"A": (1 + g) / 2, "B": (1 + g) / 2 - k} if invest else {"A": 0.5, "B": 0.5}
    assert solution.value == pytest.approx(expected, abs=1e-8)


def test_deal_leaf_and_add(tmp_path):
    """A deal leaf evaluates the utilities at the deal; add shifts them."""
    tree = """
[tree]
root = "only"
[tree.nodes.only]
mover = "A"
children = { go = "end" }
[tree.nodes.end]
deal = { issues = { x = "p" } }
add = { A = 1, B = "-p" }
"""
    solution = solve_tree(_load(tmp_path, tree))
    assert solution.value == pytest.approx({"A": 1.25, "B": 0.5})


def test_korea_us_tree_is_consistent_backward_induction():
    """Korea-US tree: chance values are expectations and every choice is a best move."""
    solution = solve_tree(bargain.load("scenarios/korea_us/talks_tree_jul_to_apec.toml"))
    graph, values = solution.graph, solution.values
    for node, attrs in graph.nodes(data=True):
        if attrs["mover"] == CHANCE:
            for party in solution.parties:
                expected = sum(
                    graph.edges[node, c]["probability"] * values[c][party]
                    for _, c in attrs["moves"]
                )
                assert values[node][party] == pytest.approx(expected)
        elif attrs["mover"] is not None:
            best = max(values[c][attrs["mover"]] for _, c in attrs["moves"])
            chosen = dict(attrs["moves"])[solution.choices[node]]
            assert values[chosen][attrs["mover"]] == pytest.approx(best)
    assert solution.path[0] == "august_us"
    assert sum(solution.outcomes.values()) == pytest.approx(1.0)


BAD_TREES = [
    (
        "cycle",
        SMALL.replace('up = "ul"', 'up = "start"'),
        "tree.nodes.",
        "cycle (start -> b_node -> start)",
    ),
    (
        "unknown node",
        SMALL.replace('down = "dl"', 'down = "dI"'),
        "tree.nodes.b_node.children.down",
        "did you mean 'dl'?",
    ),
    (
        "mover",
        SMALL.replace('mover = "B"', 'mover = "b"'),
        "tree.nodes.b_node.mover",
        "mover 'b' is not a party",
    ),
    (
        "probabilities",
        SMALL.replace('tails = "1 - p"', "tails = 0.7"),
        "tree.nodes.lottery.probabilities",
        "sum to 0.95, not 1",
    ),
    (
        "missing payoffs",
        SMALL.replace("[tree.nodes.h]\npayoffs = { A = 4, B = 0 }", "[tree.nodes.h]"),
        "tree.nodes.h",
        "the leaf has no payoffs",
    ),
    (
        "missing party payoff",
        SMALL.replace("payoffs = { A = 4, B = 0 }", "payoffs = { A = 4 }"),
        "tree.nodes.h.payoffs",
        "the value for B is missing",
    ),
    (
        "unknown root",
        SMALL.replace('root = "start"', 'root = "strat"'),
        "tree.root",
        "did you mean 'start'?",
    ),
    (
        "unreachable",
        SMALL + "[tree.nodes.orphan]\npayoffs = { A = 0, B = 0 }\n",
        "tree.nodes.orphan",
        "cannot be reached",
    ),
    (
        "bad formula",
        SMALL.replace('A = "t"', 'A = "tt"'),
        "tree.nodes.dl.payoffs.A",
        "unknown name 'tt'",
    ),
    (
        "unknown solver",
        SMALL.replace("payoffs = { A = 4, B = 0 }", 'solve = { method = "nahs" }'),
        "tree.nodes.h.solve.method",
        "did you mean 'nash'?",
    ),
    (
        "missing sub-scenario",
        SMALL.replace("payoffs = { A = 4, B = 0 }", 'solve = { scenario = "nope.toml" }'),
        "tree.nodes.h.solve.scenario",
        "cannot find the scenario 'nope.toml'",
    ),
]


@pytest.mark.parametrize(
    ("case", "tree", "key", "problem"), BAD_TREES, ids=[b[0] for b in BAD_TREES]
)
def test_bad_trees_name_file_key_problem_and_fix(tmp_path, case, tree, key, problem):
    """Every malformed tree is a ScenarioError naming the file, the key path and a fix."""
    scenario = _load(tmp_path, tree)
    with pytest.raises(ScenarioError) as info:
        solve_tree(scenario)
    err = info.value
    assert err.file.endswith("tree.toml")
    assert err.key.startswith(key)
    assert problem in str(err)
    assert err.fix


def test_missing_tree_section(tmp_path):
    """A scenario without [tree] is refused with a pointer to the format."""
    with pytest.raises(ScenarioError, match="no \\[tree\\] section"):
        solve_tree(_load(tmp_path, ""))
