"""Suite for homework problem 1, kernelized linear attention (spec: assignment `kernel_attention`).

Invariants over layouts: phi(X) phi(Y)^T rather than a column order, causality by perturbing the future,
cost growth measured at several N, frequency statistics with tolerances from the sample size. Expected
values come from `reference.kernel_attention`, computed here, never in the student's process.
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np
import torch

from reference import kernel_attention as ref
from reference import kernel_attention_mistakes as wrong

from ..checks import Check, Given, Mistake, answer, matches_reference, returns, satisfies
from ..compare import Tolerance, as_array, compare_arrays, describe
from ..cost import grows_like
from ..model import Call, Status, Verdict
from ..suite import build_suite
from ..symbolic import Distractor, Name, Vocabulary, big_o, equation, expression, inner_product, norm, norm_squared
from ..wire import Named
from .kernel_attention_features import frequencies, random_features_checks

ELU = Named("feature_map", {"name": "elu_plus_one"})


# ------------------------------------------------------------------------------------------------ notation
# The homework's notation (spec/homework.md, "Symbol vocabulary for answers"). `KERNEL_ATTENTION` is the whole
# list of the spec; the narrower `GAUSSIAN_DECOMPOSITION` and `KERNEL_COSTS` are what its questions declare, so
# that e.g. `||q||^2` in a cost is an invalid answer naming the allowed symbols rather than a bound that "grows
# with q".
_D_RANDOM = Name("D_random", aliases=("D_{random}", r"D_{\text{random}}", r"D_\text{random}", "D_r", "D_{r}",
                                      "D_{rand}", "D_rand", "D_{R}", "D_R", "D_{rf}"), latex=r"D_{\text{random}}")
_C_PHI = Name("c_phi", aliases=(r"c_\phi", r"c_{\phi}", "c_{phi}", r"c_\varphi", r"c_{\varphi}"), latex=r"c_{\phi}")
_SIGMA = Name("sigma", aliases=(r"\sigma",), latex=r"\sigma")
_SIGMA_SQ = Name("sigma_sq", aliases=("sigma_{sq}", r"\sigma_{sq}"), stands_for=("sigma", 2))
_Q_SQ = Name("q_sq", aliases=("||q||^2", r"\|q\|^2", "q_{sq}") + norm_squared("q"), latex=r"{\|q\|^2}")
_K_SQ = Name("k_sq", aliases=("||k||^2", r"\|k\|^2", "k_{sq}") + norm_squared("k"), latex=r"{\|k\|^2}")
_Q_NORM = Name("q_norm", aliases=norm("q"), stands_for=("q_sq", "1/2"))     # so that ||q|| reads (as wrong)
_K_NORM = Name("k_norm", aliases=norm("k"), stands_for=("k_sq", "1/2"))
_QK = Name("qk", aliases=("q k^T", "q^T k") + inner_product("q", "k"), latex=r"q k^{T}")
_SIZES = (Name("N"), Name("D"), Name("M"), Name("L"), _D_RANDOM, _C_PHI)
_VECTORS = ("q", "k")                      # the homework writes rows as q_i, k_j: the index is not a new name

KERNEL_ATTENTION = Vocabulary(_SIZES + (_SIGMA, _SIGMA_SQ, _Q_SQ, _K_SQ, _Q_NORM, _K_NORM, _QK), _VECTORS)
GAUSSIAN_DECOMPOSITION = Vocabulary((Name("D"), _SIGMA, _SIGMA_SQ, _Q_SQ, _K_SQ, _Q_NORM, _K_NORM, _QK), _VECTORS)
KERNEL_COSTS = Vocabulary(_SIZES)


# ------------------------------------------------------------------------------------------------ inputs
def qkv(seed: int, N: int = 12, D: int = 4, M: int = 3, scale: float = 0.5) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    return tuple(scale * rng.standard_normal(shape) for shape in ((N, D), (N, D), (N, M)))


def exp_linear(seed: int, D: int, L: int) -> Named:
    A = 0.3 * np.random.default_rng(seed).standard_normal((D, L))
    return Named("feature_map", {"name": "exp_linear", "A": A})


def signed_linear(seed: int, D: int, L: int) -> Named:
    """phi(x) = x A + b: features of both signs (eq. 2 holds for any callable), so code that only works for
    positive feature maps (logarithms of phi, denominators clamped at eps) is told apart."""
    rng = np.random.default_rng(seed)
    return Named("feature_map", {"name": "signed_linear", "A": rng.standard_normal((D, L)), "b": rng.standard_normal(L)})


def attention_call(function: str, *args, causal: bool = False, measure_cost: bool = False) -> Call:
    return Call(function, args, {"causal": causal}, measure_cost=measure_cost, timeout_s=20 if measure_cost else 10)


# ------------------------------------------------------------------------------------------------ the decomposition
SIGMA_SQ = ["sigma^2 = sqrt(D)"]                  # so that factors written in sigma or in D both count
MISSING_TWO = ("Expand ||q - k||^2 = ||q||^2 + ||k||^2 - 2 q k^T inside exp(-||q - k||^2 / (2 sigma^2)): the 2 is "
               "missing.")


def factor_check(name: str, vector: str, other: str) -> list:
    distractors = [Distractor(f"exp({vector}_sq/sigma^2)", "factor-missing-2", MISSING_TWO, fraction=0.25,
                              answer_hint="The expansion leaves exp(||x||^2 / (2 sigma^2)) factors."),
                   Distractor(f"exp({other}_sq/(2 sigma^2))", "query-key-swapped",
                              f"This factor depends on {other}; the {name.split('_')[0]} factor depends on {vector} only.")]
    judge = expression(f"exp({vector}_sq/(2 sqrt(D)))", GAUSSIAN_DECOMPOSITION, substitutions=SIGMA_SQ,
                       distractors=distractors)
    return answer(f"{name.replace('_', ' ')} of the decomposition", 1.25, ("gaussian_decomposition", name), judge)


decomposition_checks = [
    answer("sigma^2 makes the decomposition exact", 1.5, ("gaussian_decomposition", "sigma_sq"),
           equation("sqrt(D)", "sigma^2", GAUSSIAN_DECOMPOSITION, distractors=[
               Distractor("D", "sigma-squared-is-D", "With sigma^2 = D the cross term is exp(q k^T / D): its logits "
                          "are too small compared with eq. 3.",
                          answer_hint="Softmax attention divides by sqrt(D), so sigma^2 = sqrt(D)."),
               Distractor("sqrt(D)/2", "sigma-squared-half", "Check the factor 2 in exp(-||q - k||^2 / (2 sigma^2)): "
                          "the cross term is exp(q k^T / sigma^2).", fraction=0.25)])),
    factor_check("query_factor", "q", "k"),
    factor_check("key_factor", "k", "q"),
]

# ------------------------------------------------------------------------------------------------ costs
RANDOM_FEATURES = ["L = 2 D_random", "c_phi = D D_random"]   # answers in any of the homework's notations count
attention_cost_checks = [answer("cost of all V' with random features", 3, ("attention_cost",),
                                big_o("N D D_random + N D_random M", KERNEL_COSTS, substitutions=RANDOM_FEATURES))]
causal_cost_checks = [answer("cost of the causal prefix-sum scheme", 3, ("causal_cost",),
                             big_o("N c_phi + N L M", KERNEL_COSTS, substitutions=RANDOM_FEATURES))]


# ------------------------------------------------------------------------------------------------ eq. 3
SOFTMAX_MISTAKES = [
    Mistake("missing-sqrt-d-scaling", wrong.softmax_without_scaling,
            "The logits are Q_i K_j^T without the 1/sqrt(D) of eq. 3."),
    Mistake("softmax-wrong-axis", wrong.softmax_over_keys_axis,
            "Each row i is normalised over the keys j (dim 1); yours sums over the queries."),
    Mistake("mask-wrong-direction", wrong.softmax_mask_reversed,
            "Causal attention keeps keys j <= i and masks the future j > i; yours masks the past."),
]
softmax_checks = [      # one mistake shows in several checks: each names it
    returns("matches eq. 3 on random inputs", 1.25,
            [attention_call("softmax_attention", *qkv(s, N=9 + s, D=4 + s, M=3)) for s in (1, 2)],
            ref.softmax_attention, mistakes=SOFTMAX_MISTAKES),
    returns("applies the causal mask (keys j <= i only)", 1.0,
            [attention_call("softmax_attention", *qkv(s, N=10, D=4, M=2), causal=True) for s in (3, 4)],
            ref.softmax_attention, mistakes=SOFTMAX_MISTAKES),
    returns("stays finite and exact for logits near 1000", 0.75,
            [attention_call("softmax_attention", *qkv(5, N=8, D=4, M=3, scale=25.0)),
             attention_call("softmax_attention", *qkv(6, N=8, D=4, M=3, scale=25.0), causal=True)],
            ref.softmax_attention, mistakes=SOFTMAX_MISTAKES[1:],    # near 1000, 1/sqrt(D) changes little
            if_non_finite="exp overflows for large logits: subtract each row's maximum logit before exp; "
                    "the shift cancels between numerator and denominator."),
]


# ------------------------------------------------------------------------------------------------ eq. 2
def elu_cost_call(N: int, causal: bool) -> Call:
    return attention_call("kernel_attention", *qkv(7, N=N, D=8, M=4), ELU, causal=causal, measure_cost=True)


NORMALISER = Mistake("forgot-normaliser", wrong.kernel_attention_unnormalised,
                     "Each row is divided by phi(Q_i) sum_j phi(K_j)^T: eq. 2 has a denominator.")


def conventions(function: str, *, except_notes: Sequence[str] = ()) -> list[Mistake]:
    """The field's conventions that differ from the spec (reference/kernel_attention_mistakes.py, CONVENTIONS)."""
    return [Mistake(c.note, c.function, c.feedback) for c in wrong.CONVENTIONS
            if c.replaces == function and c.note and c.note not in except_notes]


