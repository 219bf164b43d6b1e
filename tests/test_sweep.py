"""Tests of sweeps: specs, Monte Carlo streams, chunked files, resume, engines, tornado."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bargain
from bargain import sweep as sw
from bargain import sweep_files
from bargain.errors import ScenarioError
from bargain.sweep import SweepSpec, Vary, parse_vary, points, run_sweep, tornado
from bargain.sweep_cli import add_sweep_commands

PIE = "scenarios/textbook/unit_pie_weighted.toml"
RUB = "scenarios/textbook/rubinstein_1982_discounting.toml"
FLAGSHIP = "scenarios/korea_us/september_2025_standoff.toml"
POWER = "scenarios/textbook/concave_power.toml"


@pytest.fixture(scope="module")
def pie() -> bargain.Scenario:
    """The unit pie with disagreement payoffs and powers, loaded once."""
    return bargain.load(PIE)


def _mc(samples: int = 1100, seed: int = 7) -> SweepSpec:
    return SweepSpec(samples=samples, seed=seed, solvers=("nash", "asymmetric_nash"))


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("dA=0.1:0.2:3", "did you mean 'dA0'"),
        ("a=0.8:0.2:3", "LO 0.8 is above HI 0.2"),
        ("a=0.2:0.8:0", "N is 0"),
        ("a=0.2:0.8:-2", "N is -2"),
        ("a=-0.5:0.8:3", "leaves the parameter's bounds [0, 1]"),
        ("a=0.2:0.8", "is not NAME=LO:HI:N"),
        ("a=x:0.8:3", "must be numbers"),
    ],
)
def test_bad_specs_fail_before_work(pie, tmp_path, monkeypatch, text, needle):
    """Unknown names, LO > HI, N <= 0 and values outside bounds are ScenarioErrors, no work."""
    monkeypatch.setattr(sw, "_run_chunk", lambda *a: pytest.fail("work started"))
    with pytest.raises(ScenarioError, match=None) as err:
        spec = SweepSpec(vary=(parse_vary(text, PIE),))
        run_sweep(pie, spec, tmp_path / "out.parquet", workers=1, quiet=True)
    assert needle in str(err.value)
    assert not (tmp_path / "out.parquet").exists()


def test_unknown_solver_is_an_error(pie):
    """A solver the batched engine does not have is named with the choices."""
    with pytest.raises(ScenarioError, match="choose from nash"):
        SweepSpec(solvers=("kalai",)).validate(pie)


def test_grid_points_are_the_product(pie):
    """Two grid axes give their Cartesian product, the last axis fastest."""
    spec = SweepSpec(vary=(Vary("a", 0.2, 0.8, 3), Vary("dA0", 0.0, 0.1, 2)))
    vals = points(pie, spec, 0, spec.size)
    assert vals["a"].tolist() == [0.2, 0.2, 0.5, 0.5, 0.8, 0.8]
    assert vals["dA0"].tolist() == [0.0, 0.1] * 3
    assert (vals["dB0"] == 0.1).all()


def test_monte_carlo_draws_follow_ranges_and_distributions():
    """Draws stay in each range; triangular modes show; parameters without a range stay put."""
    flag = bargain.load(FLAGSHIP)
    vals = points(flag, SweepSpec(samples=20000, seed=1), 0, 20000)
    for name, p in flag.parameters.items():
        if p.range is None and p.distribution is None:
            assert (vals[name] == p.value).all()
        elif p.distribution is not None and p.distribution["type"] == "triangular":
            d = p.distribution
            assert vals[name].min() >= d["low"] and vals[name].max() <= d["high"]
            mean = (d["low"] + d["mode"] + d["high"]) / 3  # the triangular mean
            sd = (d["high"] - d["low"]) / np.sqrt(24)
            assert abs(vals[name].mean() - mean) < 5 * sd / np.sqrt(20000)
        else:
            lo, hi = p.range
            assert vals[name].min() >= lo and vals[name].max() <= hi
            assert abs(vals[name].mean() - (lo + hi) / 2) < 5 * (hi - lo) / np.sqrt(12 * 20000)


def test_draws_do_not_depend_on_the_slice(pie):
    """Any slice of the sweep gets the same values as the whole: streams are per block."""
    spec = _mc(3000)
    whole = points(pie, spec, 0, 3000)
    for start, stop in [(0, 1), (1000, 1100), (1023, 1025), (2047, 3000)]:
        part = points(pie, spec, start, stop)
        for name in whole:
            np.testing.assert_array_equal(part[name], whole[name][start:stop])


def test_block_streams_are_spawned_children(pie):
    """Block b draws from SeedSequence(seed).spawn(...)[b]."""
    spec = _mc(3 * sw.BLOCK, seed=11)
    child = np.random.SeedSequence(11).spawn(3)[2]
    rng = np.random.default_rng(child)
    expected = {n: sw._draw(rng, pie.parameters[n], sw.BLOCK) for n in ("dA0", "dB0", "a")}
    got = points(pie, spec, 2 * sw.BLOCK, 3 * sw.BLOCK)
    for name, value in expected.items():
        np.testing.assert_array_equal(got[name], value)


def test_sweep_frame_matches_closed_form(pie):
    """The DataFrame has every parameter and solution column; values are the closed form."""
    df = sw.sweep(pie, samples=200, seed=3, solvers=["nash", "asymmetric_nash"])
    assert len(df) == 200
    surplus = 1 - df["dA0"] - df["dB0"]
    np.testing.assert_allclose(df["nash.x"], df["dA0"] + surplus / 2, atol=1e-12)
    np.testing.assert_allclose(df["asymmetric_nash.x"], df["dA0"] + df["a"] * surplus, atol=1e-12)
    np.testing.assert_allclose(df["nash.u_B"], 1 - df["nash.x"], atol=1e-12)
    assert set(df["nash.status"]) == {"ok"}
    assert list(df.columns[:4]) == ["point", "dA0", "dB0", "a"]


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_same_seed_same_bytes_for_chunks_and_workers(pie, tmp_path, monkeypatch, suffix):
    """Byte-identical files with 1 or 2 workers and different chunk sizes."""
    monkeypatch.setattr(sweep_files, "ROW_GROUP", 400)  # row groups that cut across chunks
    spec = _mc()
    runs = [(1, 300), (2, 170), (1, 5000)]
    data = []
    for k, (workers, chunk) in enumerate(runs):
        out = tmp_path / f"run{k}.{suffix}"
        run_sweep(pie, spec, out, chunk_size=chunk, workers=workers, quiet=True)
        data.append(out.read_bytes())
    assert data[0] == data[1] == data[2]
    assert not (tmp_path / f"run0.{suffix}.parts").exists()


def test_parquet_file_reads_back_as_the_sweep(tmp_path, monkeypatch):
    """The file holds the in-memory sweep: NaN deals as nulls, statuses as strings, fixed groups."""
    pq = pytest.importorskip("pyarrow.parquet")
    monkeypatch.setattr(sweep_files, "ROW_GROUP", 128)
    power = bargain.load(POWER)
    options = {"fallback": False, "check_convexity": False}
    spec = SweepSpec(samples=300, seed=2, solvers=("nash", "rubinstein"), **options)
    out = tmp_path / "p.parquet"
    run_sweep(power, spec, out, chunk_size=70, workers=1, quiet=True)
    expected = sw.sweep(power, samples=300, seed=2, solvers=spec.solvers, **options)
    frame = sw.read_sweep(out)
    pd.testing.assert_frame_equal(frame, expected, check_dtype=False)
    failed = int((frame["rubinstein.status"] != "ok").sum())
    assert failed == int(expected["rubinstein.x"].isna().sum()) > 0
    file = pq.ParquetFile(out)
    assert file.read(["rubinstein.x"]).column(0).null_count == failed  # as pandas writes NaN
    assert [file.metadata.row_group(g).num_rows for g in range(3)] == [128, 128, 44]
    group = file.metadata.row_group(0)
    columns = [group.column(i) for i in range(group.num_columns)]
    encodings = {c.path_in_schema: c.encodings for c in columns}
    assert "BYTE_STREAM_SPLIT" in encodings["nash.x"]  # the encoding chosen by measurement
    assert "RLE_DICTIONARY" in encodings["nash.status"]


def test_metadata_is_recorded(pie, tmp_path):
    """Every output records the version, the scenario's hash, the spec and the seed."""
    spec = _mc(100, seed=5)
    for suffix in ("parquet", "csv"):
        out = tmp_path / f"m.{suffix}"
        run_sweep(pie, spec, out, workers=1, quiet=True)
        meta = sw.read_metadata(out)
        assert meta["bargain_version"] == bargain.__version__
        assert meta["scenario_sha256"] == pie.sha256
        assert meta["seed"] == 5
        assert meta["spec"]["samples"] == 100
        frame = sw.read_sweep(out)
        assert len(frame) == 100


