"""Build the example uploads in submissions/ from the reference notebooks and one table.

    python tools/build_uploads.py           # (re)write every upload listed in the table
    python tools/build_uploads.py --check   # exit 1 if an upload is out of date or not listed

`submissions/uploads.toml` describes every upload as its assignment's reference notebook
(`reference/notebooks/<folder>.ipynb`) plus an edit, with the grade it must get; its header says
how an upload is made. `read_table` is the one reader of that table: the tests take the expected
outcomes from it too. The files are byte-reproducible (the reference's cell ids, fixed zip
timestamps, a PDF written here), so `--check` compares bytes and starts no kernel.
"""

from __future__ import annotations

import argparse
import copy
import io
import re
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import nbformat
from nbformat import NotebookNode

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = ROOT / "submissions"
TABLE = SUBMISSIONS / "uploads.toml"
NOTEBOOKS = ROOT / "reference" / "notebooks"
CODE_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
MD_MARKERS = ("<!-- BEGIN SOLUTION -->", "<!-- END SOLUTION -->")
TEAM_REGION = re.compile(r"<!-- BEGIN SOLUTION -->\n.*?\n<!-- END SOLUTION -->", re.S)
ZIP_DATE = (2021, 1, 5, 21, 30, 0)      # fixed member timestamps: reproducible zip bytes
MACOS_ENTRY = b"\x00\x05\x16\x07"       # what macOS' "Compress" adds (the grader ignores it)
STATUSES = ("graded", "rejected", "run-error", "timeout", "crashed")
EditKind = Literal["replace", "append", "delete"]


@dataclass(frozen=True)
class Member:
    """A team member as the team cell lists them (id and user where the assignment asks)."""

    name: str
    id: str = ""
    user: str = ""


@dataclass(frozen=True)
class Edit:
    """One change: replace `text` (once in the notebook) by `new`, append a code cell `text`,
    or delete every cell containing `text`."""

    kind: EditKind
    text: str
    new: str = ""


@dataclass(frozen=True)
class ZipLayout:
    """What a zip upload holds: the notebook, the PDF unless `pdf` is False, a second notebook
    if `draft`, everything inside `folder` (then with a __MACOSX entry)."""

    notebook_name: str
    pdf_name: str
    pdf_text: str
    draft_name: str
    folder: str = ""
    pdf: bool = True
    draft: bool = False


@dataclass(frozen=True)
class Expect:
    """The grade an upload must get; `failing` (graded uploads only) the checks that do not pass."""

    status: str
    score: float
    failing: frozenset[str] | None = None
    message: str = ""


@dataclass(frozen=True)
class Upload:
    """One row of the table: the file (relative to submissions/), how it is made, its grade."""

    file: str
    note: str
    team: tuple[Member, ...]
    team_text: str
    edits: tuple[Edit, ...]
    zip: ZipLayout | None
    expect: Expect

    @property
    def assignment(self) -> str:
        """The folder, which is also the rubric and reference notebook id."""
        return self.file.split("/")[0]

    @property
    def path(self) -> Path:
        return SUBMISSIONS / self.file


# ----------------------------------------------------------------------------- the table
def _keys(table: dict[str, Any], allowed: set[str], where: str) -> dict[str, Any]:
    unknown = set(table) - allowed
    if unknown:
        raise ValueError(f"{TABLE.name}: {where}: unknown key(s) {sorted(unknown)}")
    return table


def _edits(raw: list[dict[str, Any]], shared: dict[str, Any], where: str) -> tuple[Edit, ...]:
    edits: list[Edit] = []
    for item in raw:
        _keys(item, {"replace", "with", "append", "delete", "use"}, where)
        if "use" in item:
            edits += _edits(shared[item["use"]], shared, f"{where} (edits.{item['use']})")
        elif "replace" in item:
            edits.append(Edit("replace", item["replace"], item["with"]))
        elif "append" in item:
            edits.append(Edit("append", item["append"].strip("\n")))
        else:
            edits.append(Edit("delete", item["delete"]))
    return tuple(edits)


def _team_text(members: tuple[Member, ...], style: dict[str, str]) -> str:
    rows = [style["member"].format(name=m.name, id=m.id, user=m.user) for m in members]
    return "\n".join(([style["header"]] if "header" in style else []) + rows)


def _expect(raw: dict[str, Any], where: str) -> Expect:
    _keys(raw, {"status", "score", "failing", "message"}, f"{where}: expect")
    if raw["status"] not in STATUSES or ("failing" in raw) != (raw["status"] == "graded"):
        raise ValueError(
            f"{TABLE.name}: {where}: a status of {STATUSES}; `failing` for graded only")
    failing = frozenset(raw["failing"]) if "failing" in raw else None
    return Expect(raw["status"], float(raw["score"]), failing, raw.get("message", ""))


