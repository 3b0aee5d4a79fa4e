"""Tolerances for randomized student code, derived from the sample size.

Every bound here is set so that a correct solution fails with probability below `FALSE_ALARM` (1e-6 per
check, split across the statistics a check tests). Seeds are fixed, so a submission always gets the same
score; the bounds guarantee that the fixed seed is not what decides it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import stats

__all__ = ["FALSE_ALARM", "variance_interval", "normal_bound", "FrequencyStatistics", "frequency_statistics"]

FALSE_ALARM = 1e-6


@lru_cache(maxsize=256)
def variance_interval(variance: float, samples: int, alpha: float) -> tuple[float, float]:
    """Where the mean of `samples` squared N(0, variance) draws falls with probability 1 - alpha (chi-square)."""
    low, high = stats.chi2.ppf([alpha / 2, 1 - alpha / 2], samples)
    return variance * low / samples, variance * high / samples


def normal_bound(scale: float, alpha: float) -> float:
    """|X| <= bound with probability 1 - alpha for X ~ N(0, scale^2)."""
    return scale * _two_sided_z(alpha)


@lru_cache(maxsize=256)
def _two_sided_z(alpha: float) -> float:
    return float(stats.norm.isf(alpha / 2))


@dataclass(frozen=True)
class FrequencyStatistics:
    """Sample statistics of W (n, D) whose rows should be N(0, variance I)."""
    mean_variance: float              # mean of the diagonal of W^T W / n
    variance_interval: tuple[float, float]
    worst_covariance: float           # largest |off-diagonal| of W^T W / n
    covariance_bound: float
    worst_mean: float                 # largest |column mean|
    mean_bound: float
    excess_kurtosis: float            # 0 for a Gaussian, -1.2 for a uniform
    kurtosis_bound: float

    @property
    def covariance_ok(self) -> bool:
        low, high = self.variance_interval
        return low <= self.mean_variance <= high and self.worst_covariance <= self.covariance_bound

    @property
    def gaussian_ok(self) -> bool:
        return self.worst_mean <= self.mean_bound and abs(self.excess_kurtosis) <= self.kurtosis_bound


def frequency_statistics(W: np.ndarray, variance: float, alpha: float = FALSE_ALARM / 4) -> FrequencyStatistics:
    with np.errstate(all="ignore"):                                  # all-zero W: statistics become NaN and fail
        return _statistics(np.asarray(W, dtype=np.float64), variance, alpha)


def _statistics(W: np.ndarray, variance: float, alpha: float) -> FrequencyStatistics:
    n, D = W.shape
    C = W.T @ W / n                                                  # (D, D)
    off = np.abs(C - np.diag(np.diag(C)))
    pairs = max(D * (D - 1) // 2, 1)
    z = W.ravel() / math.sqrt(np.mean(W**2))                          # standardised by its own variance
    # off-diagonal entries: mean of n products of independent N(0, v): sd v / sqrt(n); Bonferroni over pairs;
    # a margin of 1.25 covers the products' heavier-than-normal tails at these n.
    return FrequencyStatistics(
        mean_variance=float(np.diag(C).mean()),
        variance_interval=variance_interval(variance, n * D, alpha),
        worst_covariance=float(off.max(initial=0.0)),
        covariance_bound=1.25 * normal_bound(variance / math.sqrt(n), alpha / pairs),
        worst_mean=float(np.abs(W.mean(axis=0)).max()),
        mean_bound=normal_bound(math.sqrt(float(np.diag(C).mean()) / n), alpha / D),   # at the measured variance
        excess_kurtosis=float(np.mean(z**4) - 3.0),
        # sample excess kurtosis of m Gaussian draws: sd sqrt(24 / m); margin 1.25 for its skewed tail
        kurtosis_bound=1.25 * normal_bound(math.sqrt(24 / z.size), alpha),
    )
