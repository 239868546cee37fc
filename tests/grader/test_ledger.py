"""The course record after grading: the sheets read and written, the history, totals, times.

Each test builds a small batch on disk (uploads, their grades, a gradebook) and runs
`settle_ledger` as the batch does, once per "run", editing the sheets in between as a tutor
would. No kernel runs: the grades are made with `make_grade`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Iterator
from zipfile import ZipInfo

import pytest
from grade_builders import make_check as make_result
from grade_builders import make_grade
from rubric_builders import (
    TEAM_CELL,
    good_xor_members,
    make_check,
    make_rubric,
    make_upload,
    make_xor_rubric,
    notebook_bytes,
    zip_bytes,
)

from grader.discover import Upload
from grader.gradebook import Gradebook
from grader.lateness import Deadline
from grader.ledger import LedgerSettings, settle_ledger
from grader.ledger_view import Ledger
from grader.marking import MARKING_CSV, Override
from grader.overrides import OVERRIDES_CSV
from grader.roster import Member
from grader.rubric import Rubric
from grader.score import Grade

XOR = "xor/sheet06_1234567_7654321.zip"
XOR_LATE = "xor/sheet06_2345678.zip"
XOR_REJECTED = "xor/sheet06_3456789.zip"
ADAM = "adam/adam_regression_classification_solved_group_02.ipynb"
ADAM_AGAIN = "adam/again/adam_regression_classification_solved_group_02.ipynb"
UNMATCHED = "misc/notes.ipynb"
FIRST, SECOND = "2026-12-05T10:00:00+00:00", "2026-12-06T10:00:00+00:00"
HEADER = "file,group,check,max_points,points,comment,marker,marked_at"
DUE = datetime.fromisoformat("2026-12-01T23:59:00+01:00")
MTIME = datetime(2026, 12, 10, 12, 0, tzinfo=UTC).timestamp()     # 9 days late


def manual(cid: str, points: float) -> Any:
    return make_check(id=cid, kind="manual", points=points, symbol=None, reference=None,
                      inputs=None, reference_fn=None, inputs_fn=None,
                      description=f"{cid} answered in the PDF")


XOR_RUBRIC = make_xor_rubric(
    checks=(make_check(id="sigmoid", symbol="sigmoid"),
            make_check(id="manual_grads", symbol="manual_grads", points=2.0)),
    manual_checks=(manual("saddle", 0.5), manual("newton", 1.0)),
    deadline=Deadline(due=DUE, amount=0.1, timezone="Europe/Berlin", grace_minutes=15.0,
                      cap=0.5))
ADAM_RUBRIC = make_rubric(resubmission="tutor")


def xor_grade(file: str, group: str, status: str = "graded", grads: float = 0.0) -> Grade:
    if status == "rejected":                        # nothing ran: every check 0
        return make_grade(file=file, assignment="xor", group=group, status=status, score=0.0,
                          max_score=3.0, checks=(make_result(id="sigmoid", points=0.0),))
    checks = (make_result(id="sigmoid"),
              make_result(id="manual_grads", status="fail" if grads == 0 else "pass",
                          points=grads, max_points=2.0, message="got (2,), expected ()"))
    return make_grade(file=file, assignment="xor", group=group, status=status,
                      score=1.0 + grads, max_score=3.0, checks=checks)


def xor_zip(team: str) -> bytes:
    members: list[tuple[str | ZipInfo, bytes]] = list(good_xor_members(team=team))
    return zip_bytes(members)


@dataclass
class Course:
    """A batch on disk: uploads, their grades, the output folder and its gradebook."""

    root: Path
    uploads: list[Upload]
    grades: list[Grade]
    book: Gradebook
    rubrics: tuple[Rubric, ...] = (XOR_RUBRIC, ADAM_RUBRIC)
    runs: list[str] = field(default_factory=list)

    @property
    def out(self) -> Path:
        return self.root / "graded"

    def run(self, now: str = FIRST, marker: str = "", times: Path | None = None) -> Ledger:
        """One batch's course record, under a new run id."""
        self.runs.append(self.book.start_run("0.1.0", "ref", ["grade"]))
        settings = LedgerSettings(self.root / "subs", marker, times)
        return settle_ledger(self.out, self.uploads, self.grades, self.rubrics, self.book,
                             self.runs[-1], settings, now)

    def sheet(self, name: str = MARKING_CSV) -> str:
        return (self.out / name).read_text(encoding="utf-8")

    def write(self, text: str, name: str = MARKING_CSV) -> None:
        (self.out / name).write_text(text, encoding="utf-8")

    def fill(self, file: str, check: str, cells: str) -> None:
        """Replace the empty points,comment,marker,marked_at of a marking row by `cells`."""
        prefix = next(line for line in self.sheet().splitlines()
                      if line.startswith(f"{file},") and f",{check}," in line)
        head = prefix.rsplit(",", 4)[0]
        self.write(self.sheet().replace(prefix, f"{head},{cells}"))


