"""Wall time and peak memory of one command and everything it starts (for bench_alternatives).

Memory is measured two ways, both from the outside, so every contestant is measured alike:

* tree peak: a thread polls the command's process tree every `POLL_SECONDS` (the tree is walked
  through `/proc/<pid>/task/<tid>/children`, so sandboxed kernels in their own PID namespace are
  found too) and sums the resident set sizes (`/proc/<pid>/statm`). The largest sum seen is the
  tree peak. Pages shared between processes (the same `.so` mapped by the grader and its kernel)
  are counted once per process, and a peak shorter than the poll interval can be missed.
* largest process: GNU time's `%M` (`/usr/bin/time`, Debian package `time`), the maximum RSS of
  the largest single process that was waited for (the rusage of reaped children; a kernel that
  is killed and reaped by someone else is not seen). NaN when GNU time is not installed.
"""

from __future__ import annotations

import math
import os
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

POLL_SECONDS = 0.05
GNU_TIME = Path("/usr/bin/time")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
MB = 1 << 20
OUTPUT_CHARS = 3000


@dataclass(frozen=True)
class Run:
    """One finished command.

    Attributes:
        wall: seconds from start to exit, measured by this process.
        tree_peak_mb: the largest summed RSS of the process tree seen while polling.
        largest_mb: GNU time's maximum RSS of the largest single process (NaN without it).
        returncode: the command's exit status.
        output: the end of its stdout and stderr, for a message when it failed.
    """

    wall: float
    tree_peak_mb: float
    largest_mb: float
    returncode: int
    output: str


def gnu_time_available() -> bool:
    """Whether /usr/bin/time is GNU time (it accepts `-f %M -o FILE`)."""
    if not GNU_TIME.exists():
        return False
    done = subprocess.run([str(GNU_TIME), "-f", "%M", "true"], capture_output=True, check=False)
    return done.returncode == 0 and done.stderr.strip().isdigit()


def tree_rss_bytes(root: int) -> int:
    """The summed RSS of `root` and all its descendants now (0 once they are gone)."""
    total, todo, seen = 0, [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as fh:
                total += int(fh.read().split()[1]) * PAGE_BYTES
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as fh:
                    todo += [int(child) for child in fh.read().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


class _Poller(threading.Thread):
    """Polls a process tree's RSS until stopped; keeps the largest sum."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, tree_rss_bytes(self.root))
            self.stop.wait(POLL_SECONDS)


def measure(args: list[str], cwd: Path, env: dict[str, str], use_gnu_time: bool) -> Run:
    """Run `args` in `cwd` with `env`, measuring wall time and memory (see the module docstring).

    Args:
        args: the command.
        cwd: its working directory.
        env: its whole environment.
        use_gnu_time: wrap the command in `/usr/bin/time -f %M` (see `gnu_time_available`).
    """
    with tempfile.TemporaryDirectory(prefix="bench-measure-") as tmp:
        report = Path(tmp) / "maxrss"
        wrapped = [str(GNU_TIME), "-f", "%M", "-o", str(report), *args] if use_gnu_time else args
        with open(Path(tmp) / "output", "w+b") as out:
            began = time.monotonic()
            proc = subprocess.Popen(wrapped, cwd=cwd, env=env, stdout=out, stderr=out,
                                    stdin=subprocess.DEVNULL)
            poller = _Poller(proc.pid)
            poller.start()
            returncode = proc.wait()
            wall = time.monotonic() - began
            poller.stop.set()
            poller.join()
            out.seek(0)
            output = out.read().decode("utf-8", "replace")[-OUTPUT_CHARS:]
        largest = math.nan
        if use_gnu_time and report.exists():
            last = report.read_text().strip().splitlines()[-1:]
            largest = int(last[0]) / 1024 if last and last[0].isdigit() else math.nan
    return Run(wall, poller.peak / MB, largest, returncode, output)
