"""grader.release: solution blocks become stubs, no solution leaks, errors name the cell."""

from __future__ import annotations

import copy
import pickle
import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
from builders import make_code, make_markdown, make_notebook
from nbformat import NotebookNode

from grader.errors import GraderError
from grader.release import (
    CODE_STUB,
    MARKDOWN_STUB,
    SolutionMarkerError,
    release_notebook,
    write_student_version,
)

ROOT = Path(__file__).resolve().parents[2]
REFERENCE_NOTEBOOKS = sorted((ROOT / "reference" / "notebooks").glob("*.ipynb"))
CODE_BEGIN, CODE_END = "### BEGIN SOLUTION", "### END SOLUTION"
MD_BEGIN, MD_END = "<!-- BEGIN SOLUTION -->", "<!-- END SOLUTION -->"
MARKER_TEXT = re.compile(r"(BEGIN|END)\s+SOLUTION")


# ----------------------------------------------------------------------------- helpers
def sources(nb: NotebookNode) -> list[str]:
    return [c.source for c in nb.cells]


def solution_and_public_lines(nb: NotebookNode) -> tuple[set[str], set[str]]:
    """Stripped, non-blank lines inside solution blocks, and those outside them."""
    inside: set[str] = set()
    outside: set[str] = set()
    for cell in nb.cells:
        begin, end = (CODE_BEGIN, CODE_END) if cell.cell_type == "code" else (MD_BEGIN, MD_END)
        text = cell.source
        if cell.cell_type != "code":  # markdown regions may be inline: put markers on own lines
            text = text.replace(begin, f"\n{begin}\n").replace(end, f"\n{end}\n")
        is_inside = False
        for line in text.splitlines():
            stripped = line.strip()
            if stripped == begin:
                is_inside = True
            elif stripped == end:
                is_inside = False
            elif stripped:
                (inside if is_inside else outside).add(stripped)
    return inside, outside


# ----------------------------------------------------------------------------- code cells
@pytest.mark.parametrize(("source", "expected"), [
    (f"x = 1\n{CODE_BEGIN}\ny = 2\n{CODE_END}\nprint(x)",
     f"x = 1\n{CODE_STUB}\nprint(x)"),
    (f"def f(x):\n    \"\"\"Doc.\"\"\"\n    {CODE_BEGIN}\n    return 2 * x\n    {CODE_END}\n",
     f"def f(x):\n    \"\"\"Doc.\"\"\"\n    {CODE_STUB}\n"),
    (f"class A:\n    def g(self):\n        {CODE_BEGIN}\n        a = 1\n\n        return a\n"
     f"        {CODE_END}",
     f"class A:\n    def g(self):\n        {CODE_STUB}"),
    (f"def f():\n    {CODE_BEGIN}\n    return 1\n    {CODE_END}\n\n\n"
     f"def g():\n\t{CODE_BEGIN}\n\treturn 2\n\t{CODE_END}",
     f"def f():\n    {CODE_STUB}\n\n\ndef g():\n\t{CODE_STUB}"),
    (f"{CODE_BEGIN}   \nsecret = 42\n{CODE_END}", CODE_STUB),
], ids=["top-level", "function-body", "nested-indent", "two-blocks-tab", "trailing-space-marker"])
def test_code_blocks_become_stubs_at_the_marker_indentation(source: str, expected: str) -> None:
    student = release_notebook(make_notebook(make_code(source)))
    assert student.cells[0].source == expected


def test_the_stub_compiles_and_raises_only_when_called() -> None:
    source = f"def f(x):\n    {CODE_BEGIN}\n    return x\n    {CODE_END}\n\nvalue = 3"
    namespace: dict[str, Any] = {}
    exec(release_notebook(make_notebook(make_code(source))).cells[0].source, namespace)  # noqa: S102
    assert namespace["value"] == 3
    with pytest.raises(NotImplementedError):
        namespace["f"](1)


