"""What the course record says beside the totals: the times CSV it used (kept in the output
folder), the summary line of a sheet with errors, and the groups that uploaded twice.

grader.ledger calls these; their lines go to the command's summary (and the sheets' to the
overview's problems).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from grader.export import write_text_atomic
from grader.lateness import TIMES_CSV
from grader.ledger_view import UploadLedger
from grader.marking import SheetRead

ROWS_NOT_APPLIED = "{sheet}: {n} row{s} with errors, not applied (its other rows are); {then}"
NOTHING_READ = "{sheet}: no row was read; {kept}: {then}"


def times_file(out: Path, given: Path | None, submissions: Path | None) -> Path | None:
    """`--submission-times`, else SUBMISSIONS/submission_times.csv, else the copy kept in the
    output folder by an earlier run; a file from outside is copied there (the course's record,
    so a rerun without `--submission-times` keeps the same times)."""
    kept = out / TIMES_CSV
    if given is None and submissions is not None:
        default = submissions / TIMES_CSV
        given = default if default.is_file() else None
    if given is None:
        return kept if kept.is_file() else None
    try:
        if not kept.exists() or not kept.samefile(given):
            write_text_atomic(kept, given.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError):
        pass                    # submission_times names the problem when it reads the file
    return given


def duplicate_notes(entries: Iterable[UploadLedger]) -> tuple[str, ...]:
    """One line per group that uploaded more than once, for the command's summary."""
    groups: dict[tuple[str, str], list[UploadLedger]] = {}
    for entry in entries:
        if entry.duplicate and entry.assignment and entry.group:
            groups.setdefault((entry.assignment, entry.group), []).append(entry)
    notes = []
    for (assignment, group), members in sorted(groups.items()):
        winner = next((e.file for e in members if e.counts), None)
        note = next((e.counting.note for e in members
                     if e.counting is not None and e.counts is not False), "")
        which = f"{winner} counts" if winner else "which one counts is still open"
        notes.append(f"{assignment} group {group} uploaded {len(members)} times: {which}"
                     + (f" ({note})" if note else ""))
    return tuple(notes)


def not_applied(sheet: str, read: SheetRead, kept: str, kept_all: str) -> str:
    """The summary line of a sheet with errors: how many rows were not applied, or that none
    was read (not UTF-8, a bad header, unreadable), and what stays as it was."""
    rows = {e.row for e in read.errors}
    if not rows or rows & {0, 1}:
        return NOTHING_READ.format(sheet=sheet, kept=kept_all, then="fix it and run grade again")
    return ROWS_NOT_APPLIED.format(sheet=sheet, n=len(rows), s="s" if len(rows) != 1 else "",
                                   then=f"{kept}: fix the rows named above and run grade again")
