"""Causal attention as a recurrent network: one token at a time, the state (S, Z) updated in place. This is
eq. 6 read literally, and the shape of the recurrent form of linear transformers."""
import math

import torch


def softmax_attention(Q, K, V, causal=False):
    N, D = Q.shape
    out = torch.empty(N, V.shape[1], dtype=V.dtype)
    for i in range(N):
        keys = K[: i + 1] if causal else K
        values = V[: i + 1] if causal else V
        s = keys @ Q[i] / math.sqrt(D)
        w = torch.exp(s - s.max())
        out[i] = w @ values / w.sum()
    return out


def sample_frequencies(D, D_random, sigma_sq, generator=None):
    sigma = math.sqrt(sigma_sq)
    return torch.stack([torch.randn(D, generator=generator, dtype=torch.float64) / sigma for _ in range(D_random)])


def random_features(X, W):
    rows = []
    for x in X:
        angles = W @ x
        rows.append(torch.cat([torch.sin(angles), torch.cos(angles)]))
    return torch.stack(rows) / math.sqrt(W.shape[0])


def kernel_attention(Q, K, V, feature_map, causal=False):
    phi_q, phi_k = feature_map(Q), feature_map(K)
    L, M = phi_k.shape[1], V.shape[1]
    if not causal:
        S, Z = phi_k.T @ V, phi_k.sum(0)
        return torch.stack([phi_q[i] @ S / (phi_q[i] @ Z) for i in range(len(Q))])
    S = torch.zeros(L, M, dtype=V.dtype)
    Z = torch.zeros(L, dtype=V.dtype)
    out = torch.empty(len(Q), M, dtype=V.dtype)
    for i in range(len(Q)):                               # the recurrent state after token i
        S += torch.outer(phi_k[i], V[i])
        Z += phi_k[i]
        out[i] = (phi_q[i] @ S) / (phi_q[i] @ Z)
    return out


def random_feature_attention(Q, K, V, W, causal=False):
    sigma_sq = math.sqrt(Q.shape[1])
    phi = lambda X: torch.exp((X * X).sum(1, keepdim=True) / (2 * sigma_sq)) * random_features(X, W)
    return kernel_attention(Q, K, V, phi, causal)
