"""One Linux control group per kernel: a CPU quota and a process cap that student code cannot leave.

Without it, a notebook that forks busy processes (each in its own session, so the scheduler's
autogroups give each an equal share) slows the uploads graded beside it tenfold. With it, a
kernel and everything it starts share `cores` CPUs (CFS quota) and at most `max_pids` tasks,
and `destroy` kills every task still in the group, however it daemonized.

Where it works: as root with cgroup v2 (`cpu` and `pids` in the root's `cgroup.subtree_control`)
or cgroup v1 (`cpu` and `pids` hierarchies under /sys/fs/cgroup). Elsewhere (not root, no
writable hierarchy) `create` returns None and the kernel runs without it: the sandbox's rlimits
still hold, only the CPU share is not capped.

The kernel joins its group before it starts: `join_command` prefixes the launch with a shell
that writes its own pid into each group's `cgroup.procs` and then execs the launcher, so no
child can be forked outside. The student's uid cannot write those files, so cannot leave.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PERIOD_US = 100_000
PREFIX = "dlgrade-"


@dataclass(frozen=True)
class Group:
    """A created group: one directory (v2) or one per hierarchy (v1, cpu and pids)."""

    dirs: tuple[Path, ...]
    cores: float
    max_pids: int


def create(cores: float = 1.0, max_pids: int = 256, root: Path = ROOT) -> Group | None:
    """A fresh group capped at `cores` CPUs and `max_pids` tasks, or None where unavailable."""
    if os.geteuid() != 0:
        return None
    name = PREFIX + uuid.uuid4().hex[:12]
    quota = max(1000, int(cores * PERIOD_US))
    if (root / "cgroup.controllers").is_file():                       # v2, unified
        layout = [(root / name, {"cpu.max": f"{quota} {PERIOD_US}", "pids.max": str(max_pids)})]
    else:                                                              # v1, one per controller
        layout = [(root / "cpu" / name, {"cpu.cfs_period_us": str(PERIOD_US),
                                         "cpu.cfs_quota_us": str(quota)}),
                  (root / "pids" / name, {"pids.max": str(max_pids)})]
    made: list[Path] = []
    try:
        for folder, settings in layout:
            folder.mkdir()
            made.append(folder)
            for key, value in settings.items():
                (folder / key).write_text(value)
    except OSError:
        for folder in made:
            _remove(folder)
        return None
    return Group(tuple(made), cores, max_pids)


def join_command(group: Group | None, command: list[str]) -> list[str]:
    """`command`, started inside `group` (unchanged for None)."""
    if group is None:
        return command
    joins = " && ".join(f"echo $$ > '{d / 'cgroup.procs'}'" for d in group.dirs)
    return ["/bin/sh", "-c", f'{joins} && exec "$@"', "dlgrade-cgroup-join", *command]


def members(group: Group) -> set[int]:
    """Pids of every task still in the group."""
    pids: set[int] = set()
    for folder in group.dirs:
        try:
            text = (folder / "cgroup.procs").read_text()
        except OSError:
            continue
        pids |= {int(p) for p in text.split()}
    return pids


def destroy(group: Group | None, timeout: float = 5.0) -> set[int]:
    """SIGKILL every task left in the group, then remove it; returns pids that survived."""
    if group is None:
        return set()
    deadline = time.monotonic() + timeout
    left = members(group)
    while left and time.monotonic() < deadline:
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.02)
        left = members(group)
    for folder in group.dirs:
        _remove(folder)
    return left


def _remove(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass
