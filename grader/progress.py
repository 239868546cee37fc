"""Progress of a batch: a rich bar on a terminal, plain lines otherwise.

File names and notes come from students (a name may hold an escape sequence that retitles or
clears the terminal): every line is printed through `printable`, names on one line.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Protocol

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichBar

from grader.discover import Upload
from grader.score import Grade
from grader.text import printable

if TYPE_CHECKING:
    from grader.batch import BatchResult


class Progress(Protocol):
    """What a batch tells about its uploads as they finish."""

    def start(self, total: int) -> None: ...
    def advance(self, upload: Upload, grade: Grade | None, note: str) -> None: ...
    def finish(self) -> None: ...


def _line(upload: Upload, grade: Grade | None, note: str) -> str:
    """One line (never more) for a finished upload, safe to print."""
    name, note = printable(str(upload.rel), multiline=False), printable(note, multiline=False)
    if grade is None:
        return f"{name}: NO GRADE ({note})"
    text = f"{name}: {printable(grade.status, multiline=False)} {grade.score:g}/{grade.max_score:g}"
    return f"{text} ({note})" if note else text


class PlainProgress:
    """One line per upload, with a done/total counter: for logs and CI."""

    def __init__(self) -> None:
        self.total = 0
        self.done = 0

    def start(self, total: int) -> None:
        self.total = total
        click.echo(f"grading {total} upload(s)")

    def advance(self, upload: Upload, grade: Grade | None, note: str) -> None:
        self.done += 1
        click.echo(f"[{self.done}/{self.total}] {_line(upload, grade, note)}")

    def finish(self) -> None:
        pass


class RichProgress:
    """A progress bar with done/total and ETA; each finished upload is printed above it."""

    def __init__(self) -> None:
        self.console = Console()
        self.bar = RichBar(TextColumn("grading"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                            console=self.console)
        self.task: Any = None

    def start(self, total: int) -> None:
        self.bar.start()
        self.task = self.bar.add_task("grading", total=total)

    def advance(self, upload: Upload, grade: Grade | None, note: str) -> None:
        self.bar.console.print(_line(upload, grade, note), markup=False, highlight=False)
        self.bar.advance(self.task)

    def finish(self) -> None:
        self.bar.stop()


def for_terminal() -> PlainProgress | RichProgress:
    return RichProgress() if sys.stdout.isatty() else PlainProgress()


def summary(result: BatchResult) -> None:
    """The closing lines of a batch: counts per status, the files that look like uploads but
    were not graded ("not graded: <file>: <reason>"), warnings, faults, where the files are."""
    counts: dict[str, int] = {}
    for grade in result.grades:
        counts[grade.status] = counts.get(grade.status, 0) + 1
    parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    click.echo(f"{len(result.grades)} upload(s) with a grade ({parts}); "
               f"{result.graded} graded now, {result.skipped} unchanged and kept")
    for item in result.not_graded:
        click.echo(printable(f"not graded: {item.rel}: {item.reason}", multiline=False))
    warned = {w for g in result.grades for w in g.warnings}
    for warning in sorted(warned):
        click.echo(printable(str(warning)), err=True)
    for note in result.notes:
        click.echo(f"grade: {printable(str(note), multiline=False)}", err=True)
    for failure in result.failures:
        click.echo(f"GRADER FAULT: {printable(str(failure), multiline=False)}", err=True)
    click.echo(f"results in {printable(str(result.out), multiline=False)}/ "
               "(grades.json, grades.csv, index.html, reports/)")
