"""Deadlines: when an upload was submitted, and what lateness costs.

A rubric's `[deadline]` table (see `Deadline`) says when the assignment is due, in which time
zone, the grace period, the penalty and where the submission time comes from. Decisions where
the issue is silent (docs/course.md repeats them for tutors):

* `due` is either a TOML offset date-time (`due = 2026-12-01T23:59:00+01:00`) or a local time
  with a named zone (`due = 2026-12-01T23:59:00` or `due = "2026-12-01 23:59"`, plus
  `timezone = "Europe/Berlin"`). With both an offset and a zone, the offset must be the zone's
  on that date (catches a summer-time offset on a winter date). A local time the clocks skip
  or pass twice (a DST change) is refused: give the offset.
* Lateness counts from `due + grace_minutes`. Exactly at that instant is on time; one second
  later is one started unit late. A day is 24 hours of elapsed time and an hour 60 minutes,
  whatever the wall clock does at a DST change.
* The penalty is `min(units * amount, cap)`, in points or as a fraction of the upload's total
  maximum (automatic plus hand-marked), rounded to 1e-10. It is subtracted from the total and
  the final score never goes below 0 (`grader.totals.merge`).

Where the submission time comes from (`submitted_at`), tried in this order, the file's
modification time always last:

* "lms-csv": a CSV with the columns `file` and `submitted_at` (ISO-8601; a time without an
  offset is read in the deadline's zone). `file` is the upload's path relative to SUBMISSIONS
  or, when it names exactly one upload, its bare file name (what an LMS knows). The batch reads
  `submission_times.csv` at the top of SUBMISSIONS, or the file given with `--submission-times`.
* "folder-name": a time written in the upload's path, `YYYY-MM-DD[T_ ]HH[-:]MM[[-:]SS]`, e.g.
  `xor/2026-12-01T23-59-00/sheet06_1234567.zip`. Neither Moodle's "Download all submissions"
  (`<Full name>_<participant id>_assignsubmission_file_/`) nor Canvas's download
  (`<sortable name>[_late]_<user id>_<attachment id>_<file>`) put the time in the name (Canvas
  only a `late` flag), and OLAT's naming is not documented where we looked: for those LMSs use
  the CSV. This pattern is for archives whose names carry the time (a script, another LMS).
* "mtime": the file's modification time, always flagged unreliable (copying or unzipping an
  archive may reset it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import PurePosixPath
from typing import Literal, Mapping, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from grader.sheet_reader import read_table

TimeSource = Literal["lms-csv", "folder-name", "mtime"]
UNIT_LENGTH = {"day": timedelta(days=1), "hour": timedelta(hours=1)}
TIMES_CSV = "submission_times.csv"
TIMES_COLUMNS = ("file", "submitted_at")
NO_TIMES_FILE = "no submission times file"
DIGITS = 10          # penalties are rounded to 1e-10 points

NEEDS_ZONE = ("has no UTC offset: write one (2026-12-01T23:59:00+01:00) or add "
              "timezone = \"Europe/Berlin\"")
NEEDS_TIME = "needs a time of day as well as a date, e.g. 2026-12-01T23:59:00+01:00"
NOT_ISO = "is not an ISO-8601 date and time such as 2026-12-01T23:59:00+01:00"
SKIPPED = "does not exist in {zone} (the clocks skip it at the DST change); give the offset"
TWICE = "happens twice in {zone} (the clocks go back); give the offset, e.g. {example}"
WRONG_OFFSET = "has the offset {got}, but {zone} is at {want} on that date"
UNKNOWN_ZONE = "unknown time zone {name!r} (an IANA name such as 'Europe/Berlin')"
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_PATH_TIME = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})[T_ ](\d{2})[-:](\d{2})"
                        r"(?:[-:](\d{2}))?(?!\d)")


@dataclass(frozen=True)
class Deadline:
    """A rubric's `[deadline]` table, `due` resolved to an aware datetime at load time."""

    due: datetime
    amount: float
    timezone: str = ""
    grace_minutes: float = 0.0
    per: str = "day"
    unit: str = "fraction"
    cap: float | None = None
    submitted_at: str = "lms-csv"

    @property
    def zone(self) -> tzinfo:
        """The named zone, else the fixed offset `due` was written with."""
        if self.timezone:
            return ZoneInfo(self.timezone)
        assert self.due.tzinfo is not None
        return self.due.tzinfo

    @property
    def closes(self) -> datetime:
        """The last on-time instant: `due` plus the grace period."""
        return self.due + timedelta(minutes=self.grace_minutes)


