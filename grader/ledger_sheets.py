"""The tutors' sheets of the course record: marking.csv and overrides.csv read, stamped,
recorded in the gradebook's history and (marking.csv) written back (grader.ledger step 2 and 3).

Nothing a tutor typed is lost: a mark missing from the sheet (a deleted row, a deleted sheet)
is taken from the gradebook and written back, with the tutor's own columns (`tutor_note`);
while `overrides.csv` has a bad row its good rows are applied but no override in force is
removed. An upload moved or renamed since the sheet was written (grader.sheet_moves: the same
content) takes its rows' marks with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Mapping, Sequence

from grader.export import write_text_atomic
from grader.gradebook import Gradebook
from grader.ledger_notes import not_applied
from grader.marking import (
    COUNTS,
    MARKING_COLUMNS,
    MARKING_CSV,
    UNKNOWN_MARKER,
    Mark,
    Override,
    SheetRead,
    Slot,
    marking_sheet_text,
    read_marking_sheet,
    stamp_marks,
)
from grader.overrides import (
    OVERRIDES_CSV,
    overrides_text,
    read_overrides,
    stamp_overrides,
)
from grader.sheet_moves import find_moves
from grader.sheet_reader import read_rows

Key = tuple[str, str]                      # (file, check id)
UNREADABLE = "{sheet}: cannot be read ({detail}); left as it is"


@dataclass(frozen=True)
class SheetContext:
    """What every step of the record needs: the run, who, when."""

    book: Gradebook
    run_id: str
    marker: str
    now: str
    content: Mapping[str, str] = field(default_factory=dict)   # sha256 of each upload, by file


def settle_marks(out: Path, slots: Sequence[Slot], context: SheetContext,
                 ) -> tuple[dict[Key, Mark], tuple[str, ...], tuple[str, ...]]:
    """The marks in force for `slots`, recorded and written back (see the module docstring)."""
    path = out / MARKING_CSV
    read, problems = _read_sheet(path, lambda data: _read_marks(data, slots, context))
    keys = {(s.file, check) for s in slots
            for check in [c for c, _ in s.manual] + ([COUNTS] if s.choice else [])}
    previous = {(m.file, m.check): m for m in context.book.current_marks()}
    on_sheet = {(m.file, m.check) for m in read.marks if (m.file, m.check) in keys}
    stamped = stamp_marks([m for m in read.marks if (m.file, m.check) in keys],
                          previous.values(), context.marker, context.now)
    marks = {(m.file, m.check): _blank_unstamped(m) for m in stamped}
    marks.update({key: mark for key, mark in previous.items()
                  if key in keys and key not in on_sheet})
    changed = [_who_cleared(mark, previous.get(key), context)
               for key, mark in marks.items() if _changed(mark, previous.get(key))]
    context.book.record_marks(context.run_id, changed)
    if problems:
        return marks, problems + (not_applied(
            MARKING_CSV, read, "the sheet is left as it is",
            "the marks recorded before stay; the sheet is left as it is"),), read.notes
    write_text_atomic(path, marking_sheet_text(slots, marks.values(), read.dialect, read.extra))
    return marks, problems, read.notes


def _read_marks(data: bytes, slots: Sequence[Slot], context: SheetContext) -> SheetRead:
    """The marking sheet read with its rows' uploads that moved since (grader.sheet_moves)."""
    table = read_rows(data, MARKING_COLUMNS, MARKING_CSV)
    moves = find_moves([(n, cells["file"]) for n, cells in table.rows], slots,
                       context.content, context.book.latest, MARKING_CSV)
    read = read_marking_sheet(data, slots, moved=moves.moved, hints=moves.hints)
    return replace(read, notes=read.notes + moves.notes)


def _read_sheet(path: Path, reader: Callable[[bytes], SheetRead],
                ) -> tuple[SheetRead, tuple[str, ...]]:
    """A sheet's good rows and its problems as lines; an absent sheet has neither."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return SheetRead(), ()
    except OSError as exc:
        return SheetRead(), (UNREADABLE.format(sheet=path.name, detail=exc.strerror),)
    read = reader(data)
    return read, tuple(str(e) for e in read.errors)


def _blank_unstamped(mark: Mark) -> Mark:
    """A pending mark without a comment carries no marker or time (nothing was marked)."""
    if mark.points is None and not mark.comment:
        return replace(mark, marker="", marked_at="")
    return mark


def _changed(mark: Mark, before: Mark | None) -> bool:
    if before is None:
        return mark.points is not None or bool(mark.comment)
    if mark.points is None and not mark.comment:
        return before.points is not None or bool(before.comment)
    return (mark.points, mark.comment, mark.marker, mark.marked_at) != \
        (before.points, before.comment, before.marker, before.marked_at)


def _who_cleared(mark: Mark, before: Mark | None, context: SheetContext) -> Mark:
    """A mark cleared back to pending is recorded with who cleared it and when."""
    if before is not None and mark.points is None and not mark.comment:
        return replace(mark, marker=context.marker or UNKNOWN_MARKER, marked_at=context.now)
    return mark


def settle_overrides(out: Path, slots: Sequence[Slot], context: SheetContext,
                     ) -> tuple[dict[Key, Override], tuple[str, ...], tuple[str, ...]]:
    """The overrides in force for `slots`, with changes and removals recorded."""
    path = out / OVERRIDES_CSV
    known = {(s.file, c) for s in slots for c, _ in s.automatic}
    previous = {(o.file, o.check): o for o in context.book.current_overrides()
                if (o.file, o.check) in known}
    if not path.exists():
        write_text_atomic(path, overrides_text(previous.values()))
    read, problems = _read_sheet(path, lambda data: read_overrides(data, slots))
    given = {(o.file, o.check): o for o in read.overrides}
    if problems:                        # a bad row must not remove what it meant to change
        given = {**previous, **given}
    stamped = stamp_overrides(given.values(), previous.values(), context.marker, context.now)
    overrides = {(o.file, o.check): o for o in stamped}
    changed = [o for key, o in overrides.items() if previous.get(key) != o]
    removed = [(file, check, context.marker or UNKNOWN_MARKER, context.now)
               for file, check in previous if (file, check) not in overrides]
    context.book.record_overrides(context.run_id, changed, removed)
    if problems:
        problems += (not_applied(OVERRIDES_CSV, read, "no override in force is removed",
                                  "the overrides in force stay"),)
    return overrides, problems, read.notes
