"""The grading pipeline, stated once: the steps of one upload, and the batch that maps them.

One upload flows through these steps, in this order (each in its own module):

    intake   grader.intake    match the file name to a rubric, apply its intake rules; nothing runs
    plan     grader.probe     fresh inputs and the reference values, in the grader's process
    execute  grader.execute   the notebook, then the probe cells, in a sandboxed kernel
    extract  grader.extract   the probe files read back as plain data (no pickle, capped)
    compare  grader.compare   every check against the reference values
    score    grader.score     statuses and points (the zero-error rule lives there)

`grade_upload` wires them for one upload; `grade_all` maps it over a folder on a process pool
(or a Dask cluster), records each grade in the gradebook as soon as it is known, and writes the
batch files of CONTRACT.md.
"""

from __future__ import annotations

import dataclasses
import hashlib
import multiprocessing
import os
import tempfile
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime, UTC
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable, Protocol, TypeVar

from grader import export, report
from grader.compare import CheckResult, evaluate_check
from grader.discover import Upload, discover
from grader.errors import GraderError
from grader.execute import run_notebook
from grader.extract import read_results
from grader.gradebook import INTERNAL_ERROR, Gradebook
from grader.intake import Accepted, Rejected, intake, match_rubric
from grader.probe import build_plan, probe_cells, upload_seed, write_inputs
from grader.rubric import Rubric, load_rubrics
from grader.score import Grade, score
from grader.version import grader_version, reference_version



@dataclass(frozen=True)
class Options:
    """How uploads are graded (the same for every upload of a batch)."""

    rubrics_dir: Path
    visible_only: bool = False      # `grade check`: only the checks students may see
    sandbox: bool = True            # False forces the rlimits-only fallback


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# ----------------------------------------------------------------------------- one upload
def _stage(accepted: Accepted, workdir: Path) -> None:
    """Copy the upload's own files (and nothing else) into its fresh work dir."""
    if accepted.members:
        for name, data in accepted.members:
            target = workdir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    else:
        (workdir / accepted.notebook_name).write_bytes(accepted.upload.path.read_bytes())


T = TypeVar("T")


def _cell_status(labels: Iterable[str], statuses: tuple[T, ...]) -> dict[str, T]:
    """Map "check <id>" probe-cell labels to how each cell ended (or how long it took)."""
    result = {}
    for label, status in zip(labels, statuses):
        if label.startswith("check "):
            result[label[len("check "):]] = status
    return result


def grade_accepted(accepted: Accepted, options: Options) -> Grade:
    """Run, probe, compare and score one upload that passed intake."""
    rubric = accepted.rubric
    if options.visible_only:
        rubric = dataclasses.replace(rubric, checks=tuple(c for c in rubric.checks if c.visible))
    seed = upload_seed(accepted.upload.sha256, rubric.id)
    plan = build_plan(rubric, seed)
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        workdir = Path(tmp) / "work"
        workdir.mkdir()
        _stage(accepted, workdir)
        cells = probe_cells(plan, rubric, workdir)

        def before_probes() -> None:
            write_inputs(plan, rubric, workdir)

        execution = run_notebook(accepted.notebook, workdir, rubric.limits, cells,
                                 before_extra=before_probes, seed=seed % (2**32),
                                 sandbox=options.sandbox,
                                 extra_after_errors=not rubric.zero_error)
        records = read_results(workdir, plan.dirname)
    statuses = _cell_status((c.label for c in cells), execution.extra_status)
    seconds = _cell_status((c.label for c in cells), execution.extra_seconds)
    checks: tuple[CheckResult, ...] = tuple(
        evaluate_check(check, plan.for_check(check.id), records, execution.image_outputs,
                       statuses.get(check.id), seconds.get(check.id))
        for check in rubric.checks
    )
    first = execution.cell_errors[0] if execution.cell_errors else None
    return score(
        file=accepted.upload.rel, sha256=accepted.upload.sha256, rubric=rubric,
        group=accepted.group, status_hint=execution.outcome,
        messages=(execution.message,) if execution.message else (),
        cell_errors=execution.cell_errors, checks=checks,
        first_error=f"{first.summary()}\n{first.traceback}" if first else "",
        members=accepted.listing, isolation=execution.isolation, warnings=execution.warnings,
        duration=execution.duration, notebook_seconds=execution.notebook_seconds,
        rubric_sha256=rubric.sha256, reference_version=reference_version(), graded_at=now_iso(),
    )


