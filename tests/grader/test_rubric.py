"""load_rubric / load_rubrics: every key checked at load time, errors name the file and the key."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from rubric_builders import (
    ADAM_NAME,
    DELETE,
    REFERENCE,
    XOR_EXPECTED,
    XOR_PATTERN,
    XOR_ZIP,
    edit,
    rubric_dict,
    write_rubric,
)

from grader.errors import RubricError
from grader.lateness import Deadline
from grader.probe_runtime import plain
from grader.rubric import (
    CheckSpec,
    Limits,
    TeamRule,
    ZipRule,
    describe_keys,
    load_rubric,
    load_rubrics,
)
from grader.rubric_keys import (
    CHECK_KEYS,
    DEADLINE_KEYS,
    LIMITS_KEYS,
    TEAM_KEYS,
    TOP_KEYS,
    ZIP_KEYS,
)


def test_valid_rubric_loads_with_resolved_callables(tmp_path: Path) -> None:
    path = write_rubric(tmp_path)
    rubric = load_rubric(path)
    assert (rubric.id, rubric.upload, rubric.zero_error) == ("adam", "notebook", True)
    assert rubric.path == path
    assert rubric.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert rubric.limits == Limits(cell_timeout=60.0, max_upload_mb=5.0)
    assert rubric.team == TeamRule(placeholder="YOUR NAMES HERE")
    assert rubric.zip is None
    assert [c.id for c in rubric.checks] == ["adam_step", "h_max", "figure"]
    step, h_max, figure = rubric.checks
    assert step.reference_fn is plain and step.inputs_fn is plain and step.compare_fn is None
    assert h_max.symbol == "h_max" and h_max.atol == 1e-3 and h_max.inputs_fn is None
    assert figure.visible is False and figure.reference_fn is None
    assert rubric.max_score == 3.5


def test_integers_are_accepted_where_numbers_are_expected(tmp_path: Path) -> None:
    rubric = load_rubric(write_rubric(tmp_path))
    assert isinstance(rubric.checks[0].points, float) and rubric.checks[0].points == 2.0
    assert isinstance(rubric.limits.cell_timeout, float)


def test_zip_rubric_with_team_ids_loads(tmp_path: Path) -> None:
    data = rubric_dict(id="xor", pattern=XOR_PATTERN, expected=XOR_EXPECTED, upload="zip",
                       zip=XOR_ZIP, team={"require_group_ids": True, "instructions": "ids"})
    edit(data, "checks[1]", {"id": "solves_xor", "points": 1, "kind": "variable",
                             "symbols": ["Wi", "ba"], "compare": REFERENCE})
    edit(data, "checks[0]", {"id": "sigmoid", "points": 1, "kind": "call", "symbol": "sigmoid",
                             "reference": REFERENCE, "inputs": REFERENCE,
                             "driver": "optimizer_chain"})
    rubric = load_rubric(write_rubric(tmp_path, data, "xor.toml"))
    assert rubric.zip == ZipRule(max_bytes=10_000_000, max_members=50, max_ratio=100.0)
    assert rubric.team == TeamRule(require_group_ids=True, instructions="ids")
    assert rubric.checks[1].symbols == ("Wi", "ba") and rubric.checks[1].compare_fn is plain
    assert rubric.checks[0].driver == "optimizer_chain"
    assert rubric.example == "sheet06_1234567.zip"


@pytest.mark.parametrize(("expected", "example"), [
    ("adam_regression_classification_solved_group_NN.ipynb with NN two digits",
     "adam_regression_classification_solved_group_01.ipynb"),
    ("gradient_studies_group_NN.ipynb", "gradient_studies_group_01.ipynb"),
], ids=["NN", "short"])
def test_example_is_derived_from_expected(tmp_path: Path, expected: str, example: str) -> None:
    pattern = example.replace("01", "(?P<group>\\d{2})").replace(".", "\\.")
    data = rubric_dict(expected=expected, pattern=pattern)
    assert load_rubric(write_rubric(tmp_path, data)).example == example


def test_explicit_example_is_kept(tmp_path: Path) -> None:
    data = rubric_dict(example=ADAM_NAME)
    assert load_rubric(write_rubric(tmp_path, data)).example == ADAM_NAME


def test_key_tables_cover_every_dataclass_field_and_describe_them() -> None:
    assert set(LIMITS_KEYS) == {f for f in Limits.__dataclass_fields__}
    assert set(TEAM_KEYS) == {f for f in TeamRule.__dataclass_fields__}
    assert set(ZIP_KEYS) == {f for f in ZipRule.__dataclass_fields__}
    assert set(DEADLINE_KEYS) == {f for f in Deadline.__dataclass_fields__}
    assert set(CHECK_KEYS) == {f for f in CheckSpec.__dataclass_fields__
                               if not f.endswith("_fn")}
    assert LIMITS_KEYS["cell_timeout"].default == Limits().cell_timeout
    text = describe_keys()
    for name in TOP_KEYS:
        assert f"\n{name} (" in "\n" + text
    assert "checks[].rtol (a number, default 1e-06): relative tolerance" in text
    for name in DEADLINE_KEYS:
        assert f"\ndeadline.{name} (" in "\n" + text


# (edits applied to a valid rubric, key named in the error, fragment of the problem)
ERROR_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("unknown-top-key", {"titel": "x"}, "titel", "unknown key (did you mean 'title'?)"),
    ("unknown-limits-key", {"limits.cell_timout": 1}, "limits.cell_timout", "unknown key"),
    ("unknown-team-key", {"team.names": 1}, "team.names", "unknown key"),
    ("unknown-check-key", {"checks[2].tol": 1}, "checks[2].tol", "unknown key"),
    *[(f"missing-{k}", {k: DELETE}, k, "required key is missing")
      for k in ("id", "title", "pattern", "expected", "upload", "zero_error", "checks")],
    ("missing-check-points", {"checks[0].points": DELETE}, "checks[0].points",
     "required key is missing (check 'adam_step')"),
    ("missing-check-kind", {"checks[1].kind": DELETE}, "checks[1].kind", "required key"),
    ("rtol-string", {"checks[2].rtol": "abc"}, "checks[2].rtol",
     "expected a number, got 'abc' (check 'figure')"),
    ("points-bool", {"checks[0].points": True}, "checks[0].points", "expected a number, got true"),
    ("memory-float", {"limits.memory_mb": 1.5}, "limits.memory_mb", "expected an integer, got 1.5"),
    ("memory-bool", {"limits.memory_mb": True}, "limits.memory_mb",
     "expected an integer, got true"),
    ("timeout-nan", {"checks[0].timeout": float("nan")}, "checks[0].timeout", "expected a number"),
    ("zero-error-string", {"zero_error": "yes"}, "zero_error", "expected true or false, got 'yes'"),
    ("id-int", {"id": 3}, "id", "expected a string, got 3"),
    ("limits-not-table", {"limits": 5}, "limits", "expected a table, got 5"),
    ("symbols-not-strings", {"checks[1].symbol": DELETE, "checks[1].symbols": [1]},
     "checks[1].symbols", "expected a list of strings"),
    ("checks-not-tables", {"checks": "adam_step"}, "checks", "expected an array of tables"),
    ("checks-empty", {"checks": []}, "checks", "at least one [[checks]]"),
    ("negative-points", {"checks[0].points": -1}, "checks[0].points", "must not be negative"),
    ("negative-cell-timeout", {"limits.cell_timeout": -5}, "limits.cell_timeout",
     "must be greater than 0"),
    ("zero-check-timeout", {"checks[0].timeout": 0}, "checks[0].timeout", "greater than 0"),
    ("negative-rtol", {"checks[0].rtol": -1e-6}, "checks[0].rtol", "must not be negative"),
    ("zero-upload-cap", {"limits.max_upload_mb": 0}, "limits.max_upload_mb", "greater than 0"),
    ("team-cell-zero", {"team.cell": 0}, "team.cell", "greater than 0"),
    ("unknown-kind", {"checks[0].kind": "plot"}, "checks[0].kind", "must be one of 'call'"),
    ("unknown-upload", {"upload": "pdf"}, "upload", "must be one of 'notebook', 'zip'"),
    ("unknown-driver", {"checks[0].driver": "loop"}, "checks[0].driver", "'optimizer_chain'"),
    ("duplicate-check-id", {"checks[1].id": "adam_step"}, "checks[1].id",
     "duplicate check id 'adam_step' (also checks[0])"),
    ("check-id-with-space", {"checks[0].id": "adam step"}, "checks[0].id", "letters, digits"),
    ("rubric-id-with-slash", {"id": "a/b"}, "id", "letters, digits"),
    ("symbol-not-identifier", {"checks[0].symbol": "adam-step"}, "checks[0].symbol",
     "Python identifier"),
    ("pattern-invalid", {"pattern": "adam_(?P<group>\\d{2}"}, "pattern",
     "not a valid regular expression"),
    ("pattern-without-group", {"pattern": "adam_(\\d{2})\\.ipynb"}, "pattern",
     "named group (?P<group>...)"),
    ("pattern-rejects-example", {"example": "adam.ipynb"}, "example",
     "the pattern does not accept 'adam.ipynb'"),
    ("pattern-accepts-no-derived-name", {"pattern": "^x_(?P<group>\\d{2})\\.ipynb$"}, "example",
     "add example ="),
    ("call-without-symbol", {"checks[0].symbol": DELETE}, "checks[0].symbol",
     "kind 'call' needs 'symbol'"),
    ("call-without-reference", {"checks[0].reference": DELETE}, "checks[0].reference",
     "kind 'call' needs 'reference'"),
    ("call-without-inputs", {"checks[0].inputs": DELETE}, "checks[0].inputs", "needs 'inputs'"),
    ("call-with-symbols", {"checks[0].symbols": ["a"]}, "checks[0].symbols", "not used by kind"),
    ("variable-without-symbol", {"checks[1].symbol": DELETE}, "checks[1].symbol",
     "kind 'variable' needs 'symbol' or 'symbols'"),
    ("variable-with-both", {"checks[1].symbols": ["a"]}, "checks[1].symbols", "not both"),
    ("variable-without-reference", {"checks[1].reference": DELETE}, "checks[1].reference",
     "needs 'reference' or 'compare'"),
    ("variable-with-inputs", {"checks[1].inputs": REFERENCE}, "checks[1].inputs",
     "not used by kind 'variable'"),
    ("figure-with-symbol", {"checks[2].symbol": "plt"}, "checks[2].symbol",
     "not used by kind 'figure'"),
    ("zip-without-table", {"upload": "zip"}, "zip", "a [zip] table is required"),
    ("notebook-with-zip-table", {"zip": XOR_ZIP}, "zip", "only used when upload = 'zip'"),
    ("zip-two-notebooks", {"upload": "zip", "zip": {"notebooks": 2}}, "zip.notebooks",
     "must be 1"),
    ("zip-ratio-zero", {"upload": "zip", "zip": {"max_ratio": 0}}, "zip.max_ratio",
     "greater than 0"),
    ("reference-bad-format", {"checks[0].reference": "grader.probe_runtime.plain"},
     "checks[0].reference", "expected 'package.module:attribute'"),
    ("reference-no-module", {"checks[0].reference": "grader.nonexistent:f"},
     "checks[0].reference", "cannot import 'grader.nonexistent': ModuleNotFoundError"),
    ("inputs-missing-attr", {"checks[0].inputs": "grader.probe_runtime:no_such"},
     "checks[0].inputs", "'grader.probe_runtime' has no attribute 'no_such'"),
    ("compare-not-callable", {"checks[0].compare": "grader.probe_runtime:PROTOCOL"},
     "checks[0].compare", "is a int, not a callable"),
]


@pytest.mark.parametrize(("edits", "key", "fragment"), [c[1:] for c in ERROR_CASES],
                         ids=[c[0] for c in ERROR_CASES])
def test_invalid_rubric_names_file_and_key(tmp_path: Path, edits: dict[str, Any], key: str,
                                           fragment: str) -> None:
    data = rubric_dict()
    for dotted, value in edits.items():
        edit(data, dotted, value)
    path = write_rubric(tmp_path, data)
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    assert caught.value.key == key
    assert str(caught.value).startswith(f"{path}: key '{key}': ")
    assert fragment in caught.value.problem


@pytest.mark.parametrize(("content", "fragment"), [
    (b'id = "adam"\ntitle = \n', "invalid TOML: "),
    (b'id = "adam"\nid = "xor"\n', "invalid TOML: "),
    (b'title = "\xff"\n', "not UTF-8"),
], ids=["syntax", "duplicate-key", "not-utf8"])
def test_unreadable_toml_is_a_rubric_error(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "broken.toml"
    path.write_bytes(content)
    with pytest.raises(RubricError, match=r"broken\.toml: key '\(file\)': ") as caught:
        load_rubric(path)
    assert fragment in caught.value.problem


def test_missing_file_is_a_rubric_error(tmp_path: Path) -> None:
    with pytest.raises(RubricError, match="cannot read the file"):
        load_rubric(tmp_path / "nope.toml")


def test_load_rubrics_sorts_by_id_and_ignores_other_files(tmp_path: Path) -> None:
    write_rubric(tmp_path, rubric_dict(id="zeta"), "a.toml")
    write_rubric(tmp_path, rubric_dict(id="alpha"), "b.toml")
    (tmp_path / "notes.md").write_text("not a rubric")
    (tmp_path / ".#b.toml").write_text("editor lock file")
    assert [r.id for r in load_rubrics(tmp_path)] == ["alpha", "zeta"]


def test_load_rubrics_rejects_duplicate_ids(tmp_path: Path) -> None:
    first = write_rubric(tmp_path, rubric_dict(), "adam.toml")
    second = write_rubric(tmp_path, rubric_dict(), "adam_copy.toml")
    with pytest.raises(RubricError) as caught:
        load_rubrics(tmp_path)
    assert caught.value.key == "id" and caught.value.path == str(second)
    assert f"rubric id 'adam' is also used by {first}" in str(caught.value)


@pytest.mark.parametrize("make", [lambda p: p, lambda p: p / "missing"], ids=["empty", "missing"])
def test_load_rubrics_needs_a_folder_with_rubrics(tmp_path: Path, make: Any) -> None:
    with pytest.raises(RubricError, match="key '\\(folder\\)'"):
        load_rubrics(make(tmp_path))


def test_load_rubrics_reports_the_broken_file(tmp_path: Path) -> None:
    write_rubric(tmp_path, rubric_dict(id="alpha"), "alpha.toml")
    broken = write_rubric(tmp_path, edit(rubric_dict(id="beta"), "checks[0].rtol", "x"), "b.toml")
    with pytest.raises(RubricError, match=f"^{broken}: key 'checks\\[0\\].rtol'"):
        load_rubrics(tmp_path)


# ----------------------------------------------------------------------------- course modules
COURSE_MODULE = '''
import numpy as np


def cases(rng):
    return []


def reference(x):
    return np.asarray(x)
'''


def write_course(folder: Path) -> str:
    """A rubric whose references name a module beside it; returns the module's (unique) name."""
    name = f"course_{uuid.uuid4().hex[:12]}"
    (folder / f"{name}.py").write_text(COURSE_MODULE)
    data = rubric_dict()
    for dotted, value in {"checks[0].reference": f"{name}:reference",
                          "checks[0].inputs": f"{name}:cases",
                          "checks[1].reference": f"{name}:reference"}.items():
        edit(data, dotted, value)
    write_rubric(folder, data)
    return name


