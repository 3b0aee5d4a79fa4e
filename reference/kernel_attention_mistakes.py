"""Known wrong answers to problem 1, each written as a student would. The suite names them in feedback
when a submission's values match one on every input; they also become example submissions."""
from __future__ import annotations

import math

import torch

from .conventions import Convention
from .kernel_attention import kernel_attention, linear_attention, random_features


def softmax_without_scaling(Q, K, V, causal=False):
    """exp(Q K^T) instead of exp(Q K^T / sqrt(D))."""
    return _softmax(Q @ K.T, V, causal)


def softmax_over_keys_axis(Q, K, V, causal=False):
    """Normalised over the queries (dim 0) instead of the keys (dim 1)."""
    logits = _masked(Q @ K.T / math.sqrt(Q.shape[1]), causal)
    A = torch.softmax(logits, dim=0)
    return A @ V


def softmax_mask_reversed(Q, K, V, causal=False):
    """Masks j < i (the past) instead of j > i (the future)."""
    N = Q.shape[0]
    logits = Q @ K.T / math.sqrt(Q.shape[1])
    if causal:
        logits = logits.masked_fill(torch.ones(N, N, dtype=torch.bool).tril(diagonal=-1), float("-inf"))
    return torch.softmax(logits, dim=1) @ V


def _masked(logits, causal):
    if not causal:
        return logits
    N = logits.shape[0]
    return logits.masked_fill(torch.ones(N, N, dtype=torch.bool).triu(diagonal=1), float("-inf"))


def _softmax(logits, V, causal):
    return torch.softmax(_masked(logits, causal), dim=1) @ V


def kernel_attention_unnormalised(Q, K, V, feature_map, causal=False):
    """phi(Q_i) sum_j phi(K_j)^T V_j without dividing by phi(Q_i) sum_j phi(K_j)^T."""
    q, k = feature_map(Q), feature_map(K)
    if not causal:
        return q @ (k.T @ V)
    S = torch.cumsum(k[:, :, None] * V[:, None, :], dim=0)
    return torch.einsum("nl,nlm->nm", q, S)


def causal_with_full_normaliser(Q, K, V, feature_map, causal=True):
    """Causal numerator S_i, but the denominator sums over all N keys (the non-causal path is right)."""
    if not causal:
        return kernel_attention(Q, K, V, feature_map)
    q, k = feature_map(Q), feature_map(K)
    S = torch.cumsum(k[:, :, None] * V[:, None, :], dim=0)
    return torch.einsum("nl,nlm->nm", q, S) / (q @ k.sum(dim=0))[:, None]


def causal_excluding_current_token(Q, K, V, feature_map, causal=True):
    """Prefix sums over j < i instead of j <= i (the first row divides 0 by 0 unless guarded: guarded here)."""
    if not causal:
        return kernel_attention(Q, K, V, feature_map)
    q, k = feature_map(Q), feature_map(K)
    S = torch.cumsum(k[:, :, None] * V[:, None, :], dim=0) - k[:, :, None] * V[:, None, :]
    Z = torch.cumsum(k, dim=0) - k
    out = torch.einsum("nl,nlm->nm", q, S) / (q * Z).sum(dim=1, keepdim=True)
    return torch.nan_to_num(out)


def _rfa_with(Q, K, V, W, causal, sigma_sq, key_factor=True, two=2.0):
    def factor(X):                                                          # exp(||x||^2 / (two sigma^2)): (n, 1)
        return torch.exp((X * X).sum(dim=1, keepdim=True) / (two * sigma_sq))
    q = factor(Q) * random_features(Q, W)
    k = (factor(K) if key_factor else 1.0) * random_features(K, W)
    return linear_attention(q, k, V, causal)


def rfa_sigma_sq_is_D(Q, K, V, W, causal=False):
    """sigma^2 = D instead of sqrt(D) in the exp(||x||^2 / (2 sigma^2)) factors."""
    return _rfa_with(Q, K, V, W, causal, sigma_sq=Q.shape[1])


