"""Grader faults: one base class, structured subclasses, each with its CLI exit code.

A student's mistake is never one of these: it is data in the `Grade`. These are raised only when
the grader itself cannot do its job (a broken rubric, no usable kernel, a reference that throws).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar


class GraderError(Exception):
    """Base of every grader fault; `exit_code` is what the CLI exits with."""

    exit_code: ClassVar[int] = 1


class UsageError(GraderError):
    """The command was called wrongly (a missing folder, an unknown assignment)."""

    exit_code: ClassVar[int] = 2


class RubricError(GraderError):
    """A rubric file is unreadable or invalid; names the file and the offending key."""

    def __init__(self, path: Path | str, key: str, problem: str) -> None:
        self.path = str(path)
        self.key = key
        self.problem = problem
        super().__init__(f"{self.path}: key {key!r}: {problem}")

    def __reduce__(self) -> tuple[type[RubricError], tuple[str, str, str]]:
        return (RubricError, (self.path, self.key, self.problem))


class KernelError(GraderError):
    """No usable kernel could be started (not a student's fault)."""


class ReferenceFault(GraderError):
    """The reference or an input generator raised: the rubric or reference is broken."""

    def __init__(self, check_id: str, detail: str) -> None:
        self.check_id = check_id
        self.detail = detail
        super().__init__(f"check {check_id!r}: the reference failed: {detail}")

    def __reduce__(self) -> tuple[type[ReferenceFault], tuple[str, str]]:
        return (ReferenceFault, (self.check_id, self.detail))


def failure_note(exc: BaseException) -> str:
    """What failed, in one line for a record of the grader's own failure: a GraderError's
    message, else "internal error: <type>: <message>"."""
    if isinstance(exc, GraderError):
        return str(exc)
    return f"internal error: {type(exc).__name__}: {exc}"
