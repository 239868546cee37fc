"""grader.runners: every job given to a runner is reported once, a grade or the grader's fault."""

from __future__ import annotations

import dataclasses
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest
import support_demo
from builders import write_team_notebook
from click.testing import CliRunner
from support_demo import GOOD

from grader import bundle
from grader.batch import BatchResult, grade_all
from grader.cli import main
from grader.discover import upload_of
from grader.errors import GraderError
from grader.pipeline import Job, Options, job_for
from grader.progress import PlainProgress
from grader.rubric import load_rubrics
from grader.runners import (
    DASK_MISSING,
    DaskCluster,
    InProcess,
    LocalPool,
    check_scheduler,
    require_dask,
)
from grader.score import Grade


def jobs(tmp_path: Path, rubrics_dir: Path) -> list[Job]:
    """A misnamed upload, and a well-named one whose path the grader lost (its own fault)."""
    rubrics = load_rubrics(rubrics_dir)
    path = write_team_notebook(tmp_path / "demo_01.ipynb", *GOOD)
    good = upload_of(path, path.name)
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


# ----------------------------------------------------------------------------- a real cluster
ROOT = Path(__file__).resolve().parents[2]
ON_CLUSTER = ("adam/adam_regression_classification_solved_group_01.ipynb",   # graded 5/5
              "adam/adam_regression_classification_solved_group_02.ipynb",   # graded 1/5
              "adam/adam_regression_classification_solved_group_03.ipynb",   # run-error
              "adam/adam_regression_classification_solved_group_7.ipynb",    # rejected
              "xor/sheet06_4567890.zip")                                     # rejected


def _summary(result: BatchResult) -> dict[str, tuple[Any, ...]]:
    return {g.file: (g.assignment, g.group, g.status, g.score, g.messages,
                     tuple((c.id, c.status, c.points) for c in g.checks)) for g in result.grades}


@pytest.mark.kernel
@pytest.mark.slow
def test_a_dask_cluster_gives_the_grades_of_a_local_run(tmp_path: Path) -> None:
    """Bundled uploads through a real scheduler and two worker processes on 127.0.0.1."""
    distributed = pytest.importorskip("distributed")
    subs = tmp_path / "subs"
    for rel in ON_CLUSTER:
        (subs / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / "submissions" / rel, subs / rel)
    options = Options(rubrics_dir=bundle.rubrics_dir())
    local = grade_all(subs, tmp_path / "local", options, LocalPool(2), force=False,
                      progress=PlainProgress())
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        check_scheduler(cluster.scheduler_address)
        remote = grade_all(subs, tmp_path / "cluster", options,
                           DaskCluster(cluster.scheduler_address), force=False,
                           progress=PlainProgress())
    assert local.failures == remote.failures == ()
    assert _summary(remote) == _summary(local)
    assert {g.status for g in local.grades} == {"graded", "run-error", "rejected"}


@pytest.mark.slow
def test_an_unreachable_scheduler_fails_before_anything_is_written(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    subs, out = tmp_path / "subs", tmp_path / "out"
    write_team_notebook(subs / "demo_01.ipynb", *GOOD)
    with socket.socket() as free:                 # a port nothing listens on
        free.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{free.getsockname()[1]}"
    result = CliRunner().invoke(main, [str(subs), "--out", str(out), "--rubrics",
                                       str(support_demo.demo_rubrics(tmp_path / "rubrics")),
                                       "--scheduler", address])
    assert result.exit_code == 1, result.output
    assert f"grade: error: --scheduler {address}: no Dask scheduler could be reached there" \
        in result.output
    assert not out.exists()