def test_a_module_beside_the_rubric_resolves_and_sys_path_is_restored(tmp_path: Path) -> None:
    before = list(sys.path)
    name = write_course(tmp_path)
    (rubric,) = load_rubrics(tmp_path)
    step = rubric.checks[0]
    assert step.reference_fn is not None and step.reference_fn.__module__ == name
    assert step.inputs_fn is not None and step.inputs_fn(None) == []
    assert sys.path == before


def test_a_fresh_interpreter_resolves_the_module_too(tmp_path: Path) -> None:
    """What a spawned pool worker or a Dask worker does: load_rubrics(folder) from scratch."""
    folder = tmp_path / "course"
    folder.mkdir()
    name = write_course(folder)
    script = ("import sys; from grader.rubric import load_rubrics; "
              "print(load_rubrics(sys.argv[1])[0].checks[0].reference_fn.__module__)")
    done = subprocess.run([sys.executable, "-c", script, str(folder)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == name


def test_a_missing_course_module_fails_and_restores_sys_path(tmp_path: Path) -> None:
    before = list(sys.path)
    path = write_rubric(tmp_path, edit(rubric_dict(), "checks[0].reference", "course_nope:f"))
    with pytest.raises(RubricError, match="cannot import 'course_nope': ModuleNotFoundError"):
        load_rubric(path)
    assert sys.path == before


def test_a_course_module_shadowed_by_an_installed_one_is_named(tmp_path: Path) -> None:
    (tmp_path / "json.py").write_text("def loads(text):\n    return text\n")
    path = write_rubric(tmp_path, edit(rubric_dict(), "checks[0].reference", "json:loads"))
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    assert caught.value.key == "checks[0].reference"
    assert f"'json' names a module in {tmp_path.resolve()}, but 'json' is imported from" \
        in caught.value.problem


# ----------------------------------------------------------------------------- course keys
MANUAL = {"id": "theory", "points": 7, "kind": "manual",
          "description": "Ex 6.1 and 6.3 answered in the PDF"}
DUE = datetime(2026, 12, 1, 23, 59, tzinfo=timezone(timedelta(hours=1)))
DEADLINE: dict[str, Any] = {"due": DUE, "amount": 0.1}


def test_manual_checks_are_kept_apart_from_the_automatic_ones(tmp_path: Path) -> None:
    data = rubric_dict()
    data["checks"].insert(1, MANUAL)
    rubric = load_rubric(write_rubric(tmp_path, data))
    assert [c.id for c in rubric.checks] == ["adam_step", "h_max", "figure"]
    assert [(c.id, c.kind, c.points) for c in rubric.manual_checks] == [("theory", "manual", 7.0)]
    assert rubric.manual_checks[0].description == MANUAL["description"]
    assert (rubric.max_score, rubric.manual_max_score, rubric.total_max_score) == (3.5, 7.0, 10.5)


def test_course_keys_default_to_no_deadline_and_latest(tmp_path: Path) -> None:
    rubric = load_rubric(write_rubric(tmp_path))
    assert (rubric.deadline, rubric.resubmission, rubric.manual_checks) == (None, "latest", ())


@pytest.mark.parametrize(("table", "expected"), [
    (DEADLINE, Deadline(due=DUE, amount=0.1)),
    ({"due": datetime(2026, 12, 1, 23, 59), "timezone": "Europe/Berlin", "amount": 2,
      "unit": "points", "per": "hour", "cap": 10, "grace_minutes": 15,
      "submitted_at": "folder-name"},
     Deadline(due=datetime(2026, 12, 1, 22, 59, tzinfo=UTC), amount=2.0,
              timezone="Europe/Berlin", grace_minutes=15.0, per="hour", unit="points", cap=10.0,
              submitted_at="folder-name")),
    ({"due": "2026-12-01 23:59", "timezone": "Europe/Berlin", "amount": 0.25, "cap": 0.5},
     Deadline(due=datetime(2026, 12, 1, 22, 59, tzinfo=UTC), amount=0.25,
              timezone="Europe/Berlin", cap=0.5)),
], ids=["offset-datetime", "local-datetime-points-per-hour", "string-with-zone"])
def test_deadline_table_loads(tmp_path: Path, table: dict[str, Any], expected: Deadline) -> None:
    rubric = load_rubric(write_rubric(tmp_path, rubric_dict(deadline=table,
                                                            resubmission="tutor")))
    assert rubric.deadline == expected
    assert rubric.deadline is not None and rubric.deadline.due.tzinfo is not None
    assert rubric.resubmission == "tutor"


COURSE_ERRORS: list[tuple[str, dict[str, Any], str, str]] = [
    ("manual-without-description", {"checks[0]": {**MANUAL, "description": DELETE}},
     "checks[0].description", "kind 'manual' needs 'description'"),
    ("manual-blank-description", {"checks[0]": {**MANUAL, "description": "  "}},
     "checks[0].description", "what earns the points"),
    ("manual-with-symbol", {"checks[0]": {**MANUAL, "symbol": "x"}}, "checks[0].symbol",
     "not used by kind 'manual'"),
    ("manual-with-reference", {"checks[0]": {**MANUAL, "reference": REFERENCE}},
     "checks[0].reference", "not used by kind 'manual'"),
    ("manual-with-rtol", {"checks[0]": {**MANUAL, "rtol": 0.1}}, "checks[0].rtol",
     "not used by kind 'manual'"),
    ("resubmission-unknown", {"resubmission": "first"}, "resubmission",
     "must be one of 'latest', 'best', 'tutor'"),
    ("deadline-not-table", {"deadline": "2026-12-01"}, "deadline", "expected a table"),
    ("deadline-unknown-key", {"deadline": {**DEADLINE, "grace_minute": 5}}, "deadline.grace_minute",
     "unknown key (did you mean 'grace_minutes'?)"),
    ("deadline-no-due", {"deadline": {"amount": 0.1}}, "deadline.due", "required key is missing"),
    ("deadline-no-amount", {"deadline": {"due": DEADLINE["due"]}}, "deadline.amount",
     "required key is missing"),
    ("deadline-no-zone", {"deadline": {**DEADLINE, "due": datetime(2026, 12, 1, 23, 59)}},
     "deadline.due", "has no UTC offset"),
    ("deadline-date-only", {"deadline": {**DEADLINE, "due": date(2026, 12, 1)}}, "deadline.due",
     "needs a time of day"),
    ("deadline-skipped-time", {"deadline": {**DEADLINE, "due": "2026-03-29 02:30",
                                            "timezone": "Europe/Berlin"}},
     "deadline.due", "does not exist in Europe/Berlin"),
    ("deadline-wrong-offset", {"deadline": {**DEADLINE, "timezone": "Asia/Tokyo"}},
     "deadline.due", "but Asia/Tokyo is at +09:00"),
    ("deadline-unknown-zone", {"deadline": {**DEADLINE, "timezone": "Mars/Olympus"}},
     "deadline.timezone", "unknown time zone 'Mars/Olympus'"),
    ("deadline-per-week", {"deadline": {**DEADLINE, "per": "week"}}, "deadline.per",
     "must be one of 'day', 'hour'"),
    ("deadline-fraction-above-1", {"deadline": {**DEADLINE, "amount": 2}}, "deadline.amount",
     "a fraction of the maximum must be at most 1"),
    ("deadline-cap-above-1", {"deadline": {**DEADLINE, "cap": 5}}, "deadline.cap",
     "at most 1"),
    ("deadline-cap-zero", {"deadline": {**DEADLINE, "cap": 0}}, "deadline.cap",
     "must be greater than 0"),
    ("deadline-negative-grace", {"deadline": {**DEADLINE, "grace_minutes": -1}},
     "deadline.grace_minutes", "must not be negative"),
    ("deadline-source", {"deadline": {**DEADLINE, "submitted_at": "email"}},
     "deadline.submitted_at", "must be one of 'lms-csv', 'folder-name', 'mtime'"),
]


@pytest.mark.parametrize(("edits", "key", "fragment"), [c[1:] for c in COURSE_ERRORS],
                         ids=[c[0] for c in COURSE_ERRORS])
def test_invalid_course_keys_name_file_and_key(tmp_path: Path, edits: dict[str, Any], key: str,
                                               fragment: str) -> None:
    data = rubric_dict()
    for dotted, value in edits.items():
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if v is not DELETE}
        edit(data, dotted, value)
    path = write_rubric(tmp_path, data)
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    assert caught.value.key == key
    assert fragment in caught.value.problem


def test_points_rubric_may_take_more_than_1(tmp_path: Path) -> None:
    table = {**DEADLINE, "unit": "points", "amount": 2, "cap": 5}
    rubric = load_rubric(write_rubric(tmp_path, rubric_dict(deadline=table)))
    assert rubric.deadline is not None and (rubric.deadline.amount, rubric.deadline.cap) == (2, 5)