def test_resume_after_a_crash_gives_the_same_file(pie, tmp_path, monkeypatch):
    """A run killed after some chunks, resumed, equals an uninterrupted run byte for byte."""
    spec = _mc(600)
    clean = tmp_path / "clean.parquet"
    run_sweep(pie, spec, clean, chunk_size=100, workers=1, quiet=True)
    out = tmp_path / "crash.parquet"
    real = sw._run_chunk
    calls = []

    def crashing(*task):
        if len(calls) == 3:
            raise KeyboardInterrupt  # as if the machine went down mid-run
        calls.append(task[3])
        return real(*task)

    monkeypatch.setattr(sw, "_run_chunk", crashing)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(pie, spec, out, chunk_size=100, workers=1, quiet=True)
    assert not out.exists()
    assert not out.with_name(out.name + ".tmp").exists()  # the half-joined file is removed
    monkeypatch.setattr(sw, "_run_chunk", real)
    with pytest.raises(ScenarioError, match="--resume"):
        run_sweep(pie, spec, out, chunk_size=100, workers=1, quiet=True)
    info = run_sweep(pie, spec, out, chunk_size=100, workers=1, quiet=True, resume=True)
    assert info["chunks_run"] == 3  # six chunks, three were done
    assert out.read_bytes() == clean.read_bytes()


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_parts_are_joined_in_order_whatever_order_they_arrive(pie, tmp_path, monkeypatch, suffix):
    """The joiner appends a part only when all before it are in: arrival order is irrelevant."""
    monkeypatch.setattr(sweep_files, "ROW_GROUP", 250)
    spec = _mc(700)
    clean = tmp_path / f"clean.{suffix}"
    run_sweep(pie, spec, clean, chunk_size=100, workers=1, quiet=True)
    out = tmp_path / f"shuffled.{suffix}"
    sweep_files._parts_dir(out).mkdir()
    task = (str(pie.path), pie.sha256, json.dumps(spec.to_dict()))
    header = list(sw._columns(pie, spec, 0, 0))
    joiner = sweep_files.Joiner(out, 7, sw.metadata(pie, spec), header)
    for k in (3, 0, 6, 2, 1, 5, 4):
        sw._run_chunk(*task, k, 100, str(out))
        joiner.add(k)
        assert joiner.next == {3: 0, 0: 1, 6: 1, 2: 1, 1: 4, 5: 4, 4: 7}[k]  # parts appended
    joiner.close()
    assert out.read_bytes() == clean.read_bytes()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(allow_infinity=True, allow_nan=True),
            st.sampled_from(["ok", "", "no_agreement", "nicht überzeugt"]),
        ),
        max_size=40,
    )
)
def test_arrow_columns_equal_pyarrow_own_conversion(rows):
    """The part files' Arrow columns, built from numpy's buffers, equal ``pa.array``'s."""
    pa = pytest.importorskip("pyarrow")
    x = np.array([r[0] for r in rows], dtype=float)
    with np.errstate(over="ignore"):
        single = x.astype(np.float32)  # large doubles become +-inf
    texts = [r[1] for r in rows]
    columns = {
        "x": x,
        "point": np.arange(x.size, dtype=np.int64) - 3,
        "small": np.arange(x.size, dtype=np.int32),
        "single": single,
        "flag": np.isnan(x) | (x > 0),
        "status": np.array(texts, dtype=str),
    }
    table = sweep_files._arrow_table(columns)
    table.validate(full=True)
    for name, col in columns.items():
        mask = np.isnan(col) if col.dtype.kind == "f" else None
        if col.dtype.kind == "U":
            expected = pa.array(col.tolist(), type=pa.string())
        else:
            expected = pa.array(col, mask=mask)
        assert table[name].combine_chunks().equals(expected), name


