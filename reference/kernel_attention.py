"""Homework problem 1, kernelized linear attention: the staff solution.

Rows are tokens (the homework's row-vector convention): Q, K are (N, D), V is (N, M).
- eq. 3, softmax attention:  V'_i = sum_j exp(Q_i K_j^T / sqrt(D)) V_j / sum_j exp(Q_i K_j^T / sqrt(D))
- eq. 2, kernel attention:   V'_i = phi(Q_i) sum_j phi(K_j)^T V_j / phi(Q_i) sum_j phi(K_j)^T
- eq. 4, random features:    phi_random(x) = sqrt(1/D_random) [sin(x W^T), cos(x W^T)],  w_i ~ N(0, I_D / sigma^2)
- eq. 5:                     E[phi_random(q) phi_random(k)^T] = K_Gauss(q, k) = exp(-||q - k||^2 / (2 sigma^2))
- eq. 6, causal prefix sums: S_i = sum_{j<=i} phi(K_j)^T V_j,  Z_i = sum_{j<=i} phi(K_j)^T,  V'_i = phi(Q_i) S_i / phi(Q_i) Z_i

The homework writes w ~ N(0, sigma^2 I); that is a misprint (copied from the RFA paper): only sigma^-2
makes eq. 5 hold, as tests/reference/test_kernel_attention.py shows by Monte Carlo.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

FeatureMap = Callable[[torch.Tensor], torch.Tensor]          # (n, D) -> (n, L)


def _check_qkv(Q: torch.Tensor, K: torch.Tensor, V: torch.Tensor) -> None:
    if Q.shape != K.shape or Q.ndim != 2 or V.ndim != 2 or V.shape[0] != K.shape[0]:
        raise ValueError(f"expected Q, K (N, D) and V (N, M); got {tuple(Q.shape)}, {tuple(K.shape)}, {tuple(V.shape)}")


def softmax_attention(Q: torch.Tensor, K: torch.Tensor, V: torch.Tensor, causal: bool = False) -> torch.Tensor:
    """eq. 3. Q, K: (N, D), V: (N, M) -> (N, M). Stable: the row maximum is subtracted before exp."""
    _check_qkv(Q, K, V)
    N, D = Q.shape
    logits = Q @ K.T / math.sqrt(D)                                         # (N, N)
    if causal:
        future = torch.ones(N, N, dtype=torch.bool).triu(diagonal=1)       # j > i
        logits = logits.masked_fill(future, float("-inf"))
    A = torch.exp(logits - logits.max(dim=1, keepdim=True).values)         # (N, N)
    return (A @ V) / A.sum(dim=1, keepdim=True)                             # (N, M)


def gaussian_kernel(q: torch.Tensor, k: torch.Tensor, sigma_sq: float) -> torch.Tensor:
    """K_Gauss(q, k) = exp(-||q - k||^2 / (2 sigma^2)) for rows of q (n, D) and k (m, D) -> (n, m)."""
    return torch.exp(-torch.cdist(q, k) ** 2 / (2 * sigma_sq))


def sample_frequencies(D: int, D_random: int, sigma_sq: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """W (D_random, D) with rows w_i ~ N(0, I_D / sigma^2): the variance that makes eq. 5 hold."""
    return torch.randn(D_random, D, generator=generator, dtype=torch.float64) / math.sqrt(sigma_sq)


def random_features(X: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    """eq. 4. X (n, D), W (D_random, D) -> (n, 2 D_random) = sqrt(1/D_random) [sin(X W^T), cos(X W^T)]."""
    D_random = W.shape[0]
    XW = X @ W.T                                                            # (n, D_random)
    return torch.cat([torch.sin(XW), torch.cos(XW)], dim=1) / math.sqrt(D_random)   # (n, 2 D_random)


def linear_attention(q: torch.Tensor, k: torch.Tensor, V: torch.Tensor, causal: bool = False) -> torch.Tensor:
    """eq. 2 (or eq. 6 when causal) from feature values q = phi(Q), k = phi(K): (N, L), (N, L), (N, M) -> (N, M)."""
    if not causal:
        return (q @ (k.T @ V)) / (q @ k.sum(dim=0))[:, None]               # (N, L)(L, M) -> (N, M)
    S = torch.cumsum(k[:, :, None] * V[:, None, :], dim=0)                 # (N, L, M): S_i = sum_{j<=i} phi(K_j)^T V_j
    Z = torch.cumsum(k, dim=0)                                              # (N, L):    Z_i = sum_{j<=i} phi(K_j)^T
    return torch.einsum("nl,nlm->nm", q, S) / (q * Z).sum(dim=1, keepdim=True)   # (N, M)


def kernel_attention(Q: torch.Tensor, K: torch.Tensor, V: torch.Tensor, feature_map: FeatureMap,
                     causal: bool = False) -> torch.Tensor:
    """eq. 2; with causal=True the prefix sums of eq. 6. Q, K: (N, D), V: (N, M) -> (N, M), O(N L M)."""
    _check_qkv(Q, K, V)
    return linear_attention(feature_map(Q), feature_map(K), V, causal)                  # phi(Q), phi(K): (N, L)


def gaussian_factor(X: torch.Tensor) -> torch.Tensor:
    """exp(||x||^2 / (2 sigma^2)) with sigma^2 = sqrt(D), per row: X (n, D) -> (n, 1)."""
    sigma_sq = math.sqrt(X.shape[1])
    return torch.exp((X * X).sum(dim=1, keepdim=True) / (2 * sigma_sq))    # (n, 1)


def softmax_features(W: torch.Tensor) -> FeatureMap:
    """phi~(x) = exp(||x||^2 / (2 sigma^2)) phi_random(x) with sigma^2 = sqrt(D): the Gaussian decomposition
    exp(q k^T / sqrt(D)) = K_Gauss(q, k) exp(||q||^2 / (2 sigma^2)) exp(||k||^2 / (2 sigma^2)) made linear."""
    return lambda X: gaussian_factor(X) * random_features(X, W)            # (n, 2 D_random)


def random_feature_attention_from_features(Q: torch.Tensor, K: torch.Tensor, V: torch.Tensor, W: torch.Tensor,
                                           F_Q: torch.Tensor, F_K: torch.Tensor, causal: bool = False) -> torch.Tensor:
    """Random-feature attention from given phi_random values F_Q = phi_random(Q), F_K = phi_random(K), each
    (N, 2 D_random) in any fixed column order (a student's own): eq. 2 or 6 with phi~ = factor * phi_random."""
    return linear_attention(gaussian_factor(Q) * F_Q, gaussian_factor(K) * F_K, V, causal)   # (N, M)


def random_feature_attention(Q: torch.Tensor, K: torch.Tensor, V: torch.Tensor, W: torch.Tensor,
                             causal: bool = False) -> torch.Tensor:
    """Softmax attention approximated with eq. 4 features: kernel attention with phi~ (sigma^2 = sqrt(D))."""
    return kernel_attention(Q, K, V, softmax_features(W), causal=causal)
