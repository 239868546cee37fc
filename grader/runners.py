"""Where uploads are graded: a local process pool, an existing Dask cluster, or this process.

A runner maps `grader.pipeline.grade_job` over jobs and reports each one as it finishes through
`on_done(job, grade, note)`: a grade as `(job, grade, "")`, a failure of the grader on that job
as `(job, None, what failed)`. A runner never loses a job: every job it is given is reported
once (the batch ignores a second report). Workers load the rubrics once each.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Protocol, Sequence

from grader.errors import GraderError, failure_note
from grader.intake import Match, Rejected, apply_rules
from grader.pipeline import Job, Options, grade_job, subject
from grader.rubric import Rubric, load_rubrics
from grader.score import WORKER_DIED, Grade, score_worker_died
from grader.text import printable

OnDone = Callable[[Job, "Grade | None", str], None]
DASK_MISSING = "--scheduler needs dask.distributed: pip install 'dlgrade[dask]'"
SCHEDULER_TIMEOUT = 10.0     # seconds to reach the scheduler before anything is graded
UNREACHABLE = ("--scheduler {address}: no Dask scheduler could be reached there ({detail}); "
               "start one (dask scheduler) or fix the address")


class Runner(Protocol):
    """Grades jobs somewhere and reports each through `on_done`."""

    def __call__(self, jobs: Sequence[Job], options: Options, on_done: OnDone) -> None: ...


@lru_cache(maxsize=8)
def worker_rubrics(folder: Path) -> dict[str, Rubric]:
    """The rubrics of `folder` by id, loaded once per process."""
    return {r.id: r for r in load_rubrics(folder)}


def grade_in_worker(job: Job, options: Options) -> Grade:
    """What a worker runs for one job."""
    return grade_job(job, worker_rubrics(options.rubrics_dir), options)


def default_workers() -> int:
    """As many uploads at once as this machine has cores."""
    return os.cpu_count() or 1


@dataclass(frozen=True)
class InProcess:
    """Grades one job after the other in this process (tests, debugging, `grade check`)."""

    def __call__(self, jobs: Sequence[Job], options: Options, on_done: OnDone) -> None:
        for job in jobs:
            try:
                grade = grade_in_worker(job, options)
            except Exception as exc:  # noqa: BLE001 - a grader bug must not lose the batch
                on_done(job, None, failure_note(exc))
                continue
            on_done(job, grade, "")


@dataclass(frozen=True)
class LocalPool:
    """Grades `workers` jobs at once in spawned worker processes on this machine.

    A worker that dies breaks the pool and takes every job in flight with it, so those are then
    graded one at a time, each in a pool of its own: an upload that kills its worker even alone
    is recorded as crashed, and the others get their grades.
    """

    workers: int

    def __call__(self, jobs: Sequence[Job], options: Options, on_done: OnDone) -> None:
        if not jobs:
            return
        context = multiprocessing.get_context("spawn")
        suspects: list[Job] = []
        size = max(1, min(self.workers, len(jobs)))
        with ProcessPoolExecutor(max_workers=size, mp_context=context) as pool:
            futures = {pool.submit(grade_in_worker, job, options): job for job in jobs}
            for future in as_completed(futures):
                if not _settle(futures[future], future, on_done):
                    suspects.append(futures[future])
        for job in suspects:
            with ProcessPoolExecutor(max_workers=1, mp_context=context) as alone:
                if not _settle(job, alone.submit(grade_in_worker, job, options), on_done):
                    _worker_died(job, options, on_done)


def _settle(job: Job, future: Future[Grade], on_done: OnDone) -> bool:
    """Report a finished future; False when its worker died (the pool is broken)."""
    try:
        grade = future.result()
    except BrokenProcessPool:
        return False
    except Exception as exc:  # noqa: BLE001 - a grader bug must not lose the batch
        on_done(job, None, failure_note(exc))
        return True
    on_done(job, grade, "")
    return True


def _worker_died(job: Job, options: Options, on_done: OnDone) -> None:
    """Report a job whose worker died even alone: `crashed` when intake accepts the upload
    (its notebook killed the worker), else a failure of the grader."""
    try:
        grade = worker_death_grade(job, options)
    except Exception as exc:  # noqa: BLE001 - the record is made by the batch
        on_done(job, None, f"{WORKER_DIED}; then {failure_note(exc)}")
        return
    on_done(job, grade, "" if grade else WORKER_DIED)


def worker_death_grade(job: Job, options: Options) -> Grade | None:
    """The `crashed` record of an accepted upload that kills its worker; None when intake
    rejects it (then the worker's death is not the notebook's doing)."""
    if isinstance(job.match, Rejected):
        return None
    rubric_id, group = job.match
    verdict = apply_rules(job.upload, Match(worker_rubrics(options.rubrics_dir)[rubric_id], group))
    if isinstance(verdict, Rejected):
        return None
    return score_worker_died(subject(job.upload, verdict.rubric, group, verdict.rubric.sha256))


@dataclass(frozen=True)
class DaskCluster:
    """Grades jobs on an existing Dask cluster (its workers need this project installed and the
    rubrics folder at the same path)."""

    address: str

    def __call__(self, jobs: Sequence[Job], options: Options, on_done: OnDone) -> None:
        if not jobs:
            return
        require_dask()
        from distributed import Client
        from distributed import as_completed as dask_completed

        with Client(self.address) as client:  # type: ignore[no-untyped-call, unused-ignore]
            futures = {client.submit(grade_in_worker, job, options, pure=False): job
                       for job in jobs}
            pending = dask_completed(list(futures))  # type: ignore[no-untyped-call, unused-ignore]
            for future in pending:
                job = futures[future]
                try:
                    grade = future.result()
                except Exception as exc:  # noqa: BLE001 - a lost worker must not lose the batch
                    on_done(job, None, failure_note(exc))
                    continue
                on_done(job, grade, "")


def require_dask() -> None:
    """Fail before anything is graded when `--scheduler` cannot work."""
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        raise GraderError(DASK_MISSING) from exc


def check_scheduler(address: str, timeout: float = SCHEDULER_TIMEOUT) -> None:
    """Fail (a GraderError naming the address) before anything is written when no Dask
    scheduler answers at `address` within `timeout` seconds, or dask is not installed."""
    require_dask()
    from distributed import Client

    try:
        with Client(address, timeout=timeout):  # type: ignore[no-untyped-call, unused-ignore]
            pass
    except Exception as exc:  # noqa: BLE001 - whatever failed, there is no cluster to use
        detail = printable(f"{type(exc).__name__}: {exc}", multiline=False)[:300]
        raise GraderError(UNREACHABLE.format(address=printable(address, multiline=False),
                                             detail=detail)) from exc
