"""Written for batches of heads (B, H, N, D) with einsum, and called here with one head: the functions add
and drop the leading dimensions."""
import math

import torch


def _batched(*tensors):
    return [t[None, None] for t in tensors]                  # (N, D) -> (1, 1, N, D)


def softmax_attention(Q, K, V, causal=False):
    q, k, v = _batched(Q, K, V)
    scores = torch.einsum("bhid,bhjd->bhij", q, k) * Q.shape[-1] ** -0.5
    if causal:
        n = scores.shape[-1]
        scores = scores.masked_fill(~torch.ones(n, n, dtype=torch.bool).tril(), -torch.inf)
    return torch.einsum("bhij,bhjm->bhim", scores.softmax(-1), v)[0, 0]


def sample_frequencies(D, D_random, sigma_sq, generator=None):
    return torch.randn((D_random, D), generator=generator, dtype=torch.float64).mul_(sigma_sq ** -0.5)


def random_features(X, W):
    proj = torch.einsum("...nd,rd->...nr", X, W)
    return torch.stack([proj.sin(), proj.cos()], dim=-1).flatten(-2) * W.shape[0] ** -0.5   # interleaved


def kernel_attention(Q, K, V, feature_map, causal=False):
    q, k = feature_map(Q)[None, None], feature_map(K)[None, None]    # (1, 1, N, L)
    v = V[None, None]
    if causal:
        kv = torch.einsum("bhnl,bhnm->bhnlm", k, v).cumsum(2)
        z = k.cumsum(2)
        out = torch.einsum("bhnl,bhnlm->bhnm", q, kv) / torch.einsum("bhnl,bhnl->bhn", q, z)[..., None]
    else:
        kv = torch.einsum("bhnl,bhnm->bhlm", k, v)
        out = torch.einsum("bhnl,bhlm->bhnm", q, kv) / torch.einsum("bhnl,bhl->bhn", q, k.sum(2))[..., None]
    return out[0, 0]


def random_feature_attention(Q, K, V, W, causal=False):
    sigma_sq = math.sqrt(Q.shape[-1])
    phi = lambda X: torch.einsum("nd,nd->n", X, X).div(2 * sigma_sq).exp()[:, None] * random_features(X, W)
    return kernel_attention(Q, K, V, phi, causal)
