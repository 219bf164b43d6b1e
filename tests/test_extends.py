"""Scenario inheritance (`extends`): a child file is its parent with the child's changes."""

from __future__ import annotations

from pathlib import Path

import pytest

import bargain
from bargain import ScenarioError

ROOT = Path(__file__).resolve().parent.parent
KOREA = ROOT / "scenarios" / "korea_us"

PARENT = """
schema_version = 1
title = "parent"
[issues.x]
min = 0.0
max = 1.0
[issues.y]
min = 0.0
max = 1.0
[parameters.a]
value = 0.3
unit = "weight"
source = "judgement: illustration"
range = [0.1, 0.9]
distribution = { type = "triangular", low = 0.1, mode = 0.3, high = 0.9 }
[parties.A]
utility = { share = "x", bonus = "a * y" }
[parties.B]
utility = "1 - x - 0.5 * y"
[[observations]]
name = "a_accepts"
kind = "accepts"
party = "A"
deal = { x = 0.5, y = 0.5 }
source = "illustration"
date = "2025-01-01"
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_child_changes_values_adds_components_and_keeps_the_rest(tmp_path):
    """A value, a replaced distribution, an added component and an appended observation."""
    _write(tmp_path, "parent.toml", PARENT)
    child = _write(
        tmp_path,
        "child.toml",
        'schema_version = 1\nextends = "parent.toml"\ntitle = "child"\n'
        '[parameters.a]\nvalue = 0.5\ndistribution = { type = "uniform", low = 0.1, high = 0.9 }\n'
        "[parties.B.utility]\n",
    )
    with pytest.raises(ScenarioError):  # B's utility was a formula; a table cannot extend it
        bargain.load(child)
    child.write_text(
        'schema_version = 1\nextends = "parent.toml"\ntitle = "child"\n'
        '[parameters.a]\nvalue = 0.5\ndistribution = { type = "uniform", low = 0.1, high = 0.9 }\n'
        '[parties.A.utility]\nextra = "0.1"\n'
        '[[observations]]\nname = "b_accepts"\nkind = "accepts"\nparty = "B"\n'
        'deal = { x = 0.2, y = 0.0 }\nsource = "illustration"\ndate = "2025-01-02"\n',
        encoding="utf-8",
    )
    s = bargain.load(child)
    assert s.title == "child"
    a = s.parameters["a"]
    assert a.value == 0.5 and a.range == (0.1, 0.9) and a.unit == "weight"
    assert dict(a.distribution) == {"type": "uniform", "low": 0.1, "high": 0.9}  # replaced whole
    assert list(s.model.components["A"]) == ["share", "bonus", "extra"]
    assert [o.name for o in s.observations] == ["a_accepts", "b_accepts"]


def test_remove_turns_an_issue_into_a_parameter_and_drops_an_observation(tmp_path):
    """`remove` deletes the parent's issue and observation before the child's tables merge."""
    _write(tmp_path, "parent.toml", PARENT)
    child = _write(
        tmp_path,
        "child.toml",
        'schema_version = 1\nextends = "parent.toml"\n'
        'remove = ["issues.y", "observations.a_accepts"]\n'
        '[parameters.y]\nvalue = 0.0\nunit = "share"\nsource = "fixed here"\n',
    )
    s = bargain.load(child)
    assert s.issue_names == ("x",) and s.parameters["y"].value == 0.0
    assert s.observations == ()
    nash = bargain.solve(s, methods=["nash"]).solutions["nash"]
    assert nash.deal["x"] == pytest.approx(0.5, abs=1e-6)  # max x(1 - x) on [0, 1]


def test_hash_covers_the_whole_chain(tmp_path):
    """Editing the parent changes the child's recorded sha256."""
    parent = _write(tmp_path, "parent.toml", PARENT)
    child = _write(tmp_path, "child.toml", 'schema_version = 1\nextends = "parent.toml"\n')
    before = bargain.load(child).sha256
    parent.write_text(PARENT.replace("value = 0.3", "value = 0.4"), encoding="utf-8")
    assert bargain.load(child).sha256 != before


@pytest.mark.parametrize(
    "text, key",
    [
        ('schema_version = 1\nextends = "missing.toml"\n', "extends"),
        ('schema_version = 1\nextends = "child.toml"\n', "extends"),  # itself: a cycle
        ("schema_version = 1\nextends = 3\n", "extends"),
        ('schema_version = 1\nextends = "parent.toml"\nremove = ["issues.z"]\n', "remove"),
        (
            'schema_version = 1\nextends = "parent.toml"\nrename_parties = { C = "D" }\n',
            "rename_parties.C",
        ),
    ],
)
def test_bad_inheritance_is_one_line_naming_the_key(tmp_path, text, key):
    """A missing parent, a cycle, a bad value, an unknown removal or rename: one clear error."""
    _write(tmp_path, "parent.toml", PARENT)
    child = _write(tmp_path, "child.toml", text)
    with pytest.raises(ScenarioError) as err:
        bargain.load(child)
    assert err.value.key == key and "\n" not in str(err.value)


def test_korea_variants_are_short_and_equal_the_flagship_where_they_say_nothing():
    """Every korea_us variant extends a file, is short, and keeps the flagship's formulas."""
    flagship = bargain.load(KOREA / "september_2025_standoff.toml")
    lines = len((KOREA / "september_2025_standoff.toml").read_text(encoding="utf-8").splitlines())
    for path in KOREA.glob("*.toml"):
        text = path.read_text(encoding="utf-8")
        if "\nextends = " not in text:
            continue
        assert len(text.splitlines()) < 0.4 * lines, path.name  # a comparable: its own figures
        child = bargain.load(path)
        for name, formula in flagship.definitions.items():
            assert child.definitions[name] == formula, (path.name, name)
