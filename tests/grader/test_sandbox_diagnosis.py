"""When bubblewrap cannot start, the warning names the cause and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import nbformat
import pytest

from grader import sandbox
from grader.execute import run_notebook
from grader.rubric import Limits
from grader.sandbox_diagnosis import APPARMOR_FIX, NOT_FOUND, diagnose

APPARMOR = "bwrap: setting up uid map: Permission denied"


@pytest.mark.parametrize(("message", "as_root", "restricted", "words"), [
    (APPARMOR, False, True, ["apparmor_restrict_unprivileged_userns=1", "Ubuntu 24.04",
                             APPARMOR_FIX]),
    (APPARMOR, False, False, ["user namespaces are restricted here", APPARMOR_FIX]),
    ("bwrap: No permissions to creating new namespace, likely because the kernel does not "
     "allow non-privileged user namespaces", False, False,
     ["kernel.unprivileged_userns_clone=0", "sysctl -w kernel.unprivileged_userns_clone=1"]),
    ("bwrap: Creating new namespace failed: nesting depth or /proc/sys/user/max_*_namespaces "
     "exceeded (ENOSPC)", False, False, ["user.max_user_namespaces", "run grade as root"]),
    ("bwrap: Creating new namespace failed: Operation not permitted", True, False,
     ["seccomp", "--security-opt seccomp=unconfined"]),
    ("bwrap: something new", False, True, ["probably AppArmor", APPARMOR_FIX]),
], ids=["apparmor", "restricted otherwise", "userns_clone", "max namespaces", "container",
        "unknown under apparmor"])
def test_the_cause_and_the_fix_are_named(message: str, as_root: bool, restricted: bool,
                                          words: list[str]) -> None:
    found = diagnose(message, as_root, restricted)
    assert found.startswith("cause: ") and "; fix: " in found
    for word in words:
        assert word in found


def test_an_unknown_failure_adds_nothing() -> None:
    assert diagnose("bwrap: something new", as_root=True, restricted=False) == ""


@pytest.fixture
def refusing_bwrap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A `bwrap` first on PATH that fails as Ubuntu 24.04's does for a user without root."""
    fake = tmp_path / "bin" / "bwrap"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\necho '{APPARMOR}' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:/usr/local/bin:/usr/bin:/bin")
    sandbox.sandbox_status.cache_clear()
    yield
    sandbox.sandbox_status.cache_clear()


def test_the_status_carries_bwraps_message_the_cause_and_the_fix(refusing_bwrap: None) -> None:
    status = sandbox.sandbox_status()
    assert not status.available
    assert status.reason.startswith(f"bwrap failed (exit 1): {APPARMOR}; cause: ")
    assert status.reason.endswith(APPARMOR_FIX)


@pytest.mark.kernel
def test_the_kernel_still_runs_with_the_warning(refusing_bwrap: None, tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    work = tmp_path / "work"
    work.mkdir()
    result = run_notebook(nb, work, Limits(cell_timeout=30, total_timeout=60))
    assert (result.outcome, result.isolation) == ("ok", "none (rlimits only)")
    [warning] = result.warnings
    assert warning.startswith("WARNING: no OS sandbox: bwrap failed") and APPARMOR_FIX in warning


def test_a_missing_bwrap_says_how_to_install_it(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    sandbox.sandbox_status.cache_clear()
    try:
        assert sandbox.sandbox_status().reason == NOT_FOUND
    finally:
        sandbox.sandbox_status.cache_clear()
