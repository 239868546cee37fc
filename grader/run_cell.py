"""Run one cell of the kernel under a hard deadline and the work dir's disk limit.

nbclient's own timeout is only a second line: the deadline is ours, and a cell past it is
cancelled (the caller then stops the kernel). A kernel that dies or breaks the messaging protocol
ends the cell as "crashed".
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Literal

from nbclient.exceptions import CellTimeoutError, DeadKernelError

from grader.kernel_client import CappedClient

CellEnd = Literal["ok", "timeout", "crashed", "disk"]
DISK_POLL = 1.0                # seconds between two looks at the work dir's size
DISK_MAX_ENTRIES = 200_000     # more files than this counts as over the limit


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


async def run_cell(client: CappedClient, index: int, timeout: float,
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
