"""Tests of the command line: tables, JSON contract, exit codes."""

from __future__ import annotations

import json

import pytest

from bargain import __version__
from bargain.cli import main


def test_solve_prints_a_table(capsys):
    """`bargain solve FILE` prints the title and a row per solution concept."""
    assert main(["solve", "scenarios/textbook/linear_three_solutions.toml"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("A linear frontier")
    for name in ("nash", "kalai_smorodinsky", "egalitarian", "utilitarian"):
        assert f"\n{name} " in out


def test_solve_json_contract(capsys):
    """`--json` prints the documented keys with numbers that match the closed forms."""
    assert main(["solve", "scenarios/textbook/linear_three_solutions.toml", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["version"] == __version__
    assert set(data["scenario"]) >= {"title", "sha256"}
    assert len(data["scenario"]["sha256"]) == 64
    sols = data["solutions"]
    assert {"nash", "kalai_smorodinsky", "egalitarian", "utilitarian"} <= set(sols)
    for sol in sols.values():
        assert {"status", "deal", "utilities"} <= set(sol)
    assert sols["nash"]["status"] == "ok"
    assert sols["nash"]["deal"]["x"] == pytest.approx(0.5, abs=1e-9)
    assert sols["kalai_smorodinsky"]["utilities"]["B"] == pytest.approx(4 / 7, abs=1e-9)


def test_set_overrides_a_parameter(capsys):
    """`--set NAME=VALUE` changes the parameter and is recorded in the output."""
    args = ["solve", "scenarios/textbook/unit_pie_weighted.toml", "--json", "--set", "a=0.4"]
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["overrides"] == {"a": 0.4}
    assert data["solutions"]["asymmetric_nash"]["deal"]["x"] == pytest.approx(0.2 + 0.4 * 0.7)


@pytest.mark.parametrize(
    "bad", [["--set", "a"], ["--set", "a=abc"], ["--set", "zz=1"], ["--methods", "nsh"]]
)
def test_bad_arguments_exit_2_with_one_line(capsys, bad):
    """Bad --set or --methods values are clear errors with exit status 2."""
    assert main(["solve", "scenarios/textbook/unit_pie_weighted.toml", *bad]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("bargain: error:") and captured.err.count("\n") == 1


def test_missing_file_exit_2(capsys):
    """A missing file is an error message, not a traceback."""
    assert main(["solve", "does/not/exist.toml"]) == 2
    assert "cannot read the file" in capsys.readouterr().err


def test_tree_command_prints_the_equilibrium_path(capsys):
    """`bargain tree FILE` prints the path and the equilibrium value."""
    assert main(["tree", "scenarios/textbook/holdup_tree.toml"]) == 0
    out = capsys.readouterr().out
    assert "equilibrium value: A 0.5, B 0.5" in out


def test_games_command_json(capsys):
    """`bargain games FILE --json` reports the three games with their equilibria."""
    assert main(["games", "scenarios/textbook/unit_pie.toml", "--levels", "3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"demand_game", "smoothed_demand_game", "posture_game"}


def test_games_rejects_bad_settings(capsys):
    """Out-of-range game settings are a clear error, exit status 2."""
    assert main(["games", "scenarios/textbook/unit_pie.toml", "--firm-power", "0.2"]) == 2
    assert "--firm-power" in capsys.readouterr().err


def test_compare_puts_scenarios_side_by_side(capsys):
    """`bargain compare` prints one row per scenario and solution concept."""
    files = ["scenarios/textbook/unit_pie.toml", "scenarios/textbook/unit_pie_weighted.toml"]
    assert main(["compare", *files, "--methods", "nash"]) == 0
    out = capsys.readouterr().out
    assert "unit_pie " in out and "unit_pie_weighted " in out
    assert main(["compare", *files, "--methods", "nash", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["solutions"]["nash"]["deal"]["x"] for d in data] == pytest.approx([0.5, 0.55])