def _upload(raw: dict[str, Any], data: dict[str, Any]) -> Upload:
    where = raw.get("file", "an upload without `file`")
    _keys(raw, {"file", "note", "team", "edit", "zip", "expect"}, where)
    folder = raw["file"].split("/")[0]
    team = tuple(Member(**_keys(m, {"name", "id", "user"}, f"{where}: team")) for m in raw["team"])
    layout = None
    if raw["file"].endswith(".zip"):
        layout = ZipLayout(**data["zip"][folder], **_keys(raw.get("zip", {}),
                                                          {"folder", "pdf", "draft"}, where))
    return Upload(raw["file"], raw.get("note", ""), team, _team_text(team, data["team"][folder]),
                  _edits(raw.get("edit", []), data.get("edits", {}), where), layout,
                  _expect(raw["expect"], where))


@cache
def read_table(path: Path = TABLE) -> tuple[Upload, ...]:
    """Every upload of the table, in its order (unknown keys and bad outcomes raise ValueError)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    _keys(data, {"team", "zip", "edits", "upload"}, "top level")
    return tuple(_upload(raw, data) for raw in data["upload"])


# ----------------------------------------------------------------------------- building
@cache
def reference(assignment: str) -> NotebookNode:
    return nbformat.read(NOTEBOOKS / f"{assignment}.ipynb", as_version=4)


def student_copy(solved: NotebookNode, team_text: str) -> NotebookNode:
    """The solved notebook as a student would upload it: their team, no markers, no outputs."""
    nb = copy.deepcopy(solved)
    team = nb.cells[0]
    team.source, found = TEAM_REGION.subn(lambda _: team_text, team.source, count=1)
    if not found:
        raise ValueError("the first cell of the reference has no solution region for the team")
    for cell in nb.cells[1:]:
        markers = CODE_MARKERS if cell.cell_type == "code" else MD_MARKERS
        cell.source = "\n".join(line for line in cell.source.split("\n")
                                if line.strip() not in markers)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def apply_edit(nb: NotebookNode, edit: Edit, prefix: str) -> None:
    """Apply one edit in place (new cells get the id `<prefix>-NN`, NN their position)."""
    if edit.kind == "replace":
        hits = sum(c.source.count(edit.text) for c in nb.cells)
        if hits != 1:
            raise ValueError(f"{edit.text!r} occurs {hits} times (exactly once is required)")
        cell = next(c for c in nb.cells if edit.text in c.source)
        cell.source = cell.source.replace(edit.text, edit.new)
    elif edit.kind == "append":
        cell = nbformat.v4.new_code_cell(edit.text)
        cell.id = f"{prefix}-{len(nb.cells) + 1:02d}"
        nb.cells.append(cell)
    else:
        kept = [c for c in nb.cells if edit.text not in c.source]
        if len(kept) == len(nb.cells):
            raise ValueError(f"no cell contains {edit.text!r}")
        nb.cells = kept


def notebook_bytes(upload: Upload) -> bytes:
    """The uploaded notebook's file: the reference plus the row's team and edits."""
    nb = student_copy(reference(upload.assignment), upload.team_text)
    for edit in upload.edits:
        apply_edit(nb, edit, upload.assignment)
    nbformat.validate(nb)
    return (nbformat.writes(nb) + "\n").encode("utf-8")


def minimal_pdf(text: str) -> bytes:
    """A small, valid one-page PDF showing one line of `text` (ASCII)."""
    stream = f"BT /F1 14 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += (b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objects) + 1, xref))
    return bytes(out)


def zip_members(layout: ZipLayout, notebook: bytes) -> list[tuple[str, bytes]]:
    """The members of a zip upload, in order."""
    members = [(f"{layout.folder}{layout.notebook_name}", notebook)]
    if layout.pdf:
        members.append((f"{layout.folder}{layout.pdf_name}", minimal_pdf(layout.pdf_text)))
    if layout.draft:
        members.append((f"{layout.folder}{layout.draft_name}", notebook))
    if layout.folder:
        members.append((f"__MACOSX/{layout.folder}._{layout.notebook_name}", MACOS_ENTRY))
    return members


def make_zip(members: list[tuple[str, bytes]]) -> bytes:
    """A deflated zip of (name, bytes) members with fixed timestamps."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buffer.getvalue()


def build(upload: Upload) -> bytes:
    """The upload's file content."""
    notebook = notebook_bytes(upload)
    return notebook if upload.zip is None else make_zip(zip_members(upload.zip, notebook))


# ----------------------------------------------------------------------------- command
def stale_files(uploads: tuple[Upload, ...]) -> list[str]:
    """Uploads whose file differs from what the table builds, and files the table does not list."""
    listed = {u.file for u in uploads}
    on_disk = {p.relative_to(SUBMISSIONS).as_posix() for p in SUBMISSIONS.rglob("*")
               if p.suffix.lower() in (".ipynb", ".zip")}
    stale = [f"out of date: {u.file}" for u in uploads
             if not u.path.is_file() or u.path.read_bytes() != build(u)]
    return stale + [f"not in {TABLE.name}: {name}" for name in sorted(on_disk - listed)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if an upload is out of date or not in the table")
    args = parser.parse_args(argv)
    uploads = read_table()
    if args.check:
        problems = stale_files(uploads)
        for line in problems:
            print(line, file=sys.stderr)
        return 1 if problems else 0
    for upload in uploads:
        upload.path.parent.mkdir(parents=True, exist_ok=True)
        upload.path.write_bytes(build(upload))
        print(f"wrote submissions/{upload.file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
