"""`grade check` on GitHub: workflow commands, the step summary, and GitHub Classroom's results.

`--format github` prints one GitHub Actions workflow command per problem, each pointing at the
upload (`file=`, the path as given, relative to the repository when the workflow passes it so):

    ::error file=PATH,title=rejected::MESSAGES              an upload intake would reject
    ::error file=PATH,title=cell 7 raised ...::TRACEBACK    the first failing cell
    ::error file=PATH,title=timeout|crashed::MESSAGE
    ::error file=PATH,title=check ID (0/1.5 points)::MESSAGE   each failing or erroring check
    ::notice file=PATH,title=check ID not checked::MESSAGE     a check that was not run (e.g. one
                                                              a check kit cannot decide: why)
    ::error file=PATH,title=below the required score::...   with --min-score
    ::warning file=PATH,title=grader warning::...           e.g. no OS sandbox
    ::notice file=PATH,title=public checks::4.5 of 5 points, 5 of 6 pass

No `line=`: an upload is a notebook (JSON) or a zip, whose line numbers name nothing a student
sees; the cell number is in the title. Escaping is the runner's (actions/toolkit `command.ts`):
in data `%`, CR and LF become `%25`, `%0D`, `%0A`; in properties also `:` and `,` become `%3A`
and `%2C`; text is made `printable` first, so no escape sequence or line break gets through and
nothing a student wrote can start a line of its own (a line starting with `::` is a command).
Plain lines start with "dlgrade: ".

`summary_markdown` is the Markdown appended to `$GITHUB_STEP_SUMMARY` (score and a table of the
checks; every student-controlled string has its ASCII punctuation backslash-escaped, so it
cannot become HTML, a link, a mention or a table cell of its own). `to_classroom` is the
results JSON that GitHub Classroom's autograding reporter reads (base64 in `<ID>_RESULTS`): its
points are the `score` of each test, out of `max_score`; a check a kit cannot decide is a test
"ID (decided at grading)" that passes with 0 of 0 points, never a failure.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.text import printable
from grader.verdicts import CheckRun, outcome, public_score, undecided, visible_checks

if TYPE_CHECKING:
    from grader.score import Grade

SUMMARY_MESSAGE_CHARS = 300
DATA_CHARS = 4000             # of one annotation's message (GitHub shows about that much)
CHECK_MARKS = {"pass": "pass", "fail": "FAIL", "error": "ERROR", "not-run": "not run"}


# ----------------------------------------------------------------------------- workflow commands
def escape_data(text: str) -> str:
    """The message of a workflow command: printable, `%`, CR, LF escaped."""
    return printable(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value (file=, title=): as data, and `:` and `,` escaped too."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str) -> str:
    """`::name key=value,...::message`, every part escaped."""
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    head = f"::{name} {props}" if props else f"::{name}"
    return f"{head}::{escape_data(message[:DATA_CHARS])}"


def _upload_commands(grade: Grade, run: CheckRun) -> list[str]:
    file = grade.file
    lines = []
    if grade.status == "rejected":
        lines.append(command("error", "\n".join(grade.messages), file=file,
                             title="rejected: this upload would not be graded"))
    cell = grade.first_error
    if cell is not None:
        lines.append(command("error", f"{cell.summary()}\n{cell.traceback}".rstrip("\n"), file=file,
                             title=cell.summary()))
    elif grade.status in ("timeout", "crashed", "run-error"):
        lines.append(command("error", "\n".join(grade.messages) or grade.status, file=file,
                             title=grade.status))
    for c in visible_checks(grade):
        if c.status in ("fail", "error"):
            lines.append(command("error", c.message or c.status, file=file,
                                 title=f"check {c.id} ({c.points:g}/{c.max_points:g} points)"))
        elif c.status == "not-run" and grade.status == "graded":
            lines.append(command("notice", c.message or c.status, file=file,
                                 title=f"check {c.id} not checked"))
    verdict = outcome(grade, run.min_score)
    if verdict.below_min_score:
        lines.append(command("error", verdict.reason, file=file, title="below the required score"))
    lines += [command("warning", w, file=file, title="grader warning") for w in grade.warnings]
    if grade.status == "graded":
        lines.append(command("notice", public_score(grade).describe(), file=file,
                             title="public checks"))
    state = "OK" if verdict.ok else f"NOT OK ({verdict.reason})"
    lines.append(f"dlgrade: {printable(file, multiline=False)}: {state}")
    return lines


def to_github(run: CheckRun) -> str:
    """The workflow commands for every upload, then one plain line per upload."""
    return "".join(line + "\n" for grade in run.grades for line in _upload_commands(grade, run))


# ----------------------------------------------------------------------------- step summary
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def markdown_text(text: str, limit: int = SUMMARY_MESSAGE_CHARS) -> str:
    """Student text for one Markdown table cell: one line, shortened, punctuation escaped."""
    line = " ".join(printable(text).split())
    if len(line) > limit:
        line = line[:limit] + "..."
    return _PUNCTUATION.sub(r"\\\1", line)


def _summary_block(grade: Grade, run: CheckRun) -> list[str]:
    verdict = outcome(grade, run.min_score)
    state = "OK" if verdict.ok else "NOT OK"
    lines = [f"### {state}: {markdown_text(grade.file)}", ""]
    detail = f"status **{grade.status}**"
    if grade.status == "graded":
        detail += f", public checks: {public_score(grade).describe()}"
    if not verdict.ok:
        detail += f"; {markdown_text(verdict.reason)}"
    lines += [detail, ""]
    if grade.status == "rejected":
        lines += [f"- {markdown_text(m)}" for m in grade.messages] + [""]
    cell = grade.first_error
    if cell is not None:
        lines += [f"First error: {markdown_text(cell.summary())}", ""]
    checks = visible_checks(grade)
    if checks:
        lines += ["| check | result | points | message |", "| --- | --- | ---: | --- |"]
        lines += [f"| {markdown_text(c.id)} | {CHECK_MARKS.get(c.status, c.status)} | "
                  f"{c.points:g} / {c.max_points:g} | "
                  f"{markdown_text(c.message) if c.status != 'pass' else ''} |" for c in checks]
        lines.append("")
    return lines


def summary_markdown(run: CheckRun) -> str:
    """The step summary: a heading with the threshold, then per upload its score and checks."""
    passed = sum(o.ok for o in run.outcomes())
    head = f"## dlgrade check: {passed} of {len(run.grades)} upload(s) OK"
    if run.min_score is not None:
        head += f" (minimum public score {markdown_text(run.min_score.text)})"
    lines = [head, ""]
    for grade in run.grades:
        lines += _summary_block(grade, run)
    return "\n".join(lines) + "\n"


def append_summary(path: Path, markdown: str) -> None:
    """Append to the step summary file (other steps' summaries before it are kept)."""
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(markdown)


# ----------------------------------------------------------------------------- GitHub Classroom
CLASSROOM_STATUS = {"pass": "pass", "fail": "fail", "error": "error", "not-run": "fail"}


def _classroom_tests(grade: Grade, several: bool) -> list[dict[str, Any]]:
    prefix = f"{printable(grade.file, multiline=False)}: " if several else ""
    tests: list[dict[str, Any]] = []
    verdict = outcome(grade, None)
    if not verdict.ok:
        cell = grade.first_error
        detail = f"{cell.summary()}\n{cell.traceback}" if cell else "\n".join(grade.messages)
        tests.append({"name": f"{prefix}notebook is accepted and runs", "status": "fail",
                      "score": 0, "message": printable(detail or verdict.reason)})
    for c in visible_checks(grade):
        later = undecided(c)     # decided at grading: no points at stake, never a failure here
        tests.append({"name": f"{prefix}{printable(c.id, multiline=False)}"
                              + (" (decided at grading)" if later else ""),
                      "status": "pass" if later else CLASSROOM_STATUS.get(c.status, "fail"),
                      "score": c.points, "message": printable(c.message)})
    return tests


def to_classroom(run: CheckRun) -> str:
    """The results a GitHub Classroom reporter reads: points are the public checks' points."""
    several = len(run.grades) > 1
    document = {
        "version": 1,
        "status": "pass" if run.passed else "fail",
        "max_score": sum(public_score(g).max_points for g in run.grades),
        "tests": [t for g in run.grades for t in _classroom_tests(g, several)],
    }
    return json.dumps(document, ensure_ascii=False, allow_nan=False) + "\n"
