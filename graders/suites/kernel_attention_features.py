"""The random_features checks of the kernel_attention suite (eq. 4 and 5): frequency statistics with tolerances
from the sample size, and phi(X) phi(Y)^T, which any fixed column order satisfies. Imported by
`kernel_attention.py`."""
from __future__ import annotations

import numpy as np
import torch

from reference import kernel_attention as ref

from ..checks import satisfies
from ..compare import Tolerance, as_array, compare_arrays, describe
from ..model import Call, Status, Verdict
from ..sampling import frequency_statistics
from ..wire import Named


def frequencies(seed: int, D: int, D_random: int) -> np.ndarray:
    """W with rows ~ N(0, I / sigma^2), sigma^2 = sqrt(D): what softmax attention needs."""
    return np.random.default_rng(seed).standard_normal((D_random, D)) / D ** 0.25


# ------------------------------------------------------------------------------------------------ eq. 4 and 5
FREQUENCY_CALLS = [Call("sample_frequencies", (8, 4096, sigma_sq), {"generator": Named("generator", {"seed": seed})})
                   for seed, sigma_sq in ((11, 2.0), (12, 4.0))]


def _frequency_matrix(W) -> Verdict | None:
    """Shape and type first: W is (D_random, D) = (4096, 8)."""
    array = as_array(W)
    if array is None or array.dtype.kind != "f":
        return Verdict.invalid(f"sample_frequencies should return a float array; got {describe(W)}.")
    if array.shape == (8, 4096):
        return Verdict.invalid("W has shape (8, 4096): its rows are the frequencies w_i, so expected (D_random, D) = (4096, 8).")
    if array.shape != (4096, 8):
        return Verdict.invalid(f"W has shape {array.shape}; expected (D_random, D) = (4096, 8).")
    return None


def _variance_diagnosis(measured: float, sigma_sq: float) -> tuple[str, str]:
    for value, note, why in ((sigma_sq, "variance-sigma-squared", "The homework's N(0, sigma^2 I) is a known misprint "
                              "(from the RFA paper); Bochner's theorem for exp(-||d||^2 / (2 sigma^2)) gives N(0, sigma^-2 I)."),
                             (sigma_sq ** -2, "variance-sigma-minus-4", "Dividing standard normals by sigma^2 gives "
                              "variance sigma^-4; divide by sigma = sqrt(sigma_sq)."),
                             (1.0, "ignores-sigma", "The frequencies must be scaled by 1/sigma.")):
        if abs(measured - value) <= 0.1 * value:
            return note, why
    return "wrong-frequency-variance", "Eq. 5 holds only for w ~ N(0, I / sigma^2)."


def judge_frequency_covariance(values) -> Verdict:
    for W, call in zip(values, FREQUENCY_CALLS):
        sigma_sq = call.args[2]
        if (problem := _frequency_matrix(W)) is not None:
            return problem
        s = frequency_statistics(W, 1 / sigma_sq)
        if not s.covariance_ok:
            note, why = _variance_diagnosis(s.mean_variance, sigma_sq)
            low, high = s.variance_interval
            return Verdict.failed(
                f"With sigma_sq={sigma_sq:g}, the frequencies have variance {s.mean_variance:.4g} (largest covariance "
                f"{s.worst_covariance:.3g}); eq. 5 needs I / sigma^2, variance {1 / sigma_sq:.4g} "
                f"(allowed {low:.4g} to {high:.4g} for 4096 x 8 samples, covariances below {s.covariance_bound:.3g}). {why}",
                note=note, measured_variance=s.mean_variance)
    return Verdict.passed()


def judge_frequencies_gaussian(values) -> Verdict:
    for W, call in zip(values, FREQUENCY_CALLS):
        if (problem := _frequency_matrix(W)) is not None:
            return problem
        s = frequency_statistics(W, 1 / call.args[2])
        if not s.gaussian_ok and (constant := _constant_row_norms(W, call.args[2])) is not None:
            return constant
        if not s.gaussian_ok:
            return Verdict.failed(
                f"The frequencies have excess kurtosis {s.excess_kurtosis:.3f} (a Gaussian has 0, within "
                f"{s.kurtosis_bound:.3f} here) and largest column mean {s.worst_mean:.3g} (bound {s.mean_bound:.3g}). "
                "Bochner's theorem needs w ~ N(0, I / sigma^2): draw from a normal distribution (e.g. torch.randn).",
                note="frequencies-not-gaussian")
    return Verdict.passed()


def _constant_row_norms(W, sigma_sq: float) -> Verdict | None:
    """Rows of (nearly) one length, as orthogonal random features rescaled to norm sqrt(D) have: their
    entries are not Gaussian, though each row points in a uniformly random direction."""
    D = W.shape[1]
    lengths = sigma_sq * np.sum(np.asarray(W, dtype=np.float64) ** 2, axis=1)       # chi^2_D for Gaussian rows
    if np.var(lengths) > 0.1 * 2 * D:                                              # chi^2_D has variance 2 D
        return None
    return Verdict.failed(
        f"Every row of W has (nearly) the same length: sigma^2 ||w_i||^2 has variance {np.var(lengths):.3g} where "
        f"rows w ~ N(0, I / sigma^2) give chi^2 with {D} degrees of freedom (variance {2 * D}). Orthogonal random "
        "features are fine, but each row must then be rescaled by its own chi-distributed length (Yu et al. 2016), "
        "so that every row is still N(0, I / sigma^2), as eq. 5 needs.", note="constant-row-norms")


