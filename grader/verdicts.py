"""What `grade check` concludes for each upload, and its text and JSON forms.

One upload's verdict is decided from its `Grade` alone (`outcome`): OK when the upload is
accepted and its notebook runs with no error (the contract's rule, exit 0), and, with
`--min-score X`, when its public checks also score at least X points or X percent.

Formats (`grade check --format`), each rendered from one `CheckRun`:

* `text` (`grader.verdict_text`): for a person. Per upload its status, the public checks'
  score ("public checks: 4.5 of 5 points, 5 of 6 pass"), each check with the message of each
  failing one, then a `VERDICT:` line. Colour only when asked for (the CLI asks when stdout is
  a terminal).
* `json` (here): always the top-level shape of grades.json, `{"grader_version", "generated_at",
  "submissions": [SUBMISSION, ...]}`, one SUBMISSION per upload exactly as grades.json writes it
  (`file` is the path as given on the command line; a hidden check, which `grade check` never
  runs, would be left out), for one upload or many, so a script reads one shape. Three keys are
  added at the top: `min_score` (as given, or null), `passed` (the exit status: true means exit
  0) and `failed` (the `file` of each upload that is NOT OK).
* `junit`: `grader.junit`. `github` and `classroom`: `grader.github`.

Every string a student controls (file names, messages, tracebacks) goes through
`grader.text.printable` before it is shown: a message can neither fake a `VERDICT:` line (its
continuation lines are indented) nor send an escape sequence to the terminal.

This module reads a Grade's contract fields (`to_contract()`), `checks[].visible`, `warnings` and
`notebook_seconds`; the first failing cell as `first_error` (a `CellError`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:  # only for annotations: keeps `grade --help` light
    from grader.compare import CheckResult
    from grader.score import Grade

FORMATS = ("text", "json", "junit", "github", "classroom")
POINTS_SLACK = 1e-9          # a score within this (relative) of the threshold meets it

STATUS_REASON = {
    "rejected": "rejected at intake, nothing was run",
    "run-error": "a cell raised an error",
    "timeout": "the notebook ran too long",
    "crashed": "the kernel died",
}


# ----------------------------------------------------------------------------- --min-score
@dataclass(frozen=True)
class MinScore:
    """The `--min-score` threshold: `value` points, or `value` percent of the public points."""

    value: float
    percent: bool
    text: str  # as given ("80%", "4.5"), for messages

    def required(self, max_points: float) -> float:
        """The points needed out of `max_points`."""
        return self.value / 100.0 * max_points if self.percent else self.value


_NUMBER = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)")


def parse_min_score(text: str) -> MinScore:
    """`"4.5"` (points) or `"80%"` (of the public points).

    Raises:
        ValueError: anything else (negative, not a number, a percentage above 100).
    """
    raw = text.strip()
    percent = raw.endswith("%")
    number = raw[:-1].strip() if percent else raw
    if not _NUMBER.fullmatch(number):
        raise ValueError(f"{text!r} is neither a number of points (e.g. 4.5) nor a percentage "
                         "(e.g. 80%)")
    value = float(number)
    if percent and value > 100.0:
        raise ValueError(f"{text!r}: a percentage above 100% can never be reached")
    return MinScore(value, percent, raw)


class MinScoreType(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.2
    """`--min-score X`: points or a percentage, a clear usage error (exit 2) otherwise."""

    name = "X|X%"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> MinScore:
        if isinstance(value, MinScore):
            return value
        try:
            return parse_min_score(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


# ----------------------------------------------------------------------------- the decision
# The message of a check a kit cannot decide starts so (grader.kit.NOT_CHECKABLE).
NOT_CHECKABLE_PREFIX = "not checkable before submission"


def undecided(check: CheckResult) -> bool:
    """A check a kit cannot decide: not a failure, it is decided when the upload is graded."""
    return check.status == "not-run" and check.message.startswith(NOT_CHECKABLE_PREFIX)


@dataclass(frozen=True)
class PublicScore:
    """Points and pass counts over an upload's visible checks; `total` counts the checkable
    ones, `undecided` those a kit cannot decide."""

    points: float
    max_points: float
    passed: int
    total: int
    undecided: int = 0

    def tally(self) -> str:
        """"5 of 6 pass", or "7 of 7 checkable pass, 1 decided at grading"."""
        if not self.undecided:
            return f"{self.passed} of {self.total} pass"
        return (f"{self.passed} of {self.total} checkable pass, {self.undecided} decided at "
                "grading")

    def describe(self) -> str:
        """"4.5 of 5 points, 5 of 6 pass"."""
        return f"{self.points:g} of {self.max_points:g} points, {self.tally()}"


def visible_checks(grade: Grade) -> tuple[CheckResult, ...]:
    return tuple(c for c in grade.checks if c.visible)


def public_score(grade: Grade) -> PublicScore:
    checks = visible_checks(grade)
    later = sum(undecided(c) for c in checks)
    return PublicScore(float(sum(c.points for c in checks)),
                       float(sum(c.max_points for c in checks)),
                       sum(c.status == "pass" for c in checks), len(checks) - later, later)


@dataclass(frozen=True)
class Outcome:
    """One upload's verdict: `ok` decides the exit status; `reason` says why not ("" when ok)."""

    ok: bool
    reason: str
    below_min_score: bool = False


