"""intake: file names, notebook format, zip safety and team information (nothing executed)."""

from __future__ import annotations

import json
import os
import stat
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any, Callable

import pytest
from builders import code_cell, notebook_bytes, notebook_dict, v3_notebook_bytes
from rubric_builders import (
    ADAM_EXPECTED,
    ADAM_NAME,
    PDF,
    PLACEHOLDER,
    TEAM_CELL,
    XOR_EXPECTED,
    XOR_NAME,
    good_xor_members,
    make_rubric,
    make_upload,
    make_xor_rubric,
    zip_bytes,
)

from grader.discover import Upload, discover
from grader.intake import Accepted, Rejected, intake
from grader.rubric import Limits, TeamRule, ZipRule

RUBRICS = (make_rubric(), make_xor_rubric())


def rejected(verdict: Accepted | Rejected) -> str:
    """All messages of a rejection, joined (fails the test if the upload was accepted)."""
    assert isinstance(verdict, Rejected), f"expected a rejection, got {verdict}"
    return "\n".join(verdict.messages)


# ----------------------------------------------------------------------------- file names
def test_correct_name_is_accepted_with_group_as_written(tmp_path: Path) -> None:
    data = notebook_bytes()
    verdict = intake(make_upload(tmp_path, ADAM_NAME, data), RUBRICS)
    assert isinstance(verdict, Accepted)
    assert (verdict.rubric.id, verdict.group, verdict.notebook_name) == ("adam", "07", ADAM_NAME)
    assert verdict.files == ((ADAM_NAME, data),) and verdict.listing == ()
    assert verdict.notebook.nbformat == 4 and verdict.notebook.cells[1].source == "x = 1"


def test_upload_in_a_subfolder_is_matched_by_its_basename(tmp_path: Path) -> None:
    (tmp_path / "g07").mkdir()
    upload = make_upload(tmp_path / "g07", ADAM_NAME, notebook_bytes())
    verdict = intake(Upload(upload.path, f"g07/{ADAM_NAME}", upload.sha256, upload.size), RUBRICS)
    assert isinstance(verdict, Accepted) and verdict.notebook_name == ADAM_NAME


@pytest.mark.parametrize(("name", "expected", "hint"), [
    ("adam_regression_classification_solved_group_7.ipynb", ADAM_EXPECTED, ""),
    ("adam_regression_solved_group_07.ipynb", ADAM_EXPECTED, ""),
    ("adam_regression_classification_solved_group_07.IPYNB", ADAM_EXPECTED, "case-sensitive"),
    ("adam_regression_classification_solved_group_07 (1).ipynb", ADAM_EXPECTED, ""),
    ("adam_regression_classification_solved_group_07.ipynb.zip", ADAM_EXPECTED, ""),
    ("sheet6_1234567.zip", XOR_EXPECTED, ""),
    ("sheet06_123456.zip", XOR_EXPECTED, ""),
], ids=["one-digit-group", "wrong-prefix", "upper-case-suffix", "extra-suffix", "double-suffix",
        "xor-wrong-sheet", "xor-six-digit-id"])
def test_misnamed_upload_names_the_closest_expected_name(tmp_path: Path, name: str,
                                                         expected: str, hint: str) -> None:
    verdict = intake(make_upload(tmp_path, name, notebook_bytes()), RUBRICS)
    text = rejected(verdict)
    assert isinstance(verdict, Rejected) and verdict.rubric is None and verdict.group is None
    assert text.startswith(f"file name: expected {expected}; got {name}.")
    assert hint in text and "Rename the file" in text


def test_misnamed_message_for_the_contract_example(tmp_path: Path) -> None:
    name = "adam_regression_classification_solved_group_7.ipynb"
    text = rejected(intake(make_upload(tmp_path, name, notebook_bytes()), RUBRICS))
    assert text.startswith("file name: expected adam_regression_classification_solved_group_NN"
                           ".ipynb with a two-digit group number NN; got "
                           "adam_regression_classification_solved_group_7.ipynb")


