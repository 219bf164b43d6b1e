"""Formulas are data: a whitelisted parser from text to sympy expressions.

A formula is parsed by Python's :mod:`ast` (which only reads the text) and the
tree is translated node by node into sympy. Anything that is not on the list
below is rejected with a :class:`~bargain.errors.FormulaError`; nothing is ever
evaluated as code.

The language
------------
- numbers (``3``, ``0.25``, ``1e-3``), the names of the scenario's issues,
  parameters and definitions;
- ``+ - * / **`` and parentheses; a numeric exponent is at most
  ``MAX_EXPONENT`` in absolute value;
- functions: ``exp(z)``, ``log(z)``, ``sqrt(z)``, ``abs(z)``,
  ``min(a, b, ...)``, ``max(a, b, ...)``, ``logistic(z)`` :math:`=1/(1+e^{-z})`,
  ``clip(z, lo, hi)`` and the conditional ``where(condition, a, b)``;
- comparisons ``< <= > >=`` only as the condition of ``where``.

Formulas are ASCII: Python's parser would fold a fullwidth ``ｘ`` into ``x``
(NFKC), so any other character is rejected rather than silently renamed. A
function's name may also name an issue or parameter: ``exp * exp(1)``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping

import sympy as sp

from .errors import FormulaError, suggest

__all__ = ["parse_formula", "FUNCTIONS", "MAX_EXPONENT", "MAX_LENGTH"]

#: Largest absolute value of a numeric exponent.
MAX_EXPONENT = 100
#: Longest formula accepted, in characters.
MAX_LENGTH = 2000
#: Deepest nesting of the expression tree accepted.
MAX_DEPTH = 60
#: Most calls of where/min/max/abs/clip in one formula (sympy's work on nested
#: conditionals grows far faster than their number).
MAX_BRANCHES = 12
_BRANCHING = {"where", "min", "max", "abs", "clip"}


def _logistic(z: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-z))


def _clip(z: sp.Expr, lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    return sp.Min(sp.Max(z, lo), hi)


#: name -> (builder, smallest arity, largest arity or None, description)
FUNCTIONS: dict[str, tuple[Callable[..., sp.Expr], int, int | None, str]] = {
    "exp": (sp.exp, 1, 1, "exponential"),
    "log": (sp.log, 1, 1, "natural logarithm"),
    "sqrt": (sp.sqrt, 1, 1, "square root"),
    "abs": (sp.Abs, 1, 1, "absolute value"),
    "min": (sp.Min, 2, None, "smallest argument"),
    "max": (sp.Max, 2, None, "largest argument"),
    "logistic": (_logistic, 1, 1, "1 / (1 + exp(-z))"),
    "clip": (_clip, 3, 3, "clip(z, lo, hi) = min(max(z, lo), hi)"),
    "where": (
        lambda c, a, b: sp.Piecewise((a, c), (b, True)),
        3,
        3,
        "where(condition, a, b): a if the condition holds, else b",
    ),
}

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_COMPARE = {
    ast.Lt: sp.StrictLessThan,
    ast.LtE: sp.LessThan,
    ast.Gt: sp.StrictGreaterThan,
    ast.GtE: sp.GreaterThan,
}
_HINTS = {
    ast.BitXor: "use ** for powers, not ^",
    ast.Attribute: "attribute access (a.b) is not allowed; use plain names",
    ast.Constant: "only numbers are allowed, not strings or other constants",
    ast.Subscript: "indexing (a[i]) is not allowed",
    ast.Lambda: "lambda expressions are not allowed",
    ast.IfExp: "use where(condition, a, b) for a conditional",
    ast.BoolOp: "'and'/'or' are not allowed; nest where(...) instead",
    ast.Compare: "comparisons are only allowed as the condition of where(...)",
}


def parse_formula(text: str | float, names: Mapping[str, sp.Basic], *, key: str = "") -> sp.Expr:
    """Parse a formula under the whitelist into a sympy expression.

    Parameters
    ----------
    text : str
        The formula, e.g. ``"tau * (1 - e) ** 2"``.
    names : mapping of str to sympy object
        What each allowed name stands for (a symbol or an expression).
    key : str, optional
        The key path of the formula, used in error messages.

    Returns
    -------
    sympy.Expr

    Raises
    ------
    FormulaError
        If the text is not a formula of the language (see the module notes).

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> parse_formula("max(x, 0) + logistic(0)", {"x": x})
    Max(0, x) + 1/2
    >>> parse_formula("x ^ 2", {"x": x})
    Traceback (most recent call last):
    ...
    bargain.errors.FormulaError: 'x ^ 2': the operator ^ is not allowed. Fix: use ** ...
    """
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise FormulaError(
            f"expected a formula (a string or a number), got {type(text).__name__}",
            key=key,
            fix='write the formula in quotes, e.g. "0.5 * x"',
        )
    if not isinstance(text, str):
        text = repr(float(text))
    source = text.strip()
    if not source:
        raise FormulaError("the formula is empty", key=key, fix="write a formula, e.g. 0")
    if not source.isascii():  # Python folds names by NFKC: a fullwidth x would be x
        char = next(c for c in source if not c.isascii())
        raise FormulaError(
            f"{_short(source.encode('ascii', 'backslashreplace').decode())} contains the "
            f"non-ASCII character {ascii(char)}",
            key=key,
            fix="write formulas in ASCII; names are ASCII letters, digits and _",
        )
    if len(source) > MAX_LENGTH:
        raise FormulaError(
            f"the formula is {len(source)} characters long (at most {MAX_LENGTH})",
            key=key,
            fix="split it into [definitions] or named utility components",
        )
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        detail = getattr(exc, "msg", None) or str(exc) or type(exc).__name__
        raise FormulaError(
            f"{_short(source)} is not a formula ({detail})",
            key=key,
            fix="check parentheses and operators; allowed: numbers, names, + - * / **, "
            + ", ".join(f"{n}()" for n in FUNCTIONS),
        ) from None
    branches = sum(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in _BRANCHING
        for n in ast.walk(tree)
    )
    if branches > MAX_BRANCHES:
        raise FormulaError(
            f"{_short(source)} has {branches} calls of where/min/max/abs/clip "
            f"(at most {MAX_BRANCHES})",
            key=key,
            fix="split it into [definitions] or simplify it",
        )
    translator = _Translator(source, names, key)
    try:
        result = translator.expr(tree.body, depth=0)
    except RecursionError:
        raise FormulaError(
            f"{_short(source)} is nested too deeply", key=key, fix="simplify the formula"
        ) from None
    except FormulaError:
        raise
    except (TypeError, ValueError, ArithmeticError) as exc:  # sympy refusing, e.g. max(3 - I, x)
        raise FormulaError(
            f"{_short(source)} cannot be evaluated ({' '.join(str(exc).split())[:100]})",
            key=key,
            fix="keep constants real and finite (e.g. no sqrt of a negative number)",
        ) from None
    if result.has(sp.I, sp.zoo, sp.oo, sp.nan) or _complex_constant(result):
        raise FormulaError(
            f"{_short(source)} contains a complex or infinite constant (e.g. sqrt(-1))",
            key=key,
            fix="keep constants real and finite",
        )
    return result


def _complex_constant(expr: sp.Basic) -> bool:
    """Whether a constant part is not real, e.g. ``(-8)**(1/3)`` (sympy keeps it exact)."""
    return any(
        p.is_number and p.is_extended_real is False
        for p in expr.atoms(sp.Pow)
        if p.base.is_number and p.base.is_negative
    )


def _short(source: str, limit: int = 60) -> str:
    """The formula quoted for a message, cut to ``limit`` characters."""
    return repr(source if len(source) <= limit else source[: limit - 3] + "...")


class _Translator:
    """Translate a whitelisted Python AST into sympy, node by node."""

    def __init__(self, source: str, names: Mapping[str, sp.Basic], key: str) -> None:
        self.source = source
        self.names = names
        self.key = key

    def fail(self, problem: str, fix: str = "") -> FormulaError:
        return FormulaError(f"{_short(self.source)}: {problem}", key=self.key, fix=fix)

    def expr(self, node: ast.AST, depth: int, in_condition: bool = False) -> sp.Basic:
        if depth > MAX_DEPTH:
            raise self.fail("the formula is nested too deeply", "simplify the formula")
        depth += 1
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return self.number(node.value)  # type: ignore[arg-type]
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            operand = self.expr(node.operand, depth)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return self.binary(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.Compare) and in_condition:
            return self.compare(node, depth)
        if isinstance(node, ast.BinOp):
            op = type(node.op)
            symbol = {
                ast.BitXor: "^",
                ast.Mod: "%",
                ast.FloorDiv: "//",
                ast.BitAnd: "&",
                ast.BitOr: "|",
                ast.LShift: "<<",
                ast.RShift: ">>",
                ast.MatMult: "@",
            }.get(op, op.__name__)
            raise self.fail(
                f"the operator {symbol} is not allowed", _HINTS.get(op, "use + - * / ** only")
            )
        hint = _HINTS.get(type(node), "use numbers, names, + - * / ** and the listed functions")
        raise self.fail(f"{type(node).__name__.lower()} expressions are not allowed", hint)

    def number(self, value: int | float) -> sp.Expr:
        if isinstance(value, int):
            if abs(value) > 10**15:
                raise self.fail(
                    f"the number {value} is too large",
                    "write large numbers in scientific notation, e.g. 1.5e16",
                )
            return sp.Integer(value)
        if value != value or value in (float("inf"), float("-inf")):
            raise self.fail("the number is not finite", "write a finite number")
        return sp.Float(value)

    def name(self, ident: str) -> sp.Basic:
        if ident in self.names:
            return self.names[ident]
        if ident in FUNCTIONS:
            raise self.fail(f"'{ident}' is a function", f"call it, e.g. {ident}(x)")
        raise self.fail(f"unknown name '{ident}'", suggest(ident, self.names))

    def binary(self, node: ast.BinOp, depth: int) -> sp.Expr:
        left = self.expr(node.left, depth)
        right = self.expr(node.right, depth)
        op = type(node.op)
        if op is ast.Pow:
            return self.power(left, right)
        if op is ast.Div and right.is_number and right == 0:
            raise self.fail("division by zero", "divide by a non-zero number")
        result = {
            ast.Add: lambda: left + right,
            ast.Sub: lambda: left - right,
            ast.Mult: lambda: left * right,
            ast.Div: lambda: left / right,
        }[op]()
        return result

    def power(self, base: sp.Expr, exponent: sp.Expr) -> sp.Expr:
        if exponent.is_number:
            value = complex(exponent.evalf())
            if value.imag != 0 or abs(value.real) > MAX_EXPONENT:
                raise self.fail(
                    f"the exponent {exponent} is too large (at most {MAX_EXPONENT} in size)",
                    "use a smaller exponent, or exp() and log() for growth",
                )
            if base.is_number:
                if base == 0:
                    if value.real < 0:
                        raise self.fail(
                            "0 raised to a negative power", "change the base or the exponent"
                        )
                else:  # keep constants within floating-point range
                    size = abs(value.real) * abs(float(sp.log(sp.Abs(base), 10).evalf()))
                    if size > 300:
                        raise self.fail(
                            "the number is too large", "keep constant powers below 1e300"
                        )
        return sp.Pow(base, exponent)

    def call(self, node: ast.Call, depth: int) -> sp.Expr:
        if not isinstance(node.func, ast.Name):
            raise self.fail(
                "only the listed functions may be called",
                "use " + ", ".join(f"{n}()" for n in FUNCTIONS),
            )
        fname = node.func.id
        if fname not in FUNCTIONS:
            raise self.fail(f"unknown function '{fname}'", suggest(fname, FUNCTIONS))
        if node.keywords:
            raise self.fail(f"{fname}() takes no keyword arguments", "pass arguments by position")
        builder, lo, hi, doc = FUNCTIONS[fname]
        count = len(node.args)
        if count < lo or (hi is not None and count > hi):
            want = f"{lo}" if lo == hi else f"at least {lo}" if hi is None else f"{lo} to {hi}"
            raise self.fail(f"{fname}() takes {want} argument(s), got {count}", f"{fname}: {doc}")
        if any(isinstance(arg, ast.Starred) for arg in node.args):
            raise self.fail("starred arguments are not allowed", "list the arguments")
        if fname == "where":
            cond = self.expr(node.args[0], depth, in_condition=True)
            if not isinstance(cond, sp.core.relational.Relational | sp.logic.boolalg.BooleanAtom):
                raise self.fail(
                    "the first argument of where() must be a comparison",
                    "e.g. where(e > 0.5, 1, 0)",
                )
            args = [cond] + [self.expr(arg, depth) for arg in node.args[1:]]
        else:
            args = [self.expr(arg, depth) for arg in node.args]
        return builder(*args)

    def compare(self, node: ast.Compare, depth: int) -> sp.Basic:
        if len(node.ops) != 1 or type(node.ops[0]) not in _COMPARE:
            raise self.fail(
                "a condition compares two terms with one of < <= > >=", "e.g. where(e > 0.5, a, b)"
            )
        left = self.expr(node.left, depth)
        right = self.expr(node.comparators[0], depth)
        return _COMPARE[type(node.ops[0])](left, right)
