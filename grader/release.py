"""Generate the student version of a solved reference notebook (`grade release`).

Markers, shared by every reference notebook of the course:

* code cells: every block from a line `### BEGIN SOLUTION` to a line `### END SOLUTION`
  (markers included) becomes one line `raise NotImplementedError()` at the BEGIN marker's
  indentation, so a graded `def` survives and its stub raises only when called;
* markdown cells: every region `<!-- BEGIN SOLUTION -->` ... `<!-- END SOLUTION -->` (markers
  included, inline or over several lines) becomes `YOUR ANSWER HERE`.

Outputs and execution counts are cleared, notebook and cell metadata are reduced to a short
allow-list, cell ids are kept (or generated where missing or duplicated), and the result is
nbformat 4.5 valid. Unbalanced or nested markers, or a marker left in any other form, raise
`SolutionMarkerError` naming the cell: the reference notebook is broken, which is a grader fault.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from grader.errors import GraderError

CODE_BEGIN = "### BEGIN SOLUTION"
CODE_END = "### END SOLUTION"
CODE_STUB = "raise NotImplementedError()"
MARKDOWN_STUB = "YOUR ANSWER HERE"
_MD_MARKER = re.compile(r"<!--\s*(BEGIN|END) SOLUTION\s*-->")
_ANY_MARKER = re.compile(r"(BEGIN|END)\s+SOLUTION")
_VALID_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")

NOTEBOOK_METADATA_KEPT = ("kernelspec", "language_info")
CELL_METADATA_KEPT = ("tags", "editable", "deletable", "slideshow")

MSG_NESTED = "{where}: a {begin!r} marker inside an open solution block (nested markers)"
MSG_STRAY_END = "{where}: an {end!r} marker without a matching {begin!r}"
MSG_UNCLOSED = "{where}: a {begin!r} marker is never closed by {end!r}"
MSG_LEFTOVER = "{where}: solution marker text left after release: {text!r}"


class SolutionMarkerError(GraderError):
    """A reference notebook's solution markers are unbalanced, nested or malformed.

    Attributes:
        cell: 1-based position of the offending cell among all cells.
        cell_type: "code", "markdown" or "raw".
        line: 1-based line of the offending marker inside the cell's source (0 if unknown).
        problem: what is wrong, in words.
    """

    def __init__(self, cell: int, cell_type: str, line: int, problem: str) -> None:
        self.cell = cell
        self.cell_type = cell_type
        self.line = line
        self.problem = problem
        super().__init__(problem)

    @classmethod
    def build(cls, cell: int, cell_type: str, line: int, template: str,
              **fields: Any) -> SolutionMarkerError:
        """Fill a message template with `where` ("cell 4 (code), line 7") and `fields`."""
        where = f"cell {cell} ({cell_type})" + (f", line {line}" if line else "")
        return cls(cell, cell_type, line, template.format(where=where, **fields))

    def __reduce__(self) -> tuple[type[SolutionMarkerError], tuple[int, str, int, str]]:
        return (SolutionMarkerError, (self.cell, self.cell_type, self.line, self.problem))


def release_notebook(nb: NotebookNode) -> NotebookNode:
    """Return the student version of a solved notebook; `nb` itself is not modified.

    Args:
        nb: a v4 notebook (as read by `nbformat.read(..., as_version=4)`).

    Returns:
        A new, nbformat-valid notebook: solutions replaced by stubs, outputs cleared.

    Raises:
        SolutionMarkerError: markers are unbalanced, nested, or left in a form not recognised.
    """
    out = copy.deepcopy(nb)
    out.nbformat, out.nbformat_minor = 4, max(5, int(out.get("nbformat_minor", 5)))
    out.metadata = _kept(out.get("metadata", {}), NOTEBOOK_METADATA_KEPT)
    seen_ids: set[str] = set()
    for index, cell in enumerate(out.cells, start=1):
        cell.source = _release_source(cell.cell_type, cell.source, index)
        _clean_cell(cell, index, seen_ids)
        _assert_no_marker(cell, index)
    nbformat.validate(out)
    return out


def write_student_version(reference_notebook: Path, out_dir: Path, name: str | None = None) -> Path:
    """Read a reference notebook, release it and write the student version into `out_dir`.

    Args:
        reference_notebook: the solved `.ipynb`.
        out_dir: the folder to write into (created if missing).
        name: the file name to write (default: the reference notebook's file name).

    Returns:
        The path of the written student notebook.
    """
    file_name = name if name is not None else reference_notebook.name
    if not file_name or Path(file_name).name != file_name:
        raise ValueError(f"name must be a plain file name, got {file_name!r}")
    nb = nbformat.read(reference_notebook, as_version=4)
    student = release_notebook(nb)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / file_name
    nbformat.write(student, target)
    return target


# ----------------------------------------------------------------------------- sources
def _release_source(cell_type: str, source: str | list[str], index: int) -> str:
    if isinstance(source, list):
        source = "".join(source)
    if cell_type == "code":
        return _release_code(source, index)
    if cell_type == "markdown":
        return _release_markdown(source, index)
    return source


def _release_code(source: str, index: int) -> str:
    """Replace each `### BEGIN SOLUTION` .. `### END SOLUTION` block by an indented stub."""
    kept: list[str] = []
    open_line = 0
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        marker = line.strip()
        if marker == CODE_BEGIN:
            if open_line:
                raise SolutionMarkerError.build(index, "code", number, MSG_NESTED, begin=CODE_BEGIN)
            open_line = number
            indent = line[: len(line) - len(line.lstrip())]
            newline = "\n" if line.endswith("\n") else ""
            kept.append(f"{indent}{CODE_STUB}{newline}")
        elif marker == CODE_END:
            if not open_line:
                raise SolutionMarkerError.build(
                    index, "code", number, MSG_STRAY_END, begin=CODE_BEGIN, end=CODE_END)
            open_line = 0
        elif not open_line:
            kept.append(line)
    if open_line:
        raise SolutionMarkerError.build(
            index, "code", open_line, MSG_UNCLOSED, begin=CODE_BEGIN, end=CODE_END)
    released = "".join(kept)
    return released if source.endswith("\n") else released.removesuffix("\n")


def _release_markdown(source: str, index: int) -> str:
    """Replace each `<!-- BEGIN SOLUTION -->` .. `<!-- END SOLUTION -->` region by the stub."""
    pieces: list[str] = []
    position = 0
    begin: re.Match[str] | None = None
    for match in _MD_MARKER.finditer(source):
        line = source.count("\n", 0, match.start()) + 1
        if match.group(1) == "BEGIN":
            if begin is not None:
                raise SolutionMarkerError.build(
                    index, "markdown", line, MSG_NESTED, begin=match.group(0))
            pieces.append(source[position:match.start()])
            begin = match
        else:
            if begin is None:
                raise SolutionMarkerError.build(
                    index, "markdown", line, MSG_STRAY_END,
                    begin="<!-- BEGIN SOLUTION -->", end=match.group(0))
            pieces.append(MARKDOWN_STUB)
            position = match.end()
            begin = None
    if begin is not None:
        line = source.count("\n", 0, begin.start()) + 1
        raise SolutionMarkerError.build(
            index, "markdown", line, MSG_UNCLOSED, begin=begin.group(0),
            end="<!-- END SOLUTION -->")
    pieces.append(source[position:])
    return "".join(pieces)


def _assert_no_marker(cell: NotebookNode, index: int) -> None:
    """Refuse to hand out a cell that still mentions a marker (a malformed or misplaced one)."""
    for number, line in enumerate(cell.source.splitlines(), start=1):
        if _ANY_MARKER.search(line):
            raise SolutionMarkerError.build(
                index, cell.cell_type, number, MSG_LEFTOVER, text=line.strip())


# ----------------------------------------------------------------------------- cells
def _clean_cell(cell: NotebookNode, index: int, seen_ids: set[str]) -> None:
    """Clear outputs, reduce metadata, and make sure the cell has a valid, unique id."""
    cell.metadata = _kept(cell.get("metadata", {}), CELL_METADATA_KEPT)
    tags = [t for t in cell.metadata.get("tags", []) if "solution" not in str(t).lower()]
    if tags:
        cell.metadata["tags"] = tags
    else:
        cell.metadata.pop("tags", None)
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
    if "attachments" in cell:
        used = {k: v for k, v in cell.attachments.items() if f"attachment:{k}" in cell.source}
        if used:
            cell.attachments = NotebookNode(used)
        else:
            del cell["attachments"]
    cell_id = str(cell.get("id", ""))
    if not _VALID_ID.match(cell_id) or cell_id in seen_ids:
        cell_id = _fresh_id(index, seen_ids)
    cell.id = cell_id
    seen_ids.add(cell_id)


def _fresh_id(index: int, seen_ids: set[str]) -> str:
    """A deterministic id, so releasing the same notebook twice gives the same file."""
    candidate, suffix = f"cell-{index}", 0
    while candidate in seen_ids:
        suffix += 1
        candidate = f"cell-{index}-{suffix}"
    return candidate


def _kept(metadata: Any, keys: tuple[str, ...]) -> NotebookNode:
    return NotebookNode({k: copy.deepcopy(metadata[k]) for k in keys if k in metadata})