CONVENTIONS = conventions("kernel_attention", except_notes=("assumes-positive-features", "precision-too-low"))
# Inputs chosen to separate: phi has entries of both signs, phi(Q_i) Z_i takes both signs and |phi(Q_i) Z_i| > 4
# on every row (causal or not), so a 1e-6 guard is noise while a clamp or a logarithm is not.
SIGNED_QKV = qkv(157, N=10, D=3, M=2)
SIGNED = signed_linear(1157, D=3, L=5)


def right_for_positive_maps_only(check: Check, signed: Sequence[int]) -> Check:
    """`check`, naming `assumes-positive-features` when the values are right on every call with a positive
    feature map and wrong (or not finite) only on the calls with a signed one."""
    calls = list(check.calls)
    positive = [i for i in range(len(calls)) if i not in signed]
    on_positive = matches_reference([calls[i] for i in positive], ref.kernel_attention)
    on_signed = matches_reference([calls[i] for i in signed], ref.kernel_attention)

    def judge(values, *support) -> Verdict:
        verdict = check.judge(values, *support)
        if verdict.status is Status.PASSED or verdict.note in {m.note for m in check.mistakes}:
            return verdict
        if on_positive([values[i] for i in positive]).status is Status.PASSED and \
                on_signed([values[i] for i in signed]).status is not Status.PASSED:
            return Verdict.failed(wrong.POSITIVE_ONLY, note="assumes-positive-features", **verdict.evidence)
        return verdict
    return dataclasses.replace(check, judge=judge)