def test_overlapping_patterns_pick_the_first_rubric_by_id(tmp_path: Path) -> None:
    loose = make_rubric(id="aaa", pattern=r"(?P<group>.*)\.ipynb")
    verdict = intake(make_upload(tmp_path, ADAM_NAME, notebook_bytes()), (RUBRICS[0], loose))
    assert isinstance(verdict, Accepted) and verdict.rubric.id == "aaa"
    assert verdict.group == ADAM_NAME.removesuffix(".ipynb")


def test_no_rubrics_rejects_every_upload(tmp_path: Path) -> None:
    assert "no assignment" in rejected(intake(make_upload(tmp_path, "a.ipynb", b"{}"), ()))


def bad_name_upload(folder: Path, name: bytes, data: bytes) -> Upload:
    """A file whose name is not valid UTF-8, as `discover` lists it."""
    with open(os.path.join(os.fsencode(folder), name), "wb") as fh:
        fh.write(data)
    (upload,) = discover(folder)
    return upload


def test_a_name_that_is_not_utf8_is_rejected_naming_the_expected_name(tmp_path: Path) -> None:
    upload = bad_name_upload(tmp_path, b"adam_regression_classification_solved_group_07\xff.ipynb",
                             notebook_bytes())
    assert upload.undecodable and upload.rel.endswith("_07%FF.ipynb")
    verdict = intake(upload, RUBRICS)
    text = rejected(verdict)
    assert isinstance(verdict, Rejected) and (verdict.rubric, verdict.group) == (None, None)
    assert ("file name: the file name adam_regression_classification_solved_group_07%FF.ipynb "
            "is not valid UTF-8 text") in text
    assert f"expected {ADAM_EXPECTED}" in text and "Rename the file" in text


def test_a_raw_surrogate_name_is_rejected_too(tmp_path: Path) -> None:
    """`grade check` builds its Upload from the path itself (a surrogate-escaped name)."""
    path = Path(os.fsdecode(os.path.join(os.fsencode(tmp_path), b"bad\xff\xfename.ipynb")))
    path.write_bytes(notebook_bytes())
    verdict = intake(Upload(path, path.name, "0" * 64, path.stat().st_size), RUBRICS)
    assert "the file name bad%FF%FEname.ipynb is not valid UTF-8" in rejected(verdict)


def test_a_name_that_is_not_utf8_with_no_rubrics(tmp_path: Path) -> None:
    upload = bad_name_upload(tmp_path, b"bad\xff.ipynb", b"{}")
    assert "no assignment accepts uploads" in rejected(intake(upload, ()))


# ----------------------------------------------------------------------------- notebook format
def nb_json(**kwargs: Any) -> bytes:
    return notebook_bytes(**kwargs)


def without_ids() -> bytes:
    data = notebook_dict()
    for cell in data["cells"]:
        del cell["id"]
    return json.dumps(data).encode()


def duplicate_ids() -> bytes:
    data = notebook_dict(cells=[code_cell("x = 1"), code_cell("y = 2")])
    for cell in data["cells"]:
        cell["id"] = "same"
    return json.dumps(data).encode()


def older_minor_with_ids(minor: int, duplicate: bool = False) -> bytes:
    """What VS Code and jupytext save: an older nbformat_minor, yet cells with ids."""
    data = notebook_dict(cells=[code_cell("x = 1"), code_cell("y = 2")])
    data["nbformat_minor"] = minor
    if duplicate:
        for cell in data["cells"]:
            cell["id"] = "same"
    assert all("id" in cell for cell in data["cells"])
    return json.dumps(data).encode()


