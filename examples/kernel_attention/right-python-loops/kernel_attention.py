# [staff] example submission `right-python-loops`: correct. Explicit Python loops: row by row softmax, a loop
# over frequencies in random_features, and the causal prefix sums as running S and Z updated token by token.
"""HW10 Q1 - kernelized linear attention (written with loops so I can follow eq. 6 line by line)."""
import math

import torch


def softmax_attention(Q, K, V, causal=False):
    N, D = Q.shape
    out = torch.zeros(N, V.shape[1], dtype=V.dtype)
    for i in range(N):
        last = i + 1 if causal else N                 # causal: keys 0..i only
        scores = (K[:last] @ Q[i]) / math.sqrt(D)     # (last,)
        scores = scores - scores.max()                # stable exp
        w = torch.exp(scores)
        out[i] = (w[:, None] * V[:last]).sum(0) / w.sum()
    return out


def sample_frequencies(D, D_random, sigma_sq, generator=None):
    sigma = math.sqrt(sigma_sq)
    W = torch.empty(D_random, D, dtype=torch.float64)
    for r in range(D_random):
        W[r] = torch.randn(D, generator=generator, dtype=torch.float64) / sigma
    return W


def random_features(X, W):
    n, D_random = X.shape[0], W.shape[0]
    feats = torch.zeros(n, 2 * D_random, dtype=X.dtype)
    for r in range(D_random):
        proj = X @ W[r]                               # (n,)  x . w_r
        feats[:, r] = torch.sin(proj)
        feats[:, D_random + r] = torch.cos(proj)
    return feats * math.sqrt(1.0 / D_random)


def kernel_attention(Q, K, V, feature_map, causal=False):
    phi_q, phi_k = feature_map(Q), feature_map(K)     # (N, L)
    rows = []
    if not causal:
        S = phi_k.T @ V                               # (L, M)
        Z = phi_k.sum(0)                              # (L,)
        for q_i in phi_q:
            rows.append((q_i @ S) / (q_i @ Z))
        return torch.stack(rows)
    S = torch.zeros(phi_k.shape[1], V.shape[1], dtype=V.dtype)   # running sum_{j<=i} phi(K_j)^T V_j
    Z = torch.zeros(phi_k.shape[1], dtype=V.dtype)               # running sum_{j<=i} phi(K_j)^T
    for q_i, k_i, v_i in zip(phi_q, phi_k, V):
        S += torch.outer(k_i, v_i)
        Z += k_i
        rows.append((q_i @ S) / (q_i @ Z))
    return torch.stack(rows)


def random_feature_attention(Q, K, V, W, causal=False):
    D = Q.shape[1]
    sigma_sq = math.sqrt(D)

    def phi(X):
        scale = torch.exp((X ** 2).sum(dim=1) / (2 * sigma_sq))   # exp(||x||^2 / (2 sigma^2))
        return scale[:, None] * random_features(X, W)

    return kernel_attention(Q, K, V, phi, causal=causal)
