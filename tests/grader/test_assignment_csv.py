"""grades-<assignment>.csv: a header that names each check with its maximum, one row per upload."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from grade_builders import make_check, make_grade
from rubric_builders import make_check as make_spec
from rubric_builders import make_rubric

from grader.assignment_csv import assignment_csv_text, write_assignment_csvs

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
