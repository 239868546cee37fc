"""Shared pytest options and fixtures for the whole test suite."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite golden files from the current output instead of comparing (review the diff)",
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[Path, str], None]:
    """`golden(path, actual)`: assert `actual` equals the golden file, or rewrite it with
    `--update-goldens`."""
    update = bool(request.config.getoption("--update-goldens"))

    def check(path: Path, actual: str) -> None:
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(actual.encode("utf-8"))
            return
        if not path.exists():
            pytest.fail(f"golden file {path} is missing; run pytest --update-goldens and review it")
        expected = path.read_bytes().decode("utf-8")
        assert actual == expected, f"output differs from golden {path} (pytest --update-goldens)"

    return check