ACCEPTED_NOTEBOOKS: list[tuple[str, Callable[[], bytes]]] = [
    ("v4.2-with-ids-vscode", lambda: older_minor_with_ids(2)),
    ("v4.4-with-duplicate-ids", lambda: older_minor_with_ids(4, duplicate=True)),
    ("plain-v4.5", nb_json),
    ("utf8-bom", lambda: b"\xef\xbb\xbf" + nb_json()),
    ("v4.4-without-ids", lambda: nb_json(minor=4)),
    ("v4.5-missing-ids-repaired", without_ids),
    ("v4.5-duplicate-ids-repaired", duplicate_ids),
    ("nbformat-3-upgraded", v3_notebook_bytes),
    ("source-as-lines", lambda: nb_json(cells=[code_cell(["x = 1\n", "y = 2"])])),
    ("no-code-cell", lambda: nb_json(cells=[])),
    ("non-ascii", lambda: nb_json(first="# Team\nJürgen Ørsted 名前")),
]


@pytest.mark.parametrize("make", [c[1] for c in ACCEPTED_NOTEBOOKS],
                         ids=[c[0] for c in ACCEPTED_NOTEBOOKS])
def test_valid_notebooks_are_accepted_as_v4(tmp_path: Path, make: Callable[[], bytes]) -> None:
    verdict = intake(make_upload(tmp_path, ADAM_NAME, make()), RUBRICS)
    assert isinstance(verdict, Accepted), verdict
    nb = verdict.notebook
    assert nb.nbformat == 4
    assert all(isinstance(c.source, str) for c in nb.cells)
    if nb.nbformat_minor >= 5:
        assert len({c.id for c in nb.cells}) == len(nb.cells)


def not_a_notebook_cell() -> bytes:
    data = notebook_dict()
    del data["cells"][1]["source"]
    return json.dumps(data).encode()


REJECTED_NOTEBOOKS: list[tuple[str, Callable[[], bytes], str]] = [
    ("malformed-json", lambda: nb_json()[:-10], "is not valid JSON (line 1"),
    ("empty-file", lambda: b"", "is not valid JSON"),
    ("not-utf8", lambda: nb_json(first="# Team\nJürgen").replace("ü".encode(), b"\xfc"),
     "is not UTF-8 text (byte 0xfc"),
    ("utf16", lambda: nb_json().decode().encode("utf-16"), "is not UTF-8 text"),
    ("nbformat-2", lambda: json.dumps({"nbformat": 2, "worksheets": []}).encode(),
     "is in notebook format 2; the grader reads format 4"),
    ("nbformat-5", lambda: nb_json(nbformat=5), "is in notebook format 5"),
    ("nbformat-string", lambda: nb_json(nbformat="4"), "is in notebook format '4'"),
    ("json-list", lambda: b"[1, 2, 3]", "is not a Jupyter notebook"),
    ("json-object-not-notebook", lambda: b'{"name": "adam"}', "is not a Jupyter notebook"),
    ("schema-violation", not_a_notebook_cell, "cell 2: 'source' is a required property"),
    ("cells-not-a-list", lambda: json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                                             "cells": 5}).encode(), "is not a valid nbformat 4"),
    ("bad-v3", lambda: json.dumps({"nbformat": 3, "worksheets": 1}).encode(),
     "is not a valid nbformat 3"),
    ("deeply-nested", lambda: b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ("deep-metadata", lambda: nb_json()[:-1] + b', "x": ' + b"[" * 500 + b"]" * 500 + b"}",
     "is nested more than 100 levels deep"),
]


@pytest.mark.parametrize(("make", "fragment"), [c[1:] for c in REJECTED_NOTEBOOKS],
                         ids=[c[0] for c in REJECTED_NOTEBOOKS])
def test_malformed_notebooks_are_rejected(tmp_path: Path, make: Callable[[], bytes],
                                          fragment: str) -> None:
    verdict = intake(make_upload(tmp_path, ADAM_NAME, make()), RUBRICS)
    text = rejected(verdict)
    assert isinstance(verdict, Rejected) and verdict.rubric is RUBRICS[0] and verdict.group == "07"
    assert text.startswith(f"notebook format: {ADAM_NAME} ")
    assert fragment in text and ("save it" in text or "Upload the .ipynb file" in text)


