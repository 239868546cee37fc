"""`grade check` as an unprivileged user, as hosted CI runners run it: bubblewrap in a user
namespace where those are allowed; where they are refused, the documented warning (with its
cause and fix) and the notebook still runs, with rlimits only.

Set up as root (the test skips otherwise; `.ci/run` sets DLGRADE_NONROOT=required, so there it
fails instead): the system user `dlgrade-ci`, a world-readable folder under /tmp with a venv
made by Debian's /usr/bin/python3 (3.11) holding the student distribution (tools/
build_check_dist.py), the adam kit and the bundled adam uploads. The venv borrows numpy, torch
and the rest from this environment through a .pth file naming a bind mount of this venv's
site-packages, made in a private mount namespace: no second torch install (~1 GB), and it works
even when this checkout lies under /root, which other users cannot enter.

Where user namespaces are refused: the user runs inside a user namespace whose
`user.max_user_namespaces` is 0 (made by root for that process only; the host's setting is not
touched), so bwrap fails there as it does on a machine that forbids them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
from tools_loader import tool

from grader import kit_release
from grader.rubric import load_rubric

ROOT = Path(__file__).resolve().parent.parent
USER = "dlgrade-ci"
SYSTEM_PYTHON = Path("/usr/bin/python3")
ADAM = ROOT / "submissions" / "adam"
CORRECT = "adam_regression_classification_solved_group_01.ipynb"
WRONG = "adam_regression_classification_solved_group_02.ipynb"
TOOLS = ("useradd", "runuser", "unshare", "mount")

pytestmark = [pytest.mark.slow, pytest.mark.kernel, pytest.mark.nonroot]

# Run by root: a child in a new user namespace (root and the user mapped to themselves) that
# may create no further user namespace, then becomes the user and runs argv.
NO_USERNS = r"""
import ctypes, os, sys
uid, gid, argv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
libc = ctypes.CDLL(None, use_errno=True)
ready_r, ready_w = os.pipe()
go_r, go_w = os.pipe()
pid = os.fork()
if pid == 0:
    if libc.unshare(0x10000000) != 0:                       # CLONE_NEWUSER
        os._exit(97)
    os.write(ready_w, b"1")
    os.read(go_r, 1)
    with open("/proc/sys/user/max_user_namespaces", "w") as fh:
        fh.write("0")
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    os.execvp(argv[0], argv)
os.read(ready_r, 1)
for name, ident in (("uid_map", uid), ("gid_map", gid)):
    with open(f"/proc/{pid}/{name}", "w") as fh:
        fh.write(f"0 0 1\n{ident} {ident} 1\n")
