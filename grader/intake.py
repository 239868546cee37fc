"""Intake: the upload rules, nothing executed.

An upload's name is matched to a rubric (`grader.filenames`), then its bytes are read once,
with O_NOFOLLOW and the rubric's size cap, and checked by the rubric's rules: zip safety and
layout (`grader.zip_upload`), notebook format (`grader.notebook_format`) and team information
(`grader.team`). The bytes read here are the bytes that are run: `Accepted.files` carries them
to the work dir.

Every failed rule adds one message for the student, prefixed with the rule ("file name:",
"file size:", "file type:", "notebook format:", "zip:", "team information:"), saying what was
found and how to fix it; independent violations are listed together. A notebook needs no code
cell: one without the expected functions is graded and its checks say what is missing, which
tells the student more than a rejection.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import PurePosixPath

import nbformat

from grader.discover import OPEN_FLAGS, Upload, is_utf8
from grader.filenames import display, match_rubric, name_message, undecodable_message
from grader.notebook_format import read_notebook
from grader.rubric import Rubric, ZipRule
from grader.team import team_problems
from grader.zip_upload import MB, read_zip


@dataclass(frozen=True)
class Match:
    """The rubric an upload's file name matches, and the group id the name gives."""

    rubric: Rubric
    group: str


@dataclass(frozen=True)
class Accepted:
    """An upload that passed intake and will be run.

    Attributes:
        upload: the file.
        rubric: the matched rubric.
        group: the group id as written in the file name ("04", "1234567_7654321", "jdoe42").
        notebook: the parsed notebook, normalised to nbformat v4 (treat as read-only).
        notebook_name: the notebook's file name to use in the sandbox (relative, POSIX).
        files: every file to put into the work dir as (safe relative name, bytes): the notebook
            itself for a notebook upload; every kept member for a zip (notebook included).
            Names are relative to the folder holding the notebook, POSIX separators, no "..",
            sorted. These are the bytes intake read and checked.
        listing: human-readable names of the kept zip members (shown in the report).
    """

    upload: Upload
    rubric: Rubric
    group: str
    notebook: nbformat.NotebookNode
    notebook_name: str
    files: tuple[tuple[str, bytes], ...]
    listing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rejected:
    """An upload that failed an intake rule; `messages` say which rule and how to fix it."""

    upload: Upload
    rubric: Rubric | None
    group: str | None
    messages: tuple[str, ...]


def match_upload(upload: Upload, rubrics: tuple[Rubric, ...]) -> Match | Rejected:
    """The file-name rule: the rubric `upload`'s name matches, or a rejection naming the
    closest expected name."""
    name = PurePosixPath(upload.rel).name
    if upload.undecodable or not is_utf8(name):
        return Rejected(upload, None, None, (undecodable_message(name, rubrics),))
    matched = match_rubric(name, rubrics)
    if matched is None:
        return Rejected(upload, None, None, (name_message(name, rubrics),))
    return Match(*matched)


def intake(upload: Upload, rubrics: tuple[Rubric, ...]) -> Accepted | Rejected:
    """Match `upload` to a rubric by file name and apply that rubric's intake rules."""
    matched = match_upload(upload, rubrics)
    return matched if isinstance(matched, Rejected) else apply_rules(upload, matched)


def apply_rules(upload: Upload, match: Match) -> Accepted | Rejected:
    """Read the upload once and apply the matched rubric's rules (size, zip, format, team)."""
    rubric, group = match.rubric, match.group
    name = PurePosixPath(upload.rel).name
    data, problems = _read_upload(upload, rubric)
    contents = None
    if data is not None and rubric.upload == "zip":
        contents, problems = read_zip(data, display(name), rubric.zip or ZipRule())
        data = contents.notebook_bytes if contents else None
        name = contents.notebook_name if contents else name
    notebook = None
    if data is not None:
        notebook, problems = read_notebook(data, name)
    if notebook is not None and rubric.team is not None:
        problems = team_problems(notebook, rubric.team, group)
    if notebook is None or data is None or problems:
        return Rejected(upload, rubric, group, tuple(problems))
    if contents is None:
        return Accepted(upload, rubric, group, notebook, name, ((name, data),))
    return Accepted(upload, rubric, group, notebook, name, contents.members, contents.listing)


def _read_upload(upload: Upload, rubric: Rubric) -> tuple[bytes | None, list[str]]:
    """The upload's bytes within the size cap, never through a symbolic link."""
    name = display(PurePosixPath(upload.rel).name)
    if upload.kind == "symlink":
        return None, [f"file type: {name} is a symbolic link; symbolic links are not accepted. "
                      "Upload the file itself."]
    if upload.kind != "file":
        return None, [f"file type: {name} is not a regular file. Upload the file itself."]
    cap = int(rubric.limits.max_upload_mb * MB)
    data = b""
    if upload.size <= cap:
        try:
            with os.fdopen(os.open(upload.path, OPEN_FLAGS), "rb") as fh:
                data = fh.read(cap + 1)
        except OSError as exc:
            return None, [f"file type: {name} could not be read ({exc.strerror}); symbolic "
                          "links and special files are not accepted. Upload the file itself."]
    if upload.size > cap or len(data) > cap:
        fix = ("remove large files from the zip" if rubric.upload == "zip"
               else "clear large outputs (for example huge printouts) and save it again")
        return None, [f"file size: {name} is {max(upload.size, len(data)) / MB:.1f} MB; the "
                      f"limit is {rubric.limits.max_upload_mb:g} MB. To fix it, {fix}."]
    return data, []
