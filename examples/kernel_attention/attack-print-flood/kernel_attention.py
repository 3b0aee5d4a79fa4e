# [staff] attack example `attack-print-flood`: softmax_attention prints 100 MB (1 MB lines) before it returns
# the right answer; a little is printed at import too. Expected: the output is capped, softmax_attention
# scores 0 (its print fails once the cap is reached), every other question is right, the batch goes on.
import math
import sys

import torch

print("importing my solution " + "." * 10_000)

LINE = "spam " * 200_000 + "\n"                       # 1 MB


def softmax_attention(Q, K, V, causal=False):
    for _ in range(100):                              # 100 MB
        sys.stdout.write(LINE)
    N, D = Q.shape
    logits = Q @ K.T / math.sqrt(D)
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
