"""Tests of bargain.explore's handlers and bargain.explore_app's server, without a browser.

See test_explore_e2e.py for the page in a real browser.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import pytest

import bargain
from bargain.errors import BargainError, ScenarioError

pytest.importorskip("tomli_w", reason="the explore extra is not installed (tomli-w)")

from bargain.explore import Explorer, default_save_path  # noqa: E402
from bargain.explore_cli import add_explore_command  # noqa: E402

PIE = "scenarios/textbook/unit_pie.toml"
FLAGSHIP = "tests/models/flagship_v1.toml"  # the two-issue flagship before issue 16, frozen
FX_RISK = "parties.korea.utility.fx_risk"


@pytest.fixture(scope="module")
def flagship() -> Explorer:
    """One explorer on the Korea-US flagship, shared (compiling it takes a second)."""
    return Explorer(FLAGSHIP, resolution=21)


def _deals(report: Any) -> dict[str, Any]:
    return {k: (s.status, s.deal) for k, s in report.solutions.items()}


def _same_deals(full: dict[str, Any], report: Any, tol: float = 1e-6) -> None:
    """Same status under every concept and the same deal to ``tol`` (or the same utilities)."""
    assert set(full["solutions"]) == set(report.solutions)
    for method, sol in report.solutions.items():
        got = full["solutions"][method]
        assert got["status"] == sol.status, method
        if sol.ok:
            same_deal = got["deal"] == pytest.approx(sol.deal, abs=tol)
            # where several deals give the same utilities, either one is the answer
            assert same_deal or got["utilities"] == pytest.approx(sol.utilities, abs=tol), method


def test_controls_cover_every_ranged_parameter_and_every_component(flagship: Explorer) -> None:
    """Each parameter with a range gets a slider spanning it, with unit and source."""
    c = flagship.controls()
    scenario = bargain.load(FLAGSHIP)
    ranged = {n: p for n, p in scenario.parameters.items() if p.range is not None}
    assert [p["name"] for p in c["parameters"]] == list(ranged)
    for p in c["parameters"]:
        spec = ranged[p["name"]]
        assert (p["unit"], p["source"], p["value"]) == (spec.unit, spec.source, spec.value)
        assert p["min"] <= min(spec.range[0], spec.value) <= p["value"]
        assert p["max"] >= max(spec.range[1], spec.value) >= p["value"]
    keys = [f["key"] for f in c["formulas"]]
    assert keys == [f"parties.{p.name}.utility.{k}" for p in scenario.parties for k in p.utility]
    assert c["outputs"][:2] == ["equity_usd_bn", "loans_usd_bn"]


def test_quick_update_matches_closed_form_rubinstein() -> None:
    """Changing discount factors moves Rubinstein's split to (1 - dB) / (1 - dA dB)."""
    ex = Explorer(PIE)
    for da, db in [(0.9, 0.8), (0.95, 0.7), (0.85, 0.99)]:
        sol = ex.quick({"dA": da, "dB": db})["solutions"]
        assert sol["rubinstein"]["deal"]["x"] == pytest.approx((1 - db) / (1 - da * db), abs=1e-9)
        assert sol["nash"]["deal"]["x"] == pytest.approx(0.5, abs=1e-9)


def test_raising_crisis_loss_lowers_equity_share(flagship: Explorer) -> None:
    """On the flagship a costlier currency crisis lowers e and the equity dollars."""
    low = flagship.quick({"crisis_loss_share": 0.05})["solutions"]
    high = flagship.quick({"crisis_loss_share": 0.3})["solutions"]
    for method in ("nash", "rubinstein"):
        assert high[method]["deal"]["e"] < low[method]["deal"]["e"]
        out = high[method]["outputs"]
        a = bargain.load(FLAGSHIP).parameters["A"].value
        assert out["equity_usd_bn"] + out["loans_usd_bn"] == pytest.approx(a)  # pledge_realised 1


