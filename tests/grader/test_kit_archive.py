"""`grade check --kit` takes the kit's folder, its kit.json, or the .tar.gz `grade release` writes;
an archive is unpacked into a temporary folder, and a malicious one is refused whole."""

from __future__ import annotations

import io
import json
import tarfile
import tempfile
from contextlib import ExitStack
from pathlib import Path

import pytest
import support_demo
from builders import write_team_notebook
from click.testing import CliRunner
from support_demo import GOOD

from grader import kit_release
from grader.cli import main
from grader.kit import KitError
from grader.kit_archive import kit_folder
from grader.rubric import load_rubric


@pytest.fixture
def released(tmp_path: Path) -> kit_release.KitFiles:
    (tmp_path / "rubrics").mkdir()
    (tmp_path / "rubrics" / "demo.toml").write_text(support_demo.rubric_text())
    return kit_release.write_kit(load_rubric(tmp_path / "rubrics" / "demo.toml"),
                                 tmp_path / "kits")


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder temporary folders are made in (to see that nothing is left behind)."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", *args])
    return result.exit_code, result.output


@pytest.mark.kernel
def test_a_released_kits_archive_checks_an_upload(released: kit_release.KitFiles,
                                                  tmp_path: Path) -> None:
    upload = write_team_notebook(tmp_path / "demo_01.ipynb", *GOOD)
    code, output = check("--kit", str(released.archive), "--format", "json", str(upload))
    assert code == 0, output
    document = json.loads(output[output.index("{"):])
    assert document["passed"] == 1


@pytest.mark.parametrize("which", ["archive", "kit.json"])
def test_the_archive_and_the_kit_json_are_read_as_the_kit(
        released: kit_release.KitFiles, tmp_path: Path, scratch: Path, which: str) -> None:
    kit = released.archive if which == "archive" else released.folder / "kit.json"
    misnamed = write_team_notebook(tmp_path / "demo_1.ipynb", *GOOD)   # rejected: no kernel
    code, output = check("--kit", str(kit), str(misnamed))
    assert code == 1, output
    assert "matches none of the check kits given (demo: demo_NN.ipynb" in output
    assert "Did you mean demo_01.ipynb?" in output
    assert list(scratch.iterdir()) == []          # the unpacked kit is removed afterwards


def evil_archive(path: Path, member: tarfile.TarInfo, data: bytes = b"") -> Path:
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("kit.json")
        payload = b'{"kit": "dlgrade-check-kit"}'
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
        member.size = len(data) if member.isfile() else 0
        tar.addfile(member, io.BytesIO(data) if member.isfile() else None)
    return path


def symlink(name: str, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    return info


@pytest.mark.parametrize("member, why", [
    (tarfile.TarInfo("../../escaped"), "a path that leaves the kit's folder"),
    (tarfile.TarInfo("/tmp/escaped-abs"), "an absolute path"),
    (symlink("cases", "/etc"), "a link or special file"),
    (symlink("expected.npz", "../../escaped"), "a link or special file"),
])
def test_a_malicious_archive_is_refused_and_writes_nothing(
        tmp_path: Path, scratch: Path, member: tarfile.TarInfo, why: str) -> None:
    archive = evil_archive(tmp_path / "adam-kit.tar.gz", member, b"owned")
    before = {p for p in tmp_path.rglob("*")}
    code, output = check("--kit", str(archive), str(tmp_path / "adam-kit.tar.gz"))
    assert code == 2, output
    assert f"refused: the member {member.name!r} has {why}" in output
    assert {p for p in tmp_path.rglob("*")} == before           # nothing left, nothing escaped
    assert not Path("/tmp/escaped-abs").exists()


def test_a_file_that_is_no_archive_is_a_clear_usage_error(tmp_path: Path) -> None:
    bogus = tmp_path / "adam-kit.tar.gz"
    bogus.write_text("not an archive")
    with pytest.raises(KitError, match="not a check kit: pass the kit's folder"):
        with ExitStack() as stack:
            kit_folder(bogus, stack)
