"""The course record as grades.json fields, grades.csv cells and the overview's counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from grader.lateness import Deadline, Lateness, SubmissionTime
from grader.ledger_view import COURSE_COLUMNS, HandMark, Ledger, UploadLedger
from grader.marking import Mark, Override
from grader.resubmission import Counting
from grader.roster import Member
from grader.totals import CheckPoints, merge

XOR = "xor/sheet06_1234567.zip"
ADAM = "adam/adam_regression_classification_solved_group_02.ipynb"
ADAM_AGAIN = "adam/again/adam_regression_classification_solved_group_02.ipynb"
DUE = datetime(2026, 12, 1, 22, 59, tzinfo=UTC)
LATE = SubmissionTime(DUE + timedelta(hours=30), "lms-csv", True)
GUESSED = SubmissionTime(DUE - timedelta(hours=1), "mtime", False, "file modification time")
REGRADE = Override(XOR, "forward", 1.0, "typo in the sheet", "ana", "2026-12-05T10:00:00+00:00")
# The fields docs/contract.md#additions-in-this-release and docs/course.md list, written out.
DOCUMENTED = {"manual_score", "manual_max_score", "pending", "penalty", "final_score",
              "manual_checks", "overrides", "submitted_at", "submitted_at_source",
              "submitted_at_reliable", "late_units", "duplicate", "counts", "counts_note",
              "team", "duration"}


def xor_entry(theory: float | None, when: SubmissionTime = LATE, units: int = 2,
              penalty: float = 1.0, file: str = XOR) -> UploadLedger:
    """An xor upload: 1 + 0 automatic (forward overridden to 1), `theory` of 2 by hand."""
    marks = {(file, "theory"): Mark(file, "theory", theory, "fine" if theory else "")}
    totals = merge(file, [CheckPoints("sigmoid", 1.0, 1.0), CheckPoints("forward", 0.0, 1.0)],
                   [("theory", 2.0)], marks, {(file, "forward"): REGRADE}, penalty)
    hand = (HandMark("theory", "6.3 in the PDF", 2.0, theory, "fine" if theory else ""),)
    deadline = Deadline(due=DUE, amount=0.25, unit="fraction")
    return UploadLedger(file, "xor", "1234567", totals, hand, (), when,
                        Lateness(when, timedelta(hours=30), units, penalty), deadline,
                        Counting(file, True, False), (Member("Ada", "1234567"),), 12.5)


def adam_entry(file: str, counts: bool | None) -> UploadLedger:
    totals = merge(file, [CheckPoints("adam_step", 1.0, 1.5)], [], {}, {})
    note = "2 uploads: a tutor chooses (#counts in marking.csv)"
    return UploadLedger(file, "adam", "02", totals, counting=Counting(file, counts, True, note))


def test_record_has_every_documented_field() -> None:
    record = xor_entry(1.5).to_record()
    assert set(record) == DOCUMENTED
    assert (record["manual_score"], record["pending"], record["penalty"],
            record["final_score"]) == (1.5, 0, 1.0, 2.5)     # 1 + 1 (override) + 1.5 - 1
    assert (record["submitted_at"], record["submitted_at_source"],
            record["submitted_at_reliable"], record["late_units"]) == (
        "2026-12-03T04:59:00+00:00", "lms-csv", True, 2)
    assert record["overrides"]["forward"]["reason"] == "typo in the sheet"
    assert record["team"] == [{"name": "Ada", "student_id": "1234567", "username": ""}]
    assert (record["counts"], record["duplicate"], record["duration"]) == (True, False, 12.5)


@pytest.mark.parametrize(("theory", "cells"), [
    (1.5, {"theory": "1.5", "manual_score": "1.5", "pending": "0", "final_score": "2.5"}),
    (None, {"theory": "", "manual_score": "0", "pending": "1", "final_score": ""}),
], ids=["marked", "pending-is-empty-not-0"])
def test_csv_cells(theory: float | None, cells: dict[str, str]) -> None:
    got = xor_entry(theory).csv_cells()
    assert {k: got[k] for k in cells} == cells
    assert (got["penalty"], got["submitted_at"], got["counts"]) == (
        "1", "2026-12-03T04:59:00+00:00", "yes")
    assert Ledger({XOR: xor_entry(theory)}).csv_columns() == ["theory", *COURSE_COLUMNS]


def test_overview_counts_what_is_left_to_mark_late_uploads_and_duplicates() -> None:
    entries = {XOR: xor_entry(None), "xor/b.zip": xor_entry(2.0, GUESSED, 0, 0.0, "xor/b.zip"),
               ADAM: adam_entry(ADAM, None), ADAM_AGAIN: adam_entry(ADAM_AGAIN, None)}
    overview = Ledger(entries, ("marking.csv row 3: ...",)).overview(
        [ADAM, ADAM_AGAIN, XOR, "xor/b.zip"])
    assert [(t.assignment, t.pending, t.uploads, t.given) for t in overview.to_mark] == [
        ("xor", 1, 1, 1)]
    assert [e.file for e in overview.late] == [XOR, "xor/b.zip"]    # late; unreliable time
    assert [e.file for e in overview.duplicates] == [ADAM, ADAM_AGAIN]
    assert [e.file for e in overview.totals] == [ADAM, ADAM_AGAIN, XOR, "xor/b.zip"]
    assert overview.shown and overview.problems == ("marking.csv row 3: ...",)


def test_nothing_to_show_without_course_features() -> None:
    plain = UploadLedger(ADAM, "adam", "02", merge(ADAM, [], [], {}, {}))
    assert not plain.shown
    assert not Ledger({ADAM: plain}).overview([ADAM]).shown
