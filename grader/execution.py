"""What running a notebook hands on: the `Execution` record and the grader's extra cells.

`grader.execute` runs the notebook (the student's cells, then the `ExtraCell`s the grader adds,
the probes) and returns an `Execution`; the probe, the timing check and the score read it. This
module holds no kernel machinery, so they can import it cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal, Mapping

from grader.cell_error import CellError

Outcome = Literal["ok", "timeout", "crashed"]
ExtraStatus = Literal["ok", "error", "timeout", "crashed", "not-run"]


@dataclass(frozen=True)
class ExtraCell:
    """A grader-written cell run after the student's cells, in the same kernel (the probes).

    Attributes:
        key: the name its outcome is reported under in `Execution.extra` (None: not reported).
            Several cells may share a key (one cell per call of a check): their outcomes are
            merged, see `ExtraOutcome`.
        what: how messages name it ("check adam_step", "its probe setup").
        source: the code.
        timeout: seconds it may run (within what is left of the notebook's total limit).
        stated_limit: the limit a message names when the cell runs past `timeout` (e.g. the
            per-call limit of a check, where `timeout` adds a grace); None: `timeout`.
        always: it runs after the student's cells even when `prepare_extra` declines the
            others (not after a timeout or crash).
        prepare: called in the grader's process just before the cell runs (outside its timing)
            to write what the cell reads (a call's inputs, `grader.probe.write_call`), so no
            code the notebook left running sees them earlier. Raises OSError when it cannot.
    """

    key: str | None
    what: str
    source: str
    timeout: float
    stated_limit: float | None = None
    always: bool = False
    prepare: Callable[[], None] | None = None


@dataclass(frozen=True)
class ExtraOutcome:
    """How the extra cells of one key ended.

    A cell raised when its reply says so or an `error` message arrived for it. For a key with
    several cells the status is the first that is not "ok" (else "ok"), `error` the first
    error, `seconds` their sum, and `cell_seconds` holds each cell that ran, in order.

    Attributes:
        status: "ok", "error" (it raised: `error` says what), "timeout", "crashed" or "not-run".
        seconds: wall-clock seconds it ran, measured by the grader (the kernel's own clocks and
            alarms are the student's to tamper with); 0 when it did not run.
        error: what it raised, for status "error".
        cell_seconds: the seconds of each cell of the key that ran (not "not-run"), in order.
    """

    status: ExtraStatus
    seconds: float = 0.0
    error: CellError | None = None
    cell_seconds: tuple[float, ...] = ()

    def then(self, later: ExtraOutcome) -> ExtraOutcome:
        """This outcome followed by a later cell's of the same key."""
        return ExtraOutcome(later.status if self.status == "ok" else self.status,
                            self.seconds + later.seconds, self.error or later.error,
                            self.cell_seconds + later.cell_seconds)


@dataclass(frozen=True)
class Execution:
    """How a run went. Holds no student output beyond capped error text.

    Attributes:
        outcome: "ok" (every student cell finished, errors or not), "timeout" or "crashed".
        message: why a timeout/crash happened, naming the cell, e.g. "cell 4 ran past the 60 s
            limit".
        cell_errors: the student cells that raised, in order.
        image_outputs: number of real images (PNG/JPEG/GIF/SVG that decode as such) that
            student cells displayed (`kernel_client.is_real_image`).
        extra: the outcome of every extra cell that has a key, by key ("not-run" when the
            student's cells ended in a timeout or crash, or `prepare_extra` declined).
        duration: wall-clock seconds of the whole run (kernel start to shutdown).
        notebook_seconds: seconds spent executing the student's own cells.
        isolation: "bubblewrap" or "none (rlimits only)".
        warnings: grader-side warnings to show in the output and the report.
        output_chars: characters of student output kept (capped by TOTAL_OUTPUT_CHARS).
        output_dropped_chars: characters of student output dropped by the caps.
        cell_seconds: (cell, seconds) of every student code cell that ran, in order (cells
            numbered as in `CellError.cell`).
        stopped_cell: the student cell a timeout or crash ended the run in (None otherwise).
        figures: (MIME type, base64 data) of the first few real images, for thumbnails.
    """

    outcome: Outcome
    message: str
    cell_errors: tuple[CellError, ...]
    image_outputs: int
    extra: Mapping[str, ExtraOutcome]
    duration: float
    notebook_seconds: float
    isolation: str
    warnings: tuple[str, ...] = ()
    output_chars: int = 0
    output_dropped_chars: int = 0
    cell_seconds: tuple[tuple[int, float], ...] = ()
    stopped_cell: int | None = None
    figures: tuple[tuple[str, str], ...] = ()
