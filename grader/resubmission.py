"""A group that uploaded twice: which upload counts, as the rubric's `resubmission` says.

Two uploads are duplicates when they have the same assignment and group (e.g. `adam/..._02.ipynb`
and `adam/late/..._02.ipynb`). Every upload is still graded and reported; the overview flags the
duplicates and the exports take only the upload that counts:

* "latest": the one submitted last (grader.lateness's submission time; on a tie, the last path);
* "best": the one with the highest final score (undecided while any of them has marks pending;
  on a tie, the latest);
* "tutor": the one whose `#counts` row in the marking sheet says 1 (undecided until then).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterable, Literal, Mapping, Sequence, TypeVar

Policy = Literal["latest", "best", "tutor"]


T = TypeVar("T")

@dataclass(frozen=True)
class Candidate:
    """One upload as the choice sees it."""

    file: str
    assignment: str
    group: str
    submitted_at: datetime          # timezone-aware
    final_score: float | None       # None while marks are pending


@dataclass(frozen=True)
class Counting:
    """Whether an upload counts: True, False, or None while the choice is open."""

    file: str
    counts: bool | None
    duplicate: bool                 # its group uploaded more than once
    note: str = ""                  # why, for the overview ("latest of 2 uploads", ...)
    # for an upload that does not count: the one that does (named in `note`, so not compared)
    counted: str = field(default="", compare=False)

    @property
    def note_parts(self) -> tuple[str, str, str]:
        """The note around the upload that counts, so a page can link it: (before, file,
        after); (note, "", "") when the note names none."""
        if self.counted and self.counted in self.note:
            before, after = self.note.split(self.counted, 1)
            return before, self.counted, after
        return self.note, "", ""


def duplicate_groups(items: Iterable[T], key: Callable[[T], tuple[str, str] | None],
                     ) -> dict[tuple[str, str], list[T]]:
    """(assignment, group) -> its items, for groups with more than one; `key` gives an item's
    (assignment, group), or None for one that belongs to no group (a rejected name)."""
    groups: dict[tuple[str, str], list[T]] = {}
    for item in items:
        found = key(item)
        if found is not None:
            groups.setdefault(found, []).append(item)
    return {k: members for k, members in groups.items() if len(members) > 1}


def of_candidate(candidate: Candidate) -> tuple[str, str]:
    """A candidate's (assignment, group)."""
    return candidate.assignment, candidate.group


def choose(candidates: Sequence[Candidate], policies: Mapping[str, Policy],
           chosen: Iterable[str] = ()) -> dict[str, Counting]:
    """How every upload counts.

    Args:
        candidates: every graded upload that has an assignment and a group.
        policies: rubric id -> its `resubmission` ("latest" when a rubric is missing).
        chosen: the files whose #counts row says 1 (grader.marking).
    """
    result = {c.file: Counting(c.file, True, False) for c in candidates}
    picked = set(chosen)
    for (assignment, _), members in duplicate_groups(candidates, of_candidate).items():
        policy = policies.get(assignment, "latest")
        winner, note = _winner(members, policy, picked)
        for member in members:
            counts = None if winner is None else member.file == winner
            lost = counts is False
            result[member.file] = Counting(member.file, counts, True,
                                           _loser_note(policy, winner) if lost else note,
                                           winner or "" if lost else "")
    return result


def _loser_note(policy: Policy, winner: str | None) -> str:
    """What an upload that does not count says: which one does, and why."""
    which = {"latest": "latest upload", "best": "best upload", "tutor": "upload a tutor chose"}
    return f"the group's {which[policy]} ({winner}) counts"


def _latest(members: Sequence[Candidate]) -> Candidate:
    return max(members, key=lambda c: (c.submitted_at, c.file))


def _winner(members: Sequence[Candidate], policy: Policy, picked: set[str],
            ) -> tuple[str | None, str]:
    count = len(members)
    if policy == "tutor":
        marked = [m.file for m in members if m.file in picked]
        if not marked:
            return None, f"{count} uploads: a tutor chooses (#counts in marking.csv)"
        return marked[0], f"chosen by a tutor among {count} uploads"
    if policy == "best":
        if any(m.final_score is None for m in members):
            return None, f"{count} uploads: the best is known when all marks are in"
        top = max(m.final_score or 0.0 for m in members)
        best = [m for m in members if m.final_score == top]
        return _latest(best).file, f"best of {count} uploads"
    return _latest(members).file, f"latest of {count} uploads"