os.write(go_w, b"1")
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
"""
BIND_THEN_RUN = '"$0" --bind "$1" "$2" && shift 2 && exec "$@"'   # $0: mount


def tool_path(name: str) -> str:
    """The absolute path of a system tool (the user's PATH need not hold /usr/sbin)."""
    return shutil.which(name, path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin") or name


def unavailable(reason: str) -> None:
    """Skip, or fail where the non-root path must be tested (.ci/run)."""
    if os.environ.get("DLGRADE_NONROOT") == "required":
        pytest.fail(f"the non-root test cannot run: {reason}")
    pytest.skip(reason)


def sh(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False, timeout=600)


@dataclass(frozen=True)
class Workspace:
    root: Path
    venv: Path
    kit: Path
    uid: int
    gid: int

    @property
    def borrowed(self) -> Path:
        """Where this venv's site-packages is mounted (named so: the sandbox mounts it too)."""
        return self.root / "borrowed" / "site-packages"

    def run(self, args: list[str], userns: bool = True) -> subprocess.CompletedProcess[str]:
        """`args` (the venv's bin first on PATH) as the user, the borrowed packages mounted."""
        inner = ([tool_path("runuser"), "-u", USER, "-m", "--", *args] if userns else
                 [sys.executable, "-c", NO_USERNS, str(self.uid), str(self.gid), *args])
        borrowed = sysconfig.get_paths()["purelib"]
        command = [tool_path("unshare"), "--mount", "--propagation", "private", "--", "sh", "-c",
                   BIND_THEN_RUN, tool_path("mount"), borrowed, str(self.borrowed),
                   *inner]
        env = {"PATH": f"{self.venv}/bin:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
               "HOME": str(self.root / "home")}
        return subprocess.run(command, cwd=self.root, env=env, capture_output=True, text=True,
                              check=False, timeout=600)


def ensure_user() -> tuple[int, int]:
    if sh("id", "-u", USER).returncode != 0:
        made = sh("useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                  "--shell", "/usr/sbin/nologin", USER)
        if made.returncode != 0 and sh("id", "-u", USER).returncode != 0:
            unavailable(f"useradd failed: {made.stderr.strip()}")
    return int(sh("id", "-u", USER).stdout), int(sh("id", "-g", USER).stdout)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    if os.geteuid() != 0:
        unavailable("needs root to create the unprivileged user")
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing or not SYSTEM_PYTHON.exists():
        unavailable(f"missing {', '.join(missing) or SYSTEM_PYTHON}")
    version = sh(str(SYSTEM_PYTHON), "-c", "import sys; print(sys.version_info[:2])").stdout
    if version.strip() != str(sys.version_info[:2]):
        unavailable(f"{SYSTEM_PYTHON} is {version.strip()}, not {sys.version_info[:2]} (the "
                    "borrowed packages' Python)")
    uid, gid = ensure_user()
    root = Path(tempfile.mkdtemp(prefix="dlgrade-nonroot-", dir="/tmp"))
    try:
        venv = root / "venv"
        sh(str(SYSTEM_PYTHON), "-m", "venv", "--without-pip", str(venv)).check_returncode()
        wheel = tool("build_check_dist").build(root / "dist")
        done = sh(sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"),
                  "install", "-q", "--no-deps", "--no-index", str(wheel))
        assert done.returncode == 0, done.stderr[-2000:]
        purelib = sh(str(venv / "bin" / "python"), "-c",
                     "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip()
        (root / "borrowed" / "site-packages").mkdir(parents=True)
        (Path(purelib) / "borrowed-deps.pth").write_text(f"{root}/borrowed/site-packages\n")
        kit = kit_release.write_kit(load_rubric(ROOT / "rubrics" / "adam.toml"),
                                    root / "release").folder
        for name in (CORRECT, WRONG):
            shutil.copy(ADAM / name, root / name)
        (root / "home").mkdir()
        os.chown(root / "home", uid, gid)
        sh("chmod", "-R", "a+rX", str(root)).check_returncode()
        yield Workspace(root, venv, kit, uid, gid)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_the_user_runs_the_student_venv_without_reference(workspace: Workspace) -> None:
    done = workspace.run(["python", "-c", "import os, grader, torch; print(os.geteuid()); "
                          "import reference"])
    assert done.stdout.split() == [str(workspace.uid)], done.stdout + done.stderr
    assert "No module named 'reference'" in done.stderr


def test_the_sandbox_starts_in_a_user_namespace(workspace: Workspace) -> None:
    done = workspace.run(["python", "-c", "from grader.sandbox import sandbox_status; "
                          "print(sandbox_status().reason)"])
    assert done.returncode == 0, done.stderr
    if "bwrap failed" in done.stdout:
        pytest.skip(f"user namespaces are not allowed on this machine: {done.stdout.strip()}")
    assert done.stdout.strip() == "bubblewrap works (user namespace)"


def test_grade_check_passes_the_correct_upload_and_fails_the_wrong_one(
        workspace: Workspace) -> None:
    correct = workspace.run(["grade", "check", "--kit", str(workspace.kit), CORRECT])
    assert correct.returncode == 0, correct.stdout[-3000:] + correct.stderr[-2000:]
    assert "VERDICT: OK" in correct.stdout and "no OS sandbox" not in correct.stdout
    wrong = workspace.run(["grade", "check", "--kit", str(workspace.kit), "--min-score", "100%",
                           "--format", "json", WRONG])
    assert wrong.returncode == 1, wrong.stdout[-3000:] + wrong.stderr[-2000:]
    [record] = json.loads(wrong.stdout)["submissions"]
    assert (record["status"], record["score"]) == ("graded", 1.0)


def test_where_user_namespaces_are_refused_it_warns_and_still_runs(
        workspace: Workspace) -> None:
    done = workspace.run(["grade", "check", "--kit", str(workspace.kit), CORRECT], userns=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "WARNING: no OS sandbox: bwrap failed" in done.stdout
    assert "cause: no user namespaces may be created here" in done.stdout
    assert "fix: raise user.max_user_namespaces with sysctl, or run grade as root" in done.stdout
    assert "VERDICT: OK" in done.stdout
