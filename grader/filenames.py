"""The file-name rule: which rubric an upload's name matches, and what to tell a student when none.

Two rubrics whose patterns both match a name: the first by rubric id wins (deterministic).
Patterns are case-sensitive; a name that matches only when case is ignored gets a hint saying so.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Callable

from grader.discover import safe_name
from grader.rubric import Rubric
from grader.text import printable

DETAIL_CHARS = 200             # of a name shown in a message
REUPLOAD = "Rename the file and upload it again."


def match_rubric(name: str, rubrics: tuple[Rubric, ...]) -> tuple[Rubric, str] | None:
    """The first rubric (by id) whose pattern full-matches `name`, and the group id."""
    for rubric in sorted(rubrics, key=lambda r: r.id):
        found = re.fullmatch(rubric.pattern, name)
        if found:
            return rubric, found.group("group") or ""
    return None


def name_message(name: str, rubrics: tuple[Rubric, ...]) -> str:
    """The "file name" rejection, naming the expected name closest to `name`."""
    if not rubrics:
        return f"file name: no assignment accepts uploads at the moment; got {display(name)}."
    rubric = max(rubrics, key=lambda r: _similarity(name, r))
    hint = ""
    if re.fullmatch(rubric.pattern, name, flags=re.IGNORECASE):
        hint = " File names are case-sensitive: use the exact lower/upper case shown."
    return f"file name: expected {rubric.expected}; got {display(name)}.{hint} {REUPLOAD}"


def kits_message(name: str, rubrics: tuple[Rubric, ...]) -> str:
    """The "file name" rejection of `grade check --kit` when no kit's rule accepts `name`: it
    names every kit's assignment and expected name, never asks for another assignment's name."""
    expected = "; ".join(f"{r.id}: {r.expected}" for r in sorted(rubrics, key=lambda r: r.id))
    message = (f"file name: {display(name)} matches none of the check kits given ({expected}). "
               "Name the upload as its assignment asks, or pass that assignment's kit with --kit.")
    near = suggest_name(name, rubrics)
    if near:
        message += f" Did you mean {display(near)}?"
    return message


def undecodable_message(name: str, rubrics: tuple[Rubric, ...]) -> str:
    """The "file name" rejection of a name that is not valid UTF-8 text."""
    shown = display(safe_name(name))
    problem = (f"the file name {shown} is not valid UTF-8 text (each byte shown as %XX is not "
               "part of a valid character)")
    if not rubrics:
        return f"file name: {problem}; no assignment accepts uploads at the moment."
    rubric = max(rubrics, key=lambda r: _similarity(name, r))
    return (f"file name: {problem}; expected {rubric.expected}. Rename the file to the "
            "expected name and upload it again.")


def _similarity(name: str, rubric: Rubric) -> float:
    example = rubric.example or rubric.expected
    return difflib.SequenceMatcher(None, name.lower(), example.lower()).ratio()


def display(name: str) -> str:
    """A file or member name safe to show on one line: escape sequences, control characters
    (C0, DEL, C1), bidi overrides and undecodable bytes replaced (`grader.text.printable`)."""
    text = printable(name[:4 * DETAIL_CHARS], multiline=False)
    return text if len(text) <= DETAIL_CHARS else text[:DETAIL_CHARS] + "..."


# Edits that turn a near-miss into an accepted name, tried alone and combined (fewest first).
_NAME_FIXES: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("case", str.lower),
    ("copy suffix", lambda n: re.sub(r"\s*\(\d+\)(?=\.[^.]+$)", "", n)),
    ("separators", lambda n: re.sub(r"[\s\-]+", "_", n)),
    ("two digits", lambda n: re.sub(r"(?<![0-9])([0-9])(?![0-9])", r"0\1", n)),
)


def suggest_name(name: str, rubrics: tuple[Rubric, ...]) -> str:
    """A file name close to `name` that some rubric's pattern accepts, or "" when no simple
    edit (lower case, no " (1)", underscores, two-digit numbers) gives one.

    Example: `adam_regression_classification_solved_group_7.ipynb` ->
    `adam_regression_classification_solved_group_07.ipynb`.
    """
    if match_rubric(name, rubrics) is not None:
        return ""
    for size in range(1, len(_NAME_FIXES) + 1):
        for combo in itertools.combinations(_NAME_FIXES, size):
            candidate = name
            for _, fix in combo:
                candidate = fix(candidate)
            if candidate != name and match_rubric(candidate, rubrics) is not None:
                return candidate
    return ""
