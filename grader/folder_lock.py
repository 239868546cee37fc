"""One `grade` run at a time writes into an output folder; a second one waits its turn.

Two runs into one folder (two tutors, or a CI job and a person) would otherwise interleave their
reports and overwrite each other's grades.json. So a batch holds an exclusive lock on
`<out>/.grade.lock` (`flock`, released by the kernel when the process ends, however it ends:
a lock is never left stale) from before it opens the gradebook until its last file is written.
A second run that finds the lock taken says which run holds it (the holder writes its pid, host,
start time and command line into the lock file) and waits; it then finds the first run's grades
in the gradebook and keeps every unchanged upload, so both runs end with complete outputs.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
from pathlib import Path
from typing import Callable, Iterator

from grader.score import now_iso

LOCK_NAME = ".grade.lock"
HOLDER_BYTES = 4096
WAITING = ("{out}: another grade run is writing into this folder ({holder}); waiting for it to "
           "finish (its grades are then kept, not graded again)")
UNKNOWN = "a run that has not said who it is yet"


def describe(holder: dict[str, object]) -> str:
    """"pid 1234 on host, started 2026-12-07T10:00:00+00:00: grade subs --out graded"."""
    return (f"pid {holder.get('pid', '?')} on {holder.get('host', '?')}, started "
            f"{holder.get('started_at', '?')}: {holder.get('argv', '?')}")


def _holder(fd: int) -> str:
    try:
        data = json.loads(os.pread(fd, HOLDER_BYTES, 0).decode("utf-8", "replace"))
    except (OSError, ValueError):
        return UNKNOWN
    return describe(data) if isinstance(data, dict) else UNKNOWN


def _claim(fd: int, argv: str) -> None:
    """Say who holds the lock (the file is only ever read by a waiting run)."""
    text = json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                       "started_at": now_iso(),
                       "argv": argv[:1000]})
    os.ftruncate(fd, 0)
    os.pwrite(fd, text.encode(), 0)


@contextlib.contextmanager
def hold(out: Path, argv: str, on_wait: Callable[[str], None]) -> Iterator[None]:
    """Hold the output folder's lock for the block; wait (after calling `on_wait` with a
    message naming the holder) while another run holds it.

    Args:
        out: the output folder (must exist).
        argv: this run's command line, shown to a run that has to wait.
        on_wait: told once, when this run has to wait.
    """
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(out / LOCK_NAME, flags, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait(WAITING.format(out=out, holder=_holder(fd)))
            fcntl.flock(fd, fcntl.LOCK_EX)
        _claim(fd, argv)
        yield
    finally:
        os.close(fd)
