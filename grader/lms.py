"""Exports for learning-management systems, from an output folder's grades.json.

`records_from_document` reads a grades.json document (the contract's fields, plus the fields of
grader.totals and grader.resubmission when present) into frozen `ExportRecord`s; the writers
turn them into what an LMS imports. The grade exported is `final_score` when the record has it
(empty while marks are pending), else the automatic `score`; its maximum is `max_score` plus
`manual_max_score`. Uploads that do not count (a group's other upload, grader.resubmission) are
left out; an upload with no assignment (no rubric matched its name) cannot be exported.

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

import csv
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Mapping, Sequence

from grader.errors import GraderError, UsageError
from grader.export import csv_number, csv_text, write_text_atomic
from grader.roster import Member, Student, read_roster, students_for

FORMATS = ("moodle", "canvas", "gradescope", "csv")

MOODLE_COLUMNS = ("Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                  "Grade can be changed", "Last modified (submission)", "Last modified (grade)",
                  "Feedback comments")
MOODLE_PARTICIPANT = "Participant "
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CSV_COLUMNS = ("file", "assignment", "group", "student_id", "name", "email", "status", "score",
               "max_score", "manual_score", "manual_max_score", "penalty", "final_score",
               "pending", "counts")
VISIBILITY = ("hidden", "after_due_date", "after_published", "visible")


@dataclass(frozen=True)
class ExportCheck:
    """An automatic check as grades.json records it, with a tutor's override if any."""

    id: str
    status: str
    points: float
    max_points: float
    message: str = ""
    override_points: float | None = None
    override_reason: str = ""
    visible: bool = True

    @property
    def counted(self) -> float:
        return self.points if self.override_points is None else self.override_points


@dataclass(frozen=True)
class ExportRecord:
    """One upload's grade as the exports need it."""

    file: str
    assignment: str | None
    group: str | None
    status: str
    score: float
    max_score: float
    messages: tuple[str, ...] = ()
    checks: tuple[ExportCheck, ...] = ()
    has_totals: bool = False                 # grader.totals fields present
    manual_score: float = 0.0
    manual_max_score: float = 0.0
    pending: int = 0
    penalty: float = 0.0
    final_score: float | None = None
    comments: tuple[tuple[str, str], ...] = ()   # hand-marked check id, the tutor's comment
    team: tuple[Member, ...] = ()
    counts: bool | None = True
    duration: float | None = None

    @property
    def grade(self) -> float | None:
        """What the LMS gets: the final score (None while pending), else the automatic score."""
        return self.final_score if self.has_totals else self.score

    @property
    def grade_max(self) -> float:
        return self.max_score + self.manual_max_score


@dataclass(frozen=True)
class Export:
    """A file's text and what the tutor should know about it."""

    text: str
    warnings: tuple[str, ...] = ()


# ----------------------------------------------------------------------------- reading
def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _counts(value: Any, where: str) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise ValueError(f"{where}: expected true, false or null, got {value!r}")
    return value


def _check(raw: Mapping[str, Any], overrides: Mapping[str, Any], where: str) -> ExportCheck:
    override = overrides.get(raw["id"]) or {}
    return ExportCheck(
        id=str(raw["id"]), status=str(raw["status"]),
        points=_number(raw["points"], f"{where}.points"),
        max_points=_number(raw["max_points"], f"{where}.max_points"),
        message=str(raw.get("message", "")),
        override_points=(None if "points" not in override
                         else _number(override["points"], f"{where} override")),
        override_reason=str(override.get("reason", "")), visible=bool(raw.get("visible", True)))


