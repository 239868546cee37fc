"""The notebook-format rule: UTF-8 JSON that validates as nbformat 3 or 4, read as v4.

* nbformat 3 is upgraded with `nbformat.convert` after validating it as v3; 1, 2 and 5+ are
  rejected. Missing or duplicate cell ids of a v4.5 notebook are repaired (Jupyter does the
  same), other schema errors reject with the first validation message. Validation uses
  nbformat's non-mutating `iter_validate` (what `nbformat.validate` runs after normalising).
* 4.2-4.4 notebooks whose cells carry ids (VS Code, jupytext, otter) are read as 4.5.
* A UTF-8 byte-order mark is tolerated; JSON nested deeper than MAX_JSON_DEPTH is rejected
  before nbformat sees it (hostile depth cannot recurse).
"""

from __future__ import annotations

import codecs
import json
from typing import Any

import nbformat
from nbformat.validator import iter_validate

from grader.filenames import DETAIL_CHARS, display

MAX_JSON_DEPTH = 100           # nesting of a notebook's JSON (real ones stay under 20)
RESAVE = ("open it in Jupyter, save it (File > Save Notebook) and upload the saved .ipynb file "
          "again")


def read_notebook(data: bytes, name: str) -> tuple[nbformat.NotebookNode | None, list[str]]:
    """Parse UTF-8 JSON bytes (BOM tolerated) into a validated nbformat v4 notebook."""
    shown = display(name)
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return None, [f"notebook format: {shown} is not UTF-8 text (byte 0x{data[exc.start]:02x} "
                      f"at position {exc.start}); notebooks are UTF-8 JSON. To fix it, {RESAVE}."]
    except json.JSONDecodeError as exc:
        return None, [f"notebook format: {shown} is not valid JSON (line {exc.lineno}, column "
                      f"{exc.colno}: {exc.msg}). To fix it, {RESAVE}."]
    except (ValueError, RecursionError):
        return None, [f"notebook format: {shown} is not valid JSON (nested too deeply or a "
                      f"number too long). To fix it, {RESAVE}."]
    if _depth_exceeds(raw, MAX_JSON_DEPTH):
        return None, [f"notebook format: {shown} is nested more than {MAX_JSON_DEPTH} levels "
                      f"deep, which no notebook needs. To fix it, {RESAVE}."]
    version = raw.get("nbformat") if isinstance(raw, dict) else None
    if version is None:
        return None, [f"notebook format: {shown} is not a Jupyter notebook (the JSON has no "
                      "'nbformat' field). Upload the .ipynb file that Jupyter saves."]
    if version not in (3, 4) or type(version) is not int:
        return None, [f"notebook format: {shown} is in notebook format {display(repr(version))}; "
                      f"the grader reads format 4 (and upgrades 3). To fix it, {RESAVE}."]
    try:
        return _to_v4(raw), []
    except nbformat.ValidationError as exc:
        detail = _validation_detail(exc)
    except Exception as exc:  # noqa: BLE001 - hostile JSON can break nbformat in many ways
        detail = f"{type(exc).__name__}: {exc}"[:DETAIL_CHARS]
    return None, [f"notebook format: {shown} is not a valid nbformat {version} notebook "
                  f"({detail}). To fix it, {RESAVE}."]


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether JSON data nests deeper than `limit` (iterative: hostile depth cannot recurse)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return False


def _to_v4(raw: dict[str, Any]) -> nbformat.NotebookNode:
    """Validate a v3 or v4 notebook dict and return it as a v4 NotebookNode."""
    if raw["nbformat"] == 3:
        _validate(raw)
        upgraded = nbformat.convert(nbformat.v3.to_notebook_json(raw), 4)
        raw = json.loads(nbformat.writes(upgraded, version=4))
    cells = raw.get("cells")
    if _minor(raw) < 5 and isinstance(cells, list) and any(
            isinstance(c, dict) and "id" in c for c in cells):
        # VS Code, jupytext and otter write 4.2-4.4 notebooks whose cells carry ids (Jupyter
        # opens them with a warning): read them as the 4.5 notebooks they are.
        raw["nbformat_minor"] = 5
    _repair_cell_ids(raw)
    _validate(raw)
    return nbformat.v4.to_notebook_json(raw)


def _validate(raw: dict[str, Any]) -> None:
    """nbformat's schema validation without its normalising side effects (and warnings)."""
    for error in iter_validate(raw, version=raw["nbformat"], version_minor=_minor(raw)):
        raise error


def _minor(raw: dict[str, Any]) -> int:
    minor = raw.get("nbformat_minor", 0)
    return minor if type(minor) is int else 0


def _repair_cell_ids(raw: dict[str, Any]) -> None:
    """Give v4.5+ cells that lack an id, or repeat one, a fresh unique id (in place)."""
    cells = raw.get("cells")
    if _minor(raw) < 5 or not isinstance(cells, list):
        return
    seen = {c["id"] for c in cells if isinstance(c, dict) and isinstance(c.get("id"), str)}
    used: set[str] = set()
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict):
            continue
        if not isinstance(cell.get("id"), str) or cell["id"] in used:
            new = f"cell-{i}"
            while new in seen:
                new += "x"
            cell["id"] = new
            seen.add(new)
        used.add(cell["id"])


def _validation_detail(exc: Any) -> str:
    """'cell 4: 'source' is a required property' from a jsonschema/nbformat error."""
    path = list(getattr(exc, "absolute_path", ()) or ())
    where = ""
    if len(path) >= 2 and path[0] == "cells" and isinstance(path[1], int):
        where = f"cell {path[1] + 1}: "
    elif path:
        where = "/".join(map(str, path)) + ": "
    message = str(getattr(exc, "message", exc)).splitlines()[0]
    return (where + message)[:DETAIL_CHARS]
