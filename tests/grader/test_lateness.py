"""Deadlines: due dates with zones, submission times from CSV, path or mtime, and penalties.

Every expected value is worked out by hand in the comment beside it (2026: EU summer time
starts on Sunday 29 March at 02:00 CET and ends on Sunday 25 October at 03:00 CEST).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from grader.lateness import (
    Deadline,
    SubmissionTime,
    assess,
    read_times_csv,
    resolve_due,
    submission_time,
    time_from_path,
)

CET = timezone(timedelta(hours=1))
CEST = timezone(timedelta(hours=2))
BERLIN = "Europe/Berlin"


def make_deadline(**overrides: Any) -> Deadline:
    """Due 1 Dec 2026 23:59 CET, 15 min grace, 0.1 of the maximum per started day, cap 0.3."""
    fields: dict[str, Any] = {
        "due": datetime(2026, 12, 1, 23, 59, tzinfo=CET), "amount": 0.1, "timezone": BERLIN,
        "grace_minutes": 15.0, "per": "day", "unit": "fraction", "cap": 0.3,
    }
    fields.update(overrides)
    return Deadline(**fields)


def at(moment: datetime) -> SubmissionTime:
    return SubmissionTime(moment, "lms-csv", True)


# ----------------------------------------------------------------------------- penalty
# (deadline overrides, submitted, started units, penalty points); max_total = 20 points
PENALTY_CASES: list[tuple[str, dict[str, Any], datetime, int, float]] = [
    ("at-the-deadline", {}, datetime(2026, 12, 1, 23, 59, tzinfo=CET), 0, 0.0),
    ("end-of-grace", {}, datetime(2026, 12, 2, 0, 14, tzinfo=CET), 0, 0.0),
    # 1 s after due + grace: one started day, 0.1 * 20 = 2
    ("1s-after-grace", {}, datetime(2026, 12, 2, 0, 14, 1, tzinfo=CET), 1, 2.0),
    ("1s-after-grace-in-utc", {}, datetime(2026, 12, 1, 23, 14, 1, tzinfo=UTC), 1, 2.0),
    # exactly 24 h after due + grace is still the first day
    ("one-full-day", {}, datetime(2026, 12, 3, 0, 14, tzinfo=CET), 1, 2.0),
    ("day-and-1s", {}, datetime(2026, 12, 3, 0, 14, 1, tzinfo=CET), 2, 4.0),
    # 3 days + 1 s: 4 started days, 0.4 capped at 0.3 -> 6 points
    ("cap", {}, datetime(2026, 12, 5, 0, 14, 1, tzinfo=CET), 4, 6.0),
    ("no-cap", {"cap": None}, datetime(2026, 12, 5, 0, 14, 1, tzinfo=CET), 4, 8.0),
    # 3 started days at 0.1 is 0.30000000000000004 before rounding
    ("rounded", {"cap": None}, datetime(2026, 12, 4, 0, 14, 1, tzinfo=CET), 3, 6.0),
    # per hour, 1 point each, cap 5 points, no grace
    ("hour-exact", {"per": "hour", "unit": "points", "amount": 1.0, "cap": 5.0,
                    "grace_minutes": 0.0}, datetime(2026, 12, 2, 0, 59, tzinfo=CET), 1, 1.0),
    ("hour-and-1s", {"per": "hour", "unit": "points", "amount": 1.0, "cap": 5.0,
                     "grace_minutes": 0.0}, datetime(2026, 12, 2, 0, 59, 1, tzinfo=CET), 2, 2.0),
    ("hour-cap", {"per": "hour", "unit": "points", "amount": 1.0, "cap": 5.0,
                  "grace_minutes": 0.0}, datetime(2026, 12, 2, 9, 59, tzinfo=CET), 10, 5.0),
    # autumn DST: due Sat 24 Oct 23:59 CEST = 21:59 UTC. Sun 25 Oct 23:30 CET = 22:30 UTC is
    # 24 h 31 min later (the wall clock says 23 h 31 min): two started days
    ("dst-autumn", {"due": datetime(2026, 10, 24, 23, 59, tzinfo=CEST), "grace_minutes": 0.0},
     datetime(2026, 10, 25, 23, 30, tzinfo=CET), 2, 4.0),
    ("dst-autumn-24h", {"due": datetime(2026, 10, 24, 23, 59, tzinfo=CEST),
                        "grace_minutes": 0.0}, datetime(2026, 10, 25, 22, 59, tzinfo=CET), 1, 2.0),
    # spring DST: due Sat 28 Mar 23:59 CET = 22:59 UTC; Mon 30 Mar 00:59 CEST = 22:59 UTC
    # Sunday is exactly 24 h later (the wall clock says 25 h); one second more is day 2
    ("dst-spring-24h", {"due": datetime(2026, 3, 28, 23, 59, tzinfo=CET), "grace_minutes": 0.0},
     datetime(2026, 3, 30, 0, 59, tzinfo=CEST), 1, 2.0),
    ("dst-spring-24h-1s", {"due": datetime(2026, 3, 28, 23, 59, tzinfo=CET),
                           "grace_minutes": 0.0}, datetime(2026, 3, 30, 0, 59, 1, tzinfo=CEST),
     2, 4.0),
]


@pytest.mark.parametrize(("overrides", "submitted", "units", "points"),
                         [c[1:] for c in PENALTY_CASES], ids=[c[0] for c in PENALTY_CASES])
def test_penalty_per_started_unit(overrides: dict[str, Any], submitted: datetime, units: int,
                                  points: float) -> None:
    lateness = assess(make_deadline(**overrides), at(submitted), max_total=20.0)
    assert (lateness.units, lateness.points) == (units, points)
    assert lateness.late_by >= timedelta()


def test_late_by_counts_from_due_plus_grace() -> None:
    lateness = assess(make_deadline(), at(datetime(2026, 12, 2, 1, 14, 30, tzinfo=CET)), 20.0)
    assert lateness.late_by == timedelta(hours=1, seconds=30)


# ----------------------------------------------------------------------------- due
DUE_CASES: list[tuple[str, Any, str, datetime]] = [
    ("offset", datetime(2026, 12, 1, 23, 59, tzinfo=CET), "",
     datetime(2026, 12, 1, 22, 59, tzinfo=UTC)),
    ("local-winter", datetime(2026, 12, 1, 23, 59), BERLIN,
     datetime(2026, 12, 1, 22, 59, tzinfo=UTC)),
    ("local-summer", datetime(2026, 7, 1, 23, 59), BERLIN,
     datetime(2026, 7, 1, 21, 59, tzinfo=UTC)),
    ("string-local", "2026-12-01 23:59", BERLIN, datetime(2026, 12, 1, 22, 59, tzinfo=UTC)),
    ("string-offset", "2026-12-01T23:59:00+01:00", "", datetime(2026, 12, 1, 22, 59, tzinfo=UTC)),
    ("string-z", "2026-12-01T22:59:00Z", "", datetime(2026, 12, 1, 22, 59, tzinfo=UTC)),
    ("offset-and-zone", datetime(2026, 7, 1, 23, 59, tzinfo=CEST), BERLIN,
     datetime(2026, 7, 1, 21, 59, tzinfo=UTC)),
    ("autumn-after-change", "2026-10-25 03:30", BERLIN, datetime(2026, 10, 25, 2, 30, tzinfo=UTC)),
]


@pytest.mark.parametrize(("value", "zone", "expected"), [c[1:] for c in DUE_CASES],
                         ids=[c[0] for c in DUE_CASES])
def test_resolve_due(value: Any, zone: str, expected: datetime) -> None:
    due = resolve_due(value, zone)
    assert due == expected and due.tzinfo is not None


DUE_ERRORS: list[tuple[str, Any, str, str]] = [
    ("no-zone", datetime(2026, 12, 1, 23, 59), "", "has no UTC offset"),
    ("string-no-zone", "2026-12-01 23:59", "", "has no UTC offset"),
    ("date-only-string", "2026-12-01", BERLIN, "needs a time of day"),
    ("date-only-toml", date(2026, 12, 1), BERLIN, "needs a time of day"),
    ("words", "tomorrow night", BERLIN, "is not an ISO-8601"),
    ("skipped", "2026-03-29 02:30", BERLIN, "does not exist in Europe/Berlin"),
    ("twice", "2026-10-25 02:30", BERLIN, "happens twice in Europe/Berlin"),
    ("summer-offset-in-winter", "2026-12-01T23:59:00+02:00", BERLIN,
     "has the offset +02:00, but Europe/Berlin is at +01:00"),
]


@pytest.mark.parametrize(("value", "zone", "fragment"), [c[1:] for c in DUE_ERRORS],
                         ids=[c[0] for c in DUE_ERRORS])
def test_resolve_due_refuses(value: Any, zone: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=re.escape(fragment)):
        resolve_due(value, zone)


# ----------------------------------------------------------------------------- times
RELS = ["xor/sheet06_1234567.zip", "adam/adam_group_02.ipynb", "adam/late/adam_group_02.ipynb"]


def test_times_csv_matches_paths_and_unique_names() -> None:
    text = ("\ufefffile,submitted_at\n"
            "xor/sheet06_1234567.zip,2026-12-01T23:00:00+01:00\n"
            "adam/late/adam_group_02.ipynb,2026-12-02 10:00\n")
    times, errors = read_times_csv(text, RELS)
    assert errors == ()
    assert times == {"xor/sheet06_1234567.zip": datetime(2026, 12, 1, 23, 0, tzinfo=CET),
                     "adam/late/adam_group_02.ipynb": datetime(2026, 12, 2, 10, 0)}
    by_name, _ = read_times_csv("file,submitted_at\nsheet06_1234567.zip,2026-12-01 23:00\n", RELS)
    assert by_name == {"xor/sheet06_1234567.zip": datetime(2026, 12, 1, 23, 0)}


def test_times_csv_names_each_bad_row_and_keeps_the_good_ones() -> None:
    text = ("file,submitted_at\n"
            "adam_group_02.ipynb,2026-12-01 23:00\n"          # row 2: two uploads have it
            "nobody.zip,2026-12-01 23:00\n"                   # row 3
            "xor/sheet06_1234567.zip,yesterday\n"              # row 4
            "adam/adam_group_02.ipynb,2026-12-01 22:00\n"      # row 5: good
            "\n"
            "adam/adam_group_02.ipynb,2026-12-01 22:30\n")     # row 7: again
    times, errors = read_times_csv(text, RELS, sheet="times.csv")
    assert times == {"adam/adam_group_02.ipynb": datetime(2026, 12, 1, 22, 0)}
    assert errors == (
        "times.csv row 2: 'adam_group_02.ipynb' names 2 uploads; give the path",
        "times.csv row 3: no upload 'nobody.zip' in SUBMISSIONS",
        "times.csv row 4: submitted_at 'yesterday' is not an ISO-8601 date and time such as "
        "2026-12-01T23:59:00+01:00",
        "times.csv row 7: a second time for 'adam/adam_group_02.ipynb'",
    )


def test_times_csv_saved_by_excel_is_read() -> None:
    text = ("\ufefffile;submitted_at\r\n"
            "xor/sheet06_1234567.zip;2026-12-01T23:00:00+01:00\r\n"
            "adam/late/adam_group_02.ipynb\r\n"                    # short: no time
            "adam/adam_group_02.ipynb;2026-12-02 10:00;x\r\n")      # a cell too many
    times, errors = read_times_csv(text, RELS)
    assert times == {"xor/sheet06_1234567.zip": datetime(2026, 12, 1, 23, 0, tzinfo=CET)}
    assert [e[:60] for e in errors] == [
        "submission_times.csv row 3: submitted_at '' is not an ISO-86",
        "submission_times.csv row 4: 3 cells where the header has 2: ",
    ]


def test_times_csv_needs_its_header() -> None:
    assert read_times_csv("name,time\na,b\n", RELS)[1] == (
        "submission_times.csv: the first row must be the header 'file,submitted_at'",)


@pytest.mark.parametrize(("rel", "expected"), [
    ("xor/2026-12-01T23-59-00/sheet06_1234567.zip", datetime(2026, 12, 1, 23, 59, 0)),
    ("xor/2026-12-01_23-59/sheet06_1234567.zip", datetime(2026, 12, 1, 23, 59)),
    ("xor/2026-12-01 23:59:30 sheet06_1234567.zip", datetime(2026, 12, 1, 23, 59, 30)),
    ("xor/sheet06_1234567.zip", None),
    ("xor/2026-13-01T23-59/sheet06_1234567.zip", None),
    ("xor/sheet06_1234567_7654321.zip", None),
], ids=["iso-folder", "underscore-no-seconds", "in-file-name", "none", "bad-month", "ids-only"])
def test_time_from_path(rel: str, expected: datetime | None) -> None:
    assert time_from_path(rel) == expected


MTIME = datetime(2026, 12, 1, 22, 0, tzinfo=UTC).timestamp()      # 23:00 CET


@pytest.mark.parametrize(("source", "rel", "csv", "expected"), [
    ("lms-csv", RELS[0], {RELS[0]: datetime(2026, 12, 2, 9, 0)},
     SubmissionTime(datetime(2026, 12, 2, 9, 0, tzinfo=CET), "lms-csv", True)),
    ("lms-csv", RELS[0], {},
     SubmissionTime(datetime(2026, 12, 1, 23, 0, tzinfo=CET), "mtime", False,
                    "not in submission_times.csv; file modification time (unreliable)")),
    ("folder-name", "xor/2026-12-02T09-00/s.zip", {},
     SubmissionTime(datetime(2026, 12, 2, 9, 0, tzinfo=CET), "folder-name", True)),
    ("folder-name", RELS[0], {},
     SubmissionTime(datetime(2026, 12, 1, 23, 0, tzinfo=CET), "mtime", False,
                    "no time in the path; file modification time (unreliable)")),
    ("mtime", RELS[0], {RELS[0]: datetime(2026, 12, 2, 9, 0)},
     SubmissionTime(datetime(2026, 12, 1, 23, 0, tzinfo=CET), "mtime", False,
                    "file modification time (unreliable)")),
], ids=["csv", "csv-missing", "folder", "folder-missing", "mtime"])
def test_submission_time_sources(source: str, rel: str, csv: dict[str, datetime],
                                 expected: SubmissionTime) -> None:
    found = submission_time(rel, MTIME, make_deadline(submitted_at=source), csv)
    assert found == expected
    assert found.at.utcoffset() == timedelta(hours=1)      # shown in the deadline's zone


def test_deadline_zone_falls_back_to_the_offset() -> None:
    deadline = make_deadline(timezone="")
    assert deadline.zone == CET
    assert replace(deadline, grace_minutes=0.5).closes == datetime(2026, 12, 1, 23, 59, 30,
                                                                   tzinfo=CET)
