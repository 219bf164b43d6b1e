"""Scenario files: load, validate and hold a bargaining scenario as plain data.

A scenario is a TOML file (``schema_version = 1``) with issues (the decision
variables), parameters (each with value, unit and source), optional
definitions (named intermediate formulas), exactly two parties (utility
formulas, disagreement point, patience, bargaining power) and optional solver
settings. See ``docs/reference/scenario-format.md`` for every key.

Validation happens here, in one place; the formulas are parsed and checked when
the scenario is compiled (:mod:`bargain.model`), which :func:`load` does at once
so that a bad file is rejected before any work starts.
"""

from __future__ import annotations

import hashlib
import keyword
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ScenarioError, suggest

if TYPE_CHECKING:
    from .model import Model
    from .problem import BargainingProblem

__all__ = ["Issue", "Parameter", "Party", "SolveSettings", "Scenario", "load", "loads"]

SCHEMA_VERSION = 1
#: Largest scenario file read, in bytes (checked while reading: ``/dev/zero`` is refused).
MAX_FILE_BYTES = 1_000_000
#: ASCII only, matched to the end (``\Z``: ``$`` would let a trailing newline through);
#: a function's name (exp, where, ...) is a usable name: calls and names never mix.
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_RESERVED = set(keyword.kwlist) | {"True", "False", "None"}
_DISTRIBUTIONS = {
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "normal": ("mean", "sd"),
    "lognormal": ("mean", "sd"),
}
Formula = str | float


@dataclass(frozen=True)
class Issue:
    """A decision variable of the negotiation, bounded to ``[min, max]``."""

    name: str
    min: float
    max: float
    label: str = ""
    unit: str = ""


@dataclass(frozen=True)
class Parameter:
    """A model parameter with its value, unit and source.

    ``range`` is the plausible interval used by sensitivity runs (a judgement
    call where the source says so); ``bounds`` are hard limits that no override
    may cross (e.g. a probability stays in [0, 1]).
    """

    name: str
    value: float
    unit: str
    source: str
    range: tuple[float, float] | None = None
    bounds: tuple[float, float] | None = None
    distribution: Mapping[str, Any] | None = None
    note: str = ""
    #: Calibrated together with other files, one draw per name for all of them.
    shared: bool = False


@dataclass(frozen=True)
class Party:
    """One of the two negotiating parties.

    ``utility`` maps component names to formulas; a single formula is stored
    as the one component ``"utility"``. The other fields are numbers or
    formulas of the parameters only.
    """

    name: str
    label: str
    utility: Mapping[str, Formula]
    disagreement: Formula = 0.0
    discount: Formula = 1.0
    outside_option: Formula | None = None
    power: Formula | None = None
    cost_per_round: Formula = 0.0


