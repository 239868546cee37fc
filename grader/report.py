"""Render the students' feedback pages and the tutors' index from Jinja2 templates.

All HTML lives in `grader/templates/*.j2`, rendered with autoescape on and StrictUndefined. Every
student-provided string goes through the `clip(n)` filter and lists through `head(n)`, so a page
stays small (well under 200 KB) however long or many the strings are, and holds no escape
sequence or control character.
"""

from __future__ import annotations

import functools
import math
import posixpath
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Mapping, Sequence, TypeVar
from urllib.parse import quote

import jinja2

from grader.cell_runs import CellRun
from grader.compare import CheckResult
from grader.export import iso8601, write_text_atomic
from grader.penalty_note import capped_note
from grader.picture import Picture
from grader.report_paths import safe_rel
from grader.resubmission import duplicate_groups
from grader.score import Grade, Status, group_of
from grader.text import printable
from grader.upload_rows import breaks, upload_rows

if TYPE_CHECKING:  # drawing needs matplotlib; rendering a page does not
    from grader.discover import NotGraded
    from grader.ledger_view import Overview, UploadLedger
    from grader.overview import AssignmentOverview
    from grader.plots import Picture

STATUSES: tuple[Status, ...] = ("graded", "rejected", "run-error", "timeout", "crashed")

STATUS_EXPLANATIONS: dict[Status, str] = {
    "graded": "Your notebook ran and its checks were scored; your score is the sum of the "
              "points in the table below.",
    "rejected": "Nothing was run: your upload broke one of the upload rules named below; fix it "
                "and upload again.",
    "run-error": "A cell raised an error, and this assignment requires a notebook that runs from "
                 "top to bottom without errors, so it scores 0; fix the cell named below, "
                 "restart the kernel, run all cells, and upload again.",
    "timeout": "Your notebook, or one of its cells, ran longer than the time limit, so it scores "
               "0; make it faster (fewer iterations, no waiting for input) and upload again.",
    "crashed": "The Python process running your notebook died (too much memory, a crash inside a "
               "library, or code that ends the process), so it scores 0; find the cell that "
               "causes it and upload again.",
}
HIDDEN_CHECK = "hidden check"
MAX_TIMED_CELLS = 40    # cells listed with their time in a report (the slowest)
CLIP_MARK = "… [{n} more characters cut]"

T = TypeVar("T")


def clip(text: object, n: int) -> str:
    """`text` cut to its first `n` characters, with a note saying how much was cut.

    What is shown goes through `grader.text.printable` (no escape sequence or control
    character); only a bounded prefix is filtered, so a huge string costs little. The count
    is of the original characters.
    """
    s = str(text)
    shown = printable(s[:2 * n + 64])  # removed escape sequences may shorten it
    if len(s) <= 2 * n + 64 and len(shown) <= n:
        return shown
    return shown[:n] + CLIP_MARK.format(n=max(len(s) - n, 1))


def head(items: Sequence[T], n: int) -> list[T]:
    """The first `n` items (the template says how many more there were)."""
    return list(items[:n])


def number(value: float) -> str:
    """A score for display: `7`, `7.5`, `0.33` (at most two decimals)."""
    if not math.isfinite(value):
        return str(value)
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The one Jinja2 environment: package templates, autoescape, StrictUndefined."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("grader", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["clip"] = clip
    env.filters["head"] = head
    env.filters["number"] = number
    env.filters["urlpath"] = lambda path: quote(str(path), safe="/")
    env.filters["breaks"] = breaks
    env.filters["capped"] = lambda entry: capped_note(entry, number)
    return env


@dataclass(frozen=True)
class ReportExtras:
    """What a report shows besides the grade (from the rubric and the files beside it).

    Attributes:
        descriptions: check id -> the rubric's description of the check.
        suggestion: for an upload whose name matched no rubric, a close name that would match.
        case_files: check id -> the `.npz` of its failing case's inputs, next to the report.
        snippets: check id -> Python that reruns the failing case.
        counted_report: for an upload that does not count, the report path (relative to the
            output folder) of the one that does; the report links it.
    """

    descriptions: Mapping[str, str] = field(default_factory=dict)
    suggestion: str = ""
    case_files: Mapping[str, str] = field(default_factory=dict)
    snippets: Mapping[str, str] = field(default_factory=dict)
    counted_report: str = ""


@dataclass(frozen=True)
class CheckView:
    """One check as its report section shows it."""

    check: CheckResult
    description: str
    pictures: tuple[Picture, ...]
    case_file: str
    snippet: str


def check_views(grade: Grade, extras: ReportExtras,
                pictures: Mapping[str, Sequence[Picture]]) -> list[CheckView]:
    """Per check: its result, description and, for a visible one, its pictures (those the grade
    carries, then `pictures`), case file and snippet; a hidden check shows none of them."""
    return [CheckView(c, extras.descriptions.get(c.id, ""),
                      (*c.pictures, *pictures.get(c.id, ())) if c.visible else (),
                      extras.case_files.get(c.id, "") if c.visible else "",
                      extras.snippets.get(c.id, "") if c.visible else "")
            for c in grade.checks]


def index_href(relpath: str) -> str:
    """The overview's address relative to a report at `relpath` ("../../index.html")."""
    return "../" * (len(PurePosixPath(relpath).parts) - 1) + "index.html"


