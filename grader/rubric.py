"""Load `rubrics/<id>.toml` into a frozen, validated `Rubric`.

Every key is declared once here (name, type, default, description: the `*_KEYS` tables below,
defaults taken from the dataclasses); an unknown, missing, ill-typed or out-of-range key is a
`RubricError` naming the file and the key (`checks[i]` counts from 0, like Python). Dotted
references (`module:attr`) to the reference callable, the input generator and a custom comparator
are resolved at load time, so a typo fails the batch before any upload runs. A course's own
module may sit next to its rubric file: the rubric's folder is on the import path while its
references are resolved (see `_import`; docs/add-an-assignment.md).

TOML layout (see rubrics/*.toml for real ones)::

    id = "adam"                       # rubric id, appears in grades.json as "assignment"
    title = "Adam for regression and classification"
    pattern = '^adam_..._group_(?P<group>\\d{2})\\.ipynb$'   # full-match regex, named group "group"
    expected = "adam_..._group_NN.ipynb with a two-digit group number NN"   # named in rejections
    upload = "notebook"               # or "zip"
    zero_error = true

    [limits]                          # all optional, defaults below
    cell_timeout = 120.0              # seconds per cell
    total_timeout = 900.0             # seconds for the whole run, probes included
    memory_mb = 4096                  # address-space limit of the kernel
    disk_mb = 2048                    # what the kernel may write into its work dir
    max_upload_mb = 20

    [team]                            # optional: team information rule
    cell = 1                          # it is in the cell-th cell that is not empty (1: the
                                      # first; empty and whitespace-only cells are skipped)
    require_group_ids = false         # every id of the group (file name) must appear there
    placeholder = "YOUR NAMES HERE"   # the handout's placeholder text; still present -> rejected
    instructions = "the name of every group member"   # what the cell must hold (student messages)

    [zip]                             # required when upload = "zip"
    notebooks = 1                     # exactly this many .ipynb members
    pdfs = 1                          # exactly this many .pdf members (name any case, %PDF- magic)
    max_bytes = 50000000              # uncompressed total
    max_members = 200
    max_ratio = 200.0                 # compression ratio cap per member

    resubmission = "latest"           # a group's second upload: "latest" | "best" | "tutor"

    [deadline]                        # optional: lateness and its penalty (grader.lateness)
    due = 2026-12-01T23:59:00+01:00   # a TOML offset date-time, or a local one / "2026-12-01 23:59"
    timezone = "Europe/Berlin"        # with a local `due` (required then); checked against an
                                      # offset
    grace_minutes = 15                # on time until due + grace
    per = "day"                       # "day" | "hour": per started unit after due + grace
    amount = 0.1                      # per unit
    unit = "fraction"                 # "fraction" of the upload's total maximum | "points"
    cap = 0.5                         # most taken, in `unit` (default: no cap; never below 0)
    submitted_at = "lms-csv"          # "lms-csv" | "folder-name" | "mtime" (mtime is the fallback)

    [[checks]]
    id = "adam_step"
    points = 1.0
    kind = "call"                     # "call" | "variable" | "figure" | "manual"
    symbol = "adam_step"              # call: the student's function; variable: a name
    symbols = ["Wi", "ba"]            # variable checks reading several names (instead of symbol)
    reference = "reference.adam:adam_step"                 # callable (variable: no-arg callable)
    inputs = "grader.assignments.adam:adam_step_cases"     # (rng) -> list[Case]   (call only)
    driver = "call"                   # how the probe calls it: see grader.probe_runtime.DRIVERS
    compare = "grader.assignments.xor_compare:solves_xor"          # optional custom comparator
    rtol = 1e-6
    atol = 1e-9
    timeout = 10.0                    # seconds per call
    visible = true                    # shown to students (grade check, reports)
    description = "one Adam step against torch.optim.Adam"

    [[checks]]                        # points a tutor gives in the marking sheet (grader.marking)
    id = "theory"
    points = 7.0
    kind = "manual"                   # only id, points, visible and description (required)
    description = "Ex 6.1 and 6.3 in the PDF: ..."   # what earns the points (tutors, students)

Checks of kind "manual" are kept apart in `Rubric.manual_checks`: `Rubric.checks` (what the probe
runs and `score` sums) and `Rubric.max_score` hold the automatic checks only.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import importlib
import math
import re
import sys
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Literal, NoReturn

from grader.errors import RubricError
from grader.lateness import Deadline, resolve_due, zone_problem
from grader.probe_runtime import DRIVERS

UploadKind = Literal["notebook", "zip"]
CheckKind = Literal["call", "variable", "figure", "manual"]
Resubmission = Literal["latest", "best", "tutor"]


@dataclass(frozen=True)
class Limits:
    """Resource limits for one upload's kernel."""

    cell_timeout: float = 120.0
    total_timeout: float = 900.0
    memory_mb: int = 4096
    disk_mb: int = 2048
    max_upload_mb: float = 20.0


