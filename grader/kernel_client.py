"""The nbclient side of a run: a client whose memory stays bounded whatever the kernel sends.

`CappedClient` keeps at most a few KB of each cell's output (images are counted, the data of the
first few kept for the report's thumbnails), ignores comms and malformed messages, and records
each cell's execute reply and the first `error` message that arrives for it (a cell raised if
either says so: a notebook can make the reply say "ok" for a cell that raised, not stop the
kernel from sending the traceback). `prepare_notebook` builds what actually runs: a hidden setup
cell (seeds, print cap, the baseline of the kernel's error reporting), the student's cell
sources only, and the grader's extra cells. `start_kernel` and `stop_kernel` start the
sandboxed kernel (any failure is a grader fault) and end it with its whole process tree,
whatever happened.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import os
import subprocess
from pathlib import Path
from typing import Any, Sequence
from xml.etree import ElementTree

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellControlSignal
from nbformat import NotebookNode

from grader.cell_error import CellError
from grader.error_hooks import baseline_source
from grader.errors import KernelError
from grader.kernel_manager import SandboxKernelManager
from grader.process_tree import kill_tree
from grader.sandbox import popen_kwargs
from grader.sandbox_spec import SandboxSpec

CELL_OUTPUT_CHARS = 8_000       # student output kept per cell
TOTAL_OUTPUT_CHARS = 32_000     # ... and per notebook
KERNEL_OUTPUT_CHARS = 1 << 20  # what the kernel itself lets one cell print
MAX_MESSAGE_BYTES = 64 << 20    # larger kernel messages are dropped by ZMQ
STARTUP_TIMEOUT = 60.0
MIN_FIGURE_SIDE = 8          # pixels: a smaller image is no figure
MAX_FIGURE_PIXELS = 50_000_000   # larger is a decompression bomb, not a figure
SVG_DRAWING = frozenset({"path", "g", "rect", "line", "polyline", "polygon", "circle", "ellipse",
                         "text", "image", "use"})
MIN_IMAGE_BYTES = 64          # a smaller "image" is no figure (a 1x1 PNG is 67 bytes)
KEPT_FIGURES = 3              # real images whose data is kept for the report's thumbnails
KEPT_FIGURE_CHARS = 2_000_000  # of base64 text per kept image (a larger one is only counted)
IMAGE_MAGIC: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}

# The hidden setup cell, run before the first student cell. It seeds `random` now, numpy and
# torch as soon as they are imported (importing torch eagerly would cost every notebook
# seconds), and caps what one cell can print at the source, so a print loop cannot build
# messages of hundreds of MB (the grader drops messages above MAX_MESSAGE_BYTES, which also
# cuts the output channel for the rest of the run).
SETUP_SOURCE = '''\
def __grader_setup(seed, cap):
    import importlib.util, random, sys
    random.seed(seed)
    seeders = {"numpy": lambda m: m.random.seed(seed), "torch": lambda m: m.manual_seed(seed)}
    for name in [n for n in seeders if n in sys.modules]:
        seeders.pop(name)(sys.modules[name])
    class SeedOnImport:
        def find_spec(self, name, path=None, target=None):
            if name not in seeders:
                return None
            seeder = seeders.pop(name)
            if not seeders:
                sys.meta_path.remove(self)
            found = importlib.util.find_spec(name)
            if found is None or found.loader is None:
                return found
            exec_module = found.loader.exec_module
            def exec_and_seed(module):
                exec_module(module)
                seeder(module)
            found.loader.exec_module = exec_and_seed
            return found
    if seeders:
        sys.meta_path.insert(0, SeedOnImport())
    shell, used = get_ipython(), {}
    def capped(stream, text):
        count = shell.execution_count
        room = cap - used.get(count, 0)
        if room > 0:
            used.clear()
            used[count] = cap - room + min(len(text), room)
            cut = text if len(text) <= room else text[:room] + "\\n[output truncated]\\n"
            type(stream).write(stream, cut)
        return len(text)
    def cap_streams(*_):
        for stream in (sys.stdout, sys.stderr):
            stream.write = capped.__get__(stream)
    shell.events.register("pre_run_cell", cap_streams)
__grader_setup({seed}, {cap})
del __grader_setup
'''


class CappedClient(NotebookClient):
    """nbclient with bounded memory: outputs capped, images only counted, comms ignored."""

    def __init__(self, nb: NotebookNode, km: SandboxKernelManager) -> None:
        super().__init__(nb, km=km, allow_errors=True, store_widget_state=False,
                         record_timing=False, timeout=None, startup_timeout=STARTUP_TIMEOUT,
                         on_cell_executed=self._on_executed)
        self.replies: dict[int, dict[str, Any]] = {}
        self.error_outputs: dict[int, CellError] = {}    # the first `error` message per cell
        self.workdir: Path = Path(km.sandbox_spec.workdir)
        self.count_images = False
        self.images = 0
        self.figures: list[tuple[str, str]] = []   # (MIME type, base64) of the first few
        self.kept = 0
        self.dropped = 0
        self._kept_in_cell: dict[int, int] = {}

    def _on_executed(self, cell: NotebookNode, cell_index: int,
                     execute_reply: dict[str, Any]) -> None:
        content = execute_reply.get("content") if isinstance(execute_reply, dict) else None
        self.replies[cell_index] = content if isinstance(content, dict) else {}

    def raised(self, cell_index: int) -> CellError | None:
        """What cell `cell_index` raised: its reply says "error", or an `error` message arrived
        for it (its number in the CellError is `cell_index`); None when neither."""
        reply = self.replies.get(cell_index, {})
        if reply.get("status") == "error":
            return CellError.from_reply(cell_index, reply)
        return self.error_outputs.get(cell_index)

    def process_message(self, msg: dict[str, Any], cell: NotebookNode,
                        cell_index: int) -> NotebookNode | None:
        try:
            return super().process_message(msg, cell, cell_index)
        except CellControlSignal:
            raise
        except Exception:  # noqa: BLE001 - a malformed message from the kernel is dropped
            return None

    def handle_comm_msg(self, outs: list[NotebookNode], msg: dict[str, Any],
                        cell_index: int) -> None:
        """No widget frontend is emulated: comm messages are ignored."""

    def output(self, outs: list[NotebookNode], msg: dict[str, Any], display_id: str | None,
               cell_index: int) -> NotebookNode | None:
        msg_type, content = msg["msg_type"], msg["content"]
        out: NotebookNode | None = None
        if msg_type == "stream":
            text = self._take(str(content.get("text", "")), cell_index)
            out = nbformat.v4.new_output("stream", name=str(content.get("name", "stdout")),
                                         text=text) if text else None
        elif msg_type in ("display_data", "execute_result"):
            data = content.get("data") if isinstance(content.get("data"), dict) else {}
            images = [str(k) for k in data if str(k).startswith("image/")]
            real = next(((str(k), v) for k, v in sorted(data.items(), key=_svg_last)
                         if is_real_image(str(k), v)), None) if self.count_images else None
            if real is not None:
                self.images += 1
                self._keep_figure(*real)
            text = self._take(", ".join(f"<{k} output>" for k in images)
                              or str(data.get("text/plain", "")), cell_index)
            out = (nbformat.v4.new_output("display_data", data={"text/plain": text}) if text
                   else None)
        elif msg_type == "error":
            error = CellError.from_reply(cell_index, content)
            self.error_outputs.setdefault(cell_index, error)
            out = nbformat.v4.new_output("error", ename=error.ename, evalue=error.evalue,
                                         traceback=error.traceback.splitlines())
        if out is not None:
            outs.append(out)
        return out

    def _keep_figure(self, mime: str, data: Any) -> None:
        """Keep the base64 data of one of the first KEPT_FIGURES real images (thumbnails)."""
        text = data if isinstance(data, str) else "".join(p for p in data if isinstance(p, str))
        if len(self.figures) < KEPT_FIGURES and len(text) <= KEPT_FIGURE_CHARS:
            self.figures.append((mime, text))

    def _take(self, text: str, cell_index: int) -> str:
        used = self._kept_in_cell.get(cell_index, 0)
        room = max(0, min(CELL_OUTPUT_CHARS - used, TOTAL_OUTPUT_CHARS - self.kept))
        kept = text[:room]
        self._kept_in_cell[cell_index] = used + len(kept)
        self.kept += len(kept)
        self.dropped += len(text) - len(kept)
        return kept


def _svg_last(item: tuple[Any, Any]) -> bool:
    """Sort key: raster images before SVG (a thumbnail is made from a raster image)."""
    return str(item[0]) == "image/svg+xml"


def is_real_image(mime: str, data: Any) -> bool:
    """Whether a display's `mime` entry holds an actual image (what the figure check counts).

    PNG, JPEG and GIF data must be valid base64 (line breaks allowed) that decodes to at
    least MIN_IMAGE_BYTES starting with the format's magic bytes and decode as an image of at
    least MIN_FIGURE_SIDE pixels a side; SVG must be well-formed XML with an <svg> root and a
    drawing element. Any other image type, or a fake such as
    `display({'image/png': 'AAAA'}, raw=True)` or a PNG signature followed by zeros, does not
    count.
    """
    if isinstance(data, list):  # nbformat allows a string as a list of lines
        data = "".join(part for part in data if isinstance(part, str))
    if not isinstance(data, str):
        return False
    if mime == "image/svg+xml":
        return _real_svg(data)
    magic = IMAGE_MAGIC.get(mime)
    if magic is None:
        return False
    try:
        raw = base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(raw) >= MIN_IMAGE_BYTES and raw.startswith(magic) and _decodes(raw)


def _decodes(raw: bytes) -> bool:
    """The bytes decode (Pillow, matplotlib's own dependency) to an image of at least
    MIN_FIGURE_SIDE pixels a side; a header with garbage after it does not."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(raw)) as image:
            width, height = image.size
            if min(width, height) < MIN_FIGURE_SIDE or width * height > MAX_FIGURE_PIXELS:
                return False
            image.load()
    except Exception:  # noqa: BLE001 - whatever the bytes are, they are not a figure
        return False
    return True


def _real_svg(text: str) -> bool:
    """XML whose root is <svg> with at least one drawing element inside."""
    try:
        root = ElementTree.fromstring(text.encode("utf-8", "replace"))
    except Exception:  # noqa: BLE001 - not well-formed: not a figure
        return False
    def local(tag: object) -> str:
        return str(tag).rsplit("}", 1)[-1]

    return local(root.tag) == "svg" and any(local(e.tag) in SVG_DRAWING for e in root.iter())


def prepare_notebook(nb: NotebookNode, extra_sources: Sequence[str], seed: int) -> NotebookNode:
    """A fresh notebook: [setup cell, every student cell (sources only), extra cells].

    Index i of this notebook is the 1-based number of student cell i; outputs, execution
    counts, metadata (tags too), widget state and the kernelspec of `nb` are not copied. The
    setup cell ends by recording how the kernel reports errors (`grader.error_hooks`).
    """
    setup = (SETUP_SOURCE.replace("{seed}", str(int(seed)))
             .replace("{cap}", str(KERNEL_OUTPUT_CHARS)))
    setup += baseline_source()
    cells = [nbformat.v4.new_code_cell(setup)]
    for cell in nb.get("cells", []):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if cell.get("cell_type") == "code":
            cells.append(nbformat.v4.new_code_cell(source))
        else:
            cells.append(nbformat.v4.new_markdown_cell(""))
    cells += [nbformat.v4.new_code_cell(source) for source in extra_sources]
    return nbformat.v4.new_notebook(cells=cells)


# ----------------------------------------------------------------------------- lifecycle
async def start_kernel(client: CappedClient, spec: SandboxSpec) -> None:
    """Start the kernel and connect; any failure is a grader fault (KernelError)."""
    log_path = spec.kernel_dir / "kernel.log"
    try:
        with open(log_path, "wb") as log:
            kwargs = popen_kwargs(spec)
            await asyncio.wait_for(client.async_start_new_kernel(
                stdout=log, stderr=subprocess.STDOUT, **kwargs), STARTUP_TIMEOUT)
        await asyncio.wait_for(client.async_start_new_kernel_client(), STARTUP_TIMEOUT + 5)
    except Exception as exc:  # noqa: BLE001 - whatever failed, there is no usable kernel
        try:
            with open(log_path, "rb") as log:
                log.seek(max(0, log.seek(0, os.SEEK_END) - 1500))
                tail = log.read(1500).decode("utf-8", "replace").strip()
        except OSError:
            tail = ""
        raise KernelError(f"could not start a Python kernel ({type(exc).__name__}: {exc})"
                          + (f"; kernel output: {tail}" if tail else "")) from exc


async def stop_kernel(client: CappedClient, km: SandboxKernelManager) -> None:
    """Stop the channels, SIGKILL the kernel's whole process tree, release its files."""
    # nbclient's helper tasks of a cell we abandoned (its kernel-alive poll) would otherwise
    # wake up after the client is gone and log "Task exception was never retrieved".
    stray = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in stray:
        task.cancel()
    if stray:
        await asyncio.wait(stray, timeout=5)
        for task in stray:
            if task.done() and not task.cancelled():
                task.exception()
    if client.kc is not None:
        client.kc.stop_channels()
        client.kc = None
    pid = km.launcher_pid
    if pid is not None:
        kill_tree({pid})
    if km.has_kernel:
        try:
            await asyncio.wait_for(km.shutdown_kernel(now=True), 10)
        except Exception:  # noqa: BLE001 - already dead; only the bookkeeping is left
            pass
