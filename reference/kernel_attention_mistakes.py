"""Known wrong answers to problem 1, each written as a student would. The suite names them in feedback
when a submission's values match one on every input; they also become example submissions."""
from __future__ import annotations

import math

import torch

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