@dataclass(frozen=True)
class TeamRule:
    """Where the team information lives and what it must contain.

    `cell` counts only cells that are not empty (1: the first cell with any text, markdown or
    code), as `grader.team.team_cell` reads it.
    """

    cell: int = 1
    require_group_ids: bool = False
    placeholder: str | None = None
    instructions: str = "the name of every group member"


@dataclass(frozen=True)
class ZipRule:
    """What a zip upload must contain, and the caps that keep unzipping safe."""

    notebooks: int = 1
    pdfs: int = 1
    max_bytes: int = 50_000_000
    max_members: int = 200
    max_ratio: float = 200.0


@dataclass(frozen=True)
class CheckSpec:
    """One graded check of a rubric (resolved callables included)."""

    id: str
    points: float
    kind: CheckKind
    symbol: str | None = None
    symbols: tuple[str, ...] = ()
    reference: str | None = None
    inputs: str | None = None
    driver: str = "call"
    compare: str | None = None
    rtol: float = 1e-6
    atol: float = 1e-9
    timeout: float = 10.0
    visible: bool = True
    description: str = ""
    # Resolved at load time from the dotted names above (not part of equality/hash).
    reference_fn: Callable[..., Any] | None = field(default=None, compare=False, repr=False)
    inputs_fn: Callable[..., Any] | None = field(default=None, compare=False, repr=False)
    compare_fn: Callable[..., Any] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Rubric:
    """One assignment's rules, read from one TOML file."""

    id: str
    title: str
    pattern: str
    expected: str
    upload: UploadKind
    zero_error: bool
    limits: Limits
    checks: tuple[CheckSpec, ...]
    team: TeamRule | None = None
    zip: ZipRule | None = None
    path: Path | None = None
    sha256: str = ""          # of the TOML bytes: part of the "already graded" key
    example: str = ""         # a file name the pattern accepts (selfcheck, student messages)
    manual_checks: tuple[CheckSpec, ...] = ()   # kind "manual": marked by tutors, never probed
    deadline: Deadline | None = None
    resubmission: Resubmission = "latest"

    @property
    def max_score(self) -> float:
        """The automatic checks' points (what `score` in grades.json is out of)."""
        return float(sum(c.points for c in self.checks))

    @property
    def manual_max_score(self) -> float:
        """The hand-marked checks' points."""
        return float(sum(c.points for c in self.manual_checks))

    @property
    def total_max_score(self) -> float:
        """Automatic plus hand-marked points: what a fraction penalty and the final score use."""
        return self.max_score + self.manual_max_score


# ----------------------------------------------------------------------------- key table
@dataclass(frozen=True)
class ValueType:
    """A TOML value type as the rubric accepts it (bool is never a number)."""

    name: str                                   # as shown in messages: "expected a number"
    accepts: Callable[[Any], bool]
    convert: Callable[[Any], Any] = lambda v: v


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


STRING = ValueType("a string", lambda v: isinstance(v, str))
BOOLEAN = ValueType("true or false", lambda v: isinstance(v, bool))
INTEGER = ValueType("an integer", _is_int)
NUMBER = ValueType("a number",
                   lambda v: _is_int(v) or (isinstance(v, float) and math.isfinite(v)), float)
STRINGS = ValueType("a list of strings",
                    lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v), tuple)
TABLE = ValueType("a table", lambda v: isinstance(v, dict))
TABLES = ValueType("an array of tables ([[checks]])",
                   lambda v: isinstance(v, list) and all(isinstance(t, dict) for t in v))
DATE_TIME = ValueType("a date-time (2026-12-01T23:59:00+01:00) or a string",
                      lambda v: isinstance(v, (str, datetime, date)))

Rule = Callable[[Any], str | None]          # returns the problem, or None when the value is fine
REQUIRED: Any = object()                    # default of a key that must be present


@dataclass(frozen=True)
class Key:
    """One rubric key: name, type, default (REQUIRED when it must be given), description, rule."""

    name: str
    type: ValueType
    default: Any
    description: str
    rule: Rule | None = None


