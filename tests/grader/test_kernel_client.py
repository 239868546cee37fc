"""kernel_client without a kernel: the notebook that runs, error records, and the output caps."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import nbformat
import pytest

from builders import md, notebook
from grader.kernel_client import (CELL_OUTPUT_CHARS, TOTAL_OUTPUT_CHARS, TRACEBACK_LINES, CappedClient,
                                  CellError, prepare_notebook)
from grader.sandbox import SandboxKernelManager, make_spec
from grader.text import REPLACEMENT


def test_prepared_notebook_keeps_cell_numbers_and_drops_everything_else() -> None:
    nb = notebook(md("# Team"), "x = 1", md("text"), "y = 2")
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="old")]
    nb.cells[1].metadata["tags"] = ["solution"]
    nb.metadata["kernelspec"] = {"name": "evil", "display_name": "evil", "language": "python"}
    run = prepare_notebook(nb, ["probe()"], seed=7)
    assert [c.cell_type for c in run.cells] == ["code", "markdown", "code", "markdown", "code", "code"]
    assert "7" in run.cells[0].source
    assert run.cells[2].source == "x = 1" and run.cells[4].source == "y = 2"
    assert run.cells[1].source == "" and run.cells[5].source == "probe()"
    assert run.cells[2].outputs == [] and "tags" not in run.cells[2].metadata
    assert "kernelspec" not in run.metadata


def test_cell_error_strips_ansi_and_keeps_the_tail_of_the_traceback() -> None:
    trace = [f"\x1b[0;31mline {i}\x1b[0m" for i in range(100)]
    error = CellError.from_reply(13, {"ename": "ZeroDivisionError", "evalue": "\x1b[1mdivision by zero",
                                      "traceback": trace})
    assert error.summary() == "cell 13: ZeroDivisionError: division by zero"
    assert "\x1b" not in error.traceback and error.traceback.splitlines()[-1] == "line 99"
    assert len(error.traceback.splitlines()) == TRACEBACK_LINES


@pytest.mark.parametrize(("ename", "evalue", "memory"), [
    ("MemoryError", "", True), ("_ArrayMemoryError", "Unable to allocate 373. GiB", True),
    ("RuntimeError", "DefaultCPUAllocator: can't allocate memory", True), ("ValueError", "memory", False),
], ids=["memory-error", "numpy", "torch", "other"])
def test_memory_errors_are_recognised(ename: str, evalue: str, memory: bool) -> None:
    assert CellError(1, ename, evalue, "").is_memory_error is memory


@pytest.fixture
def client(tmp_path: Path) -> Iterator[CappedClient]:
    km = SandboxKernelManager(make_spec(tmp_path, 1024, use_bwrap=False), 1 << 20)
    yield CappedClient(notebook("print(1)", "print(2)", "print(3)", "print(4)", "print(5)"), km)
    km.context.destroy(linger=0)


def stream(text: str) -> dict[str, Any]:
    return {"msg_type": "stream", "content": {"name": "stdout", "text": text}}


def test_output_is_capped_per_cell_and_in_total(client: CappedClient) -> None:
    for cell in range(5):
        outs: list[Any] = []
        for _ in range(20):
            client.output(outs, stream("x" * 1000), None, cell)
        kept = sum(len(o.text) for o in outs)
        assert kept <= CELL_OUTPUT_CHARS
    assert client.kept <= TOTAL_OUTPUT_CHARS
    assert client.kept + client.dropped == 5 * 20 * 1000


def test_images_are_counted_only_for_student_cells_and_never_stored(client: CappedClient) -> None:
    png = {"msg_type": "display_data", "content": {"data": {"image/png": "A" * 100_000}, "metadata": {}}}
    outs: list[Any] = []
    client.output(outs, png, None, 0)
    client.count_images = True
    client.output(outs, png, None, 1)
    assert client.images == 1
    assert all("image/png" not in o.get("data", {}) for o in outs)


HOSTILE_ERROR = {
    "ename": "Oops\x1b]0;T\x07\x9b2J", "evalue": "boom\x1bc\x1b]0;x\x1b\\ \x9d0;t\x9c\x07\rreset",
    "traceback": ["\x1b[0;31m---------\x1b[0m", "\x1b[0;31mOops\x1b[0m: boom\x1bc\x9b2J\x07\r",
                  "\udc9b tail \x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\"],
}


def test_cell_error_from_reply_sanitises_every_field() -> None:
    error = CellError.from_reply(3, HOSTILE_ERROR)
    for text in (error.ename, error.evalue, error.traceback, error.summary()):
        assert not any(bad in text for bad in ("\x1b", "\x07", "\x9b", "\x9d", "\x9c", "\r", "\udc9b"))
        text.encode("utf-8")
    assert error.ename.startswith("Oops") and "\n" not in error.ename
    assert error.evalue == f"boom {REPLACEMENT}\nreset"  # the stray BEL is shown, not rung
    assert error.traceback.splitlines()[1] == f"Oops: boom{REPLACEMENT}"
    assert "link" in error.traceback


def test_error_outputs_are_sanitised_too(client: CappedClient) -> None:
    outs: list[Any] = []
    client.output(outs, {"msg_type": "error", "content": HOSTILE_ERROR}, None, 1)
    text = repr(outs[0].ename) + outs[0].ename + outs[0].evalue + "\n".join(outs[0].traceback)
    assert not any(bad in text for bad in ("\x1b", "\x07", "\x9b"))


def test_an_empty_or_huge_error_is_bounded() -> None:
    assert CellError.from_reply(1, {"ename": "\x1b[0m"}).ename == "\ufffd"
    assert CellError.from_reply(1, {"ename": ""}).ename == "Error"
    huge = CellError.from_reply(1, {"ename": "E" * 10**6, "evalue": "v" * 10**6, "traceback": ["t" * 10**6] * 50})
    assert len(huge.ename) == 200 and len(huge.evalue) == 500 and len(huge.traceback) <= 4000
