"""The `grade` command: a thin, typed shell over `grader.batch` and friends.

See docs/contract.md#commands.

    grade SUBMISSIONS [--out DIR] [--rubrics DIR] [--workers N] [--force] [--scheduler ADDRESS]
                       [--only PATTERN]... [--marker NAME] [--submission-times FILE]
    grade check FILE... [--kit KIT]... [--rubrics DIR] [--format text|json|junit|github|classroom]
                        [--min-score X] [--output PATH] [--junit-xml PATH] [--ignore-unmatched]
    grade release ASSIGNMENT --out DIR [--no-kit]
    grade selfcheck [--rubrics DIR]
    grade export --format moodle|canvas|gradescope|csv --out FILE [--roster CSV] [GRADED_DIR]

Exit codes: 0 every upload has a grade record (whatever the scores); 1 the grader itself failed
(a broken rubric, no usable kernel); 2 wrong usage.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from grader import bundle
from grader.errors import GraderError
from grader.text import printable
from grader.verdicts import FORMATS, MinScore, MinScoreType
from grader.version import grader_version


class _DefaultGroup(click.Group):
    """`grade FOLDER` runs the batch; `grade check|release|selfcheck ...` the subcommands."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["batch", *args]
        return super().parse_args(ctx, args)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage("grade", "SUBMISSIONS [OPTIONS] | check FILE... | release ASSIGNMENT "
                                       "--out DIR | selfcheck | export --format F --out FILE")


class _BatchCommand(click.Command):
    """The batch, which users call as `grade SUBMISSIONS`, never `grade batch`."""

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage("grade", "SUBMISSIONS [OPTIONS]")


def _fail(exc: GraderError) -> None:
    click.echo(f"grade: error: {exc}", err=True)
    sys.exit(exc.exit_code)


STUDENT_RUBRICS_HELP = ("Tutors: a folder of rubric TOML files (this student distribution has "
                        "no rubrics of its own); students use --kit.")


def rubrics_help(bundled: Path) -> tuple[str | bool, str]:
    """The --rubrics option's shown default and help: the project's rubrics/ where they are
    bundled; in the student distribution (none bundled) that students use --kit."""
    if bundled.is_dir():
        return "the project's rubrics/", "Folder of rubric TOML files."
    return False, STUDENT_RUBRICS_HELP


_RUBRICS_DEFAULT, _RUBRICS_HELP = rubrics_help(bundle.rubrics_dir())
rubrics_option = click.option(
    "--rubrics", "rubrics_dir", type=click.Path(file_okay=False, path_type=Path),
    default=bundle.rubrics_dir(), show_default=_RUBRICS_DEFAULT, help=_RUBRICS_HELP)


@click.group(cls=_DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=grader_version(), prog_name="grade")
def main() -> None:
    """Grade deep-learning notebooks in a sandbox, against reference solutions.

    `grade SUBMISSIONS [OPTIONS]` grades every upload in the folder SUBMISSIONS into graded/
    (`grade SUBMISSIONS --help` lists its options); the commands below do the rest.
    """


@main.command("batch", cls=_BatchCommand, hidden=True)
@click.argument("submissions", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("graded"),
              show_default=True,
              help="Where grades.json, grades.csv, reports/ and the gradebook go.")
@rubrics_option
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Uploads graded at once (default: the number of cores).")
@click.option("--force", is_flag=True,
              help="Regrade uploads that are already graded and unchanged.")
@click.option("--scheduler", type=str, default=None, help="Address of an existing Dask scheduler.")
@click.option("--only", "only", multiple=True, metavar="PATTERN",
              help="Regrade just the uploads whose path (relative to SUBMISSIONS) matches this "
                   "glob, or whose group id it is; keep every other from the gradebook. "
                   "Repeatable.")
@click.option("--marker", default="", metavar="NAME",
              help="Who marks: stamped on new or changed marks and overrides (marking.csv, "
                   "overrides.csv).")
@click.option("--submission-times", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, metavar="FILE",
              help="CSV file,submitted_at from the LMS (default: "
                   "SUBMISSIONS/submission_times.csv).")
def batch(submissions: Path, out: Path, rubrics_dir: Path, workers: int | None, force: bool,
          scheduler: str | None, only: tuple[str, ...], marker: str,
          submission_times: Path | None) -> None:
    """Grade every upload in SUBMISSIONS."""
    from grader import batch as batch_mod
    from grader import progress as progress_mod  # rich: only the batch draws a bar
    from grader import runners
    from grader.ledger import LedgerSettings
    from grader.pipeline import Options
    from grader.selection import Only

    runner: runners.Runner
    if scheduler:
        runner = runners.DaskCluster(scheduler)
    else:
        runner = runners.LocalPool(workers or runners.default_workers())
    try:
        if scheduler:
            runners.check_scheduler(scheduler)
        result = batch_mod.grade_all(submissions, out, Options(rubrics_dir=rubrics_dir), runner,
                                     force=force, progress=progress_mod.for_terminal(),
                                     argv=shlex.join(sys.argv), only=Only(only),
                                     course=LedgerSettings(marker=marker,
                                                           submission_times=submission_times))
    except GraderError as exc:
        _fail(exc)
        return
    progress_mod.summary(result)
    if result.failures:
        sys.exit(1)


@main.command("check")
@click.argument("paths", nargs=-1, required=True, metavar="FILE...",
                type=click.Path(exists=True, path_type=Path))
