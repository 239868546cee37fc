"""What the course record adds to each upload, shaped for grades.json, grades.csv and the pages.

`grader.ledger` works out one `UploadLedger` per upload (marks, overrides, lateness, which
upload of a group counts, the team) and a `Ledger` for the batch; this module only holds those
frozen records and turns them into:

* `UploadLedger.to_record()`: the fields added to the upload's grades.json SUBMISSION (documented
  in docs/contract.md#additions-in-this-release and docs/course.md);
* `Ledger.csv_columns()` / `UploadLedger.csv_cells()`: the columns appended to grades.csv;
* `Ledger.overview()`: what the tutors' overview shows (still to mark, penalties, duplicates).

Reports and the overview render them through `templates/_marks.html.j2` and
`templates/_ledger.html.j2`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from grader.export import csv_number
from grader.lateness import Deadline, Lateness, SubmissionTime
from grader.marking import Override
from grader.resubmission import Counting
from grader.roster import Member
from grader.totals import Totals

COURSE_COLUMNS = ("manual_score", "manual_max_score", "pending", "penalty", "final_score",
                  "submitted_at", "counts")
COUNTS_CELL = {True: "yes", False: "no", None: "open"}
SOURCES = {"lms-csv": "the LMS's submission times", "folder-name": "the folder name",
           "mtime": "the file's modification time"}


@dataclass(frozen=True)
class HandMark:
    """A hand-marked check of one upload, as the report shows it (points None: pending)."""

    id: str
    description: str
    max_points: float
    points: float | None
    comment: str = ""
    marker: str = ""
    marked_at: str = ""

    @property
    def pending(self) -> bool:
        return self.points is None


@dataclass(frozen=True)
class Adjusted:
    """An automatic check's result beside the tutor's override of its points."""

    id: str
    status: str
    points: float
    max_points: float
    override: Override


@dataclass(frozen=True)
class UploadLedger:
    """One upload's course record: totals, hand marks, overrides, lateness, duplicates, team.

    Attributes:
        submitted: when it was submitted; None when that does not matter (no deadline and no
            time from the LMS).
        lateness: None when its rubric has no deadline.
        deadline: the rubric's deadline (None without one).
    """

    file: str
    assignment: str | None
    group: str | None
    totals: Totals
    hand_marks: tuple[HandMark, ...] = ()
    overridden: tuple[Adjusted, ...] = ()
    submitted: SubmissionTime | None = None
    lateness: Lateness | None = None
    deadline: Deadline | None = None
    counting: Counting | None = None
    team: tuple[Member, ...] = ()
    duration: float = 0.0

    @property
    def automatic(self) -> float:
        """The automatic points that count (overrides applied)."""
        return round(sum(c.counted for c in self.totals.checks), 10) + 0.0

    @property
    def max_score(self) -> float:
        return round(sum(c.max_points for c in self.totals.checks), 10) + 0.0

    @property
    def total_max(self) -> float:
        """Automatic plus hand-marked maximum: what `final_score` is out of."""
        return self.max_score + self.totals.manual_max_score

    @property
    def duplicate(self) -> bool:
        return self.counting is not None and self.counting.duplicate

    @property
    def counts(self) -> bool | None:
        return True if self.counting is None else self.counting.counts

    @property
    def submitted_at(self) -> str:
        """The submission time, ISO-8601 with its offset ("" when not known)."""
        return "" if self.submitted is None else self.submitted.at.isoformat(timespec="seconds")

    @property
    def submitted_from(self) -> str:
        """Where the submission time came from, in words ("" when not known)."""
        return "" if self.submitted is None else SOURCES[self.submitted.source]

    @property
    def due_at(self) -> str:
        """The deadline, ISO-8601 with its offset ("" without one)."""
        return "" if self.deadline is None else self.deadline.due.isoformat(timespec="seconds")

    @property
    def shown(self) -> bool:
        """Whether the report has anything to add to the automatic result."""
        return bool(self.hand_marks or self.overridden or self.lateness or self.duplicate)

    def to_record(self) -> dict[str, Any]:
        """The fields added to grades.json's SUBMISSION (JSON-safe)."""
        record = self.totals.to_record()
        when = self.submitted
        record.update({
            "submitted_at": self.submitted_at or None,
            "submitted_at_source": None if when is None else when.source,
            "submitted_at_reliable": None if when is None else when.reliable,
            "late_units": 0 if self.lateness is None else self.lateness.units,
            "duplicate": self.duplicate,
            "counts": self.counts,
            "counts_note": "" if self.counting is None else self.counting.note,
            "team": [{"name": m.name, "student_id": m.student_id, "username": m.username}
                     for m in self.team],
            "duration": self.duration,
        })
        return record

    def csv_cells(self) -> dict[str, str]:
        """This upload's cells of the columns appended to grades.csv (empty: pending)."""
        totals = self.totals
        cells = {m.id: "" if m.points is None else csv_number(m.points) for m in self.hand_marks}
        cells.update({
            "manual_score": csv_number(totals.manual_score),
            "manual_max_score": csv_number(totals.manual_max_score),
            "pending": str(totals.pending),
            "penalty": csv_number(totals.penalty),
            "final_score": "" if totals.final_score is None else csv_number(totals.final_score),
            "submitted_at": self.submitted_at,
            "counts": COUNTS_CELL[self.counts],
        })
        return cells