def test_quick_agrees_with_per_scenario_solvers(flagship: Explorer) -> None:
    """The batched quick stage gives the deals of bargain.solve and its decomposition."""
    values = {"crisis_loss_share": 0.2, "swap_line": 40.0}
    quick = flagship.quick(values)
    report = bargain.solve(
        bargain.load(FLAGSHIP).with_parameters(**values),
        methods=["nash", "asymmetric_nash", "rubinstein"],
        resolution=21,
    )
    for method, sol in report.solutions.items():
        for issue, x in sol.deal.items():
            # batched Newton vs the per-scenario root finder: equal to their tolerances
            assert quick["solutions"][method]["deal"][issue] == pytest.approx(x, abs=1e-5)
    rows = {(r["party"], r["component"]): r["value"] for r in quick["decomposition"]["rows"]}
    for party, comps in report.solutions["nash"].components.items():
        for name, value in comps.items():
            assert rows[(party, name)] == pytest.approx(value, rel=1e-5, abs=1e-6)


def test_full_update_equals_bargain_solve_and_draws_the_figure(flagship: Explorer) -> None:
    """Every concept agrees with bargain.solve (batched, to 1e-6); the figure is SVG."""
    full = flagship.full({"crisis_loss_share": 0.2})
    report = bargain.solve(
        bargain.load(FLAGSHIP).with_parameters(crisis_loss_share=0.2),
        resolution=flagship.resolution,
    )
    assert full["exact_solver"] is False  # the batched frontier is certified here
    _same_deals(full, report)
    assert full["frontier"]["convex"] == report.frontier["convex"]
    svg = full["figure_svg"]
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    for method in report.solutions:  # one marker per concept in each panel, named
        assert svg.count(f"<title>{method}</title>") == 2
    assert flagship.full({}, stale=lambda: True) == {"stale": True}


def test_full_update_is_fast_on_the_flagship(flagship: Explorer) -> None:
    """Issue #8: every concept and the figure within half a second of a slider move."""
    flagship.full({"crisis_loss_share": 0.15})  # compiled model and caches warm
    best = min(flagship.full({"crisis_loss_share": c})["seconds"] for c in (0.1, 0.2, 0.25))
    assert best < 0.5


def test_broken_formula_is_reported_on_its_key_and_changes_nothing(flagship: Explorer) -> None:
    """A misspelt name raises a ScenarioError on the formula's key; the next edit works."""
    with pytest.raises(ScenarioError) as err:
        flagship.quick({}, {FX_RISK: "-crisis_loss * p_crisiss"})
    assert err.value.key == FX_RISK
    assert "unknown name 'p_crisiss'" in err.value.problem
    assert "p_crisis" in err.value.fix
    for bad in ["-crisis_loss * (p_crisis", "__import__('os')", ""]:
        with pytest.raises(ScenarioError) as err:
            flagship.quick({}, {FX_RISK: bad})
        assert err.value.key == FX_RISK
    base = flagship.quick({})["solutions"]["nash"]["deal"]
    expected = bargain.solve(bargain.load(FLAGSHIP), methods=["nash"], resolution=21)
    assert base == pytest.approx(expected.solutions["nash"].deal, abs=1e-5)


def test_edited_formula_equals_a_hand_edited_file(tmp_path: Path) -> None:
    """sqrt(x) for A's utility gives the Nash split x = 1/3 (max sqrt(x)(1 - x))."""
    ex = Explorer(PIE)
    quick = ex.quick({}, {"parties.A.utility": "sqrt(x)"})
    assert quick["solutions"]["nash"]["deal"]["x"] == pytest.approx(1 / 3, abs=1e-7)
    hand = Path(PIE).read_text().replace('utility = "x"', 'utility = "sqrt(x)"')
    report = bargain.solve(bargain.loads(hand), resolution=ex.resolution)
    full = ex.full({}, {"parties.A.utility": "sqrt(x)"})
    _same_deals(full, report)


def test_no_agreement_is_a_status_not_an_error() -> None:
    """A formula that leaves no gains to share gives no_agreement in both stages."""
    ex = Explorer(PIE)
    assert ex.quick({}, {"parties.A.utility": "-x"})["solutions"]["nash"]["status"] == (
        "no_agreement"
    )
    assert ex.full({}, {"parties.A.utility": "-x"})["solutions"]["nash"]["status"] == (
        "no_agreement"
    )