@dataclass(frozen=True)
class SolveSettings:
    """Settings of the strategic (non-cooperative) solvers."""

    first_proposer: str
    breakdown: Formula = 0.0
    rounds: int = 0


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: plain data, with the file it came from and its hash.

    Use :func:`load` to read one from a file, and :meth:`with_parameters` to
    change parameter values without editing the file.
    """

    title: str
    description: str
    issues: tuple[Issue, ...]
    parameters: Mapping[str, Parameter]
    parties: tuple[Party, Party]
    definitions: Mapping[str, Formula] = field(default_factory=dict)
    outputs: Mapping[str, Formula] = field(default_factory=dict)
    settings: SolveSettings | None = None
    citation: str = ""
    path: str = ""
    sha256: str = ""
    overrides: Mapping[str, float] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)
    #: What one unit of utility is, e.g. ``"USD bn, present value"`` (``""``: unstated).
    utility_unit: str = ""
    #: The ``[[observations]]`` (:class:`bargain.observations.Observation`).
    observations: tuple[Any, ...] = ()

    @property
    def issue_names(self) -> tuple[str, ...]:
        """The names of the issues, in file order."""
        return tuple(issue.name for issue in self.issues)

    @property
    def party_names(self) -> tuple[str, str]:
        """The names of the two parties, in file order."""
        return (self.parties[0].name, self.parties[1].name)

    def parameter_values(self) -> dict[str, float]:
        """Every parameter's value (with overrides applied)."""
        return {name: p.value for name, p in self.parameters.items()}

    def with_parameters(self, **values: float) -> Scenario:
        """Return a copy with some parameter values changed.

        Raises :class:`~bargain.errors.ScenarioError` for an unknown name or a
        value outside the parameter's hard ``bounds``.

        Examples
        --------
        >>> import bargain
        >>> pie = bargain.load("scenarios/textbook/unit_pie.toml")
        >>> pie.with_parameters(dA=0.95).parameters["dA"].value
        0.95
        """
        params = dict(self.parameters)
        for name, value in values.items():
            if name not in params:
                raise ScenarioError(
                    f"unknown parameter '{name}'",
                    key=f"parameters.{name}",
                    fix=suggest(name, params),
                    file=self.path,
                )
            checked = _number(value, f"parameters.{name}.value", self.path)
            _check_bounds(params[name], checked, self.path)
            params[name] = replace(params[name], value=checked)
        overrides = {**self.overrides, **{k: float(v) for k, v in values.items()}}
        changed = replace(self, parameters=params, overrides=overrides)
        if "model" in self.__dict__:  # formulas do not depend on values: reuse the compiled model
            from .model import check_values

            check_values(self.model, changed.parameter_values())
            changed.__dict__["model"] = self.model
        return changed

    @cached_property
    def model(self) -> Model:
        """The compiled model (parsed formulas, numpy functions), built once."""
        from .model import compile_scenario

        return compile_scenario(self)

    def problem(self) -> BargainingProblem:
        """The numeric bargaining problem at the current parameter values."""
        return self.model.problem(self.parameter_values())


def load(path: str | Path) -> Scenario:
    """Load, validate and compile a scenario file.

    Parameters
    ----------
    path : str or pathlib.Path
        A TOML scenario file (``schema_version = 1``).

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        With the file, the key path, the problem and a fix, for any invalid
        input: unreadable file, bad TOML, a missing or unknown key, a wrong
        type, a formula outside the whitelist, a non-finite utility, ...

    Examples
    --------
    >>> import bargain
    >>> pie = bargain.load("scenarios/textbook/unit_pie.toml")
    >>> pie.party_names
    ('A', 'B')
    """
    name = str(path)
    try:
        with open(path, "rb") as handle:  # at most one byte more than allowed: /dev/zero ends
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(
            f"cannot read the file ({exc.strerror or exc})", file=name, fix="check the path"
        ) from None
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError(
            f"the file is larger than {MAX_FILE_BYTES:,} bytes",
            file=name,
            fix="a scenario is a short text file; split data into definitions or other files",
        )
    return loads(data, path=name)


def loads(data: bytes | str, *, path: str = "<string>") -> Scenario:
    """Load a scenario from TOML text; see :func:`load`."""
    raw_bytes = data.encode() if isinstance(data, str) else data
    raw = _parse_toml(raw_bytes, path)
    digest = hashlib.sha256(raw_bytes)
    if "extends" in raw:  # a child file: the parent's tables with this file's changes on top
        raw = _inherit(raw, path, (), digest)
    scenario = _build(raw, path)
    scenario = replace(scenario, sha256=digest.hexdigest())
    scenario.model  # noqa: B018 -- compile now: formula errors surface at load time
    return scenario


