"""Fixtures for rendering the grader's pages in headless Chromium (Debian's `chromium` and
`chromium-driver`, driven by Selenium): a graded batch of bundled uploads and one browser."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from browser_support import (
    CHROMEDRIVER,
    CHROMIUM_FLAGS,
    HEIGHT,
    ROOT,
    UPLOADS,
    WIDTHS,
    Site,
    chromium_binary,
    write_picture_pages,
)


@pytest.fixture(scope="session")
def graded_site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """Grade UPLOADS with the real `grade` command (2 workers) into a temporary folder."""
    base = tmp_path_factory.mktemp("site")
    submissions = base / "SUBMISSIONS"
    for rel in UPLOADS:
        target = submissions / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / "submissions" / rel, target)
    out = base / "graded"
    done = subprocess.run([sys.executable, "-m", "grader", str(submissions), "--out", str(out),
                           "--workers", "2"], cwd=ROOT, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    reports = tuple(sorted((out / "reports").rglob("*.html")))
    assert len(reports) == len(UPLOADS), reports
    return Site(out=out, index=out / "index.html", reports=reports)


@pytest.fixture(scope="session")
def course_site(graded_site: Site, tmp_path_factory: pytest.TempPathFactory) -> Site:
    """`graded_site` after a tutor granted a regrade request (overrides.csv) and ran `grade`
    again: the overview shows final scores with "automatic ... (changed by a tutor)" beside."""
    base = tmp_path_factory.mktemp("course")
    out = base / "graded"
    shutil.copytree(graded_site.out, out)
    submissions = graded_site.out.parent / "SUBMISSIONS"
    (out / "overrides.csv").write_text(
        "file,check,points,reason,marker,at\n"
        "adam/adam_regression_classification_solved_group_02.ipynb,adam_step,1.5,"
        "regrade request granted: the sheet's formula was ambiguous,,\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "grader", str(submissions), "--out", str(out),
                           "--workers", "2", "--marker", "tutor"], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "changed by a tutor" in (out / "index.html").read_text(encoding="utf-8")
    reports = tuple(sorted((out / "reports").rglob("*.html")))
    return Site(out=out, index=out / "index.html", reports=reports)


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One headless Chromium (Selenium WebDriver) for the session, with a fresh profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    stats = os.environ.get("SE_AVOID_STATS")
    os.environ["SE_AVOID_STATS"] = "true"  # Selenium Manager: no statistics, no downloads
    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium_binary())
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_argument(f"--window-size={WIDTHS[0]},{HEIGHT}")
    service = Service(executable_path=str(CHROMEDRIVER),
                      log_output=str(tmp_path_factory.mktemp("chromedriver") / "log.txt"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_script_timeout(30)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        if stats is None:
            os.environ.pop("SE_AVOID_STATS", None)
        else:
            os.environ["SE_AVOID_STATS"] = stats


@pytest.fixture(scope="session")
def picture_site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """A report and an index with one picture of every kind (rendered in this process)."""
    out = tmp_path_factory.mktemp("pictures")
    index, report, _ = write_picture_pages(out)
    return Site(out=out, index=index, reports=(report,))
