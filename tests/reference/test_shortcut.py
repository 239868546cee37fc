"""reference.shortcut against torch.autograd, central differences and the path-sum closed form."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from reference.shortcut import (
    COUNTEREXAMPLE,
    SHORTCUT_SKIPS,
    chain_and_shortcut_grads,
    chain_grads,
    enumerate_paths,
    net_grads,
    path_sum_grads,
)

ONE_LAYER_PLACEMENTS = [((1, 3), (3, 5)), ((1, 3),), ((2, 4), (3, 5)), ((1, 3), (2, 4), (3, 5))]
ALL_PLACEMENTS = ONE_LAYER_PLACEMENTS + [((1, 4), (2, 5)), ((0, 2),)]
PLACEMENT_IDS = ["1-3,3-5", "1-3", "2-4,3-5", "1-3,2-4,3-5", "1-4,2-5", "x-2"]


def random_params(seed: int, scale: float = 1.5) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    return dict(zip(("x", "w1", "b1", "w", "b"), (float(v) for v in rng.normal(0, scale, 5))))


def pre_activations(p: dict[str, float], act: str, skips: Any, tie_b1: bool) -> list[float]:
    """z_1 .. z_5 of the network, by a plain numpy forward pass."""
    f = {"sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)), "tanh": np.tanh}[act]
    h, zs = [p["x"]], []
    for layer in range(1, 6):
        bias = p["b1"] if (layer in (1, 3, 5) if tie_b1 else layer == 1) else p["b"]
        z = (p["w1"] if layer == 1 else p["w"]) * h[-1] + bias
        z += sum(h[i] for i, j in skips if j == layer)
        zs.append(z)
        h.append(float(f(z)))
    return zs


def conditioned_params(seed: int, act: str, tie_b1: bool = True, bound: float = 3.0,
                       skips: Any = SHORTCUT_SKIPS) -> dict[str, float]:
    """A random draw whose pre-activations stay in [-bound, bound] with and without the skips.

    Saturated units have slopes like 1 - tanh(z)**2 ~ 1e-10 whose relative accuracy is lost to
    cancellation in any implementation, so (like the grader's probes) tests stay away from them.
    """
    for attempt in range(1000):
        p = random_params(1000 * seed + attempt, scale=1.0)
        zs = pre_activations(p, act, (), tie_b1) + pre_activations(p, act, skips, tie_b1)
        if max(abs(z) for z in zs) <= bound:
            return p
    raise AssertionError("no well-conditioned draw found")


def torch_grads(p: dict[str, float], act: str, skips: Any, tie_b1: bool,
                dtype_name: str = "float64") -> tuple[float, float]:
    """(dy/dw1, dy/db1) by torch.autograd on the network written out layer by layer."""
    import torch

    dtype = getattr(torch, dtype_name)
    t = {k: torch.tensor(v, dtype=dtype, requires_grad=k in ("w1", "b1")) for k, v in p.items()}
    f = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "identity": lambda z: z}[act]
    h = [t["x"]]
    for layer in range(1, 6):
        bias = t["b1"] if (layer in (1, 3, 5) if tie_b1 else layer == 1) else t["b"]
        z = (t["w1"] if layer == 1 else t["w"]) * h[-1] + bias
        z = z + sum((h[i] for i, j in skips if j == layer), torch.zeros((), dtype=dtype))
        h.append(f(z))
    dw1, db1 = torch.autograd.grad(h[-1], (t["w1"], t["b1"]))
    return float(dw1), float(db1)


@pytest.mark.torch
@pytest.mark.parametrize("shortcut", [False, True], ids=["chain", "shortcut"])
@pytest.mark.parametrize("act", ["sigmoid", "tanh"], ids=["sigmoid", "tanh"])
@pytest.mark.parametrize("seed", range(4), ids=lambda s: f"draw{s}")
def test_chain_grads_match_autograd(seed: int, act: str, shortcut: bool) -> None:
    pytest.importorskip("torch")
    p = conditioned_params(seed, act)
    expected = torch_grads(p, act, SHORTCUT_SKIPS if shortcut else (), tie_b1=True)
    got = chain_grads(p["x"], p["w1"], p["b1"], p["w"], p["b"], act=act, shortcut=shortcut)
    assert all(type(v) is float for v in got)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-300)


@pytest.mark.torch
@pytest.mark.parametrize("act", ["sigmoid", "tanh"], ids=["sigmoid", "tanh"])
@pytest.mark.parametrize("shortcut", [False, True], ids=["chain", "shortcut"])
def test_float32_matches_float32_autograd(shortcut: bool, act: str) -> None:
    pytest.importorskip("torch")
    for seed in range(5):
        p = conditioned_params(seed + 50, act)
        skips = SHORTCUT_SKIPS if shortcut else ()
        got = net_grads(**p, act=act, skips=skips, tie_b1=True, dtype=np.float32)
        assert all(v.dtype == np.float32 for v in got)
        expected = torch_grads(p, act, skips, tie_b1=True, dtype_name="float32")
        np.testing.assert_allclose(np.array(got, dtype=np.float64), expected, rtol=1e-5,
                                   atol=1e-9)


@pytest.mark.parametrize("shortcut", [False, True], ids=["chain", "shortcut"])
def test_chain_grads_match_central_differences(shortcut: bool) -> None:
    p = conditioned_params(9, "sigmoid")

    def y(w1: float, b1: float) -> float:
        sig = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
        h1 = sig(w1 * p["x"] + b1)
        h2 = sig(p["w"] * h1 + p["b"])
        h3 = sig(p["w"] * h2 + b1 + (h1 if shortcut else 0.0))
        h4 = sig(p["w"] * h3 + p["b"])
        return float(sig(p["w"] * h4 + b1 + (h3 if shortcut else 0.0)))

    h = 1e-6
    fd = ((y(p["w1"] + h, p["b1"]) - y(p["w1"] - h, p["b1"])) / (2 * h),
          (y(p["w1"], p["b1"] + h) - y(p["w1"], p["b1"] - h)) / (2 * h))
    got = chain_grads(p["x"], p["w1"], p["b1"], p["w"], p["b"], shortcut=shortcut)
    np.testing.assert_allclose(got, fd, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize(("tie_b1", "params", "expected"), [
    (False, COUNTEREXAMPLE,
     {"dy_dw1": 0.03180960, "dy_db1": 0.03180960, "dys_dw1": 0.02758587, "dys_db1": 0.02758587}),
    (True, {"x": 1.0, "w1": 1.0, "b1": 0.0, "w": 1.0, "b": 0.0},
     {"dy_dw1": 0.00048614, "dy_db1": 0.23640472, "dys_dw1": 0.00688797, "dys_db1": 0.18535320}),
], ids=["counterexample-b1-layer1-only", "literal-tied-b1"])
def test_documented_values_show_the_inequality_fails(tie_b1: bool, params: dict[str, float],
                                                   expected: dict[str, float]) -> None:
    got = chain_and_shortcut_grads(**params, act="sigmoid", tie_b1=tie_b1)
    for key, value in expected.items():
        np.testing.assert_allclose(got[key], value, rtol=0, atol=5e-9)
    assert abs(got["dy_db1"]) > abs(got["dys_db1"])  # seed 002's claim violated


@pytest.mark.torch
@pytest.mark.parametrize("tie_b1", [True, False], ids=["tied", "untied"])
@pytest.mark.parametrize("skips", ALL_PLACEMENTS, ids=PLACEMENT_IDS)
def test_own_slope_path_sum_matches_autograd(skips: Any, tie_b1: bool) -> None:
    pytest.importorskip("torch")
    for seed in range(3):
        p = conditioned_params(seed + 20, "tanh", tie_b1, skips=skips)
        expected = torch_grads(p, "tanh", skips, tie_b1)
        got = path_sum_grads(**p, act="tanh", skips=skips, tie_b1=tie_b1, slopes="own")
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-300)


def test_closed_form_for_one_layer_skips() -> None:
    # b1 in layer 1 only: dy*/dw1 = x s1 s3 s5 (w^2 s2 + 1)(w^2 s4 + 1), s_l the own slopes.
    for seed in range(20):
        p = random_params(seed + 40)
        sig = lambda z: 1.0 / (1.0 + np.exp(-z))  # noqa: E731
        h1 = sig(p["w1"] * p["x"] + p["b1"]); h2 = sig(p["w"] * h1 + p["b"])  # noqa: E702
        h3 = sig(p["w"] * h2 + p["b"] + h1); h4 = sig(p["w"] * h3 + p["b"])  # noqa: E702
        y = sig(p["w"] * h4 + p["b"] + h3)
        s = [v * (1 - v) for v in (h1, h2, h3, h4, y)]
        closed = p["x"] * s[0] * s[2] * s[4] * (p["w"]**2 * s[1] + 1) * (p["w"]**2 * s[3] + 1)
        got = chain_and_shortcut_grads(**p, tie_b1=False)["dys_dw1"]
        np.testing.assert_allclose(got, closed, rtol=1e-12)


@pytest.mark.parametrize("tie_b1", [True, False], ids=["tied", "untied"])
@pytest.mark.parametrize("skips", ONE_LAYER_PLACEMENTS, ids=PLACEMENT_IDS[:4])
def test_inequality_holds_with_frozen_slopes_and_with_identity(skips: Any, tie_b1: bool) -> None:
    for seed in range(200):
        p = random_params(seed, scale=float(np.random.default_rng(seed).uniform(0.1, 4.0)))
        plain = net_grads(**p, act="sigmoid", skips=(), tie_b1=tie_b1)
        frozen = path_sum_grads(**p, act="sigmoid", skips=skips, tie_b1=tie_b1, slopes="frozen")
        assert abs(plain[0]) <= abs(frozen[0]) * (1 + 1e-12)
        assert abs(plain[1]) <= abs(frozen[1]) * (1 + 1e-12)
        lin = chain_and_shortcut_grads(**p, act="identity", skips=skips, tie_b1=tie_b1)
        assert abs(lin["dy_dw1"]) <= abs(lin["dys_dw1"]) * (1 + 1e-12)
        assert abs(lin["dy_db1"]) <= abs(lin["dys_db1"]) * (1 + 1e-12)


def test_two_layer_skips_break_the_inequality_even_when_linear() -> None:
    violations = 0
    for seed in range(200):
        p = random_params(seed, scale=float(np.random.default_rng(seed).uniform(0.1, 4.0)))
        lin = chain_and_shortcut_grads(**p, act="identity", skips=((1, 4), (2, 5)), tie_b1=False)
        violations += abs(lin["dy_dw1"]) > abs(lin["dys_dw1"])
    assert violations > 0


@pytest.mark.parametrize(("start", "skips", "count"), [
    (1, (), 1), (1, SHORTCUT_SKIPS, 4), (3, SHORTCUT_SKIPS, 2), (5, SHORTCUT_SKIPS, 1),
    (1, ((1, 3), (2, 4), (3, 5)), 5),
], ids=["chain", "shortcut-from-1", "shortcut-from-3", "output", "three-skips"])
def test_path_counts(start: int, skips: Any, count: int) -> None:
    paths = enumerate_paths(start, skips)
    assert len(paths) == len(set(paths)) == count
    assert all(path[0] == start and path[-1] == 5 for path in paths)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"act": "softsign"}, "act"), ({"skips": ((3, 4),)}, "skip"), ({"skips": ((2, 6),)}, "skip"),
], ids=["unknown-act", "parallel-edge", "beyond-output"])
def test_bad_arguments_raise(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        net_grads(0.5, 1.0, 0.0, 1.0, 0.0, **kwargs)
