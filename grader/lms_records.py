"""grades.json read into frozen `ExportRecord`s, and what every LMS format shares.

`records_from_document` reads a grades.json document (the contract's fields, plus the fields of
grader.totals and grader.resubmission when present); `student_rows` pairs each counted upload
with its students from the roster; `feedback` and `grade_cell` word a record's grade the same
way in every format (`grader.lms_formats`).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from grader.export import csv_number
from grader.lms_identity import resolve
from grader.roster import Member, Student, students_for
from grader.roster_check import roster_disagrees


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
def student_rows(records: Sequence[ExportRecord], roster: Sequence[Student],
          ) -> tuple[list[tuple[ExportRecord, Student]], list[str]]:
    """(record, student) for every counted upload, and warnings for what cannot be exported.

    A student several uploads name differently (a name here, an id there) is one person when
    `grader.lms_identity.resolve` can tell; each row's student carries the person's fields.
    A roster whose group is not the students the upload names is warned about
    (`grader.roster_check`); the rows follow the roster.
    """
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
        disagrees = roster_disagrees(record.file, record.assignment, record.group, record.team,
                                     roster)
        warnings += [disagrees] if disagrees else []
        if not students:
            warnings.append(f"{record.file}: no student known for group {record.group!r} "
                            "(add it to the roster)")
            students = (Student(name=f"group {record.group}", group=record.group),)
        rows += [(record, student) for student in students]
    identities = resolve([(record.assignment or "", student) for record, student in rows])
    rows = [(record, identities.resolved[student]) for record, student in rows]
    return rows, warnings + list(identities.warnings)


def grade_cell(record: ExportRecord) -> str:
    """The grade cell: empty while marks are pending or the group's choice is open."""
    return "" if record.counts is None or record.grade is None else csv_number(record.grade)


def csv_writer() -> tuple[io.StringIO, Any]:
    buffer = io.StringIO()
    return buffer, csv.writer(buffer, lineterminator="\n")