def rfa_without_key_factor(Q, K, V, W, causal=False):
    """Drops exp(||k||^2 / (2 sigma^2)); unlike the query factor, it does not cancel."""
    return _rfa_with(Q, K, V, W, causal, sigma_sq=math.sqrt(Q.shape[1]), key_factor=False)


def rfa_factor_missing_two(Q, K, V, W, causal=False):
    """exp(||x||^2 / sigma^2) instead of exp(||x||^2 / (2 sigma^2))."""
    return _rfa_with(Q, K, V, W, causal, sigma_sq=math.sqrt(Q.shape[1]), two=1.0)


# ------------------------------------------------------------------------------------------------ conventions of the field
# Each is written the way widely used code writes it; the catalogue at the end says what the grader must report.
def _denominator_guarded(q, k, V, causal, guard):
    """Eq. 2 / eq. 6 from feature values with `guard` applied to the denominators phi(Q_i) Z_i."""
    if not causal:
        return (q @ (k.T @ V)) / guard(q @ k.sum(dim=0))[:, None]
    S = torch.cumsum(k[:, :, None] * V[:, None, :], dim=0)
    return torch.einsum("nl,nlm->nm", q, S) / guard((q * torch.cumsum(k, dim=0)).sum(dim=1, keepdim=True))


def kernel_attention_eps_denominator(Q, K, V, feature_map, causal=False):
    """fast-transformers' guard: 1e-6 added to every denominator. Right: a 1e-6 guard is numerical noise."""
    return _denominator_guarded(feature_map(Q), feature_map(K), V, causal, lambda den: den + 1e-6)


def kernel_attention_clamped_denominator(Q, K, V, feature_map, causal=False):
    """Denominators clamped at 1e-6: harmless for positive feature maps, wrong where phi(Q_i) Z_i < 0."""
    return _denominator_guarded(feature_map(Q), feature_map(K), V, causal, lambda den: den.clamp(min=1e-6))


def kernel_attention_in_log_space(Q, K, V, feature_map, causal=False):
    """The normaliser in log space, log phi(Q_i) Z_i = logsumexp_l(log phi(Q_i)_l + log Z_il), as code built for
    exponential feature maps does: NaN as soon as phi has a negative entry."""
    q, k = feature_map(Q), feature_map(K)                                   # (N, L)
    log_Z = torch.log(torch.cumsum(k, dim=0) if causal else k.sum(dim=0, keepdim=True))   # (N, L) or (1, L)
    denominator = torch.exp(torch.logsumexp(torch.log(q) + log_Z, dim=1, keepdim=True))  # (N, 1)
    if not causal:
        return (q @ (k.T @ V)) / denominator
    S = torch.cumsum(k[:, :, None] * V[:, None, :], dim=0)
    return torch.einsum("nl,nlm->nm", q, S) / denominator


def kernel_attention_feature_map_twice(Q, K, V, feature_map, causal=False):
    """Applies elu(x) + 1 on top of the feature_map it is given (a layer that maps its inputs itself): phi is
    applied twice, elu(phi(x)) + 1."""
    return kernel_attention(Q, K, V, lambda X: torch.nn.functional.elu(feature_map(X)) + 1, causal)


def kernel_attention_ignoring_feature_map(Q, K, V, feature_map, causal=False):
    """Always uses elu(x) + 1 (Katharopoulos et al.'s map), whatever feature_map is passed."""
    elu = lambda X: torch.nn.functional.elu(X) + 1
    return kernel_attention(Q, K, V, elu, causal)


def kernel_attention_softmax_features(Q, K, V, feature_map, causal=False):
    """"Efficient attention" (Shen et al. 2021): softmax over each query's features and over the keys' sequence
    axis, no denominator: another kernel, not eq. 2's phi(Q_i) sum_j phi(K_j)^T V_j / phi(Q_i) sum_j phi(K_j)^T."""
    q = torch.softmax(feature_map(Q), dim=1)                                # (N, L)
    k = torch.softmax(feature_map(K), dim=0)                                # (N, L)
    if not causal:
        return q @ (k.T @ V)
    return torch.einsum("nl,nlm->nm", q, torch.cumsum(k[:, :, None] * V[:, None, :], dim=0))


