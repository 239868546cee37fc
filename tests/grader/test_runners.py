"""grader.runners: every job given to a runner is reported once, a grade or the grader's fault."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest
from builders import write_team_notebook
from support_demo import GOOD

from grader.discover import Upload
from grader.errors import GraderError
from grader.pipeline import Job, Options, job_for
from grader.rubric import load_rubrics
from grader.runners import DASK_MISSING, InProcess, require_dask
from grader.score import Grade


def jobs(tmp_path: Path, rubrics_dir: Path) -> list[Job]:
    """A misnamed upload, and a well-named one whose path the grader lost (its own fault)."""
    rubrics = load_rubrics(rubrics_dir)
    path = write_team_notebook(tmp_path / "demo_01.ipynb", *GOOD)
    data = path.read_bytes()
    good = Upload(path, path.name, hashlib.sha256(data).hexdigest(), len(data))
    lost = dataclasses.replace(job_for(good, rubrics),
                               upload=dataclasses.replace(good, path=None))  # type: ignore[arg-type]
    return [job_for(dataclasses.replace(good, rel="demo_7.ipynb"), rubrics), lost]


def test_in_process_reports_each_job_once_in_order(tmp_path: Path, demo_rubrics: Path) -> None:
    seen: list[tuple[str, str | None, str]] = []

    def on_done(job: Job, grade: Grade | None, note: str) -> None:
        seen.append((job.upload.rel, grade.status if grade else None, note))

    InProcess()(jobs(tmp_path, demo_rubrics), Options(rubrics_dir=demo_rubrics), on_done)
    assert [(rel, status) for rel, status, _ in seen] == [("demo_7.ipynb", "rejected"),
                                                         ("demo_01.ipynb", None)]
    assert seen[0][2] == "" and seen[1][2].startswith("internal error: TypeError")


def test_dask_is_required_only_when_asked_for() -> None:
    try:
        import distributed  # noqa: F401
    except ImportError:
        with pytest.raises(GraderError, match="pip install 'dlgrade\\[dask\\]'"):
            require_dask()
        assert "dask.distributed" in DASK_MISSING
    else:
        require_dask()
