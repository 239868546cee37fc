"""choose: which of a group's uploads counts (latest, best, or the tutor's #counts)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from grader.resubmission import Candidate, Counting, Policy, choose, duplicate_groups, of_candidate

FIRST = "adam/adam_regression_classification_solved_group_02.ipynb"
SECOND = "adam/late/adam_regression_classification_solved_group_02.ipynb"
OTHER = "adam/adam_regression_classification_solved_group_03.ipynb"


def make(file: str, hour: int, final: float | None, **overrides: Any) -> Candidate:
    fields: dict[str, Any] = {"file": file, "assignment": "adam",
                              "group": "03" if file == OTHER else "02",
                              "submitted_at": datetime(2026, 12, 1, hour, tzinfo=UTC),
                              "final_score": final}
    fields.update(overrides)
    return Candidate(**fields)


# (policy, first, second, chosen, counts of FIRST, counts of SECOND, note)
CASES: list[tuple[str, Policy, Candidate, Candidate, set[str], bool | None, bool | None, str]] = [
    ("latest", "latest", make(FIRST, 10, 5.0), make(SECOND, 12, 3.0), set(), False, True,
     "latest of 2 uploads"),
    ("latest-tie-last-path", "latest", make(FIRST, 10, 5.0), make(SECOND, 10, 3.0), set(), False,
     True, "latest of 2 uploads"),
    ("best", "best", make(FIRST, 10, 5.0), make(SECOND, 12, 3.0), set(), True, False,
     "best of 2 uploads"),
    ("best-tie-latest", "best", make(FIRST, 10, 5.0), make(SECOND, 12, 5.0), set(), False, True,
     "best of 2 uploads"),
    ("best-pending", "best", make(FIRST, 10, 5.0), make(SECOND, 12, None), set(), None, None,
     "2 uploads: the best is known when all marks are in"),
    ("tutor-open", "tutor", make(FIRST, 10, 5.0), make(SECOND, 12, 3.0), set(), None, None,
     "2 uploads: a tutor chooses (#counts in marking.csv)"),
    ("tutor-chose", "tutor", make(FIRST, 10, 5.0), make(SECOND, 12, 3.0), {FIRST}, True, False,
     "chosen by a tutor among 2 uploads"),
]


@pytest.mark.parametrize(("policy", "first", "second", "chosen", "one", "two", "note"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_choose(policy: Policy, first: Candidate, second: Candidate, chosen: set[str],
                one: bool | None, two: bool | None, note: str) -> None:
    other = make(OTHER, 9, 1.0)
    result = choose([first, second, other], {"adam": policy}, chosen)
    which = {"latest": "latest upload", "best": "best upload", "tutor": "upload a tutor chose"}
    for file, counts, winner in ((FIRST, one, SECOND), (SECOND, two, FIRST)):
        said = f"the group's {which[policy]} ({winner}) counts" if counts is False else note
        assert result[file] == Counting(file, counts, True, said)
    assert result[OTHER] == Counting(OTHER, True, False)


def test_same_group_in_another_assignment_is_no_duplicate() -> None:
    xor = make("xor/sheet06_0000002.zip", 11, 1.0, assignment="xor")
    assert duplicate_groups([make(FIRST, 10, 1.0), xor], of_candidate) == {}
    assert choose([make(FIRST, 10, 1.0), xor], {})[FIRST].duplicate is False