@pytest.mark.parametrize(
    ("values", "formulas", "key"),
    [
        ({"dA": 1.5}, {}, "parameters.dA.value"),  # outside the hard bounds [0, 1]
        ({"dA": float("nan")}, {}, "parameters.dA.value"),
        ({"dA": "0.9"}, {}, "parameters.dA.value"),
        ({"dAA": 0.9}, {}, "parameters.dAA"),
        ({}, {"parties.C.utility": "x"}, "parties.C.utility"),
    ],
)
def test_bad_values_raise_scenario_errors_on_their_key(
    values: dict[str, Any], formulas: dict[str, Any], key: str
) -> None:
    """Values out of bounds, non-numbers and unknown names are ScenarioErrors naming the key."""
    ex = Explorer(PIE)
    for handler in (ex.quick, ex.toml_text):  # the page's updates, and what save writes
        with pytest.raises(ScenarioError) as err:
            handler(values, formulas)
        assert err.value.key == key
        assert err.value.fix  # the message says how to fix it
        assert err.value.message.startswith(f"{PIE}: {key}: ")  # what the page shows


def test_a_boolean_is_not_a_number_even_where_it_equals_the_file_value(
    flagship: Explorer,
) -> None:
    """pledge_realised is 1.0 in the file and True == 1.0, yet True is refused."""
    assert bargain.load(FLAGSHIP).parameters["pledge_realised"].value == 1.0
    for handler in (flagship.quick, flagship.toml_text):
        with pytest.raises(ScenarioError) as err:
            handler({"pledge_realised": True})
        assert err.value.key == "parameters.pledge_realised.value"
    assert flagship.quick({"pledge_realised": 1})["solutions"]["nash"]["status"] == "ok"


def test_values_are_checked_under_the_edited_formulas(tmp_path: Path) -> None:
    """A value at which the file's formula is not finite is fine once that formula is edited."""
    src = tmp_path / "pie_log.toml"
    src.write_text(
        Path(PIE).read_text().replace('utility = "x"', 'utility = "log(x + c)"')
        + '\n[parameters.c]\nvalue = 0.5\nunit = "share"\nsource = "test"\n'
        + "range = [-0.5, 0.5]\nbounds = [-1.0, 1.0]\n"
    )
    ex = Explorer(src)
    with pytest.raises(ScenarioError) as err:  # log(x - 0.5) is nan at x = 0
        ex.quick({"c": -0.5})
    assert err.value.key == "parties.A.utility"
    edited = {"parties.A.utility": "x + c"}
    assert ex.quick({"c": -0.5}, edited)["solutions"]["nash"]["status"] == "ok"
    saved = ex.save(tmp_path / "edited.toml", {"c": -0.5}, edited)
    assert bargain.load(saved["path"]).parameters["c"].value == -0.5


def test_save_round_trip_solves_to_the_same_answer(flagship: Explorer, tmp_path: Path) -> None:
    """The saved file loads and solves exactly as the edited scenario; the original is kept."""
    values = {"crisis_loss_share": 0.25, "A": 200.0}
    formulas = {FX_RISK: "-1.5 * crisis_loss * p_crisis"}
    original = Path(FLAGSHIP).read_bytes()
    saved = flagship.save(tmp_path / "edited.toml", values, formulas)
    path = Path(saved["path"])
    assert path == tmp_path / "edited.toml"
    assert Path(FLAGSHIP).read_bytes() == original
    text = path.read_text()
    assert "# changed: A = 200.0 (file: 350.0)" in text
    assert f"# changed: {FX_RISK}" in text
    hand = (
        original.decode()
        .replace('fx_risk = "-crisis_loss * p_crisis"', f'fx_risk = "{formulas[FX_RISK]}"')
        .replace("value = 350.0", "value = 200.0")
        .replace("value = 0.12\n", "value = 0.25\n")
    )
    expected = _deals(bargain.solve(bargain.loads(hand), resolution=21))
    assert _deals(bargain.solve(bargain.load(path), resolution=21)) == expected


