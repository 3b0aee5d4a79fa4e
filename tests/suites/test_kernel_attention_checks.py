"""kernel_attention's checks on outcomes made in this process (no sandbox): right variants in the styles
people write (float32, eps guards, library calls, loops) pass; each note the suite can give is produced;
a helper's deviation is charged on the helper's question only."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from graders.model import Status
from graders.suite import load_suite
from inprocess import grade_check, grade_questions, judge_values
from reference import kernel_attention as ref
from reference import kernel_attention_mistakes as wrong

SUITE = load_suite("kernel_attention")
REFERENCE = {name: getattr(ref, name) for name in ("softmax_attention", "sample_frequencies", "random_features",
                                                   "kernel_attention", "random_feature_attention")}


def check(question: str, words: str):
    (found,) = [c for c in SUITE.question(question).checks if words in c.name]
    return found


def verdict(question: str, words: str, **functions):
    return grade_check(check(question, words), {**REFERENCE, **functions})


def all_pass(**functions) -> dict:
    """question -> {check: (status, note)} for checks that did not pass cleanly."""
    results = grade_questions(SUITE, {**REFERENCE, **functions})
    return {q: {c: (v.status.value, v.note) for c, v in checks.items() if v.status is not Status.PASSED}
            for q, checks in results.items() if any(v.status is not Status.PASSED for v in checks.values())}


# ---- right in other styles --------------------------------------------------------------------------------
def kernel_attention_eps(Q, K, V, feature_map, causal=False, eps=1e-6):
    """The guard public linear-attention code adds to the denominator."""
    q, k = feature_map(Q), feature_map(K)
    if not causal:
        return (q @ (k.T @ V)) / ((q @ k.sum(0))[:, None] + eps)
    S, Z = torch.cumsum(torch.einsum("nl,nm->nlm", k, V), 0), torch.cumsum(k, 0)
    return torch.einsum("nl,nlm->nm", q, S) / ((q * Z).sum(1, keepdim=True) + eps)


def float32(function):
    def run(*args, **kwargs):
        args = [a.float() if isinstance(a, torch.Tensor) and a.is_floating_point() else a for a in args]
        return function(*args, **kwargs)
    return run


def softmax_sdpa(Q, K, V, causal=False):
    return torch.nn.functional.scaled_dot_product_attention(Q[None], K[None], V[None], is_causal=causal)[0]


def causal_loop(Q, K, V, feature_map, causal=False):
    """Token by token, the direct reading of eq. 6."""
    if not causal:
        return ref.kernel_attention(Q, K, V, feature_map)
    q, k = feature_map(Q), feature_map(K)
    S, Z, rows = torch.zeros(k.shape[1], V.shape[1], dtype=V.dtype), torch.zeros(k.shape[1], dtype=V.dtype), []
    for i in range(len(Q)):
        S, Z = S + torch.outer(k[i], V[i]), Z + k[i]
        rows.append(q[i] @ S / (q[i] @ Z))
    return torch.stack(rows)


def rfa_on(kernel_attention=ref.kernel_attention, random_features=ref.random_features):
    """Random-feature attention built, as students do, on their own helpers."""
    def random_feature_attention(Q, K, V, W, causal=False):
        sigma_sq = math.sqrt(Q.shape[1])
        phi = lambda X: torch.exp((X * X).sum(1, keepdim=True) / (2 * sigma_sq)) * random_features(X, W)
        return kernel_attention(Q, K, V, phi, causal=causal)
    return random_feature_attention


@pytest.mark.parametrize("functions", [
    dict(kernel_attention=kernel_attention_eps, random_feature_attention=rfa_on(kernel_attention_eps)),
    dict(softmax_attention=float32(ref.softmax_attention), kernel_attention=float32(ref.kernel_attention),
         random_features=float32(ref.random_features), random_feature_attention=float32(ref.random_feature_attention)),
    dict(kernel_attention=float32(kernel_attention_eps), random_feature_attention=float32(rfa_on(kernel_attention_eps))),
    dict(softmax_attention=softmax_sdpa),
    dict(kernel_attention=causal_loop, random_feature_attention=rfa_on(causal_loop)),
], ids=["eps-1e-6", "float32", "float32-and-eps", "sdpa-is-causal", "token-loop"])
def test_right_variants_get_every_value_check(functions):
    assert all_pass(**functions) == {}


# ---- right given the student's own helpers -----------------------------------------------------------------
def features_cos_only(X, W):
    XW = X @ W.T
    return torch.cat([torch.cos(XW), torch.cos(XW)], 1) / math.sqrt(W.shape[0])


def test_a_bug_in_random_features_is_charged_there_only():
    own = dict(random_features=features_cos_only, random_feature_attention=rfa_on(random_features=features_cos_only))
    lost = all_pass(**own)
    assert set(lost) == {"random_features", "random_feature_attention"}
    assert set(lost["random_feature_attention"].values()) == {("failed", "does-not-converge")}   # the 0-point plot
    rfa = verdict("random_feature_attention", "matches", **own)
    assert rfa.status is Status.PASSED and rfa.note == "follows-from-random-features"


@pytest.mark.parametrize("kernel", [wrong.kernel_attention_unnormalised, wrong.causal_with_full_normaliser,
                                    lambda *a, **k: kernel_attention_eps(*a, **k, eps=1e-2)],
                         ids=["forgot-normaliser", "non-causal-normaliser", "unknown-bug-eps-1e-2"])
def test_any_kernel_attention_deviation_is_charged_on_its_own_question(kernel):
    rfa = verdict("random_feature_attention", "matches", kernel_attention=kernel, random_feature_attention=rfa_on(kernel))
    assert rfa.status is Status.PASSED and rfa.note == "follows-from-kernel-attention", rfa


def test_a_wrong_answer_with_right_helpers_is_still_charged():
    rfa = verdict("random_feature_attention", "matches", random_feature_attention=wrong.rfa_without_key_factor)
    assert rfa.status is Status.FAILED and rfa.note == "missing-key-factor"


def test_helpers_that_fail_excuse_nothing():
    c = check("random_feature_attention", "matches")
    values = [v * 1.1 for v in [ref.random_feature_attention(*map(torch.from_numpy, call.args[:4]), **call.kwargs).numpy()
                                for call in c.calls]]
    assert judge_values(c, values).status is Status.FAILED           # support calls all failed


# ---- notes on hand-made values -----------------------------------------------------------------------------
def sample_with(variance_of: callable):
    def sample_frequencies(D, D_random, sigma_sq, generator=None):
        return torch.randn(D_random, D, generator=generator, dtype=torch.float64) * math.sqrt(variance_of(sigma_sq))
    return sample_frequencies


def haar(D, generator):
    """A uniformly random orthogonal matrix: QR of a Gaussian, signs fixed by R's diagonal."""
    Q, R = torch.linalg.qr(torch.randn(D, D, generator=generator, dtype=torch.float64))
    return Q * torch.sign(torch.diagonal(R))


