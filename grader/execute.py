"""Run one notebook in a fresh, isolated ipykernel driven by nbclient.

The kernel is started through `grader.sandbox` (bubblewrap where it can start, rlimits and a
process-tree kill otherwise). Student cells run with `allow_errors=True`: every failed cell is a
`CellError` (data, not an exception). A cell past its limit ends the run as "timeout"; a kernel
that dies ends it as "crashed"; neither ever hangs or takes the grader down. Deadlines are ours
(nbclient's own timeout is only a second line), and the kernel's whole process tree is killed in
a `finally`, whatever happened.

What the kernel sends is untrusted: outputs are capped per cell and in total, messages above
`MAX_MESSAGE_BYTES` are dropped by ZMQ, and malformed messages are ignored.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Coroutine, Literal, Sequence, TypeVar

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellControlSignal, CellTimeoutError, DeadKernelError
from nbformat import NotebookNode

from grader.errors import KernelError
from grader.rubric import Limits
from grader.sandbox import (SandboxKernelManager, SandboxSpec, hand_over, kill_tree, make_spec,
                            popen_kwargs, prepare_workdir, sandbox_status)

Outcome = Literal["ok", "timeout", "crashed"]
CellEnd = Literal["ok", "timeout", "crashed", "disk"]

CELL_OUTPUT_CHARS = 8_000       # student output kept per cell
TOTAL_OUTPUT_CHARS = 32_000     # ... and per notebook
KERNEL_OUTPUT_CHARS = 1 << 20  # what the kernel itself lets one cell print
MAX_MESSAGE_BYTES = 64 << 20    # larger kernel messages are dropped by ZMQ
EVALUE_CHARS = 500
TRACEBACK_LINES = 20
TRACEBACK_CHARS = 4_000
STARTUP_TIMEOUT = 60.0
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
NO_SANDBOX = "WARNING: no OS sandbox: {reason}; the kernel ran with rlimits only"
TIMEOUT_CELL = "cell {cell} ran past the {limit:g} s limit"
TIMEOUT_TOTAL = "the notebook ran past its {limit:g} s total limit"
CRASHED = "the kernel died while running cell {cell} (memory limit, segfault or os._exit)"
OUT_OF_MEMORY = "cell {cell}: memory limit of {mb} MB exceeded (MemoryError)"
OUT_OF_DISK = "cell {cell}: disk limit of {mb} MB exceeded (the notebook wrote too much into its folder)"
DISK_POLL = 1.0                # seconds between two looks at the work dir's size
DISK_MAX_ENTRIES = 200_000     # more files than this counts as over the limit
PROTOCOL = "the kernel broke the messaging protocol while running cell {cell} ({error})"

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

    @classmethod
    def from_reply(cls, cell: int, content: dict[str, Any]) -> CellError:
        """Build from an execute_reply's content (status "error")."""
        trace = content.get("traceback")
        lines = [ANSI.sub("", str(line)) for line in trace] if isinstance(trace, list) else []
        text = "\n".join("\n".join(lines).splitlines()[-TRACEBACK_LINES:])
        return cls(cell=cell, ename=str(content.get("ename", "Error"))[:200],
                   evalue=ANSI.sub("", str(content.get("evalue", "")))[:EVALUE_CHARS],
                   traceback=text[-TRACEBACK_CHARS:])

    @property
    def is_memory_error(self) -> bool:
        """MemoryError (numpy's _ArrayMemoryError too) or torch's failed CPU allocation."""
        return self.ename.endswith("MemoryError") or (
            self.ename == "RuntimeError" and "can't allocate memory" in self.evalue)


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
        extra_status: one entry per ExtraCell: "ok", "timeout", "crashed",
            "error: <ename>: <evalue>" or "not-run".
        duration: wall-clock seconds of the whole run (kernel start to shutdown).
        notebook_seconds: seconds spent executing the student's own cells.
        isolation: "bubblewrap" or "none (rlimits only)".
        warnings: grader-side warnings to show in the output and the report.
        output_chars: characters of student output kept (capped by TOTAL_OUTPUT_CHARS).
        output_dropped_chars: characters of student output dropped by the caps.
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
    output_chars: int = 0
    output_dropped_chars: int = 0


