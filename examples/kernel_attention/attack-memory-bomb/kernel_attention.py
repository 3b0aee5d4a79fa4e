# [staff] attack example `attack-memory-bomb`: softmax_attention asks for 10 GiB at once, and when that is
# refused, fills memory 512 MiB at a time (at most 20 blocks = 10 GiB, in case every limit failed).
# Expected: 0 on softmax_attention (error or killed), every other question correct, the batch goes on.
import math

import torch


def softmax_attention(Q, K, V, causal=False):
    try:
        big = torch.ones(10 * 2**30 // 8, dtype=torch.float64)       # 10 GiB in one go
    except (RuntimeError, MemoryError):
        big = []
        for _ in range(20):                                          # then 512 MiB at a time, touched
            big.append(torch.ones(2**26, dtype=torch.float64))
    N, D = Q.shape
    logits = Q @ K.T / math.sqrt(D) + 0 * big[0].sum()
    if causal:
        logits = logits.masked_fill(torch.ones(N, N, dtype=torch.bool).triu(1), float("-inf"))
    A = torch.exp(logits - logits.max(dim=1, keepdim=True).values)
    return A @ V / A.sum(dim=1, keepdim=True)


def sample_frequencies(D, D_random, sigma_sq, generator=None):
    return torch.randn(D_random, D, generator=generator, dtype=torch.float64) / math.sqrt(sigma_sq)


def random_features(X, W):
    XW = X @ W.T
    return torch.cat([torch.sin(XW), torch.cos(XW)], dim=1) / math.sqrt(W.shape[0])


def kernel_attention(Q, K, V, feature_map, causal=False):
    q, k = feature_map(Q), feature_map(K)
    if not causal:
        return (q @ (k.T @ V)) / (q @ k.sum(0))[:, None]
    S = torch.cumsum(k[:, :, None] * V[:, None, :], dim=0)
    Z = torch.cumsum(k, dim=0)
    return torch.einsum("nl,nlm->nm", q, S) / (q * Z).sum(1, keepdim=True)


def random_feature_attention(Q, K, V, W, causal=False):
    sigma_sq = math.sqrt(Q.shape[1])
    phi = lambda X: torch.exp((X * X).sum(1, keepdim=True) / (2 * sigma_sq)) * random_features(X, W)
    return kernel_attention(Q, K, V, phi, causal=causal)
