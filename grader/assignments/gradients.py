"""Probe inputs for the `gradients` assignment (seeds 000 Ex 4.1, 002, 004 Q5 and 003 P5).

Every generator takes a seeded `np.random.Generator` and returns a handful of `Case`s built only
from float64 arrays, Python scalars, strings and `Fn` markers. Each keeps to inputs where the
answer is well conditioned, so that any correct implementation, however it orders its floating
point operations, agrees with the reference far inside rtol=1e-6, atol=1e-9:

* `backprop`: depths 2..12, widths 1..6, all three activations; weight gains chosen per
  activation so every dE/dW_l has its largest entry in [GRAD_MIN, GRAD_MAX], and no ReLU
  pre-activation closer than KINK_MARGIN to the kink.
* `chain`: sigmoid and tanh, with and without the shortcuts; both derivatives at least
  CHAIN_MIN in magnitude.
* `adam_1d`: the ramp-with-a-bump of seed 002 (as Fn "piecewise_slope") with no iterate within
  BREAK_MARGIN of a break, including the sheet's own setting just below and above
  h_max = 0.4102; and 1-D quadratics (Fn "scalar_quadratic_grad") whose trajectory amplifies a
  perturbation of theta0 by at most MAX_AMPLIFICATION, one with eps = 0 and one with eps in
  [1e-3, 1e-1] (where eps inside the square root shows).
* `gd_quadratic`: J(w) = w^T H w with H symmetric positive definite and lr below the stable bound.
* `max_stable_lr`: symmetric positive-definite H of sizes 1..8, spectra over up to four decades,
  lambda_max at least SPECTRAL_GAP times the next eigenvalue.
* `line_search`: g.Hg > 0 always, with g.Hg >= LINE_COS * |g| |Hg| (no cancellation), and |g|
  away from 1 (so a missing square shows).
"""

from __future__ import annotations

from functools import partial
from typing import Callable

import numpy as np

from grader.assignments.gradients_feedback import FEEDBACK  # noqa: F401 (report notes)
from grader.probe_runtime import Case, Fn

ACTIVATIONS = ("sigmoid", "tanh", "relu")
GAINS = {"sigmoid": (2.0, 4.0), "tanh": (0.8, 1.5), "relu": (1.0, 1.8)}  # std * sqrt(fan_in)
GRAD_MIN, GRAD_MAX = 1e-4, 1e4
KINK_MARGIN = 1e-6
CHAIN_MIN = 1e-6
BREAK_MARGIN = 1e-6
MAX_AMPLIFICATION = 1e3
LINE_COS = 0.05
SPECTRAL_GAP = 1.2
MAX_TRIES = 1000


def _log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def _resample(draw: Callable[[], Case | None]) -> Case:
    """Call `draw` until it returns a case (it returns None for an ill-conditioned draw)."""
    for _ in range(MAX_TRIES):
        case = draw()
        if case is not None:
            return case
    raise RuntimeError("no well-conditioned case found")  # pragma: no cover - a generator bug


def _spd(rng: np.random.Generator, lam: np.ndarray) -> np.ndarray:
    """A random symmetric matrix Q diag(lam) Q^T, exactly symmetric."""
    n = len(lam)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    h = (q * lam) @ q.T
    return (h + h.T) / 2