def test_save_refuses_the_original_and_existing_files(tmp_path: Path) -> None:
    """Saving over the original is refused always, over another file only with overwrite."""
    ex = Explorer(PIE)
    with pytest.raises(ScenarioError, match="original file"):
        ex.save(Path(PIE).resolve(), {"dA": 0.95})
    with pytest.raises(ScenarioError, match="original file"):
        ex.save(PIE, {"dA": 0.95})  # relative to the current folder
    target = tmp_path / "pie.toml"
    target.write_text("keep me")
    with pytest.raises(ScenarioError, match="exists"):
        ex.save(target, {"dA": 0.95})
    assert target.read_text() == "keep me"
    ex.save(target, {"dA": 0.95}, overwrite=True)
    assert bargain.load(target).parameters["dA"].value == 0.95
    for bad in ["", str(tmp_path / "pie.txt"), str(tmp_path / "no" / "pie.toml")]:
        with pytest.raises(ScenarioError):
            ex.save(bad, {"dA": 0.95})
    with pytest.raises(ScenarioError):  # invalid edits are not written
        ex.save(tmp_path / "bad.toml", {}, {"parties.A.utility": "x +"})
    assert not (tmp_path / "bad.toml").exists()


def test_default_save_path_takes_the_next_free_name(tmp_path: Path) -> None:
    """<stem>_edited.toml, then <stem>_edited_2.toml, next to the file."""
    src = tmp_path / "pie.toml"
    src.write_bytes(Path(PIE).read_bytes())
    assert default_save_path(src) == tmp_path / "pie_edited.toml"
    (tmp_path / "pie_edited.toml").write_text("")
    assert default_save_path(src) == tmp_path / "pie_edited_2.toml"


def test_figures_zip_holds_both_figures_and_the_scenario() -> None:
    """The download has the frontier and decomposition as SVG and PNG, and the TOML."""
    data = Explorer(PIE).figures_zip({"dA": 0.95})
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        toml = zf.read("scenario.toml")
        png = zf.read("frontier.png")
    assert names == {
        "frontier.svg",
        "frontier.png",
        "decomposition.svg",
        "decomposition.png",
        "scenario.toml",
    }
    assert png.startswith(b"\x89PNG")
    assert bargain.loads(toml).parameters["dA"].value == 0.95


def test_server_answers_bad_requests_with_json_and_stops(capfd: pytest.CaptureFixture) -> None:
    """Bad input gives a 400 JSON error, no traceback; other sites get 403; 127.0.0.1 only."""
    pytest.importorskip("starlette", reason="the explore extra is not installed (starlette)")
    pytest.importorskip("uvicorn", reason="the explore extra is not installed (uvicorn)")
    from bargain.explore_app import start_server

    server = start_server(Explorer(PIE))
    try:
        assert server.url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(server.page_url, timeout=10) as r:
            assert b"<title>bargain explore</title>" in r.read()
        own = {"X-Bargain-Token": server.token, "Origin": server.url.rstrip("/")}

        def post(path: str, data: bytes, headers: Any = None) -> tuple[int, dict[str, Any]]:
            sent = own if headers is None else headers
            req = urllib.request.Request(server.url + path, data=data, headers=sent)
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    return r.status, json.loads(r.read())
            except urllib.error.HTTPError as exc:
                return exc.code, json.loads(exc.read())

        status, body = post("api/quick", json.dumps({"values": {"dA": 0.95}}).encode())
        assert status == 200
        assert body["solutions"]["rubinstein"]["deal"]["x"] == pytest.approx(0.2 / (1 - 0.95 * 0.8))
        for bad in [b"{not json", b"[1]", b'{"values": [1]}', b'{"values": {"dA": NaN}}']:
            status, body = post("api/quick", bad)
            assert status == 400
            assert body["ok"] is False and body["error"]["message"]
        status, body = post(
            "api/quick", json.dumps({"formulas": {"parties.A.utility": "x +"}}).encode()
        )
        assert (status, body["error"]["key"]) == (400, "parties.A.utility")
        other_site = {"Origin": "http://example.org", "X-Bargain-Token": server.token}
        status, body = post("api/save", b'{"path": "x.toml"}', other_site)
        assert status == 403 and not Path("x.toml").exists()
    finally:
        server.stop()
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err