kernel_attention_checks = [
    returns("matches eq. 2 with elu(x)+1 features", 1.5,
            [attention_call("kernel_attention", *qkv(s, N=12, D=4, M=3), ELU) for s in (31, 32)],
            ref.kernel_attention, mistakes=[NORMALISER, *CONVENTIONS]),
    right_for_positive_maps_only(returns(
        "matches eq. 2 when L differs from D (also for phi of both signs)", 1.0,
        [attention_call("kernel_attention", *qkv(33, N=10, D=3, M=2), exp_linear(34, D=3, L=5)),
         attention_call("kernel_attention", *SIGNED_QKV, SIGNED)],
        ref.kernel_attention, mistakes=[NORMALISER, *CONVENTIONS]), signed=[1]),
    grows_like("cost grows linearly in N", 1.5, lambda N: elu_cost_call(N, causal=False), exponent=1,
               what="your kernel attention", concept="Something of size N x N is built (the measure above says "
               "what grew). Eq. 2 needs only sum_j phi(K_j)^T V_j (L x M) and sum_j phi(K_j) (L), computed once "
               "and reused for every query: no N x N matrix, product or mask."),
]


# ------------------------------------------------------------------------------------------------ random-feature attention
RFA_CASES = [(qkv(41, N=12, D=4, M=3), frequencies(42, D=4, D_random=32), False),
             (qkv(43, N=10, D=4, M=2), frequencies(44, D=4, D_random=16), True)]
RFA_CALLS = [attention_call("random_feature_attention", Q, K, V, W, causal=c) for (Q, K, V), W, c in RFA_CASES]


