"""Tests of calibration by revealed preference (bargain.calibrate, bargain.observations)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import bargain
from bargain import ScenarioError
from bargain.calibrate import calibrate, file_seed, weighted_quantile
from bargain.sweep import SweepSpec, points

cm = importlib.import_module("bargain.calibrate")  # the module (bargain.calibrate is the function)
HERE = Path(__file__).parent / "calibrate"
PIE = str(HERE / "pie_observed.toml")
PIE_B = str(HERE / "pie_observed_b.toml")


def _difference_cdf(t: np.ndarray, a: float, b: float) -> np.ndarray:
    """P(U1 - U2 <= t) for U1 ~ U(0, a), U2 ~ U(0, b) independent (exact, piecewise)."""

    t = np.asarray(t, dtype=float)
    # P = (1/a) * int_0^a clip(1 - max(u - t, 0) / b, 0, 1) du; substitute s = u - t
    lo, hi = -t, a - t  # s runs over [lo, hi]
    below = np.clip(np.minimum(hi, 0.0) - lo, 0.0, None)  # s < 0: probability 1
    s0, s1 = np.clip(lo, 0.0, b), np.clip(hi, 0.0, b)
    middle = (s1 - s1**2 / (2 * b)) - (s0 - s0**2 / (2 * b))
    return (below + middle) / a


def test_difference_cdf_is_the_triangle():
    """The helper's closed form: U(0, 0.4) - U(0, 0.4) is triangular on [-0.4, 0.4]."""
    t = np.array([-0.4, -0.3, 0.0, 0.3, 0.4])
    expected = [0.0, 0.1**2 / (2 * 0.16), 0.5, 1 - 0.1**2 / (2 * 0.16), 1.0]
    assert np.allclose(_difference_cdf(t, 0.4, 0.4), expected)


# ---------------------------------------------------------------- weighted quantiles
def test_weighted_quantile_equals_numpy_on_repeated_values():
    """Integer weights are repeats: the same as numpy's inverted CDF of the repeated sample."""
    rng = np.random.default_rng(3)
    values = rng.normal(size=50)
    counts = rng.integers(0, 5, size=50)
    q = np.linspace(0.01, 0.99, 37)
    expected = np.quantile(np.repeat(values, counts), q, method="inverted_cdf")
    assert np.allclose(weighted_quantile(values, counts.astype(float), q), expected)


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=30), st.floats(0.0, 1.0))
def test_weighted_quantile_with_equal_weights_is_numpys(values, q):
    """Equal weights give numpy's inverted-CDF quantile, and scaling the weights changes nothing."""
    v = np.array(values)
    got = weighted_quantile(v, np.full(v.size, 2.5), q)
    assert got == np.quantile(v, q, method="inverted_cdf")


def test_weighted_quantile_skips_nan_and_zero_weight():
    """Values that are not numbers and draws of zero weight do not count."""
    got = weighted_quantile([np.nan, 5.0, 1.0, 2.0], [9.0, 0.0, 1.0, 1.0], [0.5, 1.0])
    assert got.tolist() == [1.0, 2.0]


# ------------------------------------------------------------------- closed form
@pytest.fixture(scope="module")
def pie_cal():
    return calibrate(PIE, samples=20_000, seed=11)


def test_accepting_x_bounds_the_disagreement_point(pie_cal):
    """A accepted x = 0.3, so the posterior of dA0 ~ U(0, 0.4) is U(0, 0.3); dB0 keeps its prior."""
    t, w = pie_cal.table, pie_cal.weights
    kept = w > 0
    assert t["dA0"][kept].max() <= 0.3 and t["dA0"][kept].max() > 0.299
    assert (t["dA0"][~kept] > 0.3).all()
    assert abs(kept.mean() - 0.75) < 0.015  # 3 sigma of a binomial share at 20,000 draws
    q = np.linspace(0.05, 0.95, 19)
    assert np.allclose(weighted_quantile(t["dA0"], w, q), 0.3 * q, atol=0.01)
    assert np.allclose(weighted_quantile(t["dB0"], w, q), 0.4 * q, atol=0.012)


