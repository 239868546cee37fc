"""What the batch writes per upload and for the batch: reports with their case files beside
them, the per-assignment CSVs and the overview."""

from __future__ import annotations

import base64
import dataclasses
from html import unescape
from pathlib import Path

import numpy as np
from grade_builders import make_check, make_grade
from rubric_builders import make_check as make_spec
from rubric_builders import make_rubric

from grader.case_file import case_npz
from grader.detail import Argument, CaseRow, CheckDetail
from grader.probe_runtime import Case
from grader.publish import case_file_name, write_overview, write_upload_report

BIG = np.arange(30.0)
DETAIL = CheckDetail(cases=(CaseRow(1, "", "fail"),), case=1, symbol="adam_step",
                     inputs=(Argument("theta", "array", (30,), "[0, 1, …]"),),
                     npz=base64.b64encode(case_npz(Case((BIG,)), ("theta",)) or b"").decode())
RUBRIC = make_rubric(checks=(make_spec(id="adam_step", description="one Adam step"),))


def _report(tmp_path: Path, checks: tuple[object, ...], relpath: str = "reports/a/x.html",
            **grade: object) -> str:
    path = write_upload_report(tmp_path, make_grade(checks=checks, **grade), relpath, [RUBRIC])
    return path.read_text()


def test_a_failing_case_gets_its_npz_beside_the_report_and_a_snippet_that_loads_it(
        tmp_path: Path) -> None:
    html = _report(tmp_path, (make_check(id="adam_step", status="fail", points=0.0,
                                         detail=DETAIL),))
    name = case_file_name("reports/a/x.html", "adam_step", 1)
    assert name == "x.adam_step-case1.npz"
    with np.load(tmp_path / "reports" / "a" / name, allow_pickle=False) as data:
        assert np.array_equal(data["theta"], BIG)
    assert f'href="{name}"' in html and f'np.load("{name}")' in unescape(html)
    assert "one Adam step" in html


def test_a_regrade_removes_this_reports_old_case_files_and_no_one_elses(tmp_path: Path) -> None:
    folder = tmp_path / "reports" / "a"
    folder.mkdir(parents=True)
    for name in ("x.adam_step-case3.npz", "x.b.adam_step-case1.npz", "notes.npz"):
        (folder / name).write_bytes(b"")
    _report(tmp_path, (make_check(),))      # x now passes: nothing to attach
    assert sorted(p.name for p in folder.iterdir()) == ["notes.npz", "x.b.adam_step-case1.npz",
                                                        "x.html"]


def test_a_hidden_check_gets_no_case_file(tmp_path: Path) -> None:
    hidden = make_check(id="adam_step", status="fail", points=0.0, visible=False, detail=DETAIL)
    _report(tmp_path, (hidden,))
    assert not list((tmp_path / "reports" / "a").glob("*.npz"))


def test_a_misnamed_upload_gets_the_closest_accepted_name(tmp_path: Path) -> None:
    html = _report(tmp_path, (), file="adam_regression_classification_solved_group_7.ipynb",
                   assignment=None, group=None, status="rejected", score=0.0, max_score=0.0)
    assert "Did you mean <code>adam_regression_classification_solved_group_07.ipynb</code>" in html


def test_the_overview_and_a_csv_per_assignment(tmp_path: Path) -> None:
    grades = [make_grade(checks=(make_check(id="adam_step"),)),
              dataclasses.replace(make_grade(), file="b.ipynb", assignment=None,
                                  status="rejected", checks=())]
    index = write_overview(tmp_path, grades, {g.file: "reports/x.html" for g in grades},
                           [RUBRIC], generated_at="2026-01-01T00:00:00+00:00",
                           grader_version="t", draw=False)
    html = index.read_text()
    assert (tmp_path / "grades-adam.csv").read_text().startswith(
        "file,group,status,score (max 1),adam_step (max 1)")
    assert 'href="grades-adam.csv"' in html and "<img" not in html
    assert html.count('<h2 id="assignment-') == 1
