"""The batch never loses an upload: odd names and zips get records, grader faults are `crashed`.

Most uploads here are rejected at intake, so no kernel runs (one test grades one good notebook).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import sqlite3
from pathlib import Path
from typing import Any, Sequence

import pytest
import support_demo
from builders import team_notebook_bytes
from click.testing import CliRunner, Result
from rubric_builders import (
    TEAM_CELL,
    XOR_EXPECTED,
    XOR_PATTERN,
    XOR_ZIP,
    good_xor_members,
    rubric_dict,
    write_rubric,
    zip_bytes,
)
from support_demo import GOOD

from grader.batch import grade_all
from grader.cli import main
from grader.gradebook import Gradebook
from grader.pipeline import Job, Options
from grader.progress import PlainProgress
from grader.runners import LocalPool, OnDone, Runner
from grader.score import INTERNAL_ERROR

BAD_NAME = b"demo\xff\xfe01.ipynb"
SHOWN = "demo%FF%FE01.ipynb"
CLASH_ZIP = "sheet06_1234567.zip"
LONG_ZIP = "sheet06_7654321.zip"


@pytest.fixture
def demo_rubrics(demo_rubrics: Path) -> Path:
    """The demo notebook rubric and an xor-like zip rubric."""
    xor = rubric_dict(id="xor", title="XOR", pattern=XOR_PATTERN, expected=XOR_EXPECTED,
                      upload="zip", zip=XOR_ZIP, team={"require_group_ids": True})
    write_rubric(demo_rubrics, xor, name="xor.toml")
    return demo_rubrics


def odd_uploads(subs: Path) -> None:
    """A name that is not UTF-8, a zip with a file and a folder of one name, a too-long name."""
    subs.mkdir(parents=True, exist_ok=True)
    with open(os.path.join(os.fsencode(subs), BAD_NAME), "wb") as fh:
        fh.write(team_notebook_bytes(*GOOD))
    members = good_xor_members(team=TEAM_CELL)
    (subs / CLASH_ZIP).write_bytes(zip_bytes(members + [("data", b"x"), ("data/y.txt", b"y")]))
    (subs / LONG_ZIP).write_bytes(zip_bytes(members + [("n" * 300 + ".txt", b"x")]))


def visible(page: Path) -> str:
    """A page's HTML without the invisible line-break hints (<wbr>) long file names carry."""
    return page.read_text(encoding="utf-8").replace("<wbr>", "")


def run_cli(subs: Path, out: Path, rubrics_dir: Path, *extra: str) -> Result:
    return CliRunner().invoke(main, [str(subs), "--out", str(out), "--rubrics", str(rubrics_dir),
                                     "--workers", "2", *extra])


def outputs(out: Path) -> tuple[dict[str, Any], dict[str, dict[str, str]], dict[str, str]]:
    """grades.json submissions, grades.csv rows and gradebook statuses, each keyed by file."""
    document = json.loads((out / "grades.json").read_text(encoding="utf-8"))
    rows = {r["file"]: r for r in csv.DictReader(io.StringIO((out / "grades.csv").read_text()))}
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        book = dict(db.execute("select file, status from grades order by id").fetchall())
    return {s["file"]: s for s in document["submissions"]}, rows, book


