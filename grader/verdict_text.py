"""`grade check --format text`: the verdict for a person.

Per upload: its status, the messages, the first failing cell with a short traceback and what to
do about it, the public checks' score ("public checks: 4.5 of 5 points, 5 of 6 pass"), each check
with the message of each failing one, then one `VERDICT:` line; a tally after several uploads.
Student-controlled text is made `printable` and its continuation lines are indented, so it can
neither fake a `VERDICT:` line nor colour the terminal; colour (ours) only when asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import click

from grader.text import printable
from grader.verdicts import CheckRun, Outcome, public_score, visible_checks

if TYPE_CHECKING:
    from grader.score import Grade

TRACEBACK_LINES = 12         # of the first failing cell
STATUS_ADVICE = {
    "run-error": ("Fix the failing cell: this assignment gives 0 points to a notebook with any "
                  "error."),
    "timeout": ("Make the notebook faster (smaller loops, vectorised code) or remove an endless "
                "loop."),
    "crashed": "The kernel died: look for huge allocations, os._exit/sys.exit or native crashes.",
}
VERDICT_OK = "VERDICT: OK - accepted and runs with no errors."
VERDICT_NOT_OK = "VERDICT: NOT OK - fix the problem above before you submit."


Style = Callable[..., str]


def _plain(text: str, **_: Any) -> str:
    return text


def _item(text: str, indent: str) -> str:
    """Student-controlled text for one list item: printable, continuation lines indented."""
    return printable(text).replace("\n", "\n" + indent)


def to_text(run: CheckRun, color: bool = False) -> str:
    """The verdict for a person: one block per upload, each ending in its `VERDICT:` line."""
    style: Style = click.style if color else _plain
    blocks = [_text_block(grade, verdict, style)
              for grade, verdict in zip(run.grades, run.outcomes())]
    if len(run.grades) > 1:
        ok = sum(o.ok for o in run.outcomes())
        blocks.append(f"{len(run.grades)} uploads checked: {ok} OK, {len(run.grades) - ok} NOT OK")
    return "\n\n".join(blocks) + "\n"


CHECK_COLOURS = {"pass": "green", "fail": "red", "error": "red", "not-run": "yellow"}


def _text_block(grade: Grade, verdict: Outcome, style: Style) -> str:
    name = printable(grade.file, multiline=False)
    if grade.status == "rejected":
        lines = [f"{name}: {style('REJECTED', fg='red', bold=True)} - this upload would not be "
                 "graded (nothing was run)."]
        lines += [f"  - {_item(m, '    ')}" for m in grade.messages]
    else:
        group = printable(str(grade.group), multiline=False)
        lines = [f"{name}: accepted for '{grade.assignment}', group {group}",
                 f"  status: {grade.status} (the notebook ran for {grade.notebook_seconds:.1f} s)"]
        lines += [f"  - {_item(m, '    ')}" for m in grade.messages]
        lines += _cell_lines(grade)
        if grade.status in STATUS_ADVICE:
            lines.append(f"  {STATUS_ADVICE[grade.status]}")
        lines += [f"  {_item(w, '  ')}" for w in grade.warnings]
        lines += _check_lines(grade, style)
    lines.append(_verdict_line(grade, verdict, style))
    return "\n".join(lines)


def _cell_lines(grade: Grade) -> list[str]:
    cell = grade.first_error
    if cell is None:
        return []
    trace = printable(cell.traceback).splitlines()[:TRACEBACK_LINES]
    return [f"  first error: {printable(cell.summary(), multiline=False)}",
            *(f"      {line}" for line in trace)]


def _check_lines(grade: Grade, style: Style) -> list[str]:
    checks = visible_checks(grade)
    if not checks:
        return []
    if grade.status != "graded":
        return [f"  public checks: none scored ({_item(checks[0].message, '    ')})"]
    lines = [f"  public checks: {public_score(grade).describe()}"]
    for c in checks:
        label = style(f"{c.status.upper():8}", fg=CHECK_COLOURS.get(c.status, "red"))
        head = f"    {label} {printable(c.id, multiline=False)} ({c.points:g}/{c.max_points:g})"
        lines.append(head if c.status == "pass" else f"{head} {_item(c.message, '        ')}")
    return lines


def _verdict_line(grade: Grade, verdict: Outcome, style: Style) -> str:
    if verdict.ok:
        tally = f" Public checks: {public_score(grade).tally()}." if visible_checks(grade) else ""
        return style(VERDICT_OK, fg="green", bold=True) + tally
    if verdict.below_min_score:
        return style(f"VERDICT: NOT OK - {verdict.reason}.", fg="red", bold=True)
    return style(VERDICT_NOT_OK, fg="red", bold=True)
