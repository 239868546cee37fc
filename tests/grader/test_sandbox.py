"""The sandbox's command line (pure) and what a process inside it can and cannot do (bwrap)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pytest

from grader.process_tree import descendants, kill_tree
from grader.sandbox import (
    NS_UID,
    bwrap_args,
    kernel_command,
    kernel_env,
    popen_kwargs,
    sandbox_status,
)
from grader.sandbox_spec import SandboxSpec, grader_packages, make_spec, python_dirs
from grader.workdir import hand_over, prepare_workdir

PROJECT = Path(__file__).resolve().parents[2]
needs_sandbox = pytest.mark.skipif(not sandbox_status().available,
                                   reason=f"no sandbox: {sandbox_status().reason}")
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="a dedicated uid needs root")


def make(tmp_path: Path, **overrides: object) -> SandboxSpec:
    """A spec for tmp_path/work (created), with fields overridden."""
    workdir = tmp_path / "work"
    workdir.mkdir(exist_ok=True)
    spec = make_spec(workdir, 4096, use_bwrap=True)
    return dataclasses.replace(spec, **overrides)  # type: ignore[arg-type]


def identities(tmp_path: Path) -> dict[str, SandboxSpec]:
    return {"dedicated-uid": make(tmp_path), "user-namespace": make(tmp_path, uid=None)}


def run_inside(spec: SandboxSpec, code: str,
               timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run `python -c code` confined by `spec` (no kernel), capturing its output."""
    prepare_workdir(spec)
    return subprocess.run(kernel_command(spec, [sys.executable, "-c", code]), text=True,
                          capture_output=True, timeout=timeout, check=False, **popen_kwargs(spec))


def mounts(args: list[str]) -> list[tuple[str, str, str]]:
    """(option, source, destination) of every bind in a bwrap command line."""
    return [(a, args[i + 1], args[i + 2]) for i, a in enumerate(args)
            if a in ("--bind", "--ro-bind", "--dev-bind")]


# ----------------------------------------------------------------------------- command line
def test_mounts_are_a_whitelist_and_only_the_work_dir_is_writable(tmp_path: Path) -> None:
    spec = make(tmp_path)
    binds = mounts(bwrap_args(spec))
    sources = {Path(src) for _, src, _ in binds}
    assert all(src == dest for _, src, dest in binds), "every path keeps its own name inside"
    assert not sources & {Path("/"), Path("/home"), Path("/root")}
    assert [src for option, src, _ in binds if option != "--ro-bind"] == [str(spec.workdir)]
    assert {Path("/usr"), Path("/etc"), Path(sys.prefix)} <= sources
    assert not any(PROJECT == s or s in PROJECT.parents for s in sources), "project not mounted"