@pytest.fixture
def course(tmp_path: Path) -> Iterator[Course]:
    subs = tmp_path / "subs"
    for folder in ("xor", "adam/again", "misc"):
        (subs / folder).mkdir(parents=True)
    late_team = "# Team\nGrace Hopper, 2345678, grace.h"
    files = {
        XOR: xor_zip(TEAM_CELL),
        XOR_LATE: xor_zip(late_team),
        XOR_REJECTED: xor_zip("# Team\nnobody"),
        ADAM: notebook_bytes(first="# Team\nAda Lovelace"),
        ADAM_AGAIN: notebook_bytes(first="# Team\nAda Lovelace"),
        UNMATCHED: notebook_bytes(),
    }
    uploads = []
    for rel, data in files.items():
        upload = make_upload(subs, rel, data)
        os.utime(upload.path, (MTIME, MTIME))
        uploads.append(Upload(upload.path, rel, upload.sha256, upload.size))
    grades = [xor_grade(XOR, "1234567_7654321"), xor_grade(XOR_LATE, "2345678"),
              xor_grade(XOR_REJECTED, "3456789", status="rejected"),
              make_grade(file=ADAM, group="02"), make_grade(file=ADAM_AGAIN, group="02", score=3.0),
              make_grade(file=UNMATCHED, assignment=None, group=None, status="rejected",
                         score=0.0, max_score=0.0, checks=())]
    (tmp_path / "graded").mkdir()
    with Gradebook.open(tmp_path / "graded" / "gradebook.sqlite") as book:
        yield Course(tmp_path, uploads, grades, book)


# ----------------------------------------------------------------------------- first run
def test_first_run_writes_the_sheets_and_leaves_hand_marks_pending(course: Course) -> None:
    ledger = course.run()
    assert ledger.problems == ()
    assert course.sheet().splitlines() == [
        HEADER,
        f"{XOR},1234567_7654321,saddle,0.5,,,,", f"{XOR},1234567_7654321,newton,1,,,,",
        f"{XOR_LATE},2345678,saddle,0.5,,,,", f"{XOR_LATE},2345678,newton,1,,,,",
        f"{ADAM},02,#counts,1,,,,", f"{ADAM_AGAIN},02,#counts,1,,,,",
    ]                                     # no rows for the rejected or the unmatched upload
    assert course.sheet(OVERRIDES_CSV) == "file,check,points,reason,marker,at\n"
    xor = ledger.uploads[XOR].totals
    assert (xor.pending, xor.final_score, xor.manual_max_score) == (2, None, 1.5)
    rejected = ledger.uploads[XOR_REJECTED].totals
    assert (rejected.pending, rejected.manual_max_score, rejected.final_score) == (0, 1.5, 0.0)
    assert ledger.uploads[UNMATCHED].totals.final_score == 0.0
    assert course.book.mark_history() == []


def test_team_comes_from_the_team_cell(course: Course) -> None:
    ledger = course.run()
    assert ledger.uploads[XOR].team == (Member("Ada Lovelace", "1234567", "ada.l"),
                                        Member("Alan Turing", "7654321", "alan.t"))
    assert ledger.uploads[ADAM].team == (Member("Ada Lovelace"),)
    assert ledger.uploads[XOR_REJECTED].team == ()