def grade_upload(upload: Upload, rubrics: tuple[Rubric, ...], options: Options) -> Grade:
    """The whole flow for one upload. A student's mistake never raises; a grader fault does."""
    verdict = intake(upload, rubrics)
    if isinstance(verdict, Rejected):
        rubric = verdict.rubric
        return score(file=upload.rel, sha256=upload.sha256, rubric=rubric, group=verdict.group,
                     status_hint="rejected", messages=verdict.messages, cell_errors=(), checks=(),
                     rubric_sha256=rubric_key(upload, rubrics), reference_version=reference_version(),
                     graded_at=now_iso())
    return grade_accepted(verdict, options)


@lru_cache(maxsize=8)
def _rubrics_in_worker(folder: Path) -> tuple[Rubric, ...]:
    return load_rubrics(folder)


def _worker(upload: Upload, options: Options) -> Grade:
    """What a pool worker runs: rubrics are loaded once per worker process."""
    return grade_upload(upload, _rubrics_in_worker(options.rubrics_dir), options)


def rubric_key(upload: Upload, rubrics: tuple[Rubric, ...]) -> str:
    """The rubric digest an upload's grade depends on (all rubrics when its name matches none)."""
    match = _matched(upload, rubrics)
    return match[0].sha256 if match else "+".join(r.sha256 for r in rubrics)


def _matched(upload: Upload, rubrics: tuple[Rubric, ...]) -> tuple[Rubric, str] | None:
    """The rubric and group intake matches the upload's name to (None for a name not UTF-8)."""
    return None if upload.undecodable else match_rubric(PurePosixPath(upload.rel).name, rubrics)


def internal_error_grade(upload: Upload, rubrics: tuple[Rubric, ...], note: str) -> Grade:
    """The record of an upload the grader itself failed on: `crashed`, never reused on a rerun.

    Args:
        note: what failed ("internal error: KeyError: 'x'", or a GraderError's message).
    """
    try:
        match = _matched(upload, rubrics)
    except Exception:  # noqa: BLE001 - the record must be made whatever failed
        match = None
    rubric, group = match if match else (None, None)
    key = rubric.sha256 if rubric else "+".join(r.sha256 for r in rubrics)
    grade = score(file=upload.rel, sha256=upload.sha256, rubric=rubric, group=group,
                  status_hint="crashed", messages=(f"{INTERNAL_ERROR} ({note}); a tutor must "
                                                   "look at it",),
                  cell_errors=(), checks=(), rubric_sha256=key,
                  reference_version=reference_version(), graded_at=now_iso())
    checks = tuple(dataclasses.replace(c, message=f"not scored: {INTERNAL_ERROR}")
                   for c in grade.checks)
    return dataclasses.replace(grade, checks=checks)


# ----------------------------------------------------------------------------- the batch
class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, upload: Upload, grade: Grade | None, note: str) -> None: ...
    def finish(self) -> None: ...


@dataclass(frozen=True)
class BatchResult:
    """What a batch did: every grade (fresh or reused), and the uploads left without one."""

    grades: tuple[Grade, ...]
    graded: int
    skipped: int
    failures: tuple[str, ...]
    out: Path


WORKER_DIED = ("the notebook's process killed the grader's worker while it was graded "
               "(possible only without the OS sandbox)")


