"""Publish the batch's pages and their companions: what `grader.batch` calls to write them.

`write_upload_report` writes one upload's report with everything the rubric adds to its grade
(each check's description, the corrected name of a rejected upload, the failing cases' inputs as
`.npz` files next to the report and snippets that load them); `write_overview` writes the
per-assignment CSVs and the tutors' index with each assignment's statistics, pictures and
grouped failures. Neither draws a student's picture: those come with the grade.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from grader import report
from grader.assignment_csv import write_assignment_csvs
from grader.case_file import needs_file, snippet
from grader.filenames import suggest_name
from grader.picture import Picture
from grader.report_paths import NAME_MAX, safe_rel
from grader.rubric import Rubric
from grader.score import Grade

if TYPE_CHECKING:
    from grader.discover import NotGraded
    from grader.ledger_view import Overview, UploadLedger

CASE_FILE = "{stem}.{check}-case{case}.npz"


def case_file_name(report_relpath: str, check_id: str, case: int) -> str:
    """The `.npz` name of a check's failing case, next to the report (same folder)."""
    stem = PurePosixPath(report_relpath).stem
    name = CASE_FILE.format(stem=stem, check=check_id, case=case)
    if len(name.encode("utf-8")) <= NAME_MAX:
        return name
    digest = hashlib.sha256(stem.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return CASE_FILE.format(stem=digest, check=check_id[:100], case=case)


def _write_case_files(out_dir: Path, grade: Grade,
                      relpath: str) -> tuple[dict[str, str], dict[str, str]]:
    """Write each visible check's failing-case `.npz` next to the report (and remove those a
    previous run left for this report); return check id -> file name and -> snippet."""
    folder = (out_dir / safe_rel(relpath)).parent
    mine = re.compile(re.escape(PurePosixPath(relpath).stem) + r"\.[A-Za-z0-9_-]+-case\d+\.npz")
    if folder.is_dir():      # check ids hold no ".": another report's files never match
        for old in folder.iterdir():
            if mine.fullmatch(old.name) and old.is_file():
                old.unlink()
    files, snippets = {}, {}
    for check in grade.checks:
        detail = check.detail
        if not check.visible or detail is None or not detail.case:
            continue
        name = case_file_name(relpath, check.id, detail.case) if needs_file(detail) else ""
        if name:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(base64.b64decode(detail.npz))
            files[check.id] = name
        if detail.symbol and check.id not in snippets:
            snippets[check.id] = snippet(detail, name)
    return files, snippets


def write_upload_report(out_dir: Path, grade: Grade, relpath: str, rubrics: Sequence[Rubric],
                        *, pictures: Mapping[str, Sequence[Picture]] | None = None,
                        course: UploadLedger | None = None, counted_report: str = "") -> Path:
    """Write the report of `grade` at `out_dir / relpath`, its case files beside it.

    Args:
        rubrics: the batch's rubrics (the grade's gives the title and the descriptions; all of
            them the corrected name of a rejected upload's file name).
        pictures: more pictures per check id (besides those the grade carries).
        course: hand marks, overrides, lateness, final score (`grader.ledger`).
        counted_report: for an upload that does not count, the report path of the one that does.
    """
    rubric = next((r for r in rubrics if r.id == grade.assignment), None)
    descriptions = {c.id: c.description for c in rubric.checks} if rubric else {}
    suggestion = ""
    if grade.status == "rejected" and grade.assignment is None:
        suggestion = suggest_name(PurePosixPath(grade.file).name, tuple(rubrics))
    files, snippets = _write_case_files(out_dir, grade, relpath)
    extras = report.ReportExtras(descriptions=descriptions, suggestion=suggestion,
                                 case_files=files, snippets=snippets,
                                 counted_report=counted_report)
    return report.write_report(out_dir, grade, relpath, title=rubric.title if rubric else None,
                               pictures=pictures, extras=extras, course=course)


def write_overview(out_dir: Path, grades: Sequence[Grade], report_paths: Mapping[str, str],
                   rubrics: Sequence[Rubric], *, generated_at: datetime | str,
                   grader_version: str, draw: bool = True, course: Overview | None = None,
                   not_graded: Sequence[NotGraded] = ()) -> Path:
    """Write `grades-<assignment>.csv` for each assignment and the tutors' `index.html`.

    Args:
        grades: every upload of the batch, in table order.
        report_paths: upload `file` -> report path relative to `out_dir`.
        rubrics: the batch's rubrics.
        draw: False leaves the overview's pictures out (`Options.pictures`).
        course: still to mark, penalties, duplicates, final scores (`grader.ledger`).
        not_graded: files that look like uploads but were not graded.
    """
    from grader.overview import assignment_overviews  # draws with matplotlib

    entries = {e.file: e for e in course.totals} if course is not None else {}
    csv_names = write_assignment_csvs(out_dir, grades, rubrics, entries)
    overviews = assignment_overviews(grades, rubrics, csv_names, draw=draw)
    return report.write_index(out_dir, grades, report_paths, generated_at=generated_at,
                              grader_version=grader_version, overviews=overviews,
                              course=course, not_graded=not_graded)
