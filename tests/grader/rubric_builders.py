"""Factories for rubrics, uploads, notebooks and zips in tests (all in memory or in tmp_path).

* `make_rubric(**overrides)` / `make_xor_rubric(**overrides)`: in-memory `Rubric`s shaped like
  the adam (notebook) and xor (zip, team ids) assignments, callables already resolved.
* `rubric_dict(**overrides)` + `edit(d, "checks[0].rtol", value)` + `write_rubric(folder, d)`:
  a rubric as TOML on disk, for `load_rubric` tests (`DELETE` removes a key).
* `zip_bytes(...)`, `make_upload(folder, name, data)` (notebooks come from `builders`).
"""

from __future__ import annotations

import copy
import io
import json
import re
import warnings
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from builders import notebook_bytes

from grader.discover import Upload, upload_of
from grader.probe_runtime import plain
from grader.rubric import CheckSpec, Limits, Rubric, TeamRule, ZipRule

ADAM_PATTERN = r"^adam_regression_classification_solved_group_(?P<group>\d{2})\.ipynb$"
ADAM_EXPECTED = ("adam_regression_classification_solved_group_NN.ipynb with a two-digit group "
                 "number NN")
ADAM_NAME = "adam_regression_classification_solved_group_07.ipynb"
XOR_PATTERN = r"^sheet06_(?P<group>\d{7}(?:_\d{7}){0,2})\.zip$"
XOR_EXPECTED = "sheet06_<id>[_<id>...].zip with one to three 7-digit student ids"
XOR_NAME = "sheet06_1234567_7654321.zip"
PLACEHOLDER = "YOUR NAMES HERE"
TEAM_CELL = "# Team\nAda Lovelace, 1234567, ada.l\nAlan Turing, 7654321, alan.t"
PDF = b"%PDF-1.4\n% answers\n%%EOF\n"
REFERENCE = "grader.probe_runtime:plain"      # any importable callable will do for loading
DELETE: Any = object()


def no_cases(rng: Any) -> list[Any]:
    """An input generator with nothing to call."""
    return []


def make_check(**overrides: Any) -> CheckSpec:
    """A resolved call check worth 1 point, with any field overridden."""
    fields: dict[str, Any] = {
        "id": "adam_step", "points": 1.0, "kind": "call", "symbol": "adam_step",
        "reference": REFERENCE, "inputs": REFERENCE, "reference_fn": plain, "inputs_fn": no_cases,
    }
    fields.update(overrides)
    return CheckSpec(**fields)


def make_rubric(**overrides: Any) -> Rubric:
    """An adam-like notebook rubric (team: placeholder only), with any field overridden."""
    fields: dict[str, Any] = {
        "id": "adam", "title": "Adam for regression and classification",
        "pattern": ADAM_PATTERN, "expected": ADAM_EXPECTED, "upload": "notebook",
        "zero_error": True, "limits": Limits(), "checks": (make_check(),),
        "team": TeamRule(placeholder=PLACEHOLDER), "example": ADAM_NAME.replace("07", "01"),
        "sha256": "c" * 64,
    }
    fields.update(overrides)
    return Rubric(**fields)


def make_xor_rubric(**overrides: Any) -> Rubric:
    """An xor-like zip rubric (one notebook, one PDF, every id in the team cell)."""
    fields: dict[str, Any] = {
        "id": "xor", "title": "Computation graph and XOR", "pattern": XOR_PATTERN,
        "expected": XOR_EXPECTED, "upload": "zip", "zero_error": False,
        "team": TeamRule(require_group_ids=True,
                         instructions="each member's name, student id and Teams user name"),
        "zip": ZipRule(), "checks": (make_check(id="sigmoid", symbol="sigmoid"),),
        "example": "sheet06_1234567.zip",
    }
    fields.update(overrides)
    return make_rubric(**fields)


# ----------------------------------------------------------------------------- TOML rubrics
VALID_RUBRIC: dict[str, Any] = {
    "id": "adam",
    "title": "Adam for regression and classification",
    "pattern": ADAM_PATTERN,
    "expected": ADAM_EXPECTED,
    "upload": "notebook",
    "zero_error": True,
    "limits": {"cell_timeout": 60, "max_upload_mb": 5},
    "team": {"placeholder": PLACEHOLDER},
    "checks": [
        {"id": "adam_step", "points": 2, "kind": "call", "symbol": "adam_step",
         "reference": REFERENCE, "inputs": REFERENCE, "rtol": 1e-6},
        {"id": "h_max", "points": 1.0, "kind": "variable", "symbol": "h_max",
         "reference": REFERENCE, "atol": 1e-3},
        {"id": "figure", "points": 0.5, "kind": "figure", "visible": False},
    ],
}
XOR_ZIP = {"notebooks": 1, "pdfs": 1, "max_bytes": 10_000_000, "max_members": 50,
           "max_ratio": 100.0}


def rubric_dict(**overrides: Any) -> dict[str, Any]:
    """A deep copy of a valid rubric's TOML data, with top-level keys overridden."""
    data = copy.deepcopy(VALID_RUBRIC)
    data.update(copy.deepcopy(overrides))
    return data


def edit(data: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """Set (or, with DELETE, remove) a key by its path: "limits.cell_timeout", "checks[1].id"."""
    *parents, last = re.findall(r"[^.\[\]]+", dotted)
    node: Any = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
    index: Any = int(last) if last.isdigit() else last
    if value is DELETE:
        node.pop(index)
    else:
        node[index] = value
    return data


def toml_text(data: dict[str, Any]) -> str:
    """Serialise the subset of TOML a rubric uses (scalars, string lists, tables, [[arrays]])."""
    lines = [f"{k} = {_toml_value(v)}" for k, v in data.items()
             if not isinstance(v, dict) and not _is_tables(v)]
    for key, value in data.items():
        if isinstance(value, dict):
            lines += ["", f"[{key}]"] + [f"{k} = {_toml_value(v)}" for k, v in value.items()]
    for key, value in data.items():
        if _is_tables(value):
            for table in value:
                lines += ["", f"[[{key}]]"] + [f"{k} = {_toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def _is_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(t, dict) for t in value)


def _toml_value(value: Any) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat()                       # a TOML date-time literal, unquoted
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def write_rubric(folder: Path, data: dict[str, Any] | None = None, name: str = "adam.toml",
                 ) -> Path:
    """Write a rubric TOML file (a valid one unless `data` says otherwise); return its path."""
    path = folder / name
    path.write_text(toml_text(rubric_dict() if data is None else data), encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- uploads
def make_upload(folder: Path, name: str, data: bytes) -> Upload:
    """Write `data` as `folder/name` and describe it as `discover` would."""
    path = folder / name
    path.write_bytes(data)
    return upload_of(path, name)


def zip_bytes(members: list[tuple[str | zipfile.ZipInfo, bytes]],
              compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of (name or ZipInfo, content) pairs, duplicates allowed, in the given order."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")        # zipfile warns on duplicate names
        with zipfile.ZipFile(buffer, "w", compression) as archive:
            for name, content in members:
                archive.writestr(name, content)
    return buffer.getvalue()


def good_xor_members(folder: str = "", team: str = TEAM_CELL) -> list[tuple[str, bytes]]:
    """The notebook (team cell naming both ids) and the PDF of an xor upload."""
    return [(f"{folder}sheet06.ipynb", notebook_bytes(first=team)),
            (f"{folder}answers.pdf", PDF)]