def _rule(test: Callable[[Any], bool], problem: str) -> Rule:
    return lambda v: None if test(v) else problem


POSITIVE = _rule(lambda v: v > 0, "must be greater than 0")
NON_NEGATIVE = _rule(lambda v: v >= 0, "must not be negative")
NON_EMPTY = _rule(lambda v: v.strip() != "", "must not be empty")
IDENTIFIER = _rule(str.isidentifier, "must be a Python identifier")
NAME = _rule(lambda v: re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]*", v) is not None,
             "must be letters, digits, '_' or '-' (it names files and CSV columns)")


def _one_of(choices: Any) -> Rule:
    return _rule(lambda v: v in choices, "must be one of " + ", ".join(map(repr, choices)))


def _pattern_rule(value: str) -> str | None:
    try:
        compiled = re.compile(value)
    except re.error as exc:
        return f"not a valid regular expression: {exc}"
    if "group" not in compiled.groupindex:
        return "must capture the group id in a named group (?P<group>...)"
    return None


def _keys(cls: type | None, *specs: tuple[Any, ...]) -> dict[str, Key]:
    """Build a key table; a key's default is the dataclass field's default unless given."""
    defaults = {f.name: f.default for f in dataclasses.fields(cls)} if cls else {}
    table = {}
    for name, vtype, description, *rest in specs:
        rule = rest[0] if rest else None
        default = rest[1] if len(rest) > 1 else defaults.get(name, dataclasses.MISSING)
        table[name] = Key(name, vtype, REQUIRED if default is dataclasses.MISSING else default,
                          description, rule)
    return table


