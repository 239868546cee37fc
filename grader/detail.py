"""What a check tried and what came back: the structured detail a report shows under a check.

Plain, frozen data (strings already formatted for display, so nothing in it is NaN or needs
numpy), built in the grading worker by `grader.explain` from the planned calls and the student's
records, carried on `CheckResult.detail` and stored with the grade in the gradebook. Every part
is capped (`MAX_*` in `grader.explain`): a detail stays a few KB plus its inputs file.

Only visible checks that did not pass get a detail; a hidden check never does, and a variable
check (one fixed answer for everyone) never shows the expected value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CaseStatus = Literal["pass", "fail", "error", "not-run"]
ArgumentKind = Literal["array", "tensor", "value", "fn", "list"]
OutputVerdict = Literal["agrees", "differs", "shape", "kind", "missing", "shown"]


@dataclass(frozen=True)
class CaseRow:
    """One case of a check: a row of the report's case table.

    Attributes:
        number: 1-based, as messages count cases ("case 3").
        label: the input generator's label ("t=1, shape (4,), ...").
        status: how the student's value compared.
        largest_error: max |got - expected| over the case's values ("3.2e-02"); "" when the
            values cannot be compared element by element (a shape or kind differs, no value).
        note: why a case failed or errored, in a few words.
    """

    number: int
    label: str
    status: CaseStatus
    largest_error: str = ""
    note: str = ""


@dataclass(frozen=True)
class Argument:
    """One input of the first failing case, named as the function's parameter.

    Attributes:
        name: "theta", "dL2" (from the assignment's notes; "arg1", ... otherwise).
        kind: "array" (numpy), "tensor" (torch, float64), "value" (a Python scalar, string or
            bool), "fn" (a callable the grader builds, e.g. a quadratic's gradient), "list".
        shape: the array's shape (arrays and tensors).
        preview: a few values in words ("[0.12, -0.5, 0.93, ...]").
        literal: the Python literal of a value ("0.001", "'linreg'", "True").
        fn: the callable's name for kind "fn" ("quadratic_grad").
        parts: a callable's own arguments, a list's items.
    """

    name: str
    kind: ArgumentKind
    shape: tuple[int, ...] = ()
    preview: str = ""
    literal: str = ""
    fn: str = ""
    parts: tuple[Argument, ...] = ()


@dataclass(frozen=True)
class Element:
    """One element where the student's value is furthest out of tolerance (the largest
    |got - expected| / allowed)."""

    index: str          # "(0, 2)"; "" for a scalar
    got: str
    expected: str
    error: str          # |got - expected|
    allowed: str = ""   # atol + rtol * |expected|


@dataclass(frozen=True)
class OutputView:
    """One returned value of the first failing case, the student's beside the reference's.

    Attributes:
        name: what it is ("dL1", "theta", "losses", "dW[3]").
        verdict: "agrees", "differs" (same shape, values out of tolerance), "shape" (shapes
            differ), "kind" (not an array where one was expected), "missing" (no such item),
            "shown" (only the student's value is shown: a variable check's fixed answer).
        got: the student's value in words ("an array of shape (4,)").
        expected: the reference's value in words ("" when not shown).
        largest_error, out_of_tolerance: for "differs" ("3.2e-02", "12 of 720").
        elements: the elements furthest out of tolerance (largest |got - expected| / allowed),
            worst first (at most a few).
        got_preview, expected_preview: a few values, when elements cannot be paired.
    """

    name: str
    verdict: OutputVerdict
    got: str
    expected: str = ""
    largest_error: str = ""
    out_of_tolerance: str = ""
    elements: tuple[Element, ...] = ()
    got_preview: str = ""
    expected_preview: str = ""


@dataclass(frozen=True)
class CheckDetail:
    """Per check: every case's outcome, and the first failing case in full.

    Attributes:
        cases: one row per case (at most a few; `more_cases` counts the rest).
        case: the 1-based number of the first case that failed or errored (0: none did).
        label: that case's label.
        reason: the comparison's message for that case, without the function and case name.
        inputs: its arguments.
        outputs: its returned values beside the reference's (differing ones first).
        agreeing: names of returned values that agree, listed in one line.
        mistake: one line when the student's value is what a known mistake gives ("this is
            what a missing bias correction gives"), else "".
        symbol: the student's function ("adam_step"; "" for a variable check: nothing is
            called); driver: how it was called ("call", "optimizer_chain"), for the snippet.
        npz: the inputs as a base64 `.npz` (arrays only, float64), "" when there is no array
            or they are over the size cap (the snippet then builds random ones of the shapes).
        more_cases: cases not listed in `cases`.
        timed_out: that case's call ran past its time limit (the snippet then times it).
    """

    cases: tuple[CaseRow, ...]
    case: int = 0
    label: str = ""
    reason: str = ""
    inputs: tuple[Argument, ...] = ()
    outputs: tuple[OutputView, ...] = ()
    agreeing: tuple[str, ...] = ()
    mistake: str = ""
    symbol: str = ""
    driver: str = "call"
    npz: str = ""
    more_cases: int = 0
    timed_out: bool = False
