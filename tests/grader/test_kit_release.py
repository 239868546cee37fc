"""`grade release` writes a check kit: plain data, the public cases and their values, and nothing
of the reference, the input generators, the hidden checks or the rubric file."""

from __future__ import annotations

import json
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import support_demo
from click.testing import CliRunner

from grader import kit_release
from grader.cli import main
from grader.errors import UsageError
from grader.kit import CASES_DIR, EXPECTED_FILE, KIT_FILE, PLAN_FILE, load_kit
from grader.probe import build_plan, upload_seed
from grader.rubric import load_rubric, load_rubrics

ROOT = Path(__file__).resolve().parents[2]


def demo_rubric(tmp_path: Path, text: str | None = None) -> Path:
    folder = tmp_path / "rubrics"
    folder.mkdir(exist_ok=True)
    (folder / "demo.toml").write_text(text if text is not None else support_demo.rubric_text())
    return folder / "demo.toml"


def test_the_kit_holds_plain_data_only(tmp_path: Path) -> None:
    files = kit_release.write_kit(load_rubric(demo_rubric(tmp_path)), tmp_path / "out")
    assert files.folder == tmp_path / "out" / "demo-kit"
    names = {p.relative_to(files.folder).as_posix() for p in files.folder.rglob("*")
             if p.is_file()}
    arrays = {n for n in names if n.startswith(f"{CASES_DIR}/") and n.endswith(".npy")}
    assert names == {KIT_FILE, EXPECTED_FILE, f"{CASES_DIR}/{PLAN_FILE}"} | arrays
    assert len(arrays) == 3           # double's three cases, one array each
    for name in arrays:
        assert np.load(files.folder / name, allow_pickle=False).dtype == np.float64
    with np.load(files.folder / EXPECTED_FILE, allow_pickle=False) as npz:
        assert len(npz.files) == 3


def test_nothing_of_the_reference_generators_or_hidden_checks_goes_in(tmp_path: Path) -> None:
    hidden = support_demo.rubric_text() + (
        '\n[[checks]]\nid = "secret_double"\npoints = 5\nkind = "call"\nsymbol = "double"\n'
        'reference = "support_demo:double"\ninputs = "support_demo:double_cases"\n'
        'visible = false\n')
    files = kit_release.write_kit(load_rubric(demo_rubric(tmp_path, hidden)), tmp_path / "out")
    text = "".join(p.read_text(errors="replace") for p in files.folder.rglob("*.json"))
    for word in ("support_demo", "secret_double", "reference =", "inputs", "demo.toml"):
        assert word not in text
    checks = json.loads((files.folder / KIT_FILE).read_text())["checks"]
    assert [c["id"] for c in checks] == ["double", "answer", "figure"]


def test_the_public_cases_are_the_generators_with_a_fixed_seed_and_the_references_values(
        tmp_path: Path) -> None:
    rubric = load_rubric(demo_rubric(tmp_path))
    files = kit_release.write_kit(rubric, tmp_path / "out")
    kit = load_kit(files.folder)
    public = build_plan(rubric, kit_release.public_seed("demo"))
    expected = [c for c in public.calls if c.check_id == "double"]
    assert len(kit.calls) == len(expected) == 3
    for got, want in zip(kit.calls, expected):
        assert (got.check_id, got.index, got.case.label) == (want.check_id, want.index,
                                                              want.case.label)
        np.testing.assert_array_equal(got.case.args[0], want.case.args[0])
        np.testing.assert_array_equal(got.expected, 2.0 * got.case.args[0])


def test_the_public_seed_is_no_uploads_seed() -> None:
    assert kit_release.public_seed("demo") == kit_release.public_seed("demo")
    assert kit_release.public_seed("demo") != kit_release.public_seed("adam")
    assert kit_release.public_seed("demo") != upload_seed("0" * 64, "demo")


@pytest.mark.parametrize(("check", "edit", "reason"), [
    ("answer", ("", ""), kit_release.FIXED_ANSWER),
    ("double", ('symbol = "double"', 'symbol = "double"\ncompare = "support_demo:double"'),
     kit_release.TUTOR_CODE),
], ids=["fixed answer", "course code"])
def test_checks_a_kit_cannot_decide_are_marked_with_the_reason(
        tmp_path: Path, check: str, edit: tuple[str, str], reason: str) -> None:
    text = support_demo.rubric_text().replace(*edit) if edit[0] else support_demo.rubric_text()
    files = kit_release.write_kit(load_rubric(demo_rubric(tmp_path, text)), tmp_path / "out")
    assert check in files.unchecked
    [entry] = [c for c in json.loads((files.folder / KIT_FILE).read_text())["checks"]
               if c["id"] == check]
    assert set(entry) == {"id", "points", "kind", "checkable", "reason"}   # no description
    assert (entry["checkable"], entry["reason"]) == (False, reason)