def test_nash_predictive_matches_the_closed_form(pie_cal):
    """Nash x = (1 + dA0 - dB0) / 2 per draw; its posterior distribution is the closed form's."""
    t, w = pie_cal.table, pie_cal.weights
    kept = w > 0
    x = t["nash.x"][kept].to_numpy()
    assert np.allclose(x, (1 + t["dA0"][kept] - t["dB0"][kept]) / 2, atol=1e-7)
    assert (t["nash.status"][kept] == "ok").all()
    assert (t["nash.status"][~kept] == "not_solved").all()
    assert np.allclose(t["nash.gain_A"][kept], x - t["dA0"][kept], atol=1e-7)
    assert np.allclose(t["nash.share_B"][kept], 1 - x, atol=1e-12)
    grid = np.linspace(0.32, 0.64, 9)
    empirical = [w[kept][x <= g].sum() / w.sum() for g in grid]
    closed = _difference_cdf(2 * grid - 1, 0.3, 0.4)
    assert np.allclose(empirical, closed, atol=0.015)


def test_summary_reports_acceptance_ess_and_predictive(pie_cal):
    """The summary: acceptance = ESS / draws for hard observations, the observation's kept share,
    and the Nash median near the closed form's 0.475."""
    s = pie_cal.summary()
    assert s["draws"] == 20_000
    assert s["ess"] == pytest.approx(s["accepted"])
    (obs,) = s["observations"]
    assert obs["prior_kept"] == pytest.approx(s["acceptance_rate"])
    (nash,) = s["predictive"]
    assert nash["no_agreement"] == 0 and nash["not_certified"] == 0
    assert nash["quantities"]["x"]["median"] == pytest.approx(0.475, abs=0.005)
    lo, hi = nash["quantities"]["x"]["90%"]
    assert lo < nash["quantities"]["x"]["50%"][0] < nash["quantities"]["x"]["50%"][1] < hi
    text = pie_cal.report()
    assert "a_accepts_30" in text and "posterior predictive: nash" in text
    json.loads(pie_cal.to_json())


def test_records_version_hashes_and_seeds(pie_cal):
    """The result records the package version, the scenario's SHA-256, the seed and draws."""
    meta = pie_cal.meta
    assert meta["bargain_version"] == bargain.__version__
    assert meta["scenarios"][0]["sha256"] == bargain.load(PIE).sha256
    assert (meta["seed"], meta["samples"]) == (11, 20_000)
    assert meta["scenarios"][0]["drawn"] == ["dA0", "dB0"]


def test_prior_draws_are_the_sweeps():
    """A single file's prior draws are those of `bargain sweep --samples N --seed S`."""
    cal = calibrate(PIE, samples=3000, seed=5, solvers=())
    drawn = points(bargain.load(PIE), SweepSpec(samples=3000, seed=5), 0, 3000)
    assert np.array_equal(cal.table["dA0"].to_numpy(), drawn["dA0"])


# --------------------------------------------------------- every hard observation
MIXED = """
schema_version = 1
title = "two issues, every kind of observation"
[issues.x]
min = 0.0
max = 1.0
[issues.y]
min = 0.0
max = 1.0
[parameters.dA0]
value = 0.2
unit = "utility"
source = "illustration"
range = [0.0, 0.6]
distribution = { type = "uniform", low = 0.0, high = 0.6 }
[parameters.dB0]
value = 0.2
unit = "utility"
source = "illustration"
range = [0.0, 0.6]
distribution = { type = "uniform", low = 0.0, high = 0.6 }
[parameters.k]
value = 1.0
unit = "weight"
source = "illustration"
range = [0.2, 2.0]
distribution = { type = "uniform", low = 0.2, high = 2.0 }
bounds = [0.0, 5.0]
[parties.A]
utility = "x + 0.3 * k * y"
disagreement = "dA0"
[parties.B]
utility = "1 - x + 0.2 * (1 - y) - 0.1 * k"
disagreement = "dB0"
[[observations]]
name = "a_offer"
kind = "offer"
party = "A"
deal = { x = 0.3 }
free = ["y"]
source = "s"
date = "2025-01-01"
[[observations]]
name = "b_rejects"
kind = "rejects"
party = "B"
deal = { x = 0.8, y = 0.5 }
parameters = { k = 0.5 }
source = "s"
date = "2025-01-02"
[[observations]]
name = "signed"
kind = "signed"
deal = { x = 0.5, y = 0.4 }
source = "s"
date = "2025-01-03"
[[observations]]
name = "zone"
kind = "zone"
source = "s"
date = "2025-01-04"
"""


def _gains(dA0, dB0, k, x, y):
    """The MIXED scenario's gains, written out here (independent of the package)."""
    return x + 0.3 * k * y - dA0, 1 - x + 0.2 * (1 - y) - 0.1 * k - dB0


