"""Every upload's submission time: the rubric's source with a deadline, else the LMS or mtime."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rubric_builders import make_rubric, make_upload

from grader.lateness import Deadline
from grader.rubric import Rubric
from grader.upload_times import submission_times

DUE = datetime.fromisoformat("2026-12-01T23:59:00+01:00")
MTIME = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
WITH_DEADLINE = make_rubric(deadline=Deadline(due=DUE, amount=0.1, timezone="Europe/Berlin"))
PLAIN = make_rubric()
CSV = "file,submitted_at\na.ipynb,2026-12-02 08:00\n"


@pytest.mark.parametrize(("rubric", "csv", "at", "source", "reliable"), [
    (WITH_DEADLINE, CSV, "2026-12-02T08:00:00+01:00", "lms-csv", True),   # in Berlin
    (PLAIN, CSV, "2026-12-02T08:00:00+00:00", "lms-csv", True),           # naive: UTC
    (WITH_DEADLINE, None, "2026-12-10T13:00:00+01:00", "mtime", False),
    (PLAIN, None, "2026-12-10T12:00:00+00:00", "mtime", False),
    (None, CSV, "2026-12-02T08:00:00+00:00", "lms-csv", True),            # no rubric matched
], ids=["deadline-csv", "no-deadline-csv", "deadline-mtime", "no-deadline-mtime", "no-rubric"])
def test_submission_time(tmp_path: Path, rubric: Rubric | None, csv: str | None, at: str,
                         source: str, reliable: bool) -> None:
    upload = make_upload(tmp_path, "a.ipynb", b"{}")
    os.utime(upload.path, (MTIME.timestamp(), MTIME.timestamp()))
    path = None
    if csv is not None:
        path = tmp_path / "times.csv"
        path.write_text(csv, encoding="utf-8")
    times, problems = submission_times([upload], {"a.ipynb": rubric}, path)
    when = times["a.ipynb"]
    assert (when.at.isoformat(), when.source, when.reliable, problems) == (at, source, reliable,
                                                                           [])


def test_an_unreadable_times_file_is_named_and_mtime_is_used(tmp_path: Path) -> None:
    upload = make_upload(tmp_path, "a.ipynb", b"{}")
    path = tmp_path / "times.csv"
    path.write_bytes(b"\xff\xfe not utf-8")
    times, problems = submission_times([upload], {"a.ipynb": PLAIN}, path)
    assert times["a.ipynb"].source == "mtime"
    assert problems[0].startswith("times.csv: cannot be read")
