"""What the browser tests share: where Chromium is, which uploads to grade, how to open a page.

Selenium is pointed at the system chromedriver and Chromium binary, with SE_AVOID_STATS=true, so
its driver manager neither downloads anything nor sends statistics. `missing_browser()` says
why these tests cannot run (the tests skip with that reason).
"""

from __future__ import annotations

import importlib.util
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_NAMES = ("chromium", "chromium-browser")
# Bundled uploads: full marks, rejected (a near-miss name), run-error, and every one with a
# failing check (each of those reports must show the failing case and its pictures).
UPLOADS = (
    "adam/adam_regression_classification_solved_group_01.ipynb",
    "adam/adam_regression_classification_solved_group_02.ipynb",
    "adam/adam_regression_classification_solved_group_7.ipynb",
    "xor/sheet06_2345678.zip",
    "xor/sheet06_3456789.zip",
    "gradients/gradient_studies_group_02.ipynb",
    "gradients/gradient_studies_group_03.ipynb",
    "conv3d/conv3d_rroe7.ipynb",
    "conv3d/conv3d_slowp1.ipynb",
)
# Failing upload -> its failing checks -> whether that check's section shows a picture (a check
# whose call never returned has no values to draw).
FAILING: dict[str, dict[str, bool]] = {
    "adam/adam_regression_classification_solved_group_02.ipynb": {
        "adam_step": True, "adam_chain": True, "train_linreg": True, "train_logreg": True},
    "gradients/gradient_studies_group_02.ipynb": {"gd_quadratic": True, "max_stable_lr": True},
    "xor/sheet06_2345678.zip": {"manual_grads": True},
    "xor/sheet06_3456789.zip": {"sigmoid_prime": True},
    "conv3d/conv3d_rroe7.ipynb": {"backward": True},
    "conv3d/conv3d_slowp1.ipynb": {"forward_speed": False},
}
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--force-device-scale-factor=1")
WIDTHS = (1280, 400)
PRINT_WIDTH = 718     # CSS pixels of an A4 page inside 1.5 cm margins
HEIGHT = 900


def chromium_binary() -> str | None:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed (pip install selenium; it is in the 'test' extra)"
    if chromium_binary() is None:
        return "no chromium on PATH (apt-get install chromium chromium-driver)"
    if not CHROMEDRIVER.exists():
        return f"no {CHROMEDRIVER} (apt-get install chromium-driver)"
    return None


@dataclass(frozen=True)
class Site:
    """A graded batch: its output folder and the pages to look at."""

    out: Path
    index: Path
    reports: tuple[Path, ...]


def open_page(driver: Any, path: Path, width: int, media: str = "screen") -> None:
    """Load `path` (a file) with a viewport exactly `width` CSS pixels wide, as `media`
    ("screen", or "print" for what a printer gets)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False})
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": media})
    driver.get(path.as_uri())


# Every URL-bearing attribute and CSS url(...) of the page, as written.
URLS_JS = """
const names = ['src', 'href', 'srcset', 'poster', 'action', 'data', 'xlink:href', 'formaction',
               'background', 'cite', 'manifest', 'ping'];
const found = [];
for (const el of document.querySelectorAll('*')) {
  for (const name of names) {
    const value = el.getAttribute(name);
    if (value !== null) found.push([el.tagName.toLowerCase(), name, value.slice(0, 120)]);
  }
  const style = el.getAttribute('style');
  if (style && /url\\(|@import/i.test(style))
    found.push([el.tagName.toLowerCase(), 'style', style]);
}
for (const sheet of document.querySelectorAll('style')) {
  const m = sheet.textContent.match(/url\\([^)]*\\)|@import[^;]*/gi);
  if (m) for (const u of m) found.push(['style', 'css', u]);
}
return found;
"""

# Elements wider than the viewport or scrolling sideways inside themselves.
OVERFLOW_JS = """
const width = document.documentElement.clientWidth;
const bad = [];
for (const el of document.body.querySelectorAll('*')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) continue;
  const style = getComputedStyle(el);
  const scrolls = ['auto', 'scroll'].includes(style.overflowX)
                  && el.scrollWidth > el.clientWidth + 1;
  if (r.right > width + 0.5 || r.left < -0.5 || scrolls)
    bad.push(`${el.tagName.toLowerCase()}.${el.className} `
             + `[${Math.round(r.left)}, ${Math.round(r.right)}]`
             + (scrolls ? ` scrolls ${el.scrollWidth} > ${el.clientWidth}` : '')
             + `: ${el.textContent.trim().slice(0, 40)}`);
}
return {scrollWidth: document.documentElement.scrollWidth, clientWidth: width,
        bad: bad.slice(0, 20)};
"""

# Every <img> after decode(): [src prefix, naturalWidth or -1 when it does not decode].
IMAGES_JS = """
const done = arguments[arguments.length - 1];
Promise.all([...document.images].map(img => img.decode().then(
  () => [img.getAttribute('src').slice(0, 40), img.naturalWidth],
  () => [img.getAttribute('src').slice(0, 40), -1]))).then(done);
