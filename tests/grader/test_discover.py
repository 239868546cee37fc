"""discover: which files of a submissions folder are uploads."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from grader.discover import (
    HIDDEN_FOLDER,
    HIDDEN_NAME,
    LINKED_FOLDER,
    TRAILING_NAME,
    discover,
    find,
)
from grader.errors import UsageError


def make_tree(root: Path, files: list[str]) -> None:
    """Create each relative path (a trailing "/" makes a folder) with its own path as content."""
    for rel in files:
        path = root / rel
        if rel.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(rel)


# (files in the tree, the rels discover lists)
CASES = [
    (["a.ipynb", "b.zip"], ["a.ipynb", "b.zip"]),
    (["group1/a.ipynb", "group1/deep/er/b.zip", "c.ipynb"],
     ["c.ipynb", "group1/a.ipynb", "group1/deep/er/b.zip"]),
    (["notes.txt", "a.pdf", "a.ipynb.bak", "ipynb", "a.ipynb"], ["a.ipynb"]),
    ([".hidden.ipynb", ".secret/a.ipynb", "sub/.b.zip", "ok.ipynb"], ["ok.ipynb"]),
    ([".ipynb_checkpoints/a-checkpoint.ipynb", "sub/.ipynb_checkpoints/b-checkpoint.ipynb",
      "sub/b.ipynb"], ["sub/b.ipynb"]),
    (["SHEET06_1234567.ZIP", "Adam.IPYNB"], ["Adam.IPYNB", "SHEET06_1234567.ZIP"]),
    (["folder.ipynb/inside.ipynb"], ["folder.ipynb/inside.ipynb"]),
    (["empty/"], []),
]


@pytest.mark.parametrize(("files", "expected"), CASES, ids=[
    "top-level", "recurses-and-sorts", "ignores-other-files", "skips-dotfiles",
    "skips-checkpoints", "suffix-any-case", "folder-named-like-upload", "empty"])
def test_discover_lists_uploads(tmp_path: Path, files: list[str], expected: list[str]) -> None:
    make_tree(tmp_path, files)
    assert [u.rel for u in discover(tmp_path)] == expected


def test_upload_records_path_hash_and_size(tmp_path: Path) -> None:
    make_tree(tmp_path, ["g/a.ipynb"])
    (upload,) = discover(tmp_path)
    content = (tmp_path / "g/a.ipynb").read_bytes()
    assert upload.path == tmp_path / "g" / "a.ipynb" and upload.path.is_absolute()
    assert upload.sha256 == hashlib.sha256(content).hexdigest()
    assert (upload.size, upload.kind) == (len(content), "file")


@pytest.mark.parametrize("skip", ["graded", "./graded/../graded"], ids=["plain", "unnormalised"])
def test_discover_skips_the_output_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          skip: str) -> None:
    make_tree(tmp_path, ["a.ipynb", "graded/reports/a.ipynb", "graded/x.zip", "gradedx/b.zip"])
    monkeypatch.chdir(tmp_path)
    assert [u.rel for u in discover(Path("."), skip=(Path(skip),))] == ["a.ipynb", "gradedx/b.zip"]


def test_symlinks_are_listed_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    make_tree(outside, ["secret.ipynb", "dir/other.ipynb"])
    subs = tmp_path / "subs"
    make_tree(subs, ["real.ipynb"])
    (subs / "link.ipynb").symlink_to(outside / "secret.ipynb")
    (subs / "linked_dir").symlink_to(outside / "dir", target_is_directory=True)
    found = {u.rel: u for u in discover(subs)}
    assert sorted(found) == ["link.ipynb", "real.ipynb"]
    link = found["link.ipynb"]
    assert link.kind == "symlink"
    assert link.sha256 == hashlib.sha256(os.fsencode(outside / "secret.ipynb")).hexdigest()


def test_special_files_are_listed_without_opening(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.ipynb")                 # opening it would block forever
    (upload,) = discover(tmp_path)
    assert (upload.rel, upload.kind, upload.sha256) == ("pipe.ipynb", "other", "")


def test_discover_needs_a_folder(tmp_path: Path) -> None:
    (tmp_path / "a.ipynb").write_text("{}")
    for bad in (tmp_path / "missing", tmp_path / "a.ipynb"):
        with pytest.raises(UsageError, match="not a folder"):
            discover(bad)


def write_raw(folder: Path, name: bytes, data: bytes = b"{}") -> None:
    """Create `folder/name` for a name given as bytes (which may not be valid UTF-8)."""
    path = os.path.join(os.fsencode(folder), name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)


def test_a_name_that_is_not_utf8_is_listed_escaped_and_read_by_its_real_path(
        tmp_path: Path) -> None:
    write_raw(tmp_path, b"bad\xff\xfename.ipynb", b"content")
    make_tree(tmp_path, ["good.ipynb"])
    bad, good = discover(tmp_path)
    assert (bad.rel, bad.undecodable, good.rel, good.undecodable) == (
        "bad%FF%FEname.ipynb", True, "good.ipynb", False)
    bad.rel.encode("utf-8")                       # safe for JSON, CSV, SQLite and terminals
    assert os.fsencode(bad.path).endswith(b"/bad\xff\xfename.ipynb")
    assert bad.sha256 == hashlib.sha256(b"content").hexdigest() and bad.size == 7


def test_a_folder_name_that_is_not_utf8_is_only_escaped(tmp_path: Path) -> None:
    write_raw(tmp_path, b"gr\xe9gory/a.ipynb")
    (upload,) = discover(tmp_path)
    assert (upload.rel, upload.undecodable) == ("gr%E9gory/a.ipynb", False)


def test_escaped_names_stay_distinct_from_real_ones(tmp_path: Path) -> None:
    write_raw(tmp_path, b"a\xff.ipynb")
    write_raw(tmp_path, b"a%FF.ipynb")            # a valid name that looks like the escaped one
    write_raw(tmp_path, b"a%FF\xff.ipynb")
    write_raw(tmp_path, b"a\xff%FF.ipynb")        # both escape to a%FF%FF.ipynb
    found = {u.rel: u for u in discover(tmp_path)}
    assert sorted(found) == ["a%FF%FF.ipynb", "a%FF%FF~2.ipynb", "a%FF.ipynb", "a%FF~2.ipynb"]
    assert not found["a%FF.ipynb"].undecodable and found["a%FF~2.ipynb"].undecodable
    assert os.fsencode(found["a%FF~2.ipynb"].path).endswith(b"/a\xff.ipynb")


# ----------------------------------------------------------------------------- not graded
NOT_GRADED = [
    (["a.ipynb ", "b.zip.", "c.ipynb. .", "d.IPYNB  ", "ok.ipynb"],
     [("a.ipynb ", TRAILING_NAME.format(tail=" ", suffix=".ipynb")),
      ("b.zip.", TRAILING_NAME.format(tail=".", suffix=".zip")),
      ("c.ipynb. .", TRAILING_NAME.format(tail=". .", suffix=".ipynb")),
      ("d.IPYNB  ", TRAILING_NAME.format(tail="  ", suffix=".IPYNB"))]),
    ([".hidden.ipynb", "sub/.b.zip", ".DS_Store", "sub/.notes.txt"],
     [(".hidden.ipynb", HIDDEN_NAME), ("sub/.b.zip", HIDDEN_NAME)]),
    ([".secret/a.ipynb", ".secret/deep/b.zip ", "g/.old/c.ipynb", ".secret/readme.md"],
     [(".secret/a.ipynb", HIDDEN_FOLDER.format(folder=".secret/")),
      (".secret/deep/b.zip ", HIDDEN_FOLDER.format(folder=".secret/")),
      ("g/.old/c.ipynb", HIDDEN_FOLDER.format(folder="g/.old/"))]),
    ([".ipynb_checkpoints/a-checkpoint.ipynb", "sub/.ipynb_checkpoints/b-checkpoint.ipynb",
      ".git/x.ipynb", "notes.ipynb.txt", "a.ipynb"], []),
]


@pytest.mark.parametrize(("files", "expected"), NOT_GRADED, ids=[
    "trailing-space-or-dot", "hidden-name", "in-hidden-folder", "silently-skipped"])
def test_what_looks_like_an_upload_but_is_not_graded_is_listed(
        tmp_path: Path, files: list[str], expected: list[tuple[str, str]]) -> None:
    make_tree(tmp_path, files)
    found = find(tmp_path)
    assert [(n.rel, n.reason) for n in found.not_graded] == expected
    assert not {n.rel for n in found.not_graded} & {u.rel for u in found.uploads}


def test_a_linked_folder_is_listed_not_entered(tmp_path: Path) -> None:
    make_tree(tmp_path / "outside", ["a.ipynb"])
    subs = tmp_path / "subs"
    make_tree(subs, ["real.ipynb"])
    (subs / "week3").symlink_to(tmp_path / "outside", target_is_directory=True)
    found = find(subs)
    assert [u.rel for u in found.uploads] == ["real.ipynb"]
    assert [(n.rel, n.reason) for n in found.not_graded] == [("week3/", LINKED_FOLDER)]


def test_the_output_folder_is_never_listed(tmp_path: Path) -> None:
    make_tree(tmp_path, ["a.ipynb", "graded/.x/b.ipynb", "graded/c.ipynb "])
    found = find(tmp_path, skip=(tmp_path / "graded",))
    assert ([u.rel for u in found.uploads], found.not_graded) == (["a.ipynb"], ())

