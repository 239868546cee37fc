"""Probe inputs for the `adam` assignment (seed 000 Ex 4.3): Adam, plain GD and `train`.

Every generator takes a seeded `np.random.Generator`, returns a handful of `Case`s built only
from float64 arrays, Python scalars, strings and `Fn` markers, and stays where the maths is well
conditioned (docs/assignments.md#inputs-and-return-values):

* `adam_step`: t = 1 and t = 2 (where a missing bias correction or a 0-based t shows most), then
  random t up to 1000; eps log-uniform in [1e-8, 1e-1]; gradient scales log-uniform in
  [1e-4, 10]; 1-D, 2-D and 3-D shapes. One case pairs a tiny gradient with a large eps, so eps
  inside the square root cannot hide. The moments passed in are those of a plausible history
  (v >= 0, zero at t = 1).
* `adam_chain`: 50 chained steps (driver "optimizer_chain") on 1/2 theta^T A theta - b^T theta
  with A symmetric positive definite, eigenvalues in [0.5, 5].
* `train`: lr <= 0.05, at most 300 epochs, data on which every logit of the training run stays
  within +-LOGIT_BOUND (so p stays far inside [1e-6, 1 - 1e-6]) and GD is stable.

The module also holds `train_compare`, the comparator of the two `train` checks: the rubric's
tolerance, plus hints for the classic mistakes (losses recorded after the update, [b, w] layout).
"""

from __future__ import annotations

import numpy as np

from grader.probe_runtime import Case, Fn

ADAM_STEP_T = (1, 2)          # always probed, then random t up to T_MAX
T_MAX = 1000
EPS_RANGE = (1e-8, 1e-1)      # log-uniform
GRAD_SCALE_RANGE = (1e-4, 10.0)
CHAIN_STEPS = 50
TRAIN_LR_MAX = 0.05
TRAIN_EPOCHS_MAX = 300
LOGIT_BOUND = 10.0            # |X @ w + b| along the reference run: p in [4.5e-5, 1 - 4.5e-5]


def _log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def _random_shape(rng: np.random.Generator, ndim: int) -> tuple[int, ...]:
    return tuple(int(n) for n in rng.integers(1, 6, size=ndim))


def _hyper(rng: np.random.Generator, eps: float | None = None) -> dict[str, float]:
    """Random Adam hyper-parameters, Python floats."""
    return {
        "lr": _log_uniform(rng, 1e-3, 1e-1),
        "beta1": float(rng.uniform(0.8, 0.95)),
        "beta2": float(rng.uniform(0.99, 0.9999)),
        "eps": _log_uniform(rng, *EPS_RANGE) if eps is None else eps,
    }


HYPER_ORDER = ("lr", "beta1", "beta2", "eps")


def _adam_step_case(rng: np.random.Generator, t: int, shape: tuple[int, ...],
                    scale: float, hyper: dict[str, float]) -> Case:
    theta = rng.uniform(0.1, 1.0) * rng.standard_normal(shape)
    grad = scale * rng.standard_normal(shape)
    if t == 1:
        m, v = np.zeros(shape), np.zeros(shape)
    else:  # moments of a history of gradients of about the same scale
        m = scale * (1 - hyper["beta1"] ** (t - 1)) * rng.standard_normal(shape)
        v = scale**2 * (1 - hyper["beta2"] ** (t - 1)) * rng.uniform(0.25, 4.0, size=shape)
    label = (f"t={t}, shape {shape}, |g|~{scale:.1e}, lr={hyper['lr']:.3g}, "
             f"beta1={hyper['beta1']:.3f}, beta2={hyper['beta2']:.4f}, eps={hyper['eps']:.1e}")
    # hyper-parameters positionally, in the signature's order: a student who renamed them still
    # passes
    return Case(args=(theta, grad, m, v, t, *(hyper[k] for k in HYPER_ORDER)), label=label)


def adam_step_cases(rng: np.random.Generator) -> list[Case]:
    """Six single Adam steps: t = 1 (twice), t = 2, a small t and two t up to 1000."""
    cases = [
        # t = 1, tiny gradient, large eps: eps inside the sqrt and a missing correction both show.
        _adam_step_case(rng, 1, _random_shape(rng, 1), _log_uniform(rng, 1e-4, 1e-2),
                        _hyper(rng, eps=_log_uniform(rng, 1e-3, 1e-1))),
        _adam_step_case(rng, 1, _random_shape(rng, 2), _log_uniform(rng, *GRAD_SCALE_RANGE),
                        _hyper(rng)),
        _adam_step_case(rng, 2, _random_shape(rng, 2), _log_uniform(rng, *GRAD_SCALE_RANGE),
                        _hyper(rng)),
        _adam_step_case(rng, int(rng.integers(3, 20)), _random_shape(rng, 3),
                        _log_uniform(rng, *GRAD_SCALE_RANGE), _hyper(rng)),
    ]
    for ndim in (1, 2):
        t = int(rng.integers(20, T_MAX + 1))
        shape = _random_shape(rng, ndim)
        cases.append(_adam_step_case(rng, t, shape, _log_uniform(rng, *GRAD_SCALE_RANGE),
                                     _hyper(rng)))
    return cases


