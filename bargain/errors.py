"""The package's own error types.

Every problem with user input is reported as a :class:`ScenarioError` that names
the file, the key path inside it, what is wrong and how to fix it, so that the
command line can print one readable line instead of a traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["BargainError", "ScenarioError", "FormulaError", "suggest"]


class BargainError(Exception):
    """Base class of every error raised on purpose by :mod:`bargain`."""


class ScenarioError(BargainError, ValueError):
    """A scenario file (or an override of it) is not valid.

    Parameters
    ----------
    problem : str
        What is wrong, in one sentence.
    key : str, optional
        The dotted key path inside the scenario, e.g.
        ``"parties.korea.utility.fx_risk"``.
    fix : str, optional
        How to fix it.
    file : str, optional
        The file the scenario came from.

    Examples
    --------
    >>> err = ScenarioError("unknown name 'dA2'", key="parties.A.discount",
    ...                     fix="did you mean 'dA'?", file="pie.toml")
    >>> print(err)
    pie.toml: parties.A.discount: unknown name 'dA2'. Fix: did you mean 'dA'?
    """

    def __init__(self, problem: str, *, key: str = "", fix: str = "", file: str = "") -> None:
        self.problem = problem.rstrip(".")
        self.key = key
        self.fix = fix
        self.file = file
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The whole message: file, key, problem and fix."""
        where = ": ".join(part for part in (self.file, self.key) if part)
        text = f"{where}: {self.problem}." if where else f"{self.problem}."
        if self.fix:
            text += f" Fix: {self.fix}"
        return text

    def located(self, *, file: str = "", key_prefix: str = "") -> ScenarioError:
        """Return a copy that names the file and a longer key path."""
        key = ".".join(part for part in (key_prefix, self.key) if part)
        return type(self)(self.problem, key=key, fix=self.fix, file=file or self.file)

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):  # keep the keyword-only fields when pickled
        return (_rebuild, (type(self), self.problem, self.key, self.fix, self.file))


def _rebuild(cls, problem, key, fix, file):
    return cls(problem, key=key, fix=fix, file=file)


class FormulaError(ScenarioError):
    """A formula is not in the whitelisted formula language."""


def suggest(name: str, known: Iterable[str]) -> str:
    """Name the known names closest to ``name``, as a hint for a fix.

    Examples
    --------
    >>> suggest("delta_k", ["delta_kr", "delta_us", "A"])
    "did you mean 'delta_kr' or 'delta_us'?"
    >>> suggest("Reserve", ["reserves", "rate"])
    "did you mean 'reserves'?"
    >>> suggest("zzz", [])
    'there are no names to choose from'
    """
    known = sorted(set(known))
    if not known:
        return "there are no names to choose from"
    lowered = {k.lower(): k for k in known}
    close = [lowered[c] for c in difflib.get_close_matches(name.lower(), lowered, n=3, cutoff=0.5)]
    if close:
        return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
    listed = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
    return f"use one of: {listed}"
