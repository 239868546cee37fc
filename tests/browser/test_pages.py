"""The grader's pages in a real browser (headless Chromium) at desktop and phone width.

No sideways scrolling, every image decodes, nothing is loaded from outside the page, check ids,
statuses and points stay on one line; a full-page screenshot of each page kind at each width is
written under the test's temporary folder for a person to look at (the paths are printed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_support import (
    IMAGES_JS,
    LINES_JS,
    ONE_LINE_SELECTOR,
    OVERFLOW_JS,
    PRINT_WIDTH,
    RESOURCES_JS,
    URLS_JS,
    WIDTHS,
    Site,
    full_page_screenshot,
    is_local_url,
    missing_browser,
    open_page,
)

_missing = missing_browser()
if _missing:
    pytest.skip(f"browser tests skipped: {_missing}", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PICTURES_IN_REPORT = 4     # write_picture_pages: one per visible check with pictures
MAX_PAGE_BYTES = 300_000

# Page kinds: the overview and one report of each kind the batch produces.
PAGES = {
    "index": "index.html",
    "report-full-marks": "reports/adam/adam_regression_classification_solved_group_01.html",
    "report-failing-checks": "reports/adam/adam_regression_classification_solved_group_02.html",
    "report-rejected": "reports/adam/adam_regression_classification_solved_group_7.html",
    "report-zip": "reports/xor/sheet06_2345678.html",
    "report-run-error": "reports/gradients/gradient_studies_group_03.html",
}


def _check_page(driver: Any, path: Path, width: int, shot: Path, media: str = "screen") -> None:
    open_page(driver, path, width, media)
    print(f"screenshot: {full_page_screenshot(driver, shot)}")
    layout = driver.execute_script(OVERFLOW_JS)
    assert layout["scrollWidth"] <= layout["clientWidth"], layout
    assert not layout["bad"], layout["bad"]
    images = driver.execute_async_script(IMAGES_JS)
    assert all(natural > 0 for _, natural in images), images
    external = [u for u in driver.execute_script(URLS_JS) if not is_local_url(u[2])]
    assert not external, external
    fetched = [name for name in driver.execute_script(RESOURCES_JS)
               if not name.startswith("data:")]
    assert not fetched, fetched
    wrapped = [line for line in driver.execute_script(LINES_JS, ONE_LINE_SELECTOR)
               if line[2] > 1]
    assert not wrapped, wrapped


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("kind", PAGES)
def test_page_renders(browser: Any, graded_site: Site, tmp_path: Path, kind: str,
                      width: int) -> None:
    _check_page(browser, graded_site.out / PAGES[kind], width, tmp_path / f"{kind}-{width}.png")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("kind", ["index", "report"])
def test_pictures_render(browser: Any, picture_site: Site, tmp_path: Path, kind: str,
                         width: int) -> None:
    page = picture_site.index if kind == "index" else picture_site.reports[0]
    _check_page(browser, page, width, tmp_path / f"pictures-{kind}-{width}.png")
    images = browser.execute_async_script(IMAGES_JS)
    assert len(images) == (2 if kind == "index" else PICTURES_IN_REPORT), images
    html = page.read_text(encoding="utf-8")
    assert len(html) < MAX_PAGE_BYTES, len(html)


@pytest.mark.parametrize("kind", ["index", "report"])
def test_pictures_page_prints(browser: Any, picture_site: Site, tmp_path: Path, kind: str) -> None:
    page = picture_site.index if kind == "index" else picture_site.reports[0]
    _check_page(browser, page, PRINT_WIDTH, tmp_path / f"print-{kind}.png", media="print")


def _grade(file: str, group: str) -> Any:
    from grader.score import Grade

    return Grade(file=file, sha256="a" * 64, assignment="adam", group=group, status="rejected",
                 score=0.0, max_score=5.0, messages=("notebook format: not JSON",), checks=())


@pytest.mark.parametrize("width", WIDTHS)
def test_an_overview_listing_files_not_graded_and_a_group_uploading_twice_renders(
        browser: Any, tmp_path: Path, width: int) -> None:
    from grader.discover import NotGraded
    from grader.report import write_index
    from grader.report_paths import report_paths

    long_name = "adam/" + "very_long_folder_name_" * 6 + "adam_regression_classification_solved"
    grades = [_grade(f"{long_name}_group_04.ipynb", "04"),
              _grade("adam/late/adam_regression_classification_solved_group_04.ipynb", "04")]
    not_graded = [NotGraded(f"{long_name}_group_05.ipynb ",
                            "its name ends in ' ' after .ipynb, so it is not read as an upload; "
                            "rename it to end in .ipynb"),
                  NotGraded(".hidden/adam_regression_classification_solved_group_06.ipynb",
                            "it is inside the hidden folder '.hidden/', which is skipped; move "
                            "it out")]
    page = write_index(tmp_path, grades, report_paths([g.file for g in grades]),
                       generated_at="2026-12-07T00:00:00+00:00", grader_version="0.1.0",
                       not_graded=not_graded)
    _check_page(browser, page, width, tmp_path / f"not-graded-{width}.png")


@pytest.mark.parametrize(("value", "local"), [
    ("reports/a%20b.html", True), ("#checks", True), ("data:image/png;base64,AAAA", True),
    ("../index.html", True), ("http://example.org/x.png", False), ("//cdn.example/x.js", False),
    ("https:x", False), ("file:///etc/passwd", False), ("javascript:alert(1)", False),
])
def test_is_local_url(value: str, local: bool) -> None:
    assert is_local_url(value) is local
