"""`grade check FILE`: the batch's rules for one upload, with a verdict a student understands.

The file name, intake messages, check messages and the traceback all hold text the student
controls. Everything is printed through `printable`: no escape sequence or control character
reaches the terminal, and a multi-line message is indented so it cannot fake a VERDICT line.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

import click

from grader.discover import Upload
from grader.intake import Rejected, intake
from grader.pipeline import Options, grade_accepted
from grader.rubric import load_rubrics
from grader.score import Grade
from grader.text import printable

STATUS_ADVICE = {
    "run-error": "Fix the failing cell: this assignment gives 0 points to a notebook with any error.",
    "timeout": "Make the notebook faster (smaller loops, vectorised code) or remove an endless loop.",
    "crashed": "The kernel died: look for huge allocations, os._exit/sys.exit or native crashes.",
}


def upload_for_file(path: Path) -> Upload:
    """An Upload for one file given on the command line (its name is what intake checks)."""
    data = path.read_bytes()
    return Upload(path.resolve(), path.name, hashlib.sha256(data).hexdigest(), len(data))


def _item(text: object, indent: str = "    ") -> str:
    """Student-controlled text for one list item: printable, continuation lines indented."""
    return printable(str(text)).replace("\n", "\n" + indent)


def check_file(path: Path, rubrics_dir: Path, echo: Callable[[str], None] = click.echo) -> bool:
    """Print the verdict for one upload; True when it would be accepted and runs with no errors."""
    def safe_echo(line: str) -> None:  # the last line of defence: every line printable
        echo(printable(line))

    rubrics = load_rubrics(rubrics_dir)
    upload = upload_for_file(path)
    verdict = intake(upload, rubrics)
    name = printable(path.name, multiline=False)
    if isinstance(verdict, Rejected):
        safe_echo(f"{name}: REJECTED - this upload would not be graded (nothing was run).")
        for message in verdict.messages:
            safe_echo(f"  - {_item(message)}")
        return False
    safe_echo(f"{name}: accepted for '{verdict.rubric.id}' ({verdict.rubric.title}), "
              f"group {printable(str(verdict.group), multiline=False)}")
    safe_echo("running the notebook in the grader's sandbox ...")
    grade = grade_accepted(verdict, Options(rubrics_dir=rubrics_dir, visible_only=True))
    _print_grade(grade, safe_echo)
    ok = grade.status == "graded" and grade.first_error is None
    passed = sum(c.status == "pass" for c in grade.checks)
    tally = f" Public checks: {passed} of {len(grade.checks)} pass." if grade.checks else ""
    safe_echo(f"VERDICT: OK - accepted and runs with no errors.{tally}" if ok else
              "VERDICT: NOT OK - fix the problem above before you submit.")
    return ok


def _print_grade(grade: Grade, echo: Callable[[str], None]) -> None:
    echo(f"status: {grade.status} (the notebook took {grade.notebook_seconds:.1f} s)")
    for message in grade.messages:
        echo(f"  - {_item(message)}")
    if grade.first_error is not None:
        echo("first error:")
        error = grade.first_error
        for line in printable(f"{error.summary()}\n{error.traceback}").splitlines()[:12]:
            echo(f"    {line}")
    if grade.status in STATUS_ADVICE:
        echo(STATUS_ADVICE[grade.status])
    for warning in grade.warnings:
        echo(_item(warning, indent="  "))
    if grade.checks:
        echo("public checks:")
        for c in grade.checks:
            echo(f"  {c.status.upper():8} {c.id} ({c.points:g}/{c.max_points:g}) {_item(c.message)}")
