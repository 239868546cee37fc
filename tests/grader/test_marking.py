"""The marking sheet and overrides: written, filled in a spreadsheet, read back, no mark lost."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from grader.marking import (
    COUNTS,
    MARKING_COLUMNS,
    Mark,
    Override,
    Slot,
    marking_sheet_text,
    read_marking_sheet,
    stamp_marks,
)
from grader.overrides import overrides_template, read_overrides, stamp_overrides
from grader.sheet_reader import SheetError

XOR = "xor/sheet06_1234567.zip"
ADAM = "adam/adam_regression_classification_solved_group_02.ipynb"
ADAM_LATE = "adam/late/adam_regression_classification_solved_group_02.ipynb"
HEADER = ",".join(MARKING_COLUMNS) + "\n"


def make_slot(**overrides: Any) -> Slot:
    """The xor upload: theory 7 points by hand, sigmoid and loss_fn automatic."""
    fields: dict[str, Any] = {
        "file": XOR, "assignment": "xor", "group": "1234567", "manual": (("theory", 7.0),),
        "automatic": (("sigmoid", 1.0), ("loss_fn", 1.0)),
    }
    fields.update(overrides)
    return Slot(**fields)


SLOTS = (make_slot(),
         make_slot(file=ADAM, assignment="adam", group="02", manual=(("comparison", 1.0),),
                   automatic=(("adam_step", 1.5),)))


def sheet(*rows: str) -> str:
    return HEADER + "".join(row + "\n" for row in rows)


# ----------------------------------------------------------------------------- writing
def test_fresh_sheet_has_a_pending_row_per_upload_and_hand_marked_check() -> None:
    assert marking_sheet_text(SLOTS, ()) == sheet(
        f"{XOR},1234567,theory,7,,,,",
        f"{ADAM},02,comparison,1,,,,",
    )


def test_rewrite_keeps_every_mark_and_adds_new_rows() -> None:
    filled = sheet(f"{XOR},1234567,theory,7,5.5,\"good, but 6.3c missing\",ana,"
                   "2026-12-03T10:00:00+01:00")
    read = read_marking_sheet(filled, SLOTS[:1])
    assert read.errors == ()
    assert marking_sheet_text(SLOTS, read.marks) == sheet(
        f"{XOR},1234567,theory,7,5.5,\"good, but 6.3c missing\",ana,2026-12-03T10:00:00+01:00",
        f"{ADAM},02,comparison,1,,,,",
    )


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1 for style", "-0.5: sign",
                                  "@me", "\tindented", "plain", "'quoted' answer"])
def test_formula_like_cells_are_made_inert_and_read_back(text: str) -> None:
    slot = make_slot(file=f"{text}.zip", group=text)
    mark = Mark(slot.file, "theory", 3.0, comment=text, marker=text)
    written = marking_sheet_text([slot], [mark])
    row = written.splitlines()[1]
    if text[0] in "=+-@\t":
        assert row.startswith("'") or row.startswith("\"'")
    read = read_marking_sheet(written, [slot])
    assert read.errors == ()
    assert read.marks == (mark,)


def test_choice_rows_for_a_group_that_uploaded_twice() -> None:
    slots = [replace(SLOTS[1], choice=True), replace(SLOTS[1], file=ADAM_LATE, choice=True)]
    assert marking_sheet_text(slots, [Mark(ADAM_LATE, COUNTS, 1.0)]) == sheet(
        f"{ADAM},02,comparison,1,,,,", f"{ADAM},02,{COUNTS},1,,,,",
        f"{ADAM_LATE},02,comparison,1,,,,", f"{ADAM_LATE},02,{COUNTS},1,1,,,",
    )


# ----------------------------------------------------------------------------- reading
def test_pending_is_none_not_zero_and_zero_is_a_mark() -> None:
    read = read_marking_sheet(sheet(f"{XOR},1234567,theory,7,,,,", f"{ADAM},02,comparison,1,0,,,"),
                              SLOTS)
    assert read.errors == ()
    assert [(m.file, m.points) for m in read.marks] == [(XOR, None), (ADAM, 0.0)]


def test_what_spreadsheets_write_is_read() -> None:
    text = ("\ufefffile;group;check;max_points;points;comment;marker;marked_at\r\n"
            f"{XOR};1234567;theory;7;3,5;ok;;\r\n")
    read = read_marking_sheet(text.encode("utf-8"), SLOTS)
    assert (read.errors, read.delimiter) == ((), ";")
    assert read.marks == (Mark(XOR, "theory", 3.5, "ok"),)
    assert marking_sheet_text(SLOTS[:1], read.marks, read.delimiter).splitlines()[1] == \
        f"{XOR};1234567;theory;7;3.5;ok;;"


def test_a_sheet_is_written_back_as_it_was_saved() -> None:
    text = ("\ufefffile;group;check;max_points;points;comment;marker;marked_at\r\n"
            f"{XOR};1234567;theory;7;3,5;\"gut; fast\";;\r\n")
    read = read_marking_sheet(text.encode("utf-8"), SLOTS)
    assert read.errors == ()
    written = marking_sheet_text(SLOTS, read.marks, read.dialect)
    assert written == ("\ufefffile;group;check;max_points;points;comment;marker;marked_at\r\n"
                       f"{XOR};1234567;theory;7;3,5;\"gut; fast\";;\r\n"
                       f"{ADAM};02;comparison;1;;;;\r\n")
    assert read_marking_sheet(written.encode("utf-8"), SLOTS).marks[:1] == read.marks


def test_a_short_row_is_read_with_its_missing_trailing_cells_empty() -> None:
    read = read_marking_sheet(sheet(f"{XOR},1234567,theory,7,6.5", f"{ADAM},02,comparison"),
                              SLOTS)
    assert read.errors == ()
    assert read.marks == (Mark(XOR, "theory", 6.5), Mark(ADAM, "comparison", None))


def test_a_long_row_is_an_error_naming_the_decimal_comma() -> None:
    read = read_marking_sheet(sheet(f"{ADAM},02,comparison,1,1,good,,",
                                    f"{XOR},1234567,theory,7,0,5,half,,"), SLOTS)
    assert [str(e) for e in read.errors] == [
        "marking.csv row 3: 9 cells where the header has 8: a decimal comma in an unquoted "
        "number (0,5) splits a cell; write it as 0.5 or \"0,5\" in quotes, or save with ';' "
        "as separator"]
    assert read.marks == (Mark(ADAM, "comparison", 1.0, "good"),)
    read = read_overrides("file,check,points,reason,marker,at\n"
                          f"{ADAM},adam_step,1,5,partly right,\n", SLOTS)
    assert [str(e) for e in read.errors] == [
        "overrides.csv row 2: points '1' and reason '5' look like one number with a decimal "
        "comma (1,5) split in two: write 1.5 or \"1,5\" in quotes"]
    assert read.overrides == ()


def test_columns_may_come_in_any_order() -> None:
    text = "points,check,file,group,max_points,comment,marker,marked_at\n6,theory," + XOR + \
           ",x,7,,,\n"
    assert read_marking_sheet(text, SLOTS).marks == (Mark(XOR, "theory", 6.0),)


# (rows after the header, row number, rule fragment)
SHEET_ERRORS: list[tuple[str, list[str], int, str]] = [
    ("unknown-upload", ["xor/sheet06_9999999.zip,9999999,theory,7,3,,,"], 2,
     "no upload 'xor/sheet06_9999999.zip' in this batch"),
    ("unknown-check", [f"{XOR},1234567,proofs,7,3,,,"], 2,
     "'proofs' is not a hand-marked check of 'xor' (hand-marked: theory)"),
    ("automatic-check", [f"{XOR},1234567,sigmoid,1,1,,,"], 2,
     "changed in overrides.csv"),
    ("not-a-number", [f"{XOR},1234567,theory,7,five,,,"], 2, "points 'five' is not a number"),
    ("nan", [f"{XOR},1234567,theory,7,nan,,,"], 2, "points 'nan' is not a number"),
    ("above-max", [f"{XOR},1234567,theory,7,7.5,,,"], 2, "points 7.5 outside [0, 7] for 'theory'"),
    ("negative", [f"{XOR},1234567,theory,7,-1,,,"], 2, "points -1 outside [0, 7]"),
    ("max-edited-by-tutor", [f"{XOR},1234567,theory,10,9,,,"], 2, "outside [0, 7]"),
    ("twice", [f"{XOR},1234567,theory,7,3,,,", f"{XOR},1234567,theory,7,4,,,"], 3,
     "a second row for 'xor/sheet06_1234567.zip' and 'theory' (also row 3)"),
    ("counts-not-a-duplicate", [f"{ADAM},02,{COUNTS},1,1,,,"], 2,
     "not one of a group's duplicate uploads"),
    ("stale-row-with-comment", ["xor/gone.zip,1,theory,7,,see me,,"], 2, "no upload"),
]


@pytest.mark.parametrize(("rows", "row", "fragment"), [c[1:] for c in SHEET_ERRORS],
                         ids=[c[0] for c in SHEET_ERRORS])
def test_a_bad_row_is_an_error_naming_the_row_and_rule(rows: list[str], row: int,
                                                       fragment: str) -> None:
    good = f"{ADAM},02,comparison,1,1,fine,,"
    read = read_marking_sheet(sheet(good, *rows), SLOTS, sheet="marking.csv")
    assert len(read.errors) == 1
    error = read.errors[0]
    assert (error.sheet, error.row) == ("marking.csv", row + 1)
    assert fragment in error.rule
    assert str(error).startswith(f"marking.csv row {row + 1}: ")
    assert Mark(ADAM, "comparison", 1.0, "fine") in read.marks       # the good row still counts


@pytest.mark.parametrize(("text", "row", "fragment"), [
    ("file,group,check,points\n", 1, "missing: max_points, comment, marker, marked_at"),
    (HEADER.strip() + ",points\n", 1, "twice: points"),
    ("", 1, "the first row must be the header"),
    (b"file,group\n\xff\xfe", 0, "not UTF-8"),
], ids=["missing-columns", "a-column-twice", "empty", "not-utf8"])
def test_a_bad_file_is_one_error(text: str | bytes, row: int, fragment: str) -> None:
    read = read_marking_sheet(text, SLOTS)
    assert read.marks == ()
    assert [(e.row, fragment in e.rule) for e in read.errors] == [(row, True)]


def test_a_column_of_the_tutors_own_is_read_beside_ours_and_written_back() -> None:
    text = ("tutor_note," + HEADER.strip() + "\n"
            f"ask Ana,{XOR},1234567,theory,7,5,good,,\n"
            f"=odd,{ADAM},02,comparison,1,,,,\n")
    read = read_marking_sheet(text, SLOTS)
    assert read.errors == ()
    assert read.marks[0] == Mark(XOR, "theory", 5.0, "good")
    assert read.notes == ("marking.csv: column 'tutor_note' is not ours; kept as it is",)
    assert marking_sheet_text(SLOTS, read.marks, read.dialect, read.extra) == (
        HEADER.strip() + ",tutor_note\n"
        f"{XOR},1234567,theory,7,5,good,,,ask Ana\n"
        f"{ADAM},02,comparison,1,,,,,'=odd\n")


def test_a_column_of_the_tutors_own_in_overrides_is_ignored_and_named() -> None:
    read = read_overrides("file,check,points,reason,marker,at,why\n"
                          f"{XOR},sigmoid,1,ok,,,mail of 3 Dec\n", SLOTS)
    assert (read.errors, [o.points for o in read.overrides]) == ((), [1.0])
    assert read.notes == ("overrides.csv: column 'why' is not ours; kept as it is",)


def test_empty_rows_of_gone_uploads_and_checks_are_dropped_silently() -> None:
    read = read_marking_sheet(sheet("xor/gone.zip,1,theory,7,,,,", f"{XOR},1234567,essay,3,,,,",
                                    ",,,,,,,"), SLOTS)
    assert (read.marks, read.errors) == ((), ())


def test_two_uploads_of_a_group_may_not_both_count() -> None:
    slots = [replace(SLOTS[1], choice=True), replace(SLOTS[1], file=ADAM_LATE, choice=True)]
    read = read_marking_sheet(sheet(f"{ADAM},02,{COUNTS},1,1,,,", f"{ADAM_LATE},02,{COUNTS},1,1,,,",
                                    f"{ADAM},02,comparison,1,0.5,,,"), slots)
    assert [str(e) for e in read.errors] == [
        "marking.csv row 3: two uploads of group '02' say they count (also row 2); keep one 1"]
    half = read_marking_sheet(sheet(f"{ADAM},02,{COUNTS},1,0.5,,,"), slots)
    assert "#counts takes 1 (counts) or 0, got 0.5" in half.errors[0].rule


# ----------------------------------------------------------------------------- overrides
def test_overrides_template_is_the_header() -> None:
    assert overrides_template() == "file,check,points,reason,marker,at\n"
    read = read_overrides(overrides_template(), SLOTS)
    assert (read.overrides, read.errors) == ((), ())


def test_overrides_are_read() -> None:
    text = (overrides_template()
            + f"{XOR},loss_fn,1,\"regrade: 1/2 factor is in the text, accepted\",ben,\n"
            + f"{ADAM},adam_step,\"1,5\",bias correction was right,,2026-12-04T09:00:00Z\n")
    read = read_overrides(text, SLOTS)
    assert read.errors == ()
    assert read.overrides == (
        Override(XOR, "loss_fn", 1.0, "regrade: 1/2 factor is in the text, accepted", "ben"),
        Override(ADAM, "adam_step", 1.5, "bias correction was right", "", "2026-12-04T09:00:00Z"),
    )


OVERRIDE_ERRORS: list[tuple[str, str, str]] = [
    ("unknown-upload", "xor/x.zip,sigmoid,1,why,,", "no upload 'xor/x.zip'"),
    ("manual-check", f"{XOR},theory,1,why,,", "'theory' is not an automatic check of 'xor' "
                                              "(automatic: sigmoid, loss_fn)"),
    ("no-points", f"{XOR},sigmoid,,why,,", "an override needs points"),
    ("no-reason", f"{XOR},sigmoid,1,,,", "an override needs a reason"),
    ("above-max", f"{XOR},sigmoid,2,why,,", "points 2 outside [0, 1] for 'sigmoid'"),
]


@pytest.mark.parametrize(("row", "fragment"), [c[1:] for c in OVERRIDE_ERRORS],
                         ids=[c[0] for c in OVERRIDE_ERRORS])
def test_a_bad_override_is_an_error_naming_the_row(row: str, fragment: str) -> None:
    good = f"{ADAM},adam_step,1,ok,,"
    read = read_overrides(overrides_template() + good + "\n" + row + "\n", SLOTS)
    assert [e.row for e in read.errors] == [3]
    assert fragment in read.errors[0].rule
    assert read.overrides == (Override(ADAM, "adam_step", 1.0, "ok"),)


def test_a_second_override_of_the_same_check_is_an_error() -> None:
    text = overrides_template() + f"{XOR},sigmoid,1,a,,\n{XOR},sigmoid,0,b,,\n"
    assert read_overrides(text, SLOTS).errors == (
        SheetError("overrides.csv", 3, "a second row for 'xor/sheet06_1234567.zip' and "
                                       "'sigmoid' (also row 2)"),)


# ----------------------------------------------------------------------------- stamps
NOW = "2026-12-05T12:00:00+00:00"
EARLIER = "2026-12-04T12:00:00+00:00"


def test_stamps_mark_who_and_when_for_new_and_changed_marks_only() -> None:
    previous = [Mark(XOR, "theory", 5.0, "", "ana", EARLIER), Mark(ADAM, "comparison", 1.0)]
    marks = [Mark(XOR, "theory", 5.0),                        # unchanged: keeps ana's stamp
             Mark(ADAM, "comparison", 0.5),                   # changed: this run's marker
             Mark(XOR, "essay", None),                        # pending: no stamp
             Mark(ADAM, "style", 1.0, "", "carl", EARLIER)]   # the tutor's own stamp stays
    assert stamp_marks(marks, previous, "ben", NOW) == (
        Mark(XOR, "theory", 5.0, "", "ana", EARLIER),
        Mark(ADAM, "comparison", 0.5, "", "ben", NOW),
        Mark(XOR, "essay", None),
        Mark(ADAM, "style", 1.0, "", "carl", EARLIER),
    )


def test_an_edited_mark_is_by_this_run_not_by_the_stamp_the_grader_wrote() -> None:
    previous = [Mark(XOR, "theory", 5.0, "ok", "ana", EARLIER),
                Mark(ADAM, "comparison", 1.0, "", "ana", EARLIER)]
    marks = [Mark(XOR, "theory", 6.0, "ok", "ana", EARLIER),      # edited: not ana's any more
             Mark(ADAM, "comparison", 1.0, "", "ana", "04.12.2026 12:00")]   # Excel's time
    assert stamp_marks(marks, previous, "ben", NOW) == (
        Mark(XOR, "theory", 6.0, "ok", "ben", NOW),
        Mark(ADAM, "comparison", 1.0, "", "ana", EARLIER))
    assert stamp_marks(marks[:1], previous, "", NOW) == (
        Mark(XOR, "theory", 6.0, "ok", "unknown", NOW),)


def test_grader_columns_never_make_a_row_an_error() -> None:
    read = read_marking_sheet(sheet(f"{XOR},1234567,theory,7,3,,ana,07.12.2026 03:17"), SLOTS)
    assert read.errors == ()
    assert read_overrides(overrides_template() + f"{XOR},sigmoid,1,why,,soon\n",
                          SLOTS).errors == ()


def test_stamps_overrides_keep_the_first_stamp_while_unchanged() -> None:
    previous = [Override(XOR, "sigmoid", 1.0, "regrade", "ana", EARLIER)]
    overrides = [Override(XOR, "sigmoid", 1.0, "regrade"), Override(XOR, "loss_fn", 1.0, "ok")]
    assert stamp_overrides(overrides, previous, "ben", NOW) == (
        Override(XOR, "sigmoid", 1.0, "regrade", "ana", EARLIER),
        Override(XOR, "loss_fn", 1.0, "ok", "ben", NOW),
    )



def test_slot_for_an_upload_takes_the_rubrics_checks() -> None:
    from rubric_builders import make_check, make_rubric

    rubric = make_rubric(manual_checks=(make_check(id="comparison", kind="manual", points=1.0,
                                                   symbol=None, reference=None, inputs=None,
                                                   description="the written comparison"),))
    assert Slot.for_upload(ADAM, "02", rubric, choice=True) == Slot(
        ADAM, "adam", "02", (("comparison", 1.0),), (("adam_step", 1.0),), True)


def test_round_trip_with_the_bundled_xor_rubric() -> None:
    from pathlib import Path

    from grader.rubric import load_rubric
    from grader.totals import CheckPoints, merge

    rubric = load_rubric(Path(__file__).resolve().parents[2] / "rubrics" / "xor.toml")
    slot = Slot.for_upload(XOR, "1234567", rubric)
    assert [c for c, _ in slot.manual] == ["hessian_eigenvalues", "saddle_problems",
                                           "saddle_free_newton"]
    fresh = marking_sheet_text([slot], ())
    filled = fresh.replace("hessian_eigenvalues,0.5,,", "hessian_eigenvalues,0.5,0.5,")
    filled = filled.replace("saddle_problems,0.5,,", "saddle_problems,0.5,\"0,5\",")
    read = read_marking_sheet(filled, [slot])
    assert read.errors == ()
    marks = {(m.file, m.check): m for m in read.marks}
    checks = [CheckPoints(c.id, c.points, c.points) for c in rubric.checks]     # full marks
    assert merge(XOR, checks, slot.manual, marks, {}).final_score is None        # 6.3c pending
    filled = filled.replace("saddle_free_newton,1,,", "saddle_free_newton,1,1,")
    marks = {(m.file, m.check): m for m in read_marking_sheet(filled, [slot]).marks}
    assert merge(XOR, checks, slot.manual, marks, {}).final_score == 10.0        # the sheet's 10
