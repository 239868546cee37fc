"""Per-kernel control groups: a CPU quota, a task cap, and a kill that nothing escapes."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from grader import cgroup

pytestmark = pytest.mark.sandbox


@pytest.fixture
def group():  # type: ignore[no-untyped-def]
    made = cgroup.create(cores=0.5, max_pids=8)
    if made is None:
        pytest.skip("no writable cgroup hierarchy (not root, or none mounted)")
    yield made
    cgroup.destroy(made)


def _wait_for(predicate, timeout: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_group_holds_its_limits(group: cgroup.Group) -> None:
    files = {f.name: f.read_text().strip() for d in group.dirs for f in d.iterdir()
             if f.name in ("cpu.max", "cpu.cfs_quota_us", "cpu.cfs_period_us", "pids.max")}
    if "cpu.max" in files:
        assert files["cpu.max"] == "50000 100000"
    else:
        assert (files["cpu.cfs_quota_us"], files["cpu.cfs_period_us"]) == ("50000", "100000")
    assert files["pids.max"] == "8"


def test_children_start_inside_and_destroy_kills_them_all(group: cgroup.Group) -> None:
    # one daemonizes, one in a new session
    script = "setsid sleep 60 & (sleep 60 &) ; sleep 60 & wait"
    proc = subprocess.Popen(cgroup.join_command(group, ["/bin/sh", "-c", script]))
    try:
        assert _wait_for(lambda: len(cgroup.members(group)) >= 4), cgroup.members(group)
        assert proc.pid in cgroup.members(group)
        assert cgroup.destroy(group) == set()
        assert proc.wait(timeout=10) != 0
        assert not any(d.exists() for d in group.dirs)
    finally:
        proc.kill()


def test_the_task_cap_stops_a_fork_storm(group: cgroup.Group) -> None:
    script = "for i in $(seq 40); do sleep 60 & done 2>/dev/null; sleep 1"
    proc = subprocess.Popen(cgroup.join_command(group, ["/bin/sh", "-c", script]),
                            stderr=subprocess.DEVNULL)
    try:
        assert _wait_for(lambda: len(cgroup.members(group)) >= 5)
        time.sleep(0.5)
        assert 5 <= len(cgroup.members(group)) <= 8          # not the 41 the script asked for
    finally:
        cgroup.destroy(group)
        proc.wait(timeout=10)


def test_without_a_group_the_command_is_unchanged() -> None:
    assert cgroup.join_command(None, ["python", "-V"]) == ["python", "-V"]
    assert cgroup.destroy(None) == set()


def test_not_root_or_no_hierarchy_gives_none(tmp_path: Path) -> None:
    assert cgroup.create(root=tmp_path / "missing") is None
