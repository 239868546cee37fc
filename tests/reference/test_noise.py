"""reference.noise: Monte Carlo moments within 5 standard errors of the closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from reference.noise import noisy_preactivation_mc


@pytest.mark.parametrize(("m", "d", "n_samples"), [(3, 8, 40_000), (5, 3, 30_001), (1, 20, 9_000)],
                         ids=["3x8", "5x3-odd-count", "1x20"])
def test_mean_is_wx_and_variance_is_norm_x_squared(m: int, d: int, n_samples: int) -> None:
    rng = np.random.default_rng(m * 100 + d)
    W, x = rng.standard_normal((m, d)), rng.standard_normal(d)
    mean, var = noisy_preactivation_mc(W, x, n_samples, seed=7)
    assert mean.shape == var.shape == (m,)
    sq = float(x @ x)
    se_mean = np.sqrt(var / n_samples)
    assert np.all(np.abs(mean - W @ x) <= 5 * se_mean)
    se_var = sq * np.sqrt(2.0 / (n_samples - 1))  # Var of the sample variance of a Gaussian
    assert np.all(np.abs(var - sq) <= 5 * se_var)
    np.testing.assert_allclose(var, sq, rtol=0.05)


def test_too_few_samples_raise() -> None:
    with pytest.raises(ValueError, match="n_samples"):
        noisy_preactivation_mc(np.eye(2), np.ones(2), 1, seed=0)
