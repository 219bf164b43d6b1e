"""Hostile and broken inputs (issue 18): a right answer, an honest status or one line."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bargain
from bargain import batch_jit
from bargain.batch import batch_solve
from bargain.batch_model import BatchModel
from bargain.errors import ScenarioError
from bargain.formula import parse_formula
from bargain.model import lambdify

#: Legal names that are also words of numpy, math, sympy, Python or the generated code.
COLLIDING = (
    "e",
    "E",
    "pi",
    "nan",
    "inf",
    "oo",
    "I",
    "N",
    "S",
    "select",
    "greater",
    "less",
    "maximum",
    "minimum",
    "amax",
    "sign",
    "where",
    "exp",
    "log",
    "sqrt",
    "abs",
    "min",
    "max",
    "clip",
    "logistic",
    "numpy",
    "math",
    "np",
    "numba",
    "builtins",
    "range",
    "reduce",
    "float",
    "Piecewise",
    "Max",
    "x0",
    "c0",
    "t0",
    "_h0",
    "_s_x0",
    "x",
    "c",
    "out",
    "r",
    "last",
    "_lambdifygenerated",
)


def _toml(
    issues: dict[str, tuple[float, float]],
    params: dict[str, float],
    u_a: str,
    u_b: str,
    extra_a: str = "",
    extra_b: str = "",
) -> str:
    """A scenario file of two parties over the issues, with the parameters."""
    lines = ["schema_version = 1", 'title = "test"']
    for name, (lo, hi) in issues.items():
        lines += [f"[issues.{name}]", f"min = {lo!r}", f"max = {hi!r}"]
    for name, value in params.items():
        lines += [f"[parameters.{name}]", f"value = {value!r}", 'unit = "u"', 'source = "test"']
        lines += [f"range = [{value - 0.1 * abs(value)!r}, {value + 0.1 * abs(value)!r}]"]
    lines += ["[parties.A]", f'utility = "{u_a}"', extra_a, "[parties.B]", f'utility = "{u_b}"']
    lines += [extra_b]
    return "\n".join(lines) + "\n"


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory, monkeypatch):
    """Kernels go to a fresh cache folder, never the user's."""
    monkeypatch.setenv("BARGAIN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "jit-cache"))
    monkeypatch.delenv("BARGAIN_JIT", raising=False)


# --- 1. names in generated code -------------------------------------------------


def test_issue_called_e_next_to_exp_1():
    """The issue's minimal file: KS at e = c / (1 + c) exactly, Nash not 'nonconvex'."""
    c = 2.718281828459045
    text = _toml({"e": (0.0, 1.0)}, {}, "exp(1) * e", f"{c!r} - e")
    report = bargain.solve(bargain.loads(text))
    ks = report.solutions["kalai_smorodinsky"]
    # A's gain E e over its ideal E equals B's gain (c - e) over its ideal c
    assert ks.status == "ok"
    assert ks.deal["e"] == pytest.approx(c / (1 + c), abs=1e-6)
    assert round(ks.deal["e"], 3) == 0.731
    nash = report.solutions["nash"]
    assert nash.status == "ok"  # max of e (c - e) on [0, 1]: the corner e = 1
    assert nash.deal["e"] == pytest.approx(1.0, abs=1e-6)


def test_parameter_called_nan_does_not_replace_absent_settings():
    """nan = 0.9, power = 0.3: asymmetric Nash at 0.3 and no outside option."""
    text = _toml(
        {"x": (0.0, 1.0)},
        {"nan": 0.9, "power": 0.3},
        "x + 0 * nan",
        "1 - x",
        extra_a='power = "power"',
    )
    scenario = bargain.loads(text)
    settings_ = scenario.model.evaluate_settings(scenario.parameter_values())
    assert np.isnan(settings_["outside_option"]).all()
    report = bargain.solve(scenario, methods=["asymmetric_nash"])
    assert report.solutions["asymmetric_nash"].deal["x"] == pytest.approx(0.3, abs=1e-6)


@pytest.mark.parametrize("name", COLLIDING)
def test_colliding_parameter_name_works(name):
    """A parameter with a numpy/sympy/generated-code name: solve and the batch agree."""
    text = _toml({"y": (0.0, 1.0)}, {name: 0.5}, f"y * (1 + {name}) / (1 + {name})", "1 - y")
    scenario = bargain.loads(text)
    report = bargain.solve(scenario, methods=["nash"])
    assert report.solutions["nash"].deal["y"] == pytest.approx(0.5, abs=1e-6)
    out = batch_solve(scenario, {name: np.array([0.4, 0.6])}, ("nash",), compiled=False)
    assert np.allclose(out["nash"].deal[0], 0.5, atol=1e-6)


@pytest.mark.parametrize("name", ["e", "nan", "select", "x0", "c0", "_h0", "exp", "out"])
def test_colliding_issue_name_works(name):
    """An issue with a colliding name, next to a parameter: the Nash deal is the closed form."""
    text = _toml({name: (0.0, 1.0)}, {"k": 0.25}, f"{name} + k * exp(1) * 0", f"1 - {name}")
    scenario = bargain.loads(text)
    report = bargain.solve(scenario, methods=["nash"])
    assert report.solutions["nash"].deal[name] == pytest.approx(0.5, abs=1e-6)


def test_names_are_ascii_and_whole():
    """A trailing newline and a fullwidth x are not names; formulas are ASCII only."""
    base = _toml({"x": (0.0, 1.0)}, {}, "x", "1 - x")
    with pytest.raises(ScenarioError, match="not a usable name"):
        bargain.loads(base.replace("[issues.x]", '[issues."x\\n"]'))
    with pytest.raises(ScenarioError, match="non-ASCII"):
        bargain.loads(base.replace('utility = "x"', 'utility = "\uff58"'))
    with pytest.raises(ScenarioError, match="not a usable name"):
        bargain.loads(base.replace("[issues.x]", '[issues."\uff58"]'))


# --- the differential property test ------------------------------------------------

_ISSUE_NAMES = ("e", "x0", "select", "nan", "where", "c")
_PARAM_NAMES = ("pi", "exp", "maximum", "_h0", "E", "t0", "sign", "numpy")
_VALUES = {"pi": 0.7, "exp": 1.3, "maximum": -0.4, "_h0": 2.0, "E": 0.25, "t0": -1.1}
_VALUES |= {"sign": 0.9, "numpy": 1.6}


def _formula(names: tuple[str, ...]) -> st.SearchStrategy[str]:
    """Random formulas of the whitelist, finite on the box (guarded logs, roots, powers)."""
    leaf = st.one_of(
        st.sampled_from(names),
        st.sampled_from(["0.5", "2", "3", "exp(1)", "0.1", "1.5e-3"]),
    )

    def grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        two = st.tuples(inner, inner)
        return st.one_of(
            two.map(lambda t: f"({t[0]} + {t[1]})"),
            two.map(lambda t: f"({t[0]} - {t[1]})"),
            two.map(lambda t: f"({t[0]} * {t[1]})"),
            two.map(lambda t: f"({t[0]} / (1 + abs({t[1]})))"),
            inner.map(lambda a: f"exp(clip({a}, -3, 3))"),
            inner.map(lambda a: f"log(abs({a}) + 0.5)"),
            inner.map(lambda a: f"sqrt(abs({a}))"),
            inner.map(lambda a: f"(abs({a}) + 0.25) ** 1.5"),
            inner.map(lambda a: f"clip({a}, 2, 2) ** 2 * 0 + {a} ** 2"),
            inner.map(lambda a: f"logistic({a})"),
            two.map(lambda t: f"min({t[0]}, {t[1]})"),
            two.map(lambda t: f"max({t[0]}, {t[1]}, 0.3)"),
            st.tuples(inner, inner, inner).map(lambda t: f"where({t[0]} > {t[1]}, {t[1]}, {t[2]})"),
            st.tuples(inner, inner).map(lambda t: f"clip({t[0]}, -1, {t[1]} * 0 + 1)"),
        )

    return st.recursive(leaf, grow, max_leaves=8)


def _scenario(u_a: str, u_b: str, issues: tuple[str, ...]) -> bargain.Scenario:
    box = {name: (-1.0 + 0.1 * i, 1.0 + 0.2 * i) for i, name in enumerate(issues)}
    params = {p: _VALUES[p] for p in _PARAM_NAMES}
    return bargain.loads(_toml(box, params, f"{u_a} + 0 * ({u_b})", f"{u_b} + 0 * ({u_a})"))


def _exact(expr: sp.Expr, values: dict[sp.Symbol, float]) -> float:
    """sympy's own evaluation at the point, with 30 digits."""
    subs = {s: sp.Float(v, 30) for s, v in values.items()}
    return float(sp.N(expr.xreplace(subs), 30))


_names = _ISSUE_NAMES[:3] + _PARAM_NAMES


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(u_a=_formula(_names), u_b=_formula(_names), data=st.data())
def test_numpy_model_agrees_with_sympy(u_a, u_b, data):
    """Random whitelisted formulas: the numpy model and the batched model equal exact evalf."""
    issues = _ISSUE_NAMES[:3]
    try:
        scenario = _scenario(u_a, u_b, issues)
    except ScenarioError as exc:  # e.g. too large somewhere on the box: one line
        assert "\n" not in str(exc)
        return
    model = scenario.model
    box = zip(model.lower, model.upper, strict=True)
    x = np.array([data.draw(st.floats(lo, hi)) for lo, hi in box])
    theta = model.parameter_vector(scenario.parameter_values())
    point = dict(zip([*model.issues, *model.parameters], [*x, *theta], strict=True))
    exact = [_exact(model.utilities[p], point) for p in model.party_names]
    numeric = np.asarray(model.utility_function(*x, *theta), dtype=float)
    assert numeric == pytest.approx(exact, rel=1e-9, abs=1e-9)
    bm = BatchModel(scenario)
    ctx = bm.prepare(bm.theta({}, 1))
    u, _, _ = bm.evaluate(x[:, None], ctx, derivatives=True)
    assert u[:, 0] == pytest.approx(exact, rel=1e-9, abs=1e-9)


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    u_a=_formula(_names),
    u_b=_formula(_names),
    xs=st.lists(st.tuples(*[st.floats(0, 1)] * 3), min_size=8, max_size=8),
)
def test_compiled_kernels_agree_with_sympy(u_a, u_b, xs):
    """The numba kernels of random formulas with colliding names equal exact evalf."""
    pytest.importorskip("numba")
    issues = _ISSUE_NAMES[:3]
    try:
        scenario = _scenario(u_a, u_b, issues)
    except ScenarioError:
        return
    bm = BatchModel(scenario)
    kern = batch_jit.kernels(bm)
    assert kern is not None
    model = scenario.model
    theta = model.parameter_vector(scenario.parameter_values())
    ctx = np.ascontiguousarray(bm.prepare(bm.theta({}, 1))[:, 0])
    for unit in xs:
        x = model.lower + np.array(unit) * (model.upper - model.lower)
        out = np.empty(2)
        kern.value(np.ascontiguousarray(x), ctx, out)
        point = dict(zip([*model.issues, *model.parameters], [*x, *theta], strict=True))
        exact = [_exact(model.utilities[p], point) for p in model.party_names]
        assert out == pytest.approx(exact, rel=1e-9, abs=1e-9)