def test_a_release_is_reproducible_and_the_archive_holds_the_files_at_its_top(
        tmp_path: Path) -> None:
    rubric = load_rubric(demo_rubric(tmp_path))
    first = kit_release.write_kit(rubric, tmp_path / "a")
    again = kit_release.write_kit(rubric, tmp_path / "b")
    assert first.archive.read_bytes() == again.archive.read_bytes()
    with tarfile.open(first.archive) as tar:
        assert KIT_FILE in tar.getnames()
        tar.extractall(tmp_path / "unpacked", filter="data")
    assert load_kit(tmp_path / "unpacked").calls[0].check_id == "double"
    with zipfile.ZipFile(first.folder / EXPECTED_FILE) as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_a_release_replaces_an_earlier_kit_but_never_another_folder(tmp_path: Path) -> None:
    rubric = load_rubric(demo_rubric(tmp_path))
    out = tmp_path / "out"
    kit_release.write_kit(rubric, out)
    (out / "demo-kit" / "stale.txt").write_text("from an earlier release")
    kit_release.write_kit(rubric, out)
    assert not (out / "demo-kit" / "stale.txt").exists()
    (out / "demo-kit" / KIT_FILE).unlink()
    with pytest.raises(UsageError, match="is not a check kit"):
        kit_release.write_kit(rubric, out)
    assert sorted(p.name for p in out.iterdir()) == ["demo-kit", "demo-kit.tar.gz"]


def test_grade_release_writes_the_handout_and_the_kit(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["release", "gradients", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "gradients.ipynb").is_file()
    assert "not checkable before submission: h_max" in result.output
    kit = load_kit(tmp_path / "gradients-kit")
    assert [u.id for u in kit.unchecked] == ["h_max"]
    assert "0.41" not in (tmp_path / "gradients-kit" / KIT_FILE).read_text()   # its answer
    bare = CliRunner().invoke(main, ["release", "adam", "--out", str(tmp_path / "bare"),
                                     "--no-kit"])
    assert bare.exit_code == 0 and [p.name for p in (tmp_path / "bare").iterdir()] == [
        "adam.ipynb"]


@pytest.fixture(scope="module")
def bundled_kits(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The kit folder of every bundled assignment."""
    out = tmp_path_factory.mktemp("kits")
    return {r.id: kit_release.write_kit(r, out).folder for r in load_rubrics(ROOT / "rubrics")}


@pytest.mark.slow
def test_no_bundled_kit_holds_a_rubric_description_its_kit_description_replaces(
        bundled_kits: dict[str, Path]) -> None:
    rubrics = load_rubrics(ROOT / "rubrics")
    assert sorted(bundled_kits) == sorted(r.id for r in rubrics)
    replaced = 0
    for rubric in rubrics:
        folder = bundled_kits[rubric.id]
        text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.json")))
        shown = {c["id"]: c.get("description")
                 for c in json.loads((folder / KIT_FILE).read_text())["checks"]}
        for check in rubric.checks + rubric.manual_checks:
            if check.description and check.description != check.kit_description:
                assert check.description not in text, (rubric.id, check.id)
                replaced += 1
            if shown.get(check.id):
                assert shown[check.id] == kit_release.kit_description(check)
    assert replaced >= 6        # the formulas of gradients and xor among them


def test_a_kit_describes_a_check_neutrally_unless_the_rubric_says_what_to_show() -> None:
    from grader.rubric import CheckSpec

    formula = CheckSpec(id="line_search", points=1.0, kind="call", symbol="step",
                        description="lambda* = |g|^2 / (g . Hg)")
    assert kit_release.kit_description(formula) == (
        "step(...) on the public cases, compared with the model solution's values")
    told = CheckSpec(id="c", points=1.0, kind="call", symbol="step", description="x = 2",
                     kit_description="the step size")
    assert kit_release.kit_description(told) == "the step size"
    assert "answer" in kit_release.kit_description(
        CheckSpec(id="v", points=1.0, kind="variable", symbol="answer", description="= 0.41"))
    assert kit_release.kit_description(CheckSpec(id="f", points=1.0, kind="figure")) == (
        "the notebook shows at least one figure")
