"""What decides how one kernel is confined (`SandboxSpec`), made for this machine.

`grader.sandbox` turns a spec into the kernel's command line and environment; `grader.workdir`
prepares its work dir. A spec names the only writable host path (the work dir), the Python
directories mounted read-only, the grader's own packages to cover with an ImportError stub, the
rlimits, and the identity: a dedicated unprivileged uid when the grader runs as root.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

UID_BASE = 3_000_000            # dedicated kernel uid = UID_BASE + grader pid (root only)
FILE_SIZE_MB = 1024             # RLIMIT_FSIZE
OPEN_FILES = 1024               # RLIMIT_NOFILE
PROCESSES = 256                 # RLIMIT_NPROC (effective only with a dedicated uid)


@dataclass(frozen=True)
class SandboxSpec:
    """Everything that decides how one kernel is confined.

    Attributes:
        workdir: the upload's work dir: cwd, the only writable host path, same path inside.
        memory_mb: RLIMIT_AS of the kernel (and of everything it starts).
        use_bwrap: False runs the kernel without an OS sandbox (rlimits only).
        uid: dedicated unprivileged host uid to drop to (root only), None for a user namespace.
        python_dirs: host directories of the Python installation, mounted read-only.
        hidden_packages: package dirs (`reference`, `grader`) to cover with an ImportError stub.
    """

    workdir: Path
    memory_mb: int
    use_bwrap: bool = True
    uid: int | None = None
    python_dirs: tuple[Path, ...] = ()
    hidden_packages: tuple[Path, ...] = ()
    file_size_mb: int = FILE_SIZE_MB
    open_files: int = OPEN_FILES
    processes: int = PROCESSES

    @property
    def kernel_dir(self) -> Path:
        """Connection file, ipc sockets and the kernel's log."""
        return self.workdir / ".kernel"

    @property
    def home(self) -> Path:
        return self.workdir / ".home"

    @property
    def blocker(self) -> Path:
        return self.kernel_dir / "blocker" / "__init__.py"


def make_spec(workdir: Path, memory_mb: int, *, use_bwrap: bool) -> SandboxSpec:
    """The spec for this machine: Python dirs from `sys`, dedicated uid when running as root."""
    root = os.geteuid() == 0 and shutil.which("setpriv") is not None
    return SandboxSpec(
        workdir=Path(os.path.abspath(workdir)), memory_mb=memory_mb, use_bwrap=use_bwrap,
        uid=UID_BASE + os.getpid() if root and use_bwrap else None,
        python_dirs=python_dirs(), hidden_packages=grader_packages(),
    )


def python_dirs() -> tuple[Path, ...]:
    """sys.base_prefix, sys.prefix and site dirs on sys.path outside them (literal and resolved)."""
    found = [sys.base_prefix, sys.prefix]
    found += [p for p in sys.path if Path(p).name in ("site-packages", "dist-packages")]
    dirs: list[Path] = []
    for raw in found:
        for path in (Path(os.path.abspath(raw)), Path(raw).resolve()):
            if path.is_dir() and path not in dirs:
                dirs.append(path)
    return tuple(dirs)


def grader_packages() -> tuple[Path, ...]:
    """The directories of the `reference` and `grader` packages, where importable."""
    dirs = []
    for name in ("reference", "grader"):
        spec = importlib.util.find_spec(name)
        for location in (spec.submodule_search_locations or []) if spec else []:
            dirs.append(Path(location).resolve())
    return tuple(dirs)