def phi_tilde_table(Q: np.ndarray, K: np.ndarray, W: np.ndarray) -> Named:
    """phi~ of the rows of Q and K, computed here and looked up by the child: a feature map on which the
    student's own kernel_attention computes exactly what random-feature attention needs."""
    X = np.concatenate([Q, K])                                                  # (2N, D)
    F = ref.softmax_features(torch.from_numpy(W))(torch.from_numpy(X)).numpy()  # (2N, 2 D_random)
    return Named("feature_map", {"name": "table", "X": X, "F": F})


# Random-feature attention is usually built on the student's own random_features and kernel_attention: a
# deviation of either is charged on its own question, and this one is judged given their outputs.
ON_OWN_FEATURES = Given({"random_features": ref.random_features},
                        calls=lambda call: [Call("random_features", (X, call.args[3])) for X in call.args[:2]],
                        expected=ref.random_feature_attention_from_features)
ON_OWN_KERNEL_ATTENTION = Given(
    {"kernel_attention": ref.kernel_attention},
    calls=lambda call: [attention_call("kernel_attention", *call.args[:3], phi_tilde_table(*call.args[:2], call.args[3]),
                                       causal=call.kwargs["causal"])],
    expected=lambda Q, K, V, W, own, causal=False: own)
RFA_MISTAKES = [
    Mistake("sigma-squared-is-D", wrong.rfa_sigma_sq_is_D,
            "The factors use sigma^2 = D, which does not decompose exp(q k^T / sqrt(D)) (eq. 3)."),
    Mistake("missing-key-factor", wrong.rfa_without_key_factor,
            "The key factor of the decomposition is missing. The query factor cancels between numerator and "
            "denominator; the key factor does not, because it weighs each key differently."),
    Mistake("factor-missing-2", wrong.rfa_factor_missing_two,
            "The factors are exp(||x||^2 / sigma^2): expand ||q - k||^2 inside exp(-||q - k||^2 / (2 sigma^2)) "
            "again; the 2 is missing."),
    *conventions("random_feature_attention"),
]


# Two and a half decades of D_random, six draws of W at each: the slope's spread over 40 draws of the seeds
# was -0.67 .. -0.41 for the reference (D_random up to 4096 did no better, at four times a loop's cost).
D_RANDOMS = (8, 32, 128, 512)
CONVERGENCE_QKV = qkv(51, N=16, D=4, M=2)
CONVERGENCE_EXACT = ref.softmax_attention(*map(torch.from_numpy, CONVERGENCE_QKV)).numpy()
CONVERGENCE_CALLS = [attention_call("random_feature_attention", *CONVERGENCE_QKV, frequencies(52 + s, 4, d))
                     for d in D_RANDOMS for s in range(6)]


def judge_convergence(values) -> Verdict:
    """Mean |error| against exact softmax attention should shrink like D_random^(-1/2) (eq. 5's variance)."""
    exact = CONVERGENCE_EXACT
    for value in values:
        if (problem := compare_arrays(value, exact, Tolerance(np.inf, np.inf))).status is not Status.PASSED:
            return problem
    errors = np.array([np.mean(np.abs(np.asarray(v, dtype=np.float64) - exact)) for v in values]).reshape(len(D_RANDOMS), -1)
    error = errors.mean(axis=1)
    slope = float(np.polyfit(np.log(D_RANDOMS), np.log(np.maximum(error, 1e-300)), 1)[0])
    evidence = dict(d_random=list(D_RANDOMS), error=[float(e) for e in error], slope=slope)
    if -0.8 <= slope <= -0.3 and error[-1] < 0.2 * error[0]:
        return Verdict.passed(f"The error falls like D_random^{slope:.2f}.", **evidence)
    return Verdict.failed(f"Against exact softmax attention, the mean error goes {error[0]:.3g} -> {error[-1]:.3g} as "
                          f"D_random grows from {D_RANDOMS[0]} to {D_RANDOMS[-1]} (slope {slope:.2f} on log-log axes); "
                          "an unbiased estimate (eq. 5) shrinks like D_random^-0.5.", note="does-not-converge", **evidence)


rfa_checks = [
    returns("matches the random-feature approximation (eq. 4, sigma^2 as in the decomposition)", 4.0, RFA_CALLS,
            ref.random_feature_attention, mistakes=RFA_MISTAKES, given=[ON_OWN_FEATURES, ON_OWN_KERNEL_ATTENTION],
            concept="phi~(x) = exp(||x||^2 / (2 sigma^2)) phi_random(x) with sigma^2 = sqrt(D), in eq. 2 (eq. 6 when "
                    "causal)."),
    # Worth no points: a wrong approximation already fails above, and an inherited mistake must not cost twice.
    # It measures what the student's approximation achieves, for the report's plot.
    satisfies("approaches softmax attention as D_random grows", 0.0, CONVERGENCE_CALLS, judge_convergence),
]


