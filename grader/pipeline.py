"""The grading pipeline, stated once: the steps one upload goes through, in order.

    match    grader.intake    the file name to a rubric (grader.filenames)
    intake   grader.intake    read the upload once and apply the rubric's rules; nothing runs
    plan     grader.probe     fresh inputs and the reference values, in the grader's process
                              (`grade check --kit`: the kit's public cases, grader.kit)
    execute  grader.execute   the notebook, then the probe cells, in a sandboxed kernel
    extract  grader.extract   the probe files read back as plain data (no pickle, capped)
    compare  grader.compare   every check against the reference values, every call against
                              its limit by the grader's clock (grader.timing)
    explain  grader.explain   for the report: the cases tried, the first failing one, pictures
    score    grader.score     statuses and points (the zero-error rule lives there)

This module only wires them. The batch (lookups, records, output files) is `grader.batch`;
where the uploads are graded (a local process pool, a Dask cluster) is `grader.runners`.
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from grader import error_hooks
from grader.cell_error import CellError
from grader.cell_runs import cell_runs
from grader.compare import evaluate_check
from grader.discover import Upload
from grader.execute import CellHook, run_notebook
from grader.execution import Execution
from grader.explain import explain_checks
from grader.extract import CallRecord, read_findings, read_results
from grader.intake import Accepted, Match, Rejected, apply_rules, match_upload
from grader.probe import (
    EMPTY_PROBE,
    EMPTY_PROBES,
    HOOKS_CHECK,
    ProbePlan,
    build_plan,
    probe_cells,
    upload_seed,
    write_inputs,
)
from grader.rubric import Rubric
from grader.score import Grade, RunFacts, Subject, probes_can_score, score_rejected, score_run
from grader.timing import probe_cost
from grader.version import reference_version


@dataclass(frozen=True)
class Options:
    """How uploads are graded (the same for every upload of a batch)."""

    rubrics_dir: Path
    visible_only: bool = False      # `grade check`: only the checks students may see
    sandbox: bool = True            # False forces the rlimits-only fallback
    pictures: bool = True           # False: reports without pictures (nothing drawn)


@dataclass(frozen=True)
class Planner:
    """Where an upload's probe cases and expected values come from (the "plan" step).

    Attributes:
        plan: (rubric, seed) -> the plan: fresh cases and the reference's values for a grade
            (`build_plan`), or a kit's fixed public cases for `grade check --kit`.
        version: the reference version recorded with the grade.
    """

    plan: Callable[[Rubric, int], ProbePlan]
    version: Callable[[], str]


REFERENCE = Planner(build_plan, reference_version)


@dataclass(frozen=True)
class Job:
    """One upload to grade, with the outcome of its file-name rule (made once, by the batch).

    Attributes:
        upload: the file.
        match: the rubric id and group its name matched, or the rejection when none matched
            (rubrics travel by id: each worker loads the rubrics once).
        rubric_sha256: the digest of the rubric(s) the grade depends on.
    """

    upload: Upload
    match: tuple[str, str] | Rejected
    rubric_sha256: str


def job_for(upload: Upload, rubrics: tuple[Rubric, ...]) -> Job:
    """Match the upload's name once; the job says which rubric (by id) and what it depends on."""
    matched = match_upload(upload, rubrics)
    if isinstance(matched, Match):
        return Job(upload, (matched.rubric.id, matched.group), matched.rubric.sha256)
    return Job(upload, matched, "+".join(r.sha256 for r in rubrics))


def grade_upload(upload: Upload, rubrics: tuple[Rubric, ...], options: Options,
                 planner: Planner = REFERENCE, on_cell: CellHook | None = None) -> Grade:
    """The whole flow for one upload outside a batch (`grade check`, `grade selfcheck`)."""
    return grade_job(job_for(upload, rubrics), {r.id: r for r in rubrics}, options, planner,
                     on_cell)


