"""Correct uploads in many styles (tests/data/styles/) all get full marks through `grade`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "styles"


@pytest.mark.kernel
@pytest.mark.slow
def test_every_correct_style_gets_full_marks(tmp_path: Path) -> None:
    uploads = sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".ipynb", ".zip"))
    assert len(uploads) >= 20
    out = tmp_path / "graded"
    done = subprocess.run([sys.executable, "-m", "grader", str(CORPUS), "--out", str(out),
                           "--workers", "2"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=1200)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    graded = {s["file"]: s for s in json.loads((out / "grades.json").read_text())["submissions"]}
    assert sorted(graded) == uploads
    short = {name: (s["status"], s["score"], s["max_score"],
                    s["messages"] + [f"{c['id']}: {c['message']}" for c in s["checks"]
                                     if c["status"] != "pass"])
             for name, s in graded.items() if (s["status"], s["score"]) != ("graded",
                                                                            s["max_score"])}
    assert not short, json.dumps(short, indent=1)[:4000]
