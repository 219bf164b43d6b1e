"""The explorer's page: one HTML document with its CSS and JavaScript, nothing external.

:data:`PAGE` is what :func:`bargain.explore_app.make_app` serves at ``/``. Its
script (``fetch`` and the DOM, no library) builds the sliders and formula
fields from ``/api/controls``, sends each edit to ``/api/quick`` at once and to
``/api/full`` a moment later, drops answers that a newer edit has overtaken,
and shows each error under the field it concerns. Numbers are shown to four
significant digits (the ``__DIGITS__`` of ``_PAGE_TEMPLATE``).

See Also
--------
bargain.explore : :class:`~bargain.explore.Explorer`, which computes what the page shows.
bargain.explore_app : the app that serves the page and answers its requests.

Examples
--------
>>> from bargain.explore_page import PAGE
>>> PAGE.startswith("<!doctype html>")
True
>>> "__DIGITS__" in PAGE  # the template's placeholder is filled in
False
"""

from __future__ import annotations

__all__ = ["PAGE"]


# The page: plain HTML, CSS and a little JavaScript (fetch + DOM), nothing external.
_PAGE_TEMPLATE = r"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>bargain explore</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{padding:.6em 1em;background:#1f3b57;color:#fff}
header h1{font-size:1.1em;margin:0} header .path{opacity:.8;font-size:.85em}
main{display:grid;grid-template-columns:minmax(300px,28%) 1fr;gap:1em;padding:0 1em;
     height:calc(100vh - 3.6em)}
