"""Fixtures of the grader's tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import support_demo


@pytest.fixture
def demo_rubrics(tmp_path: Path) -> Path:
    """A rubrics folder (in tmp_path) holding only the small demo rubric of support_demo.py."""
    return support_demo.demo_rubrics(tmp_path / "rubrics")
