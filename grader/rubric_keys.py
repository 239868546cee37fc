"""Every rubric key, declared once: its TOML type, default, description and rule.

The tables (`TOP_KEYS`, `LIMITS_KEYS`, ..., `CHECK_KEYS`) drive the validation in `grader.rubric`;
a key's default is the dataclass field's (`grader.rubric_types`) unless the table gives one.
`describe_keys()` lists them for docs/add-an-assignment.md (tools/rubric_keys_table.py).
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable

from grader.lateness import Deadline, zone_problem
from grader.probe_runtime import DRIVERS
from grader.rubric_types import CheckSpec, Limits, Rubric, TeamRule, ZipRule


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
    ("kit_description", STRING, "what the check kit says instead of description (it must not "
     "state the answer); default: a neutral line naming the function and what is compared"),
    ("outputs", STRINGS, "the returned values' names as messages call them, one per item of a "
     "returned tuple (or one for a single value or a list); used where the assignment's "
     "_feedback module declares none (a check kit carries them)",
     _rule(lambda v: bool(v) and all(s.strip() for s in v), "must list at least one name")),
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
    "figure": ("symbol", "symbols", "reference", "inputs", "driver", "compare", "outputs"),
    "manual": ("symbol", "symbols", "reference", "inputs", "driver", "compare", "rtol", "atol",
               "timeout", "kit_description", "outputs"),
}


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
