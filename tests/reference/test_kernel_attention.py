"""The staff solution for problem 1 proves itself: a sympy derivation, Monte-Carlo checks of eq. 5,
the 1/sqrt(D_random) error rate, causality, and agreement with naive forms of every equation."""
import math

import pytest
import sympy as sp
import torch

from reference import kernel_attention as ref



@pytest.fixture(autouse=True)
def float64_by_default():
    """These tests compute in float64; the default dtype is restored for every other test."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def test_gaussian_decomposition_holds_exactly_at_sigma_squared_sqrt_D():
    """exp(q.k / sqrt(D)) = exp(-||q-k||^2 / (2 s)) exp(||q||^2 / (2 s)) exp(||k||^2 / (2 s)) iff s = sqrt(D)."""
    D, s = sp.symbols("D sigma_sq", positive=True)
    q_sq, k_sq, qk = sp.symbols("q_sq k_sq qk", real=True)
    distance_sq = q_sq + k_sq - 2 * qk                              # ||q - k||^2 expanded
    log_rhs = -distance_sq / (2 * s) + q_sq / (2 * s) + k_sq / (2 * s)
    assert sp.simplify(log_rhs - qk / s) == 0                       # the rhs is exp(q.k / sigma^2) for every sigma
    assert sp.solve(sp.Eq(qk / s, qk / sp.sqrt(D)), s) == [sp.sqrt(D)]


def test_gaussian_decomposition_numerically():
    q, k = torch.randn(5, 6), torch.randn(7, 6)
    D = q.shape[1]
    sigma_sq = math.sqrt(D)
    lhs = torch.exp(q @ k.T / math.sqrt(D))
    rhs = ref.gaussian_kernel(q, k, sigma_sq) * torch.exp((q * q).sum(1, keepdim=True) / (2 * sigma_sq)) \
        * torch.exp((k * k).sum(1) / (2 * sigma_sq))[None, :]
    torch.testing.assert_close(lhs, rhs)


def test_eq5_holds_by_monte_carlo_with_variance_one_over_sigma_squared():
    """E[phi(x) phi(y)^T] = K_Gauss(x, y): the mean over 400 independent W is within 5 standard errors."""
    generator = torch.Generator().manual_seed(0)
    D, D_random, sigma_sq = 16, 64, 4.0
    x, y = torch.randn(1, D, generator=generator) * 0.5, torch.randn(1, D, generator=generator) * 0.5
    kernel = ref.gaussian_kernel(x, y, sigma_sq).item()
    estimates = torch.tensor([(ref.random_features(x, W) @ ref.random_features(y, W).T).item()
                              for W in (ref.sample_frequencies(D, D_random, sigma_sq, generator) for _ in range(400))])
    standard_error = estimates.std().item() / math.sqrt(len(estimates))
    assert abs(estimates.mean().item() - kernel) < 5 * standard_error
    # the homework's misprint, w ~ N(0, sigma^2 I), estimates a different kernel entirely
    wrong = torch.tensor([(ref.random_features(x, W) @ ref.random_features(y, W).T).item()
                          for W in (torch.randn(D_random, D, generator=generator) * math.sqrt(sigma_sq) for _ in range(400))])
    assert abs(wrong.mean().item() - kernel) > 20 * standard_error


def test_variance_of_the_estimate_matches_the_formula():
    """Var[phi(x).phi(y)] = (1 - K^2)^2 / (2 D_random) for the sin/cos pair features (facts.md)."""
    generator = torch.Generator().manual_seed(1)
    D, D_random, sigma_sq = 8, 32, 2.0
    x, y = torch.randn(1, D, generator=generator) * 0.4, torch.randn(1, D, generator=generator) * 0.4
    kernel = ref.gaussian_kernel(x, y, sigma_sq).item()
    estimates = torch.tensor([(ref.random_features(x, W) @ ref.random_features(y, W).T).item()
                              for W in (ref.sample_frequencies(D, D_random, sigma_sq, generator) for _ in range(4000))])
    assert estimates.var().item() == pytest.approx((1 - kernel**2) ** 2 / (2 * D_random), rel=0.1)


def test_features_have_unit_norm():
    X, W = torch.randn(10, 5), ref.sample_frequencies(5, 33, 1.5)
    torch.testing.assert_close((ref.random_features(X, W) ** 2).sum(1), torch.ones(10))


def test_random_feature_attention_error_shrinks_like_one_over_sqrt_D_random():
    generator = torch.Generator().manual_seed(2)
    Q, K, V = (torch.randn(16, 4, generator=generator) * 0.5 for _ in range(3))
    exact = ref.softmax_attention(Q, K, V)
    sizes = (16, 64, 256, 1024, 4096)
    errors = [sum((ref.random_feature_attention(Q, K, V, ref.sample_frequencies(4, d, 2.0, generator)) - exact)
                  .abs().mean().item() for _ in range(10)) / 10 for d in sizes]
    slope = (math.log(errors[-1]) - math.log(errors[0])) / (math.log(sizes[-1]) - math.log(sizes[0]))
    assert -0.65 < slope < -0.35


def naive_attention(Q, K, V, kernel, causal):
    """The definitions written as sums over i and j."""
    N = Q.shape[0]
    out = torch.zeros(N, V.shape[1])
    for i in range(N):
        js = range(i + 1) if causal else range(N)
        weights = torch.stack([kernel(Q[i], K[j]) for j in js])
        out[i] = sum(w * V[j] for w, j in zip(weights, js)) / weights.sum()
    return out


@pytest.mark.parametrize("causal", [False, True])
def test_softmax_attention_matches_the_definition(causal):
    Q, K, V = torch.randn(7, 3), torch.randn(7, 3), torch.randn(7, 2)
    expected = naive_attention(Q, K, V, lambda q, k: torch.exp(q @ k / math.sqrt(3)), causal)
    torch.testing.assert_close(ref.softmax_attention(Q, K, V, causal), expected)


def test_softmax_attention_is_stable_for_large_logits():
    Q, K, V = torch.randn(6, 4) * 40, torch.randn(6, 4) * 40, torch.randn(6, 2)
    out = ref.softmax_attention(Q, K, V)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out, torch.softmax(Q @ K.T / 2, dim=1) @ V)


@pytest.mark.parametrize("causal", [False, True])
def test_kernel_attention_matches_the_definition(causal):
    phi = lambda X: torch.nn.functional.elu(X) + 1
    Q, K, V = torch.randn(9, 4), torch.randn(9, 4), torch.randn(9, 3)
    expected = naive_attention(Q, K, V, lambda q, k: phi(q[None])[0] @ phi(k[None])[0], causal)
    torch.testing.assert_close(ref.kernel_attention(Q, K, V, phi, causal), expected)


def test_causal_kernel_attention_ignores_the_future():
    phi = lambda X: torch.nn.functional.elu(X) + 1
    Q, K, V = torch.randn(12, 4), torch.randn(12, 4), torch.randn(12, 3)
    K2, V2 = K.clone(), V.clone()
    K2[6:], V2[6:] = torch.randn(6, 4), torch.randn(6, 3)
    torch.testing.assert_close(ref.kernel_attention(Q, K, V, phi, True)[:6], ref.kernel_attention(Q, K2, V2, phi, True)[:6])


def test_random_feature_attention_equals_softmax_in_expectation_limit():
    """With many features the approximation is close to exact softmax attention."""
    generator = torch.Generator().manual_seed(3)
    Q, K, V = (torch.randn(8, 4, generator=generator) * 0.3 for _ in range(3))
    W = ref.sample_frequencies(4, 200_000, math.sqrt(4), generator)
    torch.testing.assert_close(ref.random_feature_attention(Q, K, V, W), ref.softmax_attention(Q, K, V), atol=2e-3, rtol=0)