def unreachable(min_score: MinScore, maxima: dict[str, float]) -> str:
    """Why `min_score` (in points) is more than every assignment's public checks can give, given
    each one's maximum `maxima[id]`; "" when some can reach it (or it is a percentage)."""
    if min_score.percent or not maxima or any(
            min_score.value <= most + POINTS_SLACK * max(1.0, most) for most in maxima.values()):
        return ""
    best = max(maxima.values())
    each = ", ".join(f"{most:g} for {name}" for name, most in sorted(maxima.items()))
    return (f"--min-score {min_score.text}: more points than the public checks can give (at most "
            f"{each}); give at most {best:g} points, or a percentage such as 100%")


def shortfall(grade: Grade, min_score: MinScore) -> str:
    """Why the public checks miss `min_score` ("" when they meet it), whatever the status."""
    score = public_score(grade)
    required = min_score.required(score.max_points)
    if required > score.max_points * (1 + POINTS_SLACK) + POINTS_SLACK:
        return (f"--min-score {min_score.text} can never be met: this upload's public checks "
                f"give at most {score.max_points:g} points")
    if score.points >= required - POINTS_SLACK * max(1.0, abs(required)):
        return ""
    share = f" ({min_score.text})" if min_score.percent else ""
    return (f"the public checks score {score.points:g} of {score.max_points:g} points, below the "
            f"required {required:g}{share}")


def outcome(grade: Grade, min_score: MinScore | None) -> Outcome:
    """OK: accepted, runs with no error and, with a threshold, its public checks meet it."""
    if grade.status != "graded":
        return Outcome(False, STATUS_REASON.get(grade.status, grade.status))
    if grade.first_error is not None:
        return Outcome(False, STATUS_REASON["run-error"])
    reason = shortfall(grade, min_score) if min_score is not None else ""
    return Outcome(not reason, reason, below_min_score=bool(reason))


@dataclass(frozen=True)
class CheckRun:
    """Everything `grade check` renders: one Grade per upload, in the order given."""

    grades: tuple[Grade, ...]
    min_score: MinScore | None = None
    grader_version: str = ""
    generated_at: str = ""       # ISO-8601

    def outcomes(self) -> tuple[Outcome, ...]:
        return tuple(outcome(grade, self.min_score) for grade in self.grades)

    @property
    def passed(self) -> bool:
        """Every upload OK: the command exits 0."""
        return all(o.ok for o in self.outcomes())


# ----------------------------------------------------------------------------- json
def _record(grade: Grade) -> dict[str, Any]:
    """`grade.to_contract()`, its hidden checks left out (none in `grade check`'s grades)."""
    record = grade.to_contract()
    record["checks"] = [c for c, check in zip(record["checks"], grade.checks) if check.visible]
    return record


def to_json(run: CheckRun) -> str:
    """grades.json's top-level shape for these uploads, plus `min_score` and `passed`."""
    document: dict[str, Any] = {
        "grader_version": run.grader_version,
        "generated_at": run.generated_at,
        "submissions": [_record(grade) for grade in run.grades],
        "min_score": run.min_score.text if run.min_score else None,
        "passed": run.passed,
        "failed": [g.file for g, o in zip(run.grades, run.outcomes()) if not o.ok],
    }
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