# ----------------------------------------------------------------------------- marks
def test_marks_are_applied_stamped_recorded_and_kept(course: Course) -> None:
    course.run()
    course.fill(XOR, "saddle", "\"0,5\",clear and right,,")
    course.fill(XOR, "newton", "0.5,relation to Newton missing,carl,2026-12-04T09:00:00+01:00")
    ledger = course.run(SECOND, marker="ana")
    totals = ledger.uploads[XOR].totals
    # 1 (sigmoid) + 0 (manual_grads) + 0.5 + 0.5, on time: no penalty here (mtime is late!)
    assert (totals.manual_score, totals.pending) == (1.0, 0)
    assert totals.final_score == max(2.0 - totals.penalty, 0.0)
    rows = course.sheet().splitlines()
    assert f"{XOR},1234567_7654321,saddle,0.5,0.5,clear and right,ana,{SECOND}" in rows
    assert (f"{XOR},1234567_7654321,newton,1,0.5,relation to Newton missing,carl,"
            "2026-12-04T09:00:00+01:00") in rows
    history = course.book.mark_history(XOR)
    assert [(e.run_id, e.mark.check, e.mark.points, e.mark.marker) for e in history] == [
        (course.runs[1], "saddle", 0.5, "ana"), (course.runs[1], "newton", 0.5, "carl")]
    course.run("2026-12-07T10:00:00+00:00", marker="ben")        # nothing changed
    assert len(course.book.mark_history()) == 2
    assert f"{XOR},1234567_7654321,saddle,0.5,0.5,clear and right,ana,{SECOND}" in \
        course.sheet().splitlines()


@pytest.mark.parametrize(("row", "rule"), [
    (f"{XOR},1234567_7654321,newton,1,8,,,", "row 3: points 8 outside [0, 1] for 'newton'"),
    (f"{XOR},1234567_7654321,newton,1,lots,,,", "row 3: points 'lots' is not a number"),
    (f"{XOR},1234567_7654321,sigmoid,1,1,,,", "row 3: 'sigmoid' is not a hand-marked check of "
                                              "'xor' (hand-marked: saddle, newton); an "
                                              "automatic check's points are changed in "
                                              "overrides.csv"),
    ("xor/sheet06_9999999.zip,9999999,newton,1,1,,,", "row 3: no upload "
                                                      "'xor/sheet06_9999999.zip' in this batch"),
], ids=["out-of-range", "not-a-number", "automatic-check", "unknown-upload"])
def test_a_bad_row_is_named_and_loses_nothing(course: Course, row: str, rule: str) -> None:
    course.run()
    lines = course.sheet().splitlines()
    lines[1] = f"{XOR},1234567_7654321,saddle,0.5,0.5,good,,"
    lines[2] = row                                   # spreadsheet row 3
    course.write("\n".join(lines) + "\n")
    before = course.sheet()
    ledger = course.run(SECOND, marker="ana")
    assert ledger.problems == (f"marking.csv {rule}", "marking.csv: 1 row with errors, not "
                               "applied (its other rows are); the sheet is left as it is: fix "
                               "the rows named above and run grade again")
    assert course.sheet() == before                  # the tutor's text stays to be fixed
    assert ledger.uploads[XOR].totals.manual_score == 0.5   # the good row counts
    assert [e.mark.check for e in course.book.mark_history()] == ["saddle"]
    assert set(ledger.uploads) == {u.rel for u in course.uploads}


def test_a_short_row_is_applied_and_the_others_with_it(course: Course) -> None:
    course.run()
    course.write(course.sheet().replace(f"{XOR},1234567_7654321,saddle,0.5,,,,",
                                        f"{XOR},1234567_7654321,saddle,0.5,0.5"))
    course.fill(XOR_LATE, "newton", "1,fine,,")
    ledger = course.run(SECOND, marker="ana")            # was: KeyError 'marked_at'
    assert ledger.problems == ()
    assert ledger.uploads[XOR].totals.manual_score == 0.5
    assert ledger.uploads[XOR_LATE].totals.manual_score == 1.0
    assert f"{XOR},1234567_7654321,saddle,0.5,0.5,,ana,{SECOND}" in course.sheet().splitlines()


