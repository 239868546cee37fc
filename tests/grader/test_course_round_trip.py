"""A tutor's round trip on bundled uploads: grade, mark, override, deadline, regrade one, export.

One test walks the steps of docs/course.md#a-tutors-round-trip with the real `grade` command
(in-process, through click's runner) on a few fast bundled uploads copied into a temporary
SUBMISSIONS, and a copy of the bundled rubrics whose xor rubric has a `[deadline]`. The
automatic scores are read from the first grades.json; everything the tutor adds is checked
against it: grades.json, grades.csv, the reports' text, the overview, the gradebook's history
and the three LMS exports.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import sqlite3
import time
from datetime import datetime
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from lms_spec import CANVAS_HEADER, MOODLE_HEADER, assert_gradescope_results

from grader.cli import main

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ADAM = "adam/adam_regression_classification_solved_group_02.ipynb"          # graded, 1/5
ON_TIME = "xor/sheet06_1234567_7654321.zip"                                    # graded, 8/8
LATE = "xor/sheet06_2345678.zip"                          # graded, 6/8 (manual_grads fails)
FIRST = "xor/sheet06_5678901_6789012.zip"                # rejected (an id missing) ...
AGAIN = "xor/resubmitted/sheet06_5678901_6789012.zip"    # ... and the same group's second try
UPLOADS = {ADAM: ADAM, ON_TIME: ON_TIME, LATE: LATE, FIRST: FIRST, AGAIN: FIRST}
HAND = ("hessian_eigenvalues", "saddle_problems", "saddle_free_newton")        # 0.5, 0.5, 1
DEADLINE = """resubmission = "latest"

[deadline]
due = 2026-12-01T23:59:00+01:00
timezone = "Europe/Berlin"
grace_minutes = 15
per = "day"
amount = 0.1
unit = "fraction"
cap = 0.5
submitted_at = "lms-csv"
"""
# FIRST is not in the LMS's list: its (earlier) modification time is used, flagged unreliable.
TIMES = (f"file,submitted_at\nsheet06_1234567_7654321.zip,2026-12-01T23:50:00+01:00\n"
         f"{LATE},2026-12-03 08:00\n{AGAIN},2026-12-02T10:00:00+01:00\n")
FIRST_MTIME = datetime.fromisoformat("2026-12-01T12:00:00+00:00").timestamp()
ROSTER = ("student_id,name,email,group,lms_id\n1234567,Ada Lovelace,ada@uni.example,,301\n"
          "7654321,Alan Turing,alan@uni.example,,302\n"
          "2345678,Grace Hopper,grace@uni.example,,303\n")
REGRADE = "the shared ba gradient is right; the sheet asked for one bias per unit"


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


class Tutor:
    """The tutor's folder: SUBMISSIONS, the rubrics copy, the output folder, the times taken."""

    def __init__(self, root: Path) -> None:
        self.root, self.subs, self.out = root, root / "submissions", root / "graded"
        self.rubrics = root / "rubrics"
        self.seconds: dict[str, float] = {}

    def grade(self, step: str, *extra: str) -> Result:
        start = time.monotonic()
        result = CliRunner().invoke(main, [str(self.subs), "--out", str(self.out), "--rubrics",
                                           str(self.rubrics), "--workers", "2", *extra])
        self.seconds[step] = round(time.monotonic() - start, 2)
        assert result.exit_code == 0, result.output
        return result

    def export(self, *args: str) -> Result:
        result = CliRunner().invoke(main, ["export", str(self.out), *args])
        assert result.exit_code == 0, result.output
        return result

    def submissions(self) -> dict[str, dict[str, Any]]:
        document = json.loads((self.out / "grades.json").read_text(encoding="utf-8"))
        return {s["file"]: s for s in document["submissions"]}

    def csv_rows(self, name: str = "grades.csv") -> list[dict[str, str]]:
        text = (self.out / name).read_text(encoding="utf-8")
        return list(csv.DictReader(io.StringIO(text), delimiter=";" if ";" in
                                   text.split("\n", 1)[0] else ","))

    def page(self, rel: str) -> str:
        """A page's text as a reader sees it: tags removed (the <wbr> hints with no space),
        white space collapsed."""
        html = (self.out / rel).read_text(encoding="utf-8").replace("<wbr>", "")
        return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())

    def mark(self, marks: dict[tuple[str, str], tuple[str, str]]) -> None:
        """Fill marking.csv as a spreadsheet with German settings saves it (; and 0,5)."""
        rows = self.csv_rows("marking.csv")
        for row in rows:
            points, comment = marks.get((row["file"], row["check"]), (row["points"], ""))
            row["points"], row["comment"] = points.replace(".", ","), comment or row["comment"]
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), delimiter=";")
        writer.writeheader()
        writer.writerows(rows)
        (self.out / "marking.csv").write_text(buffer.getvalue(), encoding="utf-8")


