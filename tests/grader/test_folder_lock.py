"""One run at a time writes into an output folder; a second one waits, naming the first
(grader.folder_lock), and two real `grade` processes on one new folder both succeed."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import support_demo
from builders import write_team_notebook
from support_demo import GOOD

from grader.folder_lock import LOCK_NAME, UNKNOWN, hold

HOLD_FOR = """\
import sys, time
from pathlib import Path
from grader.folder_lock import hold
with hold(Path(sys.argv[1]), "grade subs --out graded", lambda message: None):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def holder(out: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process that holds `out`'s lock for `seconds` (returns once it holds it)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD_FOR, str(out), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "locked\n"
    return proc


def test_a_second_run_waits_and_names_the_first(tmp_path: Path) -> None:
    first = holder(tmp_path, 1.5)
    said: list[str] = []
    began = time.monotonic()
    with hold(tmp_path, "grade other --out x", said.append):
        waited = time.monotonic() - began          # only after the first one let go
    assert first.communicate(timeout=30) == ("", None) and first.returncode == 0
    assert waited > 1.0
    (message,) = said
    assert message.startswith(f"{tmp_path}: another grade run is writing into this folder "
                              f"(pid {first.pid} on ")
    assert ": grade subs --out graded); waiting for it to finish" in message


def test_a_free_folder_is_taken_at_once_and_says_who_holds_it(tmp_path: Path) -> None:
    said: list[str] = []
    with hold(tmp_path, "grade subs", said.append):
        claim = json.loads((tmp_path / LOCK_NAME).read_text())
    assert said == [] and claim["pid"] == os.getpid() and claim["argv"] == "grade subs"
    with hold(tmp_path, "grade again", said.append):    # released: taken again at once
        pass
    assert said == []


def test_a_lock_file_that_is_not_a_claim_still_locks(tmp_path: Path) -> None:
    first = holder(tmp_path, 1.0)
    (tmp_path / LOCK_NAME).write_text("garbage")       # the holder's words are gone
    said: list[str] = []
    with hold(tmp_path, "grade", said.append):
        pass
    first.communicate(timeout=30)
    assert said == [f"{tmp_path}: another grade run is writing into this folder ({UNKNOWN}); "
                    "waiting for it to finish (its grades are then kept, not graded again)"]


def test_the_lock_is_never_followed_through_a_link(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("x")
    out = tmp_path / "out"
    out.mkdir()
    (out / LOCK_NAME).symlink_to(target)
    with pytest.raises(OSError), hold(out, "grade", print):
        pass
    assert target.read_text() == "x"


@pytest.mark.kernel
@pytest.mark.slow
def test_two_grade_processes_on_one_new_folder_both_succeed(tmp_path: Path) -> None:
    subs, out, rubrics = tmp_path / "subs", tmp_path / "graded", tmp_path / "rubrics"
    rubrics.mkdir()
    (rubrics / "demo.toml").write_text(support_demo.rubric_text())
    write_team_notebook(subs / "demo_01.ipynb", *GOOD, "import time\ntime.sleep(3)")
    write_team_notebook(subs / "demo_02.ipynb", *GOOD)
    cmd = [sys.executable, "-m", "grader", str(subs), "--out", str(out), "--rubrics", str(rubrics),
           "--workers", "1"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]))
    runs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    done = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], done
    waiting = [i for i, (_, err) in enumerate(done) if "another grade run is writing" in err]
    assert len(waiting) == 1, done                  # one waited, naming the other
    second, first = waiting[0], 1 - waiting[0]
    assert f"(pid {runs[first].pid} on " in done[second][1]
    assert "0 graded now, 2 unchanged and kept" in done[second][0]
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        assert db.execute("select count(*) from runs").fetchone()[0] == 2
        assert db.execute("select file, status from grades order by file").fetchall() == [
            ("demo_01.ipynb", "graded"), ("demo_02.ipynb", "graded")]
    document = json.loads((out / "grades.json").read_text())
    assert [(s["file"], s["score"]) for s in document["submissions"]] == [
        ("demo_01.ipynb", 4.0), ("demo_02.ipynb", 4.0)]
