"""The OS sandbox around a student's kernel: bubblewrap where it starts, rlimits always.

The kernel command is `prlimit <limits> -- bwrap <whitelist mounts> -- [setpriv <drop>] -- python
-m ipykernel_launcher ...`. Only the system (/usr, /etc), the Python installation and the
upload's work dir (read-write, at its own absolute path) are mounted; the project, the other
uploads, the rubrics, the output folder, /root and /home are simply absent. If the `reference`
or `grader` package lies inside a mounted directory (a non-editable install), it is covered by a
stub whose import raises ImportError.

Who the kernel runs as:

* grader running as root (and `setpriv` present): bwrap mounts as root without a user namespace,
  then `setpriv` drops to a dedicated unprivileged host uid (`UID_BASE + grader pid`) with no
  capabilities and no_new_privs. Root-only files in the mounts (/etc/shadow, ssh host keys) stay
  unreadable and RLIMIT_NPROC holds (fork bombs stop).
* otherwise: a user namespace (`--unshare-user --uid 1000 --gid 1000 --cap-drop ALL`). Inside it
  uid 1000 *is* the grader's own uid: when that is root, the kernel owns every root-owned file
  it can see and RLIMIT_NPROC does not apply (the kernel exempts host root).

Without bubblewrap (`sandbox_status()` unavailable, or forced) the kernel runs directly with the
same environment, rlimits and cwd, in its own session, as the grader's own user; `kill_tree` ends
it and its descendants, except one that daemonized (double fork) and so left the tree.

What decides the confinement of one kernel is a `SandboxSpec` (`grader.sandbox_spec`); its work
dir is prepared and handed over to the kernel's uid by `grader.workdir`.
"""

from __future__ import annotations

import functools
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from grader.sandbox_diagnosis import NOT_FOUND, apparmor_restricts, diagnose
from grader.sandbox_spec import SandboxSpec, make_spec
from grader.workdir import prepare_workdir

NS_UID = 1000                   # uid inside a user namespace
TMPFS_MB = 512                  # size of the kernel's private /tmp
SHM_MB = 256                    # size of the kernel's private /dev/shm
PROBE_TIMEOUT = 20.0
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


@dataclass(frozen=True)
class SandboxStatus:
    """Whether bubblewrap can start here, and why not."""

    available: bool
    reason: str


# ----------------------------------------------------------------------------- environment
def kernel_env(spec: SandboxSpec) -> dict[str, str]:
    """The kernel's whole environment (nothing is inherited from the grader)."""
    env = {
        "PATH": f"{sys.prefix}/bin:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(spec.home),
        "MPLCONFIGDIR": str(spec.home / ".matplotlib"),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "LANG": "C.UTF-8",
        "USER": "student",
        "MALLOC_ARENA_MAX": "2",        # fewer malloc arenas: RLIMIT_AS tracks real use
    }
    env.update({name: "1" for name in THREAD_VARS})
    return env


def rlimits(spec: SandboxSpec) -> dict[str, tuple[int, int]]:
    """prlimit name -> (resource, limit) set on the kernel's whole process tree (soft = hard)."""
    return {"as": (resource.RLIMIT_AS, spec.memory_mb << 20),
            "core": (resource.RLIMIT_CORE, 0),
            "fsize": (resource.RLIMIT_FSIZE, spec.file_size_mb << 20),
            "nofile": (resource.RLIMIT_NOFILE, spec.open_files),
            "nproc": (resource.RLIMIT_NPROC, spec.processes)}


def rlimit_prefix(spec: SandboxSpec) -> list[str]:
    """`prlimit --as=N ... --` (util-linux): sets the limits, then execs the rest."""
    prlimit = shutil.which("prlimit")
    if prlimit is None:
        return []
    return [prlimit, *(f"--{name}={n}" for name, (_, n) in rlimits(spec).items()), "--"]


def _preexec(spec: SandboxSpec) -> Callable[[], None]:
    """Sets the limits between fork and exec: only used where prlimit is missing."""
    limits = list(rlimits(spec).values())

    def apply() -> None:
        for which, value in limits:
            resource.setrlimit(which, (value, value))

    return apply


# ----------------------------------------------------------------------------- bubblewrap
def bwrap_args(spec: SandboxSpec) -> list[str]:
    """Every bwrap option: whitelist mounts, namespaces, identity, environment."""
    args = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try"]
    if spec.uid is None:
        args += ["--unshare-user", "--uid", str(NS_UID), "--gid", str(NS_UID),
                 "--disable-userns", "--cap-drop", "ALL"]
    args += ["--die-with-parent", "--new-session", "--unsetenv", "JPY_PARENT_PID"]
    return args + _Mounts(spec).args() + _env_args(spec) + ["--chdir", str(spec.workdir)]


def _env_args(spec: SandboxSpec) -> list[str]:
    args = ["--clearenv"]
    for name, value in kernel_env(spec).items():
        args += ["--setenv", name, value]
    return args