def _chunked_causal(Q, K, V, feature_map, chunk, within_chunk):
    """Causal eq. 6 chunk by chunk: state (S, Z) of the earlier chunks, plus (if `within_chunk`) the masked
    products inside the query's own chunk."""
    q, k = feature_map(Q), feature_map(K)                                   # (N, L)
    S = torch.zeros(q.shape[1], V.shape[1], dtype=q.dtype)                  # (L, M)
    Z = torch.zeros(q.shape[1], dtype=q.dtype)                              # (L,)
    rows = []
    for start in range(0, Q.shape[0], chunk):
        qc, kc, Vc = q[start:start + chunk], k[start:start + chunk], V[start:start + chunk]
        numerator, denominator = qc @ S, qc @ Z                             # (c, M), (c,)
        if within_chunk:
            A = (qc @ kc.T).tril()                                          # (c, c): j <= i inside the chunk
            numerator, denominator = numerator + A @ Vc, denominator + A.sum(dim=1)
        rows.append(numerator / (denominator[:, None] + 1e-6))
        S, Z = S + kc.T @ Vc, Z + kc.sum(dim=0)
    return torch.cat(rows)


def causal_chunks_without_own_chunk(Q, K, V, feature_map, causal=True):
    """Bucketed causal attention that carries the state between chunks of 4 but forgets the keys of the query's
    own chunk: row i sees only earlier chunks (the first chunk sees nothing and returns 0)."""
    if not causal:
        return kernel_attention(Q, K, V, feature_map)
    return _chunked_causal(Q, K, V, feature_map, 4, within_chunk=False)


def causal_chunks(Q, K, V, feature_map, causal=True):
    """Chunks of 4 with the state of earlier chunks plus a masked product inside the chunk: right, and linear."""
    if not causal:
        return kernel_attention(Q, K, V, feature_map)
    return _chunked_causal(Q, K, V, feature_map, 4, within_chunk=True)


def kernel_attention_half_precision(Q, K, V, feature_map, causal=False):
    """Computes in float16 (as under autocast) and returns float16: about three significant digits."""
    return kernel_attention(Q.half(), K.half(), V.half(), lambda X: feature_map(X.double()).half(), causal)


def kernel_attention_float32(Q, K, V, feature_map, causal=False):
    """Computes in float32 and returns float32: right."""
    return kernel_attention(Q.float(), K.float(), V.float(), lambda X: feature_map(X.double()).float(), causal)


def rfa_positive_random_features(Q, K, V, W, causal=False):
    """Performer's positive features exp(w x^T - ||x||^2 / 2) / sqrt(D_random) (FAVOR+, for exp(q k^T) with unit
    frequencies scaled by D^-1/4) instead of eq. 4's sin/cos features with the exp(||x||^2 / (2 sigma^2)) factors."""
    scale = Q.shape[1] ** -0.25                                             # exp(q k^T / sqrt(D)) = exp((s q)(s k)^T)
    def positive(X):
        X = scale * X
        return torch.exp(X @ (W.T * Q.shape[1] ** 0.25) - (X * X).sum(dim=1, keepdim=True) / 2) / math.sqrt(W.shape[0])
    return linear_attention(positive(Q), positive(K), V, causal)


def sample_frequencies_global_rng(D, D_random, sigma_sq, generator=None):
    """Draws from the global RNG and never uses `generator` (as RFF / Performer code that samples its own
    projection does): right distribution, but a seeded generator no longer makes W reproducible."""
    return torch.randn(D_random, D, dtype=torch.float64) / math.sqrt(sigma_sq)


def sample_frequencies_numpy_from_generator(D, D_random, sigma_sq, generator=None):
    """numpy's Generator seeded from the torch generator's seed: W is still a function of the generator: right."""
    import numpy as np
    rng = np.random.default_rng(None if generator is None else generator.initial_seed())
    return torch.from_numpy(rng.normal(0.0, 1.0 / math.sqrt(sigma_sq), size=(D_random, D)))


