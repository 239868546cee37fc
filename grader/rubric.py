"""Load `rubrics/<id>.toml` into a frozen, validated `Rubric`.

Every key is declared once (name, type, default, description: the `*_KEYS` tables of
`grader.rubric_keys`, defaults taken from the dataclasses of `grader.rubric_types`); an unknown,
missing, ill-typed or out-of-range key is a `RubricError` naming the file and the key
(`checks[i]` counts from 0, like Python). Dotted
references (`module:attr`) to the reference callable, the input generator and a custom comparator
are resolved at load time, so a typo fails the batch before any upload runs. A course's own
module may sit next to its rubric file: the rubric's folder is on the import path while its
references are resolved (`grader.rubric_refs`; docs/add-an-assignment.md).

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
    kit_description = "one Adam step"  # what the check kit says instead (default: neutral)

    [[checks]]                        # points a tutor gives in the marking sheet (grader.marking)
    id = "theory"
    points = 7.0
    kind = "manual"                   # only id, points, visible and description (required)
    description = "Ex 6.1 and 6.3 in the PDF: ..."   # what earns the points (tutors, students)

Checks of kind "manual" are kept apart in `Rubric.manual_checks`: `Rubric.checks` (what the probe
runs and `score` sums) and `Rubric.max_score` hold the automatic checks only.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import tomllib
from pathlib import Path
from typing import Any, NoReturn

from grader.errors import RubricError
from grader.lateness import Deadline, resolve_due
from grader.rubric_keys import (
    CHECK_KEYS,
    DEADLINE_KEYS,
    KIND_FORBIDS,
    KIND_NEEDS,
    LIMITS_KEYS,
    REQUIRED,
    TEAM_KEYS,
    TOP_KEYS,
    ZIP_KEYS,
    Key,
    describe_keys,
)
from grader.rubric_refs import resolve_reference
from grader.rubric_types import CheckSpec, Limits, Rubric, TeamRule, ZipRule

# The module to import a rubric's types and the loader from (the others are its parts).
__all__ = ["CheckSpec", "Limits", "Rubric", "TeamRule", "ZipRule", "describe_keys", "load_rubric",
           "load_rubrics"]


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
    resolved: dict[str, Any] = {
        f"{name}_fn": resolve_reference(path, prefix + name, values[name])
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