def record_from_submission(raw: Mapping[str, Any], where: str = "submission") -> ExportRecord:
    """One grades.json SUBMISSION object; ValueError naming `where` and the field when malformed."""
    try:
        overrides = raw.get("overrides") or {}
        checks = tuple(_check(c, overrides, f"{where}.checks[{i}]")
                       for i, c in enumerate(raw["checks"]))
        has_totals = "final_score" in raw
        final = raw.get("final_score")
        return ExportRecord(
            file=str(raw["file"]), assignment=raw["assignment"], group=raw["group"],
            status=str(raw["status"]), score=_number(raw["score"], f"{where}.score"),
            max_score=_number(raw["max_score"], f"{where}.max_score"),
            messages=tuple(str(m) for m in raw.get("messages", ())), checks=checks,
            has_totals=has_totals,
            manual_score=_number(raw.get("manual_score", 0.0), f"{where}.manual_score"),
            manual_max_score=_number(raw.get("manual_max_score", 0.0),
                                     f"{where}.manual_max_score"),
            pending=int(raw.get("pending", 0)),
            penalty=_number(raw.get("penalty", 0.0), f"{where}.penalty"),
            final_score=None if final is None else _number(final, f"{where}.final_score"),
            comments=tuple((str(m["id"]), str(m.get("comment", "")))
                           for m in raw.get("manual_checks", ()) if m.get("comment")),
            team=tuple(Member(str(m.get("name", "")), str(m.get("student_id", "")),
                              str(m.get("username", ""))) for m in raw.get("team", ())),
            counts=_counts(raw.get("counts", True), f"{where}.counts"),
            duration=None if raw.get("duration") is None else _number(raw["duration"],
                                                                       f"{where}.duration"),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{where}: malformed ({type(exc).__name__}: {exc})") from None


def records_from_document(document: Mapping[str, Any]) -> tuple[ExportRecord, ...]:
    """Every submission of a grades.json document; ValueError when it is not one."""
    submissions = document.get("submissions") if isinstance(document, Mapping) else None
    if not isinstance(submissions, list):
        raise ValueError("not a grades.json document (no 'submissions' list)")
    return tuple(record_from_submission(s, f"submissions[{i}]")
                 for i, s in enumerate(submissions))


def feedback(record: ExportRecord) -> str:
    """A short plain-text account of the grade (the LMS's feedback comment)."""
    auto = sum(c.counted for c in record.checks)
    parts = [f"automatic {auto:g}/{record.max_score:g}"]
    parts += [f"{c.id} set to {c.override_points:g} by a tutor ({c.override_reason})"
              for c in record.checks if c.override_points is not None]
    if record.manual_max_score:
        parts.append(f"hand-marked {record.manual_score:g}/{record.manual_max_score:g}"
                     + (f" ({record.pending} pending)" if record.pending else ""))
    parts += [f"{check}: {comment}" for check, comment in record.comments]
    if record.penalty:
        parts.append(f"late penalty -{record.penalty:g}")
    return "; ".join(parts)


# ----------------------------------------------------------------------------- rows
def _rows(records: Sequence[ExportRecord], roster: Sequence[Student],
          ) -> tuple[list[tuple[ExportRecord, Student]], list[str]]:
    """(record, student) for every counted upload, and warnings for what cannot be exported."""
    rows, warnings = [], []
    for record in records:
        if record.assignment is None or record.group is None:
            warnings.append(f"{record.file}: no assignment (its name matched no rubric); "
                            "left out")
            continue
        if record.counts is False:
            continue
        if record.counts is None:
            warnings.append(f"{record.file}: its group uploaded twice and the choice is open; "
                            "exported without a grade")
        students = students_for(record.file, record.assignment, record.group, record.team,
                                roster)
        if not students:
            warnings.append(f"{record.file}: no student known for group {record.group!r} "
                            "(add it to the roster)")
            students = (Student(name=f"group {record.group}", group=record.group),)
        rows += [(record, student) for student in students]
    return rows, warnings


def _grade(record: ExportRecord) -> str:
    """The grade cell: empty while marks are pending or the group's choice is open."""
    return "" if record.counts is None or record.grade is None else csv_number(record.grade)


def _writer() -> tuple[io.StringIO, Any]:
    buffer = io.StringIO()
    return buffer, csv.writer(buffer, lineterminator="\n")


# ----------------------------------------------------------------------------- formats
def moodle_worksheet(records: Sequence[ExportRecord], roster: Sequence[Student],
                     graded_at: str) -> Export:
    """Moodle's offline grading worksheet for one assignment (`records` of one rubric)."""
    rows, warnings = _rows(records, roster)
    buffer, writer = _writer()
    writer.writerow(MOODLE_COLUMNS)
    for record, student in rows:
        if not student.lms_id:
            warnings.append(f"{record.file}: no Moodle participant number for "
                            f"{student.name or student.student_id!r} (roster column lms_id); "
                            "Moodle skips the row")
        status = record.status + (" - marks pending" if record.pending else "")
        writer.writerow([
            MOODLE_PARTICIPANT + student.lms_id if student.lms_id else "",
            csv_text(student.name), csv_text(student.email), status, _grade(record),
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
    rows, warnings = _rows(records, roster)
    assignments = sorted({r.assignment for r, _ in rows if r.assignment})
    grades: dict[Student, dict[str, str]] = {}
    for record, student in rows:
        grades.setdefault(student, {})[record.assignment or ""] = _grade(record)
        if not (student.lms_id or student.student_id or student.sis_login_id):
            warnings.append(f"{record.file}: {student.name!r} has no Canvas ID or SIS id; "
                            "Canvas matches the name only")
    buffer, writer = _writer()
    writer.writerow([*CANVAS_COLUMNS, *(columns.get(a, a) for a in assignments)])
    for student, by_assignment in grades.items():
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
    rows, warnings = _rows(records, roster)
    buffer, writer = _writer()
    writer.writerow(CSV_COLUMNS)
    for record, student in rows:
        writer.writerow([
            csv_text(record.file), record.assignment, csv_text(record.group or ""),
            csv_text(student.student_id), csv_text(student.name), csv_text(student.email),
            record.status, csv_number(record.score), csv_number(record.max_score),
            csv_number(record.manual_score), csv_number(record.manual_max_score),
            csv_number(record.penalty), _grade(record), record.pending,
            {True: "yes", False: "no", None: "open"}[record.counts],
        ])
    return Export(buffer.getvalue(), tuple(warnings))


# ----------------------------------------------------------------------------- files
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
        students, errors = read_roster(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the roster ({exc})") from exc
    if errors:
        raise UsageError(f"{path}: " + "; ".join(errors))
    return students


def _gradescope_files(records: Sequence[ExportRecord], out: Path) -> list[tuple[Path, str]]:
    """(path, text) of each results.json: `out` itself for one upload and a .json `out`."""
    text = [json.dumps(gradescope_results(r), indent=2, allow_nan=False) + "\n" for r in records]
    if out.suffix == ".json":
        if len(records) != 1:
            raise UsageError(f"--out {out}: a .json file takes exactly one upload, the folder has "
                             f"{len(records)}; give a folder (or --assignment)")
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
        files = _gradescope_files([r for r in records if r.counts is not False], out)
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
