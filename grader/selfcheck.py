"""`grade release` and `grade selfcheck`: the assignments' reference notebooks and handouts.

A rubric's reference notebook is `<rubrics dir>/<id>.ipynb` when a course ships its own, else the
project's `reference/notebooks/<id>.ipynb`.
"""

from __future__ import annotations

import dataclasses
import io
import tempfile
import zipfile
from pathlib import Path
from typing import Callable

import nbformat

from grader import bundle
from grader.discover import Upload, upload_of
from grader.errors import UsageError
from grader.intake import Accepted, Rejected, intake
from grader.pipeline import Options, grade_accepted
from grader.release import release_notebook, write_student_version
from grader.rubric import Rubric, load_rubrics
from grader.score import Grade

SELFCHECK_PDF = b"%PDF-1.4\n% selfcheck placeholder\n%%EOF\n"


def reference_notebook(rubric: Rubric, rubrics_dir: Path) -> Path:
    """Where the rubric's solved notebook lives."""
    bundled = bundle.notebooks_dir()
    for candidate in (rubrics_dir / f"{rubric.id}.ipynb", bundled / f"{rubric.id}.ipynb"):
        if candidate.is_file():
            return candidate
    raise UsageError(f"no reference notebook for assignment {rubric.id!r} "
                     f"(looked for {rubrics_dir / (rubric.id + '.ipynb')} and {bundled})")


def rubric_named(assignment: str, rubrics_dir: Path) -> Rubric:
    """The rubric of `assignment` (a UsageError naming the known ids when there is none)."""
    rubrics = {r.id: r for r in load_rubrics(rubrics_dir)}
    if assignment not in rubrics:
        raise UsageError(f"unknown assignment {assignment!r}; known: {', '.join(sorted(rubrics))}")
    return rubrics[assignment]


def release_assignment(assignment: str, out: Path, rubrics_dir: Path) -> Path:
    """Write the student version of an assignment's reference notebook into `out`."""
    rubric = rubric_named(assignment, rubrics_dir)
    return write_student_version(reference_notebook(rubric, rubrics_dir), out, f"{rubric.id}.ipynb")


def _upload(rubric: Rubric, nb: nbformat.NotebookNode, folder: Path) -> Upload:
    """Package a notebook as an upload that the rubric's intake accepts."""
    name = rubric.example
    raw = nbformat.writes(nb).encode()
    if rubric.upload == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as zf:
            zf.writestr(f"{rubric.id}.ipynb", raw)
            zf.writestr("answers.pdf", SELFCHECK_PDF)
        raw = buffer.getvalue()
    path = folder / name
    path.write_bytes(raw)
    return upload_of(path, name)


def _grade(rubric: Rubric, nb: nbformat.NotebookNode, rubrics_dir: Path,
           team: bool) -> Grade | Rejected:
    checked = rubric if team else dataclasses.replace(rubric, team=None)
    with tempfile.TemporaryDirectory(prefix="selfcheck-") as tmp:
        verdict = intake(_upload(checked, nb, Path(tmp)), (checked,))
        if isinstance(verdict, Rejected):
            return verdict
        assert isinstance(verdict, Accepted)
        return grade_accepted(verdict, Options(rubrics_dir=rubrics_dir, pictures=False))


def check_assignment(rubric: Rubric, rubrics_dir: Path) -> tuple[bool, str]:
    """Reference: full marks. Student version: zero, stopping only at its stubs."""
    solved = nbformat.read(reference_notebook(rubric, rubrics_dir), as_version=4)
    ref = _grade(rubric, solved, rubrics_dir, team=True)
    if isinstance(ref, Rejected):
        return False, f"reference notebook rejected: {'; '.join(ref.messages)}"
    if ref.status != "graded" or ref.score != ref.max_score:
        failed = [f"{c.id}: {c.message}" for c in ref.checks if c.status != "pass"]
        return False, (f"reference notebook: {ref.status} {ref.score:g}/{ref.max_score:g} "
                       f"{'; '.join(list(ref.messages) + failed)}")
    student = _grade(rubric, release_notebook(solved), rubrics_dir, team=False)
    if isinstance(student, Rejected):
        return False, f"student version rejected: {'; '.join(student.messages)}"
    if student.score != 0:
        passed = [c.id for c in student.checks if c.status == "pass"]
        return False, f"student version scores {student.score:g} (passing: {', '.join(passed)})"
    first = student.first_error.summary() if student.first_error else ""
    other_error = first and "NotImplementedError" not in first
    if student.status not in ("graded", "run-error") or other_error:
        return False, f"student version stopped before its stubs: {student.status} {first}"
    return True, (f"reference {ref.score:g}/{ref.max_score:g} in {ref.duration:.1f} s; "
                  f"student version 0/{student.max_score:g} "
                  f"({student.status}, {first or 'no error'})")


def run(rubrics_dir: Path, echo: Callable[[str], None]) -> bool:
    """Selfcheck every rubric; one line per assignment; True when all hold."""
    ok = True
    for rubric in load_rubrics(rubrics_dir):
        passed, line = check_assignment(rubric, rubrics_dir)
        ok &= passed
        echo(f"{'ok  ' if passed else 'FAIL'} {rubric.id}: {line}")
    return ok
