"""When each upload of a batch was submitted (for late penalties and a group's latest upload).

With a deadline, the rubric's `submitted_at` decides (grader.lateness.submission_time: the LMS's
CSV, the time in the path, else the file's modification time, flagged unreliable). Without one,
the LMS's time when the CSV names the upload, else the modification time (used only to tell
which of a group's uploads is the latest). A rubric that asks for the LMS's CSV when the batch
has none is a loud warning, and each of its uploads' notes says so.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Mapping, Sequence

from grader.discover import Upload
from grader.lateness import NO_TIMES_FILE, SubmissionTime, read_times_csv, submission_time
from grader.rubric import Rubric

UNREADABLE = "{sheet}: cannot be read ({detail}); the files' modification times are used"
MTIME_NOTE = "file modification time (unreliable)"
NO_TIMES = (f"WARNING: {NO_TIMES_FILE}: file times used, unreliable (the deadline of "
            "{rubrics} takes submitted_at from the LMS's CSV); give --submission-times FILE once "
            "(it is kept in the output folder)")


def submission_times(uploads: Sequence[Upload], rubric_of: Mapping[str, Rubric | None],
                     times_csv: Path | None) -> tuple[dict[str, SubmissionTime], list[str]]:
    """Every upload's submission time (by `rel`), and one line per problem of the times CSV.

    Args:
        uploads: the batch's uploads.
        rubric_of: upload `rel` -> its rubric (None: no rubric matched its name).
        times_csv: the LMS's `file,submitted_at` CSV, or None.
    """
    csv_times, problems = _read_times(uploads, times_csv)
    sheet = None if times_csv is None else times_csv.name
    times = {}
    for upload in uploads:
        rubric = rubric_of.get(upload.rel)
        mtime = _mtime(upload)
        if rubric is not None and rubric.deadline is not None:
            times[upload.rel] = submission_time(upload.rel, mtime, rubric.deadline, csv_times,
                                                sheet)
        elif upload.rel in csv_times:
            at = csv_times[upload.rel]
            times[upload.rel] = SubmissionTime(at if at.tzinfo else at.replace(tzinfo=UTC),
                                               "lms-csv", True)
        else:
            times[upload.rel] = SubmissionTime(datetime.fromtimestamp(mtime, UTC), "mtime",
                                               False, MTIME_NOTE)
    return times, problems


def missing_times(rubric_of: Mapping[str, Rubric | None], times_csv: Path | None) -> str:
    """The warning for a batch without a times CSV whose rubrics ask for one ("" if none)."""
    asking = sorted({r.id for r in rubric_of.values() if r is not None and r.deadline is not None
                     and r.deadline.submitted_at == "lms-csv"})
    return NO_TIMES.format(rubrics=", ".join(asking)) if asking and times_csv is None else ""


def _read_times(uploads: Sequence[Upload], path: Path | None,
                ) -> tuple[dict[str, datetime], list[str]]:
    if path is None:
        return {}, []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return {}, [UNREADABLE.format(sheet=path.name, detail=exc)]
    times, errors = read_times_csv(text, [u.rel for u in uploads], sheet=path.name)
    return times, list(errors)


def _mtime(upload: Upload) -> float:
    try:
        return os.lstat(upload.path).st_mtime
    except OSError:
        return 0.0
