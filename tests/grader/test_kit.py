"""`grade check --kit`: a kit is read as data (never as code), and grades through the batch's own
steps with the kit's public cases; checks it cannot decide are shown, with the reason."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import support_demo
from builders import write_team_notebook
from support_demo import GOOD

from grader import checkone, github, junit, kit_release, verdict_text, verdicts
from grader.errors import UsageError
from grader.kit import (
    KIT_FILE,
    NOT_CHECKABLE,
    PUBLIC_COMPARATORS,
    KitError,
    comparator,
    describe,
    load_kit,
)
from grader.liveline import LiveLine
from grader.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def kit(tmp_path: Path) -> Path:
    """The demo rubric's kit: double (3 public cases), answer (not checkable), figure."""
    (tmp_path / "rubrics").mkdir()
    (tmp_path / "rubrics" / "demo.toml").write_text(support_demo.rubric_text())
    rubric = load_rubric(tmp_path / "rubrics" / "demo.toml")
    return kit_release.write_kit(rubric, tmp_path / "kits").folder


def edit_kit(kit: Path, change: dict[str, object]) -> None:
    data = json.loads((kit / KIT_FILE).read_text())
    data.update(change)
    (kit / KIT_FILE).write_text(json.dumps(data))


def quiet() -> LiveLine:
    return LiveLine(io.StringIO(), redraw=False)


# ----------------------------------------------------------------------------- reading a kit
def test_a_kit_loads_as_a_rubric_without_any_callable_of_the_reference(kit: Path) -> None:
    loaded = load_kit(kit)
    assert loaded.rubric.id == "demo" and loaded.rubric.example == "demo_01.ipynb"
    assert [c.id for c in loaded.rubric.checks] == ["double", "figure"]
    assert all(c.reference_fn is None and c.inputs_fn is None for c in loaded.rubric.checks)
    assert loaded.rubric.max_score == 3.0
    assert describe(loaded) == ("demo: 3 public case(s) for 2 check(s); not checkable before "
                                "submission: answer")
    [answer] = [u.result() for u in loaded.unchecked]
    assert (answer.status, answer.points, answer.max_points) == ("not-run", 0.0, 0.0)
    assert answer.message == NOT_CHECKABLE.format(reason=kit_release.FIXED_ANSWER)


@pytest.mark.parametrize(("damage", "words"), [
    ("no kit.json", "not a check kit (no kit.json)"),
    ("not json", "cannot read kit.json"),
    ("other file", "is not a check kit's"),
    ("newer format", "kit format 99"),
    ("missing array", "a broken check kit"),
    ("case left out", "list different cases"),
    ("foreign comparator", "a broken check kit"),
], ids=lambda v: v if " " in v else "")
def test_a_damaged_kit_is_a_usage_error_naming_it(kit: Path, damage: str, words: str) -> None:
    if damage == "no kit.json":
        (kit / KIT_FILE).unlink()
    elif damage == "not json":
        (kit / KIT_FILE).write_text("{")
    elif damage == "other file":
        edit_kit(kit, {"kit": "something else"})
    elif damage == "newer format":
        edit_kit(kit, {"format": 99})
    elif damage == "missing array":
        next((kit / "cases").glob("*.npy")).unlink()
    elif damage == "case left out":
        plan = json.loads((kit / "cases" / "plan.json").read_text())
        plan["entries"] = plan["entries"][1:]
        (kit / "cases" / "plan.json").write_text(json.dumps(plan))
    else:
        data = json.loads((kit / KIT_FILE).read_text())
        data["checks"][0]["compare"] = "os:system"
        (kit / KIT_FILE).write_text(json.dumps(data))
    with pytest.raises(KitError, match=re.escape(words)) as caught:
        load_kit(kit)
    assert caught.value.exit_code == 2 and str(kit) in str(caught.value)


def test_only_public_comparators_are_ever_imported() -> None:
    with pytest.raises(ValueError, match="not one a kit may use"):
        comparator("os:system")
    assert all(callable(comparator(name)) for name in sorted(PUBLIC_COMPARATORS))