# ----------------------------------------------------------------------------- markdown cells
@pytest.mark.parametrize(("source", "expected"), [
    (f"# Team\n{MD_BEGIN}\n| a | b |\n|---|---|\n{MD_END}", f"# Team\n{MARKDOWN_STUB}"),
    (f"Answer: {MD_BEGIN}42{MD_END}.", f"Answer: {MARKDOWN_STUB}."),
    (f"a) {MD_BEGIN}\none\n{MD_END}\n\nb) {MD_BEGIN}two{MD_END}\n",
     f"a) {MARKDOWN_STUB}\n\nb) {MARKDOWN_STUB}\n"),
    ("<!--BEGIN SOLUTION-->x<!--  END SOLUTION  -->", MARKDOWN_STUB),
], ids=["team-table", "inline", "two-regions", "spacing-in-comment"])
def test_markdown_regions_become_the_placeholder(source: str, expected: str) -> None:
    student = release_notebook(make_notebook(make_markdown(source)))
    assert student.cells[0].source == expected


# ----------------------------------------------------------------------------- cleaning
def test_outputs_counts_and_solution_metadata_are_cleared() -> None:
    code = make_code(f"{CODE_BEGIN}\nprint(1)\n{CODE_END}", execution_count=7,
                     outputs=[nbformat.v4.new_output("stream", name="stdout", text="1\n")],
                     metadata={"tags": ["solution", "keep-me"],
                               "execution": {"iopub.status.busy": "x"},
                               "nbgrader": {"solution": True}, "editable": False})
    nb = make_notebook(code, make_markdown("text", metadata={"nbgrader": {"grade": True}}),
                       nbgrader={"__altered__": False}, widgets={"state": {}})
    student = release_notebook(nb)
    cell = student.cells[0]
    assert cell.outputs == [] and cell.execution_count is None
    assert dict(cell.metadata) == {"tags": ["keep-me"], "editable": False}
    assert dict(student.cells[1].metadata) == {}
    assert set(student.metadata) == {"kernelspec", "language_info"}
    nbformat.validate(student)


def test_unused_attachments_are_dropped_with_their_region() -> None:
    attachment = {"image/png": "iVBORw0KGgo="}
    cell = make_markdown(f"Graph: {MD_BEGIN}![g](attachment:graph.png){MD_END} "
                         "![k](attachment:keep.png)",
                         attachments={"graph.png": attachment, "keep.png": attachment})
    student = release_notebook(make_notebook(cell))
    assert set(student.cells[0].attachments) == {"keep.png"}


def test_ids_are_kept_and_missing_or_duplicate_ids_generated() -> None:
    nb = make_notebook(make_code("a = 1", id="alpha"), make_code("b = 2", id="alpha"),
                       make_markdown("c"))
    del nb.cells[2]["id"]
    student = release_notebook(nb)
    ids = [c.id for c in student.cells]
    assert ids[0] == "alpha" and len(set(ids)) == 3
    assert student.nbformat == 4 and student.nbformat_minor >= 5
    nbformat.validate(student)


def test_an_old_notebook_without_ids_becomes_valid_4_5() -> None:
    nb = make_notebook(make_code("a = 1"), make_markdown("b"))
    nb.nbformat_minor = 4
    for cell in nb.cells:
        del cell["id"]
    student = release_notebook(nb)
    assert student.nbformat_minor == 5
    nbformat.validate(student)
    assert release_notebook(nb) == student  # generated ids are deterministic


def test_release_is_pure() -> None:
    nb = make_notebook(make_code(f"{CODE_BEGIN}\nx = 1\n{CODE_END}", execution_count=1))
    before = copy.deepcopy(nb)
    release_notebook(nb)
    assert nb == before


def test_idempotent_on_a_notebook_without_markers() -> None:
    nb = make_notebook(make_markdown("# Intro\nSome *text*."),
                       make_code("import numpy as np\nx = np.ones(3)"),
                       make_code("print(x)", execution_count=2,
                                 outputs=[nbformat.v4.new_output("stream", text="[1. 1. 1.]\n")]))
    once = release_notebook(nb)
    assert sources(once) == sources(nb)
    assert [c.id for c in once.cells] == [c.id for c in nb.cells]
    assert release_notebook(once) == once