def subject(upload: Upload, rubric: Rubric | None, group: str | None,
            rubric_sha256: str, version: str | None = None) -> Subject:
    """Who is graded, for `grader.score` (`version`: the reference's, by default)."""
    return Subject(upload.rel, upload.sha256, rubric, group, rubric_sha256,
                   reference_version() if version is None else version)


def grade_job(job: Job, rubrics: dict[str, Rubric], options: Options,
              planner: Planner = REFERENCE, on_cell: CellHook | None = None) -> Grade:
    """The whole flow for one upload. A student's mistake never raises; a grader fault does.

    Args:
        job: the upload and its file-name match.
        rubrics: every rubric by id (the job's rubric among them).
        options: how to grade.
        planner: where the cases and expected values come from (the reference by default).
        on_cell: told before each student cell runs (`grader.execute.CellHook`).
    """
    if isinstance(job.match, Rejected):
        return score_rejected(subject(job.upload, None, None, job.rubric_sha256,
                                      planner.version()), job.match.messages)
    rubric_id, group = job.match
    verdict = apply_rules(job.upload, Match(rubrics[rubric_id], group))
    if isinstance(verdict, Rejected):
        who = subject(job.upload, verdict.rubric, verdict.group, job.rubric_sha256,
                      planner.version())
        return score_rejected(who, verdict.messages)
    return grade_accepted(verdict, options, planner, on_cell)


def grade_accepted(accepted: Accepted, options: Options, planner: Planner = REFERENCE,
                   on_cell: CellHook | None = None) -> Grade:
    """Run, probe, compare and score one upload that passed intake."""
    rubric = accepted.rubric
    if options.visible_only:
        rubric = dataclasses.replace(rubric, checks=tuple(c for c in rubric.checks if c.visible))
    seed = upload_seed(accepted.upload.sha256, rubric.id)
    plan = planner.plan(rubric, seed)
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        workdir = Path(tmp) / "work"
        workdir.mkdir()
        _stage(accepted, workdir)

        def prepare_probes(errors: tuple[CellError, ...]) -> bool:
            write_inputs(plan, workdir)     # the error-reporting check writes there too
            return probes_can_score(rubric, errors)

        execution = run_notebook(accepted.notebook, workdir, rubric.limits,
                                 probe_cells(plan, rubric, workdir), prepare_probes,
                                 seed=seed % (2**32), sandbox=options.sandbox, on_cell=on_cell)
        return _score(accepted, rubric, plan, execution, read_results(workdir, plan.dirname),
                      read_findings(workdir, plan.dirname, error_hooks.FINDINGS_FILE),
                      planner.version(), options)


def _stage(accepted: Accepted, workdir: Path) -> None:
    """Write the upload's own files (the bytes intake checked, nothing else) into its work dir."""
    for name, data in accepted.files:
        target = workdir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _score(accepted: Accepted, rubric: Rubric, plan: ProbePlan, execution: Execution,
           records: dict[tuple[str, int], CallRecord], findings: tuple[str, ...] | None,
           version: str, options: Options) -> Grade:
    cost = probe_cost(execution.extra.get(EMPTY_PROBE), EMPTY_PROBES)
    checks = tuple(
        evaluate_check(check, plan.for_check(check.id), records, execution.image_outputs,
                       execution.extra.get(check.id), cost)
        for check in rubric.checks
    )
    reporting = error_hooks.messages(execution.extra.get(HOOKS_CHECK), findings)
    checks = explain_checks(rubric, plan, records, checks, execution.figures,
                            draw=options.pictures)
    runs = cell_runs(accepted.notebook, execution.cell_seconds,
                     frozenset(e.cell for e in execution.cell_errors), execution.stopped_cell)
    facts = RunFacts(outcome=execution.outcome, message=execution.message,
                     cell_errors=execution.cell_errors, members=accepted.listing,
                     isolation=execution.isolation, warnings=execution.warnings,
                     duration=execution.duration, notebook_seconds=execution.notebook_seconds,
                     error_reporting=reporting, cell_runs=runs)
    who = subject(accepted.upload, rubric, accepted.group, rubric.sha256, version)
    return score_run(who, facts, checks)
