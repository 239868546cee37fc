"""`--only PATTERN`: a glob on the upload's path relative to SUBMISSIONS, or a group id."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.discover import Upload
from grader.errors import UsageError
from grader.intake import Rejected
from grader.pipeline import Job
from grader.selection import Only

ADAM_02 = "adam/adam_regression_classification_solved_group_02.ipynb"
XOR = "xor/sheet06_1234567_7654321.zip"
ODD = "adam_group_7.ipynb"


def job(rel: str, group: str | None) -> Job:
    upload = Upload(Path("/s") / rel, rel, "0" * 64, 1)
    match = ("x", group) if group is not None else Rejected(upload, None, None, ("name",))
    return Job(upload, match, "r")


JOBS = [job(ADAM_02, "02"), job(XOR, "1234567_7654321"), job(ODD, None)]


@pytest.mark.parametrize(("patterns", "selected"), [
    (("adam/*group_02*",), [ADAM_02]),
    (("*group_02.ipynb",), [ADAM_02]),                 # * crosses folders
    (("02",), [ADAM_02]),                              # a group id
    (("1234567_7654321",), [XOR]),
    (("xor/*", "02"), [ADAM_02, XOR]),
    (("ADAM/*",), []),                                 # case-sensitive
    (("adam_group_7.ipynb",), [ODD]),                  # a rejected name is still a path
    ((), []),
], ids=["glob", "glob-across-folders", "group", "group-of-ids", "two", "case", "rejected",
        "none"])
def test_only_selects_by_path_glob_or_group(patterns: tuple[str, ...], selected: list[str],
                                            ) -> None:
    only = Only(patterns)
    assert [j.upload.rel for j in JOBS if only.selects(j)] == selected
    assert bool(only) == bool(patterns)


def test_a_pattern_that_selects_nothing_is_a_usage_error() -> None:
    Only(("02",)).check(JOBS)
    with pytest.raises(UsageError, match="--only 'adam/\\*group_03\\*' matches no upload"):
        Only(("02", "adam/*group_03*")).check(JOBS)


def test_uploads_graded_outside_the_selection_are_named() -> None:
    assert Only(("02",)).graded_outside(JOBS[:2]) == [
        f"{XOR}: not selected by --only, but the gradebook holds no grade of its current "
        "content: graded as well"]
    assert Only().graded_outside(JOBS) == []