# ----------------------------------------------------------------------------- broken markers
@pytest.mark.parametrize(("cell", "cell_number", "words"), [
    (make_code(f"x = 1\n{CODE_BEGIN}\ny = 2"), 2, "never closed"),
    (make_code(f"y = 2\n{CODE_END}"), 2, "without a matching"),
    (make_code(f"{CODE_BEGIN}\n{CODE_BEGIN}\nx\n{CODE_END}\n{CODE_END}"), 2, "nested"),
    (make_markdown(f"{MD_BEGIN} open"), 2, "never closed"),
    (make_markdown(f"close {MD_END}"), 2, "without a matching"),
    (make_markdown(f"{MD_BEGIN} a {MD_BEGIN} b {MD_END} {MD_END}"), 2, "nested"),
    (make_code("## BEGIN SOLUTION\nsecret = 1\n## END SOLUTION"), 2, "left after release"),
    (make_markdown(f"{CODE_BEGIN}\nsecret\n{CODE_END}"), 2, "left after release"),
    (nbformat.v4.new_raw_cell(f"{MD_BEGIN}secret{MD_END}"), 2, "left after release"),
], ids=["code-unclosed", "code-stray-end", "code-nested", "md-unclosed", "md-stray-end",
        "md-nested",
        "malformed-code-marker", "code-marker-in-markdown", "marker-in-raw-cell"])
def test_broken_markers_raise_an_error_naming_the_cell(cell: NotebookNode, cell_number: int,
                                                       words: str) -> None:
    nb = make_notebook(make_markdown("# Title"), cell)
    with pytest.raises(SolutionMarkerError) as info:
        release_notebook(nb)
    error = info.value
    assert isinstance(error, GraderError) and error.cell == cell_number
    assert f"cell {cell_number} ({cell.cell_type})" in str(error) and words in str(error)
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error) and again.cell == cell_number


# ----------------------------------------------------------------------------- files
def test_write_student_version(tmp_path: Path) -> None:
    ref = tmp_path / "ref" / "demo.ipynb"
    ref.parent.mkdir()
    source = f"def f():\n    {CODE_BEGIN}\n    return 1\n    {CODE_END}"
    nbformat.write(make_notebook(make_code(source)), ref)
    out = write_student_version(ref, tmp_path / "out" / "deeper")
    assert out == tmp_path / "out" / "deeper" / "demo.ipynb"
    assert nbformat.read(out, as_version=4).cells[0].source == f"def f():\n    {CODE_STUB}"
    named = write_student_version(ref, tmp_path / "out", name="handout.ipynb")
    assert named.name == "handout.ipynb" and named.exists()
    with pytest.raises(ValueError, match="plain file name"):
        write_student_version(ref, tmp_path / "out", name="../escape.ipynb")


# ----------------------------------------------------------------------------- reference notebooks
def test_there_are_reference_notebooks() -> None:
    assert {p.stem for p in REFERENCE_NOTEBOOKS} >= {"xor", "conv3d"}


@pytest.mark.parametrize("path", REFERENCE_NOTEBOOKS, ids=[p.stem for p in REFERENCE_NOTEBOOKS])
def test_student_version_of_each_reference_notebook_leaks_no_solution(path: Path,
                                                                      tmp_path: Path) -> None:
    import ast

    from IPython.core.inputtransformer2 import TransformerManager

    reference = nbformat.read(path, as_version=4)
    student = nbformat.read(write_student_version(path, tmp_path), as_version=4)
    nbformat.validate(student)
    assert len(student.cells) == len(reference.cells)
    inside, outside = solution_and_public_lines(reference)
    assert inside, "a reference notebook without any solution block"
    leaked = {line.strip() for cell in student.cells
              for line in cell.source.splitlines()} & (inside - outside)
    assert not leaked, f"solution lines left in the student version: {sorted(leaked)[:5]}"
    for number, cell in enumerate(student.cells, start=1):
        assert not MARKER_TEXT.search(cell.source), f"cell {number} still has a marker"
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            ast.parse(TransformerManager().transform_cell(cell.source))
