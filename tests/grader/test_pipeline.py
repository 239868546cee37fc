"""grader.pipeline: the steps wired for one upload; the bytes intake checked are the bytes run."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import write_team_notebook
from support_demo import GOOD

from grader.discover import Upload, upload_of
from grader.intake import Accepted, intake
from grader.pipeline import Options, grade_accepted, grade_job, job_for
from grader.rubric import load_rubrics

WRONG = [GOOD[0], "def double(x):\n    return 3 * np.asarray(x)", *GOOD[2:]]


@pytest.mark.kernel
def test_the_bytes_intake_read_are_the_bytes_that_run(tmp_path: Path, demo_rubrics: Path) -> None:
    path = write_team_notebook(tmp_path / "subs" / "demo_01.ipynb", *GOOD)
    verdict = intake(upload_of(path, path.name), load_rubrics(demo_rubrics))
    assert isinstance(verdict, Accepted)
    write_team_notebook(path, *WRONG)            # replaced on disk after intake read it
    grade = grade_accepted(verdict, Options(rubrics_dir=demo_rubrics))
    assert (grade.status, grade.score) == ("graded", 4.0)
    assert grade.sha256 == verdict.upload.sha256


def test_a_name_that_matches_no_rubric_is_rejected_and_never_read(tmp_path: Path,
                                                                  demo_rubrics: Path) -> None:
    rubrics = load_rubrics(demo_rubrics)
    upload = Upload(tmp_path / "absent.ipynb", "demo_7.ipynb", "0" * 64, 10)
    grade = grade_job(job_for(upload, rubrics), {r.id: r for r in rubrics},
                      Options(rubrics_dir=demo_rubrics))
    assert (grade.status, grade.assignment, grade.group) == ("rejected", None, None)
    assert grade.messages[0].startswith("file name: expected demo_NN.ipynb")
    assert grade.rubric_sha256 == rubrics[0].sha256


def test_a_matched_name_then_fails_the_rubrics_rules(tmp_path: Path, demo_rubrics: Path) -> None:
    rubrics = load_rubrics(demo_rubrics)
    path = write_team_notebook(tmp_path / "demo_02.ipynb", *GOOD, team="# Team\nYOUR ANSWER HERE")
    job = job_for(upload_of(path, path.name), rubrics)
    assert job.match == ("demo", "02") and job.rubric_sha256 == rubrics[0].sha256
    grade = grade_job(job, {r.id: r for r in rubrics}, Options(rubrics_dir=demo_rubrics))
    assert (grade.status, grade.assignment, grade.group) == ("rejected", "demo", "02")
    assert grade.messages[0].startswith("team information: the first cell still says")