@pytest.mark.parametrize(("size", "limit_mb", "ok"), [
    (999_000, 1.0, True), (1_000_001, 1.0, False), (3000, 0.001, False),
], ids=["under", "just-over", "tiny-cap"])
def test_upload_size_cap(tmp_path: Path, size: int, limit_mb: float, ok: bool) -> None:
    data = nb_json(cells=[code_cell("#" + "x" * 100)])
    data = data[:-1] + b" " * (size - len(data)) + b"}"
    rubric = make_rubric(limits=Limits(max_upload_mb=limit_mb))
    verdict = intake(make_upload(tmp_path, ADAM_NAME, data), (rubric,))
    if ok:
        assert isinstance(verdict, Accepted)
    else:
        assert f"the limit is {limit_mb:g} MB" in rejected(verdict)


def test_size_cap_holds_when_the_file_grew_after_discovery(tmp_path: Path) -> None:
    upload = make_upload(tmp_path, ADAM_NAME, nb_json())
    upload.path.write_bytes(b" " * 2000 + nb_json())
    rubric = make_rubric(limits=Limits(max_upload_mb=0.001))
    assert "file size:" in rejected(intake(upload, (rubric,)))


def test_symlinked_upload_is_rejected(tmp_path: Path) -> None:
    target = make_upload(tmp_path, "real.ipynb", nb_json())
    link = tmp_path / ADAM_NAME
    link.symlink_to(target.path)
    upload = Upload(link, ADAM_NAME, "0" * 64, 10, "symlink")
    assert "symbolic links are not accepted" in rejected(intake(upload, RUBRICS))
    # Listed as a regular file but swapped for a link before intake reads it:
    raced = Upload(link, ADAM_NAME, "0" * 64, 10, "file")
    assert "symbolic links" in rejected(intake(raced, RUBRICS))


# ----------------------------------------------------------------------------- team information
@pytest.mark.parametrize(("first", "cells", "fragment"), [
    (None, [], "team information: the notebook has no cells; the first cell must list the name"),
    ("   \n", [code_cell(""), code_cell([" ", "\t\n"])],
     "team information: every cell of the notebook is empty; write the name of every group member"),
    (f"# Team\n{PLACEHOLDER}", None, f"the first cell still says '{PLACEHOLDER}'; replace it with"),
    ("# team\nyour names here", None, "still says"),
    ("", [code_cell(" \n"), code_cell(f"# {PLACEHOLDER}")],
     f"team information: cell 3 (the first cell that is not empty) still says '{PLACEHOLDER}'"),
], ids=["no-cells", "only-empty-cells", "placeholder", "placeholder-any-case",
        "placeholder-after-empty-cells"])
def test_team_information_is_required(tmp_path: Path, first: str | None,
                                      cells: list[dict[str, Any]] | None, fragment: str) -> None:
    verdict = intake(make_upload(tmp_path, ADAM_NAME, nb_json(first=first, cells=cells)), RUBRICS)
    assert fragment in rejected(verdict)


@pytest.mark.parametrize("before", [
    [code_cell("")], [code_cell("   \n\t")], [code_cell(["", " "])],
    [{"cell_type": "markdown", "metadata": {}, "source": "\n"}, code_cell("")],
], ids=["empty-code", "whitespace-code", "empty-lines-list", "empty-markdown-and-code"])
def test_empty_cells_before_the_team_cell_are_skipped(tmp_path: Path,
                                                      before: list[dict[str, Any]]) -> None:
    """A Colab export starts with an empty code cell: the team cell is the first that is not."""
    rubric = make_xor_rubric()
    notebook = notebook_bytes(first=None, cells=[*before, {"cell_type": "markdown", "metadata": {},
                                                           "source": TEAM_CELL},
                                                 code_cell("x = 1")])
    upload = make_upload(tmp_path, XOR_NAME, zip_bytes([("sheet06.ipynb", notebook),
                                                        ("answers.pdf", PDF)]))
    assert isinstance(intake(upload, (rubric,)), Accepted)


