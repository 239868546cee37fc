"""The processes a kernel leaves: find every descendant of a pid, and kill them all.

With bubblewrap, killing its outer process tears down the whole pid namespace. Without it, a
process that daemonizes (double fork) between two scans escapes (see `grader.sandbox`).
"""

from __future__ import annotations

import os
import signal
import time


def _proc_stat(pid: int | str) -> tuple[bytes, int] | None:
    """(state, parent pid) of a process from /proc, None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], int(fields[1])


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (from /proc), not including `pid` itself."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        info = _proc_stat(entry) if entry.isdigit() else None
        if info is not None:
            children.setdefault(info[1], []).append(int(entry))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    info = _proc_stat(pid)
    return info is not None and info[0] != b"Z"


def kill_tree(pids: set[int], timeout: float = 5.0) -> set[int]:
    """SIGKILL `pids`, their process groups and descendants until none is left; return survivors.

    With bubblewrap, killing its outer process tears down the whole pid namespace. Without it, a
    process that daemonizes (double fork) between two scans escapes: see the module docstring.
    """
    targets, deadline = set(pids), time.monotonic() + timeout
    while True:
        for pid in list(targets):
            targets |= descendants(pid)
        for pid in targets:
            for kill in (os.killpg, os.kill):
                try:
                    kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        time.sleep(0.02)
        targets = {pid for pid in targets if alive(pid)}
        if not targets or time.monotonic() > deadline:
            return targets
