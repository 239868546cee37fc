"""A batch: every upload under SUBMISSIONS graded (or kept) into the output folder.

`grade_all` discovers the uploads, matches each name to a rubric once, reuses the grades the
gradebook already holds for unchanged uploads, hands the rest to a runner
(`grader.runners`), records each grade in the gradebook as soon as it is known, writes its
report, and finally writes grades.json, grades.csv and index.html (docs/contract.md#output-files),
and one grades-<assignment>.csv per assignment (`grader.publish`).

Nothing is lost: when the grader itself fails on an upload (an unexpected exception, a lost
worker, a failed lookup, record or report), that upload still gets a record in every output
(`crashed`, flagged as an internal error, never reused on a rerun), the others go on, and the
failure is listed in `BatchResult.failures` (the command then exits 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import click

from grader import export, folder_lock, publish
from grader.discover import Found, NotGraded, Upload, find
from grader.errors import UsageError, failure_note
from grader.gradebook import Gradebook
from grader.intake import Rejected
from grader.ledger import LedgerSettings, settle_ledger
from grader.ledger_view import Ledger, UploadLedger
from grader.pipeline import Job, Options, job_for, subject
from grader.progress import Progress
from grader.report_paths import report_paths
from grader.rubric import Rubric, load_rubrics
from grader.runners import Runner
from grader.score import INTERNAL_ERROR, Grade, now_iso, score_fault
from grader.selection import Only
from grader.text import printable
from grader.version import grader_version, reference_version

NO_UPLOADS = ("{folder}: no uploads found (*.ipynb or *.zip files, in this folder or its "
              "subfolders)")


@dataclass(frozen=True)
class BatchResult:
    """What a batch did: every grade (fresh or reused), the uploads left without one, and the
    files that look like uploads but are not graded (`grader.discover.find`)."""

    grades: tuple[Grade, ...]
    graded: int
    skipped: int
    failures: tuple[str, ...]
    out: Path
    notes: tuple[str, ...] = ()     # problems in the tutors' sheets; uploads graded outside --only
    not_graded: tuple[NotGraded, ...] = ()


@dataclass
class Batch:
    """The bookkeeping of one batch (one instance per `grade_all` call).

    Attributes:
        out: the output folder.
        rubrics: the batch's rubrics.
        book: the open gradebook.
        run_id: this run's id in the gradebook.
        paths: upload `rel` -> report path relative to `out`.
        progress: where finished uploads are shown.
    """

    out: Path
    rubrics: tuple[Rubric, ...]
    book: Gradebook
    run_id: str
    paths: dict[str, str]
    progress: Progress
    grades: dict[str, Grade] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    graded: int = 0
    skipped: int = 0
    course: LedgerSettings = field(default_factory=LedgerSettings)
    notes: list[str] = field(default_factory=list)
    draw: bool = True           # the overview's pictures (Options.pictures)

    def reuse(self, job: Job) -> bool:
        """Keep the gradebook's grade of an unchanged upload; False when it must be graded."""
        upload = job.upload
        try:
            previous = self.book.lookup(upload.rel, upload.sha256, job.rubric_sha256,
                                        reference_version())
        except Exception:  # noqa: BLE001 - an unreadable old record: grade the upload again
            previous = None
        if previous is None:
            return False
        self.skipped += 1
        self.grades[upload.rel] = previous
        self._write_report(upload, previous)
        self.progress.advance(upload, previous, "unchanged since the last run: kept")
        return True

    def settle(self, job: Job, grade: Grade | None, note: str) -> None:
        """Record a finished job (a grade, or the grader's failure on it) in every output."""
        upload = job.upload
        if upload.rel in self.grades:        # already settled (a runner failed after it)
            return
        if grade is None:
            grade = self._fault(job, note)
            self.failures.append(f"{upload.rel}: recorded as crashed, {INTERNAL_ERROR} ({note})")
        self.grades[upload.rel] = grade
        self.graded += 1
        try:
            self.book.record(self.run_id, grade)
        except Exception as exc:  # noqa: BLE001 - one record must not lose the batch
            self.failures.append(f"{upload.rel}: not saved in the gradebook "
                                 f"({failure_note(exc)})")
        self._write_report(upload, grade)
        self.progress.advance(upload, grade, note)

    def _fault(self, job: Job, note: str) -> Grade:
        rubric, group = None, None
        if not isinstance(job.match, Rejected):
            rubric_id, group = job.match
            rubric = next((r for r in self.rubrics if r.id == rubric_id), None)
        return score_fault(subject(job.upload, rubric, group, job.rubric_sha256), note)

    def _write_report(self, upload: Upload, grade: Grade,
                      course: UploadLedger | None = None) -> None:
        try:
            counted = course.counting.counted if course and course.counting else ""
            publish.write_upload_report(self.out, grade, self.paths[upload.rel], self.rubrics,
                                        course=course, counted_report=self.paths.get(counted, ""))
        except Exception as exc:  # noqa: BLE001 - the other outputs still hold the grade
            self.failures.append(f"{upload.rel}: its report could not be written "
                                 f"({failure_note(exc)})")

    def write_outputs(self, found: Found) -> BatchResult:
        """grades.json, grades.csv and index.html for every upload that has a grade (the
        overview also lists what was not graded)."""
        uploads = found.uploads
        ordered = tuple(self.grades[u.rel] for u in uploads if u.rel in self.grades)
        stamp = now_iso()
        ledger = self._ledger(uploads, ordered, stamp)
        for upload in uploads:         # the report again, with marks, penalty, ... (grader.ledger)
            entry = ledger.uploads.get(upload.rel)
            if entry is not None and entry.shown:
                self._write_report(upload, self.grades[upload.rel], entry)
        export.write_grades_json(self.out / "grades.json", ordered, grader_version(), stamp,
                                 ledger.records())
        export.write_grades_csv(self.out / "grades.csv", ordered,
                                ledger.csv_columns() if ledger.uploads else (), ledger.csv_cells())
        publish.write_overview(self.out, ordered, {g.file: self.paths[g.file] for g in ordered},
                               self.rubrics, generated_at=stamp, grader_version=grader_version(),
                               draw=self.draw, course=ledger.overview([g.file for g in ordered]),
                               not_graded=found.not_graded)
        return BatchResult(ordered, self.graded, self.skipped, tuple(self.failures), self.out,
                           tuple(self.notes) + ledger.notes + ledger.problems, found.not_graded)

    def _ledger(self, uploads: tuple[Upload, ...], grades: tuple[Grade, ...], now: str) -> Ledger:
        """The course record (grader.ledger); on a grader fault, the automatic grades alone."""
        try:
            return settle_ledger(self.out, [u for u in uploads if u.rel in self.grades], grades,
                                 self.rubrics, self.book, self.run_id, self.course, now)
        except Exception as exc:  # noqa: BLE001 - the grades must still be written
            self.failures.append(f"marks, overrides and late penalties were not applied "
                                 f"({failure_note(exc)}); the outputs hold the automatic grades")
            return Ledger()