# ------------------------------------------------------------------------------------------------ eq. 6
CAUSAL_N, CUT = 16, 7
_Q, _K, _V = qkv(61, N=CAUSAL_N, D=4, M=3)
_K2, _V2 = _K.copy(), _V.copy()
_K2[CUT + 1:], _V2[CUT + 1:] = qkv(62, N=CAUSAL_N - CUT - 1, D=4, M=3)[1:]
CAUSALITY_CALLS = [attention_call("kernel_attention", _Q, K, V, ELU, causal=True) for K, V in ((_K, _V), (_K2, _V2))]


def judge_causality(values) -> Verdict:
    """Row i may depend only on rows j <= i of K and V: changing rows > CUT must leave rows <= CUT as they were,
    and (so that a function ignoring K and V does not pass) change some later row."""
    first, second = (as_array(v) for v in values)
    if first is None or second is None or first.shape != second.shape or first.shape != (CAUSAL_N, 3):
        return Verdict.invalid(f"kernel_attention(..., causal=True) should return shape ({CAUSAL_N}, 3); got {describe(values[0])}.")
    past_first, past_second = first[:CUT + 1].astype(float), second[:CUT + 1].astype(float)
    same_nan = np.array_equal(np.isnan(past_first), np.isnan(past_second))
    finite = np.isfinite(past_first) & np.isfinite(past_second)
    noise = Tolerance().widened_for(first.dtype if first.dtype.kind == "f" else np.dtype(np.float64))
    moved = (np.abs(past_first - past_second) > noise.allowed(np.where(finite, past_first, 0.0)))[finite]
    if not same_nan or moved.any():
        changed = int(moved.sum()) + int((np.isnan(past_first) != np.isnan(past_second)).sum())
        return Verdict.failed(f"Changing only rows {CUT + 1}.. of K and V changed {changed} entries of output rows "
                              f"0..{CUT}. With causal=True, V'_i may use only S_i and Z_i, sums over j <= i (eq. 6).",
                              note="not-causal")
    if np.allclose(first[CUT + 1:], second[CUT + 1:], rtol=1e-9, atol=0, equal_nan=True):
        return Verdict.failed(f"Changing rows {CUT + 1}.. of K and V changed no output row at all: the output must "
                              "depend on the keys and values (eq. 6).", note="ignores-keys-and-values")
    return Verdict.passed()


causal_checks = [
    right_for_positive_maps_only(returns(
        "matches eq. 6 on random inputs", 2.0,
            [attention_call("kernel_attention", *qkv(63, N=12, D=4, M=3), ELU, causal=True),
             attention_call("kernel_attention", *qkv(64, N=9, D=3, M=2), exp_linear(65, D=3, L=5), causal=True),
             attention_call("kernel_attention", *SIGNED_QKV, SIGNED, causal=True)],
            ref.kernel_attention,
            mistakes=[Mistake("non-causal-normaliser", wrong.causal_with_full_normaliser,
                              "The numerator uses S_i but the denominator sums phi(K_j) over all j; eq. 6 divides by phi(Q_i) Z_i, Z_i = sum_{j<=i} phi(K_j)^T."),
                      Mistake("excludes-current-token", wrong.causal_excluding_current_token,
                              "The prefix sums stop at j < i; eq. 6 includes the current token, j <= i."),
                      NORMALISER, *CONVENTIONS]), signed=[2]),
    satisfies("row i ignores keys and values after i", 1.0, CAUSALITY_CALLS, judge_causality),
    grows_like("cost grows linearly in N", 2.0, lambda N: elu_cost_call(N, causal=True), exponent=1,
               what="your causal attention", concept="Keep running sums S_i and Z_i (eq. 6), each updated once per "
               "token (e.g. with cumsum): summing over all earlier tokens again for every row, or building an N x N "
               "matrix or mask, is quadratic."),
]


SUITE = build_suite("kernel_attention", {
    "gaussian_decomposition": decomposition_checks,
    "softmax_attention": softmax_checks,
    "random_features": random_features_checks,
    "kernel_attention": kernel_attention_checks,
    "random_feature_attention": rfa_checks,
    "attention_cost": attention_cost_checks,
    "causal_kernel_attention": causal_checks,
    "causal_cost": causal_cost_checks,
})
