"""End-to-end tests of ``bargain explore`` in real headless Chromium (Playwright).

They drive the page as a student would, on the Korea-US flagship scenario: move
a slider, type a broken formula, save the edited file and read it back with
``bargain solve``. They skip, saying why, where the ``explore`` extra,
Playwright's Python package or a Chromium binary is missing (``.ci/run``
installs Debian's ``chromium``; ``playwright install`` is never needed).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import bargain

pytest.importorskip("starlette", reason="the explore extra is not installed (starlette)")
pytest.importorskip("uvicorn", reason="the explore extra is not installed (uvicorn)")
pytest.importorskip("tomli_w", reason="the explore extra is not installed (tomli-w)")
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright's Python package is not installed"
)

from bargain.explore import Explorer  # noqa: E402
from bargain.explore_app import start_server  # noqa: E402

CHROMIUM = os.environ.get("BARGAIN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).is_file():
    pytest.skip(
        f"no Chromium binary at {CHROMIUM} (apt-get install chromium, or set BARGAIN_CHROMIUM)",
        allow_module_level=True,
    )

FLAGSHIP = "tests/models/flagship_v1.toml"  # the two-issue flagship before issue 16, frozen
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 30_000  # per wait: the full update of the flagship takes seconds on a busy machine
FX_RISK = "parties.korea.utility.fx_risk"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The explorer on a copy of the flagship (saves go beside it), stopped at the end."""
    copy = tmp_path_factory.mktemp("explore") / Path(FLAGSHIP).name
    copy.write_bytes(Path(FLAGSHIP).read_bytes())
    running = start_server(Explorer(copy))
    running.explorer_folder = copy.parent
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium driven by Playwright."""
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM, args=ARGS, headless=True, timeout=TIMEOUT_MS
        )
        yield chromium
        chromium.close()


@pytest.fixture()
def page(server: Any, browser: Any) -> Iterator[Any]:
    """A fresh page on the explorer, after its first quick update."""
    context = browser.new_context(accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    pg.goto(server.page_url)  # the URL with the session's token
    pg.wait_for_selector("#results[data-quick-seq]", state="attached")
    yield pg
    context.close()


def _value(page: Any, method: str, column: str) -> float:
    return float(page.get_attribute(f'[id="r-{method}-{column}"]', "data-value"))


def _wait_quick_after(page: Any, seq: str | None) -> None:
    page.wait_for_function(
        "(old) => document.getElementById('results').dataset.quickSeq !== old", arg=seq
    )


def test_raising_crisis_loss_lowers_the_equity_share(page: Any) -> None:
    """Moving crisis_loss_share to the top of its range lowers e and the equity dollars."""
    before = {m: _value(page, m, "deal.e") for m in ("nash", "rubinstein")}
    dollars = _value(page, "nash", "outputs.equity_usd_bn")
    seq = page.get_attribute("#results", "data-quick-seq")
    page.focus('[id="p-crisis_loss_share"]')
    page.keyboard.press("End")  # the slider's maximum, as a keyboard user moves it
    _wait_quick_after(page, seq)
    assert page.input_value('[id="p-crisis_loss_share"]') == "0.3"
    for method, old in before.items():
        assert _value(page, method, "deal.e") < old
    assert _value(page, "nash", "outputs.equity_usd_bn") < dollars


def test_broken_formula_shows_inline_error_and_page_still_works(page: Any) -> None:
    """A misspelt name is reported under its field; the sliders still update the results."""
    field = f'[id="f-{FX_RISK}"]'
    page.fill(field, "-crisis_loss * p_crisiss")
    page.press(field, "Enter")
    error = page.wait_for_selector(f'[id="e-{FX_RISK}"]:not(:empty)')
    assert "unknown name 'p_crisiss'" in error.inner_text()
    assert "bad" in (page.get_attribute(field, "class") or "")
    assert page.inner_text("#general-error") == ""
    before = _value(page, "nash", "deal.e")
    seq = page.get_attribute("#results", "data-quick-seq")
    page.focus('[id="p-crisis_loss_share"]')
    page.keyboard.press("Home")  # a lower crisis loss: more equity
    _wait_quick_after(page, seq)
    assert _value(page, "nash", "deal.e") > before
    page.fill(field, "-crisis_loss * p_crisis")
    page.press(field, "Enter")
    page.wait_for_selector(f'[id="e-{FX_RISK}"]:empty', state="attached")
    assert "bad" not in (page.get_attribute(field, "class") or "")


def test_saved_file_solves_to_the_answer_on_the_page(page: Any, server: Any) -> None:
    """Save after moving two sliders; `bargain solve` on the new file gives the page's deals."""
    for name, key in (("swap_line", "End"), ("A", "Home")):
        page.focus(f'[id="p-{name}"]')
        page.keyboard.press(key)
    seq = page.get_attribute("#results", "data-quick-seq")
    page.wait_for_function(
        "(old) => { const d = document.getElementById('results').dataset;"
        " return d.fullSeq === d.quickSeq && d.quickSeq !== old; }",
        arg=seq,
    )
    target = server.explorer_folder / "edited.toml"  # saves go beside the scenario
    page.fill("#save-path", target.name)
    page.click("#save")
    page.wait_for_selector("#save-status[data-saved]:not([data-saved=''])", state="attached")
    assert target.is_file()
    out = subprocess.run(
        [sys.executable, "-m", "bargain", "solve", str(target), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    solutions = json.loads(out.stdout)["solutions"]
    saved = bargain.load(target).parameter_values()
    assert (saved["swap_line"], saved["A"]) == (100.0, 100.0)  # the ends of the two ranges
    assert (
        saved == bargain.load(FLAGSHIP).with_parameters(swap_line=100.0, A=100.0).parameter_values()
    )
    for method, sol in solutions.items():
        assert sol["status"] == "ok"
        for issue, x in sol["deal"].items():
            # the page solves at frontier resolution 41, `bargain solve` at 81: equal to ~1e-5
            assert _value(page, f"{method}", f"deal.{issue}") == pytest.approx(x, abs=1e-5)