@rubrics_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for people; json (grades.json's shape), junit, github (workflow "
                   "commands and step summary) or classroom for machines.")
@click.option("--min-score", type=MinScoreType(), default=None,
              help="Also fail (exit 1) when the public checks score below X points or X% "
                   "(e.g. 4.5 or 80%).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the verdict to this file instead of stdout.")
@click.option("--junit-xml", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the verdict as JUnit XML to this file.")
@click.option("--kit", "kits", multiple=True, metavar="KIT",
              type=click.Path(exists=True, path_type=Path),
              help="Check against this check kit (the folder `grade release` writes as "
                   "<assignment>-kit, its kit.json, or the <assignment>-kit.tar.gz archive) "
                   "instead of the rubrics and reference solutions; repeat for several "
                   "assignments.")
@click.option("--ignore-unmatched", is_flag=True,
              help="Skip, with a note on stderr, files whose name no kit's (or rubric's) "
                   "file-name rule accepts, instead of rejecting them (e.g. the handout in a "
                   "Classroom repository); exit 2 when none is left.")
def check(paths: tuple[Path, ...], rubrics_dir: Path, fmt: str, min_score: MinScore | None,
          output: Path | None, junit_xml: Path | None, kits: tuple[Path, ...],
          ignore_unmatched: bool) -> None:
    """Check uploads before you submit them (nothing is recorded).

    FILE... are uploads or folders of uploads; each gets its own verdict. Exit 0 when every one
    would be accepted and runs with no errors (and meets --min-score), 1 otherwise.
    """
    from grader import checkone
    from grader.liveline import LiveLine

    try:
        for path, option in ((output, "--output"), (junit_xml, "--junit-xml")):
            if path is not None:
                checkone.ensure_writable(path, option)
        run = checkone.check_paths(paths, rubrics_dir, min_score, LiveLine.for_stderr(), kits,
                                   ignore_unmatched)
    except GraderError as exc:
        _fail(exc)
        return
    except Exception as exc:  # noqa: BLE001 - a grader bug: a clear line, not a traceback
        click.echo(f"grade: error: the grader failed on this upload (internal error: "
                   f"{type(exc).__name__}: {printable(str(exc), multiline=False)[:300]}); "
                   "tell your tutor", err=True)
        sys.exit(1)
    checkone.emit(run, fmt, output, junit_xml)
    sys.exit(0 if run.passed else 1)


@main.command("release")
@click.argument("assignment")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write the student version and the check kit into.")
@rubrics_option
@click.option("--no-kit", is_flag=True, help="Write only the student version, no check kit.")
def release(assignment: str, out: Path, rubrics_dir: Path, no_kit: bool) -> None:
    """Write the student version of ASSIGNMENT's reference notebook into --out, and beside it
    the check kit (<id>-kit/ and <id>-kit.tar.gz) that `grade check --kit` grades from."""
    from grader import kit_release, selfcheck

    try:
        path = selfcheck.release_assignment(assignment, out, rubrics_dir)
        click.echo(f"wrote {path}")
        if no_kit:
            return
        kit = kit_release.write_kit(selfcheck.rubric_named(assignment, rubrics_dir), out)
    except GraderError as exc:
        _fail(exc)
        return
    unchecked = (f"; not checkable before submission: {', '.join(kit.unchecked)}"
                 if kit.unchecked else "")
    click.echo(f"wrote {kit.folder}/ ({kit.cases} public cases{unchecked}) and {kit.archive}")


@main.command("selfcheck")
@rubrics_option
def selfcheck_cmd(rubrics_dir: Path) -> None:
    """Reference notebooks must score full marks, student versions zero."""
    from grader import selfcheck

    try:
        ok = selfcheck.run(rubrics_dir, echo=click.echo)
    except GraderError as exc:
        _fail(exc)
        return
    sys.exit(0 if ok else 1)


@main.command("export")
@click.argument("graded", type=click.Path(file_okay=False, path_type=Path), default=Path("graded"),
                metavar="[GRADED_DIR]")
@click.option("--format", "fmt", type=click.Choice(["moodle", "canvas", "gradescope", "csv"]),
              required=True, help="What to write (see docs/course.md).")
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="The file to write (gradescope: a folder, or a .json file for one upload).")
@click.option("--roster", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="CSV: student_id, name, email, group [, assignment, lms_id, "
              "sis_login_id, section].")
@click.option("--assignment", default=None, help="Export only this rubric id's uploads.")
@click.option("--canvas-column", "canvas_columns", multiple=True, metavar="RUBRIC=HEADER",
              help="Canvas column for a rubric, e.g. 'xor=Sheet 6 (12345)'.")
def export_cmd(graded: Path, fmt: str, out: Path, roster: Path | None, assignment: str | None,
               canvas_columns: tuple[str, ...]) -> None:
    """Write GRADED_DIR's grades (default graded/) for an LMS."""
    from grader import lms
    from grader.score import now_iso

    columns = dict(c.split("=", 1) for c in canvas_columns if "=" in c)
    if len(columns) != len(canvas_columns):
        click.echo("grade: error: --canvas-column takes RUBRIC=HEADER", err=True)
        sys.exit(2)
    try:
        files, warnings = lms.export_graded(
            graded, fmt, out, roster, assignment, columns,
            now=now_iso())
    except GraderError as exc:
        _fail(exc)
        return
    for warning in warnings:
        click.echo(f"grade: warning: {printable(warning, multiline=False)}", err=True)
    for path in files:
        click.echo(f"wrote {path}")
