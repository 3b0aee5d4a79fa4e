# [staff] example submission `right-answers-in-code`: correct. No answers.yaml: the answers are a module-level
# ANSWERS dict in plain text, the factors written with D instead of sigma and the causal cost with random
# features substituted (L = 2 D_random, c_phi = D D_random). Features in [cos, sin] block order.
import math

import torch

ANSWERS = {
    "gaussian_decomposition": {
        "sigma_sq": "sqrt(D)",
        "query_factor": "exp(q_sq / (2*sqrt(D)))",
        "key_factor": "exp(k_sq / (2*sqrt(D)))",
    },
    "attention_cost": "O(N*D_random*(D + M))",
    "causal_cost": "O(N*D*D_random + N*D_random*M)",
}


def softmax_attention(Q, K, V, causal=False):
    d = Q.size(1)
    s = torch.matmul(Q, K.transpose(0, 1)) / math.sqrt(d)
    if causal:
        allowed = torch.tril(torch.ones_like(s)).bool()
        s = torch.where(allowed, s, torch.full_like(s, -math.inf))
    s = s - s.amax(dim=1, keepdim=True)
    p = s.exp()
    p = p / p.sum(dim=1, keepdim=True)
    return torch.matmul(p, V)


def sample_frequencies(D, D_random, sigma_sq, generator=None):
    W = torch.normal(0.0, 1.0, size=(D_random, D), generator=generator, dtype=torch.float64)
    return W / math.sqrt(sigma_sq)


def random_features(X, W):
    Z = torch.matmul(X, W.t())
    return math.sqrt(1 / W.size(0)) * torch.cat((Z.cos(), Z.sin()), dim=1)


def kernel_attention(Q, K, V, feature_map, causal=False):
    pq = feature_map(Q)
    pk = feature_map(K)
    if causal:
        kv = torch.bmm(pk.unsqueeze(2), V.unsqueeze(1))          # (N, L, M): phi(K_j)^T V_j
        S = kv.cumsum(0)
        Z = pk.cumsum(0)
        num = torch.bmm(pq.unsqueeze(1), S).squeeze(1)           # (N, M)
        den = (pq * Z).sum(dim=1)
    else:
        num = pq @ (pk.t() @ V)
        den = pq @ pk.sum(dim=0)
    return num / den.unsqueeze(1)


def random_feature_attention(Q, K, V, W, causal=False):
    s2 = math.sqrt(Q.size(1))

    def feats(X):
        return torch.exp(0.5 * (X * X).sum(dim=1, keepdim=True) / s2) * random_features(X, W)

    return kernel_attention(Q, K, V, feats, causal=causal)