def test_every_kept_draw_satisfies_every_hard_observation():
    """Kept draws satisfy all four observations and dropped ones fail one, checked with
    the gains written out; a zone missed is only ever a thin one (best smaller gain < 0.015)."""
    cal = calibrate(bargain.loads(MIXED), samples=4000, seed=2, solvers=())
    t = cal.table
    dA0, dB0, k = (t[n].to_numpy()[:, None, None] for n in ("dA0", "dB0", "k"))
    ys = np.linspace(0.0, 1.0, 129)[None, :, None]
    xs = np.linspace(0.0, 1.0, 1001)[None, None, :]
    offer = (_gains(dA0, dB0, k, 0.3, ys)[0] >= 0).any(axis=(1, 2))
    rejects = _gains(dA0, dB0, 0.5, 0.8, 0.5)[1][:, 0, 0] < 0
    signed = (np.minimum(*_gains(dA0, dB0, k, 0.5, 0.4)) >= 0)[:, 0, 0]
    best = np.minimum(*_gains(dA0, dB0, k, xs, ys[:, ::8])).max(axis=(1, 2))
    holds = {"a_offer": offer, "b_rejects": rejects, "signed": signed}
    for name, h in holds.items():
        assert np.array_equal(t[f"loglik.{name}"].to_numpy() == 0, h), name
    zone = t["loglik.zone"].to_numpy() == 0
    assert not (zone & (best < 0)).any()  # never a zone where there is none
    missed = ~zone & (best > 0)
    # gains here are of order one (the frontier's scale is about 1.3)
    assert (best[missed] < 0.015).all() and missed.sum() <= 0.01 * len(t)
    kept = t["weight"].to_numpy() > 0
    assert np.array_equal(kept, offer & rejects & signed & zone)
    assert 0 < kept.sum() < len(t)


# ------------------------------------------------------------------ determinism
def test_same_seed_same_bytes_across_workers_and_resume(tmp_path, monkeypatch):
    """One worker, two workers, and a run killed after two chunks then resumed: the same bytes."""
    one, two, resumed = (tmp_path / f"{n}.parquet" for n in ("one", "two", "resumed"))
    calibrate([PIE, PIE_B], samples=3000, seed=4, out=one, chunk_size=500, workers=1)
    calibrate([PIE, PIE_B], samples=3000, seed=4, out=two, chunk_size=500, workers=2)
    assert one.read_bytes() == two.read_bytes()
    real, calls = cm._run_chunk, []

    def crashing(*args):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(args[1])
        return real(*args)

    monkeypatch.setattr(cm, "_run_chunk", crashing)
    with pytest.raises(KeyboardInterrupt):
        calibrate([PIE, PIE_B], samples=3000, seed=4, out=resumed, chunk_size=500)
    monkeypatch.setattr(cm, "_run_chunk", real)
    assert not resumed.exists()
    with pytest.raises(ScenarioError, match="--resume"):
        calibrate([PIE, PIE_B], samples=3000, seed=4, out=resumed, chunk_size=500)
    calibrate([PIE, PIE_B], samples=3000, seed=4, out=resumed, chunk_size=500, resume=True)
    assert resumed.read_bytes() == one.read_bytes()


# ------------------------------------------------------------------ soft
SOFT = """
[[observations]]
name = "b_rejects_70"
kind = "rejects"
party = "B"
deal = { x = 0.7 }
strength = "soft"
scale = 0.05
source = "illustration"
date = "2025-08-05"
"""


def test_soft_weights_are_logistic(tmp_path):
    """Weight = 1[dA0 <= 0.3] * sigma(-(0.3 - dB0) / 0.05), computed here from the draws."""
    path = tmp_path / "soft.toml"
    path.write_text(Path(PIE).read_text() + SOFT)
    cal = calibrate(path, samples=2000, seed=3, solvers=())
    t = cal.table
    gain_b = (1 - 0.7) - t["dB0"].to_numpy()
    expected = (t["dA0"].to_numpy() <= 0.3) / (1 + np.exp(gain_b / 0.05))
    assert np.allclose(t["weight"], expected, rtol=1e-12, atol=0)
    obs = cal.summary()["observations"][1]
    w = 1 / (1 + np.exp(gain_b / 0.05))
    assert obs["ess_fraction"] == pytest.approx(w.sum() ** 2 / (w**2).sum() / len(w))