def _worker_death_grade(upload: Upload, options: Options) -> Grade | None:
    """The record for an upload that kills its worker even when graded alone: crashed."""
    verdict = intake(upload, _rubrics_in_worker(options.rubrics_dir))
    if not isinstance(verdict, Accepted):
        return None
    return score(file=upload.rel, sha256=upload.sha256, rubric=verdict.rubric, group=verdict.group,
                 status_hint="crashed", messages=(WORKER_DIED,), cell_errors=(), checks=(),
                 rubric_sha256=verdict.rubric.sha256, reference_version=reference_version(),
                 graded_at=now_iso())


def _settle(upload: Upload, future: Future[Grade],
            on_done: Callable[[Upload, Grade | None, str], None]) -> bool:
    """Report a finished future; False when its worker died (the pool is broken).

    A grade reaches `on_done` as (grade, ""); a failure of the grader as (None, what failed).
    """
    try:
        grade = future.result()
    except BrokenProcessPool:
        return False
    except Exception as exc:  # noqa: BLE001 - a grader bug must not lose the batch
        on_done(upload, None, failure_note(exc))
        return True
    on_done(upload, grade, "")
    return True


def failure_note(exc: BaseException) -> str:
    """What failed, for an internal-error record: a GraderError's message, else the exception."""
    if isinstance(exc, GraderError):
        return str(exc)
    return f"internal error: {type(exc).__name__}: {exc}"


def _run_pool(uploads: list[Upload], options: Options, workers: int,
              on_done: Callable[[Upload, Grade | None, str], None]) -> None:
    """Grade uploads on a process pool.

    A worker that dies breaks the pool and takes every upload in flight with it, so those are
    then graded one at a time, each in a pool of its own: an upload that kills its worker even
    alone is recorded as crashed, and the others get their grades.
    """
    context = multiprocessing.get_context("spawn")
    suspects: list[Upload] = []
    with ProcessPoolExecutor(max_workers=max(1, min(workers, len(uploads))), mp_context=context) as pool:
        futures: dict[Future[Grade], Upload] = {pool.submit(_worker, u, options): u for u in uploads}
        for future in as_completed(futures):
            if not _settle(futures[future], future, on_done):
                suspects.append(futures[future])
    for upload in suspects:
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as alone:
            future = alone.submit(_worker, upload, options)
            if not _settle(upload, future, on_done):
                try:
                    grade = _worker_death_grade(upload, options)
                except Exception as exc:  # noqa: BLE001 - the record is made below
                    on_done(upload, None, f"{WORKER_DIED}; then {failure_note(exc)}")
                    continue
                on_done(upload, grade, "" if grade else WORKER_DIED)


def _run_dask(uploads: list[Upload], options: Options, address: str,
              on_done: Callable[[Upload, Grade | None, str], None]) -> None:
    """Grade uploads on an existing Dask cluster (its workers need this project installed)."""
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError as exc:
        raise GraderError("--scheduler needs dask.distributed: pip install 'dlgrade[dask]'") from exc
    with Client(address) as client:
        futures = {client.submit(_worker, u, options, pure=False): u for u in uploads}
        for future in dask_completed(list(futures)):
            upload = futures[future]
            try:
                grade = future.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker must not lose the batch
                on_done(upload, None, failure_note(exc))
                continue
            on_done(upload, grade, "")


def _require_dask() -> None:
    """Fail before anything is graded when `--scheduler` cannot work."""
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        raise GraderError("--scheduler needs dask.distributed: pip install 'dlgrade[dask]'") from exc