@dataclass(frozen=True)
class ToMark:
    """What is still to mark by hand for one assignment."""

    assignment: str
    pending: int                    # hand-marked checks without points
    uploads: int                    # uploads waiting for at least one of them
    given: int                      # marks given


@dataclass(frozen=True)
class Overview:
    """The course part of the tutors' overview (index.html)."""

    problems: tuple[str, ...]
    to_mark: tuple[ToMark, ...]
    late: tuple[UploadLedger, ...]          # a penalty or an unreliable submission time
    duplicates: tuple[UploadLedger, ...]    # uploads of groups that uploaded twice
    totals: tuple[UploadLedger, ...]        # every upload with an assignment

    @property
    def shown(self) -> bool:
        return bool(self.problems or self.to_mark or self.late or self.duplicates
                    or any(u.overridden for u in self.totals))


@dataclass(frozen=True)
class Ledger:
    """The course record of a batch: one `UploadLedger` per upload (by file), and the problems
    found in the sheets (printed, and shown in the overview)."""

    uploads: Mapping[str, UploadLedger] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()             # for the command's summary (warnings, duplicates)

    def records(self) -> dict[str, dict[str, Any]]:
        """grades.json additions by file."""
        return {file: entry.to_record() for file, entry in self.uploads.items()}

    def csv_columns(self) -> list[str]:
        """Columns appended to grades.csv: hand-marked check ids, then COURSE_COLUMNS."""
        seen: dict[str, None] = {}
        for entry in self.uploads.values():
            for mark in entry.hand_marks:
                seen.setdefault(mark.id, None)
        return [*seen, *COURSE_COLUMNS]

    def csv_cells(self) -> dict[str, dict[str, str]]:
        """grades.csv cells of the appended columns, by file."""
        return {file: entry.csv_cells() for file, entry in self.uploads.items()}

    def overview(self, order: Sequence[str]) -> Overview:
        """The overview's course sections, uploads in `order` (the batch's file order)."""
        entries = [self.uploads[f] for f in order if f in self.uploads]
        return Overview(
            problems=self.problems,
            to_mark=tuple(_to_mark(entries)),
            late=tuple(e for e in entries if e.lateness is not None and
                       (e.lateness.units or not e.lateness.submitted.reliable)),
            duplicates=tuple(sorted((e for e in entries if e.duplicate),
                                    key=lambda e: (e.assignment or "", e.group or "", e.file))),
            totals=tuple(e for e in entries if e.assignment is not None),
        )


def _to_mark(entries: Sequence[UploadLedger]) -> list[ToMark]:
    counts: dict[str, list[int]] = {}
    for entry in entries:
        if not entry.hand_marks or entry.assignment is None:
            continue
        pending = sum(m.pending for m in entry.hand_marks)
        row = counts.setdefault(entry.assignment, [0, 0, 0])
        row[0] += pending
        row[1] += bool(pending)
        row[2] += len(entry.hand_marks) - pending
    return [ToMark(a, *counts[a]) for a in sorted(counts)]