@dataclass
class _Mounts:
    """Builds the mount options in order, creating missing parent dirs world-readable."""

    spec: SandboxSpec
    bound: list[Path] = field(default_factory=list)
    made: set[Path] = field(default_factory=lambda: {Path("/")})
    out: list[str] = field(default_factory=list)

    def args(self) -> list[str]:
        self._bind("--ro-bind", Path("/usr"))
        for name in ("bin", "lib", "lib64", "sbin"):
            self._system_dir(Path("/") / name)
        self._bind("--ro-bind", Path("/etc"))
        self.out += ["--proc", "/proc", "--dev", "/dev"]
        self._tmpfs(Path("/dev/shm"), SHM_MB, 0o1777)
        self._tmpfs(Path("/tmp"), TMPFS_MB, 0o1777)
        self.made |= {Path("/proc"), Path("/dev")}
        for path in sorted(self.spec.python_dirs, key=lambda p: len(p.parts)):
            if not self._covered(path):
                self._bind("--ro-bind", path)
        for package in self.spec.hidden_packages:
            if self._covered(package):
                self._block(package)
        self._bind("--bind", self.spec.workdir)
        self.out += ["--remount-ro", "/dev", "--remount-ro", "/"]   # no unsized tmpfs to fill
        return self.out

    def _covered(self, path: Path) -> bool:
        return any(path == b or b in path.parents for b in self.bound)

    def _parents(self, path: Path) -> None:
        for parent in reversed(path.parents):
            if parent not in self.made and not self._covered(parent):
                self.out += ["--perms", "0755", "--dir", str(parent)]
                self.made.add(parent)

    def _bind(self, option: str, path: Path) -> None:
        self._parents(path)
        self.out += [option, str(path), str(path)]
        self.bound.append(path)

    def _tmpfs(self, path: Path, size_mb: int, mode: int) -> None:
        self.out += ["--size", str(size_mb << 20), "--perms", f"{mode:o}", "--tmpfs", str(path)]
        self.made.add(path)

    def _system_dir(self, path: Path) -> None:
        if path.is_symlink():
            self.out += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            self._bind("--ro-bind", path)

    def _block(self, package: Path) -> None:
        self.out += ["--perms", "0755", "--tmpfs", str(package),
                     "--ro-bind", str(self.spec.blocker), str(package / "__init__.py"),
                     "--remount-ro", str(package)]


def setpriv_args(uid: int) -> list[str]:
    """Drop from root to `uid`: no groups, no capabilities (bounding set too), no_new_privs."""
    setpriv = shutil.which("setpriv") or "setpriv"
    return [setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
            "--bounding-set=-all", "--no-new-privs", "--"]


def kernel_command(spec: SandboxSpec, inner: list[str]) -> list[str]:
    """The full command line that starts `inner` (the kernel) confined by `spec`."""
    cmd = rlimit_prefix(spec)
    if spec.use_bwrap:
        cmd += [shutil.which("bwrap") or "bwrap", *bwrap_args(spec), "--"]
        if spec.uid is not None:
            cmd += setpriv_args(spec.uid)
    return cmd + inner


# ----------------------------------------------------------------------------- availability
@functools.lru_cache(maxsize=1)
def sandbox_status() -> SandboxStatus:
    """Can bubblewrap start `true` here with the options used for kernels? (probed once)"""
    if shutil.which("bwrap") is None:
        return SandboxStatus(False, NOT_FOUND)
    with tempfile.TemporaryDirectory(prefix="dlg-probe-") as tmp:
        spec = make_spec(Path(tmp), 4096, use_bwrap=True)
        prepare_workdir(spec)
        try:
            proc = subprocess.run(kernel_command(spec, ["true"]), capture_output=True,
                                  timeout=PROBE_TIMEOUT, check=False, env=_launcher_env())
        except (OSError, subprocess.TimeoutExpired) as exc:
            return SandboxStatus(False, f"bwrap did not start: {exc}")
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", "replace").strip()[-300:]
        why = diagnose(detail, os.geteuid() == 0, apparmor_restricts())
        return SandboxStatus(False, f"bwrap failed (exit {proc.returncode}): {detail}"
                                    + (f"; {why}" if why else ""))
    mode = "dedicated uid" if spec.uid is not None else "user namespace"
    return SandboxStatus(True, f"bubblewrap works ({mode})")


def _launcher_env() -> dict[str, str]:
    """Environment of prlimit/bwrap themselves (the kernel's is set by --clearenv/--setenv)."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}


def popen_kwargs(spec: SandboxSpec) -> dict[str, Any]:
    """Extra Popen arguments for the kernel launch (env, cwd, rlimits where prlimit is missing)."""
    kwargs: dict[str, Any] = {"cwd": str(spec.workdir)}
    kwargs["env"] = _launcher_env() if spec.use_bwrap else kernel_env(spec)
    if shutil.which("prlimit") is None:
        kwargs["preexec_fn"] = _preexec(spec)
    return kwargs
