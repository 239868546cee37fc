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
    FAILING,
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
    "report-zip-lost-minus": "reports/xor/sheet06_3456789.html",
    "report-trajectories": "reports/gradients/gradient_studies_group_02.html",
    "report-run-error": "reports/gradients/gradient_studies_group_03.html",
    "report-heat-map": "reports/conv3d/conv3d_rroe7.html",
    "report-call-timeout": "reports/conv3d/conv3d_slowp1.html",
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


# ----------------------------------------------------------------------------- what the pages say
# Per check section: its description, the first failing case's heading and values, its pictures.
SECTION_JS = """
const section = document.getElementById('check-' + arguments[0]);
if (!section) return null;
const images = [...section.querySelectorAll('img')];
return {
  description: (section.querySelector('p.description') || {}).textContent || '',
  case: [...section.querySelectorAll('h4')].map(h => h.textContent)
      .filter(t => t.startsWith('Case ')),
  values: section.querySelectorAll(
      'table.values tbody tr, ul.values li, table.inputs tbody tr').length,
  images: images.map(img => [img.complete, img.naturalWidth]),
  links: [...section.querySelectorAll('a[download]')].map(a => a.getAttribute('href')),
  snippet: (section.querySelector('pre.snippet') || {}).textContent || '',
};
"""
FAILING_PAGES = sorted(FAILING)


@pytest.mark.parametrize("upload", FAILING_PAGES, ids=[u.split("/")[-1] for u in FAILING_PAGES])
def test_a_failing_report_shows_the_case_its_values_pictures_and_description(
        browser: Any, graded_site: Site, tmp_path: Path, upload: str) -> None:
    report = graded_site.out / "reports" / upload.rsplit(".", 1)[0]
    page = report.with_suffix(".html")
    open_page(browser, page, WIDTHS[0])
    for check_id, pictured in FAILING[upload].items():
        section = browser.execute_script(SECTION_JS, check_id)
        assert section is not None, check_id
        assert len(section["description"]) > 20, (check_id, section)
        assert section["case"] and section["values"] >= 1, (check_id, section)
        if pictured:
            assert section["images"] and all(ok and w > 0 for ok, w in section["images"]), \
                (check_id, section)
        assert "result = " in section["snippet"], (check_id, section)
        for href in section["links"]:
            assert (page.parent / href).is_file(), href


INDEX_JS = """
return [...document.querySelectorAll('section.assignment')].map(s => ({
  id: s.querySelector('h2').id,
  images: [...s.querySelectorAll('img')].map(img => [img.complete, img.naturalWidth]),
  checks: s.querySelectorAll('table tbody tr').length,
  groups: [...s.querySelectorAll('ul.groups li')].map(li =>
      [...li.querySelectorAll('a')].map(a => a.getAttribute('href'))),
  csv: [...s.querySelectorAll('a')].map(a => a.getAttribute('href'))
      .filter(h => h.endsWith('.csv')),
}));
"""


def test_the_overview_shows_each_assignments_histogram_pass_rates_and_failures(
        browser: Any, graded_site: Site) -> None:
    open_page(browser, graded_site.index, WIDTHS[0])
    sections = {s["id"]: s for s in browser.execute_script(INDEX_JS)}
    assert set(sections) == {"assignment-adam", "assignment-conv3d", "assignment-gradients",
                             "assignment-xor"}
    for section in sections.values():
        assert len(section["images"]) == 2 and all(ok and w > 0 for ok, w in section["images"])
        assert section["checks"] >= 3 and section["csv"]
        assert (graded_site.out / section["csv"][0]).is_file()
    failing = {u.split("/")[0] for u in FAILING}
    for assignment in failing:
        groups = sections[f"assignment-{assignment}"]["groups"]
        assert groups, assignment
        for links in groups:
            assert links and all((graded_site.out / href).is_file() for href in links)


ROWS_JS = """
return [...document.querySelectorAll('#uploads-table tbody tr')]
  .filter(r => r.offsetParent !== null).map(r => [r.dataset.status, r.dataset.score]);
"""


def test_the_uploads_table_filters_and_sorts_with_javascript(browser: Any,
                                                             graded_site: Site) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    open_page(browser, graded_site.index, WIDTHS[0])
    everything = browser.execute_script(ROWS_JS)
    assert len(everything) == len(graded_site.reports)
    Select(browser.find_element(By.CSS_SELECTOR, "[data-filter=status]")).select_by_value("graded")
    shown = browser.execute_script(ROWS_JS)
    assert shown and {status for status, _ in shown} == {"graded"} and len(shown) < len(everything)
    browser.find_element(By.CSS_SELECTOR, "[data-filter=max]").send_keys("60")
    assert all(float(score) <= 60 for _, score in browser.execute_script(ROWS_JS))
    Select(browser.find_element(By.CSS_SELECTOR, "[data-filter=status]")).select_by_value("")
    browser.find_element(By.CSS_SELECTOR, "[data-filter=max]").clear()
    browser.find_element(By.CSS_SELECTOR, "th[data-sort=number]").click()
    scores = [float(score) for _, score in browser.execute_script(ROWS_JS)]
    assert scores == sorted(scores) and len(scores) == len(everything)


