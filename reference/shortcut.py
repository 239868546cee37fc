"""Seed 002, Ex 1: gradients of the five-layer scalar chain, with and without short-circuit edges.

The chain as printed (b1 in layers 1, 3 and 5, b in layers 2 and 4; the h3 line is printed twice):
    h1 = act(w1 x + b1), h2 = act(w h1 + b), h3 = act(w h2 + b1), h4 = act(w h3 + b),
    y = act(w h4 + b1).
The short-circuit network y* adds edges of fixed weight 1; the figure is missing, so a skip
(i, j) here means "h_i is added to the pre-activation of layer j" (layer 5 is the output). The
graded placement is h1 -> layer 3 and h3 -> output, i.e. skips ((1, 3), (3, 5)).

Seed error: the claim |dy/dw1| <= |dy*/dw1| and |dy/db1| <= |dy*/db1| is FALSE in general for a
nonlinear act with act' > 0: the skips change the forward activations, hence the slopes
act'(z_l). It holds for the identity act or with the slopes frozen at the chain's values
(path counting: every one-layer skip replaces w*w by 1, so all path terms keep an even power of
w). Counterexample (`COUNTEREXAMPLE`, sigmoid, b1 only in layer 1): dy/dw1 = dy/db1 = 0.03180960
for the chain against 0.02758587 with the skips.
"""

from __future__ import annotations

from typing import Literal, Sequence

import numpy as np

from reference.sigmoid import sigmoid

Skips = Sequence[tuple[int, int]]
N_LAYERS = 5
SHORTCUT_SKIPS: tuple[tuple[int, int], ...] = ((1, 3), (3, 5))
COUNTEREXAMPLE = {"x": 1.0, "w1": -3.0, "b1": 3.0, "w": 3.0, "b": -1.0}
"""Parameters where y* has the SMALLER gradient (skips (1, 3), (3, 5), tie_b1=False)."""


def _activate(act: str, z: np.floating) -> tuple[np.floating, np.floating]:
    """act(z) and act'(z) for a numpy scalar, in its dtype."""
    one = z.dtype.type(1)
    if act == "sigmoid":
        h = z.dtype.type(sigmoid(z))
        return h, h * (one - h)
    if act == "tanh":
        h = np.tanh(z)
        return h, one - h * h
    if act == "relu":  # relu'(0) taken as 0
        return (z, one) if z > 0 else (z.dtype.type(0), z.dtype.type(0))
    if act == "identity":
        return z, one
    raise ValueError(f"act must be 'sigmoid', 'tanh', 'relu' or 'identity', got {act!r}")


def _check_skips(skips: Skips) -> None:
    """Raise ValueError unless every skip (i, j) jumps forward over at least one layer."""
    for i, j in skips:
        if not 0 <= i < j <= N_LAYERS or j == i + 1:
            raise ValueError(f"skip ({i}, {j}) must satisfy 0 <= i, i + 1 < j <= {N_LAYERS}")


def _b1_layers(tie_b1: bool) -> tuple[int, ...]:
    """The layers whose bias is b1: (1, 3, 5) as printed, or only layer 1."""
    return (1, 3, 5) if tie_b1 else (1,)


def _forward_slopes(params: tuple[np.floating, ...], act: str, skips: Skips,
                    tie_b1: bool) -> dict[int, np.floating]:
    """Forward pass; returns the slopes act'(z_l) for l = 1..5."""
    x, w1, b1, w, b = params
    h = {0: x}
    slopes = {}
    for layer in range(1, N_LAYERS + 1):
        z = (w1 if layer == 1 else w) * h[layer - 1]
        z = z + (b1 if layer in _b1_layers(tie_b1) else b)
        for i, j in skips:
            if j == layer:
                z = z + h[i]
        h[layer], slopes[layer] = _activate(act, z)
    return slopes


def _backward(params: tuple[np.floating, ...], slopes: dict[int, np.floating], skips: Skips,
              tie_b1: bool) -> tuple[np.floating, np.floating]:
    """Reverse pass by the chain rule: (dy/dw1, dy/db1) given the slopes."""
    x, w1, _, w, _ = params
    zero = x.dtype.type(0)
    h_bar = {layer: zero for layer in range(N_LAYERS + 1)}
    h_bar[N_LAYERS] = x.dtype.type(1)  # dy/dy
    z_bar = {}
    for layer in range(N_LAYERS, 0, -1):
        z_bar[layer] = h_bar[layer] * slopes[layer]  # dy/dz_l
        h_bar[layer - 1] = h_bar[layer - 1] + (w1 if layer == 1 else w) * z_bar[layer]
        for i, j in skips:
            if j == layer:
                h_bar[i] = h_bar[i] + z_bar[layer]  # the skip edge has weight 1
    dy_db1 = sum((z_bar[layer] for layer in _b1_layers(tie_b1)), zero)
    return z_bar[1] * x, dy_db1


def _params(x: float, w1: float, b1: float, w: float, b: float,
            dtype: type[np.floating] = np.float64) -> tuple[np.floating, ...]:
    """The five scalars as numpy scalars of `dtype`."""
    return tuple(dtype(v) for v in (x, w1, b1, w, b))


