"""docs/example-course, the worked example of docs/add-an-assignment.md, really works.

The course's module `dot_grading.py` is not on sys.path: the rubric's references resolve only
because `grader.rubric` imports them with the rubric's folder on the path (in this process, in
`grade selfcheck`, and in the spawned pool workers of a batch).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.compare import Verdict
from grader.probe_runtime import plain
from grader.rubric import load_rubrics

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "example-course"
SOLVED = EXAMPLE / "dot.ipynb"


def normalise_compare() -> Any:
    """The rubric's custom comparator, resolved the way the grader resolves it."""
    (rubric,) = load_rubrics(EXAMPLE)
    return {c.id: c for c in rubric.checks}["normalise"].compare_fn


V = np.array([3.0, -4.0, 12.0])   # norm 13, 1-norm 19
UNIT = V / 13.0


@pytest.mark.parametrize(("got", "passed", "fragment"), [
    (UNIT.copy(), True, ""),
    (plain(list(UNIT)), True, ""),      # a list, as the kernel sends it back
    (V / 19.0, False, "the 1-norm"),
    (V / 169.0, False, "has length 0.0769231, not 1: did you divide by ||v||**2?"),
    (-UNIT, False, "got -0.923077, expected 0.923077 at index (2,)"),
    (UNIT[:2], False, "shape (2,), expected (3,)"),
], ids=["right", "list", "one-norm", "squared-norm", "flipped", "shape"])
def test_normalise_compare_names_the_classic_mistakes(got: Any, passed: bool,
                                                      fragment: str) -> None:
    verdict = normalise_compare()(got, UNIT)
    assert isinstance(verdict, Verdict) and verdict.passed is passed
    assert fragment in verdict.message


def test_release_writes_the_handout(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["release", "dot", "--rubrics", str(EXAMPLE),
                                       "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    handout = nbformat.read(tmp_path / "dot.ipynb", as_version=4)
    nbformat.validate(handout)
    text = "\n".join(c.source for c in handout.cells)
    assert "SOLUTION" not in text and "Ada Lovelace" not in text
    assert text.count("raise NotImplementedError()") == 3 and text.count("YOUR ANSWER HERE") == 2
    assert "def dot(a, b):" in text and "def normalise(v):" in text
    assert all(not c.get("outputs") for c in handout.cells if c.cell_type == "code")


@pytest.mark.kernel
@pytest.mark.slow
def test_selfcheck_passes() -> None:
    result = CliRunner().invoke(main, ["selfcheck", "--rubrics", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok   dot: reference 3/3"), result.output
    assert "student version 0/3 (run-error, cell 5: NotImplementedError)" in result.output


@pytest.mark.kernel
@pytest.mark.slow
def test_a_batch_grades_with_the_course_module_in_pool_workers(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    shutil.copy(SOLVED, uploads / "dot_lovelace.ipynb")
    wrong = nbformat.read(SOLVED, as_version=4)
    wrong.cells[3].source = wrong.cells[3].source.replace("np.sqrt(dot(v, v))", "dot(v, v)")
    wrong.cells[0].source = "# Your name\nAlan Turing"
    nbformat.write(wrong, uploads / "dot_turing.ipynb")
    out = tmp_path / "graded"
    result = CliRunner().invoke(main, [str(uploads), "--out", str(out), "--rubrics", str(EXAMPLE),
                                       "--workers", "2"])
    assert result.exit_code == 0, result.output
    grades = {s["file"]: s for s in json.loads((out / "grades.json").read_text())["submissions"]}
    right, squared = grades["dot_lovelace.ipynb"], grades["dot_turing.ipynb"]
    assert (right["status"], right["score"], right["max_score"]) == ("graded", 3.0, 3.0)
    checks = {c["id"]: c for c in squared["checks"]}
    assert (squared["status"], checks["dot"]["status"], checks["normalise"]["status"]) == (
        "graded", "pass", "fail")
    assert "did you divide by ||v||**2?" in checks["normalise"]["message"]