def sibling_href(relpath: str, other: str) -> str:
    """The address of the report at `other` from the one at `relpath` ("" without `other`)."""
    if not other:
        return ""
    return posixpath.relpath(other, posixpath.dirname(relpath) or ".")


def write_report(out_dir: Path, grade: Grade, relpath: str, *, title: str | None,
                 pictures: Mapping[str, Sequence[Picture]] | None = None,
                 course: UploadLedger | None = None,
                 extras: ReportExtras | None = None) -> Path:
    """Write the feedback page of `grade` to `out_dir / relpath` (atomically) and return it.

    Args:
        out_dir: the output folder (DIR of the contract).
        grade: the upload's grade.
        relpath: from `report_paths` (or `report_relpath`).
        title: the assignment's title; None falls back to its id.
        pictures: check id -> more pictures shown with that check (never for a hidden check).
        course: hand marks, overrides, lateness, final score (grader.ledger; `_marks.html.j2`).
        extras: descriptions, a corrected file name, case files and snippets (`grader.publish`).
    """
    extras = extras or ReportExtras()
    path = out_dir / safe_rel(relpath)
    runs: dict[int, CellRun] = {run.cell: run for run in grade.cell_runs}
    stopped = next((run for run in grade.cell_runs if run.stopped), None)
    html = environment().get_template("report.html.j2").render(
        grade=grade,
        title=title,
        explanation=STATUS_EXPLANATIONS[grade.status],
        hidden_check=HIDDEN_CHECK,
        course=course,
        views=check_views(grade, extras, pictures or {}),
        suggestion=extras.suggestion,
        index_href=index_href(relpath),
        counted_href=sibling_href(relpath, extras.counted_report),
        runs=runs,
        stopped=stopped,
        slowest=sorted(grade.cell_runs, key=lambda r: -r.seconds)[:MAX_TIMED_CELLS],
    )
    write_text_atomic(path, html)
    return path


@dataclass(frozen=True)
class AssignmentSummary:
    """One row of the index's per-assignment table."""

    assignment: str | None
    uploads: int
    graded: int
    mean_score: float
    max_score: float


def summarize(grades: Sequence[Grade]) -> list[AssignmentSummary]:
    """Per assignment (sorted, unmatched uploads last): uploads, graded, mean score, max."""
    groups: dict[str | None, list[Grade]] = {}
    for grade in grades:
        groups.setdefault(grade.assignment, []).append(grade)
    order = sorted(groups, key=lambda a: (a is None, a or ""))
    return [
        AssignmentSummary(
            assignment=a,
            uploads=len(groups[a]),
            graded=sum(g.status == "graded" for g in groups[a]),
            mean_score=sum(g.score for g in groups[a]) / len(groups[a]),
            max_score=max(g.max_score for g in groups[a]),
        )
        for a in order
    ]


@dataclass(frozen=True)
class SameGroup:
    """Two or more uploads for one assignment and group (the overview flags them; which one
    counts is `grader.resubmission`'s business)."""

    assignment: str
    group: str
    files: tuple[str, ...]


def same_group(grades: Sequence[Grade]) -> list[SameGroup]:
    """Every (assignment, group) with more than one upload, sorted; files in table order
    (`grader.resubmission.duplicate_groups` decides what a duplicate is)."""
    groups = duplicate_groups(grades, group_of)
    return [SameGroup(a, g, tuple(grade.file for grade in members))
            for (a, g), members in sorted(groups.items())]


def write_index(out_dir: Path, grades: Sequence[Grade], report_paths: Mapping[str, str], *,
                generated_at: datetime | str, grader_version: str,
                pictures: Mapping[str, Sequence[Picture]] | None = None,
                course: Overview | None = None,
                not_graded: Sequence[NotGraded] = (),
                overviews: Sequence[AssignmentOverview] = ()) -> Path:
    """Write the tutors' overview `out_dir/index.html` (atomically) and return its path.

    Args:
        grades: every upload of the batch, in table order.
        report_paths: upload `file` -> report path relative to `out_dir` (no link if absent).
        pictures: assignment id -> pictures shown under its row of the per-assignment table.
        course: still to mark, penalties, duplicates, final scores (`_ledger.html.j2`).
        not_graded: files that look like uploads but were not graded, listed with the reason.
        overviews: per assignment: statistics, pictures, check summaries (`grader.overview`).
    """
    counts = Counter(g.status for g in grades)
    path = out_dir / "index.html"
    duplicates = same_group(grades)
    html = environment().get_template("index.html.j2").render(
        grades=grades,
        links=report_paths,
        status_counts=[(s, counts.get(s, 0)) for s in STATUSES],
        assignments=summarize(grades),
        generated_at=iso8601(generated_at),
        grader_version=grader_version,
        pictures=pictures or {},
        course=course,
        not_graded=list(not_graded),
        duplicates=duplicates,
        uploads_of_group={f: len(d.files) for d in duplicates for f in d.files},
        counting={e.file: e for e in course.duplicates} if course else {},
        overviews=overviews,
        rows=upload_rows(grades, course),
        adjusted=course is not None and course.shown,
        statuses=STATUSES,
    )
    write_text_atomic(path, html)
    return path
