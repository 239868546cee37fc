"""Which picture a check that did not pass gets, drawn from its cases; thumbnails of figures."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
from probing import records_of

from grader.check_notes import notes_for
from grader.check_pictures import MAX_THUMBNAILS, draw, thumbnails
from grader.plots.encode import MAX_PICTURE_CHARS
from grader.rubric import load_rubric
from reference.adam import adam_step
from reference.conv3d import conv3d_backward
from reference.quadratic import gd_quadratic
from reference.training import train

ROOT = Path(__file__).resolve().parents[2]


def no_correction(theta: Any, grad: Any, m: Any, v: Any, t: int, lr: float, beta1: float,
                  beta2: float, eps: float) -> tuple[Any, Any, Any]:
    m, v = beta1 * m + (1 - beta1) * grad, beta2 * v + (1 - beta2) * grad**2
    return theta - lr * m / (np.sqrt(v) + eps), m, v


def dL1_shifted(L1: Any, F: Any, dL2: Any) -> tuple[Any, Any]:
    dL1, dF = conv3d_backward(L1, F, dL2)
    return np.roll(dL1, 1, axis=1), dF


def sigma_cubed(x: Any) -> Any:
    s = 1 / (1 + np.exp(-np.asarray(x)))
    return s * s**2


def per_unit_bias(X: Any, y: Any, Wi: Any, ba: Any, Wo: Any, bo: Any) -> dict[str, Any]:
    from reference.xor import manual_grads

    grads = manual_grads(X, y, Wi, ba, Wo, bo)
    return {**grads, "ba": grads["ba"] * Wi.new_ones(Wi.shape[1]) / Wi.shape[1]}   # (H,)


CASES: list[tuple[str, str, Callable[..., Any], str]] = [
    ("adam", "train_linreg", lambda *a: (train(*a)[0], train(*a)[1][::-1].copy()), "loss curve"),
    ("adam", "adam_chain", no_correction, "your iterates"),
    ("gradients", "gd_quadratic", lambda H, w0, lr, steps: gd_quadratic(H, w0, lr, steps, True),
     "w per step"),
    ("conv3d", "backward", dL1_shifted, "heat map of dL1"),
    ("xor", "sigmoid_prime", sigma_cubed, "values of x"),
    ("gradients", "max_stable_lr", lambda H: 2.0 / np.linalg.eigvalsh(H).max(), "case by case"),
    ("xor", "manual_grads", per_unit_bias, "ba, case"),
]


@pytest.mark.parametrize(("rubric_id", "check_id", "student", "alt"), CASES,
                         ids=[c for _, c, _, _ in CASES])
def test_a_failing_check_gets_its_kind_of_picture(rubric_id: str, check_id: str,
                                                  student: Callable[..., Any], alt: str) -> None:
    if rubric_id == "xor":
        pytest.importorskip("torch")
    rubric = load_rubric(ROOT / "rubrics" / f"{rubric_id}.toml")
    check, calls, records = records_of(rubric, check_id, student, seed=4)
    (picture,) = draw(check, notes_for(check), calls, records, "fail")
    assert alt in picture.alt and picture.src.startswith("data:image/")
    assert picture.nbytes <= MAX_PICTURE_CHARS


def test_a_passing_check_gets_no_picture() -> None:
    rubric = load_rubric(ROOT / "rubrics" / "adam.toml")
    check, calls, records = records_of(rubric, "adam_chain", adam_step, seed=4)
    assert draw(check, notes_for(check), calls, records, "pass") == ()
    assert draw(check, notes_for(check), calls, records, "fail") == ()   # no case differs


def _figure(fmt: str) -> str:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(3, 2), dpi=80)
    figure.add_subplot().plot([0, 1, 2], [2, 0, 1])
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt)
    raw = buffer.getvalue()
    return raw.decode() if fmt == "svg" else base64.b64encode(raw).decode()


def test_figures_become_at_most_a_few_thumbnails_and_svg_is_left_out() -> None:
    figures = (("image/svg+xml", _figure("svg")),) + (("image/png", _figure("png")),) * 5
    shown = thumbnails(figures)
    assert len(shown) == MAX_THUMBNAILS
    assert all(p.src.startswith("data:image/png;base64,") for p in shown)
    assert thumbnails((("image/png", "AAAA"),)) == ()