TOP_KEYS = _keys(
    Rubric,
    ("id", STRING, "rubric id, grades.json 'assignment'", NAME),
    ("title", STRING, "the assignment's title", NON_EMPTY),
    ("pattern", STRING, "full-match regex for the upload's file name, named group 'group'",
     _pattern_rule),
    ("expected", STRING, "the expected file name in words (student messages)", NON_EMPTY),
    ("example", STRING, "a file name the pattern accepts; derived from 'expected' when absent",
     NON_EMPTY),
    ("upload", STRING, "'notebook' or 'zip'", _one_of(("notebook", "zip"))),
    ("zero_error", BOOLEAN, "any cell error scores 0 for the whole upload"),
    ("limits", TABLE, "resource limits", None, Limits()),
    ("team", TABLE, "team information rule", None, None),
    ("zip", TABLE, "zip contents and caps (required when upload = 'zip')", None, None),
    ("checks", TABLES, "the graded checks", None),
    ("deadline", TABLE, "the deadline and its late penalty", None, None),
    ("resubmission", STRING, "which upload counts when a group uploaded twice: "
     "'latest', 'best' or 'tutor' (chosen in the marking sheet)",
     _one_of(("latest", "best", "tutor"))),
)
LIMITS_KEYS = _keys(
    Limits,
    ("cell_timeout", NUMBER, "seconds one cell may run", POSITIVE),
    ("total_timeout", NUMBER, "seconds the whole run may take, probes included", POSITIVE),
    ("memory_mb", INTEGER, "address-space limit of the kernel in MB", POSITIVE),
    ("disk_mb", INTEGER, "most the kernel may write into its work dir, in MB", POSITIVE),
    ("max_upload_mb", NUMBER, "largest accepted upload in MB (10^6 bytes)", POSITIVE),
)
TEAM_KEYS = _keys(
    TeamRule,
    ("cell", INTEGER, "which cell holds the team information, counting from 1 only the cells "
     "that are not empty (empty and whitespace-only cells, markdown or code, are skipped)",
     POSITIVE),
    ("require_group_ids", BOOLEAN, "every id of the group (file name) must appear in that cell"),
    ("placeholder", STRING, "the handout's placeholder text; still present -> rejected", NON_EMPTY),
    ("instructions", STRING, "what the cell must hold, in words for students", NON_EMPTY),
)
ZIP_KEYS = _keys(
    ZipRule,
    ("notebooks", INTEGER, "number of .ipynb members (the one notebook that is run)",
     _rule(lambda v: v == 1, "must be 1 (exactly one notebook is run)")),
    ("pdfs", INTEGER, "exact number of .pdf members", NON_NEGATIVE),
    ("max_bytes", INTEGER, "cap on the total uncompressed size", POSITIVE),
    ("max_members", INTEGER, "cap on the number of entries", POSITIVE),
    ("max_ratio", NUMBER, "cap on one member's compression ratio (zip bombs)", POSITIVE),
)
DEADLINE_KEYS = _keys(
    Deadline,
    ("due", DATE_TIME, "when the assignment is due: with a UTC offset, or local with 'timezone'"),
    ("timezone", STRING, "IANA time zone of a local 'due' (e.g. 'Europe/Berlin')", zone_problem),
    ("grace_minutes", NUMBER, "minutes after 'due' that still count as on time", NON_NEGATIVE),
    ("per", STRING, "the penalty is per started 'day' or 'hour' after due + grace",
     _one_of(("day", "hour"))),
    ("amount", NUMBER, "penalty per started unit, in 'unit'", NON_NEGATIVE),
    ("unit", STRING, "'fraction' of the upload's total maximum, or 'points'",
     _one_of(("fraction", "points"))),
    ("cap", NUMBER, "the most a penalty takes, in 'unit' (absent: no cap)", POSITIVE),
    ("submitted_at", STRING, "source of the submission time: 'lms-csv', 'folder-name' or "
     "'mtime' (the file's mtime is always the unreliable fallback)",
     _one_of(("lms-csv", "folder-name", "mtime"))),
)
CHECK_KEYS = _keys(
    CheckSpec,
    ("id", STRING, "check id, grades.json 'checks[].id' and a CSV column", NAME),
    ("points", NUMBER, "points of the check", NON_NEGATIVE),
    ("kind", STRING, "'call', 'variable', 'figure' or 'manual' (points a tutor gives)",
     _one_of(("call", "variable", "figure", "manual"))),
    ("symbol", STRING, "the student's function (call) or variable name", IDENTIFIER),
    ("symbols", STRINGS, "several variable names (variable checks)",
     _rule(lambda v: bool(v) and all(s.isidentifier() for s in v),
           "must list at least one name, each a Python identifier")),
    ("reference", STRING, "'module:attr' of the reference (variable: a no-argument callable)"),
    ("inputs", STRING, "'module:attr' of the input generator (rng) -> list[Case]"),
    ("driver", STRING, "how the probe calls the function", _one_of(tuple(DRIVERS))),
    ("compare", STRING, "'module:attr' of a custom comparator"),
    ("rtol", NUMBER, "relative tolerance", NON_NEGATIVE),
    ("atol", NUMBER, "absolute tolerance", NON_NEGATIVE),
    ("timeout", NUMBER, "seconds per call", POSITIVE),
    ("visible", BOOLEAN, "shown to students"),
    ("description", STRING, "what the check tests, in words (manual: what earns the points)"),
)
# Keys a kind needs (any one of each inner tuple) and keys it would silently ignore.
KIND_NEEDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "call": (("symbol",), ("reference",), ("inputs",)),
    "variable": (("symbol", "symbols"), ("reference", "compare")),
    "figure": (),
    "manual": (("description",),),
}
KIND_FORBIDS: dict[str, tuple[str, ...]] = {
    "call": ("symbols",),
    "variable": ("inputs", "driver"),
    "figure": ("symbol", "symbols", "reference", "inputs", "driver", "compare"),
    "manual": ("symbol", "symbols", "reference", "inputs", "driver", "compare", "rtol", "atol",
               "timeout"),
}
DOTTED = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")


# ----------------------------------------------------------------------------- loading
def load_rubric(path: Path) -> Rubric:
    """Read and validate one rubric file; raise RubricError naming the file and key."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise RubricError(path, "(file)", f"cannot read the file: {exc.strerror or exc}") from exc
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise RubricError(path, "(file)", f"not UTF-8 text: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RubricError(path, "(file)", f"invalid TOML: {exc}") from exc
    top = _read_table(path, raw, TOP_KEYS, "")
    if top["upload"] == "zip" and "zip" not in top:
        _fail(path, "zip", "a [zip] table is required when upload = 'zip'")
    if top["upload"] != "zip" and "zip" in top:
        _fail(path, "zip", "a [zip] table is only used when upload = 'zip'")
    if not top["checks"]:
        _fail(path, "checks", "at least one [[checks]] table is required")
    sections = {"limits": (LIMITS_KEYS, Limits), "team": (TEAM_KEYS, TeamRule),
                "zip": (ZIP_KEYS, ZipRule)}
    for name, (keys, cls) in sections.items():
        if name in top:
            top[name] = cls(**_read_table(path, top[name], keys, name + "."))
    top.setdefault("limits", Limits())
    if "deadline" in top:
        top["deadline"] = _read_deadline(path, top["deadline"])
    top["example"] = _example(path, top)
    checks = _read_checks(path, top["checks"])
    top["checks"] = tuple(c for c in checks if c.kind != "manual")
    top["manual_checks"] = tuple(c for c in checks if c.kind == "manual")
    return Rubric(**top, path=Path(path), sha256=hashlib.sha256(data).hexdigest())


def load_rubrics(folder: Path) -> tuple[Rubric, ...]:
    """Every `*.toml` in `folder`, sorted by id; duplicate ids are a RubricError."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RubricError(folder, "(folder)", "not a folder of rubric files")
    files = sorted(p for p in folder.glob("*.toml") if not p.name.startswith("."))
    if not files:
        raise RubricError(folder, "(folder)", "holds no rubric (*.toml) file")
    by_id: dict[str, Rubric] = {}
    for rubric in map(load_rubric, files):
        if rubric.id in by_id:
            _fail(rubric.path or folder, "id",
                  f"rubric id {rubric.id!r} is also used by {by_id[rubric.id].path}")
        by_id[rubric.id] = rubric
    return tuple(by_id[i] for i in sorted(by_id))