def _say(message: str) -> None:
    click.echo(printable(message, multiline=False), err=True)


def grade_all(submissions: Path, out: Path, options: Options, runner: Runner, *, force: bool,
              progress: Progress, argv: str = "", only: Only | None = None,
              course: LedgerSettings | None = None,
              on_wait: Callable[[str], None] = _say) -> BatchResult:
    """Grade every upload under `submissions` into `out` (docs/contract.md#output-files).

    One run at a time writes into `out`: a run that finds another one there waits for it
    (`grader.folder_lock`), then keeps the grades it made.

    Args:
        submissions: the SUBMISSIONS folder.
        out: the output folder (created if missing).
        options: how uploads are graded.
        runner: where they are graded (`grader.runners.LocalPool`, `DaskCluster`, `InProcess`).
        force: regrade uploads the gradebook already holds unchanged.
        progress: shows each finished upload.
        argv: the command line, recorded with the run.
        only: `--only`: regrade just these uploads, keep every other (grader.selection).
        course: `--marker`, `--submission-times` (grader.ledger).
        on_wait: told (once) that this run waits for another run on `out`, and which.

    Raises:
        UsageError: `submissions` is not a folder, or holds no upload, or an `--only` pattern
            selects none (nothing is written).
        GraderError: a rubric is broken, the gradebook is not ours (nothing is graded).
    """
    rubrics = load_rubrics(options.rubrics_dir)
    found = find(submissions, skip=(out.resolve(),))
    uploads = found.uploads
    if not uploads:
        listed = "".join(f"; not graded: {n.rel}: {n.reason}" for n in found.not_graded[:5])
        raise UsageError(NO_UPLOADS.format(folder=printable(str(submissions), multiline=False))
                         + printable(listed, multiline=False))
    jobs = [job_for(upload, rubrics) for upload in uploads]
    only = only or Only()
    only.check(jobs)
    out.mkdir(parents=True, exist_ok=True)
    with folder_lock.hold(out, argv, on_wait), Gradebook.open(out / "gradebook.sqlite") as book:
        run_id = book.start_run(grader_version(), reference_version(), argv)
        batch = Batch(out, rubrics, book, run_id, report_paths([u.rel for u in uploads]),
                      progress, course=replace(course or LedgerSettings(), submissions=submissions),
                      draw=options.pictures)
        progress.start(len(uploads))
        todo = [job for job in jobs
                if only.selects(job) or (force and not only) or not batch.reuse(job)]
        batch.notes += only.graded_outside(todo)
        try:
            runner(todo, options, batch.settle)
        except Exception as exc:  # noqa: BLE001 - the uploads left still get their records
            note = failure_note(exc)
            for job in todo:
                batch.settle(job, None, note)
        progress.finish()
        return batch.write_outputs(found)
