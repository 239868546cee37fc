"""The documents in docs/: the rubric key table matches the loader, every link and citation lands.

Anchors are computed as GitHub computes them for headings (lower case, punctuation other than
'-' and '_' dropped, spaces turned into '-'), so a docstring citing
docs/exercises.md#errors-in-the-sheets-worked-solutions is checked against the heading it names.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tools_loader import tool

from grader.rubric import describe_keys

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
CITING = ("reference", "grader", "rubrics", "tests", "tools", "docs/example-course")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CITATION = re.compile(r"\bdocs/([\w./-]+\.md)(#[\w-]+)?")
FENCE = re.compile(r"^\s*```")


def prose(text: str) -> list[str]:
    """The lines of a markdown text outside fenced code blocks."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's text."""
    text = heading.strip().replace("`", "").replace("*", "").lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    found: set[str] = set()
    for line in prose(page.read_text(encoding="utf-8")):
        heading = re.match(r"#{1,6} (.+)", line)
        if heading:
            base = slug(heading[1])
            name, n = base, 1
            while name in found:
                name, n = f"{base}-{n}", n + 1
            found.add(name)
    return found


@pytest.mark.parametrize(("heading", "anchor"), [
    ("Errors in the sheets' worked solutions", "errors-in-the-sheets-worked-solutions"),
    ("000 Ex 4.1: vanishing and exploding gradients",
     "000-ex-41-vanishing-and-exploding-gradients"),
    ("Team information (from 0.2)", "team-information-from-02"),
    ("grades.json", "gradesjson"),
    ("`adam_step`", "adam_step"),
], ids=["apostrophe", "colon-and-dot", "parentheses", "file-name", "code"])
def test_slug_follows_github(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor


def test_the_rubric_key_table_is_generated_from_describe_keys() -> None:
    keys = tool("rubric_keys_table")
    table = keys.table_in((DOCS / "add-an-assignment.md").read_text(encoding="utf-8"))
    assert table == keys.render(describe_keys()), (
        "docs/add-an-assignment.md is out of date: run python tools/rubric_keys_table.py")
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert len(rows) == len(describe_keys().splitlines())


def test_the_table_renderer_refuses_a_line_it_cannot_read() -> None:
    with pytest.raises(ValueError, match="cannot read"):
        tool("rubric_keys_table").render("id: no type and no default")


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_relative_link_and_anchor_exists(page: Path) -> None:
    broken = []
    for line in prose(page.read_text(encoding="utf-8")):
        for target in LINK.findall(line):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            path, _, anchor = target.partition("#")
            dest = (page.parent / path).resolve() if path else page
            if not dest.exists():
                broken.append(f"{target}: no such file")
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                broken.append(f"{target}: no heading with anchor #{anchor}")
    assert not broken, f"{page.name}: " + "; ".join(broken)


def _citations() -> list[tuple[str, str, str]]:
    found = []
    for folder in CITING:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in (".py", ".toml", ".md") or "__pycache__" in path.parts:
                continue
            for page, anchor in CITATION.findall(path.read_text(encoding="utf-8")):
                found.append((str(path.relative_to(ROOT)), page, anchor.lstrip("#")))
    return found


def test_code_cites_the_docs_and_every_citation_lands() -> None:
    citations = _citations()
    assert len({c[0] for c in citations}) >= 10   # reference/, rubrics/, grader/assignments/
    broken = [f"{where}: docs/{page}#{anchor}" for where, page, anchor in citations
              if not (DOCS / page).is_file() or (anchor and anchor not in anchors(DOCS / page))]
    assert not broken, "citations of missing documents or headings: " + ", ".join(broken)


def test_no_code_cites_the_documents_that_live_outside_the_repository() -> None:
    outside = re.compile(r"\b(CONTRACT|ASSIGNMENTS|EXERCISES|STYLE)\.md\b")
    allowed = {"tests/docs/test_docs.py"}
    folders = ("reference", "rubrics", "grader", "tests", "docs")
    hits = [f"{path.relative_to(ROOT)}" for folder in folders
            for path in sorted((ROOT / folder).rglob("*"))
            if path.suffix in (".py", ".toml", ".md") and str(path.relative_to(ROOT)) not in allowed
            and outside.search(path.read_text(encoding="utf-8"))]
    assert not hits, "cites a document users never see: " + ", ".join(hits)