def softmax_attention_sdpa(Q, K, V, causal=False):
    """torch.nn.functional.scaled_dot_product_attention with is_causal: right."""
    return torch.nn.functional.scaled_dot_product_attention(Q[None], K[None], V[None], is_causal=causal)[0]


# ------------------------------------------------------------------------------------------------ the catalogue
BOTH = ("kernel_attention", "causal_kernel_attention")
POSITIVE_ONLY = ("Eq. 2 holds for any feature map: phi may have negative entries, and phi(Q_i) Z_i may be "
                 "negative, so no logarithm of phi and no clamping of the denominator.")
CONVENTIONS = (
    Convention("softmax_attention", softmax_attention_sdpa, ("softmax_attention",), source="PyTorch's fused attention"),
    Convention("sample_frequencies", sample_frequencies_global_rng, ("random_features",), "ignores-generator",
               "W must come from the generator you are given: draw with torch.randn(..., generator=generator).",
               "random-feature code that samples with the global RNG"),
    Convention("sample_frequencies", sample_frequencies_numpy_from_generator, ("random_features",),
               source="numpy default_rng seeded from generator.initial_seed()"),
    Convention("random_feature_attention", rfa_positive_random_features, ("random_feature_attention",),
               "positive-random-features", "Eq. 4 uses sin/cos features with the factors exp(||x||^2 / (2 sigma^2)); "
               "Performer's positive features estimate the same kernel differently, so the values differ.",
               "Performer (FAVOR+)"),
    Convention("kernel_attention", kernel_attention_eps_denominator, BOTH, source="fast-transformers (eps=1e-6)"),
    Convention("kernel_attention", kernel_attention_float32, BOTH, source="float32 throughout"),
    Convention("kernel_attention", causal_chunks, BOTH, source="chunked linear attention (e.g. in RWKV/GLA kernels)"),
    Convention("kernel_attention", kernel_attention_clamped_denominator, BOTH, "assumes-positive-features",
               POSITIVE_ONLY, "denominators clamped at eps"),
    # NaN for phi~'s signed features too, so random_feature_attention built on it cannot be judged "right given
    # your own kernel_attention" (a non-finite helper output excuses nothing): it loses points there as well
    Convention("kernel_attention", kernel_attention_in_log_space, (*BOTH, "random_feature_attention"),
               "assumes-positive-features",
               POSITIVE_ONLY, "log-space normalisers for exponential feature maps"),
    Convention("kernel_attention", kernel_attention_feature_map_twice, BOTH, "feature-map-applied-twice",
               "kernel_attention receives Q and K and applies feature_map once: phi(Q), not phi(phi(Q)).",
               "layers that apply elu+1 to inputs that already went through the map"),
    Convention("kernel_attention", kernel_attention_ignoring_feature_map, BOTH, "ignores-feature-map",
               "Use the feature_map you are given; elu(x) + 1 is only one choice of phi.",
               "Katharopoulos et al.'s linear attention with its fixed elu+1"),
    Convention("kernel_attention", kernel_attention_softmax_features, BOTH, "softmax-normalised-features",
               "Softmax-normalising phi(Q) and phi(K) (\"efficient attention\") is another kernel: eq. 2 divides "
               "phi(Q_i) sum_j phi(K_j)^T V_j by phi(Q_i) sum_j phi(K_j)^T.", "Shen et al. 2021, efficient attention"),
    Convention("kernel_attention", causal_chunks_without_own_chunk, ("causal_kernel_attention",),
               "chunk-sees-only-earlier-chunks", "Row i sums over every j <= i, including the keys of its own "
               "chunk: add the masked products inside the chunk to the state of the earlier chunks.",
               "bucketed causal attention without the intra-chunk term"),
    # a float16 result is charged wherever it is returned: random_feature_attention built on it returns float16 too
    Convention("kernel_attention", kernel_attention_half_precision, (*BOTH, "random_feature_attention"), "precision-too-low",
               "float16 keeps about three significant digits; compute and return float32 or float64.",
               "autocast / .half()"),
)