def test_lambdify_prints_constants_fully_qualified():
    """exp(1) is numpy.e in the generated code, whatever the arguments are called."""
    e = sp.Symbol("e", real=True)
    f = lambdify([e], sp.E * e)
    assert "numpy.e" in f.__doc__
    assert f(2.0) == pytest.approx(2 * math.e)


def test_formula_parameter_may_share_a_function_name():
    """exp as a name and exp() as a call do not mix."""
    exp = sp.Symbol("exp", real=True)
    assert parse_formula("exp * exp(0)", {"exp": exp}) == exp


# --- 3. one error path -----------------------------------------------------------


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bargain", *args], capture_output=True, text=True, timeout=300
    )


def test_unexpected_error_is_one_line_and_debug_shows_the_traceback(tmp_path):
    """500 nested inline tables (RecursionError): one line, status 2; --debug: the traceback."""
    deep = tmp_path / "deep.toml"
    deep.write_text('schema_version = 1\ntitle = "deep"\nx = ' + "{a = " * 500 + "1" + "}" * 500)
    proc = _run(["solve", str(deep)])
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("bargain: error:")
    debug = _run(["--debug", "solve", str(deep)])
    assert debug.returncode == 2 and "Traceback" in debug.stderr


@pytest.mark.parametrize("error", [RecursionError, MemoryError, ZeroDivisionError, TypeError])
def test_every_exception_becomes_one_line(error, monkeypatch, capsys):
    """Whatever a command raises, main prints one line and returns 2."""
    from bargain import cli

    def boom(args):
        raise error("deep\ninside")

    parser = cli.build_parser()
    args = parser.parse_args(["solve", "x.toml"])
    args.func = boom
    monkeypatch.setattr(cli, "build_parser", lambda: _Fixed(parser, args))
    assert cli.main(["solve", "x.toml"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and error.__name__ in err


class _Fixed:
    """A parser that returns the given arguments."""

    def __init__(self, parser, args):
        self.parser, self.args = parser, args

    def parse_args(self, argv=None):
        return self.args


def test_setting_values_are_numpy_floats_and_checked():
    """1/(p - 0.5) at 0.5 and (-2)**p are one line each, not ZeroDivisionError or complex."""
    for formula, word in (("1 / (p - 0.5)", "inf"), ("(-2) ** p", "nan")):
        text = _toml({"x": (0.0, 1.0)}, {"p": 0.5}, "x", "1 - x", f'disagreement = "{formula}"')
        with pytest.raises(ScenarioError, match=f"disagreement is {word}"):
            bargain.loads(text)


# --- 8. where, clip and abs through every batched path ---------------------------

WHERE = _toml(
    {"x": (0.0, 1.0)},
    {"k": 0.5},
    "where(x > 0.5, x, 0.5*x) + where(k > 0.5, k, 0) * x",
    "1 - x + k * abs(x - 0.3) - clip(x, 0.2, 0.8) * where(k < 0.45, 1, 0)",
)


@pytest.mark.parametrize("compiled", [False, True])
def test_where_clip_abs_in_the_batched_solvers(compiled):
    """Issue-free where() branches and conditions are not lifted into symbols."""
    if compiled:
        pytest.importorskip("numba")
    scenario = bargain.loads(WHERE)
    out = batch_solve(scenario, {"k": np.array([0.4, 0.5, 0.6])}, compiled=compiled)
    assert set(out["nash"].status) <= {"ok", "nonconvex", "not_unique", "no_agreement"}


def test_where_in_tornado_and_sweep(tmp_path):
    """bargain sweep and bargain tornado run a where() utility to the end."""
    path = tmp_path / "where.toml"
    path.write_text(WHERE)
    out = tmp_path / "w.csv"
    assert (
        _run(["sweep", str(path), "--samples", "20", "--out", str(out), "--quiet"]).returncode == 0
    )
    assert len(out.read_text().splitlines()) == 22
    proc = _run(["tornado", str(path), "--json"])
    assert proc.returncode == 0, proc.stderr


def test_sweep_without_parameters(tmp_path):
    """No parameters: every row is the one solution; the tornado says it has nothing to vary."""
    path = tmp_path / "none.toml"
    path.write_text(_toml({"x": (0.0, 1.0)}, {}, "x", "1 - x"))
    out = tmp_path / "n.csv"
    assert (
        _run(["sweep", str(path), "--samples", "5", "--out", str(out), "--quiet"]).returncode == 0
    )
    rows = out.read_text().splitlines()[2:]
    assert len(rows) == 5 and all(",0.5," in r for r in rows)
    proc = _run(["tornado", str(path)])
    assert proc.returncode == 2 and "nothing to vary" in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_zero_width_first_issue_next_to_others():
    """A first issue of zero width: the batched Nash deal is the closed form in the other."""
    scenario = bargain.loads(
        _toml({"z": (0.5, 0.5), "x": (0.0, 1.0)}, {"k": 1.0}, "k*x + z", "1 - x + z")
    )
    k = np.array([0.95, 1.0, 1.05])
    for compiled in (False, True):
        res = batch_solve(scenario, {"k": k}, ("nash",), compiled=compiled)["nash"]
        assert (res.status == "ok").all()
        np.testing.assert_allclose(res.deal[:, 1], (1.5 * k - 0.5) / (2 * k), atol=1e-7)
        np.testing.assert_allclose(res.deal[:, 0], 0.5)


def test_utility_scale_1e200():
    """Utilities of order 1e200: the split of the pie is still 1/2 (no crash, no overflow)."""
    scenario = bargain.loads(
        _toml({"x": (0.0, 1.0)}, {"k": 1.0}, "1e200 * k * x", "1e200 * (1 - x)")
    )
    with warnings.catch_warnings():  # the per-scenario fallback's Nash product overflows
        warnings.simplefilter("ignore", RuntimeWarning)
        res = batch_solve(scenario, {"k": np.array([0.95, 1.05])}, ("nash",))["nash"]
    assert (res.status == "ok").all()
    np.testing.assert_allclose(res.deal[:, 0], 0.5, atol=1e-7)


# --- 2. symbolic work within a budget --------------------------------------------


def _chain(n: int, body: str) -> str:
    defs = "\n".join(f'd{i} = "{body.format(p=f"d{i - 1}")}"' for i in range(1, n + 1))
    text = _toml({"x": (0.1, 1.0)}, {}, f"d{n}", "1 - x")
    return text.replace("[parties.A]", f'[definitions]\nd0 = "x"\n{defs}\n[parties.A]')


@pytest.mark.parametrize(
    ("n", "body", "where"),
    [
        (12, "max({p}, 0.2) + min({p}, 0.8)", "definitions.d"),
        (12, "exp({p} / 10) + log({p} + 2)", "definitions.d"),
        (5, "where({p} > 0.5, {p} * 0.9, 1 - {p}) + where({p} < 0.3, {p}, 0.1)", "definitions.d"),
    ],
)
def test_definition_chains_stop_at_the_budget(n, body, where):
    """Chains that copy each definition twice: one line naming the definition, in seconds."""
    import time

    start = time.perf_counter()
    with pytest.raises(ScenarioError, match="once the definitions are substituted") as info:
        bargain.loads(_chain(n, body))
    assert time.perf_counter() - start < 10
    assert where in str(info.value) and "\n" not in str(info.value)


def test_nested_formula_stops_at_the_budget():
    """A 1 KB nested max/min formula (the explorer's case) is one line before sympy sees it."""
    formula = "x"
    for i in range(40):
        formula = f"max({formula}, 0.{i % 9 + 1})" if i % 2 else f"min({formula}, 0.9)"
    with pytest.raises(ScenarioError, match="calls of where/min/max/abs/clip"):
        bargain.loads(_toml({"x": (0.0, 1.0)}, {}, formula, "1 - x"))


def test_chance_diamond_of_40_levels_is_solved_in_seconds():
    """2**40 paths through 120 nodes: reach probabilities are summed per node, not per path."""
    import time

    from bargain.tree import render_path, solve_tree

    lines = ['[tree]\nroot = "n0"']
    for i in range(40):
        nxt = f"n{i + 1}" if i < 39 else "leaf"
        lines.append(f'[tree.nodes.n{i}]\nmover = "chance"')
        lines.append(f'children = {{ a = "a{i}", b = "b{i}" }}')
        lines.append("probabilities = { a = 0.5, b = 0.5 }")
        for s in "ab":
            lines.append(f'[tree.nodes.{s}{i}]\nmover = "A"\nchildren = {{ go = "{nxt}" }}')
    lines.append("[tree.nodes.leaf]\npayoffs = { A = 1, B = 2 }")
    scenario = bargain.loads(_toml({"x": (0.0, 1.0)}, {}, "x", "1 - x") + "\n".join(lines))
    start = time.perf_counter()
    solution = solve_tree(scenario)
    assert solution.status == "ok"
    assert solution.reach["leaf"] == pytest.approx(1.0)
    assert solution.reach["a20"] == pytest.approx(0.5)
    assert "not printed" in render_path(solution)
    assert time.perf_counter() - start < 10


# --- 5. size limits checked before allocating --------------------------------------

PIE = "scenarios/textbook/unit_pie.toml"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sweep", PIE, "--samples", str(10**12), "--out", "{tmp}/x.csv"], "above the limit"),
        (["sweep", PIE, "--vary", "dA=0.8:0.9:1000000000", "--out", "{tmp}/x.csv"], "above"),
        (["sweep", PIE, "--samples", "20", "--max-points", "10", "--out", "{tmp}/x.csv"], "of 10"),
        (["report", PIE, "--grid", "100000", "-o", "{tmp}/r.html"], "--grid at most"),
        (
            ["plot", PIE, "--kind", "rubinstein", "--horizon", "100000000", "-o", "{tmp}/p.png"],
            "--horizon",
        ),
        (["solve", "/dev/zero"], "larger than 1,000,000 bytes"),
    ],
)
def test_size_limits_are_one_line_before_any_work(args, message, tmp_path):
    """Huge sizes fail at once with one line and status 2."""
    if args[1] == "/dev/zero" and not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    proc = _run([a.replace("{tmp}", str(tmp_path)) for a in args])
    assert proc.returncode == 2
    assert message in proc.stderr and proc.stderr.count("\n") == 1


def test_scenario_file_size_limit(tmp_path):
    """A scenario file over 1 MB is refused after reading at most 1 MB + 1 byte."""
    big = tmp_path / "big.toml"
    big.write_text(_toml({"x": (0.0, 1.0)}, {}, "x", "1 - x") + "#" * 1_000_000)
    with pytest.raises(ScenarioError, match="larger than"):
        bargain.load(big)


def test_where_in_the_explorer_updates(tmp_path):
    """The explorer's quick and full updates of a where() utility answer (no HTTP 500)."""
    pytest.importorskip("tomli_w")
    from bargain.explore import Explorer

    path = tmp_path / "where.toml"
    path.write_text(WHERE)
    ex = Explorer(path)
    formulas = {"parties.A.utility": "where(x > 0.6, x, 0.4*x) + clip(x, 0.1, 0.9) * 0"}
    quick = ex.quick({"k": 0.55}, formulas)
    assert quick["solutions"]["nash"]["status"] in {"ok", "nonconvex", "not_unique"}
    full = ex.full({"k": 0.45}, formulas)
    assert "solutions" in full or "stale" in full