def test_an_edited_row_is_by_this_run_and_its_time_is_rewritten(course: Course) -> None:
    course.run()
    course.fill(XOR, "newton", "0.5,half,,")
    course.run(SECOND, marker="ana")
    row = f"{XOR},1234567_7654321,newton,1,0.5,half,ana,{SECOND}"
    course.write(course.sheet().replace(row, f"{XOR},1234567_7654321,newton,1,1,full,ana,"
                                             "06.12.2026 10:00"))       # Excel's date too
    ledger = course.run("2026-12-07T10:00:00+00:00", marker="ben")
    assert ledger.problems == ()
    assert (f"{XOR},1234567_7654321,newton,1,1,full,ben,2026-12-07T10:00:00+00:00"
            in course.sheet().splitlines())
    assert [(e.mark.points, e.mark.marker) for e in course.book.mark_history(XOR)] == [
        (0.5, "ana"), (1.0, "ben")]


def test_an_unreadable_sheet_says_no_row_was_read(course: Course) -> None:
    course.run()
    course.fill(XOR, "newton", "1,Begründung fehlt,,")
    (course.out / MARKING_CSV).write_bytes(course.sheet().encode("cp1252"))
    ledger = course.run(SECOND, marker="ana")
    assert ledger.problems == (
        "marking.csv: not UTF-8 text; save it as 'CSV UTF-8'",
        "marking.csv: no row was read; the marks recorded before stay; the sheet is left as it "
        "is: fix it and run grade again")


def test_a_deleted_row_or_sheet_is_written_back_from_the_gradebook(course: Course) -> None:
    course.run()
    course.fill(XOR, "newton", "1,fine,,")
    course.run(SECOND, marker="ana")
    course.write("\n".join(line for line in course.sheet().splitlines()
                           if ",newton," not in line) + "\n")
    ledger = course.run()
    assert ledger.uploads[XOR].totals.manual_score == 1.0
    assert f"{XOR},1234567_7654321,newton,1,1,fine,ana,{SECOND}" in course.sheet()
    (course.out / MARKING_CSV).unlink()
    course.run()
    assert f"{XOR},1234567_7654321,newton,1,1,fine,ana,{SECOND}" in course.sheet()
    assert len(course.book.mark_history()) == 1


def test_a_cleared_mark_is_pending_again_and_recorded(course: Course) -> None:
    course.run()
    course.fill(XOR, "newton", "1,fine,,")
    course.run(SECOND, marker="ana")
    course.fill(XOR, "newton", ",,,")
    ledger = course.run("2026-12-07T10:00:00+00:00", marker="ben")
    assert ledger.uploads[XOR].totals.pending == 2
    last = course.book.mark_history(XOR)[-1]
    assert (last.mark.points, last.mark.marker, last.mark.marked_at) == (
        None, "ben", "2026-12-07T10:00:00+00:00")
    assert f"{XOR},1234567_7654321,newton,1,,,," in course.sheet().splitlines()


# ----------------------------------------------------------------------------- overrides
def add_override(course: Course, row: str) -> None:
    course.write(course.sheet(OVERRIDES_CSV) + row + "\n", OVERRIDES_CSV)


def test_an_override_is_applied_beside_the_automatic_points(course: Course) -> None:
    course.run()
    add_override(course, f"{XOR},manual_grads,1.5,shared ba accepted,,")
    ledger = course.run(SECOND, marker="ana")
    entry = ledger.uploads[XOR]
    assert [(a.id, a.points, a.override.points) for a in entry.overridden] == [
        ("manual_grads", 0.0, 1.5)]
    assert entry.automatic == 2.5 and entry.totals.score == 1.0
    assert entry.to_record()["overrides"] == {"manual_grads": {
        "points": 1.5, "reason": "shared ba accepted", "marker": "ana", "at": SECOND}}
    assert course.sheet(OVERRIDES_CSV).count("\n") == 2          # never rewritten
    [event] = course.book.override_history()
    assert (event.run_id, event.override) == (course.runs[1], Override(
        XOR, "manual_grads", 1.5, "shared ba accepted", "ana", SECOND))


