"""A live line while `grade check` runs a notebook, so a slow notebook is not two silent minutes.

On a terminal one line is redrawn every second ("checking adam_02.ipynb ... running cell 7 of 23,
12 s", the cell told by the executor's `on_cell` hook) and replaced by "checked adam_02.ipynb in
13.2 s" when done; elsewhere (CI logs, pipes) the first and last facts come as two plain lines.
It goes to stderr, so stdout holds only the verdict (`--format json` stays parseable). The
redrawn line fits the terminal's width less one column, measured in display columns (a wide
CJK character takes two, a combining mark none): a line that wrapped would leave its first rows
behind at every redraw. A name too long for it is shortened in the middle with "…", so the file
name and the timer at the end stay visible.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
import unicodedata
from contextlib import contextmanager
from typing import Callable, Iterator, TextIO

from grader.text import printable

CLEAR_LINE = "\r\x1b[2K"
ELLIPSIS = "\u2026"


def char_width(char: str) -> int:
    """Display columns of one character: 2 for East Asian wide/fullwidth, 0 for a combining
    mark (or a zero-width format character), else 1."""
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Display columns `text` takes on a terminal."""
    return sum(char_width(c) for c in text)


def cut_to_width(text: str, width: int, from_end: bool = False) -> str:
    """The longest start (or, `from_end`, end) of `text` that takes at most `width` columns."""
    chars = reversed(text) if from_end else iter(text)
    kept: list[str] = []
    used = 0
    for char in chars:
        used += char_width(char)
        if used > width:
            break
        kept.append(char)
    while from_end and kept and char_width(kept[-1]) == 0:
        kept.pop()                        # a mark whose base was cut off
    return "".join(reversed(kept) if from_end else kept)


def shorten_middle(name: str, width: int) -> str:
    """`name` in at most `width` columns: whole when it fits, else its start and its end around
    "…", the end (the file name) kept whole where it fits in the half of the room or more."""
    if display_width(name) <= width:
        return name
    room = width - 1                      # the ellipsis takes one column
    if room <= 0:
        return cut_to_width(ELLIPSIS, width)
    base = "/" + name.rsplit("/", 1)[-1] if "/" in name else name
    end_room = room if display_width(base) >= room else max(display_width(base), room // 2)
    end = cut_to_width(name, end_room, from_end=True)
    start = cut_to_width(name, room - display_width(end))
    return start + ELLIPSIS + end


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

    def _redrawn(self, name: str, tail: str) -> str:
        """"checking NAME ...TAIL" as one redrawn line: cleared first, in the width less one
        column, NAME shortened in the middle so that its end and TAIL stay visible."""
        width = max(1, self.columns() - 1)
        head, rest = "checking ", f" ...{tail}"
        room = width - display_width(head) - display_width(rest)
        if room < 8:                      # too narrow for a useful name: cut at the end
            return CLEAR_LINE + cut_to_width(head + name + rest, width)
        return CLEAR_LINE + head + shorten_middle(name, room) + rest

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
                    self._write(self._redrawn(shown, f" {where}{self.clock() - began:.0f} s"))

            self._write(self._redrawn(shown, ""))
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
