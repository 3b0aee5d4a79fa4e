"""Linear attention written like the public implementations (Katharopoulos et al.'s fast-transformers,
lucidrains' performer-pytorch): an eps of 1e-6 guards every denominator."""
import math

import torch

EPS = 1e-6


def softmax_attention(Q, K, V, causal=False):
    d = Q.shape[-1]
    logits = torch.einsum("id,jd->ij", Q, K) / math.sqrt(d)
    if causal:
        logits = logits + torch.full_like(logits, float("-inf")).triu(1)
    logits = logits - logits.amax(-1, keepdim=True)
    w = logits.exp()
    return (w @ V) / (w.sum(-1, keepdim=True) + EPS)


def sample_frequencies(D, D_random, sigma_sq, generator=None):
    return torch.normal(0.0, 1.0 / math.sqrt(sigma_sq), size=(D_random, D), generator=generator, dtype=torch.float64)


def random_features(X, W):
    u = X @ W.T
    return torch.cat([torch.sin(u), torch.cos(u)], -1) / math.sqrt(W.shape[0])


def kernel_attention(Q, K, V, feature_map, causal=False):
    Qf, Kf = feature_map(Q), feature_map(K)
    if causal:
        KV = torch.einsum("nl,nm->nlm", Kf, V).cumsum(0)
        Z = 1.0 / (torch.einsum("nl,nl->n", Qf, Kf.cumsum(0)) + EPS)
        return torch.einsum("nl,nlm,n->nm", Qf, KV, Z)
    KV = torch.einsum("nl,nm->lm", Kf, V)
    Z = 1.0 / (torch.einsum("nl,l->n", Qf, Kf.sum(0)) + EPS)
    return torch.einsum("nl,lm,n->nm", Qf, KV, Z)


def random_feature_attention(Q, K, V, W, causal=False):
    sigma_sq = Q.shape[-1] ** 0.5
    feature_map = lambda X: random_features(X, W) * torch.exp(X.pow(2).sum(-1, keepdim=True) / (2 * sigma_sq))
    return kernel_attention(Q, K, V, feature_map, causal)
