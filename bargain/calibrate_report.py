"""The summary of a calibration (:class:`bargain.calibrate.Calibration`) and its text table.

Prior against posterior for every drawn parameter, what each observation alone
keeps of the prior, and the posterior predictive of every concept's deal, gains
and outputs: weighted medians and central intervals
(:func:`bargain.calibrate.weighted_quantile`), the share of draws without
agreement and the share whose solution is not certified.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .calibrate import INTERVALS, NOT_SOLVED, _normalised, ess, output_column, weighted_quantile

if TYPE_CHECKING:
    from .calibrate import Calibration

__all__ = ["render", "summary"]

_SETTLED = ("ok", "no_agreement", NOT_SOLVED)


def _num(x: Any) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _describe(values: np.ndarray, weights: np.ndarray) -> dict[str, Any]:
    """Weighted median and central 50/80/90% intervals."""
    qs = [0.5]
    for level in INTERVALS:
        qs += [(1 - level / 100) / 2, (1 + level / 100) / 2]
    got = weighted_quantile(values, weights, qs)
    out: dict[str, Any] = {"median": _num(got[0])}
    for j, level in enumerate(INTERVALS):
        out[f"{level}%"] = [_num(got[1 + 2 * j]), _num(got[2 + 2 * j])]
    return out


def _prior_posterior(values: np.ndarray, w: np.ndarray) -> dict[str, Any]:
    ones = np.ones_like(values)
    prior = weighted_quantile(values, ones, [0.5, 0.05, 0.95])
    post = weighted_quantile(values, w, [0.5, 0.05, 0.95])
    return {
        "prior": {"median": _num(prior[0]), "5%": _num(prior[1]), "95%": _num(prior[2])},
        "posterior": {"median": _num(post[0]), "5%": _num(post[1]), "95%": _num(post[2])},
    }


def summary(cal: Calibration) -> dict[str, Any]:
    """Everything the report prints, JSON-ready (nan as None); see the module docstring."""
    t = cal.table
    w = cal.weights
    n = len(t)
    out: dict[str, Any] = {
        "draws": n,
        "accepted": int((w > 0).sum()),
        "acceptance_rate": _num((w > 0).mean()) if n else None,
        "ess": ess(w),
        "seed": cal.spec.seed,
        "solvers": list(cal.spec.solvers),
        "check_convexity": cal.spec.check_convexity,
        "bargain_version": cal.meta.get("bargain_version"),
        "scenarios": [{"path": s.path, "sha256": s.sha256} for s in cal.scenarios],
        "parameters": [],
        "observations": [],
        "predictive": [],
    }
    done: set[str] = set()
    for k, s in enumerate(cal.scenarios):
        pre = cal._prefix(k)
        for name, p in s.parameters.items():
            if not (p.range or p.distribution) or (p.shared and name in done):
                continue
            done.add(name) if p.shared else None
            entry = {"file": s.path, "name": name, "unit": p.unit, "shared": p.shared}
            entry.update(_prior_posterior(t[pre + name].to_numpy(), w))
            out["parameters"].append(entry)
        for obs in s.observations:
            ll = t[f"{pre}loglik.{obs.name}"].to_numpy()
            alone = _normalised(ll)
            entry = {
                "file": s.path,
                "name": obs.name,
                "kind": obs.kind,
                "party": obs.party,
                "strength": obs.strength,
                "source": obs.source,
                "date": obs.date,
                "weighted": cal.spec.weighted[k],
            }
            if obs.hard:
                entry["prior_kept"] = _num((ll == 0).mean()) if n else None
            else:
                entry["ess_fraction"] = ess(alone) / n if n else None
            out["observations"].append(entry)
        out["predictive"] += _predictive(cal, k, w)
    return out


def _predictive(cal: Calibration, k: int, w: np.ndarray) -> list[dict[str, Any]]:
    s, t, pre = cal.scenarios[k], cal.table, cal._prefix(k)
    quantities = [*s.issue_names, *(f"gain_{p}" for p in s.party_names)]
    out = []
    pooled: dict[str, tuple[list, list]] = {q: ([], []) for q in [*quantities, *s.outputs]}
    total = w.sum()
    for concept in cal.spec.solvers:
        status = t[f"{pre}{concept}.status"].to_numpy().astype(str)
        entry: dict[str, Any] = {"file": s.path, "concept": concept}
        share = (lambda mask: _num(w[mask].sum() / total)) if total > 0 else (lambda m: None)
        entry["no_agreement"] = share(status == "no_agreement")
        entry["not_certified"] = share(~np.isin(status, _SETTLED))
        entry["statuses"] = {
            str(v): int(c)
            for v, c in zip(*np.unique(status[w > 0], return_counts=True), strict=True)
        }
        entry["fallback"] = int(t[f"{pre}{concept}.fallback"].to_numpy()[w > 0].sum())
        values = {}
        for q in quantities:
            values[q] = t[f"{pre}{concept}.{q}"].to_numpy()
        for name in s.outputs:
            values[name] = t[pre + output_column(s, concept, name)].to_numpy()
        entry["quantities"] = {}
        for q, v in values.items():
            ok = (status == "ok") & np.isfinite(v)
            entry["quantities"][q] = _describe(np.where(ok, v, np.nan), w)
            pooled[q][0].append(np.where(ok, v, np.nan))
            pooled[q][1].append(w)
        out.append(entry)
    if len(cal.spec.solvers) > 1:
        entry = {"file": s.path, "concept": "pooled", "quantities": {}}
        statuses = [t[f"{pre}{c}.status"].to_numpy().astype(str) for c in cal.spec.solvers]
        both = np.concatenate(statuses)
        ww = np.tile(w, len(statuses))
        entry["no_agreement"] = _num(ww[both == "no_agreement"].sum() / ww.sum()) if total else None
        entry["not_certified"] = (
            _num(ww[~np.isin(both, _SETTLED)].sum() / ww.sum()) if total else None
        )
        for q, (vs, ws) in pooled.items():
            entry["quantities"][q] = _describe(np.concatenate(vs), np.concatenate(ws))
        out.append(entry)
    return out


def _fmt(x: Any) -> str:
    return "-" if x is None else f"{x:.4g}"


def render(data: dict[str, Any]) -> str:
    """The text report of :func:`summary`'s dictionary."""
    lines = [
        f"calibration: {data['draws']} prior draws (seed {data['seed']}), "
        f"{data['accepted']} with positive weight "
        f"(acceptance {_fmt(data['acceptance_rate'])}), ESS {data['ess']:.1f}",
        "",
        "parameter                      prior median [5%, 95%]          posterior median [5%, 95%]",
    ]
    for p in data["parameters"]:
        a, b = p["prior"], p["posterior"]
        lines.append(
            f"  {p['name']:<28} {_fmt(a['median']):>9} [{_fmt(a['5%'])}, {_fmt(a['95%'])}]"
            f"{'':<8}{_fmt(b['median']):>9} [{_fmt(b['5%'])}, {_fmt(b['95%'])}]"
            + (" (shared)" if p["shared"] else "")
        )
    lines += ["", "observation                    kind     strength  alone keeps"]
    for o in data["observations"]:
        kept = (
            f"{_fmt(o['prior_kept'])} of the prior"
            if o["strength"] == "hard"
            else f"ESS fraction {_fmt(o['ess_fraction'])}"
        )
        held = "" if o["weighted"] else " (held out)"
        lines.append(f"  {o['name']:<28} {o['kind']:<8} {o['strength']:<9} {kept}{held}")
    for e in data["predictive"]:
        lines += [
            "",
            f"posterior predictive: {e['concept']} ({e['file']}); no agreement "
            f"{_fmt(e['no_agreement'])}, not certified {_fmt(e['not_certified'])}",
            "  quantity                     median     50%                 80%                 90%",
        ]
        for q, d in e["quantities"].items():
            cells = "  ".join(
                f"[{_fmt(d[f'{lv}%'][0])}, {_fmt(d[f'{lv}%'][1])}]".ljust(18) for lv in INTERVALS
            )
            lines.append(f"  {q:<28} {_fmt(d['median']):>9}  {cells}")
    for h in data.get("holdout", []):
        pct = h.get("percentile")
        lines += [
            "",
            f"hold-out {h['observation']} ({h['file']}), calibrated on the other files: "
            f"P(both accept) {_fmt(h['p_both_accept'])}"
            + (
                f"; {h['issue']} = {h['signed_value']:g} at percentile {_fmt(pct)} "
                "of the Nash predictive"
                if "issue" in h
                else ""
            ),
        ]
    return "\n".join(line.rstrip() for line in lines)