def orthogonal_fixed_norm(D, D_random, sigma_sq, generator=None):
    """Orthogonal random features, each row rescaled to length sqrt(D) / sigma (a common shortcut)."""
    return torch.cat([haar(D, generator).T for _ in range(-(-D_random // D))])[:D_random] * math.sqrt(D / sigma_sq)


def orthogonal_chi_norm(D, D_random, sigma_sq, generator=None):
    W = orthogonal_fixed_norm(D, D_random, sigma_sq, generator) / math.sqrt(D)
    lengths = torch.randn(D_random, D, generator=generator, dtype=torch.float64).norm(dim=1, keepdim=True)
    return W * lengths


@pytest.mark.parametrize("sample, words, note", [
    (sample_with(lambda s: s), "covariance", "variance-sigma-squared"),
    (sample_with(lambda s: s ** -2), "covariance", "variance-sigma-minus-4"),
    (sample_with(lambda s: 1.0), "covariance", "ignores-sigma"),
    (sample_with(lambda s: 3.0 / s), "covariance", "wrong-frequency-variance"),
    (orthogonal_fixed_norm, "Gaussian", "constant-row-norms"),
    (lambda D, Dr, s, generator=None: (torch.rand(Dr, D, generator=generator, dtype=torch.float64) - 0.5)
     * math.sqrt(12 / s), "Gaussian", "frequencies-not-gaussian"),
])
def test_frequency_notes(sample, words, note):
    v = verdict("random_features", words, sample_frequencies=sample)
    assert v.status is Status.FAILED and v.note == note, v
    if note == "constant-row-norms":
        assert "normal distribution" not in v.feedback and "chi" in v.feedback


def test_orthogonal_features_with_chi_lengths_are_right():
    for words in ("covariance", "Gaussian"):
        assert verdict("random_features", words, sample_frequencies=orthogonal_chi_norm).status is Status.PASSED


def test_causality_notes():
    c = check("causal_kernel_attention", "ignores keys")
    first, second = (ref.kernel_attention(*map(torch.from_numpy, call.args[:3]), lambda X: torch.nn.functional.elu(X) + 1,
                                          causal=True).numpy() for call in c.calls)
    assert judge_values(c, [first, second]).status is Status.PASSED
    leak = second.copy()
    leak[0] += 0.01
    assert judge_values(c, [first, leak]).note == "not-causal"
    assert judge_values(c, [first, first]).note == "ignores-keys-and-values"
    assert judge_values(c, [first.astype(np.float32), second.astype(np.float32)]).status is Status.PASSED


def test_the_quadratic_cost_message_does_not_assume_phi_q_phi_k():
    from graders.model import Outcome
    cost = [c for c in SUITE.question("kernel_attention").checks if "cost" in c.name][0]
    sizes = [c.args[0].shape[0] for c in cost.calls]
    mask_only = [Outcome(Status.PASSED, value=np.arange(6.0).reshape(2, 3) * n,
                         cost={"elements": float(n * n), "flops": float(10 * n)}) for n in sizes]
    from graders.checks import decide
    v = decide(cost, mask_only, {})
    if v.status is Status.FAILED:                  # the cost helper owns the verdict; the wording is this suite's
        assert "phi(Q) phi(K)^T" not in v.feedback and "mask" in v.feedback


def test_hidden_expected_values_never_leave_decide():
    from graders.checks import Check, decide, returns
    from graders.model import Call, Outcome
    c = returns("x", 1, [Call("f", (np.arange(3.0),))], lambda x: 2 * x, visibility="hidden")
    v = decide(c, [Outcome(Status.PASSED, value=np.array([0.0, 2.0, 5.0]))], {})
    assert v.status is Status.FAILED and "expected" not in v.feedback and "4" not in v.feedback
    assert not any(k.startswith("expected") for k in v.evidence) and "inputs" not in v.evidence


def test_a_constant_helper_excuses_nothing():
    zeros = lambda Q, K, V, *a, **k: torch.zeros(Q.shape[0], V.shape[1], dtype=V.dtype)
    rfa = verdict("random_feature_attention", "matches", kernel_attention=zeros, random_feature_attention=zeros)
    assert rfa.status is Status.FAILED and rfa.note is None


def test_code_that_assumes_positive_features_is_named():
    v = verdict("kernel_attention", "L differs", kernel_attention=wrong.kernel_attention_in_log_space)
    assert v.status is Status.FAILED and v.note == "assumes-positive-features", v


# ---- the generator ------------------------------------------------------------------------------------------
def fixed_seed_frequencies(D, D_random, sigma_sq, generator=None):
    """Its own fixed seed: reproducible, but another generator gives the same W."""
    return torch.randn(D_random, D, generator=torch.Generator().manual_seed(0), dtype=torch.float64) / math.sqrt(sigma_sq)


@pytest.mark.parametrize("sample", [wrong.sample_frequencies_global_rng, fixed_seed_frequencies],
                         ids=["global-rng", "fixed-seed"])
def test_frequencies_that_ignore_the_generator_are_named(sample):
    v = verdict("random_features", "generator", sample_frequencies=sample)
    assert v.status is Status.FAILED and v.note == "ignores-generator" and "generator=generator" in v.feedback, v
    assert all_pass(sample_frequencies=sample) == {"random_features": {
        "draws W from the generator it is given": ("failed", "ignores-generator")}}


def test_frequencies_drawn_from_the_generator_in_any_library_are_right():
    assert all_pass(sample_frequencies=wrong.sample_frequencies_numpy_from_generator) == {}
    assert ref.sample_frequencies(3, 5, 2.0).shape == (5, 3)                      # generator=None still works
    assert wrong.sample_frequencies_numpy_from_generator(3, 5, 2.0).shape == (5, 3)
