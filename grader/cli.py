"""The `grade` command: a thin, typed shell over `grader.pipeline` (see CONTRACT.md).

    grade SUBMISSIONS [--out DIR] [--rubrics DIR] [--workers N] [--force] [--scheduler ADDRESS]
    grade check FILE... [--rubrics DIR] [--format text|json|junit|github|classroom]
                        [--min-score X] [--output PATH] [--junit-xml PATH]
    grade release ASSIGNMENT --out DIR
    grade selfcheck [--rubrics DIR]

Exit codes: 0 every upload has a grade record (whatever the scores); 1 the grader itself failed
(a broken rubric, no usable kernel); 2 wrong usage.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
import click

from grader import progress as progress_mod
from grader.errors import GraderError, UsageError
from grader.text import printable
from grader.verdicts import FORMATS, MinScore, MinScoreType

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RUBRICS = PROJECT_ROOT / "rubrics"


class _DefaultGroup(click.Group):
    """`grade FOLDER` runs the batch; `grade check|release|selfcheck ...` the subcommands."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["batch", *args]
        return super().parse_args(ctx, args)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage("grade", "SUBMISSIONS [OPTIONS] | check FILE... | "
                                       "release ASSIGNMENT --out DIR | selfcheck")


def _fail(exc: GraderError) -> None:
    click.echo(f"grade: error: {exc}", err=True)
    sys.exit(exc.exit_code)


rubrics_option = click.option(
    "--rubrics", "rubrics_dir", type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_RUBRICS, show_default="the project's rubrics/",
    help="Folder of rubric TOML files.")


@click.group(cls=_DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dlgrade")
def main() -> None:
    """Grade deep-learning notebooks in a sandbox, against reference solutions."""


@main.command("batch", hidden=True)
@click.argument("submissions", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("graded"),
              show_default=True, help="Where grades.json, grades.csv, reports/ and the gradebook go.")
@rubrics_option
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Uploads graded at once (default: the number of cores).")
@click.option("--force", is_flag=True, help="Regrade uploads that are already graded and unchanged.")
@click.option("--scheduler", type=str, default=None, help="Address of an existing Dask scheduler.")
def batch(submissions: Path, out: Path, rubrics_dir: Path, workers: int | None, force: bool,
          scheduler: str | None) -> None:
    """Grade every upload in SUBMISSIONS."""
    from grader import pipeline

    options = pipeline.Options(rubrics_dir=rubrics_dir)
    try:
        _require_uploads(submissions, out, rubrics_dir)
        result = pipeline.grade_all(
            submissions, out, options, workers or pipeline.default_workers(), force,
            progress_mod.for_terminal(), argv=shlex.join(sys.argv), scheduler=scheduler)
    except GraderError as exc:
        _fail(exc)
        return
    progress_mod.summary(result)
    if result.failures:
        sys.exit(1)


def _require_uploads(submissions: Path, out: Path, rubrics_dir: Path) -> None:
    """A usage error (exit 2) for a folder with no uploads; a broken rubric is reported first."""
    from grader.discover import discover
    from grader.rubric import load_rubrics

    load_rubrics(rubrics_dir)
    if not discover(submissions, skip=(out.resolve(),)):
        raise UsageError(f"{printable(str(submissions), multiline=False)}: no uploads found "
                         "(*.ipynb or *.zip files, in this folder or its subfolders)")


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
def check(paths: tuple[Path, ...], rubrics_dir: Path, fmt: str, min_score: MinScore | None,
          output: Path | None, junit_xml: Path | None) -> None:
    """Check uploads before you submit them (nothing is recorded).

    FILE... are uploads or folders of uploads; each gets its own verdict. Exit 0 when every one
    would be accepted and runs with no errors (and meets --min-score), 1 otherwise.
    """
    from grader import checkone
    from grader.liveline import LiveLine

    try:
        run = checkone.check_paths(paths, rubrics_dir, min_score, LiveLine.for_stderr())
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
              help="Folder to write the student version into.")
@rubrics_option
def release(assignment: str, out: Path, rubrics_dir: Path) -> None:
    """Write the student version of ASSIGNMENT's reference notebook into --out."""
    from grader import selfcheck

    try:
        path = selfcheck.release_assignment(assignment, out, rubrics_dir)
    except GraderError as exc:
        _fail(exc)
        return
    click.echo(f"wrote {path}")


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