# ----------------------------------------------------------------------------- backprop
def _act(name: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if name == "sigmoid":
        s = 0.5 * (1.0 + np.tanh(0.5 * z))
        return s, s * (1.0 - s)
    if name == "tanh":
        th = np.tanh(z)
        return th, 1.0 - th**2
    return np.maximum(z, 0.0), (z > 0).astype(np.float64)


def _weight_grads(ws: list[np.ndarray], bs: list[np.ndarray], x: np.ndarray, act: str,
                  dx: np.ndarray) -> tuple[list[np.ndarray], float]:
    """(dE/dW_l for each layer, smallest |z| of any layer), a private re-implementation."""
    xs, primes, zmin = [x], [], np.inf
    for w, b in zip(ws, bs):
        z = w @ xs[-1] + b
        zmin = min(zmin, float(np.min(np.abs(z))))
        out, prime = _act(act, z)
        xs.append(out)
        primes.append(prime)
    grads: list[np.ndarray] = []
    delta = primes[-1] * dx
    for l in range(len(ws) - 1, -1, -1):
        grads.insert(0, np.outer(delta, xs[l]))
        if l:
            delta = primes[l - 1] * (ws[l].T @ delta)
    return grads, zmin


def _backprop_case(rng: np.random.Generator, depth: int, act: str) -> Case | None:
    widths = [int(n) for n in rng.integers(1, 7, size=depth + 1)]
    gain = rng.uniform(*GAINS[act])
    ws = [rng.normal(0.0, gain / np.sqrt(widths[l]), (widths[l + 1], widths[l]))
          for l in range(depth)]
    bs = [rng.normal(0.0, 0.3, widths[l + 1]) for l in range(depth)]
    x = rng.standard_normal(widths[0])
    dx = rng.standard_normal(widths[-1])
    grads, zmin = _weight_grads(ws, bs, x, act, dx)
    scales = [float(np.max(np.abs(g))) for g in grads]
    if min(scales) < GRAD_MIN or max(scales) > GRAD_MAX or (act == "relu" and zmin < KINK_MARGIN):
        return None
    label = f"{act}, depth {depth}, widths {tuple(widths)}, gain {gain:.2f}"
    return Case(args=(ws, bs, x, act, dx), label=label)


def backprop_cases(rng: np.random.Generator) -> list[Case]:
    """Six networks: every activation, depth 2 and depth 12 included, the rest random in 2..12."""
    plan = [("sigmoid", 2), ("tanh", 12), ("relu", int(rng.integers(2, 13)))]
    plan += [(ACTIVATIONS[int(rng.integers(3))], int(rng.integers(2, 13))) for _ in range(3)]
    return [_resample(partial(_backprop_case, rng, depth, act)) for act, depth in plan]


# ----------------------------------------------------------------------------- chain
def _chain_y(x: float, w1: float, b1: float, w: float, b: float, act: str, shortcut: bool) -> float:
    f = (lambda z: 0.5 * (1.0 + np.tanh(0.5 * z))) if act == "sigmoid" else np.tanh
    h1 = f(w1 * x + b1)
    h2 = f(w * h1 + b)
    h3 = f(w * h2 + b1 + (h1 if shortcut else 0.0))
    h4 = f(w * h3 + b)
    return float(f(w * h4 + b1 + (h3 if shortcut else 0.0)))


def _chain_case(x: float, w1: float, b1: float, w: float, b: float, act: str,
                shortcut: bool) -> Case | None:
    h = 1e-5
    def y(w1_: float, b1_: float) -> float:
        return _chain_y(x, w1_, b1_, w, b, act, shortcut)

    d_w1 = (y(w1 + h, b1) - y(w1 - h, b1)) / (2 * h)
    d_b1 = (y(w1, b1 + h) - y(w1, b1 - h)) / (2 * h)
    if min(abs(d_w1), abs(d_b1)) < CHAIN_MIN:
        return None
    label = (f"{act}, shortcut={shortcut}, x={x:.3g}, w1={w1:.3g}, b1={b1:.3g}, "
             f"w={w:.3g}, b={b:.3g}")
    return Case(args=(x, w1, b1, w, b, act, shortcut), label=label)


def chain_cases(rng: np.random.Generator) -> list[Case]:
    """Six scalar chains: the sheet's x=1, w1=1, b1=0, w=1, b=0 in both settings, then random
    parameters for sigmoid and tanh, each with and without the shortcuts."""
    cases = [c for c in (_chain_case(1.0, 1.0, 0.0, 1.0, 0.0, "sigmoid", s) for s in (False, True))
             if c is not None]
    for act in ("sigmoid", "tanh"):
        for shortcut in (False, True):
            cases.append(_resample(partial(_random_chain_case, rng, act, shortcut)))
    return cases


# ----------------------------------------------------------------------------- adam_1d
def _adam_1d(grad: Callable[[float], float], theta0: float, lr: float, beta1: float, beta2: float,
             eps: float, steps: int) -> np.ndarray:
    theta, m, v, out = theta0, 0.0, 0.0, [theta0]
    for t in range(1, steps + 1):
        g = grad(theta)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        theta = theta - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
        out.append(theta)
    return np.array(out)


def _ramp_bump_case(L: float, h: float, lr: float, beta1: float, beta2: float, eps: float,
                    steps: int, what: str) -> Case | None:
    breaks, slopes = np.array([L, L + h]), np.array([-1.0, 1.0, -1.0])
    grad = lambda th: float(slopes[int(np.searchsorted(breaks, th, side="right"))])  # noqa: E731
    traj = _adam_1d(grad, 0.0, lr, beta1, beta2, eps, steps)
    if np.min(np.abs(traj[:, None] - breaks[None, :])) < BREAK_MARGIN:
        return None
    label = (f"{what}: ramp to L={L:.3g}, bump h={h:.3g}, lr={lr:.3g}, beta1={beta1:.3f}, "
             f"beta2={beta2:.4f}, eps={eps:.1e}, {steps} steps")
    return Case(args=(Fn("piecewise_slope", (breaks, slopes)), 0.0, lr, beta1, beta2, eps, steps),
                label=label)


def _quadratic_case(rng: np.random.Generator, eps: float) -> Case | None:
    a, c = float(rng.uniform(0.5, 5.0)), float(rng.normal(0.0, 2.0))
    theta0 = float(rng.normal(0.0, 2.0))
    lr, steps = float(rng.uniform(0.01, 0.3)), int(rng.integers(30, 81))
    beta1, beta2 = float(rng.uniform(0.8, 0.95)), float(rng.uniform(0.99, 0.9999))
    grad = lambda th: a * (th - c)  # noqa: E731
    base = _adam_1d(grad, theta0, lr, beta1, beta2, eps, steps)
    bump = 1e-9 * max(1.0, abs(theta0))
    moved = _adam_1d(grad, theta0 + bump, lr, beta1, beta2, eps, steps)
    if np.max(np.abs(moved - base)) > MAX_AMPLIFICATION * bump or abs(theta0 - c) < 0.1:
        return None
    label = (f"quadratic a/2 (theta - c)^2, a={a:.3g}, c={c:.3g}, theta0={theta0:.3g}, "
             f"lr={lr:.3g}, beta1={beta1:.3f}, beta2={beta2:.4f}, eps={eps:.1e}, {steps} steps")
    return Case(args=(Fn("scalar_quadratic_grad", (a, c)), theta0, lr, beta1, beta2, eps, steps),
                label=label)


def adam_1d_cases(rng: np.random.Generator) -> list[Case]:
    """Seed 002's setting just below and above h_max, a random ramp-and-bump, two quadratics."""
    cases = [
        _ramp_bump_case(1.0, 0.40, 0.3, 0.9, 0.999, 0.0, 40, "seed 002, escapes"),
        _ramp_bump_case(1.0, 0.42, 0.3, 0.9, 0.999, 0.0, 60, "seed 002, stuck"),
        _resample(lambda: _ramp_bump_case(
            float(rng.uniform(0.5, 2.0)), float(rng.uniform(0.2, 0.8)),
            float(rng.uniform(0.1, 0.5)),
            float(rng.uniform(0.8, 0.95)), float(rng.uniform(0.99, 0.9999)),
            0.0 if rng.uniform() < 0.5 else _log_uniform(rng, 1e-8, 1e-1),
            int(rng.integers(30, 81)), "random ramp and bump")),
        _resample(lambda: _quadratic_case(rng, 0.0)),
        _resample(lambda: _quadratic_case(rng, _log_uniform(rng, 1e-3, 1e-1))),  # eps shows
    ]
    return [c for c in cases if c is not None]


# ----------------------------------------------------------------------------- quadratics
def gd_quadratic_cases(rng: np.random.Generator) -> list[Case]:
    """Four GD runs on w^T H w, H SPD of size 1..6, lr in (0.1, 0.95) / lambda_max."""
    cases = []
    for n in (1, int(rng.integers(2, 4)), int(rng.integers(4, 7)), int(rng.integers(2, 7))):
        lam = rng.uniform(0.1, 5.0, size=n)
        h = _spd(rng, lam)
        lr = float(rng.uniform(0.1, 0.95) / lam.max())
        steps = int(rng.integers(5, 41))
        w0 = rng.standard_normal(n)
        cases.append(Case(args=(h, w0, lr, steps),
                          label=f"n={n}, lambda in [{lam.min():.3g}, {lam.max():.3g}], "
                                f"lr={lr:.3g}, {steps} steps"))
    return cases


def max_stable_lr_cases(rng: np.random.Generator) -> list[Case]:
    """Five SPD matrices, sizes 1..8, eigenvalues log-uniform over up to four decades, the
    largest at least SPECTRAL_GAP times the next (so power iteration converges quickly too)."""
    cases = []
    for n in (1, 2, int(rng.integers(3, 9)), int(rng.integers(3, 9)), int(rng.integers(3, 9))):
        low = _log_uniform(rng, 1e-2, 1.0)
        high = low * _log_uniform(rng, 1.0, 1e4)
        lam = np.sort(np.exp(rng.uniform(np.log(low), np.log(high), size=n)))
        if n > 1:
            lam[-1] = max(lam[-1], SPECTRAL_GAP * lam[-2])
        cases.append(Case(args=(_spd(rng, lam),),
                          label=f"n={n}, lambda in [{lam.min():.3g}, {lam.max():.3g}]"))
    return cases


def _line_search_case(rng: np.random.Generator, n: int, definite: bool) -> Case | None:
    norm = _log_uniform(rng, 0.01, 0.3) if rng.uniform() < 0.5 else _log_uniform(rng, 3.0, 100.0)
    g = rng.standard_normal(n)
    g *= norm / np.linalg.norm(g)
    lam = rng.uniform(0.1, 10.0, size=n)
    if not definite:
        lam[: max(1, n // 3)] *= -1.0
    hg = _spd(rng, lam) @ g
    if float(g @ hg) < LINE_COS * np.linalg.norm(g) * np.linalg.norm(hg):
        return None
    kind = "SPD H" if definite else "indefinite H"
    return Case(args=(g, hg), label=f"n={n}, |g|={norm:.3g}, {kind}, g.Hg={float(g @ hg):.3g}")


def _random_chain_case(rng: np.random.Generator, act: str, shortcut: bool) -> Case | None:
    return _chain_case(float(rng.uniform(-2, 2)), float(rng.normal(0, 1.5)),
                       float(rng.normal(0, 1)), float(rng.normal(0, 1.5)), float(rng.normal(0, 1)),
                       act, shortcut)


def line_search_cases(rng: np.random.Generator) -> list[Case]:
    """Five (g, Hg) pairs with g.Hg > 0: four from SPD H, one from an indefinite H."""
    sizes = [int(n) for n in rng.integers(2, 21, size=5)]
    return [_resample(partial(_line_search_case, rng, n, k < 4)) for k, n in enumerate(sizes)]