def _spd(rng: np.random.Generator, n: int, low: float, high: float) -> np.ndarray:
    """A random symmetric positive-definite (n, n) matrix with eigenvalues in [low, high]."""
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    lam = rng.uniform(low, high, size=n)
    lam[0], lam[-1] = low, high
    a = (q * lam) @ q.T
    return (a + a.T) / 2


def adam_chain_cases(rng: np.random.Generator) -> list[Case]:
    """Four runs of 50 chained Adam steps on random quadratics (P = 2..6 parameters)."""
    cases = []
    for _ in range(4):
        n = int(rng.integers(2, 7))
        a = _spd(rng, n, 0.5, 5.0)
        b = rng.standard_normal(n)
        theta0 = rng.standard_normal(n)
        hyper = _hyper(rng)
        label = (f"50 steps on a quadratic, P={n}, lr={hyper['lr']:.3g}, "
                 f"beta1={hyper['beta1']:.3f}, beta2={hyper['beta2']:.4f}, eps={hyper['eps']:.1e}")
        cases.append(Case(args=(theta0, Fn("quadratic_grad", (a, b)), CHAIN_STEPS,
                                *(hyper[k] for k in HYPER_ORDER)), label=label))
    return cases


def gd_step_cases(rng: np.random.Generator) -> list[Case]:
    """Three GD steps on random 1-D, 2-D and 3-D parameters."""
    cases = []
    for ndim in (1, 2, 3):
        shape = _random_shape(rng, ndim)
        lr = _log_uniform(rng, 1e-3, 1.0)
        theta = rng.standard_normal(shape)
        grad = _log_uniform(rng, 1e-2, 10.0) * rng.standard_normal(shape)
        cases.append(Case(args=(theta, grad, lr), label=f"shape {shape}, lr={lr:.3g}"))
    return cases


# ----------------------------------------------------------------------------- train
def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _max_abs_logit(x: np.ndarray, y: np.ndarray, optimizer: str, lr: float, epochs: int) -> float:
    """Largest |X @ w + b| over a logistic-regression run (a private re-implementation)."""
    n, d = x.shape
    xa = np.hstack([x, np.ones((n, 1))])
    theta, m, v = np.zeros(d + 1), np.zeros(d + 1), np.zeros(d + 1)
    worst = 0.0
    for t in range(1, epochs + 1):
        z = xa @ theta
        worst = max(worst, float(np.max(np.abs(z))))
        g = xa.T @ (_sigmoid(z) - y) / n
        if optimizer == "gd":
            theta = theta - lr * g
        else:
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g**2
            theta = theta - lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return max(worst, float(np.max(np.abs(xa @ theta))))


def _regression_data(rng: np.random.Generator, d: int) -> tuple[np.ndarray, np.ndarray]:
    n = int(rng.integers(20, 81))
    x = rng.uniform(0.5, 1.5) * rng.standard_normal((n, d)) + rng.uniform(-1.0, 1.0, size=d)
    w, b, noise = rng.standard_normal(d), rng.standard_normal(), rng.uniform(0.1, 0.5)
    y = x @ w + b + noise * rng.standard_normal(n)
    return x, y


def _classification_data(rng: np.random.Generator, d: int) -> tuple[np.ndarray, np.ndarray]:
    n = int(rng.integers(30, 81))
    x = rng.standard_normal((n, d)) + rng.uniform(-0.5, 0.5, size=d)
    z = x @ rng.normal(0.0, 1.5, size=d) + rng.normal(0.0, 0.5)
    y = (rng.uniform(size=n) < _sigmoid(z)).astype(np.float64)
    y[:2] = (0.0, 1.0)  # both classes present
    return x, y


def _train_cases(rng: np.random.Generator, task: str) -> list[Case]:
    cases = []
    for d in (1, 2):
        for optimizer in ("gd", "adam"):
            lr = float(rng.uniform(0.01, TRAIN_LR_MAX))
            epochs = int(rng.integers(100, TRAIN_EPOCHS_MAX + 1))
            while True:
                if task == "linreg":
                    x, y = _regression_data(rng, d)
                    break
                x, y = _classification_data(rng, d)
                if _max_abs_logit(x, y, optimizer, lr, epochs) <= LOGIT_BOUND:
                    break
            label = f"{task}, d={d}, N={len(y)}, {optimizer}, lr={lr:.3g}, {epochs} epochs"
            cases.append(Case(args=(x, y, task, optimizer, lr, epochs), label=label))
    return cases


def train_linreg_cases(rng: np.random.Generator) -> list[Case]:
    """Linear regression with 1 and 2 variables, each with GD and with Adam (four runs)."""
    return _train_cases(rng, "linreg")


def train_logreg_cases(rng: np.random.Generator) -> list[Case]:
    """Logistic regression with 1 and 2 variables, each with GD and with Adam (four runs)."""
    return _train_cases(rng, "logreg")
