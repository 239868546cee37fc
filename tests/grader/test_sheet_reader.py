"""grader.sheet_reader: cells as a tutor meant them, points with a decimal comma."""

from __future__ import annotations

import pytest

from grader.sheet_reader import read_cell, read_points


@pytest.mark.parametrize(("cell", "expected"), [
    ("'=1+1", "=1+1"), ("'-3", "-3"), ("'plain'", "'plain'"), ("'", "'"), ("  x ", "x")])
def test_read_cell(cell: str, expected: str) -> None:
    assert read_cell(cell) == expected


@pytest.mark.parametrize(("cell", "expected"), [
    ("", None), ("3", 3.0), ("3.25", 3.25), ("3,25", 3.25), ("'-1", -1.0), (" 2 ", 2.0)])
def test_read_points(cell: str, expected: float | None) -> None:
    assert read_points(cell) == expected


@pytest.mark.parametrize("cell", ["1,000.5", "inf", "x", "1.2.3"])
def test_read_points_refuses(cell: str) -> None:
    with pytest.raises(ValueError):
        read_points(cell)