def test_cli_parses_options_and_reports_a_missing_file() -> None:
    """`bargain explore` takes --port, --no-browser, --resolution; a bad file is a clean error."""
    parser = argparse.ArgumentParser(prog="bargain")
    add_explore_command(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["explore", PIE, "--port", "8123", "--no-browser"])
    assert (args.file, args.port, args.no_browser, args.resolution) == (PIE, 8123, True, 41)
    with pytest.raises(ScenarioError, match="cannot read"):
        args.func(parser.parse_args(["explore", "missing.toml", "--no-browser"]))
    with pytest.raises(BargainError, match="--port"):
        args.func(parser.parse_args(["explore", PIE, "--port", "70000"]))


def test_live_flagship_quick_update_agrees_with_solve() -> None:
    """The explorer on today's four-issue flagship: the quick update's Nash deal is solve's
    (the tests above run on the frozen two-issue model their thresholds were set on)."""
    live = "scenarios/korea_us/september_2025_standoff.toml"
    quick = Explorer(live, resolution=21).quick({})["solutions"]["nash"]
    expected = bargain.solve(bargain.load(live), methods=["nash"], resolution=21)
    sol = expected.solutions["nash"]
    assert quick["status"] == sol.status
    # flat issues (c, the payout at no cash) may take any value: compare the utilities too
    same = quick["deal"] == pytest.approx(sol.deal, abs=1e-5)
    assert same or quick["utilities"] == pytest.approx(sol.utilities, abs=1e-5)


def test_server_needs_the_token_and_same_origin(tmp_path: Path) -> None:
    """No token, a wrong token, or a POST without Origin: 403; big bodies 413; saves confined."""
    pytest.importorskip("starlette", reason="the explore extra is not installed (starlette)")
    pytest.importorskip("uvicorn", reason="the explore extra is not installed (uvicorn)")
    from bargain.explore_app import start_server

    src = tmp_path / "pie.toml"
    src.write_bytes(Path(PIE).read_bytes())
    server = start_server(Explorer(src))
    origin = server.url.rstrip("/")

    def call(path: str, data: bytes | None, headers: dict[str, str]) -> tuple[int, Any]:
        req = urllib.request.Request(server.url + path, data=data, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def save(body: dict[str, Any]) -> tuple[int, Any]:
        own = {"X-Bargain-Token": server.token, "Origin": origin}
        status, raw = call("api/save", json.dumps(body).encode(), own)
        return status, json.loads(raw)

    try:
        assert call("", None, {})[0] == 403  # the page without ?token=
        assert call("?token=wrong", None, {})[0] == 403
        assert call("api/controls", None, {})[0] == 403
        assert call("api/controls", None, {"X-Bargain-Token": server.token})[0] == 200
        quick = json.dumps({"values": {"dA": 0.9}}).encode()
        assert call("api/quick", quick, {"X-Bargain-Token": server.token})[0] == 403  # no Origin
        assert call("api/quick", quick, {"Origin": origin})[0] == 403  # no token
        own = {"X-Bargain-Token": server.token, "Origin": origin}
        assert call("api/quick", quick, own)[0] == 200
        assert call("api/quick", b" " * 1_000_001, own)[0] == 413
        for bad in ["../x.toml", str(tmp_path / "y.toml"), "~/x.toml", "/dev/x.toml", ".x.toml"]:
            status, body = save({"path": bad, "values": {"dA": 0.9}})
            assert status == 400 and "plain file name" in body["error"]["message"], bad
        assert not (tmp_path.parent / "x.toml").exists()
        status, body = save({"path": "pie.toml"})
        assert status == 400 and "original" in body["error"]["message"]
        os.link(src, tmp_path / "link.toml")  # a hard link is the original too
        status, body = save({"path": "link.toml", "overwrite": True})
        assert status == 400 and "original" in body["error"]["message"]
        assert save({"path": "new.toml", "values": {"dA": 0.9}})[0] == 200
        status, body = save({"path": "new.toml", "overwrite": "false"})
        assert status == 400 and "true or false" in body["error"]["message"]
        assert save({"path": "new.toml", "overwrite": True})[0] == 200
        assert sorted(p.name for p in tmp_path.iterdir()) == ["link.toml", "new.toml", "pie.toml"]
        assert src.read_bytes() == Path(PIE).read_bytes()
    finally:
        server.stop()