def test_the_public_comparators_run_where_reference_cannot_be_imported() -> None:
    script = (
        "import sys\n"
        "sys.modules['reference'] = None   # `import reference` raises ImportError\n"
        "import numpy as np\n"
        "from grader.kit import PUBLIC_COMPARATORS, comparator\n"
        "pair = (np.zeros(3), np.ones(5))\n"
        "params = {'Wi': np.ones((2, 2)), 'ba': np.zeros(()), "
        "'Wo': np.ones(2), 'bo': np.zeros(())}\n"
        "samples = {'train_compare': (pair, pair), 'solves_xor': (params, None)}\n"
        "for name in sorted(PUBLIC_COMPARATORS):\n"
        "    got, expected = samples[name.split(':')[1]]\n"
        "    print(name, comparator(name)(got, expected).passed)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["grader.assignments.adam_compare:train_compare", "True"]


def test_solves_xor_runs_a_model_forward_pass_so_a_kit_never_runs_it() -> None:
    """Its module holds a working sigmoid and forward: no kit may import it (not checkable)."""
    from grader.rubric import load_rubric

    assert "grader.assignments.xor_compare:solves_xor" not in PUBLIC_COMPARATORS
    xor = load_rubric(Path(__file__).parents[2] / "rubrics" / "xor.toml")
    [solves] = [c for c in xor.checks if c.id == "solves_xor"]
    assert kit_release.not_checkable(solves) == kit_release.TUTOR_CODE


# ----------------------------------------------------------------------------- checking
def test_an_upload_no_kit_matches_is_rejected_naming_the_kits_file_name(
        kit: Path, tmp_path: Path) -> None:
    upload = write_team_notebook(tmp_path / "demo_1.ipynb", *GOOD)
    [grade] = checkone.check_paths([upload], tmp_path / "none", None, quiet(), [kit]).grades
    assert grade.status == "rejected" and grade.assignment is None
    assert grade.messages == (
        "file name: demo_1.ipynb matches none of the check kits given (demo: demo_NN.ipynb with "
        "a two-digit group number NN). Name the upload as its assignment asks, or pass that "
        "assignment's kit with --kit. Did you mean demo_01.ipynb?",)


def test_an_upload_of_another_assignment_is_not_told_to_take_a_kits_name(
        kit: Path, tmp_path: Path) -> None:
    upload = write_team_notebook(tmp_path / "gradient_studies_group_01.ipynb", *GOOD)
    [grade] = checkone.check_paths([upload], tmp_path / "none", None, quiet(), [kit]).grades
    [message] = grade.messages
    assert message.startswith("file name: gradient_studies_group_01.ipynb matches none of the "
                              "check kits given (demo: demo_NN.ipynb")
    assert "Rename" not in message and "Did you mean" not in message


def test_without_a_kit_or_rubrics_and_no_reference_the_message_says_pass_a_kit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checkone.importlib.util, "find_spec", lambda name: None)
    upload = write_team_notebook(tmp_path / "demo_01.ipynb", *GOOD)
    with pytest.raises(UsageError, match="pass --kit KIT"):
        checkone.check_paths([upload], tmp_path / "missing", None, quiet())


@pytest.mark.kernel
def test_a_correct_upload_passes_from_the_kit_and_the_fixed_answer_shows_as_not_checkable(
        kit: Path, tmp_path: Path) -> None:
    upload = write_team_notebook(tmp_path / "demo_01.ipynb", *GOOD)
    run = checkone.check_paths([upload], tmp_path / "none", verdicts.parse_min_score("100%"),
                               quiet(), [kit])
    [grade] = run.grades
    assert run.passed, grade
    assert [(c.id, c.status, c.max_points) for c in grade.checks] == [    # the rubric's order
        ("double", "pass", 2.0), ("answer", "not-run", 0.0), ("figure", "pass", 1.0)]
    assert grade.reference_version == load_kit(kit).reference_version
    reason = kit_release.FIXED_ANSWER
    text = verdict_text.to_text(run)
    assert "public checks: 3 of 3 points, 2 of 2 checkable pass, 1 decided at grading" in text
    assert text.rstrip().endswith("Public checks: 2 of 2 checkable pass, 1 decided at grading.")
    assert reason in text
    assert reason in verdicts.to_json(run) and reason in junit.to_junit(run)
    assert github.markdown_text(reason) in github.summary_markdown(run)
    assert f"title=check answer not checked::{NOT_CHECKABLE.format(reason=reason)}" in (
        github.to_github(run).replace("%2C", ","))


@pytest.mark.kernel
def test_a_wrong_upload_fails_on_the_public_cases(kit: Path, tmp_path: Path) -> None:
    wrong = [GOOD[0], "def double(x):\n    return 3 * np.asarray(x)", *GOOD[2:]]
    upload = write_team_notebook(tmp_path / "demo_01.ipynb", *wrong)
    stream = io.StringIO()
    run = checkone.check_paths([upload], tmp_path / "none", None, LiveLine(stream, redraw=False),
                               [kit])
    [grade] = run.grades
    double = grade.checks[0]
    assert (double.id, double.status) == ("double", "fail")
    assert "(case 1: shape (3,))" in double.message
    assert "checking" in stream.getvalue()


def test_a_min_score_above_the_kits_checkable_points_is_a_usage_error(
        kit: Path, tmp_path: Path) -> None:
    upload = write_team_notebook(tmp_path / "demo_01.ipynb", *GOOD)
    with pytest.raises(UsageError, match=re.escape("(at most 3 for demo)")):   # answer: 0/0
        checkone.check_paths([upload], tmp_path / "none", verdicts.parse_min_score("3.5"),
                             quiet(), [kit])