main>div{overflow-y:auto;padding-top:1em}
section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.6em .8em;margin-bottom:1em}
h2{font-size:1em;margin:.2em 0 .5em}
.param{margin-bottom:.7em} .param label{display:flex;justify-content:space-between;font-weight:600}
.param input[type=range]{width:100%} .unit{font-weight:400;color:#555}
.src{font-size:.78em;color:#666;display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}
.formula{margin-bottom:.6em} .formula label{font-weight:600;font-size:.9em}
.formula input{width:100%;font-family:ui-monospace,monospace;font-size:.85em;box-sizing:border-box}
.formula input.bad{border:2px solid #c0392b;background:#fdecea}
.error{color:#c0392b;font-size:.85em;white-space:pre-wrap}
table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{border-bottom:1px solid #eee;padding:.2em .4em;text-align:right}
th:first-child,td:first-child,#decomposition :is(td,th):nth-child(2){text-align:left}
tr.pending td{color:#999} .status{font-size:.85em;color:#555}
#figure img{width:100%;height:auto} button{margin-right:.5em}
#save-path{width:60%}
</style></head>
<body>
<header><h1 id="title">bargain explore</h1><div class="path" id="path"></div></header>
<main>
<div>
<section><h2>Parameters</h2><div id="params"></div>
<button id="reset">Reset to the file</button></section>
<section><h2>Utility components</h2><div id="formulas"></div></section>
</div>
<div>
<section><h2>Predicted deal under each solution concept</h2>
<div id="general-error" class="error" role="alert"></div>
<table id="results"></table>
<div class="status" id="timing"></div></section>
<section><h2>Frontier and solutions</h2><div id="figure"><em>computing...</em></div>
<button id="download">Download figures (zip)</button>
<span class="status" id="download-status"></span></section>
<section><h2>Why the Nash deal sits where it does</h2><table id="decomposition"></table></section>
<section><h2>Save the edited scenario</h2>
<input id="save-path" aria-label="save to">
<label><input type="checkbox" id="overwrite"> overwrite</label>
<button id="save">Save as TOML</button><div class="status" id="save-status"></div></section>
</div>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const DIGITS = __DIGITS__;
let C = null, values = {}, applied = {}, seq = 0, quickTimer = null, fullTimer = null;
const fmt = (v) => (v === null || v === undefined) ? "" :
  (Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0)) ? v.toExponential(DIGITS - 1) :
  Number(v.toPrecision(DIGITS)).toString();
const TOKEN = "__BARGAIN_TOKEN__";  // this session's, from the URL the server printed
async function post(url, body) {
  const r = await fetch(url, {method: "POST", body: JSON.stringify(body),
                               headers: {"Content-Type": "application/json",
                                         "X-Bargain-Token": TOKEN}});
  return r.headers.get("Content-Type").startsWith("application/json") ? r.json() : r;
}
function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function buildControls() {
  $("title").textContent = C.title; $("path").textContent = C.path;
  $("save-path").value = C.save_path;
  const box = $("params"); box.replaceChildren();
  for (const p of C.parameters) {
    values[p.name] = p.value;
    const d = el("div", {class: "param"});
    const lab = el("label", {for: "p-" + p.name});
    lab.append(el("span", {}, p.name), el("span", {class: "unit", id: "v-" + p.name}));
    const s = el("input", {type: "range", id: "p-" + p.name, "data-name": p.name,
                           min: p.min, max: p.max, step: p.step});
    s.value = p.value;
    s.addEventListener("input", () => {
      values[p.name] = Number(s.value); showValue(p); schedule();
    });
    d.append(lab, s, el("div", {class: "src", title: p.source + (p.note ? "\n" + p.note : "")},
                            "source: " + p.source));
    box.append(d); showValue(p);
  }
  const fb = $("formulas"); fb.replaceChildren();
  for (const f of C.formulas) {
    const d = el("div", {class: "formula"});
    const inp = el("input", {id: "f-" + f.key, "data-key": f.key, spellcheck: "false"});
    inp.value = f.formula;
    let t = null;
    inp.addEventListener("input", () => {
      clearTimeout(t); t = setTimeout(() => tryFormula(f.key, inp), 500);
    });
    inp.addEventListener("change", () => { clearTimeout(t); tryFormula(f.key, inp); });
    d.append(el("label", {for: "f-" + f.key}, f.label + " · " + f.component), inp,
             el("div", {class: "error", id: "e-" + f.key, role: "alert"}));
    fb.append(d);
  }
  const head = el("tr"); head.append(el("th", {}, "concept"));
  for (const i of C.issues) head.append(el("th", {}, i.name + (i.unit ? " [" + i.unit + "]" : "")));
  for (const o of C.outputs) head.append(el("th", {}, o));
  for (const p of Object.keys(C.parties)) head.append(el("th", {}, "u " + p));
  const rows = [head];
  for (const m of C.methods) {
    const tr = el("tr", {id: "row-" + m}); tr.append(el("td", {}, m));
    const cols = [...C.issues.map((i) => "deal." + i.name), ...C.outputs.map((o) => "outputs." + o),
                  ...Object.keys(C.parties).map((p) => "utilities." + p)];
    for (const c of cols) tr.append(el("td", {id: "r-" + m + "-" + c, "data-col": c}));
    rows.push(tr);
  }
  $("results").replaceChildren(...rows);
}
function showValue(p) { $("v-" + p.name).textContent = fmt(values[p.name]) + " " + p.unit; }
const CLIENT = Math.random().toString(36).slice(2);
function state() { return {values: values, formulas: applied, client: CLIENT}; }
function schedule() {
  seq += 1; const mine = seq;
  clearTimeout(quickTimer); clearTimeout(fullTimer);
  for (const m of C.methods) {
    if (!C.quick_methods.includes(m)) $("row-" + m).classList.add("pending");
  }
  quickTimer = setTimeout(() => quick(mine), 20);
  fullTimer = setTimeout(() => full(mine), 350);
}
function fillRow(method, sol) {
  for (const td of $("row-" + method).querySelectorAll("td[data-col]")) {
    const [part, name] = td.dataset.col.split(".");
    const v = sol[part] ? sol[part][name] : null;
    td.textContent = sol.status === "ok" ? fmt(v) : sol.status;
    td.dataset.value = (sol.status === "ok" && v !== null) ? String(v) : "";
    td.classList.remove("pending");
  }
}
function showError(res) {
  $("general-error").textContent = res.ok ? "" : res.error.message;
}
async function quick(mine) {
  const res = await post("/api/quick", {...state(), seq: mine});
  if (mine !== seq) return;
  showError(res); if (!res.ok) return;
  for (const [m, sol] of Object.entries(res.solutions)) fillRow(m, sol);
  fillDecomposition(res.decomposition);
  $("timing").textContent = "quick update (Nash, asymmetric Nash, Rubinstein): " +
      (1000 * res.seconds).toFixed(0) + " ms; every concept and the figure follow.";
  $("results").dataset.quickSeq = String(mine);
}
async function full(mine) {
  const res = await post("/api/full", {...state(), seq: mine});
  if (mine !== seq || res.stale) return;
  showError(res); if (!res.ok) return;
  for (const [m, sol] of Object.entries(res.solutions)) {
    fillRow(m, sol); $("row-" + m).classList.remove("pending");
  }
  fillDecomposition(res.decomposition);
  const svg = btoa(unescape(encodeURIComponent(res.figure_svg)));
  const img = el("img", {alt: "frontier and solutions", id: "frontier-img",
                         src: "data:image/svg+xml;base64," + svg});
  $("figure").replaceChildren(img);
  $("timing").textContent = "every concept (frontier resolution " + C.resolution +
      ") and the figure: " + (1000 * res.seconds).toFixed(0) + " ms" + (res.exact_solver ?
      " (exact solver: the batched frontier could not be certified here)." : ".");
  $("timing").dataset.exact = res.exact_solver ? "1" : "0";
  $("results").dataset.fullSeq = String(mine);
}
function fillDecomposition(d) {
  const t = $("decomposition");
  if (!d) {
    t.replaceChildren(el("tr", {}, "no decomposition: the Nash solution is not unique"));
    return;
  }
  const head = el("tr");
  const heads = ["party", "component", "value at the deal", "d/d" + d.issue, "pull on " + d.issue];
  for (const h of heads) head.append(el("th", {}, h));
  const rows = [head];
  for (const r of d.rows) {
    const tr = el("tr");
    tr.append(el("td", {}, r.party), el("td", {}, r.component), el("td", {}, fmt(r.value)),
              el("td", {}, fmt(r.derivative)), el("td", {}, fmt(r.pull)));
    rows.push(tr);
  }
  t.replaceChildren(...rows);
}
async function tryFormula(key, inp) {
  const formulas = {...applied, [key]: inp.value};
  const res = await post("/api/quick", {...state(), formulas: formulas, seq: seq});
  if (res.ok) {
    applied = formulas; inp.classList.remove("bad"); $("e-" + key).textContent = ""; schedule();
  } else if (res.error.key === key || res.error.key.startsWith(key + ".") || !res.error.key) {
    inp.classList.add("bad"); $("e-" + key).textContent = res.error.message;
  } else { showError(res); }
}
$("reset").addEventListener("click", () => {
  applied = {}; buildControls(); schedule();
});
$("save").addEventListener("click", async () => {
  const res = await post("/api/save", {...state(), path: $("save-path").value,
                                       overwrite: $("overwrite").checked});
  $("save-status").textContent = res.ok ? "saved to " + res.path
                                        : "not saved: " + res.error.message;
  $("save-status").dataset.saved = res.ok ? res.path : "";
});
$("download").addEventListener("click", async () => {
  $("download-status").textContent = " preparing...";
  const r = await post("/api/figures", state());
  if (!(r instanceof Response)) {
    $("download-status").textContent = " " + r.error.message;
    return;
  }
  const a = el("a", {href: URL.createObjectURL(await r.blob()),
                     download: (C.path.split("/").pop().replace(/\.toml$/, "")) + "_figures.zip"});
  document.body.append(a); a.click(); a.remove(); $("download-status").textContent = "";
});
(async () => {
  C = await (await fetch("/api/controls", {headers: {"X-Bargain-Token": TOKEN}})).json();
  buildControls(); schedule();
})();
</script>
</body></html>
"""

#: The page served at ``/``.
PAGE = _PAGE_TEMPLATE.replace("__DIGITS__", "4")
