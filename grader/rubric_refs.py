"""A rubric's dotted references (`module:attr`) resolved to callables when it is loaded.

A check names its reference, its input generator and a custom comparator as
'package.module:attribute', so a typo fails the batch before any upload runs. A course's own
module may sit next to its rubric file: that folder is on the import path while the references
are resolved (`_import_beside`; docs/add-an-assignment.md).
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from grader.errors import RubricError

DOTTED = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")


def resolve_reference(path: Path, key: str, dotted: str) -> Callable[..., Any]:
    """Import 'package.module:attr' (attr may be dotted) and return the callable."""
    if not DOTTED.fullmatch(dotted):
        raise RubricError(path, key, f"expected 'package.module:attribute', got {dotted!r}")
    module_name, attr = dotted.split(":")
    obj: Any = _import_beside(path, key, module_name)
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise RubricError(path, key, f"{dotted!r}: {module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise RubricError(path, key, f"{dotted!r} is a {type(obj).__name__}, not a callable")
    return obj


def _import_beside(path: Path, key: str, module_name: str) -> ModuleType:
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
        raise RubricError(path, key, f"cannot import {module_name!r}: {type(exc).__name__}: "
                          f"{exc}") from exc
    finally:
        if added:
            sys.path.remove(str(folder))
    top = module_name.split(".")[0]
    local = (folder / f"{top}.py", folder / top / "__init__.py")
    origin = getattr(sys.modules.get(top), "__file__", None)
    if any(p.is_file() for p in local) and (
            origin is None or folder not in Path(origin).resolve().parents):
        raise RubricError(path, key, f"{module_name!r} names a module in {folder}, but {top!r} "
                          f"is imported from {origin or 'elsewhere'}; rename the module in "
                          f"{folder} to a name no installed package uses")
    return module
