"""The LMS formats, each from `ExportRecord`s: Moodle, Canvas, Gradescope and a plain CSV.

What each LMS expects, and where its importer documents it, is in the docstring of `grader.lms`.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

from grader.export import csv_number, csv_text
from grader.lms_identity import identity_key
from grader.lms_records import (
    Export,
    ExportRecord,
    csv_writer,
    feedback,
    grade_cell,
    student_rows,
)
from grader.roster import Student

MOODLE_COLUMNS = ("Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                  "Grade can be changed", "Last modified (submission)", "Last modified (grade)",
                  "Feedback comments")
MOODLE_PARTICIPANT = "Participant "
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CSV_COLUMNS = ("file", "assignment", "group", "student_id", "name", "email", "status", "score",
               "max_score", "manual_score", "manual_max_score", "penalty", "final_score",
               "pending", "counts")


def moodle_worksheet(records: Sequence[ExportRecord], roster: Sequence[Student],
                     graded_at: str) -> Export:
    """Moodle's offline grading worksheet for one assignment (`records` of one rubric)."""
    rows, warnings = student_rows(records, roster)
    buffer, writer = csv_writer()
    writer.writerow(MOODLE_COLUMNS)
    for record, student in rows:
        if not student.lms_id:
            warnings.append(f"{record.file}: no Moodle participant number for "
                            f"{student.name or student.student_id!r} (roster column lms_id); "
                            "Moodle skips the row")
        status = record.status + (" - marks pending" if record.pending else "")
        writer.writerow([
            MOODLE_PARTICIPANT + student.lms_id if student.lms_id else "",
            csv_text(student.name), csv_text(student.email), status, grade_cell(record),
            csv_number(record.grade_max), "Yes", "", graded_at, csv_text(feedback(record)),
        ])
    return Export(buffer.getvalue(), tuple(warnings))


def canvas_gradebook(records: Sequence[ExportRecord], roster: Sequence[Student],
                     columns: Mapping[str, str]) -> Export:
    """Canvas's gradebook import: one row per student, one column per assignment.

    Args:
        columns: rubric id -> column header, "<assignment name> (<Canvas assignment id>)";
            a rubric not named here gets its id as the header.
    """
    rows, warnings = student_rows(records, roster)
    assignments = sorted({r.assignment for r, _ in rows if r.assignment})
    people: dict[tuple[str, str], Student] = {}
    grades: dict[tuple[str, str], dict[str, str]] = {}
    for record, student in rows:
        people.setdefault(identity_key(student), student)
        grades.setdefault(identity_key(student), {})[record.assignment or ""] = grade_cell(record)
        if not (student.lms_id or student.student_id or student.sis_login_id):
            warnings.append(f"{record.file}: {student.name!r} has no Canvas ID or SIS id; "
                            "Canvas matches the name only")
    buffer, writer = csv_writer()
    writer.writerow([*CANVAS_COLUMNS, *(columns.get(a, a) for a in assignments)])
    for key, by_assignment in grades.items():
        student = people[key]
        writer.writerow([csv_text(student.name), student.lms_id, csv_text(student.student_id),
                         csv_text(student.sis_login_id), csv_text(student.section),
                         *(by_assignment.get(a, "") for a in assignments)])
    return Export(buffer.getvalue(), tuple(warnings))


def gradescope_results(record: ExportRecord) -> dict[str, Any]:
    """Gradescope's results.json for one upload: the automatic checks as tests."""
    tests = [{"name": c.id, "score": c.counted, "max_score": c.max_points,
              "output": c.message + (f"\nSet to {c.override_points:g} by a tutor: "
                                     f"{c.override_reason}" if c.override_points is not None
                                     else ""),
              "visibility": "visible" if c.visible else "after_published"}
             for c in record.checks]
    result: dict[str, Any] = {
        "score": math.fsum(c.counted for c in record.checks),
        "output": "\n".join([f"{record.file}: {record.status}", *record.messages]),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    if record.duration is not None:
        result["execution_time"] = max(1, round(record.duration))
    return result


def plain_csv(records: Sequence[ExportRecord], roster: Sequence[Student]) -> Export:
    """One row per student and counted upload, every score field."""
    rows, warnings = student_rows(records, roster)
    buffer, writer = csv_writer()
    writer.writerow(CSV_COLUMNS)
    for record, student in rows:
        writer.writerow([
            csv_text(record.file), record.assignment, csv_text(record.group or ""),
            csv_text(student.student_id), csv_text(student.name), csv_text(student.email),
            record.status, csv_number(record.score), csv_number(record.max_score),
            csv_number(record.manual_score), csv_number(record.manual_max_score),
            csv_number(record.penalty), grade_cell(record), record.pending,
            {True: "yes", False: "no", None: "open"}[record.counts],
        ])
    return Export(buffer.getvalue(), tuple(warnings))
