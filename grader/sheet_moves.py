"""Uploads moved or renamed between runs: a marking sheet's rows follow their content.

A row of marking.csv names an upload by its path. When that path is not in this batch, the
gradebook still knows what the path held (its latest grade's sha256, assignment and group):

* exactly one upload of the batch has that content (and no row of the sheet names it yet):
  the upload was moved or renamed; its rows' marks follow it (`Moves.moved`), the summary says
  so (`marking.csv row 2: xor/old.zip moved to xor/late/old.zip (same content); its marks
  follow it`) and the rewritten sheet names the new path;
* otherwise the rows stay errors (`no upload ... in this batch`); when uploads of the same
  assignment and group are in the batch, the error asks `did it move to <path>?`
  (`Moves.hints`): content that changed is not enough to carry marks over.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Sequence

from grader.marking import Slot
from grader.score import Grade

MOVED = "{sheet} row {row}: {old} moved to {new} (same content); its marks follow it"


@dataclass(frozen=True)
class Moves:
    """Old path -> the upload that has its content; old path -> uploads it may have become."""

    moved: Mapping[str, str] = field(default_factory=dict)
    hints: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def find_moves(rows: Iterable[tuple[int, str]], slots: Sequence[Slot],
               content: Mapping[str, str], recorded: Callable[[str], Grade | None],
               sheet: str) -> Moves:
    """Where the sheet's files that left the batch went.

    Args:
        rows: (row number, file) of every row of the sheet.
        slots: the batch's uploads as the sheets see them.
        content: the sha256 of each upload of the batch, by file.
        recorded: the gradebook's latest grade of a path (None: never graded).
    """
    first: dict[str, int] = {}
    for number, file in rows:
        first.setdefault(file, number)
    live = {slot.file: slot for slot in slots}
    found: dict[str, str] = {}
    hints: dict[str, str] = {}
    for old in [f for f in first if f and f not in live]:
        grade = recorded(old)
        if grade is None:
            continue
        same = [s.file for s in slots if content.get(s.file) == grade.sha256
                and not s.rejected and s.file not in first]
        if len(same) == 1:
            found[old] = same[0]
            continue
        kin = [s.file for s in slots if (s.assignment, s.group) == (grade.assignment, grade.group)]
        if kin:
            hints[old] = " or ".join(kin)
    taken = Counter(found.values())
    moved = {old: new for old, new in found.items() if taken[new] == 1}
    notes = tuple(MOVED.format(sheet=sheet, row=first[old], old=old, new=new)
                  for old, new in moved.items())
    return Moves(moved, hints, notes)
