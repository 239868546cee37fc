"""overrides.csv: a tutor's replacement points for automatic checks (regrade requests granted).

Written once with its header and never rewritten by the grader (so nothing a tutor typed there
can be lost): columns `file, check, points, reason, marker, at`, one row per automatic check
whose points a tutor replaces. `reason` is required. Read as grader.marking reads marking.csv:
every bad row is a `SheetError` naming the row, and the good rows still count (grader.ledger:
while the file has a bad row, no override in force is removed).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Mapping

from grader.export import csv_number, csv_text
from grader.marking import (
    NO_UPLOAD,
    NOT_A_NUMBER,
    OUT_OF_RANGE,
    REJECTED,
    TWICE,
    Override,
    SheetRead,
    Slot,
    who_and_when,
)
from grader.sheet_reader import (
    Dialect,
    extra_notes,
    read_entries,
    read_points,
    read_rows,
    split_number,
)

OVERRIDES_CSV = "overrides.csv"
OVERRIDE_COLUMNS = ("file", "check", "points", "reason", "marker", "at")

NOT_AUTOMATIC = "{check!r} is not an automatic check of {assignment!r} (automatic: {known})"
NO_REASON = "an override needs a reason"
NO_POINTS = "an override needs points"


def overrides_template() -> str:
    """What a fresh overrides.csv holds: its header (the batch writes it only when absent)."""
    return ",".join(OVERRIDE_COLUMNS) + "\n"


def read_overrides(text: str | bytes, slots: Iterable[Slot], sheet: str = OVERRIDES_CSV,
                   ) -> SheetRead:
    """The overrides, checked: an automatic check of an existing upload, points, a reason."""
    by_file = {slot.file: slot for slot in slots}
    table = read_rows(text, OVERRIDE_COLUMNS, sheet, numbers=("points",))
    overrides, problems, _ = read_entries(
        table.rows, sheet, lambda cells, first: _override(cells, by_file, first))
    errors = sorted([*table.errors, *problems], key=lambda e: e.row)
    return SheetRead(overrides=tuple(overrides), errors=tuple(errors), dialect=table.dialect,
                     notes=extra_notes(table, sheet))


def _override(cells: Mapping[str, str], by_file: Mapping[str, Slot],
              first: Mapping[tuple[str, str], int]) -> tuple[Override | None, str]:
    file, check = cells["file"], cells["check"]
    slot = by_file.get(file)
    if slot is None:
        return None, NO_UPLOAD.format(file=file)
    if slot.rejected:
        return None, REJECTED.format(file=file, what="override")
    most = slot.automatic_max(check)
    if most is None:
        return None, NOT_AUTOMATIC.format(check=check, assignment=slot.assignment,
                                          known=", ".join(c for c, _ in slot.automatic) or "none")
    if (file, check) in first:
        return None, TWICE.format(file=file, check=check, first=first[(file, check)])
    if split_number(cells, "reason"):
        return None, split_number(cells, "reason")
    try:
        points = read_points(cells["points"])
    except ValueError:
        return None, NOT_A_NUMBER.format(cell=cells["points"])
    if points is None:
        return None, NO_POINTS
    if not 0 <= points <= most:
        return None, OUT_OF_RANGE.format(points=points, most=most, check=check)
    if not cells["reason"]:
        return None, NO_REASON
    return Override(file, check, points, cells["reason"], cells["marker"], cells["at"]), ""


def stamp_overrides(overrides: Iterable[Override], previous: Iterable[Override], marker: str,
                    now: str) -> tuple[Override, ...]:
    """As `stamp_marks`, for overrides: who and when, kept from `previous` while unchanged."""
    before = {(o.file, o.check): o for o in previous}
    stamped = []
    for override in overrides:
        old = before.get((override.file, override.check))
        if old is not None and (old.points, old.reason) == (override.points, override.reason):
            override = replace(override, marker=old.marker, at=old.at)
        else:
            name, at = who_and_when((override.marker, override.at),
                                    None if old is None else (old.marker, old.at), marker, now)
            override = replace(override, marker=name, at=at)
        stamped.append(override)
    return tuple(stamped)


def overrides_text(overrides: Iterable[Override]) -> str:
    """overrides.csv: its header, and the overrides in force when the file was deleted."""
    rows = list(overrides)
    if not rows:
        return overrides_template()
    return Dialect().text([list(OVERRIDE_COLUMNS)] + [
        [csv_text(o.file), o.check, csv_number(o.points), csv_text(o.reason),
         csv_text(o.marker), o.at] for o in rows])
