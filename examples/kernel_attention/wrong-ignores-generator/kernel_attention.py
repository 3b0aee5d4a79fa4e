# [staff] example submission `wrong-ignores-generator`, one mistake: sample_frequencies draws from the global RNG and never uses its `generator` argument: the right distribution, but a seeded generator does not make W reproducible.
"""CS182 HW10, problem 1: kernelized linear attention."""
import math

import torch


def softmax_attention(Q, K, V, causal=False):
    N, D = Q.shape
    logits = Q @ K.T / math.sqrt(D)
    if causal:
        # query i may only look at keys j <= i
        logits = logits.masked_fill(torch.ones(N, N, dtype=torch.bool).triu(1), float("-inf"))
    A = torch.exp(logits - logits.max(dim=1, keepdim=True).values)   # subtract row max so exp can't overflow
    return A @ V / A.sum(dim=1, keepdim=True)


def sample_frequencies(D, D_random, sigma_sq, generator=None):
    # w_i ~ N(0, I / sigma^2): standard normals scaled by 1/sigma
    W = torch.randn(D_random, D, dtype=torch.float64)
    return W / math.sqrt(sigma_sq)


def random_features(X, W):
    # phi_random(x) = sqrt(1/D_random) [sin(x W^T), cos(x W^T)]
    XW = X @ W.T
    return torch.cat([torch.sin(XW), torch.cos(XW)], dim=1) / math.sqrt(W.shape[0])


def kernel_attention(Q, K, V, feature_map, causal=False):
    q, k = feature_map(Q), feature_map(K)                  # (N, L)
    if not causal:
        # sum_j phi(K_j)^T V_j is (L, M): compute it once for all queries
        return (q @ (k.T @ V)) / (q @ k.sum(0))[:, None]
    S = torch.cumsum(k[:, :, None] * V[:, None, :], dim=0)  # S_i = sum_{j<=i} phi(K_j)^T V_j, (N, L, M)
    Z = torch.cumsum(k, dim=0)                              # Z_i = sum_{j<=i} phi(K_j)^T, (N, L)
    return torch.einsum("nl,nlm->nm", q, S) / (q * Z).sum(1, keepdim=True)


def random_feature_attention(Q, K, V, W, causal=False):
    sigma_sq = math.sqrt(Q.shape[1])                        # sigma^2 = sqrt(D)
    phi = lambda X: torch.exp((X * X).sum(1, keepdim=True) / (2 * sigma_sq)) * random_features(X, W)
    return kernel_attention(Q, K, V, phi, causal=causal)
