"""The course record, kept after grading: hand marks, overrides, lateness, duplicates, totals.

`settle_ledger` runs once per batch, after every upload has its automatic grade (grader.batch
calls it before writing grades.json, grades.csv, the reports and index.html):

1. submission times (grader.upload_times): `--submission-times FILE`, else
   `SUBMISSIONS/submission_times.csv` (either is copied into the output folder), else the copy
   an earlier run kept there, else the time in the path or the file's mtime (flagged
   unreliable), as each rubric's `[deadline]` says; the penalty per upload;
2. `marking.csv` and `overrides.csv` in the output folder (grader.ledger_sheets, reading them
   with grader.marking and grader.overrides):
   every problem is a line naming the sheet, the row and the rule; the good rows count; a
   marking sheet with a problem is left as it is, otherwise it is rewritten with a row per
   upload and hand-marked check keeping every mark; `overrides.csv` is written once (header
   only) and never rewritten;
3. who and when: new or changed marks and overrides get `--marker` and this batch's time
   where the tutor left them empty, and go into the gradebook's history (`marks`,
   `overrides`), with this run's id;
4. totals (grader.totals), which upload of a group that uploaded twice counts
   (grader.resubmission), and the team named in the team cell (for the exports).

Nothing a tutor typed is lost: a mark missing from the sheet (a deleted row, a deleted sheet)
is taken from the gradebook and written back; while `overrides.csv` has a bad row its good
rows are applied (as marking.csv's are) but no override in force is removed: one whose row is
bad or missing stays as the gradebook has it. Rejected uploads get no hand-marked rows
(nothing of theirs was accepted); an upload whose name matched no rubric gets none either.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping, Sequence

from grader.discover import Upload
from grader.gradebook import Gradebook
from grader.intake import Accepted, Match, apply_rules
from grader.lateness import Lateness, SubmissionTime, assess
from grader.ledger_notes import duplicate_notes, times_file
from grader.ledger_sheets import Key, SheetContext, settle_marks, settle_overrides
from grader.ledger_view import Adjusted, HandMark, Ledger, UploadLedger
from grader.marking import (
    COUNTS,
    Mark,
    Override,
    Slot,
)
from grader.resubmission import Candidate, Policy, choose, duplicate_groups
from grader.roster import Member, members_from_team_cell
from grader.rubric import Rubric
from grader.score import Grade, group_of
from grader.totals import CheckPoints, merge
from grader.upload_times import missing_times, submission_times


@dataclass(frozen=True)
class LedgerSettings:
    """The batch's options for the course record.

    Attributes:
        submissions: the SUBMISSIONS folder (where `submission_times.csv` is looked for).
        marker: `--marker NAME`, who marked (stamped on new or changed marks and overrides).
        submission_times: `--submission-times FILE` (instead of SUBMISSIONS/submission_times.csv).
    """

    submissions: Path | None = None
    marker: str = ""
    submission_times: Path | None = None


def settle_ledger(out: Path, uploads: Sequence[Upload], grades: Sequence[Grade],
                  rubrics: Sequence[Rubric], book: Gradebook, run_id: str,
                  settings: LedgerSettings, now: str) -> Ledger:
    """Read the sheets, record what changed in the gradebook, and total every upload.

    Args:
        out: the output folder (marking.csv and overrides.csv are read and written there).
        uploads: every upload of the batch; `grades`: a grade for each (same files).
        rubrics: the batch's rubrics.
        book, run_id: the open gradebook and this run's id (the history goes there).
        settings: `--marker`, `--submission-times`, the SUBMISSIONS folder.
        now: this batch's time, ISO-8601 (stamped on new marks and overrides).
    """
    by_id = {r.id: r for r in rubrics}
    rubric_of = {g.file: by_id.get(g.assignment or "") for g in grades}
    times_csv = times_file(out, settings.submission_times, settings.submissions)
    times, problems = submission_times(uploads, rubric_of, times_csv)
    slots_by_file = _slots(grades, rubric_of, times, rubrics)
    context = SheetContext(book, run_id, settings.marker, now, {g.file: g.sha256 for g in grades})
    marks, mark_problems, mark_notes = settle_marks(out, list(slots_by_file.values()), context)
    overrides, override_problems, override_notes = settle_overrides(
        out, list(slots_by_file.values()), context)
    entries = {}
    for grade in grades:
        rubric = rubric_of[grade.file]
        lateness = _lateness(rubric, times[grade.file])
        entries[grade.file] = _entry(grade, rubric, slots_by_file.get(grade.file), marks,
                                     overrides, times[grade.file], lateness)
    counting = choose(
        [Candidate(e.file, e.assignment or "", e.group or "", times[e.file].at,
                   e.totals.final_score) for e in entries.values() if e.assignment and e.group],
        _policies(rubrics),
        [file for (file, check), m in marks.items() if check == COUNTS and m.points == 1.0])
    uploads_by_file = {u.rel: u for u in uploads}
    for file, entry in entries.items():
        team = _team(uploads_by_file.get(file), rubric_of[file], entry)
        entries[file] = replace(entry, counting=counting.get(file), team=team)
    warning = missing_times(rubric_of, times_csv)
    return Ledger(entries, tuple(problems) + mark_problems + override_problems,
                  ((warning,) if warning else ()) + mark_notes + override_notes
                  + duplicate_notes(entries.values()))


def _lateness(rubric: Rubric | None, when: SubmissionTime) -> Lateness | None:
    if rubric is None or rubric.deadline is None:
        return None
    return assess(rubric.deadline, when, rubric.total_max_score)


# ----------------------------------------------------------------------------- marks
def _policies(rubrics: Sequence[Rubric]) -> dict[str, Policy]:
    return {r.id: r.resubmission for r in rubrics}


def _slots(grades: Sequence[Grade], rubric_of: Mapping[str, Rubric | None],
           times: Mapping[str, SubmissionTime], rubrics: Sequence[Rubric]) -> dict[str, Slot]:
    """The sheets' view of every upload, by file. A duplicate upload known not to count before
    any mark is read (under "latest": the group's later upload counts) has nothing to mark."""
    duplicates = set(duplicate_groups(grades, group_of))
    known = choose([Candidate(g.file, g.assignment or "", g.group or "", times[g.file].at, None)
                    for g in grades if g.assignment and g.group], _policies(rubrics))
    slots = {}
    for grade in grades:
        slot = _slot(grade, rubric_of[grade.file], (grade.assignment, grade.group) in duplicates)
        if slot is not None and grade.file in known and known[grade.file].counts is False:
            slot = replace(slot, manual=(), counted=False)
        if slot is not None:
            slots[slot.file] = slot
    return slots


def _slot(grade: Grade, rubric: Rubric | None, duplicate: bool) -> Slot | None:
    """The sheet's view of an upload; a rejected one has no hand-marked checks."""
    if rubric is None or grade.group is None:
        return None
    slot = Slot.for_upload(grade.file, grade.group, rubric,
                           choice=duplicate and rubric.resubmission == "tutor")
    return replace(slot, manual=(), rejected=True) if grade.status == "rejected" else slot


# ----------------------------------------------------------------------------- totals
def _entry(grade: Grade, rubric: Rubric | None, slot: Slot | None, marks: Mapping[Key, Mark],
           overrides: Mapping[Key, Override], when: SubmissionTime,
           lateness: Lateness | None) -> UploadLedger:
    manual = slot.manual if slot is not None else ()
    totals = merge(grade.file, [CheckPoints(c.id, c.points, c.max_points) for c in grade.checks],
                   manual, marks, overrides,
                   lateness.points if lateness and grade.status != "rejected" else 0.0)
    if rubric is not None and not manual:     # rejected: nothing to mark, the same maximum
        totals = replace(totals, manual_max_score=rubric.manual_max_score)
    described = {c.id: c.description for c in rubric.manual_checks} if rubric else {}
    hand = tuple(HandMark(m.id, described.get(m.id, ""), m.max_points,
                          None if m.mark is None else m.mark.points,
                          *(("", "", "") if m.mark is None else
                            (m.mark.comment, m.mark.marker, m.mark.marked_at)))
                 for m in totals.manual)
    status = {c.id: c.status for c in grade.checks}
    adjusted = tuple(Adjusted(c.id, status[c.id], c.points, c.max_points, c.override)
                     for c in totals.checks if c.override is not None)
    shown = when if (lateness is not None or when.source != "mtime") else None
    deadline = rubric.deadline if rubric else None
    return UploadLedger(grade.file, grade.assignment, grade.group, totals, hand, adjusted,
                        shown, lateness, deadline, None, (), grade.duration)


def _team(upload: Upload | None, rubric: Rubric | None, entry: UploadLedger,
          ) -> tuple[Member, ...]:
    """The members the upload's team cell names (read again through intake; () if none)."""
    if upload is None or rubric is None or rubric.team is None or entry.group is None:
        return ()
    try:
        verdict = apply_rules(upload, Match(rubric, entry.group))
    except Exception:  # noqa: BLE001 - the team is a convenience for the exports
        return ()
    if not isinstance(verdict, Accepted) or len(verdict.notebook.cells) < rubric.team.cell:
        return ()
    source = verdict.notebook.cells[rubric.team.cell - 1].get("source", "")
    return members_from_team_cell("".join(source) if isinstance(source, list) else str(source))
