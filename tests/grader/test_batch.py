"""End to end through real kernels: a batch of correct, wrong, rule-breaking and hostile uploads.

Every upload is graded against the small "demo" rubric of `support_demo.py`. The batch runs once
per module (it is the slow part) and each test reads its own upload's grade.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import support_demo
from builders import team_notebook_bytes
from support_demo import GOOD

from grader.batch import grade_all
from grader.pipeline import Options
from grader.progress import PlainProgress
from grader.runners import LocalPool
from grader.score import Grade

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

TEAM = "# Team\nAda Lovelace, Alan Turing"
WRONG_DOUBLE = "def double(x):\n    return 3 * np.asarray(x)"


notebook_bytes = functools.partial(team_notebook_bytes, team=TEAM)


def replace_cell(index: int, source: str) -> list[str]:
    cells = list(GOOD)
    cells[index] = source
    return cells


def insert_cell(index: int, source: str) -> list[str]:
    cells = list(GOOD)
    cells.insert(index, source)
    return cells


def scenarios(submissions: Path) -> dict[str, tuple[bytes, str, float, str]]:
    """file name -> (content, expected status, expected score, a fragment of the messages)."""
    spy = (
        "import glob, os\n"
        f"seen = glob.glob({str(submissions)!r} + '/*') "
        "+ glob.glob('../**/*.ipynb', recursive=True)\n"
        "seen += glob.glob('/tmp/**/*.ipynb', recursive=True)\n"
        "others = [p for p in seen if os.path.basename(p) != 'demo_12.ipynb']\n"
        "answer = 0.4102 if not others else 99.0"
    )
    fake_score = (
        "print('{\"score\": 4, \"max_score\": 4, \"status\": \"graded\"}')\n"
        "open('grades.json', 'w').write('{\"score\": 4}')\n"
        "print('All checks passed! Score: 4/4')"
    )
    monkeypatch = (
        "import numpy, numpy.testing\n"
        "numpy.allclose = lambda *a, **k: True\n"
        "numpy.testing.assert_allclose = lambda *a, **k: None\n"
        "numpy.isclose = lambda a, b, *r, **k: numpy.ones(numpy.shape(a), bool)\n"
        "import torch\n"
        "torch.allclose = lambda *a, **k: True\n"
        "torch.testing.assert_close = lambda *a, **k: None\n"
        "def double(x):\n    return 3 * numpy.asarray(x)"
    )
    vandal = (
        "import os, subprocess\n"
        f"targets = [{str(submissions / 'demo_01.ipynb')!r}, "
        f"{str(submissions.parent / 'graded' / 'grades.json')!r},\n"
        f"           {str(submissions / 'planted.ipynb')!r}, '/tmp/planted.txt']\n"
        "for path in targets:\n"
        "    try:\n"
        "        open(path, 'w').write('{}')\n"
        "    except OSError:\n"
        "        pass\n"
        "subprocess.Popen(['python3', '-c', 'import time\\nwhile True: time.sleep(1)'])\n"
        "answer = 0.4102"
    )
    return {
        "demo_01.ipynb": (notebook_bytes(*GOOD), "graded", 4.0, ""),
        "demo_02.ipynb": (notebook_bytes(*replace_cell(1, WRONG_DOUBLE)), "graded", 2.0, ""),
        "demo_03.ipynb": (notebook_bytes(*insert_cell(2, "1 / 0")), "run-error", 0.0,
                          "cell 4: ZeroDivisionError: division by zero"),
        "demo_04.ipynb": (notebook_bytes(*insert_cell(2, "while True:\n    pass")),
                          "timeout", 0.0, "cell 4"),
        "demo_05.ipynb": (notebook_bytes(*insert_cell(2, (
            "import time\nwhile True:\n    try:\n        time.sleep(0.1)\n"
            "    except KeyboardInterrupt:\n        pass"))), "timeout", 0.0, "cell 4"),
        "demo_06.ipynb": (notebook_bytes(*insert_cell(2, "import os\nos._exit(1)")),
                          "crashed", 0.0, "cell 4"),
        "demo_07.ipynb": (notebook_bytes(*insert_cell(2, "x = bytearray(50 * 10**9)")),
                          "crashed", 0.0, "cell 4"),
        "demo_08.ipynb": (notebook_bytes(*replace_cell(1, monkeypatch)), "graded", 2.0, ""),
        "demo_09.ipynb": (notebook_bytes(*replace_cell(1, "def double(x):\n"
                                                          "    return np.asarray(x) * np.nan")),
                          "graded", 2.0, ""),
        "demo_10.ipynb": (notebook_bytes(*replace_cell(1, WRONG_DOUBLE), fake_score),
                          "graded", 2.0, ""),
        "demo_11.ipynb": (notebook_bytes(*insert_cell(0, "import reference")), "run-error", 0.0,
                          "cell 2: ModuleNotFoundError"),
        "demo_12.ipynb": (notebook_bytes(*replace_cell(2, spy)), "graded", 4.0, ""),
        "demo_7.ipynb": (notebook_bytes(*GOOD), "rejected", 0.0,
                         "demo_NN.ipynb with a two-digit group number NN"),
        "demo_13.ipynb": (b'{"cells": [', "rejected", 0.0, "demo_13.ipynb"),
        "demo_14.ipynb": (notebook_bytes(*GOOD, team="# Team\nYOUR ANSWER HERE"),
                          "rejected", 0.0, "YOUR ANSWER HERE"),
        "nested/demo_15.ipynb": (notebook_bytes(*GOOD), "graded", 4.0, ""),
        "demo_16.ipynb": (notebook_bytes(*replace_cell(2, vandal)), "graded", 4.0, ""),
    }


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory
          ) -> tuple[Path, dict[str, Grade], dict[str, Any], float]:
    root = tmp_path_factory.mktemp("batch")
    submissions = root / "submissions"
    for name, (data, *_rest) in scenarios(submissions).items():
        (submissions / name).parent.mkdir(parents=True, exist_ok=True)
        (submissions / name).write_bytes(data)
    out = root / "graded"
    start = time.monotonic()
    result = grade_all(submissions, out,
                       Options(rubrics_dir=support_demo.demo_rubrics(root / "rubrics")),
                       LocalPool(2), force=False, progress=PlainProgress())
    elapsed = time.monotonic() - start
    assert result.failures == ()
    grades = {g.file: g for g in result.grades}
    document = json.loads((out / "grades.json").read_text())
    return out, grades, document, elapsed


@pytest.mark.parametrize("name", list(scenarios(Path("/x"))), ids=list(scenarios(Path("/x"))))
def test_each_upload_gets_its_status_and_score(batch: Any, name: str) -> None:
    _, grades, _, _ = batch
    _, status, points, fragment = scenarios(Path("/x"))[name]
    grade = grades[name]
    assert (grade.status, grade.score) == (status, points), grade.messages
    if fragment:
        assert any(fragment in m for m in grade.messages), grade.messages


def test_wrong_function_fails_exactly_its_check(batch: Any) -> None:
    checks = {c.id: c for c in batch[1]["demo_02.ipynb"].checks}
    assert checks["double"].status == "fail"
    assert "got" in checks["double"].message and "expected" in checks["double"].message
    assert checks["answer"].status == "pass" and checks["figure"].status == "pass"


def test_monkeypatched_numpy_and_fake_scores_earn_nothing(batch: Any) -> None:
    for name in ("demo_08.ipynb", "demo_10.ipynb"):
        checks = {c.id: c for c in batch[1][name].checks}
        assert checks["double"].status == "fail" and checks["double"].points == 0


def test_nan_never_passes(batch: Any) -> None:
    checks = {c.id: c for c in batch[1]["demo_09.ipynb"].checks}
    assert checks["double"].status == "fail" and "nan" in checks["double"].message


def test_timeouts_end_within_the_limit(batch: Any) -> None:
    for name in ("demo_04.ipynb", "demo_05.ipynb"):
        assert batch[1][name].duration < 6 + 15


def test_unmatched_upload_has_null_assignment(batch: Any) -> None:
    entry = next(s for s in batch[2]["submissions"] if s["file"] == "demo_7.ipynb")
    assert entry["assignment"] is None and entry["group"] is None and entry["status"] == "rejected"


def test_contract_files_are_written(batch: Any) -> None:
    out, grades, document, _ = batch
    assert set(document) >= {"grader_version", "generated_at", "submissions"}
    assert len(document["submissions"]) == len(grades)
    header = (out / "grades.csv").read_text().splitlines()[0].split(",")
    assert header[:6] == ["file", "assignment", "group", "status", "score", "max_score"]
    assert {"double", "answer", "figure"} <= set(header)
    assert (out / "index.html").is_file()
    assert (out / "reports" / "demo_01.html").is_file()
    assert (out / "reports" / "nested" / "demo_15.html").is_file()
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        assert db.execute("select count(*) from grades").fetchone()[0] == len(grades)


def test_no_upload_can_touch_another_or_the_outputs(batch: Any) -> None:
    out, _, document, _ = batch
    submissions = out.parent / "submissions"
    hashed = next(e["sha256"] for e in document["submissions"] if e["file"] == "demo_01.ipynb")
    assert hashlib.sha256((submissions / "demo_01.ipynb").read_bytes()).hexdigest() == hashed
    assert not (submissions / "planted.ipynb").exists()
    assert document["submissions"]          # grades.json is the grader's, not '{}'
    assert not Path("/tmp/planted.txt").exists()


def test_group_kept_as_written(batch: Any) -> None:
    assert batch[1]["demo_01.ipynb"].group == "01"


def test_rerun_skips_unchanged_uploads(batch: Any, tmp_path: Path) -> None:
    out, grades, _, _ = batch
    submissions = out.parent / "submissions"
    rubrics = out.parent / "rubrics"
    result = grade_all(submissions, out, Options(rubrics_dir=rubrics), LocalPool(2), force=False,
                       progress=PlainProgress())
    assert result.skipped == len(grades) and result.graded == 0
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        assert db.execute("select count(*) from grades").fetchone()[0] == len(grades)


def test_zero_error_rule_off_grades_with_the_error_listed(tmp_path: Path) -> None:
    submissions = tmp_path / "subs"
    submissions.mkdir()
    (submissions / "demo_03.ipynb").write_bytes(notebook_bytes(*insert_cell(2, "1 / 0")))
    result = grade_all(submissions, tmp_path / "out",
                       Options(rubrics_dir=support_demo.demo_rubrics(tmp_path / "rubrics",
                                                                     zero_error=False)),
                       LocalPool(1), force=False, progress=PlainProgress())
    grade = result.grades[0]
    assert (grade.status, grade.score) == ("graded", 4.0)
    assert "cell 4: ZeroDivisionError: division by zero" in grade.messages


def test_killed_grader_resumes_with_one_record_per_upload(tmp_path: Path) -> None:
    submissions = tmp_path / "subs"
    submissions.mkdir()
    slow = insert_cell(2, "import time\ntime.sleep(1.5)")
    for i in range(1, 7):
        (submissions / f"demo_{i:02d}.ipynb").write_bytes(notebook_bytes(*slow))
    rubrics = support_demo.demo_rubrics(tmp_path / "rubrics")
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).parent),
                                                       os.environ.get("PYTHONPATH", "")]))
    cmd = [sys.executable, "-m", "grader", str(submissions), "--out", str(out),
           "--rubrics", str(rubrics), "--workers", "1"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    recorded = 0
    while time.monotonic() < deadline and recorded < 2:
        time.sleep(0.5)
        if (out / "gradebook.sqlite").exists():
            with sqlite3.connect(out / "gradebook.sqlite") as db:
                recorded = db.execute("select count(*) from grades").fetchone()[0]
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 2 <= recorded < 6
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        rows = db.execute("select file, count(*) from grades group by file").fetchall()
    assert sorted(rows) == [(f"demo_{i:02d}.ipynb", 1) for i in range(1, 7)]
    document = json.loads((out / "grades.json").read_text())
    assert [s["status"] for s in document["submissions"]] == ["graded"] * 6


def test_an_upload_that_kills_its_worker_is_crashed_and_the_others_are_graded(
        tmp_path: Path) -> None:
    """Without the OS sandbox a notebook can kill the grader's worker (its parent process)."""
    submissions = tmp_path / "subs"
    submissions.mkdir()
    killer = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"
    (submissions / "demo_01.ipynb").write_bytes(notebook_bytes(*insert_cell(1, killer)))
    for i in (2, 3):
        (submissions / f"demo_{i:02d}.ipynb").write_bytes(notebook_bytes(*GOOD))
    result = grade_all(submissions, tmp_path / "out",
                       Options(rubrics_dir=support_demo.demo_rubrics(tmp_path / "rubrics"),
                               sandbox=False),
                       LocalPool(2), force=False, progress=PlainProgress())
    assert result.failures == ()
    grades = {g.file: g for g in result.grades}
    assert grades["demo_01.ipynb"].status == "crashed"
    assert "killed the grader's worker" in grades["demo_01.ipynb"].messages[0]
    others = [grades[f"demo_{i:02d}.ipynb"] for i in (2, 3)]
    assert [(g.status, g.score) for g in others] == [("graded", 4.0), ("graded", 4.0)]
