"""Failure messages as a tutor reads them: grouped by their shape, and an upload's first problem.

Two uploads that fail a check the same way get messages that differ only in their numbers and
case labels ("adam_step (case 1: t=1, ...): output [0]: got 0.28, expected 0.25 ..."):
`message_shape` drops the case label and writes every number as "#", so they fall into one
group.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from grader.score import Grade

NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w])")
CASE_LABEL = " (case "
MAX_GROUPS = 5          # per check
MAX_UPLOADS = 12        # listed per group (the count is exact)


@dataclass(frozen=True)
class MessageGroup:
    """Failures of one check that read the same once numbers are set aside.

    Attributes:
        shape: the message with its case label dropped and every number written "#".
        example: one real message of the group.
        uploads: the uploads (`Grade.file`) whose check failed this way, in table order.
    """

    shape: str
    example: str
    uploads: tuple[str, ...]


def _drop_case_label(message: str) -> str:
    """`message` without its " (case k: label)" part (labels may hold parentheses)."""
    start = message.find(CASE_LABEL)
    if start < 0:
        return message
    depth = 0
    for i in range(start + 1, len(message)):
        depth += {"(": 1, ")": -1}.get(message[i], 0)
        if depth == 0:
            return message[:start] + message[i + 1:]
    return message[:start]


def message_shape(message: str) -> str:
    """The shape of a check's message: case label dropped, numbers as "#", spaces collapsed."""
    return " ".join(NUMBER.sub("#", _drop_case_label(message)).split())


def failure_groups(grades: Sequence[Grade], check_id: str,
                   limit: int = MAX_GROUPS) -> tuple[MessageGroup, ...]:
    """The most common ways `check_id` failed or errored over `grades`, largest group first
    (ties in order of first appearance); at most `limit` groups."""
    groups: dict[str, tuple[str, list[str]]] = {}
    for grade in grades:
        for check in grade.checks:
            if check.id == check_id and check.status in ("fail", "error"):
                shape = message_shape(check.message)
                groups.setdefault(shape, (check.message, []))[1].append(grade.file)
    ranked = sorted(groups.items(), key=lambda item: -len(item[1][1]))
    return tuple(MessageGroup(shape, example, tuple(files))
                 for shape, (example, files) in ranked[:limit])


def first_problem(grade: Grade) -> str:
    """What the overview's table shows for an upload: the first failed or errored check of a
    graded upload (its id, then its message without the case label; a message that already
    starts with the id is not prefixed again), else its first message ("" when there is none)."""
    if grade.status == "graded":
        failing = next((c for c in grade.checks if c.status in ("fail", "error")), None)
        if failing is not None:
            message = _drop_case_label(failing.message)
            if message == failing.id or message.startswith(f"{failing.id}:"):
                return message
            return f"{failing.id}: {message}"
    return grade.messages[0] if grade.messages else ""