def test_a_removed_override_is_recorded_and_a_bad_row_keeps_the_one_in_force(
        course: Course) -> None:
    course.run()
    header = course.sheet(OVERRIDES_CSV)
    add_override(course, f"{XOR},manual_grads,1.5,shared ba accepted,,")
    course.run(SECOND, marker="ana")
    course.write(header + f"{XOR},manual_grads,1.5,,,\n", OVERRIDES_CSV)     # reason erased
    ledger = course.run()
    assert ledger.problems == ("overrides.csv row 2: an override needs a reason",
                               "overrides.csv: 1 row with errors, not applied (its other rows "
                               "are); no override in force is removed: fix the rows named above "
                               "and run grade again")
    assert ledger.uploads[XOR].automatic == 2.5
    course.write(header, OVERRIDES_CSV)
    ledger = course.run("2026-12-07T10:00:00+00:00", marker="ben")
    assert ledger.uploads[XOR].automatic == 1.0
    events = course.book.override_history(XOR)
    assert [(e.override is None, e.marker) for e in events] == [(False, "ana"), (True, "ben")]


def test_a_bad_overrides_file_applies_its_good_rows_and_removes_nothing(course: Course) -> None:
    course.run()
    header = course.sheet(OVERRIDES_CSV)
    add_override(course, f"{XOR},manual_grads,1.5,shared ba accepted,,")
    course.run(SECOND, marker="ana")
    course.write(header + f"{XOR_LATE},manual_grads,1,ok,,\n"                 # new, good
                 f"{XOR_REJECTED},sigmoid,1,regrade,,\n", OVERRIDES_CSV)       # rejected
    ledger = course.run("2026-12-07T10:00:00+00:00", marker="ben")
    assert ledger.problems[0] == (f"overrides.csv row 3: upload '{XOR_REJECTED}' was rejected "
                                  "at intake: nothing to override")
    assert ledger.uploads[XOR_LATE].automatic == 2.0                   # the good row applied
    assert ledger.uploads[XOR].automatic == 2.5                        # its row gone: kept
    assert ledger.uploads[XOR_REJECTED].totals.final_score == 0.0


def test_a_deleted_overrides_file_is_written_back_with_the_overrides_in_force(
        course: Course) -> None:
    course.run()
    add_override(course, f"{XOR},manual_grads,1.5,shared ba accepted,,")
    course.run(SECOND, marker="ana")
    (course.out / OVERRIDES_CSV).unlink()
    ledger = course.run()
    assert ledger.uploads[XOR].automatic == 2.5
    assert course.sheet(OVERRIDES_CSV).splitlines()[1] == (
        f"{XOR},manual_grads,1.5,shared ba accepted,ana,{SECOND}")


# ----------------------------------------------------------------------------- times
def test_times_from_the_lms_csv_give_the_penalty_and_the_rest_is_unreliable(
        course: Course) -> None:
    times = course.root / "subs" / "submission_times.csv"
    times.write_text("file,submitted_at\nsheet06_1234567_7654321.zip,2026-12-02T00:14:00+01:00\n"
                     f"{XOR_LATE},2026-12-03 08:00\n", encoding="utf-8")
    ledger = course.run()
    on_time, late = ledger.uploads[XOR], ledger.uploads[XOR_LATE]
    assert on_time.lateness is not None and on_time.lateness.units == 0    # within the grace
    assert on_time.totals.penalty == 0.0
    # 2026-12-03 08:00 Berlin is 32 h 6 min after due + grace: 2 started days, 0.2 of 4.5
    assert late.lateness is not None and late.lateness.units == 2
    assert late.totals.penalty == pytest.approx(0.9, abs=1e-9)
    assert late.submitted_at == "2026-12-03T08:00:00+01:00"
    assert (late.to_record()["submitted_at_source"], late.to_record()["late_units"]) == (
        "lms-csv", 2)
    rejected = ledger.uploads[XOR_REJECTED]                               # not in the CSV
    assert rejected.submitted is not None and not rejected.submitted.reliable
    assert "not in submission_times.csv" in rejected.submitted.note
    assert rejected.lateness is not None and rejected.lateness.points == pytest.approx(2.25)
    assert rejected.totals.penalty == 0.0           # 9 days late, but nothing to take off
    assert ledger.uploads[ADAM].submitted is None                        # no deadline, no time


