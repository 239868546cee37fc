"""Run one notebook in a fresh, isolated ipykernel driven by nbclient.

The kernel is started through `grader.sandbox` (bubblewrap where it can start, rlimits and a
process-group kill otherwise). Student cells run with `allow_errors=True`: every failed cell is a
`CellError` (data, not an exception). A cell past its limit ends the run as "timeout"; a kernel
that dies ends it as "crashed"; neither ever hangs or takes the grader down.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal, Sequence

import nbformat

from grader.rubric import Limits

Outcome = Literal["ok", "timeout", "crashed"]


@dataclass(frozen=True)
class CellError:
    """A student cell that raised.

    Attributes:
        cell: 1-based position among *all* cells of the notebook (markdown included).
        ename: exception class name, e.g. "ZeroDivisionError".
        evalue: exception message (truncated).
        traceback: ANSI-free traceback text, truncated to a few lines.
    """

    cell: int
    ename: str
    evalue: str
    traceback: str

    def summary(self) -> str:
        """`cell 13: ZeroDivisionError: division by zero` (the contract's wording)."""
        return f"cell {self.cell}: {self.ename}: {self.evalue}" if self.evalue else f"cell {self.cell}: {self.ename}"


@dataclass(frozen=True)
class ExtraCell:
    """A grader-written cell run after the student's cells, in the same kernel (the probes)."""

    label: str
    source: str
    timeout: float


@dataclass(frozen=True)
class Execution:
    """How a run went. Holds no student output beyond capped error text.

    Attributes:
        outcome: "ok" (every student cell finished, errors or not), "timeout" or "crashed".
        message: why a timeout/crash happened, naming the cell, e.g. "cell 4 ran past the 60 s limit".
        cell_errors: the student cells that raised, in order.
        image_outputs: number of outputs with an image/* mime type produced by student cells.
        extra_status: one entry per ExtraCell: "ok", "timeout", "crashed", "error: <ename>" or "not-run".
        duration: wall-clock seconds of the whole run (kernel start to shutdown).
        notebook_seconds: seconds spent executing the student's own cells.
        isolation: "bubblewrap" or "none (rlimits only)".
        warnings: grader-side warnings to show in the output and the report.
    """

    outcome: Outcome
    message: str
    cell_errors: tuple[CellError, ...]
    image_outputs: int
    extra_status: tuple[str, ...]
    duration: float
    notebook_seconds: float
    isolation: str
    warnings: tuple[str, ...] = ()


def run_notebook(
    nb: nbformat.NotebookNode,
    workdir: Path,
    limits: Limits,
    extra: Sequence[ExtraCell] = (),
    before_extra: Callable[[], None] | None = None,
    seed: int = 0,
) -> Execution:
    """Execute `nb` in a fresh sandboxed kernel whose cwd is `workdir`.

    Args:
        nb: the notebook (not modified; stored outputs, widget state and kernelspec ignored).
        workdir: a fresh, empty-but-for-the-upload directory the caller owns; it is the only
            writable place the kernel sees. Its absolute path is the same inside the sandbox.
        limits: per-cell/total time and memory limits.
        extra: grader cells to run after the student's cells (skipped after a timeout/crash).
        before_extra: called in the grader's process after the student's cells and before the
            extra cells (writes the probe inputs into `workdir`).
        seed: seeds random, numpy and torch in the kernel before the first student cell.
    """
    raise NotImplementedError
