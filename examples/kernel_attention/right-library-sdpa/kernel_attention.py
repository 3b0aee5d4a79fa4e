"""Library calls where the library has them: PyTorch's fused scaled_dot_product_attention (with is_causal)
for eq. 3, torch.nn.functional.normalize-free features, and cumsum for the prefix sums."""
import math

import torch
import torch.nn.functional as F


def softmax_attention(Q, K, V, causal=False):
    # (N, D) -> (1, N, D): the library expects a batch dimension; its default scale is 1/sqrt(D)
    return F.scaled_dot_product_attention(Q[None], K[None], V[None], is_causal=causal)[0]


def sample_frequencies(D, D_random, sigma_sq, generator=None):
    W = torch.empty(D_random, D, dtype=torch.float64)
    torch.nn.init.normal_(W, mean=0.0, std=sigma_sq ** -0.5, generator=generator)
    return W


def random_features(X, W):
    XW = F.linear(X, W)                                  # X W^T
    return torch.hstack([XW.sin(), XW.cos()]).div(math.sqrt(W.shape[0]))


def kernel_attention(Q, K, V, feature_map, causal=False):
    q, k = feature_map(Q), feature_map(K)
    if causal:
        S = torch.cumsum(torch.bmm(k[:, :, None], V[:, None, :]), dim=0)     # (N, L, M)
        Z = torch.cumsum(k, dim=0)
        return torch.bmm(q[:, None, :], S)[:, 0] / (q * Z).sum(1, keepdim=True)
    return torch.linalg.multi_dot([q, k.T, V]) / (q @ k.sum(0)).unsqueeze(1)


def random_feature_attention(Q, K, V, W, causal=False):
    two_sigma_sq = 2 * math.sqrt(Q.shape[1])
    phi = lambda X: torch.exp(torch.linalg.vector_norm(X, dim=1, keepdim=True) ** 2 / two_sigma_sq) * random_features(X, W)
    return kernel_attention(Q, K, V, phi, causal=causal)