def test_team_cell_other_than_the_first(tmp_path: Path) -> None:
    rubric = make_rubric(team=TeamRule(cell=2, placeholder="TODO"))
    data = nb_json(first="# Sheet 4", cells=[code_cell(""), code_cell("# TODO")])
    assert "cell 3 (cell 2 that is not empty) still says 'TODO'" in rejected(
        intake(make_upload(tmp_path, ADAM_NAME, data), (rubric,)))


def test_team_cell_beyond_the_notebook(tmp_path: Path) -> None:
    rubric = make_rubric(team=TeamRule(cell=3))
    data = nb_json(first="# Ada", cells=[code_cell("x = 1"), code_cell(" ")])
    assert ("the notebook has only 2 cell(s) that are not empty; cell 3 of those must list"
            in rejected(intake(make_upload(tmp_path, ADAM_NAME, data), (rubric,))))


def test_rubric_without_team_rule_accepts_any_first_cell(tmp_path: Path) -> None:
    rubric = make_rubric(team=None)
    data = nb_json(first=None, cells=[])
    assert isinstance(intake(make_upload(tmp_path, ADAM_NAME, data), (rubric,)), Accepted)


# ----------------------------------------------------------------------------- zips
def xor_upload(tmp_path: Path, members: list[tuple[Any, bytes]], name: str = XOR_NAME,
               ) -> Upload:
    return make_upload(tmp_path, name, zip_bytes(members))


def test_good_zip_at_top_level_is_accepted(tmp_path: Path) -> None:
    verdict = intake(xor_upload(tmp_path, good_xor_members()), RUBRICS)
    assert isinstance(verdict, Accepted), verdict
    assert (verdict.rubric.id, verdict.group) == ("xor", "1234567_7654321")
    assert verdict.notebook_name == "sheet06.ipynb"
    assert [n for n, _ in verdict.files] == ["answers.pdf", "sheet06.ipynb"]
    assert dict(verdict.files)["answers.pdf"] == PDF
    assert verdict.listing == (f"answers.pdf ({len(PDF)} B)",
                               f"sheet06.ipynb ({len(good_xor_members()[0][1])} B)")
    assert verdict.notebook.cells[0].source == TEAM_CELL


def test_good_zip_in_one_folder_ignores_mac_and_hidden_entries(tmp_path: Path) -> None:
    members = good_xor_members("Sheet06/") + [
        ("__MACOSX/Sheet06/._sheet06.ipynb", b"\x00\x05junk"),
        ("Sheet06/.DS_Store", b"\x00junk"),
        ("Sheet06/.ipynb_checkpoints/sheet06-checkpoint.ipynb", b"{}"),
        ("Sheet06/data/xor.csv", b"0,0,0\n"),
        ("Sheet06/readme.txt", b"hi"),
    ]
    verdict = intake(xor_upload(tmp_path, [("Sheet06/", b"")] + members), RUBRICS)
    assert isinstance(verdict, Accepted), verdict
    assert [n for n, _ in verdict.files] == ["answers.pdf", "data/xor.csv", "readme.txt",
                                               "sheet06.ipynb"]


def test_pdf_and_notebook_suffixes_match_in_any_case(tmp_path: Path) -> None:
    members = [("Sheet06.IPYNB", notebook_bytes(first=TEAM_CELL)), ("Answers.PDF", PDF)]
    verdict = intake(xor_upload(tmp_path, members), RUBRICS)
    assert isinstance(verdict, Accepted) and verdict.notebook_name == "Sheet06.IPYNB"


