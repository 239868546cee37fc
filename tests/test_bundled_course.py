"""The bundled batch's output folder as a course's record: `--only` and the LMS exports.

Both tests start from the session's grading of the whole submissions/ folder (`bundled_output`,
the real `grade` command): `--only` regrades one upload into a copy of it and every other row of
every output must stay as it was; each export format is written from it and checked against the
LMSs' documented headers and fields (tests/lms_spec.py).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from lms_spec import CANVAS_HEADER, MOODLE_HEADER, assert_gradescope_results

from grader.cli import main

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
TARGET = "adam/adam_regression_classification_solved_group_02.ipynb"
ON_DISK = sorted(p.relative_to(ROOT / "submissions").as_posix()
                 for p in (ROOT / "submissions").rglob("*") if p.suffix in (".ipynb", ".zip"))


def outputs(out: Path) -> tuple[dict[str, Any], dict[str, dict[str, str]], str]:
    """grades.json submissions and grades.csv rows by file, and index.html."""
    document = json.loads((out / "grades.json").read_text(encoding="utf-8"))
    rows = csv.DictReader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8")))
    return ({s["file"]: s for s in document["submissions"]}, {r["file"]: r for r in rows},
            (out / "index.html").read_text(encoding="utf-8").replace("<wbr>", ""))


def test_only_regrades_one_upload_and_keeps_every_other_row(bundled_output: Path,
                                                            tmp_path: Path) -> None:
    out = tmp_path / "graded"
    shutil.copytree(bundled_output, out)
    before, before_rows, _ = outputs(out)
    done = subprocess.run([sys.executable, "-m", "grader", "submissions/", "--out", str(out),
                           "--workers", "2", "--only", "adam/*group_02*"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"1 graded now, {len(ON_DISK) - 1} unchanged and kept" in done.stdout
    after, after_rows, index = outputs(out)
    assert sorted(after) == sorted(after_rows) == ON_DISK
    assert {f: s for f, s in after.items() if f != TARGET} == \
        {f: s for f, s in before.items() if f != TARGET}
    assert {f: r for f, r in after_rows.items() if f != TARGET} == \
        {f: r for f, r in before_rows.items() if f != TARGET}
    regraded, earlier = after[TARGET], before[TARGET]
    assert (regraded["status"], regraded["score"], regraded["sha256"]) == (
        earlier["status"], earlier["score"], earlier["sha256"])
    assert all(f in index for f in ON_DISK)
    assert all((out / "reports" / f"{f.rsplit('.', 1)[0]}.html").is_file() for f in ON_DISK)
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        counts = dict(db.execute("SELECT file, count(*) FROM grades GROUP BY file").fetchall())
    assert counts == {f: 2 if f == TARGET else 1 for f in ON_DISK}


def export(graded: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["export", str(graded), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_exports_of_the_bundled_batch(bundled_output: Path, bundled_grades: dict[str, Any],
                                      tmp_path: Path) -> None:
    xor = {f: s for f, s in bundled_grades.items() if s["assignment"] == "xor"}
    export(bundled_output, "--format", "moodle", "--assignment", "xor", "--out",
           str(tmp_path / "moodle.csv"))
    moodle = list(csv.reader(io.StringIO((tmp_path / "moodle.csv").read_text(encoding="utf-8"))))
    assert moodle[0] == MOODLE_HEADER
    statuses = {r[3] for r in moodle[1:]}
    # the hand-marked 6.3 is pending for every accepted xor upload: no grade, never a 0
    assert {r[4] for r in moodle[1:] if r[3].endswith("marks pending")} == {""}
    assert any(s.endswith("marks pending") for s in statuses)
    assert all(s["final_score"] is None for s in xor.values() if s["status"] != "rejected")

    export(bundled_output, "--format", "canvas", "--out", str(tmp_path / "canvas.csv"))
    canvas = list(csv.reader(io.StringIO((tmp_path / "canvas.csv").read_text(encoding="utf-8"))))
    assert canvas[0][:5] == CANVAS_HEADER
    assert set(canvas[0][5:]) == {s["assignment"] for s in bundled_grades.values()
                                  if s["assignment"]}

    export(bundled_output, "--format", "gradescope", "--out", str(tmp_path / "gs"))
    results = {p.parent.relative_to(tmp_path / "gs").as_posix(): json.loads(p.read_text())
               for p in (tmp_path / "gs").rglob("results.json")}
    assert sorted(results) == sorted(f.rsplit(".", 1)[0] for f in ON_DISK)
    for file, submission in bundled_grades.items():
        one = results[file.rsplit(".", 1)[0]]
        assert_gradescope_results(one)
        assert one["score"] == pytest.approx(submission["score"], abs=1e-9)
        assert [t["name"] for t in one["tests"]] == [c["id"] for c in submission["checks"]]

    export(bundled_output, "--format", "csv", "--out", str(tmp_path / "all.csv"))
    rows = list(csv.DictReader(io.StringIO((tmp_path / "all.csv").read_text(encoding="utf-8"))))
    adam = [r for r in rows if r["assignment"] == "adam"]
    assert adam and all(r["final_score"] == f"{float(r['score']):g}" for r in adam)
