"""Kernelized linear attention in float32 throughout, as on a GPU: every input is cast once, every result
comes back in float32."""
import math

import torch


def _f32(*tensors):
    return [t.to(torch.float32) for t in tensors]


def softmax_attention(Q, K, V, causal=False):
    Q, K, V = _f32(Q, K, V)
    scores = (Q @ K.T) / math.sqrt(Q.shape[-1])
    if causal:
        n = scores.shape[0]
        scores = scores.masked_fill(torch.triu(torch.ones(n, n, dtype=torch.bool), 1), float("-inf"))
    return torch.softmax(scores, dim=-1) @ V


def sample_frequencies(D, D_random, sigma_sq, generator=None):
    return torch.randn(D_random, D, generator=generator) / math.sqrt(sigma_sq)      # float32 by default


def random_features(X, W):
    X, W = _f32(X, W)
    proj = X @ W.T
    return torch.cat([proj.sin(), proj.cos()], dim=-1) * (1.0 / math.sqrt(W.shape[0]))


def kernel_attention(Q, K, V, feature_map, causal=False):
    Q, K, V = _f32(Q, K, V)
    phi_q, phi_k = feature_map(Q).float(), feature_map(K).float()
    if causal:
        S = torch.cumsum(phi_k.unsqueeze(2) * V.unsqueeze(1), dim=0)     # (N, L, M)
        Z = torch.cumsum(phi_k, dim=0)                                    # (N, L)
        num = torch.einsum("nl,nlm->nm", phi_q, S)
        den = (phi_q * Z).sum(-1, keepdim=True)
    else:
        num = phi_q @ (phi_k.T @ V)
        den = phi_q @ phi_k.sum(0, keepdim=True).T
    return num / den


def random_feature_attention(Q, K, V, W, causal=False):
    Q, K, V, W = _f32(Q, K, V, W)
    sigma_sq = math.sqrt(Q.shape[-1])

    def phi(X):
        return torch.exp((X ** 2).sum(-1, keepdim=True) / (2 * sigma_sq)) * random_features(X, W)
    return kernel_attention(Q, K, V, phi, causal=causal)