@pytest.fixture
def tutor(tmp_path: Path) -> Tutor:
    tutor = Tutor(tmp_path)
    for rel, bundled in UPLOADS.items():
        (tutor.subs / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / "submissions" / bundled, tutor.subs / rel)
    os.utime(tutor.subs / FIRST, (FIRST_MTIME, FIRST_MTIME))
    (tutor.subs / "submission_times.csv").write_text(TIMES, encoding="utf-8")
    shutil.copytree(ROOT / "rubrics", tutor.rubrics)
    xor = tutor.rubrics / "xor.toml"
    text = xor.read_text(encoding="utf-8")
    xor.write_text(text.replace("zero_error = false\n", f"zero_error = false\n{DEADLINE}", 1),
                   encoding="utf-8")
    return tutor


def test_a_tutors_round_trip(tutor: Tutor) -> None:
    # 1. grade: the hand-marked checks are pending, not 0; nothing is exported as 0
    tutor.grade("grade")
    first = tutor.submissions()
    assert set(first) == set(UPLOADS)
    auto = {f: first[f]["score"] for f in UPLOADS}
    assert (first[ON_TIME]["pending"], first[ON_TIME]["final_score"]) == (3, None)
    assert first[ADAM]["final_score"] == auto[ADAM]                # no hand marks, no deadline
    sheet = tutor.csv_rows("marking.csv")
    assert [(r["file"], r["check"]) for r in sheet] == [(f, c) for f in (ON_TIME, LATE)
                                                        for c in HAND]
    assert "Marks given xor 6 2 0" in tutor.page("index.html")
    tutor.export("--format", "csv", "--out", str(tutor.root / "pending.csv"))
    pending = list(csv.DictReader(io.StringIO(read(tutor.root / "pending.csv"))))
    assert {r["final_score"] for r in pending if r["file"] == ON_TIME} == {""}

    # 2. a bad row (2 points of 1) is named; the sheet stays as typed; the good rows count
    marks = {(ON_TIME, HAND[0]): ("0.5", "right: they grow more positive"),
             (ON_TIME, HAND[1]): ("0.5", ""),
             (ON_TIME, HAND[2]): ("0.5", "the relation to Newton's method is missing"),
             (LATE, HAND[0]): ("0.5", ""), (LATE, HAND[1]): ("0", "no answer"),
             (LATE, HAND[2]): ("2", "")}
    tutor.mark(marks)
    typed = (tutor.out / "marking.csv").read_bytes()
    result = tutor.grade("marks with a bad row", "--marker", "ana")
    assert "marking.csv row 7: points 2 outside [0, 1] for 'saddle_free_newton'" in result.output
    assert (tutor.out / "marking.csv").read_bytes() == typed
    second = tutor.submissions()
    assert second[ON_TIME]["final_score"] == auto[ON_TIME] + 1.5
    assert second[LATE]["pending"] == 1
    assert "marking.csv row 7: points 2 outside [0, 1]" in tutor.page("index.html")

    # 3. the row fixed, an override granted: final scores, penalty, stamps
    marks[(LATE, HAND[2])] = ("1", "")
    tutor.mark(marks)
    overrides = tutor.out / "overrides.csv"
    overrides.write_text(overrides.read_text(encoding="utf-8")
                         + f"{LATE},manual_grads,1.5,{REGRADE},,\n", encoding="utf-8")
    result = tutor.grade("marks and override", "--marker", "ben")
    assert "marking.csv" not in result.output
    third = tutor.submissions()
    late = third[LATE]
    # 2026-12-03 08:00 Berlin is 2 started days after due + grace: 2 x 0.1 of the 10 points
    assert (late["late_units"], late["penalty"]) == (2, 2.0)
    assert late["final_score"] == auto[LATE] + 1.5 + (0.5 + 0 + 1) - 2.0
    assert late["score"] == auto[LATE]                              # the contract's score
    assert late["overrides"]["manual_grads"]["reason"] == REGRADE
    assert late["overrides"]["manual_grads"]["marker"] == "ben"
    assert third[ON_TIME]["penalty"] == 0 and third[ON_TIME]["submitted_at_reliable"] is True
    assert [m["marker"] for m in third[ON_TIME]["manual_checks"]] == ["ana"] * 3
    assert third[FIRST]["submitted_at_reliable"] is False
    assert (third[FIRST]["counts"], third[AGAIN]["counts"]) == (False, True)
    row = next(r for r in tutor.csv_rows() if r["file"] == LATE)
    assert (row["final_score"], row["pending"], row["penalty"], row[HAND[2]]) == (
        f"{late['final_score']:g}", "0", "2", "1")
    assert list(row)[:6] == ["file", "assignment", "group", "status", "score", "max_score"]
    report = tutor.page("reports/xor/sheet06_2345678.html")
    assert f"manual_grads fail 0 / 2 1.5 / 2 {REGRADE} (ben," in report
    assert "saddle_problems 0 / 0.5" in report and "no answer" in report
    assert "Late penalty -2 (2 started days late)" in report
    assert "Submitted 2026-12-03T08:00:00+01:00 (from the LMS's submission times)" in report
    assert f"Final score {late['final_score']:g} / 10" in report
    assert "the relation to Newton's method is missing" in \
        tutor.page("reports/xor/sheet06_1234567_7654321.html")
    assert "not in submission_times.csv; file modification time (unreliable)" in \
        tutor.page("reports/xor/sheet06_5678901_6789012.html")
    overview = tutor.page("index.html")
    assert "Marks given xor 0 0 6" in overview
    assert "xor 5678901_6789012" in overview
    assert f"{FIRST} (does not count: the group's latest upload ( {AGAIN} ) counts)" in overview
    assert f"{AGAIN} (counts: yes, latest of 2 uploads)" in overview

    # 4. regrade one upload: every other row of every output is kept
    result = tutor.grade("--only one", "--only", "adam/*group_02*")
    assert "1 graded now, 4 unchanged and kept" in result.output
    fourth = tutor.submissions()
    assert set(fourth) == set(UPLOADS) and {r["file"] for r in tutor.csv_rows()} == set(UPLOADS)
    assert {f: s["final_score"] for f, s in fourth.items()} == \
        {f: s["final_score"] for f, s in third.items()}
    assert all(f in tutor.page("index.html") for f in UPLOADS)
    with sqlite3.connect(tutor.out / "gradebook.sqlite") as db:
        graded = dict(db.execute("SELECT file, count(*) FROM grades GROUP BY file").fetchall())
        marked = db.execute("SELECT file, check_id, points, marker, run_id FROM marks "
                            "ORDER BY id").fetchall()
        changed = db.execute("SELECT file, check_id, points, reason, marker FROM overrides"
                             ).fetchall()
        runs = [r[0] for r in db.execute("SELECT run_id FROM runs ORDER BY rowid")]
    assert graded == {ADAM: 2, ON_TIME: 1, LATE: 1, FIRST: 1, AGAIN: 1}
    assert [(f, c, p, who, runs.index(run)) for f, c, p, who, run in marked] == [
        (ON_TIME, HAND[0], 0.5, "ana", 1), (ON_TIME, HAND[1], 0.5, "ana", 1),
        (ON_TIME, HAND[2], 0.5, "ana", 1), (LATE, HAND[0], 0.5, "ana", 1),
        (LATE, HAND[1], 0.0, "ana", 1), (LATE, HAND[2], 1.0, "ben", 2)]
    assert changed == [(LATE, "manual_grads", 1.5, REGRADE, "ben")]

    # 5. exports from the output folder
    roster = tutor.root / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    result = tutor.export("--format", "moodle", "--assignment", "xor", "--roster", str(roster),
                          "--out", str(tutor.root / "moodle.csv"))
    assert "no Moodle participant number" in result.output       # the rejected group's ids
    moodle = list(csv.reader(io.StringIO(read(tutor.root / "moodle.csv"))))
    assert moodle[0] == MOODLE_HEADER
    graded_rows = {r[0]: (r[4], r[5]) for r in moodle[1:] if r[0]}
    assert graded_rows == {"Participant 301": (f"{auto[ON_TIME] + 1.5:g}", "10"),
                           "Participant 302": (f"{auto[ON_TIME] + 1.5:g}", "10"),
                           "Participant 303": (f"{late['final_score']:g}", "10")}
    tutor.export("--format", "canvas", "--roster", str(roster), "--canvas-column",
                 "xor=Sheet 6 (4711)", "--out", str(tutor.root / "canvas.csv"))
    canvas = list(csv.reader(io.StringIO(read(tutor.root / "canvas.csv"))))
    assert canvas[0] == [*CANVAS_HEADER, "adam", "Sheet 6 (4711)"]
    grace = next(r for r in canvas if r[2] == "2345678")
    assert grace[5:] == [f"{auto[ADAM]:g}", f"{late['final_score']:g}"]   # by name in adam
    tutor.export("--format", "gradescope", "--out", str(tutor.root / "gradescope"))
    results = {p.parent.relative_to(tutor.root / "gradescope").as_posix():
               json.loads(p.read_text(encoding="utf-8"))
               for p in (tutor.root / "gradescope").rglob("results.json")}
    assert set(results) == {f.rsplit(".", 1)[0] for f in UPLOADS if f != FIRST}
    for one in results.values():
        assert_gradescope_results(one)
    assert results[LATE.rsplit(".", 1)[0]]["score"] == auto[LATE] + 1.5
    print(f"\nround trip seconds: {tutor.seconds}")
