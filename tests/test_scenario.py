"""Tests of scenario loading, validation and the catalogue of broken files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bargain
from bargain import ScenarioError

BROKEN = sorted((Path(__file__).parent / "broken").glob("*.toml"))


def _expected(path: Path) -> list[str]:
    return [
        line.split("# expect:", 1)[1].strip()
        for line in path.read_bytes().decode("utf-8", errors="replace").splitlines()
        if line.startswith("# expect:")
    ]


def test_catalogue_is_not_empty():
    """The catalogue of broken files covers the errors the issue lists."""
    names = {p.stem for p in BROKEN}
    assert {
        "unknown_name",
        "missing_source",
        "wrong_type",
        "min_above_max",
        "value_outside_range",
        "unknown_function",
        "non_finite",
        "duplicate_key",
        "third_party",
    } <= names


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.stem)
def test_broken_file_gets_its_message(path):
    """Each broken scenario raises one ScenarioError naming file, key, problem and fix."""
    with pytest.raises(ScenarioError) as info:
        bargain.load(path)
    message = str(info.value)
    assert message.startswith(str(path))
    for fragment in _expected(path):
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert "\n" not in message


@pytest.mark.parametrize("path", BROKEN[:4], ids=lambda p: p.stem)
def test_cli_prints_one_line_and_exits_2(path):
    """The command line turns a bad file into one stderr line and exit status 2."""
    proc = subprocess.run(
        [sys.executable, "-m", "bargain", "solve", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and str(path) in proc.stderr
    assert proc.stdout == ""


def test_missing_file_is_a_scenario_error(tmp_path):
    """A path that does not exist is reported, not raised as OSError."""
    with pytest.raises(ScenarioError, match="cannot read the file"):
        bargain.load(tmp_path / "nope.toml")


def test_with_parameters_changes_values_and_records_overrides():
    """with_parameters returns a changed copy and leaves the original alone."""
    pie = bargain.load("scenarios/textbook/unit_pie_weighted.toml")
    changed = pie.with_parameters(dA0=0.3)
    assert changed.parameters["dA0"].value == 0.3
    assert pie.parameters["dA0"].value == 0.2
    assert changed.overrides == {"dA0": 0.3}
    assert changed.sha256 == pie.sha256
    # the Nash share moves one for one... by half: x = dA0 + (1 - dA0 - dB0) / 2
    x = bargain.solve(changed).solutions["nash"].deal["x"]
    assert x == pytest.approx(0.3 + (1 - 0.3 - 0.1) / 2, abs=1e-9)


def test_with_parameters_rejects_unknown_names_and_bounds():
    """Unknown parameters get suggestions; hard bounds are enforced."""
    pie = bargain.load("scenarios/textbook/unit_pie.toml")
    with pytest.raises(ScenarioError, match="did you mean 'dA'"):
        pie.with_parameters(dAA=0.5)
    with pytest.raises(ScenarioError, match="outside its bounds"):
        pie.with_parameters(dA=1.5)
    with pytest.raises(ScenarioError, match="finite"):
        pie.with_parameters(dA=float("nan"))


def test_sha256_is_the_hash_of_the_file_bytes():
    """The recorded hash is the sha256 of the file as read."""
    import hashlib

    path = Path("scenarios/textbook/unit_pie.toml")
    assert bargain.load(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_components_are_kept_by_name():
    """A utility table keeps its named components, summed into the utility."""
    barter = bargain.load("scenarios/textbook/nash_1950_barter.toml")
    assert set(barter.parties[0].utility) == {"gives", "receives"}
    problem = barter.problem()
    x = [1.0] * 9
    parts = problem.components(x)
    assert sum(parts["bill"].values()) == pytest.approx(problem.utility(x)[0])


_KEYS = st.sampled_from(
    [
        "schema_version",
        "title",
        "issues",
        "parties",
        "x",
        "min",
        "max",
        "utility",
        "value",
        "unit",
        "source",
        "[issues.x]",
        "[parties.A]",
        "[parties.B]",
        "[parameters.p]",
        "disagreement",
        "discount",
    ]
)
_VALUES = st.sampled_from(
    [
        "1",
        "0.5",
        '"x"',
        '"1 - x"',
        '"p * x"',
        '"log(x)"',
        "[0, 1]",
        '"__import__(1)"',
        "true",
        '"x ^ 2"',
        "-3",
        '"exp(x)"',
        "{}",
    ]
)


@given(st.lists(st.tuples(_KEYS, _VALUES), max_size=14))
def test_random_files_load_or_raise_scenario_error(pairs):
    """Random TOML-ish text either loads or raises ScenarioError, never anything else."""
    lines = ["schema_version = 1", 'title = "fuzz"']
    for key, value in pairs:
        lines.append(key if key.startswith("[") else f"{key} = {value}")
    try:
        bargain.loads("\n".join(lines), path="fuzz.toml")
    except ScenarioError as exc:
        assert str(exc).startswith("fuzz.toml")


@given(st.text(max_size=60))
def test_random_utility_formulas_load_or_raise(formula):
    """Any text as a utility formula either loads or raises ScenarioError."""
    text = "\n".join(
        [
            "schema_version = 1",
            'title = "fuzz"',
            "[issues.x]",
            "min = 0.0",
            "max = 1.0",
            "[parties.A]",
            f"utility = {json.dumps(formula)}",
            "[parties.B]",
            'utility = "1 - x"',
        ]
    )
    try:
        bargain.loads(text, path="fuzz.toml")
    except ScenarioError:
        pass
