"""kernel_client without a kernel: the notebook that runs, error records, and the output caps."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any, Iterator

import nbformat
import pytest
from builders import md, notebook

from grader.kernel_client import (
    CELL_OUTPUT_CHARS,
    KEPT_FIGURES,
    TOTAL_OUTPUT_CHARS,
    CappedClient,
    is_real_image,
    prepare_notebook,
)
from grader.kernel_manager import SandboxKernelManager
from grader.sandbox_spec import make_spec
from grader.text import REPLACEMENT


def test_prepared_notebook_keeps_cell_numbers_and_drops_everything_else() -> None:
    nb = notebook(md("# Team"), "x = 1", md("text"), "y = 2")
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="old")]
    nb.cells[1].metadata["tags"] = ["solution"]
    nb.metadata["kernelspec"] = {"name": "evil", "display_name": "evil", "language": "python"}
    run = prepare_notebook(nb, ["probe()"], seed=7)
    assert [c.cell_type for c in run.cells] == ["code", "markdown", "code", "markdown", "code",
                                                "code"]
    assert "7" in run.cells[0].source
    assert run.cells[2].source == "x = 1" and run.cells[4].source == "y = 2"
    assert run.cells[1].source == "" and run.cells[5].source == "probe()"
    assert run.cells[2].outputs == [] and "tags" not in run.cells[2].metadata
    assert "kernelspec" not in run.metadata


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


def figure_data(fmt: str, size: tuple[float, float] = (2, 2)) -> str:
    """What matplotlib's inline backend sends: a figure rendered by the Agg canvas, base64'd."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=100)
    fig.add_subplot().plot([0, 1, 2], [1, 0, 1])
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt)
    data = buffer.getvalue()
    return data.decode() if fmt == "svg" else base64.b64encode(data).decode()


def display(data: dict[str, Any]) -> dict[str, Any]:
    return {"msg_type": "display_data", "content": {"data": data, "metadata": {}}}


def test_images_are_counted_only_for_student_cells_and_never_stored(client: CappedClient) -> None:
    png = display({"image/png": figure_data("png"), "text/plain": "<Figure size 200x200>"})
    outs: list[Any] = []
    client.output(outs, png, None, 0)
    client.count_images = True
    client.output(outs, png, None, 1)
    assert client.images == 1
    assert all("image/png" not in o.get("data", {}) for o in outs)


def test_the_first_real_figures_are_kept_for_thumbnails_raster_first(client: CappedClient) -> None:
    png, svg = figure_data("png"), figure_data("svg")
    client.count_images = True
    client.output([], display({"image/png": "AAAA"}), None, 1)                # fake: not kept
    for _ in range(KEPT_FIGURES + 2):
        client.output([], display({"image/svg+xml": svg, "image/png": png}), None, 1)
    assert client.images == KEPT_FIGURES + 2
    assert client.figures == [("image/png", png)] * KEPT_FIGURES


@pytest.mark.parametrize("data", [
    {"image/png": "AAAA"}, {"image/png": "A" * 100_000}, {"image/png": "not base64 at all!"},
    {"image/png": base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()},              # magic, but tiny
    {"image/png": base64.b64encode(b"GIF89a" + bytes(200)).decode()},           # magic not png
    {"image/jpeg": base64.b64encode(bytes(200)).decode()}, {"image/gif": "R0lGODlh"},
    {"image/svg+xml": "<html>not an svg</html>"}, {"image/svg+xml": {"svg": 1}},
    {"image/x-fake": base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(200)).decode()},
    {"text/plain": "<Figure size 640x480 with 1 Axes>"},
    {"image/png": base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(56)).decode()},   # magic + zeros
    {"image/svg+xml": "<svg"}, {"image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg'/>"},
    {"image/png": figure_data("png", size=(0.02, 0.02))},                        # 2x2 pixels
], ids=["AAAA", "long-A", "not-base64", "tiny-png", "gif-as-png", "zero-jpeg", "gif-header-only",
        "html-as-svg", "svg-not-text", "unknown-type", "text-only", "png-magic-then-zeros",
        "svg-open-tag-only", "empty-svg", "png-2x2"])
def test_fake_images_do_not_count_as_a_figure(client: CappedClient, data: dict[str, Any]) -> None:
    client.count_images = True
    client.output([], display(data), None, 1)
    assert client.images == 0


@pytest.mark.parametrize("fmt", ["png", "svg", "jpeg", "gif"])
def test_real_figures_count(client: CappedClient, fmt: str) -> None:
    if fmt == "gif":
        pytest.importorskip("PIL")
    mime = {"png": "image/png", "svg": "image/svg+xml", "jpeg": "image/jpeg",
            "gif": "image/gif"}[fmt]
    client.count_images = True
    client.output([], display({mime: figure_data(fmt), "text/plain": "<Figure>"}), None, 1)
    assert client.images == 1


def test_wrapped_base64_and_line_lists_are_accepted() -> None:
    data = figure_data("png")
    wrapped = "\n".join(data[i:i + 76] for i in range(0, len(data), 76))
    assert is_real_image("image/png", wrapped)
    assert is_real_image("image/png", wrapped.splitlines(keepends=True))
    assert is_real_image("image/svg+xml", figure_data("svg").splitlines(keepends=True))


HOSTILE_ERROR = {
    "ename": "Oops\x1b]0;T\x07\x9b2J", "evalue": "boom\x1bc\x1b]0;x\x1b\\ \x9d0;t\x9c\x07\rreset",
    "traceback": ["\x1b[0;31m---------\x1b[0m", "\x1b[0;31mOops\x1b[0m: boom\x1bc\x9b2J\x07\r",
                  "\udc9b tail \x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\"],
}


def test_error_outputs_are_sanitised_too(client: CappedClient) -> None:
    outs: list[Any] = []
    client.output(outs, {"msg_type": "error", "content": HOSTILE_ERROR}, None, 1)
    text = repr(outs[0].ename) + outs[0].ename + outs[0].evalue + "\n".join(outs[0].traceback)
    assert not any(bad in text for bad in ("\x1b", "\x07", "\x9b"))


@pytest.mark.kernel
def test_in_a_real_kernel_fakes_do_not_count_and_hostile_errors_come_back_clean(
        tmp_path: Path) -> None:
    from grader.execute import run_notebook
    from grader.rubric import Limits

    fake = "from IPython.display import display\ndisplay({'image/png': 'AAAA'}, raw=True)"
    svg = ("import matplotlib.pyplot as plt\n%config InlineBackend.figure_formats = ['svg']\n"
           "plt.plot([1, 2, 3])\nplt.show()")
    hostile = "E = type('Oops\\x1b]0;T\\x07', (Exception,), {})\nraise E('boom \\x1bc \\x9b2J')"
    (tmp_path / "work").mkdir()
    result = run_notebook(notebook(fake, svg, hostile), tmp_path / "work",
                          limits=Limits(cell_timeout=30, total_timeout=60))
    assert result.image_outputs == 1
    [error] = result.cell_errors
    text = error.summary() + error.traceback
    assert not any(bad in text for bad in ("\x1b", "\x07", "\x9b"))
    assert error.summary() == f"cell 3: Oops{REPLACEMENT}: boom  "
