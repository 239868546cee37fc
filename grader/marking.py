"""The marking sheet and the overrides file: hand-marked points, regrades, read back safely.

Two CSV files in the output folder (docs/course.md shows a tutor's round trip):

`marking.csv`, rewritten by every batch: one row per upload and hand-marked check (rubric
checks of kind "manual"), columns `file, group, check, max_points, points, comment, marker,
marked_at`. A tutor fills in `points` (empty = pending, never 0) and `comment` (shown to the
student). `marker`/`marked_at` are the grader's: a new or changed mark is stamped with
`--marker` ("unknown" without one) and the batch's time (`stamp_marks`); any text there is
accepted (a spreadsheet reformats times) and never makes a row an error. For a group that
uploaded twice under `resubmission = "tutor"`, each of its uploads also gets a row with check
`#counts` and max_points 1: write 1 in the upload that counts (0 or empty in the others).

`overrides.csv`, written once with its header and never rewritten by the grader (so nothing a
tutor typed there can be lost): columns `file, check, points, reason, marker, at`, one row per
automatic check whose points a tutor replaces (a regrade request granted). `reason` is required.

`grader.overrides` reads and stamps overrides.csv; `grader.sheet_reader` reads the cells of both.

Reading never raises for a bad row: every problem is a `SheetError` naming the sheet, its row
as a spreadsheet shows it (the header is row 1) and the rule; the good rows still count. A batch
that found errors must leave `marking.csv` as it is (the tutor's text stays to be fixed) and
still write everything else. Rows without points or comment for an upload or check that no
longer exists are dropped silently on rewrite (nothing to lose); such rows with a mark are errors.

Spreadsheet safety: a text cell starting with = + - @ (or a tab or CR) is written with a leading
apostrophe, as grader.export does for grades.csv, and read back without it. The reader also
accepts what spreadsheets write: a UTF-8 byte-order mark, `;` as the separator, and a decimal
comma (`1,5`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping, Sequence

from grader.export import csv_number, csv_text
from grader.rubric import Rubric
from grader.sheet_reader import (
    Dialect,
    SheetError,
    extra_notes,
    read_entries,
    read_points,
    read_rows,
    split_number,
    time_problem,
)

MARKING_CSV = "marking.csv"
MARKING_COLUMNS = ("file", "group", "check", "max_points", "points", "comment", "marker",
                   "marked_at")
COUNTS = "#counts"                    # the choice row of a group's duplicate uploads
UNKNOWN_MARKER = "unknown"            # who made a change when `grade` ran without --marker

NO_UPLOAD = "no upload {file!r} in this batch"
MOVED_TO = "; did it move to {where}?"
NOT_MANUAL = "{check!r} is not a hand-marked check of {assignment!r} (hand-marked: {known})"
USE_OVERRIDES = "; an automatic check's points are changed in overrides.csv"
NOT_A_NUMBER = "points {cell!r} is not a number"
OUT_OF_RANGE = "points {points:g} outside [0, {most:g}] for {check!r}"
TWICE = "a second row for {file!r} and {check!r} (also row {first})"
NOT_A_CHOICE = "{file!r} is not one of a group's duplicate uploads; remove this #counts row"
REJECTED = "upload {file!r} was rejected at intake: nothing to {what}"
NOT_COUNTED = ("upload {file!r} does not count (its group's later upload counts): nothing to "
               "mark; clear the row")
TWO_CHOSEN = "two uploads of group {group!r} say they count (also row {first}); keep one 1"


@dataclass(frozen=True)
class Slot:
    """One upload as the batch knows it: the checks a row may name, with their max points."""

    file: str
    assignment: str
    group: str
    manual: tuple[tuple[str, float], ...] = ()       # hand-marked check id, max points
    automatic: tuple[tuple[str, float], ...] = ()    # automatic check id, max points
    choice: bool = False                             # duplicate upload under resubmission "tutor"
    rejected: bool = False                           # rejected at intake: no marks, no overrides
    counted: bool = True                             # False: a duplicate that does not count

    @classmethod
    def for_upload(cls, file: str, group: str, rubric: Rubric, choice: bool = False) -> Slot:
        """The slot of an upload graded under `rubric` (its hand-marked and automatic checks)."""
        return cls(file, rubric.id, group, tuple((c.id, c.points) for c in rubric.manual_checks),
                   tuple((c.id, c.points) for c in rubric.checks), choice)

    def manual_max(self, check: str) -> float | None:
        """Max points of a hand-marked check (#counts: 1 for a choice), None for any other."""
        if check == COUNTS:
            return 1.0 if self.choice else None
        return dict(self.manual).get(check)

    def automatic_max(self, check: str) -> float | None:
        """Max points of an automatic check, None for any other."""
        return dict(self.automatic).get(check)


@dataclass(frozen=True)
class Mark:
    """A tutor's mark for one hand-marked check of one upload (points None: pending)."""

    file: str
    check: str
    points: float | None
    comment: str = ""
    marker: str = ""
    marked_at: str = ""


@dataclass(frozen=True)
class Override:
    """A tutor's replacement for the points of one automatic check, with the reason."""

    file: str
    check: str
    points: float
    reason: str
    marker: str = ""
    at: str = ""


@dataclass(frozen=True)
class Extra:
    """A sheet's columns of the tutor's own (`tutor_note`): their names and each (file, check)
    row's cells there, written back beside ours and never graded."""

    columns: tuple[str, ...] = ()
    cells: Mapping[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class SheetRead:
    """What a sheet held: the good rows, the errors, how to write it back (its dialect, the
    tutor's own columns), and lines for the summary (`notes`: those columns, moved uploads)."""

    marks: tuple[Mark, ...] = ()
    overrides: tuple[Override, ...] = ()
    errors: tuple[SheetError, ...] = ()
    dialect: Dialect = Dialect()
    extra: Extra = field(default_factory=Extra)
    notes: tuple[str, ...] = ()

    @property
    def delimiter(self) -> str:
        return self.dialect.delimiter


# ----------------------------------------------------------------------------- marking.csv
def read_marking_sheet(text: str | bytes, slots: Iterable[Slot], sheet: str = MARKING_CSV,
                       moved: Mapping[str, str] | None = None,
                       hints: Mapping[str, str] | None = None) -> SheetRead:
    """The marks (and #counts choices) in a marking sheet, checked against the batch's uploads.
    `moved`: a row's file that left the batch -> the upload with its content (its marks follow);
    `hints`: such a file -> the uploads it may have become (named in its rows' errors)."""
    by_file = {slot.file: slot for slot in slots}
    moves, where = moved or {}, hints or {}
    table = read_rows(text, MARKING_COLUMNS, sheet, numbers=("max_points", "points"))
    rows = [(n, {**cells, "file": moves.get(cells["file"], cells["file"])})
            for n, cells in table.rows]
    marks, problems, first = read_entries(
        rows, sheet, lambda cells, first: _hinted(_mark(cells, by_file, first), cells, where))
    errors = sorted([*table.errors, *problems, *_choice_errors(marks, by_file, first, sheet)],
                    key=lambda e: e.row)
    extra = Extra(table.extra, {(cells["file"], cells["check"]): own
                                for (_, cells), own in zip(rows, table.extra_cells)})
    return SheetRead(marks=tuple(marks), errors=tuple(errors), dialect=table.dialect,
                     extra=extra, notes=extra_notes(table, sheet))


def _hinted(read: tuple[Mark | None, str], cells: Mapping[str, str],
            hints: Mapping[str, str]) -> tuple[Mark | None, str]:
    """A row's "no upload" error, asking whether the upload moved where one may have."""
    mark, problem = read
    if problem == NO_UPLOAD.format(file=cells["file"]) and cells["file"] in hints:
        return mark, problem + MOVED_TO.format(where=hints[cells["file"]])
    return mark, problem


def _mark(cells: Mapping[str, str], by_file: Mapping[str, Slot],
          first: Mapping[tuple[str, str], int]) -> tuple[Mark | None, str]:
    """One row as a Mark, or the rule it breaks; (None, "") for an empty row of a stale slot."""
    file, check = cells["file"], cells["check"]
    if split_number(cells, "comment"):
        return None, split_number(cells, "comment")
    try:
        points = read_points(cells["points"])
    except ValueError:
        return None, NOT_A_NUMBER.format(cell=cells["points"])
    slot = by_file.get(file)
    most = slot.manual_max(check) if slot else None
    if most is None:
        if points is None and not cells["comment"]:
            return None, ""                                      # nothing to lose
        if slot is None:
            return None, NO_UPLOAD.format(file=file)
        if slot.rejected:
            return None, REJECTED.format(file=file, what="mark")
        if not slot.counted:
            return None, NOT_COUNTED.format(file=file)
        if check == COUNTS:
            return None, NOT_A_CHOICE.format(file=file)
        hint = USE_OVERRIDES if slot.automatic_max(check) is not None else ""
        return None, NOT_MANUAL.format(check=check, assignment=slot.assignment,
                                       known=", ".join(c for c, _ in slot.manual) or "none") + hint
    if (file, check) in first:
        return None, TWICE.format(file=file, check=check, first=first[(file, check)])
    if points is not None and not 0 <= points <= most:
        return None, OUT_OF_RANGE.format(points=points, most=most, check=check)
    return Mark(file, check, points, cells["comment"], cells["marker"], cells["marked_at"]), ""


def _choice_errors(marks: Sequence[Mark], by_file: Mapping[str, Slot],
                   first: Mapping[tuple[str, str], int], sheet: str) -> list[SheetError]:
    """A #counts row may only say 0 or 1, and only one upload of a group may say 1."""
    errors = []
    chosen: dict[tuple[str, str], int] = {}
    for mark in marks:
        if mark.check != COUNTS or mark.points is None:
            continue
        row = first[(mark.file, mark.check)]
        if mark.points not in (0.0, 1.0):
            errors.append(SheetError(sheet, row, f"#counts takes 1 (counts) or 0, "
                                                 f"got {mark.points:g}"))
            continue
        slot = by_file[mark.file]
        key = (slot.assignment, slot.group)
        if mark.points == 1.0 and key in chosen:
            errors.append(SheetError(sheet, row, TWO_CHOSEN.format(group=slot.group,
                                                                   first=chosen[key])))
        elif mark.points == 1.0:
            chosen[key] = row
    return errors


def marking_sheet_text(slots: Sequence[Slot], marks: Iterable[Mark],
                       dialect: Dialect | str = ",", extra: Extra | None = None) -> str:
    """The marking sheet for `slots` (in their order), keeping every mark a tutor already made,
    written as the tutor's sheet was saved (`dialect`: BOM, separator, line end, decimal comma;
    a bare string is a separator) with the tutor's own columns (`extra`) after ours.

    One row per slot and hand-marked check, plus a #counts row for a slot with `choice`.
    """
    style = Dialect(dialect) if isinstance(dialect, str) else dialect
    own = extra or Extra()
    known = {(m.file, m.check): m for m in marks}
    rows = [list(MARKING_COLUMNS) + list(own.columns)]
    for slot in slots:
        checks = list(slot.manual) + ([(COUNTS, 1.0)] if slot.choice else [])
        for check, most in checks:
            mark = known.get((slot.file, check), Mark(slot.file, check, None))
            kept = own.cells.get((slot.file, check), ("",) * len(own.columns))
            rows.append([
                csv_text(slot.file), csv_text(slot.group), check, style.number(csv_number(most)),
                "" if mark.points is None else style.number(csv_number(mark.points)),
                csv_text(mark.comment), csv_text(mark.marker), csv_text(mark.marked_at),
                *(csv_text(cell) for cell in kept),
            ])
    return style.text(rows)


# ----------------------------------------------------------------------------- who and when
def who_and_when(typed: tuple[str, str], before: tuple[str, str] | None, marker: str, now: str,
                 ) -> tuple[str, str]:
    """(marker, time) of a new or changed mark or override.

    The sheet's marker and time cells are the grader's: a value the last batch wrote there
    (`before`) is not the tutor's and is replaced by `--marker` (UNKNOWN_MARKER without one) and
    `now`. A marker the tutor typed (not the one recorded) is kept, and so is a time they typed
    with it when it is an ISO-8601 time; any other text there is ignored.
    """
    name, at = typed
    if not name or (before is not None and name == before[0]):
        return marker or UNKNOWN_MARKER, now
    if not at or time_problem("at", at) or (before is not None and at == before[1]):
        return name, now
    return name, at


def stamp_marks(marks: Iterable[Mark], previous: Iterable[Mark], marker: str, now: str,
                ) -> tuple[Mark, ...]:
    """Who and when: a mark whose points and comment are as `previous` recorded them keeps the
    recorded marker and time (whatever the sheet's cells say); a new or changed one is by
    `marker` at `now` (see `who_and_when`).

    Args:
        previous: the marks the last batch recorded (the gradebook or the last grades.json).
        marker: `--marker NAME` ("" records UNKNOWN_MARKER).
        now: ISO-8601 time of this batch.
    """
    before = {(m.file, m.check): m for m in previous}
    stamped = []
    for mark in marks:
        old = before.get((mark.file, mark.check))
        if old is not None and (old.points, old.comment) == (mark.points, mark.comment):
            mark = replace(mark, marker=old.marker, marked_at=old.marked_at)
        elif mark.points is not None or mark.comment:
            name, at = who_and_when((mark.marker, mark.marked_at),
                                    None if old is None else (old.marker, old.marked_at),
                                    marker, now)
            mark = replace(mark, marker=name, marked_at=at)
        stamped.append(mark)
    return tuple(stamped)
