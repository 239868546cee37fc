"""reference.autograd_graph against the torch graph itself and the seed's node counts."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from reference.autograd_graph import forward_op, label_autograd_graph  # noqa: E402

pytestmark = pytest.mark.torch

LEAF_VALUES = {"a": 1.1, "b": 0.7, "c": 0.3, "d": -0.4, "e": 0.5, "f": 0.9, "g": 1.3}


def make_leaves() -> dict[str, torch.Tensor]:
    """Seven leaf tensors of shape (1,), the "(1)" boxes of torchviz."""
    return {k: torch.tensor([v], dtype=torch.float64, requires_grad=True)
            for k, v in LEAF_VALUES.items()}


def seed_like_expression(t: dict[str, torch.Tensor]) -> torch.Tensor:
    """An illustration with exactly the seed picture's node counts (not the real comp_tree.py)."""
    a, b, c, d, e, f, g = (t[k] for k in "abcdefg")
    return (a * b + c) * (d - e) * (torch.sin(f * g) + a**b) + b * c + d * e


def test_node_counts_match_the_seed_picture() -> None:
    leaves = make_leaves()
    rows = label_autograd_graph(seed_like_expression(leaves), leaves)
    assert Counter(r["grad_fn"] for r in rows) == {
        "MulBackward0": 6, "AddBackward0": 4, "SubBackward0": 1, "PowBackward1": 1,
        "SinBackward0": 1, "AccumulateGrad": 7}
    assert sorted(r["leaf_name"] for r in rows if r["grad_fn"] == "AccumulateGrad") == list(
        "abcdefg")
    assert [r["node_id"] for r in rows] == list(range(len(rows)))


def test_expressions_rebuild_the_root_value_and_leaf_gradients() -> None:
    leaves = make_leaves()
    root = seed_like_expression(leaves)
    rows = label_autograd_graph(root, leaves)
    namespace = {"sin": torch.sin, **leaves}
    rebuilt = eval(rows[0]["expression"], {"__builtins__": {}}, namespace)  # noqa: S307
    np.testing.assert_allclose(rebuilt.detach().numpy(), root.detach().numpy(), rtol=1e-15)
    expected = torch.autograd.grad(root, list(leaves.values()))
    got = torch.autograd.grad(rebuilt, list(leaves.values()))
    np.testing.assert_allclose(torch.cat(got).numpy(), torch.cat(expected).numpy(), rtol=1e-14)


def test_inputs_point_at_the_next_functions() -> None:
    leaves = make_leaves()
    rows = label_autograd_graph(seed_like_expression(leaves), leaves)
    for row in rows:
        n_inputs = len(row["inputs"])
        assert n_inputs == (0 if row["grad_fn"] == "AccumulateGrad" else
                            1 if row["grad_fn"] == "SinBackward0" else 2)
        assert all(child > row["node_id"] or rows[child]["grad_fn"] == "AccumulateGrad"
                   for child in row["inputs"])  # pre-order: fresh children come later


@pytest.mark.parametrize(("build", "name", "op"), [
    (lambda a, b: a * b, "MulBackward0", "*"),
    (lambda a, b: a + b, "AddBackward0", "+"),
    (lambda a, b: a - b, "SubBackward0", "-"),
    (lambda a, b: a**2, "PowBackward0", "tensor ** scalar"),
    (lambda a, b: a**b, "PowBackward1", "tensor ** tensor"),
    (lambda a, b: 2**a, "PowBackward2", "scalar ** tensor"),
    (lambda a, b: torch.sin(a), "SinBackward0", "torch.sin"),
], ids=["mul", "add", "sub", "pow-scalar", "pow-tensor", "rpow", "sin"])
def test_node_names_and_forward_ops(build: object, name: str, op: str) -> None:
    leaves = {k: v for k, v in make_leaves().items() if k in "ab"}
    rows = label_autograd_graph(build(leaves["a"], leaves["b"]), leaves)  # type: ignore[operator]
    assert rows[0]["grad_fn"] == name and rows[0]["forward_op"] == op == forward_op(name)


def test_constants_and_unknown_ops_are_labelled() -> None:
    leaves = {k: v for k, v in make_leaves().items() if k in "ab"}
    rows = label_autograd_graph(3.0 * leaves["a"] ** 2 + leaves["b"].exp(), leaves)
    assert rows[0]["expression"] == "(((a ** 2) * c) + exp(b))"  # torch stores 3 * t as t * 3
    assert forward_op("CumsumBackward0") == "cumsum"


def test_root_without_grad_fn_raises() -> None:
    with pytest.raises(ValueError, match="grad_fn"):
        label_autograd_graph(make_leaves()["a"], {})
