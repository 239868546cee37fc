"""LMS exports: Moodle's grading worksheet, Canvas's gradebook import, Gradescope's results.json.

grader.lms, grader.lms_records and grader.lms_formats. The headers and fields are checked against
the LMSs' own documentation and importers (the sources are named beside each test), written out
here rather than taken from the grader's modules.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from lms_spec import CANVAS_HEADER, MOODLE_HEADER, assert_gradescope_results

from grader.errors import GraderError, UsageError
from grader.lms import export_graded
from grader.lms_formats import canvas_gradebook, gradescope_results, moodle_worksheet, plain_csv
from grader.lms_records import feedback, record_from_submission, records_from_document
from grader.roster import Student, read_roster

XOR = "xor/sheet06_1234567_7654321.zip"
ADAM = "adam/adam_regression_classification_solved_group_02.ipynb"
ADAM_OLD = "adam/old/adam_regression_classification_solved_group_02.ipynb"
NOW = "2026-12-06T10:00:00+00:00"


def check(cid: str, points: float, most: float, status: str = "pass") -> dict[str, Any]:
    return {"id": cid, "status": status, "points": points, "max_points": most,
            "message": "matches the reference" if status == "pass" else "got 0.2, expected 0.7"}


def submission(**overrides: Any) -> dict[str, Any]:
    """The xor upload, fully marked: 1 + 1.5 (override) automatic, 5 of 7 by hand, 0.5 late."""
    fields: dict[str, Any] = {
        "file": XOR, "sha256": "a" * 64, "assignment": "xor", "group": "1234567_7654321",
        "status": "graded", "score": 1.0, "max_score": 3.0, "messages": [],
        "checks": [check("sigmoid", 1.0, 1.0), check("manual_grads", 0.0, 2.0, "fail")],
        "manual_score": 5.0, "manual_max_score": 7.0, "pending": 0, "penalty": 0.5,
        "final_score": 7.0,
        "manual_checks": [{"id": "theory", "max_points": 7.0, "points": 5.0,
                           "comment": "6.3c missing", "marker": "ana", "marked_at": NOW}],
        "overrides": {"manual_grads": {"points": 1.5, "reason": "ba shared: accepted",
                                       "marker": "ana", "at": NOW}},
        "team": [{"name": "Ada Lovelace", "student_id": "1234567", "username": "ada"},
                 {"name": "Alan Turing", "student_id": "7654321", "username": "alan"}],
    }
    fields.update(overrides)
    return fields


DOCUMENT = {"grader_version": "0.1.0", "generated_at": NOW, "submissions": [
    submission(),
    submission(file=ADAM, assignment="adam", group="02", score=4.0, max_score=5.0,
               checks=[check("adam_step", 1.5, 1.5), check("train_linreg", 2.5, 3.5, "fail")],
               manual_score=0.0, manual_max_score=1.0, pending=1, penalty=0.0,
               final_score=None, manual_checks=[], overrides={}, team=[], counts=True),
    submission(file=ADAM_OLD, assignment="adam", group="02", counts=False),
    submission(file="misc/notes.ipynb", assignment=None, group=None, status="rejected"),
]}
ROSTER = read_roster("student_id,name,email,group,assignment,lms_id,sis_login_id,section\n"
                     "1234567,Ada Lovelace,ada@uni.example,,,301,ada,Tue\n"
                     "7654321,Alan Turing,alan@uni.example,,,302,alan,Tue\n"
                     "1111111,Katherine Johnson,kj@uni.example,02,adam,303,kj,Wed\n")[0]
RECORDS = records_from_document(DOCUMENT)


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# ----------------------------------------------------------------------------- reading
def test_records_read_the_totals_and_fall_back_to_the_automatic_score() -> None:
    xor = RECORDS[0]
    assert (xor.grade, xor.grade_max, xor.checks[1].counted) == (7.0, 10.0, 1.5)
    plain = record_from_submission({k: v for k, v in submission().items()
                                    if k not in ("final_score", "manual_max_score")})
    assert (plain.grade, plain.grade_max) == (1.0, 3.0)           # a grades.json of today
    assert RECORDS[1].grade is None                                # pending


@pytest.mark.parametrize(("document", "fragment"), [
    ({"submissions": [submission(score="7")]}, "submissions[0].score: expected a number"),
    ({"submissions": [submission(counts="yes")]}, "submissions[0].counts: expected true"),
    ({"submissions": [{"file": "x"}]}, "submissions[0]: malformed (KeyError"),
    ({"grades": []}, "not a grades.json document"),
], ids=["score-string", "counts-string", "missing-fields", "not-grades-json"])
def test_malformed_documents_are_named(document: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValueError, match=re.escape(fragment)):
        records_from_document(document)


def test_feedback_says_how_the_grade_was_made() -> None:
    assert feedback(RECORDS[0]) == (
        "automatic 2.5/3; manual_grads set to 1.5 by a tutor (ba shared: accepted); "
        "hand-marked 5/7; theory: 6.3c missing; late penalty -0.5")
    assert feedback(RECORDS[1]) == "automatic 4/5; hand-marked 0/1 (1 pending)"


# ----------------------------------------------------------------------------- moodle
def test_moodle_worksheet_matches_moodles_header_and_importer() -> None:
    export = moodle_worksheet([r for r in RECORDS if r.assignment == "xor"], ROSTER, NOW)
    table = rows(export.text)
    assert table[0] == MOODLE_HEADER
    # The importer (mod/assign/feedback/offline/importgradeslib.php, init) needs these three
    # columns and reads the user from "Participant <n>" (string hiddenuser 'Participant ').
    for needed in ("Identifier", "Grade", "Last modified (grade)"):
        assert needed in table[0]
    assert [r[:7] for r in table[1:]] == [
        ["Participant 301", "Ada Lovelace", "ada@uni.example", "graded", "7", "10", "Yes"],
        ["Participant 302", "Alan Turing", "alan@uni.example", "graded", "7", "10", "Yes"],
    ]
    assert {r[8] for r in table[1:]} == {NOW}
    assert export.warnings == ()


def test_moodle_pending_grade_is_empty_and_missing_participant_is_warned() -> None:
    export = moodle_worksheet([r for r in RECORDS if r.assignment == "adam"], (), NOW)
    table = rows(export.text)
    assert len(table) == 2                         # the upload that does not count is left out
    assert table[1][0] == "" and table[1][4] == "" and table[1][3] == "graded - marks pending"
    assert any("no student known for group '02'" in w for w in export.warnings)
    assert any("no Moodle participant number" in w for w in export.warnings)


# ----------------------------------------------------------------------------- canvas
def test_canvas_gradebook_matches_canvas_importer() -> None:
    export = canvas_gradebook(RECORDS, ROSTER, {"xor": "Sheet 6 (4711)"})
    table = rows(export.text)
    header = table[0]
    assert header[:5] == CANVAS_HEADER
    assert "Student" in header[0] and "ID" in header[1]
    assert re.match(r"SIS\s+User\s+ID", header[2]) and re.match(r"SIS\s+Login\s+ID", header[3])
    assert "Section" in header[4]
    assert header[5:] == ["adam", "Sheet 6 (4711)"]
    assert re.fullmatch(r"(.*)\s\((\d+)\)", header[6])         # Assignment.title_and_id
    assert table[1:] == [
        ["Ada Lovelace", "301", "1234567", "ada", "Tue", "", "7"],
        ["Alan Turing", "302", "7654321", "alan", "Tue", "", "7"],
        ["Katherine Johnson", "303", "1111111", "kj", "Wed", "", ""],
    ]


# ----------------------------------------------------------------------------- gradescope
def test_gradescope_results_follow_the_spec() -> None:
    results = gradescope_results(record_from_submission(submission(duration=12.6)))
    assert_gradescope_results(results)
    assert results["score"] == 2.5 and results["execution_time"] == 13
    assert [(t["name"], t["score"], t["max_score"]) for t in results["tests"]] == [
        ("sigmoid", 1.0, 1.0), ("manual_grads", 1.5, 2.0)]
    assert "Set to 1.5 by a tutor: ba shared: accepted" in results["tests"][1]["output"]


def test_gradescope_without_duration_has_no_execution_time() -> None:
    results = gradescope_results(RECORDS[1])
    assert_gradescope_results(results)
    assert "execution_time" not in results


@pytest.mark.parametrize("bad", [{"score": "1"}, {"visibility": "soon"}, {"execution_time": 1.5},
                                 {"tests": [{"name": "x", "score": 1, "weight": 2}]}])
def test_the_gradescope_validator_can_fail(bad: dict[str, Any]) -> None:
    with pytest.raises(AssertionError):
        assert_gradescope_results({"score": 1.0, **bad})


# ----------------------------------------------------------------------------- csv
def test_plain_csv_has_one_row_per_student_and_counted_upload() -> None:
    table = rows(plain_csv(RECORDS, ROSTER).text)
    assert table[0][:4] == ["file", "assignment", "group", "student_id"]
    assert [(r[0], r[3], r[12], r[14]) for r in table[1:]] == [
        (XOR, "1234567", "7", "yes"), (XOR, "7654321", "7", "yes"), (ADAM, "1111111", "", "yes")]


def test_formula_like_names_from_team_cells_are_inert() -> None:
    record = record_from_submission(submission(team=[{"name": "=HYPERLINK(\"x\")",
                                                      "student_id": "1234567"}],
                                               group="1234567"))
    table = rows(plain_csv([record], ()).text)
    assert table[1][4] == "'=HYPERLINK(\"x\")"


# ----------------------------------------------------------------------------- files
@pytest.fixture
def graded(tmp_path: Path) -> Path:
    folder = tmp_path / "graded"
    folder.mkdir()
    (folder / "grades.json").write_text(json.dumps(DOCUMENT), encoding="utf-8")
    return folder


def test_export_graded_writes_each_format(graded: Path, tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,name,email,group\n1234567,Ada Lovelace,a@x,\n",
                      encoding="utf-8")
    files, _ = export_graded(graded, "moodle", tmp_path / "m.csv", roster, "xor", now=NOW)
    assert rows(files[0].read_text(encoding="utf-8"))[0] == MOODLE_HEADER
    files, _ = export_graded(graded, "canvas", tmp_path / "c.csv", roster)
    assert rows(files[0].read_text(encoding="utf-8"))[0][:5] == CANVAS_HEADER
    files, _ = export_graded(graded, "gradescope", tmp_path / "gs")
    assert [f.relative_to(tmp_path / "gs").as_posix() for f in files] == [
        "xor/sheet06_1234567_7654321/results.json",
        "adam/adam_regression_classification_solved_group_02/results.json",
        "misc/notes/results.json"]
    one, _ = export_graded(graded, "gradescope", tmp_path / "results.json", assignment="xor")
    assert_gradescope_results(json.loads(one[0].read_text(encoding="utf-8")))


@pytest.mark.parametrize(("fmt", "out", "assignment", "error", "fragment"), [
    ("moodle", "m.csv", None, UsageError, "a Moodle worksheet holds one assignment"),
    ("csv", "c.csv", "conv3d", UsageError, "no upload of assignment 'conv3d'"),
    ("gradescope", "r.json", None, UsageError, "a .json file takes exactly one upload"),
    ("pdf", "x.pdf", None, UsageError, "unknown format 'pdf'"),
], ids=["moodle-two-assignments", "unknown-assignment", "gradescope-file-many", "format"])
def test_export_graded_usage_errors(graded: Path, tmp_path: Path, fmt: str, out: str,
                                    assignment: str | None, error: type[Exception],
                                    fragment: str) -> None:
    with pytest.raises(error, match=re.escape(fragment)):
        export_graded(graded, fmt, tmp_path / out, assignment=assignment)
    assert not (tmp_path / out).exists()


def test_a_gradescope_json_for_many_uploads_names_how_many_grades_json_has(
        graded: Path, tmp_path: Path) -> None:
    total = len(DOCUMENT["submissions"])
    counted = sum(s.get("counts", True) is not False for s in DOCUMENT["submissions"])
    assert counted < total
    with pytest.raises(UsageError, match=re.escape(f"grades.json has {total} ({counted} that "
                                                   f"count)")):
        export_graded(graded, "gradescope", tmp_path / "results.json")


def test_export_graded_needs_a_grades_json(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no grades.json there"):
        export_graded(tmp_path, "csv", tmp_path / "x.csv")
    (tmp_path / "grades.json").write_text("{", encoding="utf-8")
    with pytest.raises(GraderError, match="unreadable"):
        export_graded(tmp_path, "csv", tmp_path / "x.csv")


def test_roster_student_type_is_hashable() -> None:
    assert len({Student("1"), Student("1")}) == 1


# ----------------------------------------------------------------------------- identities
ADAM_05 = "adam/adam_regression_classification_solved_group_05.ipynb"
XOR_GRACE = "xor/sheet06_2345678.zip"
XOR_NAMELESS = "xor/sheet06_5678901.zip"


def team(*members: tuple[str, str]) -> list[dict[str, str]]:
    return [{"name": name, "student_id": sid, "username": ""} for name, sid in members]


def two_assignments(*extra: dict[str, Any]) -> tuple[Any, ...]:
    """Grace Hopper by name only in an adam team cell, by id and name in her xor upload."""
    return records_from_document({"submissions": [
        submission(file=ADAM, assignment="adam", group="02", final_score=4.0,
                   team=team(("Grace Hopper", ""), ("Edsger Dijkstra", ""))),
        submission(file=XOR_GRACE, group="2345678", final_score=7.0,
                   team=team(("grace  HOPPER", "2345678"))),
        *extra]})


def test_canvas_without_roster_gives_one_row_to_a_student_named_by_two_uploads() -> None:
    export = canvas_gradebook(two_assignments(), (), {})
    table = rows(export.text)
    assert table[0][5:] == ["adam", "xor"]
    assert [r[0] for r in table[1:]] == ["Grace Hopper", "Edsger Dijkstra"]
    assert table[1][2] == "2345678"
    assert table[1][5:] == ["4", "7"]
    assert not any("Grace Hopper" in w for w in export.warnings)


def test_plain_csv_gives_a_student_known_by_name_the_id_another_upload_gives() -> None:
    table = rows(plain_csv(two_assignments(), ()).text)
    assert [(r[0], r[3], r[4]) for r in table[1:]] == [
        (ADAM, "2345678", "Grace Hopper"), (ADAM, "", "Edsger Dijkstra"),
        (XOR_GRACE, "2345678", "grace  HOPPER")]


def test_a_name_two_students_share_is_not_merged_and_is_warned() -> None:
    other = submission(file="xor/sheet06_3456789.zip", group="3456789", final_score=5.0,
                       team=team(("Grace Hopper", "3456789")))
    export = canvas_gradebook(two_assignments(other), (), {})
    table = rows(export.text)
    assert [(r[0], r[2]) for r in table[1:]] == [
        ("Grace Hopper", ""), ("Edsger Dijkstra", ""), ("grace  HOPPER", "2345678"),
        ("Grace Hopper", "3456789")]
    warning = "'Grace Hopper' is the name of 2 students (2345678, 3456789): kept as a row"
    assert any(w.startswith(warning) for w in export.warnings)
    assert any("--roster" in w for w in export.warnings)


def test_students_known_only_by_name_and_only_by_id_are_kept_apart_and_warned() -> None:
    nameless = submission(file=XOR_NAMELESS, group="5678901", final_score=3.0, team=[])
    export = canvas_gradebook(two_assignments(nameless), (), {})
    table = rows(export.text)
    assert [(r[0], r[2]) for r in table[1:]] == [
        ("Grace Hopper", "2345678"), ("Edsger Dijkstra", ""), ("", "5678901")]
    assert ("could not tell whether the students known only by name (Edsger Dijkstra) are the "
            "students known only by id (5678901): each keeps a row of its own; list them in a "
            "roster (--roster CSV") in " ".join(export.warnings)


def test_the_same_id_in_two_roster_groups_is_one_canvas_row() -> None:
    roster = read_roster("student_id,name,email,group,assignment\n"
                         "2345678,Grace Hopper,g@x,02,adam\n"
                         "2345678,Grace Hopper,g@x,2345678,xor\n")[0]
    table = rows(canvas_gradebook(two_assignments(), roster, {}).text)
    assert table[1:] == [["Grace Hopper", "", "2345678", "", "", "4", "7"]]


def test_a_roster_group_that_is_not_the_team_cell_is_warned_and_followed() -> None:
    roster = read_roster("student_id,name,email,group,assignment\n"
                         "9000001,Katherine Johnson,kj@x,02,adam\n"
                         "9000002,Dorothy Vaughan,dv@x,02,adam\n")[0]
    adam = submission(file=ADAM, assignment="adam", group="02", final_score=4.0,
                      team=team(("Ada Lovelace", ""), ("Alan Turing", ""), ("Grace Hopper", "")))
    export = plain_csv(records_from_document({"submissions": [adam]}), roster)
    assert [r[4] for r in rows(export.text)[1:]] == ["Katherine Johnson", "Dorothy Vaughan"]
    assert export.warnings == (
        f"adam group 02: the roster puts Katherine Johnson (9000001), Dorothy Vaughan (9000002) "
        f"in it, the upload {ADAM} names Ada Lovelace, Alan Turing, Grace Hopper; the export "
        "follows the roster (Ada Lovelace, Alan Turing, Grace Hopper get no grade for it): "
        "correct the roster's group column (or the team cell) and export again",)


def test_a_roster_group_that_partly_matches_is_warned_and_one_that_matches_is_not() -> None:
    roster = read_roster("student_id,name,email,group,assignment\n"
                         "9000001,Katherine Johnson,kj@x,02,adam\n"
                         "9000002,Dorothy Vaughan,dv@x,02,adam\n")[0]
    partly = submission(file=ADAM, assignment="adam", group="02", final_score=4.0,
                        team=team(("katherine  johnson", ""), ("Mary Jackson", "")))
    [warning] = canvas_gradebook(records_from_document({"submissions": [partly]}), roster,
                                 {}).warnings
    assert "names katherine  johnson, Mary Jackson; the export follows the roster (Mary " \
        "Jackson gets no grade for it)" in warning
    same = submission(file=ADAM, assignment="adam", group="02", final_score=4.0,
                      team=team(("Katherine Johnson", ""), ("", "9000002")))
    assert canvas_gradebook(records_from_document({"submissions": [same]}), roster,
                            {}).warnings == ()