def test_overridden_values_reach_every_worker(pie, tmp_path):
    """A scenario changed with with_parameters is swept with its values, in and out of
    process, recorded in the metadata; a plain run afterwards has the file's values."""
    spec = SweepSpec(vary=(Vary("a", 0.2, 0.8, 4),), solvers=("nash",))
    changed = pie.with_parameters(dA0=0.3)
    files = []
    for workers in (1, 2):
        out = tmp_path / f"changed{workers}.parquet"
        run_sweep(changed, spec, out, chunk_size=2, workers=workers, quiet=True)
        files.append(out.read_bytes())
        frame = sw.read_sweep(out)
        np.testing.assert_allclose(frame["nash.x"], 0.3 + (1 - 0.3 - 0.1) / 2, atol=1e-12)
        assert sw.read_metadata(out)["overrides"] == {"dA0": 0.3}
    assert files[0] == files[1]
    plain = tmp_path / "plain.parquet"
    run_sweep(pie, spec, plain, chunk_size=2, workers=1, quiet=True)
    np.testing.assert_allclose(sw.read_sweep(plain)["nash.x"], 0.2 + 0.7 / 2, atol=1e-12)
    assert "overrides" not in sw.read_metadata(plain)


def test_resume_refuses_a_different_sweep(pie, tmp_path, monkeypatch):
    """Parts left by another spec are not mixed into a new sweep."""
    out = tmp_path / "x.parquet"
    parts = sw._parts_dir(out)
    parts.mkdir()
    (parts / "sweep.json").write_text("{}")
    with pytest.raises(ScenarioError, match="different sweep"):
        run_sweep(pie, _mc(10), out, workers=1, quiet=True, resume=True)