def member(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = mode << 16
    return info


def symlink_member() -> list[tuple[Any, bytes]]:
    return good_xor_members() + [(member("data.csv", mode=stat.S_IFLNK | 0o777), b"/etc/passwd")]


def windows_member(name: str) -> zipfile.ZipInfo:
    """A member as Windows PowerShell 5.1's Compress-Archive writes it: MS-DOS host, '\\'."""
    info = zipfile.ZipInfo(name)
    info.create_system = 0
    return info


def test_a_windows_zip_with_backslash_folders_is_read_with_its_folder(tmp_path: Path) -> None:
    members = [(windows_member("sheet06\\sheet06.ipynb"), notebook_bytes(first=TEAM_CELL)),
               (windows_member("sheet06\\theory.pdf"), PDF)]
    verdict = intake(xor_upload(tmp_path, members), RUBRICS)
    assert isinstance(verdict, Accepted), verdict
    assert verdict.notebook_name == "sheet06.ipynb"
    assert [n for n, _ in verdict.files] == ["sheet06.ipynb", "theory.pdf"]


BAD_ZIPS: list[tuple[str, Callable[[], list[tuple[Any, bytes]]], str]] = [
    ("windows-dot-dot", lambda: good_xor_members() + [(windows_member("a\\..\\..\\evil.py"), b"x")],
     "member 'a/../../evil.py' contains '..'"),
    ("windows-drive", lambda: good_xor_members() + [(windows_member("C:\\evil.py"), b"x")],
     "drive letter"),
    ("dot-dot", lambda: good_xor_members() + [("../evil.py", b"x")],
     "member '../evil.py' contains '..'"),
    ("dot-dot-inside", lambda: good_xor_members("a/") + [("a/../../evil.py", b"x")],
     "contains '..'"),
    ("absolute", lambda: good_xor_members() + [("/etc/cron.d/x", b"x")], "is an absolute path"),
    ("backslash", lambda: good_xor_members() + [("..\\evil.py", b"x")], "contains a backslash"),
    ("drive-letter", lambda: good_xor_members() + [("C:/evil.py", b"x")], "drive letter"),
    ("symlink", symlink_member, "member 'data.csv' is a symbolic link"),
    ("device", lambda: good_xor_members() + [(member("dev", mode=stat.S_IFCHR | 0o666), b"")],
     "is not a regular file"),
    ("duplicate", lambda: good_xor_members() + [("answers.pdf", PDF)],
     "member 'answers.pdf' appears more than once"),
    ("duplicate-case", lambda: good_xor_members() + [("Answers.pdf", PDF)],
     "appears more than once"),
    ("unsafe-in-ignored-entry", lambda: good_xor_members() + [("__MACOSX/../../x", b"x")],
     "contains '..'"),
    ("two-notebooks", lambda: good_xor_members() + [("copy.ipynb", notebook_bytes())],
     "expected exactly 1 notebook file(s) (.ipynb) in the zip; found 2: copy.ipynb, sheet06"),
    ("no-notebook", lambda: [("answers.pdf", PDF)], "expected exactly 1 notebook file(s)"),
    ("no-pdf", lambda: good_xor_members()[:1], "expected exactly 1 PDF file(s) (.pdf) in the "
     "zip; found 0"),
    ("two-pdfs", lambda: good_xor_members() + [("more.pdf", PDF)], "found 2: answers.pdf, more"),
    ("fake-pdf", lambda: [good_xor_members()[0], ("answers.pdf", b"{\\rtf1 answers}")],
     "member 'answers.pdf' is not a PDF (it does not start with '%PDF-')"),
    ("split-folders", lambda: [("nb/sheet06.ipynb", notebook_bytes(first=TEAM_CELL)),
                               ("theory/answers.pdf", PDF)],
     "must be at the top level of the zip or together inside one folder"),
    ("notebook-below-pdf", lambda: [("s/nb/sheet06.ipynb", notebook_bytes(first=TEAM_CELL)),
                                    ("s/answers.pdf", PDF)], "together inside one folder"),
    ("only-ignored-entries", lambda: [("__MACOSX/._a.ipynb", b"x"), (".hidden.pdf", PDF)],
     "found 0"),
    ("bad-notebook", lambda: [("sheet06.ipynb", b"{not json"), ("answers.pdf", PDF)],
     "notebook format: sheet06.ipynb is not valid JSON"),
    ("team-id-missing", lambda: good_xor_members(team="# Team\nAda, 1234567, ada.l"),
     "team information: the first cell does not mention 7654321 from the file name"),
    ("team-id-only-as-substring", lambda: good_xor_members(team="Ada 1234567, Bob 76543210"),
     "does not mention 7654321"),
    ("file-and-folder", lambda: good_xor_members() + [("data", b"x"), ("data/y.txt", b"y")],
     "member 'data' is a file, but 'data/y.txt' uses the same name as a folder"),
    ("folder-then-file", lambda: good_xor_members() + [("data/y.txt", b"y"), ("data", b"x")],
     "member 'data' is a file, but 'data/y.txt' uses the same name as a folder"),
    ("file-and-folder-case", lambda: good_xor_members() + [("Data", b"x"), ("data/y/z.txt", b"y")],
     "member 'Data' is a file, but 'data/y/z.txt' uses the same name"),
    ("file-and-folder-entry", lambda: good_xor_members() + [("data", b"x"), ("data/", b"")],
     "member 'data' is a file, but 'data/' uses the same name as a folder"),
    ("windows-file-and-folder", lambda: good_xor_members() + [
        (windows_member("data"), b"x"), (windows_member("data\\y.txt"), b"y")],
     "member 'data' is a file, but 'data/y.txt' uses the same name as a folder"),
    ("long-name-part", lambda: good_xor_members() + [("d/" + "x" * 252 + ".txt", b"x")],
     "has a file or folder name of 256 bytes (at most 255 are allowed)"),
    ("long-name-part-utf8", lambda: good_xor_members() + [("é" * 128, b"x")],
     "has a file or folder name of 256 bytes"),
    ("long-folder-part", lambda: good_xor_members() + [("f" * 300 + "/a.txt", b"x")],
     "has a file or folder name of 300 bytes"),
    ("long-path", lambda: good_xor_members() + [("/".join(["d" * 200] * 5) + "/a.txt", b"x")],
     "has a path of 1010 bytes (at most 1000 are allowed)"),
]


@pytest.mark.parametrize(("make", "fragment"), [c[1:] for c in BAD_ZIPS],
                         ids=[c[0] for c in BAD_ZIPS])
def test_bad_zips_are_rejected_naming_the_rule(tmp_path: Path, make: Callable[[], Any],
                                               fragment: str) -> None:
    verdict = intake(xor_upload(tmp_path, make()), RUBRICS)
    text = rejected(verdict)
    assert isinstance(verdict, Rejected) and verdict.rubric is RUBRICS[1]
    assert verdict.group == "1234567_7654321"
    assert fragment in text


def test_name_limits_allow_names_at_the_limit(tmp_path: Path) -> None:
    members = good_xor_members() + [("x" * 251 + ".txt", b"x"), ("data/y.txt", b"y"),
                                    ("data/", b""), ("datas", b"z")]
    assert isinstance(intake(xor_upload(tmp_path, members), RUBRICS), Accepted)


def test_a_clash_message_says_how_to_fix_it(tmp_path: Path) -> None:
    members = good_xor_members() + [("data", b"x"), ("data/y.txt", b"y")]
    (message,) = rejected(intake(xor_upload(tmp_path, members), RUBRICS)).splitlines()
    assert message.startswith("zip: member 'data'") and "rename one of them" in message
    assert "create the zip again" in message


def test_several_unsafe_members_are_listed_together(tmp_path: Path) -> None:
    members = good_xor_members() + [("../a", b"x"), ("/b", b"x")]
    verdict = intake(xor_upload(tmp_path, members), RUBRICS)
    assert isinstance(verdict, Rejected) and len(verdict.messages) == 2
    many = good_xor_members() + [(f"../{i}", b"x") for i in range(30)]
    verdict = intake(xor_upload(tmp_path, many), RUBRICS)
    assert isinstance(verdict, Rejected) and len(verdict.messages) == 11
    assert "and 20 more problems" in verdict.messages[-1]


@pytest.mark.parametrize(("rule", "members", "fragment"), [
    (ZipRule(max_members=3), [("a.txt", b"a"), ("b.txt", b"b")],
     "has 4 entries; at most 3 are allowed"),
    (ZipRule(max_bytes=100_000), [("big.txt", bytes(range(256)) * 500)],
     "add up to 0.1 MB unpacked; the limit is 0.1 MB"),
    (ZipRule(), [("bomb.txt", b"\0" * 5_000_000)], "member 'bomb.txt' expands"),
    (ZipRule(max_ratio=1000.0), [("bomb.txt", b"\0" * 5_000_000)], "looks like a zip bomb"),
], ids=["too-many-members", "too-large-unpacked", "zip-bomb-ratio", "zip-bomb-higher-cap"])
def test_zip_caps(tmp_path: Path, rule: ZipRule, members: list[tuple[str, bytes]],
                  fragment: str) -> None:
    rubric = make_xor_rubric(zip=rule)
    verdict = intake(xor_upload(tmp_path, good_xor_members() + members), (rubric,))
    assert fragment in rejected(verdict)


def test_small_repetitive_member_is_not_a_bomb(tmp_path: Path) -> None:
    verdict = intake(xor_upload(tmp_path, good_xor_members() + [("pad.txt", b" " * 100_000)]),
                     RUBRICS)
    assert isinstance(verdict, Accepted)


def corrupt_crc(data: bytes) -> bytes:
    """Flip a byte of the first stored member's data (local header is 30 bytes + name)."""
    name_len, extra_len = struct.unpack("<HH", data[26:30])
    start = 30 + name_len + extra_len
    return data[:start] + bytes([data[start] ^ 0xFF]) + data[start + 1:]


def patch_last_central_entry(data: bytes, offset: int, fmt: str, value: int) -> bytes:
    """Overwrite a field of the last central-directory header (what zipfile trusts)."""
    start = data.rfind(b"PK\x01\x02") + offset
    return data[:start] + struct.pack(fmt, value) + data[start + struct.calcsize(fmt):]


def lying_sizes(data: bytes) -> bytes:
    """Claim 10 bytes uncompressed (offset 24) for a member that inflates to more."""
    return patch_last_central_entry(data, 24, "<I", 10)


def encrypted(data: bytes) -> bytes:
    """Set the 'encrypted' bit of the general-purpose flags (offset 8) of the last member."""
    flags = struct.unpack("<H", data[data.rfind(b"PK\x01\x02") + 8:][:2])[0]
    return patch_last_central_entry(data, 8, "<H", flags | 0x1)


@pytest.mark.parametrize(("make", "fragment"), [
    (lambda: b"this is not a zip at all", "is not a valid zip archive"),
    (lambda: zip_bytes(good_xor_members())[:-30], "is not a valid zip archive"),
    (lambda: b"", "is not a valid zip archive"),
    (lambda: corrupt_crc(zip_bytes([("answers.pdf", PDF), good_xor_members()[0]],
                                   zipfile.ZIP_STORED)), "member 'answers.pdf' cannot be read"),
    (lambda: lying_sizes(zip_bytes(good_xor_members() + [("data.bin", zlib.compress(b"x") * 99)])),
     "member 'data.bin' cannot be read"),
    (lambda: encrypted(zip_bytes(good_xor_members() + [("secret.txt", b"xx")])),
     "member 'secret.txt' is encrypted; zip it without a password"),
], ids=["not-a-zip", "truncated", "empty", "crc-error", "lying-size", "encrypted"])
def test_corrupt_zips_are_rejected(tmp_path: Path, make: Callable[[], bytes],
                                   fragment: str) -> None:
    verdict = intake(make_upload(tmp_path, XOR_NAME, make()), RUBRICS)
    assert fragment in rejected(verdict)


def test_notebook_named_like_zip_is_rejected_as_zip(tmp_path: Path) -> None:
    verdict = intake(make_upload(tmp_path, XOR_NAME, notebook_bytes(first=TEAM_CELL)), RUBRICS)
    assert "is not a valid zip archive" in rejected(verdict)


def test_messages_never_echo_control_characters(tmp_path: Path) -> None:
    members = good_xor_members() + [("../x\x1b[31mred", b"x")]
    text = rejected(intake(xor_upload(tmp_path, members), RUBRICS))
    assert "\x1b" not in text and "[31m" not in text and "x\ufffdred" in text
