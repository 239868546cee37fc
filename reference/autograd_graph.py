"""Seed 002, Ex 3: label every node of a torch autograd graph (what `comp_tree.py` draws).

torchviz draws each backward node by its class name and each leaf tensor of shape (1,) as a
box "(1)" (an AccumulateGrad node). `label_autograd_graph` walks grad_fn.next_functions from the
root and names, for every node, the forward operation it undoes, the sub-expression it computes
and, for leaves, the variable. The seed's "SinBackward" is the old name of SinBackward0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    import torch

FORWARD_OPS: dict[str, str] = {
    "AccumulateGrad": "leaf tensor",
    "AddBackward0": "+",
    "SubBackward0": "-",
    "MulBackward0": "*",
    "DivBackward0": "/",
    "NegBackward0": "unary -",
    "PowBackward0": "tensor ** scalar",
    "PowBackward1": "tensor ** tensor",
    "PowBackward2": "scalar ** tensor",
    "SinBackward0": "torch.sin",
    "CosBackward0": "torch.cos",
    "ExpBackward0": "torch.exp",
    "LogBackward0": "torch.log",
    "TanhBackward0": "torch.tanh",
    "SigmoidBackward0": "torch.sigmoid",
}
"""Backward-node class name -> the forward operation (checked with torch 2.13)."""

_INFIX = {"AddBackward0": "+", "SubBackward0": "-", "MulBackward0": "*", "DivBackward0": "/",
          "PowBackward0": "**", "PowBackward1": "**", "PowBackward2": "**"}
_CALLS = {"SinBackward0": "sin", "CosBackward0": "cos", "ExpBackward0": "exp",
          "LogBackward0": "log", "TanhBackward0": "tanh", "SigmoidBackward0": "sigmoid",
          "NegBackward0": "-"}


def forward_op(node_name: str) -> str:
    """The forward operation of a backward node, e.g. 'PowBackward1' -> 'tensor ** tensor'.

    Unknown names fall back to the name without its 'Backward<k>' suffix.
    """
    if node_name in FORWARD_OPS:
        return FORWARD_OPS[node_name]
    return node_name.split("Backward")[0].lower()


def _children(node: Any) -> list[Any]:
    """The next_functions of a node, with None (inputs that need no grad) kept as None."""
    return [fn for fn, _ in getattr(node, "next_functions", ())]


def _expression(node: Any, parts: list[str], leaf_name: str | None) -> str:
    """The sub-expression of a node from its children's expressions ('c' for constants)."""
    name = type(node).__name__
    if name == "AccumulateGrad":
        return leaf_name or "leaf"
    if name == "PowBackward0":  # tensor ** Python number: the exponent is saved on the node
        parts = [parts[0], repr(getattr(node, "_saved_exponent", "c"))]
    elif name == "PowBackward2":  # Python number ** tensor
        parts = ["c", parts[0]]
    if name in _INFIX and len(parts) == 2:
        return f"({parts[0]} {_INFIX[name]} {parts[1]})"
    if name in _CALLS and len(parts) == 1:
        return f"{_CALLS[name]}({parts[0]})"
    return f"{forward_op(name)}({', '.join(parts)})"


def label_autograd_graph(root: torch.Tensor,
                         leaves: Mapping[str, torch.Tensor]) -> list[dict[str, Any]]:
    """Every node of root's backward graph, in depth-first pre-order from root.grad_fn.

    Args:
        root: a tensor with a grad_fn (the output of the computation).
        leaves: variable name -> leaf tensor (requires_grad=True), to name the "(1)" boxes.

    Returns:
        One dict per distinct node: {"node_id": int (0 = root.grad_fn, pre-order), "grad_fn":
        class name (e.g. "PowBackward1", "AccumulateGrad"), "forward_op": e.g. "tensor ** tensor",
        "inputs": node ids of its next_functions (constants omitted), "leaf_name": the leaf's
        name or None, "expression": the symbolic sub-expression it computes, e.g. "(a * b)"}.

    Raises:
        ValueError: when root has no grad_fn.
    """
    if root.grad_fn is None:
        raise ValueError("root has no grad_fn: it is a leaf or was computed without grad")
    ids: dict[Any, int] = {}
    stack = [root.grad_fn]
    while stack:  # iterative pre-order DFS, children left to right
        node = stack.pop()
        if node in ids:
            continue
        ids[node] = len(ids)
        stack.extend(c for c in reversed(_children(node)) if c is not None)
    names = {id(t): k for k, t in leaves.items()}
    leaf_names = {n: names.get(id(getattr(n, "variable", None))) for n in ids}
    exprs = _expressions(root.grad_fn, leaf_names)
    return [
        {
            "node_id": nid,
            "grad_fn": type(node).__name__,
            "forward_op": forward_op(type(node).__name__),
            "inputs": [ids[c] for c in _children(node) if c is not None],
            "leaf_name": leaf_names[node],
            "expression": exprs[node],
        }
        for node, nid in ids.items()
    ]


def _expressions(root_fn: Any, leaf_names: Mapping[Any, str | None]) -> dict[Any, str]:
    """Sub-expressions of every node, children first (iterative post-order over the DAG)."""
    exprs: dict[Any, str] = {}
    stack = [root_fn]
    while stack:
        node = stack[-1]
        if node in exprs:
            stack.pop()
            continue
        pending = [c for c in _children(node) if c is not None and c not in exprs]
        if pending:
            stack.extend(pending)
            continue
        parts = [exprs[c] if c is not None else "c" for c in _children(node)]
        exprs[node] = _expression(node, parts, leaf_names.get(node))
        stack.pop()
    return exprs