def test_dask_local_cluster_equals_local(pie, tmp_path):
    """A sweep on a Dask local cluster started here gives the local engine's bytes."""
    pytest.importorskip("distributed")
    spec = SweepSpec(vary=(Vary("a", 0.1, 0.9, 5),), samples=300, seed=2, solvers=("nash",))
    local = tmp_path / "local.parquet"
    dask = tmp_path / "dask.parquet"
    run_sweep(pie, spec, local, chunk_size=400, workers=1, quiet=True)
    run_sweep(pie, spec, dask, chunk_size=400, engine="dask", workers=1, quiet=True)
    assert dask.read_bytes() == local.read_bytes()


def test_rubinstein_sweep_closed_form(tmp_path):
    """A grid of discount factors: the first proposer's share (1 - dB) / (1 - dA dB)."""
    scenario = bargain.load(RUB)
    df = sw.sweep(scenario, vary=["dA=0.5:0.95:4", "dB=0.5:0.95:3"], solvers=["rubinstein"])
    expected = (1 - df["dB"]) / (1 - df["dA"] * df["dB"])
    np.testing.assert_allclose(df["rubinstein.x"], expected, atol=1e-12)
    assert not df["rubinstein.fallback"].any()


def test_tornado_swings(pie):
    """Tornado: x = dA0 + a (1 - dA0 - dB0) moves by the closed-form swing of each range."""
    t = tornado(pie, solver="asymmetric_nash")
    swings = dict(zip(t["parameter"], t["swing"], strict=True))
    a, d_a, d_b = 0.7, 0.2, 0.1
    assert swings["a"] == pytest.approx((0.9 - 0.1) * (1 - d_a - d_b), abs=1e-12)
    assert swings["dA0"] == pytest.approx((1 - a) * 0.4, abs=1e-12)
    assert swings["dB0"] == pytest.approx(a * 0.4, abs=1e-12)
    assert t["swing"].is_monotonic_decreasing


def _cli(argv):
    parser = argparse.ArgumentParser()
    add_sweep_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_sweep_and_tornado(tmp_path, capsys):
    """`bargain sweep` writes the file quietly; `bargain tornado` prints the table."""
    out = tmp_path / "s.csv"
    argv = ["sweep", PIE, "--vary", "a=0.1:0.9:5", "--solver", "asymmetric_nash"]
    assert _cli([*argv, "--out", str(out), "--quiet", "--workers", "1"]) == 0
    frame = sw.read_sweep(out)
    expected = 0.2 + frame["a"] * 0.7
    np.testing.assert_allclose(frame["asymmetric_nash.x"], expected, atol=1e-12)
    assert sw.read_metadata(out)["spec"]["check_convexity"] is True
    fast = tmp_path / "fast.csv"
    argv += ["--no-convexity-check", "--out", str(fast), "--quiet", "--workers", "1"]
    assert _cli(argv) == 0
    assert sw.read_metadata(fast)["spec"]["check_convexity"] is False
    np.testing.assert_allclose(sw.read_sweep(fast)["asymmetric_nash.x"], expected, atol=1e-12)
    assert _cli(["tornado", PIE, "--solver", "asymmetric_nash"]) == 0
    text = capsys.readouterr().out
    assert "asymmetric_nash: x at each end of every range" in text
    assert text.index(" a ") < text.index("dB0") < text.index("dA0")
