"""grades-<assignment>.csv: a header that names each check with its maximum, one row per upload."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from grade_builders import make_check, make_grade
from rubric_builders import make_check as make_spec
from rubric_builders import make_rubric

from grader.assignment_csv import assignment_csv_text, write_assignment_csvs
from grader.ledger_view import Adjusted, HandMark, UploadLedger
from grader.marking import Mark, Override
from grader.totals import CheckPoints, merge

RUBRIC = make_rubric(checks=(make_spec(id="adam_step", points=1.5),
                             make_spec(id="figure", points=0.5, kind="figure")))


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_header_names_each_check_with_its_maximum() -> None:
    grades = [make_grade(checks=(make_check(id="adam_step", points=1.5, max_points=1.5),
                                 make_check(id="figure", points=0.0, max_points=0.5,
                                            status="fail"))),
              make_grade(file="=cmd|x.ipynb", group="05", status="rejected", score=0.0,
                         checks=())]
    header, first, second = _rows(assignment_csv_text(grades, RUBRIC))
    assert header == ["file", "group", "status", "score (max 2)", "adam_step (max 1.5)",
                      "figure (max 0.5)"]
    assert first[3:] == ["2", "1.5", "0"]
    assert second[0] == "'=cmd|x.ipynb" and second[4:] == ["", ""]


def test_one_file_per_assignment_and_none_for_unmatched(tmp_path: Path) -> None:
    grades = [make_grade(), make_grade(assignment="xor", file="x.zip"),
              make_grade(assignment=None, status="rejected")]
    written = write_assignment_csvs(tmp_path, grades, [RUBRIC])
    assert written == {"adam": "grades-adam.csv", "xor": "grades-xor.csv"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grades-adam.csv", "grades-xor.csv"]
    xor_header = _rows((tmp_path / "grades-xor.csv").read_text())[0]
    assert xor_header[4:] == ["adam_step (max 2)", "adam_converges (max 1)"]  # from the grades


def _marked(file: str, theory: float | None, penalty: float = 0.0) -> UploadLedger:
    """An upload of RUBRIC: adam_step 0 of 1.5 overridden to 1, theory (by hand) of 2."""
    marks = {(file, "theory"): Mark(file, "theory", theory)}
    override = Override(file, "adam_step", 1.0, "accepted")
    totals = merge(file, [CheckPoints("adam_step", 0.0, 1.5), CheckPoints("figure", 0.5, 0.5)],
                   [("theory", 2.0)], marks, {(file, "adam_step"): override}, penalty)
    checks = {c.id: c for c in totals.checks}
    adjusted = (Adjusted("adam_step", "fail", 0.0, 1.5, override),)
    assert checks["adam_step"].override is override
    return UploadLedger(file, "adam", "02", totals,
                        (HandMark("theory", "why", 2.0, theory),), adjusted)


def test_with_the_course_record_hand_marks_overrides_penalty_and_final_score_follow() -> None:
    grades = [make_grade(file="a.ipynb", score=0.5, checks=(
                  make_check(id="adam_step", status="fail", points=0.0, max_points=1.5),
                  make_check(id="figure", points=0.5, max_points=0.5))),
              make_grade(file="b.ipynb", score=0.5), make_grade(file="c.ipynb", score=2.0)]
    course = {"a.ipynb": _marked("a.ipynb", 1.5, penalty=0.5),
              "b.ipynb": _marked("b.ipynb", None)}
    header, a, b, c = _rows(assignment_csv_text(grades, RUBRIC, course))
    plain_header, *_ = _rows(assignment_csv_text(grades, RUBRIC))
    assert header[:len(plain_header)] == plain_header          # the columns of before, first
    added = header[len(plain_header):]
    assert added == ["theory (max 2, by hand)", "automatic_score", "overrides", "manual_score",
                     "manual_max_score", "pending", "penalty", "final_score", "submitted_at",
                     "counts"]
    assert a[len(plain_header):] == ["1.5", "1.5", "adam_step=1", "1.5", "2", "0", "0.5",
                                     "2.5", "", "yes"]       # 1 (override) + 0.5 + 1.5 - 0.5
    assert a[3] == "0.5"                                     # the automatic score as graded
    assert b[len(plain_header):][:8] == ["", "1.5", "adam_step=1", "0", "2", "1", "0", ""]
    assert c[len(plain_header):] == [""] * len(added)        # no course record for it


def test_the_overview_writes_the_course_columns(tmp_path: Path) -> None:
    grades = [make_grade(file="a.ipynb")]
    write_assignment_csvs(tmp_path, grades, [RUBRIC], {"a.ipynb": _marked("a.ipynb", 2.0)})
    header, row = _rows((tmp_path / "grades-adam.csv").read_text())
    assert row[header.index("final_score")] == "3.5"
