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
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Coroutine, Literal, Sequence, TypeVar

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode

from grader import cgroup
from grader.errors import KernelError
from grader.kernel_client import (MAX_MESSAGE_BYTES, STARTUP_TIMEOUT,
                                  CappedClient, CellError, prepare_notebook)
from grader.rubric import Limits
from grader.sandbox import (SandboxKernelManager, SandboxSpec, hand_over, kill_tree, make_spec,
                            popen_kwargs, prepare_workdir, sandbox_status)

Outcome = Literal["ok", "timeout", "crashed"]
CellEnd = Literal["ok", "timeout", "crashed", "disk"]

NO_SANDBOX = "WARNING: no OS sandbox: {reason}; the kernel ran with rlimits only"
TIMEOUT_CELL = "cell {cell} ran past the {limit:g} s limit"
TIMEOUT_TOTAL = "the notebook ran past its {limit:g} s total limit"
CRASHED = "the kernel died while running cell {cell} (memory limit, segfault or os._exit)"
OUT_OF_MEMORY = "cell {cell}: memory limit of {mb} MB exceeded (MemoryError)"
OUT_OF_DISK = "cell {cell}: disk limit of {mb} MB exceeded (the notebook wrote too much into its folder)"
KERNEL_CORES = 1.0             # CPU quota of a kernel and all it starts (where cgroups work)
DISK_POLL = 1.0                # seconds between two looks at the work dir's size
DISK_MAX_ENTRIES = 200_000     # more files than this counts as over the limit
PROTOCOL = "the kernel broke the messaging protocol while running cell {cell} ({error})"
PROBE_CRASHED = ("the kernel died while the grader ran {what} (memory limit, segfault or "
                 "os._exit in your code)")
PROBE_DISK = ("the kernel wrote past the disk limit of {mb} MB while the grader ran {what}")
PROBE_TOTAL = ("the notebook and the grader's calls into it ran past the {limit:g} s total limit "
               "(while the grader ran {what})")
PROBE_STUCK = ("the grader had to stop the kernel: {what} ran past its {limit:g} s limit and "
               "could not be interrupted; the checks after it were not run")

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
        image_outputs: number of real images (PNG/JPEG/GIF/SVG that decode as such) that
            student cells displayed (`kernel_client.is_real_image`).
        extra_status: one entry per ExtraCell: "ok", "timeout", "crashed",
            "error: <ename>: <evalue>" or "not-run".
        extra_seconds: wall-clock seconds of each ExtraCell that ran, measured by the grader
            (the kernel's own clocks and alarms are the student's to tamper with).
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
    extra_seconds: tuple[float, ...] = ()
    output_chars: int = 0
    output_dropped_chars: int = 0


# ----------------------------------------------------------------------------- the client
# ----------------------------------------------------------------------------- one run
@dataclass
class _Progress:
    """What the run has found so far (private to one `_run`)."""

    outcome: Outcome = "ok"
    message: str = ""
    started: float = field(default_factory=time.monotonic)   # the student's first cell
    errors: list[CellError] = field(default_factory=list)
    extra_status: list[str] = field(default_factory=list)
    extra_seconds: list[float] = field(default_factory=list)
    notebook_seconds: float = 0.0
    images: int = 0
    kept_chars: int = 0
    dropped_chars: int = 0


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
    start = found.started = time.monotonic()
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
                       extra: Sequence[ExtraCell], found: _Progress, limits: Limits) -> None:
    """Run the grader's cells within what is left of the total limit.

    A kernel that dies (or fills its disk) during a grader cell ends the run as "crashed", and
    running out of the total limit as "timeout" (CONTRACT.md: whatever the zero-error rule). A
    cell that outlives its own limit (the student's code defeated the per-call alarm) is that
    cell's "timeout": the kernel is stopped, the rest are "not-run", the finished checks count.
    """
    for offset, cell in enumerate(extra):
        remaining = limits.total_timeout - (time.monotonic() - found.started)
        timeout = min(cell.timeout, remaining)
        what = cell.label if cell.label.startswith("check ") else f"its {cell.label}"
        disk = (client.workdir, limits.disk_mb * 1_000_000)
        began = time.monotonic()
        end, _ = await _execute(client, first + offset, timeout, disk) if timeout > 0 \
            else ("timeout", "")
        found.extra_seconds.append(time.monotonic() - began)
        reply = client.replies.get(first + offset, {})
        if end == "ok" and reply.get("status") == "error":
            error = CellError.from_reply(0, reply)
            found.extra_status.append(f"error: {error.ename}: {error.evalue}")
        else:
            found.extra_status.append("crashed" if end == "disk" else end)
        if end == "ok":
            continue
        found.extra_status += ["not-run"] * (len(extra) - offset - 1)
        if end == "crashed":
            found.outcome, found.message = "crashed", PROBE_CRASHED.format(what=what)
        elif end == "disk":
            found.outcome, found.message = "crashed", PROBE_DISK.format(mb=limits.disk_mb, what=what)
        elif timeout < cell.timeout:
            found.outcome = "timeout"
            found.message = PROBE_TOTAL.format(limit=limits.total_timeout, what=what)
        else:
            found.message = PROBE_STUCK.format(what=what, limit=cell.timeout)
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


async def _run(nb: NotebookNode, spec: SandboxSpec, limits: Limits,
               extra: Sequence[ExtraCell], before_extra: Callable[[], None] | None,
               seed: int, extra_after_errors: bool) -> _Progress:
    work = prepare_notebook(nb, [e.source for e in extra], seed)
    count = len(work.cells) - 1 - len(extra)
    prepare_workdir(spec)
    group = cgroup.create(KERNEL_CORES, spec.processes)
    km = SandboxKernelManager(spec, MAX_MESSAGE_BYTES, group)
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
            await _extra_cells(client, km, count + 1, extra, found, limits)
        else:
            found.extra_status = ["not-run"] * len(extra)
    finally:
        await _kill(client, km)
        cgroup.destroy(group)
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
        extra_seconds=tuple(found.extra_seconds), duration=time.monotonic() - began, notebook_seconds=found.notebook_seconds,
        isolation="bubblewrap" if use_bwrap else "none (rlimits only)", warnings=warnings,
        output_chars=found.kept_chars, output_dropped_chars=found.dropped_chars,
    )