@pytest.mark.kernel
def test_odd_names_and_zips_get_records_in_every_output(tmp_path: Path, demo_rubrics: Path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    odd_uploads(subs)
    (subs / "demo_01.ipynb").write_bytes(team_notebook_bytes(*GOOD))
    result = run_cli(subs, out, demo_rubrics)
    assert result.exit_code == 0, result.output
    submissions, rows, book = outputs(out)
    expected = {SHOWN: "rejected", CLASH_ZIP: "rejected", LONG_ZIP: "rejected",
                "demo_01.ipynb": "graded"}
    assert {f: s["status"] for f, s in submissions.items()} == expected
    assert {f: r["status"] for f, r in rows.items()} == expected
    assert book == expected
    assert submissions["demo_01.ipynb"]["score"] == 4
    bad = submissions[SHOWN]
    assert (bad["assignment"], bad["group"]) == (None, None)
    assert "is not valid UTF-8" in bad["messages"][0] and "demo_NN.ipynb" in bad["messages"][0]
    assert "'data' is a file, but 'data/y.txt'" in submissions[CLASH_ZIP]["messages"][0]
    assert "name of 304 bytes (at most 255" in submissions[LONG_ZIP]["messages"][0]
    for name in (SHOWN, CLASH_ZIP, LONG_ZIP, "demo_01.ipynb"):
        report = out / "reports" / (name.rsplit(".", 1)[0] + ".html")
        assert report.is_file(), name
    index = visible(out / "index.html")
    assert all(name in index for name in expected)
    again = run_cli(subs, out, demo_rubrics)
    assert again.exit_code == 0 and "0 graded now, 4 unchanged and kept" in again.output


def test_rejected_odd_uploads_alone_exit_0(tmp_path: Path, demo_rubrics: Path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    odd_uploads(subs)
    result = run_cli(subs, out, demo_rubrics)
    assert result.exit_code == 0, result.output
    submissions, rows, book = outputs(out)
    assert set(submissions) == set(rows) == set(book) == {SHOWN, CLASH_ZIP, LONG_ZIP}
    assert (out / "reports" / "demo%FF%FE01.html").is_file()


def test_a_report_name_too_long_for_the_disk_is_shortened(tmp_path: Path,
                                                          demo_rubrics: Path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    name = b"demo_" + b"\xff" * 200 + b".zip"        # 209 bytes; escaped, 609 characters
    with open(os.path.join(os.fsencode(subs), name), "wb") as fh:
        fh.write(b"PK")
    result = grade_all(subs, tmp_path / "out", Options(rubrics_dir=demo_rubrics), LocalPool(1),
                       force=False, progress=PlainProgress())
    assert result.failures == ()
    (report,) = (tmp_path / "out" / "reports").iterdir()
    assert len(os.fsencode(report.name)) <= 255 and report.suffix == ".html"


def breaking_runner(broken: str) -> Runner:
    """A local pool that hands the job of upload `broken` to its worker with an unusable path
    (a fault of the grader, not of the upload)."""
    def run(jobs: Sequence[Job], options: Options, on_done: OnDone) -> None:
        jobs = [dataclasses.replace(j, upload=dataclasses.replace(j.upload, path=None))
                if j.upload.rel == broken else j for j in jobs]
        LocalPool(2)(jobs, options, on_done)
    return run


def test_an_internal_error_is_recorded_as_crashed_and_is_retried(
        tmp_path: Path, demo_rubrics: Path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    (subs / "demo_02.ipynb").write_bytes(b"{not json")      # rejected at intake once readable
    (subs / "demo_7.ipynb").write_bytes(team_notebook_bytes(*GOOD))  # misnamed: rejected
    result = grade_all(subs, out, Options(rubrics_dir=demo_rubrics),
                       breaking_runner("demo_02.ipynb"),
                       force=False, progress=PlainProgress())
    assert [f.split(":")[0] for f in result.failures] == ["demo_02.ipynb"]
    assert "internal error: TypeError" in result.failures[0]
    submissions, rows, book = outputs(out)
    crashed = submissions["demo_02.ipynb"]
    assert crashed["status"] == "crashed" and crashed["assignment"] == "demo"
    assert crashed["messages"][0].startswith(f"{INTERNAL_ERROR} (internal error: TypeError")
    assert crashed["messages"][0].endswith("a tutor must look at it")
    assert all(c["status"] == "not-run" for c in crashed["checks"])
    assert submissions["demo_7.ipynb"]["status"] == "rejected"
    assert rows["demo_02.ipynb"]["status"] == "crashed" and book["demo_02.ipynb"] == "crashed"
    assert (out / "reports" / "demo_02.html").is_file()
    assert "demo_02.ipynb" in visible(out / "index.html")

    again = grade_all(subs, out, Options(rubrics_dir=demo_rubrics), LocalPool(1), force=False,
                      progress=PlainProgress())
    assert again.failures == () and (again.graded, again.skipped) == (1, 1)
    statuses = {g.file: g.status for g in again.grades}
    assert statuses == {"demo_02.ipynb": "rejected", "demo_7.ipynb": "rejected"}


def test_a_broken_reference_is_a_grader_failure_exit_1(tmp_path: Path) -> None:
    folder = support_demo.demo_rubrics(tmp_path / "rubrics", reference="support_demo:broken_double")
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    (subs / "demo_01.ipynb").write_bytes(team_notebook_bytes(*GOOD))
    result = run_cli(subs, out, folder)
    assert result.exit_code == 1, result.output
    submissions, _, _ = outputs(out)
    message = submissions["demo_01.ipynb"]["messages"][0]
    assert submissions["demo_01.ipynb"]["status"] == "crashed"
    assert message.startswith(f"{INTERNAL_ERROR} (check 'double': the reference failed: ")
    assert "GRADER FAULT: demo_01.ipynb: recorded as crashed" in result.output


def test_a_failing_runner_still_records_every_upload(tmp_path: Path, demo_rubrics: Path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    odd_uploads(subs)

    def explode(jobs: Sequence[Job], options: Options, on_done: OnDone) -> None:
        raise RuntimeError("no processes left")
    result = grade_all(subs, out, Options(rubrics_dir=demo_rubrics), explode, force=False,
                       progress=PlainProgress())
    assert len(result.failures) == 3
    submissions, rows, book = outputs(out)
    assert {s["status"] for s in submissions.values()} == {"crashed"}
    assert set(submissions) == set(rows) == set(book) == {SHOWN, CLASH_ZIP, LONG_ZIP}
    assert submissions[SHOWN]["assignment"] is None       # a name that is not UTF-8 matches none
    assert "RuntimeError: no processes left" in submissions[CLASH_ZIP]["messages"][0]


def test_a_gradebook_that_fails_loses_no_upload(
        tmp_path: Path, demo_rubrics: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    odd_uploads(subs)
    record = Gradebook.record

    def flaky(self: Gradebook, run_id: str, grade: Any) -> None:
        if grade.file == CLASH_ZIP:
            raise OSError("disk I/O error")
        record(self, run_id, grade)
    monkeypatch.setattr(Gradebook, "record", flaky)
    result = grade_all(subs, out, Options(rubrics_dir=demo_rubrics), LocalPool(1), force=False,
                       progress=PlainProgress())
    assert [f.split(":")[0] for f in result.failures] == [CLASH_ZIP]
    submissions, rows, book = outputs(out)
    assert set(submissions) == set(rows) == {SHOWN, CLASH_ZIP, LONG_ZIP}
    assert set(book) == {SHOWN, LONG_ZIP}

    monkeypatch.undo()
    with sqlite3.connect(out / "gradebook.sqlite") as db:       # and an unreadable old record
        db.execute("update grades set record_json = '{' where file = ?", (LONG_ZIP,))
    again = grade_all(subs, out, Options(rubrics_dir=demo_rubrics), LocalPool(1), force=False,
                      progress=PlainProgress())
    assert again.failures == () and (again.graded, again.skipped) == (2, 1)
    assert {g.file: g.status for g in again.grades} == {
        SHOWN: "rejected", CLASH_ZIP: "rejected", LONG_ZIP: "rejected"}


def test_what_is_not_graded_is_listed_and_a_group_uploading_twice_is_flagged(
        tmp_path: Path, demo_rubrics: Path) -> None:
    """No student's work disappears silently (rejected uploads only: no kernel runs)."""
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    for name in ("demo_03.ipynb ", "demo_04.ipynb.", ".hidden/demo_05.ipynb", ".demo_06.ipynb",
                 "demo_07.ipynb", "late/demo_07.ipynb"):
        (subs / name).parent.mkdir(parents=True, exist_ok=True)
        (subs / name).write_bytes(b"{not json")
    result = run_cli(subs, out, demo_rubrics)
    assert result.exit_code == 0, result.output
    listed = [line for line in result.output.splitlines() if line.startswith("not graded: ")]
    assert listed == [
        "not graded: .demo_06.ipynb: its name starts with '.', so it is hidden and skipped; "
        "rename it without the leading dot",
        "not graded: .hidden/demo_05.ipynb: it is inside the hidden folder '.hidden/', which is "
        "skipped; move it out",
        "not graded: demo_03.ipynb : its name ends in ' ' after .ipynb, so it is not read as an "
        "upload; rename it to end in .ipynb",
        "not graded: demo_04.ipynb.: its name ends in '.' after .ipynb, so it is not read as an "
        "upload; rename it to end in .ipynb"]
    submissions, _, book = outputs(out)
    assert set(submissions) == set(book) == {"demo_07.ipynb", "late/demo_07.ipynb"}
    assert {s["group"] for s in submissions.values()} == {"07"}
    index = visible(out / "index.html")
    assert index.count('<li class="file">not graded: ') == 4
    assert "demo_03.ipynb : its name ends in" in index
    assert index.count('<strong class="nowrap">(2 uploads)</strong>') == 2
    assert 'id="same-group"' in index


def test_a_folder_with_nothing_but_lookalikes_names_them(tmp_path: Path,
                                                         demo_rubrics: Path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "demo_01.ipynb ").write_bytes(team_notebook_bytes(*GOOD))
    result = run_cli(subs, tmp_path / "out", demo_rubrics)
    assert result.exit_code == 2
    assert "no uploads found" in result.output
    assert "not graded: demo_01.ipynb : its name ends in ' ' after .ipynb" in result.output
    assert not (tmp_path / "out").exists()
