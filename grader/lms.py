"""Exports for learning-management systems, from an output folder's grades.json.

`grader.lms_records` reads a grades.json document (the contract's fields, plus the fields of
grader.totals and grader.resubmission when present) into frozen `ExportRecord`s; the writers of
`grader.lms_formats` turn them into what an LMS imports, and `export_graded` writes the files.
The grade exported is `final_score` when the record has it (empty while marks are pending), else
the automatic `score`; its maximum is `max_score` plus `manual_max_score`. Uploads that do not
count (a group's other upload, grader.resubmission) are left out; an upload with no assignment
(no rubric matched its name) cannot be exported.

* moodle: the assignment's offline grading worksheet (Moodle: Assignment > View all submissions
  > Grading action "Upload grading worksheet"; the assignment needs the feedback type "Offline
  grading worksheet"). Moodle's importer finds its columns by their (English) names and needs
  Identifier ("Participant <n>", n = the participant number of `lms_id` or of the Moodle download
  folder), Grade and "Last modified (grade)" (set to the export time: Moodle skips a row whose
  grade changed in Moodle after it). A Moodle whose users work in another language expects the
  headers in that language. One assignment per file.
* canvas: Canvas's gradebook import CSV (Grades > Import): Student, ID, SIS User ID, SIS Login ID,
  Section, then one column per assignment, "<assignment name> (<Canvas assignment id>)" as
  Canvas's own export writes it (give it with `--canvas-column RUBRIC=HEADER`; without an id
  Canvas matches the name or creates an assignment). No "Points Possible" row (it would change
  the assignment's points in Canvas).
* gradescope: an autograder `results.json` per upload (Gradescope's autograder specification):
  the automatic checks as tests, an override replacing a test's score. Hand-marked points and
  late penalties stay with Gradescope's own manual grading and late policy.
* csv: one row per student and counted upload, with every score field.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Mapping, Sequence

from grader.errors import GraderError, UsageError
from grader.export import write_text_atomic
from grader.lms_formats import canvas_gradebook, gradescope_results, moodle_worksheet, plain_csv
from grader.lms_records import ExportRecord, records_from_document
from grader.roster import Student, read_roster

FORMATS = ("moodle", "canvas", "gradescope", "csv")


def _load(graded: Path, assignment: str | None) -> tuple[ExportRecord, ...]:
    path = graded / "grades.json"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{graded}: no grades.json there; give the folder a batch wrote") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise GraderError(f"{path}: unreadable ({exc})") from exc
    try:
        records = records_from_document(document)
    except ValueError as exc:
        raise GraderError(f"{path}: {exc}") from exc
    if assignment is not None:
        records = tuple(r for r in records if r.assignment == assignment)
        if not records:
            raise UsageError(f"{path}: no upload of assignment {assignment!r}")
    return records


def _roster(path: Path | None) -> tuple[Student, ...]:
    if path is None:
        return ()
    try:
        students, errors = read_roster(path.read_bytes())
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the roster ({exc})") from exc
    if errors:
        raise UsageError(f"{path}: " + "; ".join(errors))
    return students


def _gradescope_files(found: Sequence[ExportRecord], out: Path) -> list[tuple[Path, str]]:
    """(path, text) of each results.json of the uploads that count in `found`: `out` itself
    for one upload and a .json `out`."""
    records = [r for r in found if r.counts is not False]
    text = [json.dumps(gradescope_results(r), indent=2, allow_nan=False) + "\n" for r in records]
    if out.suffix == ".json":
        if len(records) != 1:
            raise UsageError(f"--out {out}: a .json file takes exactly one upload, grades.json "
                             f"has {len(found)} ({len(records)} that count); give a folder "
                             f"(or --assignment)")
        return [(out, text[0])]
    files = []
    for record, body in zip(records, text):
        rel = PurePosixPath(record.file)
        if rel.is_absolute() or ".." in rel.parts:
            raise GraderError(f"grades.json names an unsafe path {record.file!r}")
        files.append((out / rel.with_suffix("") / "results.json", body))
    return files


def export_graded(graded: Path, fmt: str, out: Path, roster: Path | None = None,
                  assignment: str | None = None, columns: Mapping[str, str] | None = None,
                  now: str = "") -> tuple[tuple[Path, ...], tuple[str, ...]]:
    """Write `fmt` (one of FORMATS) for the output folder `graded` to `out`.

    Returns the files written and the warnings for the tutor.

    Raises:
        UsageError: no grades.json, an unknown assignment, a Moodle export of several
            assignments, an unreadable or bad roster.
        GraderError: a grades.json that is not one.
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    records = _load(graded, assignment)
    students = _roster(roster)
    if fmt == "gradescope":
        files = _gradescope_files(records, out)
        for path, body in files:
            write_text_atomic(path, body)
        return tuple(p for p, _ in files), ()
    if fmt == "moodle":
        found = sorted({r.assignment for r in records if r.assignment})
        if len(found) > 1:
            raise UsageError(f"a Moodle worksheet holds one assignment, grades.json has "
                             f"{', '.join(found)}: choose one with --assignment")
        result = moodle_worksheet(records, students, now)
    elif fmt == "canvas":
        result = canvas_gradebook(records, students, columns or {})
    else:
        result = plain_csv(records, students)
    write_text_atomic(out, result.text)
    return (out,), result.warnings
