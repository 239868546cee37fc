"""Intake rules, nothing executed: file name, notebook format, zip safety, team information."""

from __future__ import annotations

from dataclasses import dataclass

import nbformat

from grader.discover import Upload
from grader.rubric import Rubric


@dataclass(frozen=True)
class Accepted:
    """An upload that passed intake and will be run.

    Attributes:
        upload: the file.
        rubric: the matched rubric.
        group: the group id as written in the file name ("04", "1234567_7654321", "jdoe42").
        notebook: the parsed notebook, normalised to nbformat v4 (treat as read-only).
        notebook_name: the notebook's file name to use in the sandbox (basename only).
        members: for a zip, every kept member as (safe relative name, bytes), notebook included;
            for a notebook upload, empty.
        listing: human-readable names of the kept zip members (shown in the report).
    """

    upload: Upload
    rubric: Rubric
    group: str
    notebook: nbformat.NotebookNode
    notebook_name: str
    members: tuple[tuple[str, bytes], ...] = ()
    listing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rejected:
    """An upload that failed an intake rule; `messages` say which rule and how to fix it."""

    upload: Upload
    rubric: Rubric | None
    group: str | None
    messages: tuple[str, ...]


def intake(upload: Upload, rubrics: tuple[Rubric, ...]) -> Accepted | Rejected:
    """Match `upload` to a rubric by file name and apply that rubric's intake rules."""
    raise NotImplementedError
