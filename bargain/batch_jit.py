"""Compiled kernels for the batched Nash and Rubinstein solvers (optional: numba).

The numpy solvers of :mod:`bargain.batch` run each step of their Newton methods
on whole arrays of parameter points; their cost is the many temporary arrays of
every step, not the arithmetic. With numba installed (``pip install
bargaining-toolkit[fast]``), large batches run the *same* algorithms point by
point in machine code instead (:mod:`bargain.batch_jit_solvers`):

* the scenario's utilities, gradients and Hessians, i.e. the stage-two
  expressions of :class:`~bargain.batch_model.BatchModel`, already parsed by the
  whitelist parser and differentiated by sympy, are printed as straight-line
  scalar code (with common subexpressions) into a module in the cache folder,
  named by the hash of its text, and compiled once per scenario; numba caches
  the machine code beside it, so later runs and worker processes load it;
* the solvers take these kernels as first-class functions of one type, so they
  are compiled once per installation.

Nothing compiled certifies an answer: every point is checked by the same numpy
first- and second-order conditions as before (``_kkt_ok``, ``_offers_ok``), so
the compiled path changes how fast an answer comes, not which answers are
accepted. The deals agree with the numpy path to rounding (the two evaluate the
same expressions in a different order). Within one sweep every chunk takes the
same path, so a sweep's output does not depend on its chunk size.

The cache folder is ``$BARGAIN_CACHE_DIR``, else ``$XDG_CACHE_HOME/bargain``,
else ``~/.cache/bargain``. Set ``BARGAIN_JIT=0`` to switch the compiled path
off. The first use on a machine compiles the solvers (about 30 s) and each new
scenario's kernels (a few seconds); later runs load them from the cache.

References
----------
.. [1] Lam, S. K., Pitrou, A. and Seibert, S. (2015). Numba: a LLVM-based Python
   JIT compiler. Proc. Second Workshop on the LLVM Compiler Infrastructure in HPC.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from ._version import __version__

__all__ = ["MIN_POINTS", "Kernels", "available", "cache_dir", "kernels"]

#: Batches of fewer points run the numpy solvers when the choice is automatic.
MIN_POINTS = 2048

_LOCK = threading.Lock()


def available() -> bool:
    """Whether numba is installed and the compiled path is not switched off (``BARGAIN_JIT=0``)."""
    if os.environ.get("BARGAIN_JIT", "1") == "0":
        return False
    return importlib.util.find_spec("numba") is not None


def cache_dir() -> Path:
    """The folder of the generated kernel modules (and numba's machine code beside them)."""
    if os.environ.get("BARGAIN_CACHE_DIR"):
        return Path(os.environ["BARGAIN_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "bargain"


class _Printer(PythonCodePrinter):
    """Scalar Python for numba: ``math`` functions, nested ``min``/``max``, plain ``**``."""

    def _print_Max(self, expr: Any) -> str:
        return self._nested("max", expr.args)

    def _print_Min(self, expr: Any) -> str:
        return self._nested("min", expr.args)

    def _nested(self, name: str, args: Any) -> str:
        out = self._print(args[0])
        for a in args[1:]:
            out = f"{name}({out}, {self._print(a)})"
        return out

    def _print_Heaviside(self, expr: Any) -> str:  # d/dx max(x, 0): 1/2 at the kink, as numpy
        arg = self._print(expr.args[0])
        return f"(1.0 if {arg} > 0 else (0.0 if {arg} < 0 else 0.5))"


def _function(
    name: str, exprs: list[Any], issues: list[Any], ctx: list[Any], rows: bool = False
) -> str:
    """The source of ``name(x, c, out)``: the expressions, common subexpressions first.

    With ``rows``, ``x`` ``(K, n)`` holds ``K`` deals and row ``r`` of ``out``
    receives the expressions at ``x[r]`` (one call for many deals of one point).
    The subexpressions that depend on no issue are then computed once, and those
    that depend on the first issue alone only when it changes from the row
    before: on the start grid, whose first issue varies slowest, that is the
    costly part (powers, logarithms) once per grid line instead of once per row.
    """
    rename = {s: sp.Symbol(f"x{i}", real=True) for i, s in enumerate(issues)}
    rename.update({s: sp.Symbol(f"c{i}", real=True) for i, s in enumerate(ctx)})
    exprs = [sp.sympify(e).xreplace(rename) for e in exprs]
    subs, reduced = sp.cse(exprs, symbols=sp.numbered_symbols("t"))
    printer = _Printer({"fully_qualified_modules": True, "allow_unknown_functions": False})
    array = "float64[:, ::1]" if rows else "float64[::1]"
    lines = [
        f'@numba.njit("int64({array}, float64[::1], {array})", {_OPTIONS})',
        f"def {name}(x, c, out):",
    ]
    lines += [f"    c{i} = c[{i}]" for i in range(len(ctx))]
    assign = [(str(s), f"{s} = {printer.doprint(e)}") for s, e in subs]
    if not rows:
        lines += [f"    x{i} = x[{i}]" for i in range(len(issues))]
        lines += [f"    {a}" for _, a in assign]
        lines += [f"    out[{k}] = {printer.doprint(e)}" for k, e in enumerate(reduced)]
        lines.append("    return 0")
        return "\n".join(lines) + "\n"
    # by what they depend on: 0 no issue, 1 the first issue alone, 2 more
    level: list[list[tuple[str, str]]] = [[], [], []]
    for a, lev in zip(assign, _levels(subs, [rename[s] for s in issues]), strict=True):
        level[lev].append(a)
    lines += [f"    {a}" for _, a in level[0]]
    lines += [f"    {t} = 0.0" for t, _ in level[1]]  # typed before the loop
    lines += ["    last = np.nan", "    for r in range(x.shape[0]):"]
    lines += [f"        x{i} = x[r, {i}]" for i in range(len(issues))]
    if level[1]:
        # the same value and sign (-0.0 == 0.0, but 1 / -0.0 is -inf), never nan
        same = "x0 == last and math.copysign(1.0, x0) == math.copysign(1.0, last)"
        lines += [f"        if not ({same}):", "            last = x0"]
        lines += [f"            {a}" for _, a in level[1]]
    lines += [f"        {a}" for _, a in level[2]]
    lines += [f"        out[r, {k}] = {printer.doprint(e)}" for k, e in enumerate(reduced)]
    lines.append("    return 0")
    return "\n".join(lines) + "\n"


def _levels(subs: list[tuple[Any, Any]], issues: list[Any]) -> list[int]:
    """For each common subexpression: 0 if it depends on no issue, 1 if on the first
    issue alone, 2 otherwise (through the subexpressions before it too)."""
    depends: dict[Any, set[Any]] = {}
    level = []
    for symbol, expr in subs:
        on = set(issues) & expr.free_symbols
        for t in expr.free_symbols & depends.keys():
            on |= depends[t]
        depends[symbol] = on
        level.append(0 if not on else 1 if on == {issues[0]} else 2)
    return level


_OPTIONS = 'cache=True, error_model="numpy", fastmath=False'


def source(bm: Any) -> str:
    """The module of a batched model's kernels: ``value``, ``values`` (``value`` at
    many deals of one point) and ``full``.

    Examples
    --------
    >>> import bargain
    >>> from bargain.batch_model import BatchModel
    >>> text = source(BatchModel(bargain.load("scenarios/textbook/unit_pie.toml")))
    >>> print(next(line for line in text.splitlines() if "out[1]" in line))  # in value
        out[1] = 1 - x0
    """
    issues, ctx = bm.stage2_symbols
    values, full = bm.stage2_exprs
    header = (
        f'"""A scenario\'s kernels, generated by bargain {__version__}: do not edit."""\n'
        "import math\n\nimport numba\nimport numpy as np\n\n\n"
    )
    return "\n\n".join(
        [
            header + _function("value", values, issues, ctx),
            _function("values", values, issues, ctx, rows=True),
            _function("full", full, issues, ctx),
        ]
    )


class Kernels:
    """A scenario's compiled kernels ``value``, ``values`` and ``full``
    (:mod:`bargain.batch_jit_solvers`)."""

    def __init__(self, value: Any, values: Any, full: Any, path: Path) -> None:
        self.value = value
        self.values = values
        self.full = full
        self.path = path


def _load(text: str) -> Kernels:
    """Write ``text`` to the cache folder under its hash (once) and import it."""
    import numba

    digest = hashlib.sha256(f"{text}\0{numba.__version__}".encode()).hexdigest()[:20]
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"kernels_{digest}.py"
    if not path.exists() or path.read_text() != text:  # absent, or not what we wrote
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
    name = f"bargain_kernels_{digest}"
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # numba's cache looks the module up by name
        try:
            spec.loader.exec_module(module)  # code printed from the parsed expression tree
        except BaseException:
            del sys.modules[name]
            raise
    return Kernels(module.value, module.values, module.full, path)


def kernels(bm: Any) -> Kernels | None:
    """The compiled kernels of a batched model (compiled on first use), or None.

    None when numba is absent or switched off, or when the kernels cannot be
    printed, written or compiled (e.g. a read-only cache folder; a warning says
    why): the numpy solvers then do everything.
    """
    if not available():
        return None
    with _LOCK:
        if "_kernels" not in bm.__dict__:
            found: Kernels | None = None
            try:
                found = _load(source(bm))
            except Exception as exc:  # noqa: BLE001 - any failure to print, write or compile
                warnings.warn(
                    f"the compiled solvers are not available ({type(exc).__name__}: {exc}); "
                    "the numpy solvers run instead",
                    RuntimeWarning,
                    stacklevel=2,
                )
            bm._kernels = found
    return bm._kernels


def use_compiled(bm: Any, size: int, compiled: bool | None) -> Kernels | None:
    """The kernels to use for a batch of ``size`` points: ``compiled`` True (always when
    available), False (never) or None (automatic: from :data:`MIN_POINTS` points)."""
    if compiled is False or (compiled is None and size < MIN_POINTS):
        return None
    return kernels(bm)


def _c(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=float)


def _context(sub: Any) -> tuple[np.ndarray, np.ndarray]:
    """The points' contexts ``(N, C)`` and disagreement points ``(N, 2)``, a row per point
    (made once per batch or subset: every solver of a batch takes them)."""
    if "_rows" not in sub.__dict__:
        sub._rows = (_c(sub.ctx.T), _c(sub.d.T))
    rows: tuple[np.ndarray, np.ndarray] = sub._rows
    return rows


def _box(bm: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The issues' lower and upper bounds and spans, as the compiled solvers take them."""
    return _c(bm.lower), _c(bm.upper), _c(bm.span)


def nash_start(
    kern: Kernels, sub: Any, alpha: np.ndarray, extra: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`bargain.batch_nash._start`: the start ``(n, N)`` and whether it is feasible."""
    from .batch_jit_solvers import best_start
    from .batch_model import _grid

    bm = sub.bm
    grid = _c(np.array(_grid(bm.lower, bm.upper)))
    more = _c(np.array([e.T for e in extra]).reshape(len(extra), sub.size, bm.n))
    x = np.empty((sub.size, bm.n))
    feasible = np.empty(sub.size, dtype=bool)
    best_start(
        kern.value,
        kern.values,
        grid,
        more,
        *_context(sub),
        _c(alpha.T),
        _c(sub.scale.T),
        *_box(bm)[:2],
        x,
        feasible,
    )
    return x.T.copy(), feasible


def ascent(
    kern: Kernels, sub: Any, alpha: np.ndarray, x0: np.ndarray, soft: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """As :func:`bargain.batch_newton._projected_newton` on the log Nash product with
    powers ``alpha`` ``(2, N)`` or, with ``soft``, on the soft minimum of the scaled
    gains as the first phase of :func:`bargain.batch_nash._nash_core`: the deals
    ``(n, N)``, converged, iterations."""
    from .batch_jit_solvers import ascent as run

    bm = sub.bm
    x = _c(np.clip(x0, bm.lower[:, None], bm.upper[:, None]).T)
    conv = np.empty(sub.size, dtype=bool)
    its = np.empty(sub.size, dtype=np.int64)
    run(
        kern.full,
        kern.value,
        x,
        *_context(sub),
        _c(alpha.T),
        _c(sub.scale.T),
        soft,
        *_box(bm),
        conv,
        its,
    )
    return x.T.copy(), conv, its.astype(int)


def offers(
    kern: Kernels,
    sub: Any,
    xs: np.ndarray,
    w: np.ndarray,
    slack: np.ndarray,
    delta: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """As :func:`bargain.batch_rubinstein._rubinstein_core` from its prepared starts
    ``xs`` ``(2, n, N)``, ``w`` and ``slack`` ``(2, N)``."""
    from .batch_jit_solvers import offers_newton

    bm = sub.bm
    x = _c(np.transpose(xs, (2, 0, 1)))
    wt = _c(w.T)
    st = np.ascontiguousarray(slack.T, dtype=bool)
    conv = np.empty(sub.size, dtype=bool)
    its = np.empty(sub.size, dtype=np.int64)
    offers_newton(
        kern.full,
        x,
        wt,
        st,
        *_context(sub),
        _c(delta.T),
        _c(sub.scale.max(axis=0)),
        *_box(bm),
        conv,
        its,
    )
    return np.transpose(x, (1, 2, 0)).copy(), wt.T.copy(), st.T.copy(), conv, its.astype(int)
