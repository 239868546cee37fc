"""A live line while `grade check` runs a notebook, so a slow notebook is not two silent minutes.

On a terminal one line is redrawn every second ("checking adam_02.ipynb ... running cell 7 of 23,
12 s", the cell told by the executor's `on_cell` hook) and replaced by "checked adam_02.ipynb in
13.2 s" when done; elsewhere (CI logs, pipes) the first and last facts come as two plain lines.
It goes to stderr, so stdout holds only the verdict (`--format json` stays parseable). The
redrawn line is cut to the terminal's width less one column: a line that wrapped would leave its
first rows behind at every redraw.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator, TextIO

from grader.text import printable

CLEAR_LINE = "\r\x1b[2K"


class LiveLine:
    """Shows which upload is being checked, and for how long.

    Args:
        stream: where to write (stderr in the CLI).
        redraw: redraw one line in place (a terminal) instead of writing two plain lines.
        interval: seconds between redraws.
        clock: monotonic seconds (tests pass a fake).
        columns: the terminal's width, asked at every redraw (it may be resized).
    """

    def __init__(self, stream: TextIO, redraw: bool, interval: float = 1.0,
                 clock: Callable[[], float] = time.monotonic,
                 columns: Callable[[], int] = lambda: shutil.get_terminal_size().columns,
                 ) -> None:
        self.stream = stream
        self.redraw = redraw
        self.interval = interval
        self.clock = clock
        self.columns = columns

    @classmethod
    def for_stderr(cls) -> LiveLine:
        return cls(sys.stderr, redraw=sys.stderr.isatty())

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def _redrawn(self, text: str) -> str:
        """`text` as one redrawn line: cleared first, cut to the width less one column."""
        return CLEAR_LINE + text[:max(1, self.columns() - 1)]

    def note(self, text: str) -> None:
        """One line of its own (student-controlled text is made printable)."""
        self._write(printable(text, multiline=False) + "\n")

    @contextmanager
    def running(self, name: str) -> Iterator[Callable[[int, int], None]]:
        """Around the check of one upload named `name` (student-controlled: made printable).

        Yields the executor's `on_cell(cell, count)` hook (`grader.execute.CellHook`): from
        then on the redrawn line reads "checking NAME ... running cell 7 of 23, 12 s".
        """
        shown = printable(name, multiline=False)
        began = self.clock()
        stop = threading.Event()
        ticker = None
        at: list[tuple[int, int]] = []

        def on_cell(cell: int, count: int) -> None:
            at[:] = [(cell, count)]

        if self.redraw:
            def tick() -> None:
                while not stop.wait(self.interval):
                    where = f"running cell {at[0][0]} of {at[0][1]}, " if at else ""
                    self._write(self._redrawn(f"checking {shown} ... {where}"
                                              f"{self.clock() - began:.0f} s"))

            self._write(self._redrawn(f"checking {shown} ..."))
            ticker = threading.Thread(target=tick, name="liveline", daemon=True)
            ticker.start()
        else:
            self._write(f"checking {shown} ...\n")
        try:
            yield on_cell
        finally:
            stop.set()
            if ticker is not None:
                ticker.join()
            done = f"checked {shown} in {self.clock() - began:.1f} s\n"
            self._write(CLEAR_LINE + done if self.redraw else done)