"""

# Text that must stay on one line: the number of line boxes of each such element's text.
ONE_LINE_SELECTOR = ".nowrap, td.num, th.num, .check-id, .result, .status"
LINES_JS = """
const out = [];
for (const el of document.querySelectorAll(arguments[0])) {
  if (!el.textContent.trim()) continue;
  const head = el.closest('thead');  // column headers kept for screen readers only (1 px)
  if (head && head.getBoundingClientRect().width <= 1) continue;
  const range = document.createRange();
  range.selectNodeContents(el);
  const tops = new Set([...range.getClientRects()].filter(r => r.width > 0)
                                                   .map(r => Math.round(r.bottom)));
  out.push([el.tagName.toLowerCase() + '.' + el.className, el.textContent.trim().slice(0, 40),
            tops.size]);
}
return out;
"""

RESOURCES_JS = "return performance.getEntriesByType('resource').map(e => e.name.slice(0, 120));"


def is_local_url(value: str) -> bool:
    """A relative path, a fragment or a data: URI (nothing a browser fetches from elsewhere)."""
    v = value.strip()
    if v.startswith("#") or v.lower().startswith("data:"):
        return True
    return not v.startswith("//") and ":" not in v.split("/", 1)[0] and "\\\\" not in v


def full_page_screenshot(driver: Any, path: Path) -> Path:
    """The whole page (not just the viewport) as a PNG at `path`."""
    import base64

    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics["cssContentSize"]
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def _grade_builders() -> Any:
    """tests/grader/grade_builders.py (kept in step with Grade by the grader's own tests)."""
    import importlib.util
    import sys

    if "grade_builders" in sys.modules:
        return sys.modules["grade_builders"]
    spec = importlib.util.spec_from_file_location(
        "grade_builders", ROOT / "tests" / "grader" / "grade_builders.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["grade_builders"] = module
    spec.loader.exec_module(module)
    return module


def write_picture_pages(out: Path) -> tuple[Path, Path, int]:
    """A report and an index with one picture of every kind, written into `out`.

    Returns (index path, report path, number of pictures the report must show); a hidden check
    is given a picture too, which the report must not show.
    """
    import base64

    import numpy as np

    from grader.plots import (
        Run,
        check_counts,
        error_heatmap,
        loss_curves,
        pass_rates,
        score_histogram,
        thumbnail,
        trajectory,
    )
    from grader.report import write_index, write_report
    from grader.report_paths import report_relpath

    rng = np.random.default_rng(8)
    steps = np.arange(120)
    runs = [Run(label, 2.0 * np.exp(-steps / tau)[1:], 2.0 * np.exp(-steps / tau)[:-1])
            for label, tau in (("GD, 1 variable", 60.0), ("Adam, 2 variables", 15.0))]
    expected = rng.standard_normal((2, 6, 5, 4, 3))
    got = np.roll(expected, 1, axis=2)  # a result shifted by one along y
    path = np.cumsum(rng.normal(0.05, 0.1, (51, 3)), axis=0)
    curves = loss_curves(runs, title="train_linreg: loss per step")
    figure_png = base64.b64decode(curves.src.partition(",")[2])
    pictures = {
        "train_linreg": [curves],
        "forward": [error_heatmap(got, expected, axis_names=("b", "x", "y", "t", "c"),
                                  plane=("x", "y"), title="out")],
        "adam_chain": [trajectory(path * 1.2, path, title="adam_chain: theta")],
        "figure": [thumbnail("image/png", base64.b64encode(figure_png).decode("ascii"))],
        "adam_hidden": [curves],
    }
    gb = _grade_builders()
    checks = (
        gb.make_check(id="train_linreg", status="fail", points=0.0, message=(
            "train (case 2: linreg, d=1, N=31, adam, lr=0.0423, 100 epochs): losses differ at "
            "index 3: got 0.06608223369, expected 0.4183982369")),
        gb.make_check(id="forward", status="fail", points=0.0, max_points=4.0,
                      message="conv3d_forward (case 1): output [0]: largest error 3.1"),
        gb.make_check(id="adam_chain", status="fail", points=0.0, max_points=0.5,
                      message="adam_step (case 1: 50 steps): got -0.0787, expected 0.4147"),
        gb.make_check(id="figure", status="pass", points=0.5, max_points=0.5,
                      message="2 figure(s) found"),
        gb.make_check(id="adam_hidden", status="fail", points=0.0, visible=False,
                      message="secret"),
    )
    grade = gb.make_grade(checks=checks, score=0.5, max_score=7.0)
    relpath = report_relpath(grade.file)
    report = write_report(out, grade, relpath, title="Pictures", pictures=pictures)
    scores = np.clip(np.round(rng.normal(3.5, 1.2, 300) * 2) / 2, 0, 5)
    counts = check_counts((c, str(s)) for c in ("adam_step", "adam_chain", "gd_step", "figure")
                          for s in rng.choice(["pass", "fail", "error", "not-run"], 300))
    index = write_index(out, [grade], {grade.file: relpath}, generated_at="2026-01-01T00:00:00Z",
                        grader_version="test", pictures={"adam": [
                            score_histogram(scores, 5.0, title="adam"),
                            pass_rates(counts, title="adam: checks")]})
    return index, report, 4