def test_the_environment_is_scrubbed_and_fixed(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLG_SECRET_TOKEN", "hunter2")
    env = kernel_env(make(tmp_path))
    assert "DLG_SECRET_TOKEN" not in env and "JPY_PARENT_PID" not in env
    assert env["HOME"] == str(tmp_path / "work" / ".home") and env["PYTHONHASHSEED"] == "0"
    assert env["MPLBACKEND"] == "module://matplotlib_inline.backend_inline"
    assert env["OMP_NUM_THREADS"] == env["MKL_NUM_THREADS"] == "1"
    args = bwrap_args(make(tmp_path))
    assert args.index("--clearenv") < args.index("--setenv")


@pytest.mark.parametrize(("identity", "present", "absent"), [
    ("user-namespace", ["--unshare-user", "--uid", str(NS_UID), "--cap-drop", "ALL",
                        "--disable-userns"], ["setpriv"]),
    ("dedicated-uid", ["--unshare-pid", "--unshare-net", "--die-with-parent", "--new-session"],
     ["--unshare-user"]),
])
def test_each_identity_has_its_options(tmp_path: Path, identity: str, present: list[str],
                                       absent: list[str]) -> None:
    spec = identities(tmp_path)[identity]
    if identity == "dedicated-uid" and spec.uid is None:
        pytest.skip("not root: no dedicated uid")
    command = " ".join(kernel_command(spec, ["python"]))
    assert all(f" {p} " in f" {command} " for p in present)
    assert not any(a in command for a in absent)
    assert f"--as={4096 << 20}" in command


def test_python_dirs_and_grader_packages_are_found() -> None:
    dirs = python_dirs()
    assert Path(sys.prefix) in dirs and Path(sys.base_prefix).resolve() in dirs
    assert PROJECT / "grader" in grader_packages()


# ----------------------------------------------------------------------------- inside bwrap
@needs_sandbox
def test_status_is_probed_once() -> None:
    assert sandbox_status() is sandbox_status()
    assert "bubblewrap works" in sandbox_status().reason


LOOK_AROUND = """\
import json, os, socket
seen = {"uid": os.getuid(), "root": sorted(os.listdir("/")), "parent": os.listdir(".."),
        "interfaces": [name for _, name in socket.if_nameindex()],
        "caps": [l.split()[1] for l in open("/proc/self/status") if l.startswith("CapEff")][0]}
for name, path in (("shadow", "/etc/shadow"), ("usr", "/usr/escape"), ("rootfs", "/escape"),
                   ("dev", "/dev/escape"), ("work", "escape")):
    try:
        open(path, "r" if name == "shadow" else "a").close()
        seen[name] = "ok"
    except OSError as exc:
        seen[name] = type(exc).__name__
print(json.dumps(seen))
"""


@needs_sandbox
@pytest.mark.parametrize("identity", ["dedicated-uid", "user-namespace"])
def test_inside_there_is_no_network_no_capability_and_no_host(tmp_path: Path,
                                                              identity: str) -> None:
    spec = identities(tmp_path)[identity]
    done = run_inside(spec, LOOK_AROUND)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["interfaces"] == ["lo"] and seen["caps"] == "0000000000000000"
    assert seen["parent"] == ["work"] and "home" not in seen["root"]
    assert {seen[k] for k in ("usr", "rootfs", "dev")} <= {"OSError", "PermissionError"}
    assert seen["work"] == "ok"
    if spec.uid is not None:
        assert seen["uid"] == spec.uid and seen["shadow"] == "PermissionError"
    else:
        assert seen["uid"] == NS_UID


@needs_sandbox
def test_an_installed_grader_package_is_covered_by_a_blocker(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "reference").mkdir(parents=True)
    (site / "reference" / "__init__.py").write_text("SECRET = 42\n")
    spec = make(tmp_path, python_dirs=(*python_dirs(), site),
                hidden_packages=(site / "reference",))
    args = bwrap_args(spec)
    assert ["--tmpfs",
            str(site / "reference")] == args[args.index(str(site / "reference")) - 1:][:2]
    done = run_inside(spec, f"import sys; sys.path.insert(0, {str(site)!r}); import reference")
    assert "ImportError: the grader's packages are not available to student code" in done.stderr


@needs_sandbox
@pytest.mark.parametrize(("overrides", "code", "error"), [
    ({"memory_mb": 1024}, "bytearray(2 * 10**9)", "MemoryError"),
    ({"file_size_mb": 1}, "open('big', 'wb').write(bytes(2 << 20))", "File too large"),
    ({"open_files": 64}, "[open('/dev/null') for _ in range(100)]", "Too many open files"),
], ids=["address-space", "file-size", "open-files"])
def test_rlimits_hold_inside(tmp_path: Path, overrides: dict[str, int], code: str,
                             error: str) -> None:
    done = run_inside(make(tmp_path, **overrides), code)
    assert done.returncode != 0 and error in done.stderr


FORK = """\
import os, time
pids = []
try:
    for _ in range(200):
        pid = os.fork()
        if pid == 0:
            time.sleep(5)
            os._exit(0)
        pids.append(pid)
except OSError:
    pass
print(len(pids))
"""


@needs_sandbox
@as_root
def test_a_fork_bomb_stops_at_the_process_limit_with_a_dedicated_uid(tmp_path: Path) -> None:
    done = run_inside(make(tmp_path, processes=30), FORK)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) < 30


def test_preparing_the_work_dir_never_writes_through_an_uploaded_link(tmp_path: Path) -> None:
    spec = make(tmp_path)
    target = tmp_path / "target"
    target.mkdir()
    spec.kernel_dir.symlink_to(target)
    (spec.workdir / ".home").mkdir()
    (spec.workdir / ".home" / "planted").write_text("x")
    prepare_workdir(spec)
    assert list(target.iterdir()) == [] and not spec.kernel_dir.is_symlink()
    assert sorted(p.name for p in spec.home.iterdir()) == [".matplotlib"]
    assert "not available to student code" in spec.blocker.read_text()


