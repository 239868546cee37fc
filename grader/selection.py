"""`grade SUBMISSIONS --only PATTERN`: which uploads a batch regrades.

A pattern selects an upload when it is a glob on the upload's path relative to SUBMISSIONS
(`fnmatch` rules, case-sensitive: `*` also crosses `/`, so `'adam/*group_02*'` and
`'*/sheet06_1234567*'` work) or exactly the group id its name gives (`02`, `1234567_7654321`).
Selected uploads are graded again even when unchanged; every other upload is kept from the
gradebook (the grade of its current content), so the outputs still cover every upload.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Sequence

from grader.errors import UsageError
from grader.intake import Rejected
from grader.pipeline import Job

NO_MATCH = ("--only {pattern!r} matches no upload under SUBMISSIONS (a glob on the path "
            "relative to it, e.g. 'adam/*group_02*', or a group id such as 02)")

OUTSIDE = ("{file}: not selected by --only, but the gradebook holds no grade of its current "
           "content: graded as well")


@dataclass(frozen=True)
class Only:
    """The `--only` patterns of a batch (none: no selection, the usual rerun rules)."""

    patterns: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def selects(self, job: Job) -> bool:
        """Whether `job`'s upload matches one of the patterns."""
        group = None if isinstance(job.match, Rejected) else job.match[1]
        return any(fnmatchcase(job.upload.rel, p) or p == group for p in self.patterns)

    def graded_outside(self, todo: Sequence[Job]) -> list[str]:
        """A note for each upload graded although no pattern selects it (new or changed)."""
        return [OUTSIDE.format(file=job.upload.rel) for job in todo
                if self and not self.selects(job)]

    def check(self, jobs: Sequence[Job]) -> None:
        """Raise UsageError (before anything is graded) for a pattern that selects nothing."""
        for pattern in self.patterns:
            if not any(Only((pattern,)).selects(job) for job in jobs):
                raise UsageError(NO_MATCH.format(pattern=pattern))
