"""The statistical checks promise a false alarm below 1e-6 per check (graders/sampling.py). Measured: thousands
of correct draws of W (rows N(0, I / sigma^2)), exactly as `sample_frequencies` is called by the suite, give
no alarm; the known wrong variances and a uniform draw always do."""
from __future__ import annotations

import numpy as np
import pytest

from graders.sampling import frequency_statistics

DRAWS = 3000


@pytest.mark.slow
@pytest.mark.parametrize("sigma_sq", [2.0, 4.0])
def test_thousands_of_correct_draws_raise_no_alarm(sigma_sq):
    rng = np.random.default_rng(20261202)
    alarms = 0
    for _ in range(DRAWS):
        s = frequency_statistics(rng.standard_normal((4096, 8)) / np.sqrt(sigma_sq), 1 / sigma_sq)
        alarms += not (s.covariance_ok and s.gaussian_ok)
    assert alarms == 0


@pytest.mark.parametrize("make, ok", [
    (lambda rng, s: rng.standard_normal((4096, 8)) * np.sqrt(s), "covariance_ok"),            # sigma^2 I
    (lambda rng, s: rng.standard_normal((4096, 8)) / s, "covariance_ok"),                     # sigma^-4 I
    (lambda rng, s: (rng.random((4096, 8)) - 0.5) * np.sqrt(12 / s), "gaussian_ok"),          # uniform
])
def test_wrong_draws_always_alarm(make, ok):
    rng = np.random.default_rng(7)
    assert not any(getattr(frequency_statistics(make(rng, 2.0), 0.5), ok) for _ in range(50))
