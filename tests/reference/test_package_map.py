"""The seed-to-function map in reference/__init__.py names functions that exist, documented."""

from __future__ import annotations

import importlib
import re

import pytest

import reference

_PARTS = re.split(r"^=+ +=+$", reference.__doc__ or "", flags=re.M)
TABLE = _PARTS[1] if len(_PARTS) == 3 else ""
ENTRIES = sorted(set(re.findall(r"\b([a-z][a-z_0-9]*)\.([A-Za-z][A-Za-z_0-9]*)\b", TABLE)))


def test_the_map_lists_every_reference_module() -> None:
    modules = {m for m, _ in ENTRIES}
    assert len(ENTRIES) > 40
    assert modules >= {"adam", "mlp", "sigmoid", "xor", "conv3d", "bump", "shortcut", "quadratic",
                       "line_search", "dropout", "training", "minimisation", "architecture"}


@pytest.mark.parametrize(("module", "name"), ENTRIES, ids=[f"{m}.{n}" for m, n in ENTRIES])
def test_each_mapped_function_exists_and_has_a_docstring(module: str, name: str) -> None:
    obj = getattr(importlib.import_module(f"reference.{module}"), name)
    if callable(obj):
        assert obj.__doc__ and len(obj.__doc__.strip()) > 20
