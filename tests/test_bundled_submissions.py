"""`grade submissions/` on the bundled uploads gives each file the grade its builder documents.

The builder scripts in tools/ make every example upload and state, for each, the status and
score it must get ("graded, 6/8: ..."); this test grades the whole folder once with the real
command and holds every file to that line, and the batch to showing every status of the contract.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from tools_loader import tool

ROOT = Path(__file__).resolve().parent.parent
BUILDERS = ("build_notebooks_adam_gradients", "build_notebooks_xor_conv3d")
STATUSES = {"graded", "rejected", "run-error", "timeout", "crashed"}




def documented() -> dict[str, tuple[str, float]]:
    """submissions-relative path -> (status, score) parsed from the builders' `expected` lines."""
    table = {}
    for name in BUILDERS:
        for upload in tool(name).UPLOADS:
            found = re.match(r"(graded|rejected|run-error|timeout|crashed), (\d+(?:\.\d+)?)", upload.expected)
            assert found, upload.expected
            table[upload.path.removeprefix("submissions/")] = (found.group(1), float(found.group(2)))
    return table


DOCUMENTED = documented()


def test_every_bundled_upload_is_documented() -> None:
    on_disk = {p.relative_to(ROOT / "submissions").as_posix() for p in (ROOT / "submissions").rglob("*")
               if p.suffix in (".ipynb", ".zip")}
    assert on_disk == set(DOCUMENTED)


def test_the_bundle_shows_every_status() -> None:
    assert {status for status, _ in DOCUMENTED.values()} == STATUSES


@pytest.mark.kernel
@pytest.mark.slow
@pytest.mark.parametrize("rel", sorted(DOCUMENTED), ids=sorted(DOCUMENTED))
def test_bundled_upload_gets_its_documented_grade(bundled_grades: dict[str, Any], rel: str) -> None:
    entry = bundled_grades[rel]
    assert (entry["status"], entry["score"]) == DOCUMENTED[rel], entry["messages"]
    if entry["status"] in ("graded", "run-error", "timeout", "crashed"):
        assert entry["assignment"] == rel.split("/")[0]
