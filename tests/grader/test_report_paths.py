"""grader.report_paths: where each upload's report goes; distinct, safe and short enough."""

from __future__ import annotations

import os

import pytest

from grader.report_paths import NAME_MAX, fit_report_paths, report_paths, report_relpath


@pytest.mark.parametrize(
    ("rel", "expected"),
    [("a.ipynb", "reports/a.html"),
     ("adam/g1/a.ipynb", "reports/adam/g1/a.html"),
     ("x.y.zip", "reports/x.y.html"),
     ("no_extension", "reports/no_extension.html")],
    ids=["top", "subfolders", "dotted", "bare"],
)
def test_report_relpath(rel: str, expected: str) -> None:
    assert report_relpath(rel) == expected


@pytest.mark.parametrize("rel", ["../escape.ipynb", "/abs/a.ipynb", "a/../../b.ipynb", ""])
def test_report_relpath_refuses_escaping_paths(rel: str) -> None:
    with pytest.raises(ValueError):
        report_relpath(rel)


@pytest.mark.parametrize(
    ("rels", "expected"),
    [(["d/a.zip", "d/a.ipynb"],
      {"d/a.ipynb": "reports/d/a.html", "d/a.zip": "reports/d/a.zip.html"}),
     (["a.ipynb", "b/a.zip"], {"a.ipynb": "reports/a.html", "b/a.zip": "reports/b/a.html"}),
     (["a.ipynb", "a.zip", "a.zip.ipynb"],
      {"a.ipynb": "reports/a.html", "a.zip": "reports/a.zip.html",
       "a.zip.ipynb": "reports/a.zip.ipynb.html"}),
     (["A.ipynb", "a.ipynb"], {"A.ipynb": "reports/A.html", "a.ipynb": "reports/a.html"}),
     (["x.ipynb", "x.html/y.ipynb"],
      {"x.ipynb": "reports/x.ipynb.html", "x.html/y.ipynb": "reports/x.html/y.html"})],
    ids=["extension-collision", "other-folder", "chained-collision", "case-distinct",
         "file-vs-folder"],
)
def test_report_paths_are_distinct(rels: list[str], expected: dict[str, str]) -> None:
    assert report_paths(rels) == expected
    assert report_paths(list(reversed(rels))) == expected  # independent of input order


def test_a_part_too_long_for_the_disk_is_shortened_and_stays_distinct() -> None:
    long_a, long_b = "a" * 300 + "1.ipynb", "a" * 300 + "2.ipynb"
    paths = report_paths([long_a, long_b, "short.ipynb"])
    assert paths["short.ipynb"] == "reports/short.html"
    names = [paths[long_a].split("/")[-1], paths[long_b].split("/")[-1]]
    assert names[0] != names[1]
    assert all(len(os.fsencode(n)) <= NAME_MAX and n.endswith(".html") for n in names)
    assert fit_report_paths({"x": "reports/ok.html"}) == {"x": "reports/ok.html"}
