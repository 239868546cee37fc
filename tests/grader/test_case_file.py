"""The first failing case at home: its `.npz` holds the inputs exactly, and the snippet, run with
the reference in place of the student's function, computes the value the grader expected."""

from __future__ import annotations

import base64
import dataclasses
import io
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
from probing import records_of

from grader import probe_runtime as rt
from grader.case_file import MAX_NPZ_BYTES, case_npz, needs_file, snippet
from grader.check_notes import notes_for
from grader.compare import compare_values
from grader.explain import build_detail
from grader.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[2]


def _zeros_like_reference(check: Any) -> Callable[..., Any]:
    """A wrong implementation: the reference's result with every number set to 0."""
    def wrong(*args: Any, **kwargs: Any) -> Any:
        value = rt.plain(check.reference_fn(*args, **kwargs))
        return _zero(value)
    return wrong


def _zero(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return np.zeros_like(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_zero(v) for v in value)
    if isinstance(value, dict):
        return {k: _zero(v) for k, v in value.items()}
    return value


# (rubric, check): a plain call, an optimiser chain through a callable, lists of arrays,
# tensors, a callable of scalars, and a large case (no file: random inputs of its shapes).
CHECKS = [("adam", "adam_step"), ("adam", "adam_chain"), ("adam", "train_linreg"),
          ("gradients", "backprop"), ("gradients", "adam_1d"), ("conv3d", "backward"),
          ("xor", "manual_grads")]


@pytest.mark.parametrize(("rubric_id", "check_id"), CHECKS, ids=[c for _, c in CHECKS])
def test_the_snippet_reruns_the_failing_case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             rubric_id: str, check_id: str) -> None:
    if rubric_id == "xor":
        pytest.importorskip("torch")
    rubric = load_rubric(ROOT / "rubrics" / f"{rubric_id}.toml")
    check = next(c for c in rubric.checks if c.id == check_id)
    wrong = _zeros_like_reference(check) if check.driver == "call" else (
        lambda theta, grad, m, v, *rest: (np.zeros_like(theta), m, v))
    spec, calls, records = records_of(rubric, check_id, wrong, seed=5)
    detail = build_detail(spec, notes_for(spec), calls, records)
    assert detail.case >= 1
    name = "case.npz" if needs_file(detail) else ""
    if name:
        (tmp_path / name).write_bytes(base64.b64decode(detail.npz))
    code = snippet(detail, name)
    assert ("np.load" in code) == bool(name)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {detail.symbol: check.reference_fn}
    exec(compile(code, "<snippet>", "exec"), namespace)  # noqa: S102 - our own generated code
    expected = calls[detail.case - 1].expected
    got = rt.plain(namespace["result"])
    verdict = compare_values(expected, got, rtol=1e-12, atol=0.0)
    assert verdict.passed, (verdict.message, code)


def test_the_npz_holds_every_array_exactly_under_its_parameter_name() -> None:
    rng = np.random.default_rng(1)
    a, b, theta = rng.standard_normal((3, 3)), rng.standard_normal(3), rng.standard_normal(3)
    ws = [rng.standard_normal((2, 3)), rng.standard_normal((1, 2))]
    case = rt.Case((theta, rt.Fn("quadratic_grad", (a, b)), 50, ws, rt.Tensor(b)))
    raw = case_npz(case, ("theta0", "grad", "steps", "Ws", "x"))
    assert raw is not None
    with np.load(io.BytesIO(raw), allow_pickle=False) as data:
        assert sorted(data.files) == ["Ws_0", "Ws_1", "grad_0", "grad_1", "theta0", "x"]
        for key, want in (("theta0", theta), ("grad_0", a), ("grad_1", b), ("Ws_1", ws[1]),
                          ("x", b)):
            assert np.array_equal(data[key], want) and data[key].dtype == np.float64


def test_inputs_over_the_cap_give_no_file() -> None:
    big = np.zeros(MAX_NPZ_BYTES // 8 + 1)
    assert case_npz(rt.Case((big,)), ("L1",)) is None
    assert case_npz(rt.Case((1.0, "linreg")), ("lr", "task")) is None   # no array at all


def test_a_case_too_large_to_attach_is_rebuilt_with_random_values_of_its_shapes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rubric = load_rubric(ROOT / "rubrics" / "conv3d.toml")
    check = next(c for c in rubric.checks if c.id == "forward_speed")
    spec, calls, records = records_of(rubric, "forward_speed", _zeros_like_reference(check), 0)
    detail = build_detail(spec, notes_for(spec), calls, records)
    assert detail.npz == "" and not needs_file(detail)
    code = snippet(dataclasses.replace(detail, timed_out=True), "")
    assert "time.perf_counter()" in code
    assert "rng.standard_normal((8, 16, 16, 16, 8))" in code and "np.load" not in code
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {detail.symbol: check.reference_fn}
    exec(compile(code, "<snippet>", "exec"), namespace)  # noqa: S102 - our own generated code
    assert namespace["result"].shape == calls[0].expected.shape
