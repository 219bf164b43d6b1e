"""Tests of the compiled batched solvers (numba) against the numpy ones and closed forms."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import bargain
from bargain import batch_jit
from bargain import sweep as sw
from bargain.batch import BatchModel, batch_solve
from bargain.errors import ScenarioError
from bargain.sweep import SweepSpec, points, run_sweep

pytest.importorskip("numba")

FLAGSHIP = "tests/models/flagship_v1.toml"  # the two-issue flagship before issue 16, frozen


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory, monkeypatch):
    """Kernels go to a fresh cache folder (one per test session), never the user's."""
    monkeypatch.setenv("BARGAIN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "jit-cache"))
    monkeypatch.delenv("BARGAIN_JIT", raising=False)


@pytest.fixture(scope="module")
def flagship():
    return bargain.load(FLAGSHIP)


def test_compiled_path_agrees_with_numpy_on_the_flagship(flagship):
    """3,000 Monte Carlo points: the same statuses and deals within 1e-8 with and without numba."""
    bm = BatchModel(flagship)
    values = points(flagship, SweepSpec(samples=3000, seed=11), 0, 3000)
    kw = {"fallback": False, "check_convexity": False}
    fast = batch_solve(bm, values, ("nash", "rubinstein"), compiled=True, **kw)
    slow = batch_solve(bm, values, ("nash", "rubinstein"), compiled=False, **kw)
    assert bm._kernels is not None  # the compiled path really ran
    for method in ("nash", "rubinstein"):
        a, b = fast[method], slow[method]
        assert (a.status == "ok").sum() > 1500  # a real test: most points solve
        # the certificates are the same numpy checks; a point exactly at their
        # threshold may fall either side with rounding-level differences
        assert (a.status != b.status).mean() <= 2e-3
        both = (a.status == "ok") & (b.status == "ok")
        assert np.abs(a.deal[both] - b.deal[both]).max() < 1e-8
        assert np.abs(a.utilities[both] - b.utilities[both]).max() < 1e-8


def test_compiled_path_meets_the_closed_forms():
    """Split the pie: Nash 1/2 and Rubinstein (1 - dB) / (1 - dA dB), compiled."""
    pie = bargain.load("scenarios/textbook/unit_pie.toml")
    da = np.linspace(0.3, 0.95, 50)
    db = np.linspace(0.9, 0.4, 50)
    out = batch_solve(pie, {"dA": da, "dB": db}, compiled=True)
    assert out["nash"].status.tolist() == ["ok"] * 50
    np.testing.assert_allclose(out["nash"].deal[:, 0], 0.5, atol=1e-10)
    assert out["rubinstein"].status.tolist() == ["ok"] * 50
    np.testing.assert_allclose(out["rubinstein"].deal[:, 0], (1 - db) / (1 - da * db), atol=1e-10)


def test_compiled_weighted_nash_meets_its_closed_form():
    """Asymmetric Nash on the weighted pie: x = dA0 + a (1 - dA0 - dB0), compiled."""
    pie = bargain.load("scenarios/textbook/unit_pie_weighted.toml")
    a = np.linspace(0.1, 0.9, 40)
    res = bargain.batch.batch_nash(pie, {"a": a}, powers="own", compiled=True)
    d = pie.parameter_values()
    expected = d["dA0"] + a * (1 - d["dA0"] - d["dB0"])
    np.testing.assert_allclose(res.deal[:, 0], expected, atol=1e-10)


def test_kernel_of_many_rows_equals_the_one_row_kernel_bit_for_bit(flagship):
    """``values`` computes what depends on the first issue once per run of equal x0:
    row by row it is ``value`` exactly, across runs, a -0.0/0.0 switch and nan."""
    bm = BatchModel(flagship)
    kern = batch_jit.kernels(bm)
    assert kern is not None
    rng = np.random.default_rng(5)
    x0 = np.array([0.0, 0.0, -0.0, -0.0, 0.3, 0.3, np.nan, np.nan, 0.3, 1.0, 1.0, 0.7])
    x = np.ascontiguousarray(np.column_stack([x0, rng.random(x0.size)]))
    n_ctx = len(bm.stage2_symbols[1])
    for _ in range(5):
        c = np.ascontiguousarray(rng.uniform(0.05, 2.0, n_ctx))
        many = np.empty((x.shape[0], 2))
        kern.values(x, c, many)
        one = np.empty(2)
        for r in range(x.shape[0]):
            kern.value(np.ascontiguousarray(x[r]), c, one)
            assert np.array_equal(one, many[r], equal_nan=True)
            assert np.array_equal(np.signbit(one), np.signbit(many[r]))


def test_kernels_are_cached_by_content(flagship, tmp_path, monkeypatch):
    """One module per scenario text in the cache folder; a file that was altered is rewritten."""
    monkeypatch.setenv("BARGAIN_CACHE_DIR", str(tmp_path))
    first = batch_jit.kernels(BatchModel(flagship))
    assert first is not None and first.path.parent == tmp_path
    assert first.path.read_text() == batch_jit.source(BatchModel(flagship))
    first.path.write_text("import os  # not what bargain wrote\n")
    again = batch_jit._load(batch_jit.source(BatchModel(flagship)))
    assert again.path == first.path
    assert again.path.read_text() == batch_jit.source(BatchModel(flagship))
    assert len(list(tmp_path.glob("kernels_*.py"))) == 1


def test_switched_off_by_the_environment(flagship, monkeypatch):
    """BARGAIN_JIT=0: no kernels, the numpy solvers run."""
    monkeypatch.setenv("BARGAIN_JIT", "0")
    assert not batch_jit.available()
    assert batch_jit.kernels(BatchModel(flagship)) is None


def test_automatic_choice_follows_the_batch_size(flagship):
    """Automatic: compiled from MIN_POINTS points, numpy below; True and False force it."""
    bm = BatchModel(flagship)
    assert batch_jit.use_compiled(bm, batch_jit.MIN_POINTS - 1, None) is None
    assert batch_jit.use_compiled(bm, batch_jit.MIN_POINTS, None) is not None
    assert batch_jit.use_compiled(bm, 1, True) is not None
    assert batch_jit.use_compiled(bm, 10**6, False) is None


def test_a_compiled_sweep_does_not_depend_on_its_chunk_size(flagship, tmp_path):
    """A sweep large enough to run compiled gives the same file whatever its chunk size."""
    spec = SweepSpec(samples=batch_jit.MIN_POINTS + 100, seed=3, fallback=False)
    spec = SweepSpec(spec.vary, spec.samples, spec.seed, ("nash",), False, False)
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    run_sweep(flagship, spec, one, chunk_size=2148, workers=1, quiet=True)
    run_sweep(flagship, spec, two, chunk_size=300, workers=1, quiet=True)
    assert one.read_bytes() == two.read_bytes()
    assert sw.read_metadata(one)["compiled"] is True


def test_a_worker_that_cannot_compile_says_so(flagship, tmp_path, monkeypatch):
    """A compiled sweep's chunk on a worker without numba fails with the fix, not silently."""
    monkeypatch.setattr(batch_jit, "kernels", lambda bm: None)
    spec = SweepSpec(samples=10, seed=1)
    out = tmp_path / "x.csv"
    sw._parts_dir(out).mkdir()
    task = (str(Path(FLAGSHIP).resolve()), flagship.sha256, json.dumps(spec.to_dict()), 0, 10)
    with pytest.raises(ScenarioError, match="BARGAIN_JIT=0"):
        sw._run_chunk(*task, str(out), True)
