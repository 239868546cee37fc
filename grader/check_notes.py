"""What an assignment module tells the reports about its checks: names, pictures, known mistakes.

An assignment (the module of a check's input generator or comparator, e.g.
`grader.assignments.adam`) may have a `<module>_feedback` module beside it defining
`FEEDBACK: dict[str, CheckNotes]`, keyed by check id (`notes_for`). The
names it declares replace "output [0]" in the report (`dL1`, `theta`, `m`, `v`), and its
`Mistake`s are trusted implementations of classic errors: `grader.explain` runs them on the first
failing case and, when the student's value is what one of them gives, says so in one line.
A module without `FEEDBACK` (a course's own) gets `CheckNotes()`: generic names, pictures chosen
from the values' shapes, no mistakes.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from grader.rubric import CheckSpec

PictureKind = Literal["auto", "loss_curves", "trajectory", "against_input", "none"]
MISTAKE_LINE = "this looks like {what}: your values are what {it} gives, within the tolerance"


@dataclass(frozen=True)
class Mistake:
    """A classic error as trusted code with the student's signature.

    Attributes:
        what: the error in words, to complete "this looks like ..." ("a missing bias
            correction").
        fn: the mistaken implementation; called through the check's driver on the case's
            inputs, exactly as the reference is.
    """

    what: str
    fn: Callable[..., Any]

    @property
    def line(self) -> str:
        """The report's line: "this looks like a missing bias correction: ..."."""
        return mistake_line((self,))


def mistake_line(mistakes: tuple[Mistake, ...]) -> str:
    """The report's line naming the mistakes whose values all equal the student's ("" for none):
    "this looks like A or B: your values are what either gives, within the tolerance"."""
    if not mistakes:
        return ""
    what = " or ".join(m.what for m in mistakes)
    return MISTAKE_LINE.format(what=what, it="it" if len(mistakes) == 1 else "either")


@dataclass(frozen=True)
class ErrorMistake:
    """A classic error recognised by the error it raises on a case (a shape mismatch).

    Attributes:
        what: the error in words ("Wi transposed (X @ Wi.T, ...)").
        why: what in the error shows it ("the shapes in the error are ...").
        matches: (the case's positional arguments, the error text) -> whether the error is the
            one this mistake raises on those inputs.
    """

    what: str
    why: str
    matches: Callable[[tuple[Any, ...], str], bool]

    @property
    def line(self) -> str:
        """The report's line: "this looks like Wi transposed (...): the shapes ..."."""
        return f"this looks like {self.what}: {self.why}"


@dataclass(frozen=True)
class CheckNotes:
    """How the report names and draws one check's values.

    Attributes:
        inputs: the parameters' names, in order ("theta", "grad", "m", "v", "t", ...).
        outputs: the returned values' names: one per item of a returned tuple ("theta", "m",
            "v"), or one name for a single value or a list ("dW" gives "dW[0]", "dW[1]", ...).
        axes: output name -> a name per axis, for heat maps (("b", "x", "y", "t", "c")).
        picture: "loss_curves" (the output named "losses" of every case against the
            reference's), "trajectory" (the first failing case's iterates), "against_input"
            (an elementwise function: output against its first input over every case), "none",
            or "auto" (a heat map for arrays of many values, dots for a few values per case).
        mistakes: classic errors to recognise by their values, tried in order.
        error_mistakes: classic errors to recognise by the error a case raised.
        nonfinite_hint: (a case's positional arguments) -> what to say when the student's value
            has nan or inf where the reference's is finite ("" for nothing).
    """

    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    axes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    picture: PictureKind = "auto"
    mistakes: tuple[Mistake, ...] = ()
    error_mistakes: tuple[ErrorMistake, ...] = ()
    nonfinite_hint: Callable[[tuple[Any, ...]], str] | None = None

    def axis_names(self, output: str) -> tuple[str, ...] | None:
        """The axis names declared for `output` (by its name without an index), or None."""
        base = output.split("[", 1)[0]
        return next((names for name, names in self.axes if name == base), None)


def feedback_module(module: str) -> str:
    """The module holding FEEDBACK for a check whose generator or comparator lives in `module`:
    `<assignment>_feedback` beside it (`grader.assignments.adam` and
    `grader.assignments.adam_compare` both give `grader.assignments.adam_feedback`)."""
    return module.removesuffix("_compare") + "_feedback"


def notes_for(check: CheckSpec) -> CheckNotes:
    """The notes `FEEDBACK[check.id]` of the check's assignment declares, or empty ones.

    The assignment is the module of the check's input generator, else of its comparator; its
    notes live in the `_feedback` module beside it (`feedback_module`), imported only when a
    report is explained: it holds trusted near-solutions (the classic mistakes), which never
    ship to students. Without one (a course's own checks, or a check kit's in the student
    distribution) the notes are empty but for the output names the check carries (a kit's
    `outputs`), so `grade check --kit` names the values as the batch does.
    """
    for fn in (check.inputs_fn, check.compare_fn):
        module = getattr(fn, "__module__", None)
        table = _feedback_table(feedback_module(module)) if module else None
        notes = table.get(check.id) if isinstance(table, dict) else None
        if isinstance(notes, CheckNotes):
            return notes
    return CheckNotes(outputs=check.outputs)


@functools.cache
def _feedback_table(module: str) -> object:
    """`FEEDBACK` of `module`, or None when there is no such module (the student distribution
    holds none): looked up once per module, as every comparison asks for its check's names."""
    try:
        return getattr(importlib.import_module(module), "FEEDBACK", None)
    except ImportError:
        return None