# ----------------------------------------------------------------------------- the client
class CappedClient(NotebookClient):
    """nbclient with bounded memory: outputs capped, images only counted, comms ignored."""

    def __init__(self, nb: NotebookNode, km: SandboxKernelManager) -> None:
        super().__init__(nb, km=km, allow_errors=True, store_widget_state=False,
                         record_timing=False, timeout=None, startup_timeout=STARTUP_TIMEOUT,
                         on_cell_executed=self._on_executed)
        self.replies: dict[int, dict[str, Any]] = {}
        self.workdir: Path = Path(km.sandbox_spec.workdir)
        self.count_images = False
        self.images = 0
        self.kept = 0
        self.dropped = 0
        self._kept_in_cell: dict[int, int] = {}

    def _on_executed(self, cell: NotebookNode, cell_index: int,
                     execute_reply: dict[str, Any]) -> None:
        content = execute_reply.get("content") if isinstance(execute_reply, dict) else None
        self.replies[cell_index] = content if isinstance(content, dict) else {}

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
            self.images += bool(images) and self.count_images
            text = self._take(", ".join(f"<{k} output>" for k in images)
                              or str(data.get("text/plain", "")), cell_index)
            out = nbformat.v4.new_output("display_data", data={"text/plain": text}) if text else None
        elif msg_type == "error":
            error = CellError.from_reply(0, content)
            out = nbformat.v4.new_output("error", ename=error.ename, evalue=error.evalue,
                                         traceback=error.traceback.splitlines())
        if out is not None:
            outs.append(out)
        return out

    def _take(self, text: str, cell_index: int) -> str:
        used = self._kept_in_cell.get(cell_index, 0)
        room = max(0, min(CELL_OUTPUT_CHARS - used, TOTAL_OUTPUT_CHARS - self.kept))
        kept = text[:room]
        self._kept_in_cell[cell_index] = used + len(kept)
        self.kept += len(kept)
        self.dropped += len(text) - len(kept)
        return kept


# ----------------------------------------------------------------------------- one run
@dataclass
class _Progress:
    """What the run has found so far (private to one `_run`)."""

    outcome: Outcome = "ok"
    message: str = ""
    errors: list[CellError] = field(default_factory=list)
    extra_status: list[str] = field(default_factory=list)
    notebook_seconds: float = 0.0
    images: int = 0
    kept_chars: int = 0
    dropped_chars: int = 0


def _code_cells(nb: NotebookNode, extra: Sequence[ExtraCell], seed: int) -> NotebookNode:
    """A fresh notebook: [seed cell, every student cell (sources only), extra cells].

    Index i of this notebook is the 1-based number of student cell i; outputs, execution
    counts, metadata (tags too), widget state and the kernelspec of `nb` are not copied.
    """
    setup = SETUP_SOURCE.replace("{seed}", str(int(seed))).replace("{cap}", str(KERNEL_OUTPUT_CHARS))
    cells = [nbformat.v4.new_code_cell(setup)]
    for cell in nb.get("cells", []):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if cell.get("cell_type") == "code":
            cells.append(nbformat.v4.new_code_cell(source))
        else:
            cells.append(nbformat.v4.new_markdown_cell(""))
    cells += [nbformat.v4.new_code_cell(e.source) for e in extra]
    return nbformat.v4.new_notebook(cells=cells)