@as_root
def test_handing_over_the_work_dir_never_follows_a_link(tmp_path: Path) -> None:
    spec = make(tmp_path, uid=3_999_999)
    outside = tmp_path / "outside.txt"
    outside.write_text("host file")
    (spec.workdir / "sub").mkdir()
    (spec.workdir / "sub" / "link").symlink_to(outside)
    (spec.workdir / "dirlink").symlink_to(tmp_path)
    prepare_workdir(spec)
    hand_over(spec)
    (spec.workdir / "new").mkdir()
    (spec.workdir / "new" / "file").write_text("x")
    (spec.workdir / "untouched").write_text("x")
    hand_over(spec, {"new"})
    assert (spec.workdir / "new" / "file").stat().st_uid == spec.uid
    assert (spec.workdir / "untouched").stat().st_uid == 0, "only the named entries"
    assert outside.stat().st_uid == 0 and tmp_path.stat().st_uid == 0
    assert (spec.workdir / "sub").stat().st_uid == spec.uid
    assert os.lstat(spec.workdir / "sub" / "link").st_uid == spec.uid
    assert spec.blocker.stat().st_uid == 0, "the kernel may not edit the import blocker"


DAEMON = """\
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(60)
    os._exit(0)
time.sleep(60)
"""


@pytest.mark.parametrize("use_bwrap", [
    pytest.param(True, marks=needs_sandbox, id="bwrap"), pytest.param(False, id="fallback")])
def test_kill_tree_ends_the_whole_sandbox(tmp_path: Path, use_bwrap: bool,
                                          no_leftover_processes: Callable[[], None]) -> None:
    spec = make(tmp_path, use_bwrap=use_bwrap)
    prepare_workdir(spec)
    code = DAEMON if use_bwrap else DAEMON.replace("    os._exit(0)", "    time.sleep(60)")
    proc = subprocess.Popen(kernel_command(spec, [sys.executable, "-c", code]),
                            start_new_session=True, **popen_kwargs(spec))
    deadline = time.monotonic() + 20
    while len(descendants(proc.pid)) < (2 if use_bwrap else 1) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    assert kill_tree({proc.pid}) == set()
    assert proc.wait(timeout=5) != 0
    no_leftover_processes()


# ----------------------------------------------------------------------------- what /proc shows
PROC_SPY = """\
import json, os
texts = [json.dumps(dict(os.environ))]
for pid in ["self"] + [p for p in os.listdir("/proc") if p.isdigit()]:
    for name in ("cmdline", "environ", "mountinfo", "maps"):
        try:
            with open(f"/proc/{pid}/{name}", "rb") as fh:
                texts.append(fh.read().decode("utf-8", "replace"))
        except OSError:
            pass
    for link in ("cwd", "root", "exe"):
        try:
            texts.append(os.readlink(f"/proc/{pid}/{link}"))
        except OSError:
            pass
seen = "\\n".join(texts)
for allowed in sorted(ALLOWED, key=len, reverse=True):
    seen = seen.replace(allowed, "<python>")
leaked = sorted({path for path in FORBIDDEN if path in seen})
assert not leaked, f"the kernel can read {leaked} under /proc or in its environment"
answer = 0.4102
"""


@pytest.mark.kernel
@needs_sandbox
def test_nothing_under_proc_names_the_project_rubrics_uploads_or_outputs(tmp_path: Path) -> None:
    """The sandbox's own command line (/proc/1/cmdline) and mount table name the work dir and
    the Python installation (with the folders on its way: the project folder itself when the
    venv lies in it), nothing else of the grader's."""
    import support_demo
    from builders import write_team_notebook

    from grader.batch import grade_all
    from grader.pipeline import Options
    from grader.progress import PlainProgress
    from grader.runners import InProcess

    subs, out, rubrics = tmp_path / "submissions", tmp_path / "graded", tmp_path / "rubrics"
    rubrics.mkdir()
    (rubrics / "demo.toml").write_text(support_demo.rubric_text())
    pythons = python_dirs()
    project = [p for p in PROJECT.iterdir() if not any(p == d or p in d.parents for d in pythons)]
    if not any(PROJECT in d.parents for d in pythons):
        project.append(PROJECT)
    forbidden = sorted({str(p) for p in (*project, rubrics, subs, out)})
    allowed = sorted({str(p) for p in pythons})
    source = PROC_SPY.replace("FORBIDDEN", repr(forbidden)).replace("ALLOWED", repr(allowed))
    cells = [support_demo.GOOD[0], support_demo.GOOD[1], source, support_demo.GOOD[3]]
    write_team_notebook(subs / "demo_01.ipynb", *cells)
    result = grade_all(subs, out, Options(rubrics_dir=rubrics), InProcess(), force=False,
                       progress=PlainProgress())
    (grade,) = result.grades
    assert (grade.status, grade.score) == ("graded", 4.0), grade.messages
