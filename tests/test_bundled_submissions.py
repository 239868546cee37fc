"""The bundled uploads in submissions/: built from one table, and graded as the table says.

`submissions/uploads.toml` describes every upload as its assignment's reference notebook plus an
edit, with the grade it must get; `tools/build_uploads.py` builds the files from it and its
`read_table` is the one reader of the table. This module checks that the files are what the table
builds and look like what a student hands in, then grades the whole folder once with the real
command (`bundled_grades`) and holds every upload to its row.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import nbformat
import pytest
from tools_loader import tool

from grader.release import MARKDOWN_STUB

BUILD = tool("build_uploads")
UPLOADS = BUILD.read_table()
IDS = [u.file for u in UPLOADS]
ZIPS = [u for u in UPLOADS if u.zip is not None]


def members(upload: Any) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(upload.path.read_bytes())) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def uploaded_notebook(upload: Any) -> nbformat.NotebookNode:
    if upload.zip is None:
        return nbformat.read(upload.path, as_version=4)
    data = members(upload)[f"{upload.zip.folder}{upload.zip.notebook_name}"]
    return nbformat.reads(data.decode("utf-8"), as_version=4)


def test_every_upload_is_what_the_table_builds() -> None:
    assert BUILD.stale_files(UPLOADS) == [], "run tools/build_uploads.py"


def test_the_bundle_shows_every_status() -> None:
    assert {u.expect.status for u in UPLOADS} == set(BUILD.STATUSES)


@pytest.mark.parametrize("upload", UPLOADS, ids=IDS)
def test_upload_looks_like_a_students(upload: Any) -> None:
    """Valid, no outputs, no solution markers, and the row's team in the team cell."""
    nb = uploaded_notebook(upload)
    nbformat.validate(nb)
    assert all(c.get("outputs", []) == [] for c in nb.cells)
    assert not any("SOLUTION" in c.source for c in nb.cells)
    team = nb.cells[0].source
    assert MARKDOWN_STUB not in team
    assert all(m.name in team and m.id in team for m in upload.team)
    for student_id in re.findall(r"\d{7}", upload.file):      # xor: ids in the file name
        assert (student_id in team) == any(m.id == student_id for m in upload.team), student_id


@pytest.mark.parametrize("upload", ZIPS, ids=[u.file for u in ZIPS])
def test_zip_holds_what_its_row_says(upload: Any) -> None:
    layout, found = upload.zip, members(upload)
    expected = {f"{layout.folder}{layout.notebook_name}"}
    expected |= {f"{layout.folder}{layout.pdf_name}"} if layout.pdf else set()
    expected |= {f"{layout.folder}{layout.draft_name}"} if layout.draft else set()
    expected |= {f"__MACOSX/{layout.folder}._{layout.notebook_name}"} if layout.folder else set()
    assert set(found) == expected
    if layout.pdf:
        pdf = found[f"{layout.folder}{layout.pdf_name}"]
        assert pdf.startswith(b"%PDF-") and b"%%EOF" in pdf


@pytest.mark.kernel
@pytest.mark.slow
@pytest.mark.parametrize("upload", UPLOADS, ids=IDS)
def test_bundled_upload_gets_its_grade(bundled_grades: dict[str, dict[str, Any]],
                                       upload: Any) -> None:
    entry, expect = bundled_grades[upload.file], upload.expect
    assert (entry["status"], entry["score"]) == (expect.status, expect.score), entry["messages"]
    not_passing = {c["id"] for c in entry["checks"] if c["status"] != "pass"}
    if expect.failing is not None:
        assert not_passing == expect.failing, entry["checks"]
    else:
        assert not_passing == {c["id"] for c in entry["checks"]}, entry["checks"]
    assert expect.message in " ".join(entry["messages"]), entry["messages"]
    by_name = entry["status"] == "rejected" and entry["messages"][0].startswith("file name:")
    assert entry["assignment"] == (None if by_name else upload.assignment)