def _parse_toml(data: bytes, path: str) -> dict[str, Any]:
    """The TOML tables of a file's bytes (UTF-8), or one clear line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(
            "the file is not UTF-8 text", file=path, fix="save it as UTF-8"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"not valid TOML: {exc}", file=path, fix=_toml_fix(str(exc))) from None


#: How many files one chain of ``extends`` may hold (a guard against runaway chains).
MAX_EXTENDS_DEPTH = 16


def _inherit(raw: dict[str, Any], path: str, chain: tuple[str, ...], digest: Any) -> dict[str, Any]:
    """Resolve ``extends = "parent.toml"``: the parent's tables with this file's on top.

    Tables merge key by key, recursively; any other value (numbers, strings,
    arrays such as ``range``) replaces the parent's; arrays of tables (e.g.
    ``[[observations]]``) are appended to the parent's. ``remove = ["issues.c",
    ...]`` deletes dotted keys of the parent before the merge (to turn an issue
    into a parameter, remove it and declare the parameter; ``observations.NAME``
    removes one observation, ``observations`` all of them).
    ``rename_parties = { korea = "japan" }`` renames a party of the parent. The file's SHA-256
    ``digest`` is extended with every parent's bytes, so a result's hash changes
    when any file of the chain does.
    """
    parent_name = raw.pop("extends")
    if not isinstance(parent_name, str) or not parent_name.strip():
        raise ScenarioError(
            f"extends must be a file name, got {_kind(parent_name)}",
            key="extends",
            file=path,
            fix='write extends = "september_2025_standoff.toml" (a path relative to this file)',
        )
    here = Path(path).resolve()
    parent_path = here.parent / parent_name
    chain = (*chain, str(here))
    if str(parent_path.resolve()) in chain:
        raise ScenarioError(
            f"extends {parent_name!r} makes a cycle ({' -> '.join(Path(c).name for c in chain)})",
            key="extends",
            file=path,
            fix="a file may not extend itself or a file that extends it",
        )
    if len(chain) > MAX_EXTENDS_DEPTH:
        raise ScenarioError(
            f"extends chains more than {MAX_EXTENDS_DEPTH} files",
            key="extends",
            file=path,
            fix="extend the flagship directly",
        )
    try:
        parent_bytes = parent_path.read_bytes()
    except OSError as exc:
        raise ScenarioError(
            f"cannot read the parent file {parent_name!r} ({exc.strerror or exc})",
            key="extends",
            file=path,
            fix="give a path relative to this file's folder",
        ) from None
    digest.update(b"\0extends\0" + parent_bytes)
    parent_file = str(parent_path)
    parent = _parse_toml(parent_bytes, parent_file)
    if "extends" in parent:
        parent = _inherit(parent, parent_file, chain, digest)
    removals = raw.pop("remove", [])
    if not isinstance(removals, list) or not all(isinstance(r, str) for r in removals):
        raise ScenarioError(
            "remove must be a list of dotted keys",
            key="remove",
            file=path,
            fix='write remove = ["issues.c"]',
        )
    for dotted in removals:
        _remove(parent, dotted, path)
    _rename_parties(parent, raw.pop("rename_parties", {}), path)
    return _merge(parent, raw)


def _rename_parties(parent: dict[str, Any], renames: Any, path: str) -> None:
    """``rename_parties = { korea = "japan" }``: the parent's party under a new name
    (a comparable country that shares the flagship's formulas)."""
    fix = 'write rename_parties = { korea = "japan" } with party names of the parent'
    parties = parent.get("parties")
    if not isinstance(renames, dict) or not isinstance(parties, dict):
        raise ScenarioError(
            "rename_parties must be a table", key="rename_parties", file=path, fix=fix
        )
    for old, new in renames.items():
        if old not in parties or not isinstance(new, str) or new in parties:
            raise ScenarioError(
                f"rename_parties: cannot rename {old!r} to {new!r}",
                key=f"rename_parties.{old}",
                file=path,
                fix=fix,
            )
        parent["parties"] = parties = {(new if k == old else k): v for k, v in parties.items()}
        solve = parent.get("solve")
        if isinstance(solve, dict) and solve.get("first_proposer") == old:
            solve["first_proposer"] = new


def _remove(table: dict[str, Any], dotted: str, path: str) -> None:
    *heads, last = dotted.split(".")
    node: Any = table
    for head in heads:
        node = node.get(head) if isinstance(node, dict) else None
    if isinstance(node, list):  # an array of named tables: observations.NAME
        kept = [t for t in node if not (isinstance(t, dict) and t.get("name") == last)]
        if len(kept) < len(node):
            node[:] = kept
            return
    if not isinstance(node, dict) or last not in node:
        raise ScenarioError(
            f"the parent file has no key {dotted!r}",
            key="remove",
            file=path,
            fix="name a key of the parent, e.g. issues.c or parameters.A",
        )
    del node[last]


def _merge(base: dict[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        old = out.get(key)
        if isinstance(old, dict) and isinstance(value, dict) and key not in _REPLACED_TABLES:
            out[key] = _merge(old, value)
        elif isinstance(old, list) and _table_array(old) and _table_array(value):
            out[key] = [*old, *value]
        else:
            out[key] = value
    return out


#: Inline tables that a child file replaces whole (a distribution is one value).
_REPLACED_TABLES = {"distribution"}


def _table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _toml_fix(message: str) -> str:
    if "overwrite" in message or "duplicate" in message.lower():
        return "each key and table may appear only once; remove or rename the duplicate"
    return "check the TOML syntax at that line (quotes around formulas, = between key and value)"


# --- building and validating ---------------------------------------------------------

_TOP = {
    "schema_version",
    "title",
    "description",
    "citation",
    "utility_unit",
    "issues",
    "parameters",
    "definitions",
    "outputs",
    "parties",
    "solve",
    "observations",
}
_EXTENSIONS = {"tree"}  # sections owned by other modules, passed through in `extra`
_ISSUE_KEYS = {"min", "max", "label", "unit"}
_PARAM_KEYS = {"value", "unit", "source", "range", "bounds", "distribution", "note", "shared"}
_PARTY_KEYS = {
    "label",
    "utility",
    "disagreement",
    "discount",
    "outside_option",
    "power",
    "cost_per_round",
}
_SOLVE_KEYS = {"first_proposer", "breakdown", "rounds"}


def _build(raw: Mapping[str, Any], path: str) -> Scenario:
    _unknown_keys(raw, _TOP | _EXTENSIONS, "", path)
    version = raw.get("schema_version")
    if type(version) is not int or version != SCHEMA_VERSION:
        raise ScenarioError(
            f"schema_version must be {SCHEMA_VERSION}, got {version!r}",
            key="schema_version",
            fix=f"put `schema_version = {SCHEMA_VERSION}` at the top of the file",
            file=path,
        )
    title = _text(raw, "title", "", path, required=True)
    issues = _issues(_table(raw, "issues", "", path, required=True), path)
    params = _parameters(_table(raw, "parameters", "", path), path)
    definitions = _definitions(_table(raw, "definitions", "", path), path)
    outputs = _definitions(_table(raw, "outputs", "", path), path, section="outputs")
    _distinct_names(issues, params, definitions, path)
    parties = _parties(_table(raw, "parties", "", path, required=True), path)
    settings = _solve(_table(raw, "solve", "", path), parties, path)
    return Scenario(
        title=title,
        description=_text(raw, "description", "", path),
        citation=_text(raw, "citation", "", path),
        utility_unit=_text(raw, "utility_unit", "", path),
        issues=issues,
        parameters=params,
        parties=parties,
        definitions=definitions,
        outputs=outputs,
        settings=settings,
        path=path,
        extra={k: raw[k] for k in _EXTENSIONS if k in raw},
        observations=_observations(raw.get("observations"), issues, params, parties, path),
    )


def _unknown_keys(table: Mapping[str, Any], allowed: set[str], key: str, path: str) -> None:
    for name in table:
        if name not in allowed:
            where = f"{key}.{name}" if key else name
            raise ScenarioError(
                f"unknown key '{name}'", key=where, fix=suggest(name, allowed), file=path
            )


def _table(
    raw: Mapping[str, Any], name: str, key: str, path: str, required: bool = False
) -> Mapping[str, Any]:
    where = f"{key}.{name}" if key else name
    if name not in raw:
        if required:
            raise ScenarioError(
                f"the table [{where}] is missing",
                key=where,
                file=path,
                fix=f"add a [{where}] table (see docs/reference/scenario-format.md)",
            )
        return {}
    value = raw[name]
    if not isinstance(value, dict):
        raise ScenarioError(
            f"expected a table, got {_kind(value)}",
            key=where,
            file=path,
            fix=f"write it as a [{where}] table",
        )
    return value


def _kind(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def _text(raw: Mapping[str, Any], name: str, key: str, path: str, required: bool = False) -> str:
    where = f"{key}.{name}" if key else name
    if name not in raw:
        if required:
            raise ScenarioError(
                f"the key '{name}' is missing", key=where, file=path, fix=f'add {name} = "..."'
            )
        return ""
    value = raw[name]
    if not isinstance(value, str):
        raise ScenarioError(
            f"expected a string, got {_kind(value)}",
            key=where,
            file=path,
            fix=f'write {name} = "..." in quotes',
        )
    if required and not value.strip():
        raise ScenarioError("must not be empty", key=where, file=path, fix=f"give a {name}")
    return value


def _number(value: Any, key: str, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(
            f"expected a number, got {_kind(value)}",
            key=key,
            file=path,
            fix="write a plain number such as 0.5 (no quotes)",
        )
    result = float(value)
    if not math.isfinite(result):
        raise ScenarioError(
            "must be a finite number",
            key=key,
            file=path,
            fix="write a finite number (not inf or nan)",
        )
    return result


def _identifier(name: str, key: str, path: str) -> None:
    if not _IDENT.match(name) or name in _RESERVED:
        raise ScenarioError(
            f"{name!a} is not a usable name",  # !a: escaped, so the message stays one line
            key=ascii(key)[1:-1],
            file=path,
            fix="use ASCII letters, digits and _ (not starting with a digit), and not a "
            "Python keyword",
        )


def _interval(value: Any, key: str, path: str) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise ScenarioError(
            f"expected [low, high], got {_kind(value)}",
            key=key,
            file=path,
            fix="write two numbers, e.g. [0.8, 0.99]",
        )
    lo, hi = (_number(v, key, path) for v in value)
    if lo > hi:
        raise ScenarioError(
            f"low {lo:g} is above high {hi:g}",
            key=key,
            file=path,
            fix=f"swap them: [{hi:g}, {lo:g}]",
        )
    return lo, hi


def _issues(table: Mapping[str, Any], path: str) -> tuple[Issue, ...]:
    if not table:
        raise ScenarioError(
            "no issues are declared",
            key="issues",
            file=path,
            fix="declare at least one [issues.NAME] table with min and max",
        )
    issues = []
    for name, spec in table.items():
        key = f"issues.{name}"
        _identifier(name, key, path)
        spec = _table(table, name, "issues", path)
        _unknown_keys(spec, _ISSUE_KEYS, key, path)
        for bound in ("min", "max"):
            if bound not in spec:
                raise ScenarioError(
                    f"the key '{bound}' is missing",
                    key=key,
                    file=path,
                    fix=f"add {bound} = <number>",
                )
        lo = _number(spec["min"], f"{key}.min", path)
        hi = _number(spec["max"], f"{key}.max", path)
        if lo > hi:
            raise ScenarioError(
                f"min {lo:g} is above max {hi:g}", key=key, file=path, fix="swap min and max"
            )
        issues.append(
            Issue(name, lo, hi, _text(spec, "label", key, path), _text(spec, "unit", key, path))
        )
    return tuple(issues)


def _parameters(table: Mapping[str, Any], path: str) -> dict[str, Parameter]:
    params = {}
    for name in table:
        key = f"parameters.{name}"
        _identifier(name, key, path)
        spec = _table(table, name, "parameters", path)
        _unknown_keys(spec, _PARAM_KEYS, key, path)
        if "value" not in spec:
            raise ScenarioError(
                "the key 'value' is missing", key=key, file=path, fix="add value = <number>"
            )
        value = _number(spec["value"], f"{key}.value", path)
        for needed in ("unit", "source"):
            _text(spec, needed, key, path, required=True)
        rng = _interval(spec["range"], f"{key}.range", path) if "range" in spec else None
        bounds = _interval(spec["bounds"], f"{key}.bounds", path) if "bounds" in spec else None
        param = Parameter(
            name,
            value,
            spec["unit"],
            spec["source"],
            rng,
            bounds,
            _distribution(spec.get("distribution"), f"{key}.distribution", path),
            _text(spec, "note", key, path),
            _shared(spec.get("shared", False), f"{key}.shared", path),
        )
        if rng and not rng[0] <= value <= rng[1]:
            raise ScenarioError(
                f"value {value:g} lies outside its range [{rng[0]:g}, {rng[1]:g}]",
                key=f"{key}.value",
                file=path,
                fix="move the value into the range or widen the range",
            )
        if rng and bounds and not bounds[0] <= rng[0] <= rng[1] <= bounds[1]:
            raise ScenarioError(
                f"range {list(rng)} is not inside bounds {list(bounds)}",
                key=f"{key}.range",
                file=path,
                fix="narrow the range",
            )
        _check_bounds(param, value, path)
        params[name] = param
    return params


def _shared(value: Any, key: str, path: str) -> bool:
    if not isinstance(value, bool):
        raise ScenarioError(
            f"expected true or false, got {_kind(value)}",
            key=key,
            file=path,
            fix="write shared = true",
        )
    return value


def _observations(
    raw: Any, issues: tuple[Issue, ...], params: Mapping[str, Parameter], parties: Any, path: str
) -> tuple[Any, ...]:
    from .observations import parse_observations  # it imports this module's types

    return parse_observations(raw, issues, params, [p.name for p in parties], path)


def _check_bounds(param: Parameter, value: float, path: str) -> None:
    if param.bounds and not param.bounds[0] <= value <= param.bounds[1]:
        lo, hi = param.bounds
        raise ScenarioError(
            f"value {value:g} lies outside its bounds [{lo:g}, {hi:g}]",
            key=f"parameters.{param.name}.value",
            file=path,
            fix=f"choose a value between {lo:g} and {hi:g}",
        )


def _distribution(spec: Any, key: str, path: str) -> dict[str, Any] | None:
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise ScenarioError(
            f"expected a table, got {_kind(spec)}",
            key=key,
            file=path,
            fix='write e.g. {type = "uniform", low = 0.1, high = 0.3}',
        )
    kind = spec.get("type")
    if kind not in _DISTRIBUTIONS:
        raise ScenarioError(
            f"unknown distribution type {kind!r}",
            key=f"{key}.type",
            file=path,
            fix=suggest(str(kind), _DISTRIBUTIONS),
        )
    needed = _DISTRIBUTIONS[kind]
    _unknown_keys(spec, {"type", *needed}, key, path)
    values = {}
    for name in needed:
        if name not in spec:
            raise ScenarioError(
                f"a {kind} distribution needs '{name}'",
                key=key,
                file=path,
                fix=f"add {name} = <number>",
            )
        values[name] = _number(spec[name], f"{key}.{name}", path)
    if "low" in values and values["low"] > values["high"]:
        raise ScenarioError("low is above high", key=key, file=path, fix="swap low and high")
    if kind == "triangular" and not values["low"] <= values["mode"] <= values["high"]:
        raise ScenarioError(
            "mode must lie between low and high",
            key=key,
            file=path,
            fix="move the mode into [low, high]",
        )
    if "sd" in values and values["sd"] <= 0:
        raise ScenarioError(
            "sd must be positive",
            key=f"{key}.sd",
            file=path,
            fix="give a positive standard deviation",
        )
    return {"type": kind, **values}


def _definitions(
    table: Mapping[str, Any], path: str, section: str = "definitions"
) -> dict[str, Formula]:
    """Named formulas of a [definitions] or [outputs] table."""
    out: dict[str, Formula] = {}
    for name, value in table.items():
        key = f"{section}.{name}"
        _identifier(name, key, path)
        out[name] = _formula(value, key, path)
    return out


def _formula(value: Any, key: str, path: str) -> Formula:
    if isinstance(value, str):
        return value
    return (
        _number(value, key, path)
        if isinstance(value, int | float) and not isinstance(value, bool)
        else _bad_formula(value, key, path)
    )


def _bad_formula(value: Any, key: str, path: str) -> Formula:
    raise ScenarioError(
        f"expected a formula or a number, got {_kind(value)}",
        key=key,
        file=path,
        fix='write a number or a formula in quotes, e.g. "0.5 * x"',
    )


def _distinct_names(
    issues: tuple[Issue, ...],
    params: Mapping[str, Parameter],
    definitions: Mapping[str, Formula],
    path: str,
) -> None:
    seen: dict[str, str] = {}
    for section, names in (
        ("issues", [i.name for i in issues]),
        ("parameters", list(params)),
        ("definitions", list(definitions)),
    ):
        for name in names:
            if name in seen:
                raise ScenarioError(
                    f"the name '{name}' is used in both [{seen[name]}] and [{section}]",
                    key=f"{section}.{name}",
                    file=path,
                    fix="rename one of them",
                )
            seen[name] = section


def _parties(table: Mapping[str, Any], path: str) -> tuple[Party, Party]:
    if len(table) != 2:
        names = ", ".join(table) or "none"
        raise ScenarioError(
            f"exactly two parties are needed, found {len(table)} ({names})",
            key="parties",
            file=path,
            fix="bargain models two-party negotiations: keep two [parties.X] "
            "tables (merge allies into one party)",
        )
    parties = []
    for name in table:
        key = f"parties.{name}"
        _identifier(name, key, path)
        spec = _table(table, name, "parties", path)
        _unknown_keys(spec, _PARTY_KEYS, key, path)
        if "utility" not in spec:
            raise ScenarioError(
                "the key 'utility' is missing",
                key=key,
                file=path,
                fix='add utility = "<formula>" or a [' + key + ".utility] table",
            )
        parties.append(
            Party(
                name=name,
                label=_text(spec, "label", key, path) or name,
                utility=_utility(spec["utility"], f"{key}.utility", path),
                disagreement=_formula(spec.get("disagreement", 0.0), f"{key}.disagreement", path),
                discount=_formula(spec.get("discount", 1.0), f"{key}.discount", path),
                outside_option=(
                    _formula(spec["outside_option"], f"{key}.outside_option", path)
                    if "outside_option" in spec
                    else None
                ),
                power=_formula(spec["power"], f"{key}.power", path) if "power" in spec else None,
                cost_per_round=_formula(
                    spec.get("cost_per_round", 0.0), f"{key}.cost_per_round", path
                ),
            )
        )
    return parties[0], parties[1]


def _utility(value: Any, key: str, path: str) -> dict[str, Formula]:
    if isinstance(value, dict):
        if not value:
            raise ScenarioError(
                "the utility table is empty",
                key=key,
                file=path,
                fix='add at least one component, e.g. gain = "x"',
            )
        out = {}
        for name, formula in value.items():
            _identifier(name, f"{key}.{name}", path)
            out[name] = _formula(formula, f"{key}.{name}", path)
        return out
    return {"utility": _formula(value, key, path)}


def _solve(table: Mapping[str, Any], parties: tuple[Party, Party], path: str) -> SolveSettings:
    _unknown_keys(table, _SOLVE_KEYS, "solve", path)
    names = [p.name for p in parties]
    first = table.get("first_proposer", names[0])
    if first not in names:
        raise ScenarioError(
            f"first_proposer {first!r} is not a party",
            key="solve.first_proposer",
            file=path,
            fix=suggest(str(first), names),
        )
    breakdown = _formula(table.get("breakdown", 0.0), "solve.breakdown", path)
    rounds = table.get("rounds", 0)
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 0:
        raise ScenarioError(
            f"rounds must be a whole number >= 0, got {rounds!r}",
            key="solve.rounds",
            file=path,
            fix="use 0 for no deadline or T > 0 for a T-round deadline",
        )
    return SolveSettings(first_proposer=first, breakdown=breakdown, rounds=rounds)