def test_ignore_unmatched_skips_files_no_kit_accepts_with_a_note(kit: Path, tmp_path: Path) -> None:
    from grader.discover import upload_of

    good = upload_of(write_team_notebook(tmp_path / "demo_01.ipynb", *GOOD))
    handout = upload_of(write_team_notebook(tmp_path / "demo.ipynb", *GOOD))
    stream = io.StringIO()
    kept = checkone.matching([handout, good], (load_kit(kit).rubric,),
                             LiveLine(stream, redraw=False))
    assert kept == (good,)
    assert stream.getvalue() == (f"ignored {handout.rel}: its name matches no assignment's "
                                 "file-name rule (--ignore-unmatched)\n")
    with pytest.raises(UsageError, match=re.escape(
            "nothing to check: no file given is named as an upload of demo: demo_NN.ipynb with a "
            "two-digit group number NN (1 file(s) ignored)")):
        checkone.check_paths([tmp_path / "demo.ipynb"], tmp_path / "none", None, quiet(), [kit],
                             ignore_unmatched=True)


def test_ignore_unmatched_keeps_the_suggestion_for_a_near_miss(kit: Path, tmp_path: Path) -> None:
    from grader.discover import upload_of

    near = upload_of(write_team_notebook(tmp_path / "demo_1.ipynb", *GOOD))
    good = upload_of(write_team_notebook(tmp_path / "demo_02.ipynb", *GOOD))
    stream = io.StringIO()
    kept = checkone.matching([near, good], (load_kit(kit).rubric,), LiveLine(stream, redraw=False))
    assert kept == (good,)
    assert stream.getvalue() == (f"ignored {near.rel}: its name matches no assignment's "
                                 "file-name rule (--ignore-unmatched). Did you mean "
                                 "demo_01.ipynb?\n")


def test_a_check_the_kit_cannot_decide_is_no_failure_for_classroom() -> None:
    from grade_builders import make_check, make_grade

    later = make_check(id="answer", status="not-run", points=0.0, max_points=0.0,
                       message=NOT_CHECKABLE.format(reason=kit_release.FIXED_ANSWER))
    grade = make_grade(checks=(make_check(id="double", points=2.0, max_points=2.0), later))
    document = json.loads(github.to_classroom(verdicts.CheckRun((grade,))))
    assert document["status"] == "pass" and document["max_score"] == 2.0
    assert [(t["name"], t["status"], t["score"]) for t in document["tests"]] == [
        ("double", "pass", 2.0), ("answer (decided at grading)", "pass", 0.0)]


# ----------------------------------------------------------------------------- output names
NO_BIAS_CORRECTION_IN_THE_STUDENT_DIST = (
    "import sys\n"
    "sys.modules['reference'] = None   # the student distribution: no reference, so no\n"
    "import numpy as np                # grader.assignments.*_feedback either\n"
    "from grader.compare import judge\n"
    "from grader.kit import load_kit\n"
    "kit = load_kit(sys.argv[1])\n"
    "[check] = [c for c in kit.rubric.checks if c.id == 'adam_step']\n"
    "call = next(c for c in kit.calls if c.check_id == 'adam_step')\n"
    "theta, grad, m, v, t, lr, beta1, beta2, eps = call.case.args\n"
    "m = beta1 * m + (1 - beta1) * grad\n"
    "v = beta2 * v + (1 - beta2) * grad**2\n"
    "print(judge(check, (theta - lr * m / (np.sqrt(v) + eps), m, v), call.expected).message)\n")


@pytest.fixture(scope="module")
def adam_kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rubric = load_rubric(ROOT / "rubrics" / "adam.toml")
    return kit_release.write_kit(rubric, tmp_path_factory.mktemp("kits")).folder


def test_a_kit_check_names_the_outputs_as_the_batch_does_without_the_feedback_modules(
        adam_kit: Path) -> None:
    """Adam without the bias correction (submissions/ group 02): `grade check --kit` in the
    student distribution says `theta: ...` where it said `output [0]: ...`, as the batch does."""
    from grader.assignments.adam_feedback import adam_without_bias_correction
    from grader.compare import judge

    done = subprocess.run([sys.executable, "-c", NO_BIAS_CORRECTION_IN_THE_STUDENT_DIST,
                           str(adam_kit)], capture_output=True, text=True, cwd=ROOT,
                          check=False)
    assert done.returncode == 0, done.stderr
    [batch_check] = [c for c in load_rubric(ROOT / "rubrics" / "adam.toml").checks
                     if c.id == "adam_step"]
    call = next(c for c in load_kit(adam_kit).calls if c.check_id == "adam_step")
    assert call.case is not None
    wrong = adam_without_bias_correction(*call.case.args)
    batch = judge(batch_check, wrong, call.expected).message
    assert batch.startswith("theta: ")
    assert done.stdout.strip() == batch


def test_a_kit_without_output_names_still_loads(adam_kit: Path, tmp_path: Path) -> None:
    data = json.loads((adam_kit / KIT_FILE).read_text())
    [entry] = [c for c in data["checks"] if c["id"] == "adam_step"]
    assert entry["outputs"] == ["theta", "m", "v"]
    for check in data["checks"]:
        check.pop("outputs", None)
    old = tmp_path / "old-kit"
    shutil.copytree(adam_kit, old)
    (old / KIT_FILE).write_text(json.dumps(data))
    [check] = [c for c in load_kit(old).rubric.checks if c.id == "adam_step"]
    assert check.outputs == ()