def describe_keys() -> str:
    """Every rubric key with its type, default and description (for docs and `--help`)."""
    lines = []
    for section, keys in (("", TOP_KEYS), ("limits.", LIMITS_KEYS), ("team.", TEAM_KEYS),
                          ("zip.", ZIP_KEYS), ("deadline.", DEADLINE_KEYS),
                          ("checks[].", CHECK_KEYS)):
        for key in keys.values():
            default = "required" if key.default is REQUIRED else f"default {key.default!r}"
            lines.append(f"{section}{key.name} ({key.type.name}, {default}): {key.description}")
    return "\n".join(lines)


def _fail(path: Path | str, key: str, problem: str) -> NoReturn:
    raise RubricError(path, key, problem)


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (str, int, float)):
        text = repr(value)
        return text if len(text) <= 60 else text[:57] + "..."
    return f"a {type(value).__name__}"


def _read_table(path: Path, raw: dict[str, Any], keys: dict[str, Key], prefix: str,
                ) -> dict[str, Any]:
    """Check one TOML table against its key table; return the converted values present."""
    for name in raw:
        if name not in keys:
            near = difflib.get_close_matches(name, list(keys), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            _fail(path, prefix + name, f"unknown key{hint}; known keys: {', '.join(keys)}")
    values = {}
    for key in keys.values():
        if key.name not in raw:
            if key.default is REQUIRED:
                _fail(path, prefix + key.name, "required key is missing")
            continue
        value = raw[key.name]
        if not key.type.accepts(value):
            _fail(path, prefix + key.name, f"expected {key.type.name}, got {_shown(value)}")
        value = key.type.convert(value)
        problem = key.rule(value) if key.rule else None
        if problem:
            _fail(path, prefix + key.name, f"{problem}, got {_shown(value)}")
        values[key.name] = value
    return values


def _read_checks(path: Path, raw_checks: list[dict[str, Any]]) -> tuple[CheckSpec, ...]:
    checks: list[CheckSpec] = []
    first_index: dict[str, int] = {}
    for i, raw in enumerate(raw_checks):
        try:
            checks.append(_read_check(path, raw, f"checks[{i}].", first_index))
        except RubricError as exc:
            if not isinstance(raw.get("id"), str) or exc.key.endswith(".id"):
                raise
            raise RubricError(exc.path, exc.key, f"{exc.problem} (check {raw['id']!r})") from None
        first_index[checks[-1].id] = i
    return tuple(checks)


def _read_check(path: Path, raw: dict[str, Any], prefix: str, first_index: dict[str, int],
                ) -> CheckSpec:
    """Check one [[checks]] table, its kind's needs, and resolve its dotted references."""
    values = _read_table(path, raw, CHECK_KEYS, prefix)
    if values["id"] in first_index:
        _fail(path, prefix + "id", f"duplicate check id {values['id']!r} "
              f"(also checks[{first_index[values['id']]}])")
    kind = values["kind"]
    for needed in KIND_NEEDS[kind]:
        if not any(k in values for k in needed):
            _fail(path, prefix + needed[0], f"kind {kind!r} needs "
                  + " or ".join(repr(k) for k in needed))
    for name in KIND_FORBIDS[kind]:
        if name in values:
            _fail(path, prefix + name, f"not used by kind {kind!r}; remove it")
    if "symbol" in values and "symbols" in values:
        _fail(path, prefix + "symbols", "give either 'symbol' or 'symbols', not both")
    if kind == "manual" and not values["description"].strip():
        _fail(path, prefix + "description", "kind 'manual' needs a description of what earns "
              "the points (tutors mark by it, students read it)")
    resolved: dict[str, Any] = {f"{name}_fn": _resolve(path, prefix + name, values[name])
                for name in ("reference", "inputs", "compare") if name in values}
    return CheckSpec(**values, **resolved)


def _read_deadline(path: Path, raw: dict[str, Any]) -> Deadline:
    """Check the [deadline] table, resolve `due` to an aware datetime, check unit-wide limits."""
    values = _read_table(path, raw, DEADLINE_KEYS, "deadline.")
    try:
        values["due"] = resolve_due(values["due"], values.get("timezone", ""))
    except ValueError as exc:
        _fail(path, "deadline.due", f"{_shown(raw['due'])} {exc}")
    if values.get("unit", "fraction") == "fraction":
        for name in ("amount", "cap"):
            if values.get(name, 0.0) > 1:
                _fail(path, f"deadline.{name}", "a fraction of the maximum must be at most 1, "
                      f"got {_shown(values[name])} (unit = \"points\" for points)")
    return Deadline(**values)


def _example(path: Path, top: dict[str, Any]) -> str:
    """The given example, or one derived from `expected`; the pattern must accept it.

    Derived by taking the first word of `expected`, dropping optional "[...]" parts and filling
    "NN" and "<placeholder>" with sample ids; a pattern that accepts none is a RubricError.
    """
    pattern = re.compile(top["pattern"])
    if "example" in top:
        if not pattern.fullmatch(top["example"]):
            _fail(path, "example", f"the pattern does not accept {top['example']!r}")
        return str(top["example"])
    word = re.sub(r"\[[^\]]*\]", "", top["expected"].split()[0])
    for sample in ("01", "1234567", "jdoe42"):
        candidate = re.sub(r"<[^>]*>", sample, word)
        candidate = re.sub(r"(?<![A-Za-z])N{2,}(?![A-Za-z])",
                           lambda m: "1".zfill(len(m.group())), candidate)
        if pattern.fullmatch(candidate):
            return candidate
    _fail(path, "example", "the pattern accepts no file name derived from 'expected' "
          f"({word!r} with NN or <id> filled in); add example = \"<a file name it accepts>\"")


def _resolve(path: Path, key: str, dotted: str) -> Callable[..., Any]:
    """Import 'package.module:attr' (attr may be dotted) and return the callable."""
    if not DOTTED.fullmatch(dotted):
        _fail(path, key, f"expected 'package.module:attribute', got {dotted!r}")
    module_name, attr = dotted.split(":")
    obj: Any = _import(path, key, module_name)
    for part in attr.split("."):
        if not hasattr(obj, part):
            _fail(path, key, f"{dotted!r}: {module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        _fail(path, key, f"{dotted!r} is a {type(obj).__name__}, not a callable")
    return obj


def _import(path: Path, key: str, module_name: str) -> ModuleType:
    """Import `module_name`, with the rubric file's folder on the import path meanwhile.

    A course keeps its input generators, references and comparators in a module beside its
    rubrics (`--rubrics DIR`). The folder is appended to `sys.path` for this import only, so
    installed packages and the project's own come first; a module of the folder that one of
    those shadows (or that another folder already imported under the same name) is a
    RubricError naming both. Every process that loads rubrics (pool and Dask workers too) goes
    through here, so the module is importable wherever the rubric is.
    """
    folder = Path(path).resolve().parent
    added = str(folder) not in sys.path
    if added:
        sys.path.append(str(folder))
        importlib.invalidate_caches()  # the folder's files may be newer than the finders' view
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - any import failure is the rubric's fault
        _fail(path, key, f"cannot import {module_name!r}: {type(exc).__name__}: {exc}")
    finally:
        if added:
            sys.path.remove(str(folder))
    top = module_name.split(".")[0]
    local = (folder / f"{top}.py", folder / top / "__init__.py")
    origin = getattr(sys.modules.get(top), "__file__", None)
    if any(p.is_file() for p in local) and (
            origin is None or folder not in Path(origin).resolve().parents):
        _fail(path, key, f"{module_name!r} names a module in {folder}, but {top!r} is imported "
              f"from {origin or 'elsewhere'}; rename the module in {folder} to a name no "
              "installed package uses")
    return module
