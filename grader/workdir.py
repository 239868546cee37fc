"""The kernel's work dir: its private dirs made afresh, then handed over to the kernel's uid.

The work dir is the only writable host path a kernel sees (`SandboxSpec.workdir`). Before the
kernel starts, its `.kernel` and `.home` dirs and the import blocker are made afresh (whatever
the upload put at those names is removed first); with a dedicated uid, the dir and what the
grader writes into it later (the probe inputs) are chowned to that uid without following links.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path
from typing import Iterable

from grader.sandbox_spec import SandboxSpec

BLOCKER = 'raise ImportError("the grader\'s packages are not available to student code")\n'


def prepare_workdir(spec: SandboxSpec) -> None:
    """Create the kernel's dirs and the import blocker afresh, then hand the work dir over.

    Runs before any student process exists; whatever the upload put at these names (a link
    included) is removed first, so nothing is written through it.
    """
    for path in (spec.kernel_dir, spec.home):
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)
    for path in (spec.kernel_dir, spec.home, spec.home / ".matplotlib", spec.blocker.parent):
        path.mkdir(mode=0o755)
    fd = os.open(spec.blocker, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(BLOCKER)
    hand_over(spec)


def hand_over(spec: SandboxSpec, names: Iterable[str] | None = None) -> None:
    """chown the work dir (or only its entries `names`, recursively) to the kernel's uid.

    A no-op without a dedicated uid. Runs while student code may be alive, so it never follows
    a link: `os.fwalk` walks by directory descriptors and every chown is relative to one.
    """
    if spec.uid is None:
        return
    uid, keep = spec.uid, {spec.blocker.parent, spec.blocker}   # the blocker stays root's
    os.chown(spec.workdir, uid, uid, follow_symlinks=False)
    top = os.open(spec.workdir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        for name in sorted(os.listdir(top) if names is None else names):
            if spec.workdir / name in keep:
                continue
            try:
                os.chown(name, uid, uid, dir_fd=top, follow_symlinks=False)
                mode = os.stat(name, dir_fd=top, follow_symlinks=False).st_mode
            except FileNotFoundError:
                continue
            if stat.S_ISDIR(mode):
                _chown_below(spec.workdir / name, top, name, uid, keep)
    finally:
        os.close(top)


def _chown_below(path: Path, parent_fd: int, name: str, uid: int, keep: set[Path]) -> None:
    for root, dirs, files, dir_fd in os.fwalk(name, dir_fd=parent_fd, follow_symlinks=False):
        for entry in dirs + files:
            if path.parent / root / entry not in keep:
                try:
                    os.chown(entry, uid, uid, dir_fd=dir_fd, follow_symlinks=False)
                except FileNotFoundError:
                    pass