@dataclass(frozen=True)
class SubmissionTime:
    """When an upload was submitted, where that came from, and whether to trust it."""

    at: datetime                    # timezone-aware
    source: TimeSource
    reliable: bool
    note: str = ""                  # why a fallback was used, for the report


@dataclass(frozen=True)
class Lateness:
    """What the deadline makes of one submission time."""

    submitted: SubmissionTime
    late_by: timedelta              # after due + grace; zero when on time
    units: int                      # started days or hours late
    points: float                   # the penalty in points, capped (0 when on time)


# ----------------------------------------------------------------------------- due
def zone_problem(name: str) -> str | None:
    """None when `name` is a time zone zoneinfo knows, else the problem (a rubric rule)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UNKNOWN_ZONE.format(name=name)
    return None


def resolve_due(value: datetime | date | str, timezone: str = "") -> datetime:
    """The deadline as an aware datetime, from a TOML date-time or an ISO-8601 string.

    Raises ValueError with the problem (without the key name) when the value has no time of
    day, no zone, a time that does not exist or is ambiguous in `timezone`, or an offset that
    is not the zone's on that date.
    """
    if isinstance(value, str):
        if not _DATE_TIME.match(value.strip()):
            raise ValueError(NEEDS_TIME if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip())
                             else NOT_ISO)
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(NOT_ISO) from None
    if not isinstance(value, datetime):
        raise ValueError(NEEDS_TIME)
    zone = ZoneInfo(timezone) if timezone else None
    if value.tzinfo is not None:
        if zone is None:
            return value
        want = value.astimezone(zone).utcoffset()
        if value.utcoffset() != want:
            raise ValueError(WRONG_OFFSET.format(got=_offset(value.utcoffset()), zone=timezone,
                                                 want=_offset(want)))
        return value.astimezone(zone)
    if zone is None:
        raise ValueError(NEEDS_ZONE)
    return localize(value, zone, timezone)


def localize(naive: datetime, zone: tzinfo, name: str = "") -> datetime:
    """`naive` wall-clock time in `zone`; ValueError when the clocks skip it or pass it twice."""
    shown = name or str(zone)
    early, late = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    if early.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise ValueError(SKIPPED.format(zone=shown))
    if early.utcoffset() != late.utcoffset():
        raise ValueError(TWICE.format(zone=shown, example=early.isoformat()))
    return early


def _offset(delta: timedelta | None) -> str:
    minutes = int((delta or timedelta()).total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


# ----------------------------------------------------------------------------- penalty
def assess(deadline: Deadline, submitted: SubmissionTime, max_total: float) -> Lateness:
    """Started units late after `due + grace`, and their penalty in points (capped).

    Args:
        max_total: the upload's maximum (automatic plus hand-marked points); a "fraction"
            penalty is a fraction of it.
    """
    late_by = max(submitted.at - deadline.closes, timedelta())
    units = -(-late_by // UNIT_LENGTH[deadline.per])      # ceil, in exact integers
    taken = units * deadline.amount
    if deadline.cap is not None:
        taken = min(taken, deadline.cap)
    scale = max_total if deadline.unit == "fraction" else 1.0
    return Lateness(submitted, late_by, units, round(taken * scale, DIGITS))


# ----------------------------------------------------------------------------- times
def read_times_csv(text: str, rels: Sequence[str], sheet: str = TIMES_CSV,
                   ) -> tuple[dict[str, datetime], tuple[str, ...]]:
    """The LMS's submission times, keyed by the upload path (relative to SUBMISSIONS) they name.

    A row's `file` is matched to the path itself, else to the one upload with that file name.
    Returns the times (naive when the CSV gave no offset: `submission_time` reads them in the
    deadline's zone) and one message per bad row ("<sheet> row N: ..."; the header is row 1).
    """
    table = read_table(text, sheet)
    if table.errors and table.errors[0].row == 0 or table.missing(TIMES_COLUMNS):
        return {}, (f"{sheet}: the first row must be the header 'file,submitted_at'",)
    by_name: dict[str, list[str]] = {}
    for rel in rels:
        by_name.setdefault(PurePosixPath(rel).name, []).append(rel)
    times: dict[str, datetime] = {}
    errors = [(e.row, str(e)) for e in table.errors]
    for number, cells in table.rows:
        problem, named, at = _time_row([cells["file"], cells["submitted_at"]], rels, by_name,
                                       times)
        if problem:
            errors.append((number, f"{sheet} row {number}: {problem}"))
        elif named is not None and at is not None:
            times[named] = at
    return times, tuple(message for _, message in sorted(errors))


def _time_row(row: list[str], rels: Sequence[str], by_name: Mapping[str, list[str]],
              seen: Mapping[str, datetime]) -> tuple[str, str | None, datetime | None]:
    """(problem, upload path, time) of one CSV row; the problem is "" for a good row."""
    file, raw = (row + ["", ""])[:2]
    file, raw = file.strip(), raw.strip()
    rel = file if file in rels else None
    if rel is None:
        matches = by_name.get(file, [])
        if len(matches) > 1:
            return f"{file!r} names {len(matches)} uploads; give the path", None, None
        if not matches:
            return f"no upload {file!r} in SUBMISSIONS", None, None
        rel = matches[0]
    if rel in seen:
        return f"a second time for {rel!r}", None, None
    try:
        return "", rel, datetime.fromisoformat(raw)
    except ValueError:
        return f"submitted_at {raw!r} {NOT_ISO}", None, None


def time_from_path(rel: str) -> datetime | None:
    """The time written in the upload's path (the last one if several), naive, or None."""
    found = list(_PATH_TIME.finditer(rel))
    if not found:
        return None
    year, month, day, hour, minute, second = (int(g or 0) for g in found[-1].groups())
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def submission_time(rel: str, mtime: float, deadline: Deadline,
                    csv_times: Mapping[str, datetime], sheet: str | None = TIMES_CSV,
                    ) -> SubmissionTime:
    """The submission time from the deadline's source, else the file's mtime (unreliable).

    Args:
        rel: the upload's path relative to SUBMISSIONS.
        mtime: its modification time (seconds since the epoch, `os.stat().st_mtime`).
        csv_times: `read_times_csv`'s times (empty when there is no CSV).
        sheet: the times CSV's name, None when the batch has none (the note then says so).
    """
    zone = deadline.zone
    fallback = "file modification time (unreliable)"
    if deadline.submitted_at == "lms-csv":
        if rel in csv_times:
            return SubmissionTime(_aware(csv_times[rel], zone), "lms-csv", True)
        fallback = f"not in {sheet}; {fallback}" if sheet else f"{NO_TIMES_FILE}; {fallback}"
    elif deadline.submitted_at == "folder-name":
        found = time_from_path(rel)
        if found is not None:
            return SubmissionTime(_aware(found, zone), "folder-name", True)
        fallback = f"no time in the path; {fallback}"
    at = datetime.fromtimestamp(mtime, UTC).astimezone(zone)
    return SubmissionTime(at, "mtime", False, fallback)


def _aware(moment: datetime, zone: tzinfo) -> datetime:
    """`moment` in `zone` (a naive time read as wall-clock time there; fold 0 at a DST change)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone)
    return moment.astimezone(zone)
