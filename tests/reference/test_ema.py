"""reference.ema against exact fractions, scipy.signal.lfilter and the closed-form EMA weights."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from scipy.signal import lfilter

from reference.ema import ema, ema_beta_for_window


def test_beta_is_one_minus_one_over_k() -> None:
    ks = np.random.default_rng(0).integers(2, 1001, 50)
    for k in [1, 2, 10, *ks]:
        np.testing.assert_allclose(ema_beta_for_window(int(k)), float(1 - Fraction(1, int(k))),
                                   rtol=1e-15, atol=0)


@pytest.mark.parametrize("k", [0, -3, 2.5], ids=["zero", "negative", "fractional"])
def test_bad_window_raises(k: float) -> None:
    with pytest.raises(ValueError, match="k"):
        ema_beta_for_window(k)  # type: ignore[arg-type]


@pytest.mark.parametrize("shape", [(40, 3), (25,)], ids=["matrix", "vector"])
def test_ema_matches_lfilter(shape: tuple[int, ...]) -> None:
    grads = np.random.default_rng(1).standard_normal(shape)
    beta = 0.87
    expected = lfilter([1.0 - beta], [1.0, -beta], grads, axis=0)  # y_t = b y_{t-1} + (1-b) g_t
    np.testing.assert_allclose(ema(grads, beta), expected, rtol=1e-12, atol=1e-15)


def test_ema_float32_stays_float32() -> None:
    grads = np.random.default_rng(2).standard_normal((30, 4))
    got = ema(grads.astype(np.float32), 0.9)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, lfilter([0.1], [1.0, -0.9], grads, axis=0), rtol=1e-4,
                               atol=1e-6)


@pytest.mark.parametrize(("k", "mass"), [(2, 0.75), (5, 0.6723), (10, 0.6513), (100, 0.6340)],
                         ids=lambda v: str(v))
def test_newest_weight_mean_lag_and_window_mass(k: int, mass: float) -> None:
    beta, T = ema_beta_for_window(k), 4000
    weights = ema(np.eye(T), beta)[-1][::-1]  # weights[j] multiplies the gradient j steps back
    np.testing.assert_allclose(weights[0], 1.0 / k, rtol=1e-12)  # same as the window's 1/k
    np.testing.assert_allclose(weights.sum(), 1.0 - beta**T, rtol=1e-12)
    np.testing.assert_allclose(weights[:k].sum(), mass, atol=5e-5)
    lag = np.sum(weights * np.arange(1, T + 1)) / weights.sum()  # lag 1 = newest, as the exam
    np.testing.assert_allclose(lag, k, rtol=1e-9)


def test_constant_stream_converges_to_the_constant() -> None:
    beta, T = ema_beta_for_window(20), 2000
    out = ema(np.full((T, 2), -3.5), beta)
    np.testing.assert_allclose(out[:, 0], -3.5 * (1 - beta ** np.arange(1, T + 1)), rtol=1e-12)
    np.testing.assert_allclose(out[-1], [-3.5, -3.5], rtol=1e-12)