# Same generator seed under another global seed (Call.seed), then another generator seed under the same global
# seed: W must follow the generator, so that a seeded experiment is reproducible. Small W: a loop over rows
# pays for each one.
GENERATOR_CALLS = [Call("sample_frequencies", (8, 64, 2.0), {"generator": Named("generator", {"seed": seed})}, seed=global_seed)
                   for seed, global_seed in ((11, 0), (11, 1), (13, 0))]
IGNORES_GENERATOR = "Draw with torch.randn(..., generator=generator) (or seed your own RNG from generator.initial_seed())."


def judge_uses_generator(values) -> Verdict:
    """Same generator seed -> the same W whatever the global RNG holds; another generator seed -> another W.
    Any way of drawing that is a function of the generator passes (a numpy Generator seeded from
    generator.initial_seed() included); the distribution is the other checks' business."""
    arrays = [as_array(W) for W in values]
    for W, array in zip(values, arrays):
        if array is None or array.dtype.kind not in "fiu":
            return Verdict.invalid(f"sample_frequencies should return a float array; got {describe(W)}.")
    first, reseeded, other = arrays
    if not np.array_equal(first, reseeded, equal_nan=True):
        return Verdict.failed(
            "Called twice with generators seeded alike (seed 11), sample_frequencies returned two different W: W "
            "does not depend on the generator you were given, but on the global random state. A seeded "
            f"generator must make the experiment reproducible. {IGNORES_GENERATOR}", note="ignores-generator")
    if np.array_equal(first, other, equal_nan=True):
        return Verdict.failed(
            "Generators with different seeds (11 and 13) gave the same W: W does not depend on the generator you "
            f"were given (a fixed seed inside the function?). {IGNORES_GENERATOR}", note="ignores-generator")
    return Verdict.passed()


X_FEATURES, Y_FEATURES = (np.random.default_rng(s).standard_normal((n, 4)) for s, n in ((21, 20), (22, 15)))
W_FEATURES = frequencies(23, D=4, D_random=64)
FEATURE_CALLS = [Call("random_features", (X, W_FEATURES)) for X in (X_FEATURES, Y_FEATURES)]
FEATURE_PRODUCTS = (ref.random_features(*map(torch.from_numpy, (X_FEATURES, W_FEATURES))) @
                    ref.random_features(*map(torch.from_numpy, (Y_FEATURES, W_FEATURES))).T).numpy()   # (20, 15)


def judge_feature_products(values) -> Verdict:
    """phi(X) phi(Y)^T does not depend on the column order, so any fixed order is right."""
    F_X, F_Y = (as_array(v) for v in values)
    for F, X in ((F_X, X_FEATURES), (F_Y, Y_FEATURES)):
        expected_shape = (X.shape[0], 2 * W_FEATURES.shape[0])
        if F is None or F.shape != expected_shape:
            shape = describe(values[0] if F is F_X else values[1])
            return Verdict.invalid(f"random_features(X {X.shape}, W {W_FEATURES.shape}) returned {shape}; "
                                   f"expected shape (n, 2 D_random) = {expected_shape}.")
    G = F_X.astype(np.float64) @ F_Y.astype(np.float64).T                            # (20, 15)
    precision = np.result_type(F_X.dtype, F_Y.dtype) if F_X.dtype.kind == F_Y.dtype.kind == "f" else np.float64
    verdict = compare_arrays(G, FEATURE_PRODUCTS, Tolerance().widened_for(np.dtype(precision)), what="phi(X) phi(Y)^T")
    if verdict.status is Status.PASSED:
        return verdict
    D_random = W_FEATURES.shape[0]
    norm = float(np.mean(np.sum(F_X.astype(np.float64) ** 2, axis=1)))                # ||phi(x)||^2, should be 1
    for factor, note, words in ((D_random, "missing-sqrt-scale", "the sqrt(1/D_random) factor is missing"),
                                (1 / D_random, "scaled-by-one-over-D-random", "the features are scaled by 1/D_random "
                                 "instead of sqrt(1/D_random)")):
        if abs(norm - factor) <= 1e-3 * factor:
            return Verdict.failed(f"||phi_random(x)||^2 is {norm:.4g} instead of 1: {words} (eq. 4).", note=note)
    return Verdict.failed(f"{verdict.feedback} With eq. 4, phi_random(x) phi_random(y)^T = (1/D_random) "
                          f"sum_i cos(w_i (x - y)^T); here ||phi_random(x)||^2 averages {norm:.4g} (should be 1).",
                          note=verdict.note or "feature-products-differ")


random_features_checks = [
    satisfies("frequencies have covariance I / sigma^2", 1.0, FREQUENCY_CALLS, judge_frequency_covariance),
    satisfies("frequencies are Gaussian with mean 0", 0.5, FREQUENCY_CALLS, judge_frequencies_gaussian),
    satisfies("draws W from the generator it is given", 0.5, GENERATOR_CALLS, judge_uses_generator),
    satisfies("phi(X) phi(Y)^T matches eq. 4 (any column order)", 2.0, FEATURE_CALLS, judge_feature_products),
]
