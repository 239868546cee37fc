"""grades.json and grades.csv: exactly the contract's fields, atomic writes."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import pytest
from grade_builders import make_check, make_grade

from grader.export import (
    CSV_COLUMNS,
    csv_number,
    grades_csv_text,
    write_grades_csv,
    write_grades_json,
    write_text_atomic,
)

GOLDENS = Path(__file__).parent / "goldens"
GENERATED_AT = datetime(2025, 1, 15, 12, 0, 0, tzinfo=UTC)
SUBMISSION_KEYS = {"file", "sha256", "assignment", "group", "status", "score", "max_score",
                   "messages", "checks"}
CHECK_KEYS = {"id", "status", "points", "max_points", "message"}
STATUSES = {"graded", "rejected", "run-error", "timeout", "crashed"}

BATCH = (
    make_grade(),
    make_grade(file="misnamed.ipynb", assignment=None, group=None, status="rejected", score=0.0,
               max_score=0.0, checks=(),
               messages=("file name 'misnamed.ipynb' matches no assignment; closest expected: "
                         "adam_regression_classification_solved_group_NN.ipynb",)),
    make_grade(file="mlp/mlp_group_02.ipynb", assignment="mlp", group="02", status="run-error",
               score=0.0, max_score=2.0, messages=("cell 13: ZeroDivisionError: division by zero",),
               checks=(make_check(id="mlp_forward", status="not-run", points=0.0, max_points=2.0,
                                  message="not run"),)),
    make_grade(file="adam/adam_regression_classification_solved_group_05.ipynb", group="05",
               status="timeout", score=0.0, messages=("cell 4 ran past the 60 s limit",)),
    make_grade(file="mlp/mlp_group_03.ipynb", assignment="mlp", group="03", status="crashed",
               score=0.0, max_score=2.0, checks=(), messages=("the kernel died",)),
)


def test_grades_json_matches_the_contract(tmp_path: Path) -> None:
    path = tmp_path / "grades.json"
    write_grades_json(path, BATCH, "0.1.0", GENERATED_AT)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert set(document) == {"grader_version", "generated_at", "submissions"}
    assert document["grader_version"] == "0.1.0"
    assert datetime.fromisoformat(document["generated_at"]) == GENERATED_AT
    assert [s["file"] for s in document["submissions"]] == [g.file for g in BATCH]
    for submission in document["submissions"]:
        assert set(submission) == SUBMISSION_KEYS
        assert submission["status"] in STATUSES
        assert isinstance(submission["score"], (int, float))
        assert isinstance(submission["max_score"], (int, float))
        assert all(isinstance(m, str) for m in submission["messages"])
        for check in submission["checks"]:
            assert set(check) == CHECK_KEYS
            assert check["status"] in {"pass", "fail", "error", "not-run"}
    rejected = document["submissions"][1]
    assert rejected["status"] == "rejected"
    assert rejected["assignment"] is None and rejected["group"] is None
    assert rejected["score"] == 0 and rejected["checks"] == []


def test_grades_json_golden(tmp_path: Path, golden: Callable[[Path, str], None]) -> None:
    write_grades_json(tmp_path / "grades.json", BATCH, "0.1.0", GENERATED_AT)
    golden(GOLDENS / "grades.json", (tmp_path / "grades.json").read_text(encoding="utf-8"))


def test_generated_at_keeps_its_offset_and_refuses_naive_times(tmp_path: Path) -> None:
    cet = datetime(2025, 1, 15, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    path = tmp_path / "grades.json"
    write_grades_json(path, BATCH[:1], "0.1.0", cet)
    assert json.loads(path.read_text())["generated_at"] == "2025-01-15T13:00:00+01:00"
    write_grades_json(path, BATCH[:1], "0.1.0", "2025-01-15T12:00:00+00:00")
    assert json.loads(path.read_text())["generated_at"] == "2025-01-15T12:00:00+00:00"
    for naive in (datetime(2025, 1, 1), "2025-01-01T00:00:00"):
        with pytest.raises(ValueError, match="timezone-aware"):
            write_grades_json(tmp_path / "grades.json", BATCH, "0.1.0", naive)
    with pytest.raises(ValueError):
        write_grades_json(tmp_path / "grades.json", BATCH, "0.1.0", "yesterday")


def test_grades_json_refuses_nan_rather_than_write_invalid_json(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_grades_json(tmp_path / "grades.json", [make_grade(score=math.nan)], "0.1.0",
                          GENERATED_AT)
    assert not (tmp_path / "grades.json").exists()
    assert list(tmp_path.iterdir()) == []


def test_grades_csv_header_rows_and_check_union(tmp_path: Path) -> None:
    path = tmp_path / "grades.csv"
    write_grades_csv(path, BATCH)
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))
    assert tuple(rows[0]) == (*CSV_COLUMNS, "adam_step", "adam_converges", "mlp_forward")
    assert rows[1] == [BATCH[0].file, "adam", "04", "graded", "2", "3", "2", "0", ""]
    assert rows[2] == ["misnamed.ipynb", "", "", "rejected", "0", "0", "", "", ""]
    assert rows[3][-3:] == ["", "", "0"]
    assert len(rows) == 1 + len(BATCH)
    assert all(len(row) == len(rows[0]) for row in rows)


def test_grades_csv_golden(tmp_path: Path, golden: Callable[[Path, str], None]) -> None:
    write_grades_csv(tmp_path / "grades.csv", BATCH)
    golden(GOLDENS / "grades.csv", (tmp_path / "grades.csv").read_bytes().decode("utf-8"))


def test_awkward_file_names_round_trip_through_the_csv_module() -> None:
    names = ['we, "the group", said.ipynb', "line\nbreak.ipynb", "ünï ; tab\t.zip", "sub/1+1.ipynb"]
    text = grades_csv_text([make_grade(file=name) for name in names])
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [row["file"] for row in rows] == names


@pytest.mark.parametrize("name",
                         ["=HYPERLINK(\"http://x\").ipynb", "+1.zip", "-2.ipynb", "@SUM(A1).zip"],
                         ids=["equals", "plus", "minus", "at"])
def test_formula_like_names_are_inert_in_spreadsheets(name: str) -> None:
    text = grades_csv_text([make_grade(file=name, group=name)])
    row = next(csv.DictReader(io.StringIO(text, newline="")))
    assert row["file"] == "'" + name and row["group"] == "'" + name


def test_empty_batch_writes_just_the_header() -> None:
    assert grades_csv_text([]) == ",".join(CSV_COLUMNS) + "\r\n"


@pytest.mark.parametrize(("value", "text"), [(3.0, "3"), (0.0, "0"), (2.5, "2.5"),
                                             (1 / 3, "0.3333333333333333"), (7, "7")])
def test_csv_numbers(value: float, text: str) -> None:
    assert csv_number(value) == text


def test_atomic_write_replaces_and_leaves_no_temp_files(tmp_path: Path) -> None:
    write_grades_csv(tmp_path / "grades.csv", BATCH)
    write_grades_json(tmp_path / "grades.json", BATCH, "0.1.0", GENERATED_AT)
    write_grades_json(tmp_path / "grades.json", BATCH[:1], "0.1.0", GENERATED_AT)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grades.csv", "grades.json"]
    assert len(json.loads((tmp_path / "grades.json").read_text())["submissions"]) == 1
    assert (tmp_path / "grades.json").stat().st_mode & 0o777 == 0o644


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "grades.csv"
    path.write_text("old\n")

    def boom(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("grader.export.os.replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_text_atomic(path, "new\n")
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["grades.csv"]


def test_added_fields_follow_the_contract_fields_and_never_replace_them(tmp_path: Path) -> None:
    path = tmp_path / "grades.json"
    extra = {BATCH[0].file: {"final_score": None, "pending": 1}}
    write_grades_json(path, BATCH, "0.1.0", GENERATED_AT, extra)
    submissions = json.loads(path.read_text())["submissions"]
    assert list(submissions[0])[:len(SUBMISSION_KEYS)] == list(BATCH[0].to_contract())
    assert (submissions[0]["final_score"], submissions[0]["pending"]) == (None, 1)
    assert set(submissions[1]) == SUBMISSION_KEYS           # no extra for this upload
    with pytest.raises(ValueError, match="would replace contract fields: score"):
        write_grades_json(path, BATCH, "0.1.0", GENERATED_AT, {BATCH[0].file: {"score": 9}})


def test_added_columns_come_after_the_check_columns() -> None:
    extra = {BATCH[0].file: {"theory": "1.5", "final_score": "3.5"}}
    rows = list(csv.reader(io.StringIO(grades_csv_text(BATCH, ["theory", "final_score",
                                                               "adam_step"], extra))))
    checks = rows[0][len(CSV_COLUMNS):-2]
    assert rows[0][:6] == list(CSV_COLUMNS) and rows[0][-2:] == ["theory", "final_score"]
    assert "adam_step" in checks and rows[0].count("adam_step") == 1   # never a second column
    assert rows[1][-2:] == ["1.5", "3.5"] and rows[2][-2:] == ["", ""]