# Each table's right edge and the content column's (main without its padding).
EDGES_JS = """
const main = document.querySelector('main');
const column = main.getBoundingClientRect().right - parseFloat(getComputedStyle(main).paddingRight);
return {column: column, innerWidth: window.innerWidth,
        scrollWidth: document.documentElement.scrollWidth,
        tables: [...document.querySelectorAll('table')].map(
            t => [t.id || t.className, t.getBoundingClientRect().right])};
"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("site", ["graded_site", "course_site"])
def test_the_uploads_table_fits_the_content_column(browser: Any, site: str, width: int,
                                                   request: pytest.FixtureRequest) -> None:
    """Also with a course's final scores, "automatic ... (changed by a tutor)" beside them."""
    open_page(browser, request.getfixturevalue(site).index, width)
    edges = browser.execute_script(EDGES_JS)
    assert edges["scrollWidth"] <= edges["innerWidth"], edges
    assert "uploads-table" in [name for name, _ in edges["tables"]]
    assert all(right <= edges["column"] + 0.5 for _, right in edges["tables"]), edges


def test_without_javascript_the_table_shows_every_upload_and_no_tools(browser: Any,
                                                                      graded_site: Site) -> None:
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        from selenium.webdriver.common.by import By

        open_page(browser, graded_site.index, WIDTHS[1])
        rows = browser.find_elements(By.CSS_SELECTOR, "#uploads-table tbody tr")
        assert len(rows) == len(graded_site.reports) and all(r.is_displayed() for r in rows)
        assert not browser.find_element(By.ID, "upload-tools").is_displayed()
        ordered = [(a == "-", a, -float(r.get_attribute("data-score")))
                   for r in rows for a in [r.get_attribute("data-assignment")]]
        assert ordered == sorted(ordered)  # by assignment (unmatched last), score (highest first)
        link = browser.find_element(By.CSS_SELECTOR, "#status-table tr:nth-child(2) a")
        link.click()                             # rejected: its first upload's row
        target = browser.find_element(By.CSS_SELECTOR, "#uploads-table tr:target")
        assert target.get_attribute("data-status") == "rejected" and target.is_displayed()
        assert link.text.replace("\n", "") in target.text.replace("\n", "")
    finally:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})


# The characters after which a line of the heading starts: a range per character of its text,
# a new line where a character's top is below the one before it.
HEADING_BREAKS_JS = """
const h1 = document.querySelector('h1');
const walker = document.createTreeWalker(h1, NodeFilter.SHOW_TEXT);
const out = [];
let previous = null, top = null;
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  for (let i = 0; i < node.data.length; i++) {
    const range = document.createRange();
    range.setStart(node, i); range.setEnd(node, i + 1);
    const rect = range.getBoundingClientRect();
    if (!rect.height) { previous = node.data[i]; continue; }
    if (top !== null && rect.top > top + 2) out.push(previous);
    top = rect.top; previous = node.data[i];
  }
}
return out;
"""


def test_a_reports_heading_breaks_its_file_name_only_after_separators(
        browser: Any, graded_site: Site, tmp_path: Path) -> None:
    """At phone width the report of a resubmitted `xor/resubmitted/sheet06_2345678.zip` (the
    batch's zip, renamed) fits, and its heading's lines start after a space, "/", "_", "-" or
    ".", never inside the number."""
    import json
    from dataclasses import replace

    from grader.grade_json import grade_from_dict
    from grader.report import write_report

    records = json.loads((graded_site.out / "grades.json").read_text())["submissions"]
    zipped = next(grade_from_dict(r) for r in records if r["file"] == "xor/sheet06_2345678.zip")
    page = write_report(tmp_path, replace(zipped, file="xor/resubmitted/sheet06_2345678.zip"),
                        "reports/xor/resubmitted/sheet06_2345678.html", title="XOR")
    _check_page(browser, page, WIDTHS[1], tmp_path / "report-resubmitted-heading-400.png")
    after = browser.execute_script(HEADING_BREAKS_JS)
    assert after, "the heading fits on one line: nothing to check"
    assert set(after) <= set(" /_-."), after
