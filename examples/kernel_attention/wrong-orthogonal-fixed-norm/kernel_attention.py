"""Orthogonal random features (as in Performer), with every row rescaled to length sqrt(D) / sigma instead of
a chi-distributed length: the rows are no longer N(0, I / sigma^2). Everything else is right."""
import math

import torch


def softmax_attention(Q, K, V, causal=False):
    N, D = Q.shape
    logits = Q @ K.T / math.sqrt(D)
    if causal:
        logits = logits.masked_fill(torch.ones(N, N, dtype=torch.bool).triu(1), float("-inf"))
    return torch.softmax(logits, dim=1) @ V


def sample_frequencies(D, D_random, sigma_sq, generator=None):
    blocks = []
    for _ in range(-(-D_random // D)):
        Q, R = torch.linalg.qr(torch.randn(D, D, generator=generator, dtype=torch.float64))
        blocks.append((Q * torch.sign(torch.diagonal(R))).T)          # D orthonormal rows
    return torch.cat(blocks)[:D_random] * math.sqrt(D / sigma_sq)


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