def test_the_times_file_given_once_is_kept_and_used_again(course: Course) -> None:
    times = course.root / "lms-export.csv"
    times.write_text(f"file,submitted_at\n{XOR_LATE},2026-12-03 08:00\n", encoding="utf-8")
    first = course.run(times=times)
    assert (course.out / "submission_times.csv").read_text(encoding="utf-8") == \
        times.read_text(encoding="utf-8")
    times.unlink()
    again = course.run(SECOND)                                      # no --submission-times
    assert not any("WARNING" in note for note in again.notes)
    assert again.uploads[XOR_LATE].totals.penalty == first.uploads[XOR_LATE].totals.penalty
    assert again.uploads[XOR_LATE].to_record()["submitted_at_source"] == "lms-csv"


def test_no_times_file_for_a_rubric_asking_for_one_is_a_loud_warning(course: Course) -> None:
    ledger = course.run()
    assert ledger.notes[:1] == (
        "WARNING: no submission times file: file times used, unreliable (the deadline of xor "
        "takes submitted_at from the LMS's CSV); give --submission-times FILE once (it is kept "
        "in the output folder)",)
    late = ledger.uploads[XOR_LATE].submitted
    assert late is not None and late.note == ("no submission times file; file modification "
                                              "time (unreliable)")


def test_a_bad_times_row_is_named(course: Course) -> None:
    times = course.root / "elsewhere.csv"
    times.write_text("file,submitted_at\nnobody.zip,2026-12-01T10:00:00+01:00\n",
                     encoding="utf-8")
    ledger = course.run(times=times)
    assert ledger.problems == ("elsewhere.csv row 2: no upload 'nobody.zip' in SUBMISSIONS",)


# ----------------------------------------------------------------------------- duplicates
def test_a_duplicate_that_does_not_count_has_nothing_to_mark(course: Course) -> None:
    again = "xor/again/sheet06_1234567_7654321.zip"
    (course.root / "subs" / "xor" / "again").mkdir()
    upload = make_upload(course.root / "subs", again, xor_zip(TEAM_CELL))
    os.utime(upload.path, (MTIME + 3600, MTIME + 3600))           # the later upload
    course.uploads.append(upload)
    course.grades.append(xor_grade(again, "1234567_7654321"))
    ledger = course.run()
    assert not any(line.startswith(f"{XOR},") for line in course.sheet().splitlines())
    assert f"{again},1234567_7654321,saddle,0.5,,,," in course.sheet().splitlines()
    old = ledger.uploads[XOR]
    assert (old.counts, old.totals.pending, old.hand_marks) == (False, 0, ())
    assert old.totals.final_score is not None                     # never "pending"
    assert old.to_record()["counts_note"] == f"the group's latest upload ({again}) counts"
    assert ledger.uploads[again].to_record()["counts_note"] == "latest of 2 uploads"
    assert ledger.notes[-2:] == (
        "adam group 02 uploaded 2 times: which one counts is still open (2 uploads: a tutor "
        "chooses (#counts in marking.csv))",
        f"xor group 1234567_7654321 uploaded 2 times: {again} counts (latest of 2 uploads)")
    [xor] = [row for row in ledger.overview([u.rel for u in course.uploads]).to_mark
             if row.assignment == "xor"]
    assert (xor.pending, xor.uploads) == (4, 2)                    # XOR_LATE and the later one


def test_the_tutor_chooses_which_upload_of_a_group_counts(course: Course) -> None:
    ledger = course.run()
    assert [ledger.uploads[f].counts for f in (ADAM, ADAM_AGAIN)] == [None, None]
    assert ledger.uploads[ADAM].duplicate and not ledger.uploads[XOR].duplicate
    course.fill(ADAM_AGAIN, "#counts", "1,,,")
    ledger = course.run(SECOND, marker="ana")
    assert [ledger.uploads[f].counts for f in (ADAM, ADAM_AGAIN)] == [False, True]
    counting = ledger.uploads[ADAM_AGAIN].counting
    assert counting is not None and counting.note == "chosen by a tutor among 2 uploads"
    assert [e.mark.check for e in course.book.mark_history(ADAM_AGAIN)] == ["#counts"]