# ------------------------------------------------------------------ joint
def test_shared_parameter_has_one_draw_and_weights_multiply():
    """dB0 (shared) is the same in both files, dA0 is drawn per file from its own stream,
    and the weight is the product of both files' observations."""
    cal = calibrate([PIE, PIE_B], samples=2000, seed=9, solvers=())
    t = cal.table
    assert np.array_equal(t["pie_observed:dB0"], t["pie_observed_b:dB0"])
    assert not np.allclose(t["pie_observed:dA0"], t["pie_observed_b:dA0"])
    spec_b = SweepSpec(samples=2000, seed=file_seed(9, 1))
    assert np.array_equal(
        t["pie_observed_b:dA0"], points(bargain.load(PIE_B), spec_b, 0, 2000)["dA0"]
    )
    expected = (
        (t["pie_observed:dA0"] <= 0.3)
        & (t["pie_observed:dB0"] <= 0.25)
        & (t["pie_observed_b:dA0"] <= 0.35)
    )
    assert np.array_equal(t["weight"].to_numpy() > 0, expected.to_numpy())


def test_different_priors_for_a_shared_name_are_rejected(tmp_path):
    """A shared parameter whose prior differs between two files: one line naming both."""
    other = tmp_path / "other.toml"
    other.write_text(
        Path(PIE_B)
        .read_text()
        .replace(
            "low = 0.0, high = 0.4 }\nbounds = [0.0, 1.0]\nshared",
            "low = 0.0, high = 0.5 }\nbounds = [0.0, 1.0]\nshared",
        )
    )
    with pytest.raises(ScenarioError) as err:
        calibrate([PIE, other], samples=10)
    message = str(err.value)
    assert "'dB0' has different priors" in message and PIE in message and str(other) in message
    assert "\n" not in message


def test_hold_out_matches_the_closed_form():
    """Held out, pie_observed_b's signed x = 0.35: P(both accept) = 0.875 and the deal sits at
    the 3.125th percentile of the Nash predictive (pie_observed says nothing about dA0 of b)."""
    cal = calibrate([PIE, PIE_B], samples=20_000, seed=1, hold_out=True)
    (h,) = cal.holdout
    assert h["observation"] == "signed_35" and h["calibrated_on"] == [PIE]
    assert h["p_both_accept"] == pytest.approx(0.875, abs=0.01)
    assert h["percentile"] == pytest.approx(3.125, abs=0.5)
    assert "hold-out signed_35" in cal.report()


# ------------------------------------------------------------------ CLI
def _run(*args):
    return subprocess.run(
        [sys.executable, "-m", "bargain", "calibrate", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_prints_the_table():
    """`bargain calibrate FILE` exits 0 with the report; --json is valid JSON."""
    proc = _run(PIE, "--samples", "400", "--seed", "1", "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    assert "prior draws (seed 1)" in proc.stdout and "posterior predictive: nash" in proc.stdout
    proc = _run(PIE, "--samples", "400", "--workers", "1", "--json")
    assert json.loads(proc.stdout)["draws"] == 400


def test_cli_bad_observation_is_one_line():
    """A bad observation file: exit 2, one line naming the key, no traceback."""
    bad = Path(__file__).parent / "broken" / "observation_unknown_issue.toml"
    proc = _run(str(bad), "--samples", "10")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "observations[0].deal" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_plot_posterior(tmp_path):
    """`bargain plot FILE --kind posterior` draws prior and posterior of each drawn parameter."""
    from bargain.cli import main

    out = tmp_path / "posterior.png"
    assert main(["plot", PIE, "--kind", "posterior", "-o", str(out), "--samples", "20"]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_range_without_a_distribution_is_not_a_prior():
    """Only declared distributions are drawn: a parameter with a range alone keeps its value
    (the flagship's swap line of 0 has a range to explore, but no line was granted)."""
    cal = calibrate(FLAGSHIP_FOR_PRIOR, samples=300, seed=3, solvers=())
    flagship = bargain.load(FLAGSHIP_FOR_PRIOR)
    for name in ("swap_line", "reserves", "ca_surplus"):
        p = flagship.parameters[name]
        assert p.range is not None and p.distribution is None
        assert (cal.table[name].to_numpy() == p.value).all(), name
    drawn = cal.table["crisis_loss_share"].to_numpy()
    assert drawn.std() > 0  # a declared distribution is drawn


FLAGSHIP_FOR_PRIOR = str(HERE.parent.parent / "scenarios/korea_us/september_2025_standoff.toml")