def net_grads(x: float, w1: float, b1: float, w: float, b: float, act: str = "sigmoid",
              skips: Skips = (), tie_b1: bool = True,
              dtype: type[np.floating] = np.float64) -> tuple[np.floating, np.floating]:
    """(dy/dw1, dy/db1) of the chain with the given skips, forward then backward.

    Args:
        x, w1, b1, w, b: the input and the shared parameters (scalars).
        act: "sigmoid", "tanh", "relu" or "identity".
        skips: pairs (i, j), 0 <= i, i + 1 < j <= 5: h_i added to the pre-activation of layer j.
        tie_b1: b1 in layers 1, 3, 5 (as printed) if True, else b1 in layer 1 and b in 2..5.
        dtype: np.float64 or np.float32; all arithmetic is done in it.

    Returns:
        (dy/dw1, dy/db1) as numpy scalars of `dtype`.
    """
    _check_skips(skips)
    params = _params(x, w1, b1, w, b, dtype)
    return _backward(params, _forward_slopes(params, act, skips, tie_b1), skips, tie_b1)


def chain_grads(x: float, w1: float, b1: float, w: float, b: float,
                act: str = "sigmoid", shortcut: bool = False) -> tuple[float, float]:
    """(dy/dw1, dy/db1) of seed 002's chain as printed (graded: docs/assignments.md#gradients).

    b1 enters layers 1, 3 and 5 (so dy/db1 sums three terms), b layers 2 and 4. With
    shortcut=True, h1 is added to the pre-activation of layer 3 and h3 to that of the output.
    Seed error: "show |dy/dw1| <= |dy*/dw1| & |dy/db1| <= |dy*/db1|" is false in general (the
    skips change the slopes act'(z_l)); at x=1, w1=1, b1=0, w=1, b=0 dy/db1 is 0.2364 vs 0.1854.

    Args:
        x, w1, b1, w, b: Python floats.
        act: "sigmoid" or "tanh" (also "relu", "identity").
        shortcut: add the two weight-1 skip edges.

    Returns:
        (dy/dw1, dy/db1) as Python floats (float64).
    """
    skips = SHORTCUT_SKIPS if shortcut else ()
    dw1, db1 = net_grads(x, w1, b1, w, b, act, skips, tie_b1=True)
    return float(dw1), float(db1)


def chain_and_shortcut_grads(x: float, w1: float, b1: float, w: float, b: float,
                             act: str = "sigmoid", skips: Skips = SHORTCUT_SKIPS,
                             tie_b1: bool = True,
                             dtype: type[np.floating] = np.float64) -> dict[str, float]:
    """Both networks at the same parameters, for either reading of the tied bias.

    Args: as in `net_grads`; `skips` applies to y* only.

    Returns:
        {"dy_dw1", "dy_db1"} of the chain and {"dys_dw1", "dys_db1"} of y*, Python floats.
    """
    dy_dw1, dy_db1 = net_grads(x, w1, b1, w, b, act, (), tie_b1, dtype)
    dys_dw1, dys_db1 = net_grads(x, w1, b1, w, b, act, skips, tie_b1, dtype)
    return {"dy_dw1": float(dy_dw1), "dy_db1": float(dy_db1),
            "dys_dw1": float(dys_dw1), "dys_db1": float(dys_db1)}


def enumerate_paths(start: int, skips: Skips) -> list[tuple[int, ...]]:
    """Every path of layers from `start` to the output (5) along chain edges and skips."""
    paths: list[tuple[int, ...]] = []

    def walk(path: tuple[int, ...]) -> None:
        node = path[-1]
        if node == N_LAYERS:
            paths.append(path)
            return
        for nxt in [node + 1] + [j for i, j in skips if i == node]:
            walk(path + (nxt,))

    walk((start,))
    return paths


def path_sum_grads(x: float, w1: float, b1: float, w: float, b: float, act: str = "sigmoid",
                   skips: Skips = SHORTCUT_SKIPS, tie_b1: bool = True,
                   slopes: Literal["own", "frozen"] = "own") -> tuple[float, float]:
    """(dy*/dw1, dy*/db1) of the skip network as an explicit sum over paths.

    dy/dz_k = sum over paths k -> ... -> 5 of (product of the slopes act'(z_l) at every node
    on the path) * (product of the edge weights: w per chain edge, 1 per skip). Then
    dy/dw1 = x dy/dz_1 and dy/db1 = sum of dy/dz_k over the b1 layers.

    Args: as in `net_grads`, plus
        slopes: "own" uses the skip network's own forward slopes (the true gradient);
            "frozen" uses the plain chain's slopes (the premise of the intended proof, under
            which |dy/dw1| <= |dy*/dw1| holds for every one-layer-skip placement).

    Returns:
        (dy*/dw1, dy*/db1) as Python floats.
    """
    _check_skips(skips)
    params = _params(x, w1, b1, w, b)
    s = _forward_slopes(params, act, skips if slopes == "own" else (), tie_b1)
    skip_set = set(skips)

    def dy_dz(start: int) -> float:
        total = 0.0
        for path in enumerate_paths(start, skips):
            term = float(np.prod([s[node] for node in path]))
            for a, c in zip(path[:-1], path[1:]):
                term *= 1.0 if (a, c) in skip_set else float(w)
            total += term
        return total

    return float(x) * dy_dz(1), sum(dy_dz(k) for k in _b1_layers(tie_b1))
