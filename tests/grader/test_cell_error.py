"""grader.cell_error: a failed cell as plain data, every text from the kernel made printable."""

from __future__ import annotations

import pytest

from grader.cell_error import TRACEBACK_LINES, CellError
from grader.text import REPLACEMENT

HOSTILE_ERROR = {
    "ename": "Oops\x1b]0;T\x07\x9b2J", "evalue": "boom\x1bc\x1b]0;x\x1b\\ \x9d0;t\x9c\x07\rreset",
    "traceback": ["\x1b[0;31m---------\x1b[0m", "\x1b[0;31mOops\x1b[0m: boom\x1bc\x9b2J\x07\r",
                  "\udc9b tail \x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\"],
}


def test_cell_error_strips_ansi_and_keeps_the_tail_of_the_traceback() -> None:
    trace = [f"\x1b[0;31mline {i}\x1b[0m" for i in range(100)]
    error = CellError.from_reply(13, {"ename": "ZeroDivisionError",
                                      "evalue": "\x1b[1mdivision by zero", "traceback": trace})
    assert error.summary() == "cell 13: ZeroDivisionError: division by zero"
    assert "\x1b" not in error.traceback and error.traceback.splitlines()[-1] == "line 99"
    assert len(error.traceback.splitlines()) == TRACEBACK_LINES


@pytest.mark.parametrize(("ename", "evalue", "memory"), [
    ("MemoryError", "", True), ("_ArrayMemoryError", "Unable to allocate 373. GiB", True),
    ("RuntimeError", "DefaultCPUAllocator: can't allocate memory", True),
    ("ValueError", "memory", False),
], ids=["memory-error", "numpy", "torch", "other"])
def test_memory_errors_are_recognised(ename: str, evalue: str, memory: bool) -> None:
    assert CellError(1, ename, evalue, "").is_memory_error is memory


def test_cell_error_from_reply_sanitises_every_field() -> None:
    error = CellError.from_reply(3, HOSTILE_ERROR)
    for text in (error.ename, error.evalue, error.traceback, error.summary()):
        assert not any(bad in text for bad in ("\x1b", "\x07", "\x9b", "\x9d", "\x9c", "\r",
                                               "\udc9b"))
        text.encode("utf-8")
    assert error.ename.startswith("Oops") and "\n" not in error.ename
    assert error.evalue == f"boom {REPLACEMENT}\nreset"  # the stray BEL is shown, not rung
    assert error.traceback.splitlines()[1] == f"Oops: boom{REPLACEMENT}"
    assert "link" in error.traceback


def test_an_empty_or_huge_error_is_bounded() -> None:
    assert CellError.from_reply(1, {"ename": "\x1b[0m"}).ename == "\ufffd"
    assert CellError.from_reply(1, {"ename": ""}).ename == "Error"
    huge = CellError.from_reply(1, {"ename": "E" * 10**6, "evalue": "v" * 10**6,
                                    "traceback": ["t" * 10**6] * 50})
    assert len(huge.ename) == 200 and len(huge.evalue) == 500 and len(huge.traceback) <= 4000