def disk_usage_over(folder: Path, limit_bytes: int) -> bool:
    """Whether the files under `folder` (links not followed) take more than `limit_bytes`.

    Stops counting as soon as the answer is known; more than DISK_MAX_ENTRIES entries count as
    over the limit (a notebook making millions of small files fills a disk just as well).
    """
    used, entries, stack = 0, 0, [str(folder)]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for entry in it:
                    entries += 1
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    used += info.st_blocks * 512
                    if used > limit_bytes or entries > DISK_MAX_ENTRIES:
                        return True
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
        except OSError:
            continue
    return False


async def _execute(client: CappedClient, index: int, timeout: float,
                   disk: tuple[Path, int] | None = None) -> tuple[CellEnd, str]:
    """Run cell `index` under a hard deadline; ("crashed", reason) if the kernel broke.

    With `disk` = (work dir, limit in bytes), the work dir is measured every DISK_POLL seconds
    while the cell runs, and ("disk", "") ends a cell that writes past the limit.
    """
    client.timeout = max(1, int(timeout) + 1)      # nbclient's own limit: a second line only
    task = asyncio.ensure_future(client.async_execute_cell(client.nb.cells[index], index))
    deadline = time.monotonic() + timeout
    end: CellEnd | None = None
    while True:
        step = min(DISK_POLL, deadline - time.monotonic()) if disk else deadline - time.monotonic()
        done, _ = await asyncio.wait({task}, timeout=max(0.0, step))
        if done:
            break
        if disk is not None and disk_usage_over(*disk):
            end = "disk"
            break
        if time.monotonic() >= deadline:
            end = "timeout"
            break
    if end is not None:
        task.cancel()
        await asyncio.wait({task}, timeout=5)
        if task.done() and not task.cancelled():
            task.exception()
        return end, ""
    error = task.exception()
    if error is None:
        return "ok", ""
    if isinstance(error, DeadKernelError):
        return "crashed", ""
    if isinstance(error, CellTimeoutError):
        return "timeout", ""
    return "crashed", type(error).__name__


async def _student_cells(client: CappedClient, count: int, limits: Limits,
                         found: _Progress) -> None:
    """Run student cells 1..count; stop at the first timeout, crash or MemoryError."""
    start = time.monotonic()
    client.count_images = True
    for index in range(1, count + 1):
        if client.nb.cells[index].cell_type != "code":
            continue
        remaining = limits.total_timeout - (time.monotonic() - start)
        timeout = min(limits.cell_timeout, remaining)
        began = time.monotonic()
        disk = (client.workdir, limits.disk_mb * 1_000_000)
        end, why = await _execute(client, index, timeout, disk) if timeout > 0 else ("timeout", "")
        if end == "ok" and disk_usage_over(*disk):
            end = "disk"
        found.notebook_seconds += time.monotonic() - began
        reply = client.replies.get(index, {})
        if end == "ok" and reply.get("status") == "error":
            error = CellError.from_reply(index, reply)
            found.errors.append(error)
            if error.is_memory_error:
                end, found.message = "crashed", OUT_OF_MEMORY.format(cell=index, mb=limits.memory_mb)
        if end == "disk":
            end, found.message = "crashed", OUT_OF_DISK.format(cell=index, mb=limits.disk_mb)
        if end == "timeout":
            total = timeout < limits.cell_timeout
            found.message = (TIMEOUT_TOTAL.format(limit=limits.total_timeout) if total
                             else TIMEOUT_CELL.format(cell=index, limit=limits.cell_timeout))
        elif end == "crashed" and not found.message:
            found.message = (PROTOCOL.format(cell=index, error=why) if why
                             else CRASHED.format(cell=index))
        if end != "ok":
            found.outcome = end
            break
    client.count_images = False