def grade_all(submissions: Path, out: Path, options: Options, workers: int, force: bool,
              progress: Progress, argv: str = "", scheduler: str | None = None) -> BatchResult:
    """Grade every upload under `submissions` into `out` (see CONTRACT.md for the files).

    Every upload gets a record in every output. When the grader itself fails on one (an
    unexpected exception, a worker lost), that upload is recorded as `crashed` with a message
    saying so (never reused on a rerun), the others go on, and the failure is listed in
    `BatchResult.failures` (the command then exits 1).
    """
    if scheduler:
        _require_dask()
    rubrics = load_rubrics(options.rubrics_dir)
    uploads = discover(submissions, skip=(out.resolve(),))
    out.mkdir(parents=True, exist_ok=True)
    paths = fit_report_paths(report.report_paths([u.rel for u in uploads]))
    titles = {r.id: r.title for r in rubrics}
    grades: dict[str, Grade] = {}
    failures: list[str] = []
    graded = skipped = 0

    def write_report(upload: Upload, grade: Grade) -> None:
        try:
            report.write_report(out, grade, paths[upload.rel],
                                title=titles.get(grade.assignment or ""))
        except Exception as exc:  # noqa: BLE001 - the other outputs still hold the grade
            failures.append(f"{upload.rel}: its report could not be written ({failure_note(exc)})")

    with Gradebook.open(out / "gradebook.sqlite") as book:
        run_id = book.start_run(grader_version(), reference_version(), argv)

        def done(upload: Upload, grade: Grade | None, note: str) -> None:
            nonlocal graded
            if upload.rel in grades:        # already settled (a runner failed after it)
                return
            if grade is None:
                grade = internal_error_grade(upload, rubrics, note)
                failures.append(f"{upload.rel}: recorded as crashed, {INTERNAL_ERROR} ({note})")
            grades[upload.rel] = grade
            graded += 1
            try:
                book.record(run_id, grade)
            except Exception as exc:  # noqa: BLE001 - one record must not lose the batch
                failures.append(f"{upload.rel}: not saved in the gradebook ({failure_note(exc)})")
            write_report(upload, grade)
            progress.advance(upload, grade, note)

        progress.start(len(uploads))
        todo = []
        for upload in uploads:
            try:
                previous = None if force else book.lookup(
                    upload.rel, upload.sha256, rubric_key(upload, rubrics), reference_version())
            except Exception:  # noqa: BLE001 - an unreadable old record: grade the upload again
                previous = None
            if previous is None:
                todo.append(upload)
                continue
            skipped += 1
            grades[upload.rel] = previous
            write_report(upload, previous)
            progress.advance(upload, previous, "unchanged since the last run: kept")
        try:
            if todo and scheduler:
                _run_dask(todo, options, scheduler, done)
            elif todo:
                _run_pool(todo, options, workers, done)
        except Exception as exc:  # noqa: BLE001 - the uploads left still get their records
            note = failure_note(exc)
            for upload in todo:
                done(upload, None, note)
        progress.finish()
    ordered = tuple(grades[u.rel] for u in uploads if u.rel in grades)
    stamp = now_iso()
    export.write_grades_json(out / "grades.json", ordered, grader_version(), stamp)
    export.write_grades_csv(out / "grades.csv", ordered)
    report.write_index(out, ordered, {g.file: paths[g.file] for g in ordered},
                       generated_at=stamp, grader_version=grader_version())
    return BatchResult(ordered, graded, skipped, tuple(failures), out)


NAME_MAX = 255      # bytes in one file or folder name (Linux, macOS)


def fit_report_paths(paths: dict[str, str]) -> dict[str, str]:
    """Report paths whose every part fits in NAME_MAX bytes.

    A part that is too long (an upload named near the limit gains bytes as `.html`, or as the
    `%XX` of a name that is not UTF-8) keeps its first bytes, then `~` and a digest of the whole
    part, so distinct paths stay distinct.
    """
    return {rel: "/".join(map(_fit_part, path.split("/"))) for rel, path in paths.items()}


def _fit_part(part: str) -> str:
    raw = part.encode("utf-8")
    if len(raw) <= NAME_MAX:
        return part
    suffix = ".html" if part.endswith(".html") else ""
    head = raw[:NAME_MAX - 40].decode("utf-8", "ignore")
    return f"{head}~{hashlib.sha256(raw).hexdigest()[:16]}{suffix}"


def default_workers() -> int:
    return os.cpu_count() or 1