async def _extra_cells(client: CappedClient, km: SandboxKernelManager, first: int,
                       extra: Sequence[ExtraCell], found: _Progress, disk_mb: int) -> None:
    """Run the grader's cells; after a timeout or crash the rest are "not-run"."""
    for offset, cell in enumerate(extra):
        end, _ = await _execute(client, first + offset, cell.timeout,
                                (client.workdir, disk_mb * 1_000_000))
        end = "crashed" if end == "disk" else end
        reply = client.replies.get(first + offset, {})
        if end == "ok" and reply.get("status") == "error":
            error = CellError.from_reply(0, reply)
            found.extra_status.append(f"error: {error.ename}: {error.evalue}")
        else:
            found.extra_status.append(end)
        if end != "ok":
            found.extra_status += ["not-run"] * (len(extra) - offset - 1)
            await _kill(client, km)
            return


async def _start(client: CappedClient, spec: SandboxSpec) -> None:
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


async def _kill(client: CappedClient, km: SandboxKernelManager) -> None:
    """Stop the channels, SIGKILL the kernel's whole process tree, release its files."""
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


async def _run(nb: NotebookNode, spec: SandboxSpec, limits: Limits,
               extra: Sequence[ExtraCell], before_extra: Callable[[], None] | None,
               seed: int, extra_after_errors: bool) -> _Progress:
    work = _code_cells(nb, extra, seed)
    count = len(work.cells) - 1 - len(extra)
    prepare_workdir(spec)
    km = SandboxKernelManager(spec, MAX_MESSAGE_BYTES)
    client = CappedClient(work, km)
    found = _Progress()
    try:
        await _start(client, spec)
        end, why = await _execute(client, 0, STARTUP_TIMEOUT)
        if end != "ok" or client.replies.get(0, {}).get("status") != "ok":
            raise KernelError(f"the kernel could not run the grader's seed cell ({end} {why})")
        await _student_cells(client, count, limits, found)
        if found.outcome == "ok" and extra and (extra_after_errors or not found.errors):
            if before_extra is not None:
                present = set(os.listdir(spec.workdir))
                before_extra()
                hand_over(spec, set(os.listdir(spec.workdir)) - present)
            await _extra_cells(client, km, count + 1, extra, found, limits.disk_mb)
        else:
            found.extra_status = ["not-run"] * len(extra)
    finally:
        await _kill(client, km)
        km.context.destroy(linger=0)
        found.images, found.kept_chars, found.dropped_chars = (client.images, client.kept,
                                                               client.dropped)
    return found


T = TypeVar("T")


def _run_sync(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """asyncio.run, in a private thread if this thread already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def run_notebook(
    nb: nbformat.NotebookNode,
    workdir: Path,
    limits: Limits,
    extra: Sequence[ExtraCell] = (),
    before_extra: Callable[[], None] | None = None,
    seed: int = 0,
    *,
    sandbox: bool = True,
    extra_after_errors: bool = True,
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
        sandbox: False forces the fallback without an OS sandbox (rlimits only).
        extra_after_errors: False skips the extra cells ("not-run") when a student cell raised
            (the pipeline passes False under the zero-error rule: nothing would be scored).

    Raises:
        KernelError: no usable kernel could be started (a grader fault, not the student's).
    """
    status = sandbox_status() if sandbox else None
    use_bwrap = status is not None and status.available
    spec = make_spec(workdir, limits.memory_mb, use_bwrap=use_bwrap)
    warnings: tuple[str, ...] = ()
    if not use_bwrap:
        reason = status.reason if status is not None else "disabled by the caller"
        warnings = (NO_SANDBOX.format(reason=reason),)
    began = time.monotonic()
    found = _run_sync(lambda: _run(nb, spec, limits, extra, before_extra, seed,
                                                  extra_after_errors))
    return Execution(
        outcome=found.outcome, message=found.message, cell_errors=tuple(found.errors),
        image_outputs=found.images, extra_status=tuple(found.extra_status),
        duration=time.monotonic() - began, notebook_seconds=found.notebook_seconds,
        isolation="bubblewrap" if use_bwrap else "none (rlimits only)", warnings=warnings,
        output_chars=found.kept_chars, output_dropped_chars=found.dropped_chars,
    )

