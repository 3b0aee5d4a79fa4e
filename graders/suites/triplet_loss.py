"""Suite for homework problem 5, FaceNet and online triplet mining (spec: assignment `triplet_loss`).

Staff decisions are in `assignments/triplet_loss/README.md`. Gradients and coincident embeddings are graded
once, under `pairwise_distances`; the losses are graded on values, on batches in general position, and given
the student's own `pairwise_distances` (and `triplet_mask`) when those deviate (`graders.checks.Given`).
Distances are tested at batch sizes above 25, where torch.cdist switches to its matrix-product path.
Expected values come from `reference.triplet_loss`, computed here, never in the student's process.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from reference import triplet_loss as ref
from reference import triplet_loss_mistakes as wrong

from ..checks import Check, Given, Mistake, call_reference, describe_call, matches_reference, returns, satisfies
from ..compare import Tolerance, as_array, compare_arrays, describe
from ..model import Call, Status, Verdict
from ..suite import build_suite
from .triplet_loss_answers import ANSWER_CHECKS


# ------------------------------------------------------------------------------------------------ inputs
def embeddings(seed: int, B: int, d: int, *, unit: bool = True) -> np.ndarray:
    """E (B, d) float64: rows on the unit sphere (FaceNet) or standard normal."""
    E = np.random.default_rng(seed).standard_normal((B, d))
    return E / np.linalg.norm(E, axis=1, keepdims=True) if unit else E


def batch(seed: int, B: int = 12, d: int = 4, classes: int = 3, *, unit: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """labels (B,) int64 in [0, classes) and E (B, d), from one seed."""
    labels = np.random.default_rng(seed).integers(0, classes, B)
    return labels, embeddings(seed + 1000, B, d, unit=unit)


def with_copies(E: np.ndarray, copies: Mapping[int, int], *, jitter: float = 0.0, seed: int = 0) -> np.ndarray:
    """E with row i replaced by row j (plus jitter * noise) for each i: j in `copies`."""
    E = E.copy()
    noise = np.random.default_rng(seed).standard_normal(E.shape)
    for i, j in copies.items():
        E[i] = E[j] + jitter * noise[i]
    return E


def catalogued(question: str, known: Sequence[Mistake]) -> list[Mistake]:
    """The field's conventions for this question (reference/triplet_loss_mistakes.py, CONVENTIONS) not in `known`."""
    functions = {m.expected for m in known}
    return [Mistake(c.note, c.function, c.feedback) for c in wrong.CONVENTIONS
            if question in c.questions and c.note and c.function not in functions and c.note != "random-semi-hard-negative"]


def loss_call(function: str, labels, E, margin: float, squared: bool | None) -> Call:
    return Call(function, (np.asarray(labels, dtype=np.int64), E, margin), {} if squared is None else {"squared": squared})


def random_loss_calls(function: str, seeds: Sequence[int]) -> list[Call]:
    """Five batches in general position: B 9..20, d 2..8, 2..5 classes, unit and unnormalised rows, every
    margin, squared and not, and one call on the default `squared`."""
    shapes = [(12, 4, 3, True, 0.2, False), (16, 6, 4, True, 0.5, True), (10, 3, 2, False, 1.0, False),
              (20, 8, 5, False, 1.0, True), (9, 2, 3, True, 0.5, None)]
    return [loss_call(function, *batch(seed, B, d, classes, unit=unit), margin, squared)
            for seed, (B, d, classes, unit, margin, squared) in zip(seeds, shapes)]


# ------------------------------------------------------------------------------------------------ pairwise_distances
def distance_call(E: np.ndarray, squared: bool | None) -> Call:
    return Call("pairwise_distances", (E,), {} if squared is None else {"squared": squared})


# B = 32 and 48 are above 25 rows, where torch.cdist computes through a matrix product (diagonal ~1e-8, not 0).
GENERAL = [distance_call(embeddings(21, 8, 3, unit=False), False), distance_call(embeddings(22, 12, 5), True),
           distance_call(embeddings(23, 16, 4, unit=False), True), distance_call(embeddings(24, 24, 8), None),
           distance_call(embeddings(28, 32, 6), False), distance_call(3 * embeddings(29, 48, 5, unit=False), False)]
COPIES = {3: 1, 5: 1, 6: 0}                                                 # rows 3 and 5 equal row 1, row 6 row 0
EXACT = with_copies(embeddings(25, 8, 4, unit=False), COPIES)
_E10 = 3 * embeddings(26, 10, 4, unit=False)                              # norms about 6: rounding shows
NEAR = np.concatenate([_E10, with_copies(_E10, {i: i for i in range(10)}, jitter=1e-9, seed=27)])      # (20, 4)
COINCIDENT = [distance_call(E, squared) for E in (EXACT, NEAR) for squared in (False, True)]

DISTANCE_MISTAKES = [
    Mistake("forgot-sqrt", wrong.pairwise_distances_without_sqrt,
            "With squared=False the distances are Euclidean, ||E_a - E_b||; yours are squared (no square root)."),
    Mistake("ignores-squared", wrong.pairwise_distances_ignoring_squared,
            "With squared=True the result is ||E_a - E_b||^2; yours are Euclidean distances whatever `squared` is."),
]
DISTANCE_MISTAKES += catalogued("pairwise_distances", DISTANCE_MISTAKES)


def _without_diagonal(value: Any) -> Any:
    """Off-diagonal entries only (the diagonal has its own check), in the student's dtype."""
    D = as_array(value)
    if D is None or D.ndim != 2 or D.shape[0] != D.shape[1] or D.dtype.kind != "f":
        return value
    D = D.copy()
    np.fill_diagonal(D, 0.0)
    return D


_off_diagonal = matches_reference(GENERAL, ref.pairwise_distances, mistakes=DISTANCE_MISTAKES, what="D",
                                  concept="d(a, b) = ||E_a - E_b||, or its square when squared=True.")


def judge_off_diagonal(values: Sequence[Any]) -> Verdict:
    return _off_diagonal([_without_diagonal(v) for v in values])


def judge_diagonal(values: Sequence[Any]) -> Verdict:
    """d(a, a) = 0, up to the same noise every value check allows (staff decision: torch.cdist's ~1e-8 on its
    matrix-product path passes; sqrt(x + 1e-6) puts 1e-3 there and does not)."""
    for call, value in zip(GENERAL, values):
        D = as_array(value)
        if D is None or D.ndim != 2 or D.shape[0] != D.shape[1] or D.dtype.kind not in "iuf":
            return Verdict.invalid(f"On {describe_call(call)}: D should be a (B, B) array; got {describe(value)}.")
        diagonal = np.abs(np.diagonal(D).astype(np.float64))
        allowed = Tolerance().widened_for(D.dtype).allowed(np.abs(D.astype(np.float64)))[0, 0]
        if not (diagonal <= allowed).all():
            i = int(np.argmax(diagonal))
            return Verdict.failed(
                f"On {describe_call(call)}: D[{i}, {i}] = {D[i, i]:.3g}, and {int((diagonal > allowed).sum())} of "
                f"{len(diagonal)} diagonal entries are further from 0 than rounding explains ({allowed:.2g}). d(a, a) = 0: "
                "an epsilon added before the square root, sqrt(x + eps), puts sqrt(eps) there; add it only where the "
                "squared distance is 0 and set those entries back to 0.", note="nonzero-diagonal")
    return Verdict.passed()


NEGATIVE_RULE = ("Squared distances computed as ||a||^2 - 2 a.b + ||b||^2 lose their last digits to rounding and go "
                 "below 0 when two rows (nearly) coincide, and the square root of a negative number is NaN. Clamp "
                 "the squared distances at 0 before the square root (or compute them from the differences E_a - E_b).")


def _negative_rule(D: np.ndarray, call: Call) -> Verdict | None:
    """Negative or NaN distances off the diagonal: the symptom of an unclamped Gram-matrix form."""
    off = ~np.eye(len(D), dtype=bool)
    with np.errstate(invalid="ignore"):
        negative, nan = off & (D < 0), off & ~np.isfinite(D)
    if not negative.any() and not nan.any():
        return None
    found = []
    if negative.any():
        i, j = np.unravel_index(np.argmin(np.where(negative, D, 0)), D.shape)
        found.append(f"{int(negative.sum())} negative entries (the lowest D[{i}, {j}] = {D[i, j]:.3g})")
    if nan.any():
        i, j = np.argwhere(nan)[0]
        found.append(f"{int(nan.sum())} non-finite entries (the first D[{i}, {j}] = {D[i, j]})")
    return Verdict.failed(f"On {describe_call(call)}: D has {' and '.join(found)}. {NEGATIVE_RULE}",
                          note="negative-squared-distance")


COINCIDENT_EXPECTED = [call_reference(ref.pairwise_distances, call) for call in COINCIDENT]


def judge_coincident(values: Sequence[Any]) -> Verdict:
    """Off the diagonal: non-negative and finite, and right (to the noise rule) at the pairs of rows that
    (nearly) coincide. Other entries are the values check's business."""
    for call, value, expected in zip(COINCIDENT, values, COINCIDENT_EXPECTED):
        D = as_array(value)
        if D is None or D.shape != expected.shape or D.dtype.kind not in "iuf":
            return Verdict.invalid(f"On {describe_call(call)}: D should have shape {expected.shape}; got {describe(value)}.")
        if (verdict := _negative_rule(D.astype(np.float64), call)) is not None:
            return verdict
        close = (expected < 1e-6) & ~np.eye(len(D), dtype=bool)             # the (nearly) coincident pairs
        # d(a, b) for equal rows may be off by as much as the student's own d(a, a): that is charged on the diagonal
        allowed = Tolerance().widened_for(D.dtype).allowed(expected) + np.abs(np.diagonal(D)).max()
        off = np.abs(D.astype(np.float64) - expected) > allowed
        if (off & close).any():
            i, j = np.argwhere(off & close)[0]
            return Verdict.failed(f"On {describe_call(call)}: D[{i}, {j}] = {D[i, j]:.3g}, though rows {i} and {j} are "
                                  "(nearly) equal: rounding in ||a||^2 - 2 a.b + ||b||^2 is amplified by the square "
                                  "root near 0.", note="coincident-rows-differ")
    return Verdict.passed()


def gradient_call(E: np.ndarray, squared: bool, seed: int) -> Call:
    C = np.random.default_rng(seed).standard_normal((len(E), len(E)))       # (B, B) cotangent, not symmetric
    return Call("pairwise_distances", (E,), {"squared": squared}, grad_wrt=0, cotangent=C)


GRADIENT = [gradient_call(embeddings(31, 7, 3, unit=False), False, 32), gradient_call(embeddings(33, 6, 4), True, 34),
            gradient_call(EXACT, False, 35), gradient_call(EXACT, True, 36)]
# (D, dE) of the reference, then of each known value mistake: a D that is wrong in a known way is charged on the
# values check; its gradient is compared with the gradient of that same wrong function.
GRADIENT_EXPECTED = [[call_reference(f, c) for f in [ref.pairwise_distances] + [m.expected for m in DISTANCE_MISTAKES]]
                     for c in GRADIENT]


def _coincident_rows(E: np.ndarray) -> np.ndarray:
    equal = (E[:, None, :] == E[None, :, :]).all(-1) & ~np.eye(len(E), dtype=bool)
    return equal.any(1)                                                      # (B,)


def judge_gradients(values: Sequence[Any]) -> Verdict:
    """Finite everywhere; equal to autograd (through the reference, or through the known wrong function whose
    values the student's D has) on every row that coincides with no other row. At coincident rows any finite
    subgradient is fine. A D that matches no known function is judged on the values checks only."""
    for call, value, candidates in zip(GRADIENT, values, GRADIENT_EXPECTED):
        where = f"On {describe_call(call)} (gradient of sum(C * D) for a fixed random C)"
        D, grad = (as_array(v) for v in value) if isinstance(value, (tuple, list)) and len(value) == 2 else (None, None)
        if D is None or grad is None or grad.shape != candidates[0][1].shape or grad.dtype.kind != "f":
            return Verdict.invalid(f"{where}: the gradient with respect to E should have E's shape "
                                   f"{candidates[0][1].shape}.")
        known = next((g for d, g in candidates if compare_arrays(_without_diagonal(D), d).status is Status.PASSED), None)
        if not np.isfinite(grad).all():
            if D.shape == candidates[0][0].shape and (verdict := _negative_rule(D.astype(np.float64), call)) is not None:
                return verdict
            rows = sorted({int(i) for i in np.argwhere(~np.isfinite(grad))[:, 0]})
            rows_text = f"all {len(grad)} rows" if len(rows) == len(grad) else f"rows {rows[:6]}"
            if known is candidates[0][1]:
                return Verdict.failed(
                    f"{where}: your distances are right, but their gradient is NaN or infinite in {rows_text} of E. "
                    "The square root has an infinite derivative at 0, and d(a, a) (and d(a, b) for equal rows) is exactly "
                    "0, so autograd computes 0 * inf = NaN. Take the square root only where the squared distance is "
                    "positive (e.g. torch.where on a safe copy) and put the zeros back.", note="nan-gradient-sqrt-at-zero")
            return Verdict.failed(f"{where}: the gradient is NaN or infinite in {rows_text} of E.", note="non-finite-gradient")
        if known is None:
            continue
        exact = ~_coincident_rows(np.asarray(call.args[0]))
        verdict = compare_arrays(grad[exact], known[exact], what="the gradient (rows without a copy)")
        if verdict.status is not Status.PASSED:
            return Verdict.failed(f"{where}: {verdict.feedback} Away from coincident rows, d ||E_a - E_b|| / d E_a = "
                                  "(E_a - E_b) / ||E_a - E_b||.", note="gradient-differs")
    return Verdict.passed()


distance_checks = [
    satisfies("matches ||E_a - E_b|| (squared and not) off the diagonal", 1.0, GENERAL, judge_off_diagonal),
    satisfies("is 0 on the diagonal", 0.5, GENERAL, judge_diagonal),
    satisfies("stays non-negative and right where rows (nearly) coincide", 0.5, COINCIDENT, judge_coincident,
              visibility="hidden"),
    satisfies("has finite gradients that match autograd (also with equal rows)", 1.0, GRADIENT, judge_gradients),
]


# ------------------------------------------------------------------------------------------------ triplet_mask
def mask_call(labels: Sequence[int]) -> Call:
    return Call("triplet_mask", (np.asarray(labels, dtype=np.int64),))


def with_dtype_note(check: Check) -> Check:
    """A 0/1 mask of another dtype keeps its points (README), with a line of feedback."""
    def judge(values):
        verdict = check.judge(values)
        dtypes = {str(a.dtype) for a in map(as_array, values) if a is not None and a.dtype != bool}
        if verdict.status is Status.PASSED and dtypes:
            return Verdict.passed(f"Your mask has dtype {', '.join(sorted(dtypes))}; a bool mask is asked for (it was "
                                  "compared as bool here).", note="mask-not-bool")
        return verdict
    return dataclasses.replace(check, judge=judge)


MASK_RULE = "[a, p, n] is valid iff a, p, n are distinct, labels[a] == labels[p] and labels[a] != labels[n]."
MASK_MISTAKES = [
    Mistake("anchor-equals-positive", wrong.triplet_mask_allowing_anchor_as_positive,
            "Your mask is True at [a, a, n]: the anchor is also used as its own positive. Add a != p."),
    Mistake("mask-indexed-a-n-p", wrong.triplet_mask_indexed_a_n_p,
            "Your mask holds the valid triplets at [a, n, p]; the order of the indices is [a, p, n]."),
]

mask_checks = [
    with_dtype_note(returns(
        "marks exactly the valid triplets", 1.25,
        [mask_call(np.random.default_rng(41).integers(0, 3, 8)), mask_call(np.random.default_rng(42).integers(0, 4, 11)),
         mask_call([5, -1, 5, 7, -1, 5, 7])],
        ref.triplet_mask, what="the mask", concept=MASK_RULE, mistakes=MASK_MISTAKES)),
    with_dtype_note(returns(
        "has no valid triplet where none exists; handles singletons", 0.75,
        [mask_call([0, 1, 2, 3, 4]), mask_call([2, 2, 2, 2]), mask_call([0, 0, 1, 2, 3]), mask_call([1, 1])],
        ref.triplet_mask, what="the mask", concept=MASK_RULE, mistakes=MASK_MISTAKES, visibility="hidden")),
]


# ------------------------------------------------------------------------------------------------ the losses
def on_own_helpers(loss_from_distances: Callable, *, default_squared: bool, mask: bool = False) -> Given:
    """A loss given the student's own pairwise_distances (and triplet_mask) on the same batch."""
    helpers = {"pairwise_distances": ref.pairwise_distances, **({"triplet_mask": ref.triplet_mask} if mask else {})}

    def calls(call: Call) -> list[Call]:
        labels, E, _ = call.args
        own = [Call("pairwise_distances", (E,), {"squared": call.kwargs.get("squared", default_squared)})]
        return own + ([Call("triplet_mask", (labels,))] if mask else [])

    def expected(labels, E, margin, *own, squared=None):
        return loss_from_distances(labels, *own, margin)
    return Given(helpers, calls, expected)


def edge_loss_calls(function: str) -> list[Call]:
    """Batches with nothing (or little) to average: singletons, one class, every triplet satisfied."""
    E6, E5 = embeddings(51, 6, 4), embeddings(52, 5, 3)
    clusters = np.array([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [5.0, 5.0], [5.1, 5.0], [5.0, 5.1]])
    return [loss_call(function, np.arange(6), E6, 0.5, False),                  # 6 singletons: no valid triplet
            loss_call(function, np.full(6, 2), E6, 1.0, True),                  # one class: no negative at all
            loss_call(function, np.array([0, 0, 0, 1, 1, 1]), clusters, 0.2, False),   # every margin satisfied
            loss_call(function, np.array([0, 0, 1, 2, 3]), E5, 0.5, False)]     # three singletons


# ------------------------------------------------------------------------------------------------ batch_all
BATCH_ALL = random_loss_calls("batch_all_triplet_loss", seeds=(61, 62, 63, 64, 65))
ON_OWN_BATCH_ALL = on_own_helpers(ref.batch_all_from_distances, default_squared=False, mask=True)
BATCH_ALL_MISTAKES = [
    Mistake("averaged-over-all-valid", wrong.batch_all_mean_over_valid,
            "Your loss is the mean over all valid triplets; batch-all divides by the number of triplets whose loss "
            "is > 0 (the easy triplets, with loss 0, would dilute it)."),
    Mistake("summed-not-averaged", wrong.batch_all_summed,
            "Your loss is the sum of eq. 3 over the triplets; batch-all takes the mean over those with loss > 0."),
    Mistake("fraction-over-all-index-triplets", wrong.batch_all_fraction_over_all_index_triplets,
            "Your fraction_positive divides by all B^3 index triplets; divide by the number of valid triplets (the "
            "True entries of the mask)."),
]

batch_all_checks = [
    returns("loss: mean of eq. 3 over the triplets with positive loss", 2.0, BATCH_ALL, ref.batch_all_triplet_loss,
            part=0, what="the loss", mistakes=BATCH_ALL_MISTAKES[:2], given=[ON_OWN_BATCH_ALL],
            concept="The loss is the mean of [d(a, p) - d(a, n) + margin]_+ over the valid triplets whose loss is > 0."),
    returns("fraction_positive: share of valid triplets with positive loss", 1.0, BATCH_ALL, ref.batch_all_triplet_loss,
            part=1, what="fraction_positive", mistakes=BATCH_ALL_MISTAKES[2:], given=[ON_OWN_BATCH_ALL],
            concept="fraction_positive = (valid triplets with loss > 0) / (valid triplets)."),
    returns("handles singletons; (0, 0) without valid triplets or positive losses", 1.0,
            edge_loss_calls("batch_all_triplet_loss"), ref.batch_all_triplet_loss, what="(loss, fraction_positive)",
            mistakes=BATCH_ALL_MISTAKES, given=[ON_OWN_BATCH_ALL], visibility="hidden",
            concept="With no valid triplet, or none with loss > 0, the loss is 0 (and so is fraction_positive without "
                    "valid triplets): guard each division against 0 / 0."),
]


# ------------------------------------------------------------------------------------------------ batch_hard
# Inputs chosen to separate: besides batches where every anchor (or none) violates the margin, a tight class far
# from two overlapping ones, plus a singleton: 4 anchors with loss 0, 8 with a positive loss, 1 left out.
_MIXED = np.concatenate([6.0 + 0.05 * np.random.default_rng(76).standard_normal((4, 3)),
                         np.random.default_rng(77).standard_normal((9, 3))])
BATCH_HARD = random_loss_calls("batch_hard_triplet_loss", seeds=(71, 72, 73, 74, 75)) + [
    loss_call("batch_hard_triplet_loss", np.array([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3]), _MIXED, 0.5, squared)
    for squared in (False, True)]
ON_OWN_BATCH_HARD = on_own_helpers(ref.batch_hard_from_distances, default_squared=False)
BATCH_HARD_MISTAKES = [
    Mistake("hardest-negative-is-farthest", wrong.batch_hard_farthest_negative,
            "Your hardest negative is the farthest one (max); the hardest negative is the closest, min_n d(a, n)."),
    Mistake("masked-zeros-as-min-negative", wrong.batch_hard_masked_zeros,
            "Your min_n d(a, n) is always 0: multiplying D by the negative mask leaves zeros at the positives and at "
            "d(a, a), and the min picks them. Put +inf (or a large value) there instead."),
    Mistake("hardest-positive-is-closest", wrong.batch_hard_closest_positive,
            "Your hardest positive is the closest one (min); the hardest positive is the farthest, max_p d(a, p)."),
    Mistake("averaged-over-all-anchors", wrong.batch_hard_mean_over_all_anchors,
            "Your mean runs over all B anchors; anchors without a positive or without a negative are left out of "
            "the mean (and the loss is 0 when no anchor is left)."),
]
BATCH_HARD_MISTAKES += catalogued("batch_hard", BATCH_HARD_MISTAKES)

batch_hard_checks = [
    returns("matches the hardest positive and hardest negative per anchor", 2.5, BATCH_HARD, ref.batch_hard_triplet_loss,
            what="the loss", mistakes=BATCH_HARD_MISTAKES, given=[ON_OWN_BATCH_HARD],
            concept="Per anchor: [max_p d(a, p) - min_n d(a, n) + margin]_+, averaged over the anchors with a positive "
                    "and a negative."),
    returns("leaves out anchors without a positive or a negative; 0 when none is left", 1.5,
            edge_loss_calls("batch_hard_triplet_loss"), ref.batch_hard_triplet_loss, what="the loss",
            mistakes=BATCH_HARD_MISTAKES, given=[ON_OWN_BATCH_HARD], visibility="hidden",
            concept="Anchors without a positive (singletons) or without a negative are left out of the mean, not counted "
                    "as 0; with no anchor left the loss is 0."),
]


# ------------------------------------------------------------------------------------------------ semi_hard
SEMI_HARD = random_loss_calls("semi_hard_triplet_loss", seeds=(81, 82, 83, 84, 86))
ON_OWN_SEMI_HARD = on_own_helpers(ref.semi_hard_from_distances, default_squared=True)
# points 0 and 3 (class 0), 1 and 2 (class 1) on a line, where some d(a, n) equal d(a, p)
LINE = loss_call("semi_hard_triplet_loss", np.array([0, 0, 1, 1]), np.array([[0.0], [3.0], [1.0], [2.0]]), 0.5, False)
SEMI_HARD_MISTAKES = [
    Mistake("no-farthest-negative-fallback", wrong.semi_hard_without_fallback,
            "When no negative is farther than the positive, the pair uses the farthest negative of the anchor; yours "
            "adds 0 for such pairs."),
    Mistake("negative-beyond-margin", wrong.semi_hard_beyond_margin,
            "Your negatives satisfy d(a, n) >= d(a, p) + margin: those are the easy ones, with loss 0. Semi-hard "
            "negatives (eq. 4) are farther than the positive, d(a, n) > d(a, p), but still inside the margin."),
    Mistake("hardest-negative-not-semi-hard", wrong.semi_hard_closest_negative,
            "Your negative is the closest one of the anchor whatever d(a, p): that is the hardest negative. The "
            "semi-hard one (eq. 4) is the closest among those with d(a, n) > d(a, p)."),
    Mistake("semi-hard-default-not-squared", wrong.semi_hard_default_not_squared,
            "Right, except that your default is squared=False: semi_hard_triplet_loss uses squared distances by "
            "default (FaceNet's eq. 3 and 4)."),
    Mistake("semi-hard-not-strict", wrong.semi_hard_not_strict,
            "Your semi-hard test is d(a, n) >= d(a, p); eq. 4 is strict, d(a, n) > d(a, p)."),
]
SEMI_HARD_MISTAKES += catalogued("semi_hard", SEMI_HARD_MISTAKES)
RANDOM_SEMI_HARD = next(c for c in wrong.CONVENTIONS if c.note == "random-semi-hard-negative")


def naming_random_semi_hard(check: Check) -> Check:
    """`check`, naming `random-semi-hard-negative` when every loss lies between the one of the farthest and the
    one of the closest semi-hard negative inside the margin: what a random semi-hard choice gives."""
    low = [float(call_reference(wrong.semi_hard_farthest_in_margin, c)) for c in check.calls]
    high = [float(call_reference(ref.semi_hard_triplet_loss, c)) for c in check.calls]

    def judge(values, *support) -> Verdict:
        verdict = check.judge(values, *support)
        got = [as_array(v) for v in values]
        if verdict.status is not Status.FAILED or verdict.note or any(g is None or g.size != 1 for g in got):
            return verdict
        slack = [float(Tolerance().allowed(np.asarray(h))) for h in high]
        if all(lo - e <= float(g.reshape(())) <= hi + e for g, lo, hi, e in zip(got, low, high, slack)):
            return Verdict.failed(RANDOM_SEMI_HARD.feedback, note=RANDOM_SEMI_HARD.note, **verdict.evidence)
        return verdict
    return dataclasses.replace(check, judge=judge)


semi_hard_checks = [
    naming_random_semi_hard(returns(
        "matches the semi-hard choice with the farthest-negative fallback", 2.5, SEMI_HARD,
        ref.semi_hard_triplet_loss, what="the loss", mistakes=SEMI_HARD_MISTAKES, given=[ON_OWN_SEMI_HARD],
        concept="Per positive pair (a, p): the closest negative with d(a, n) > d(a, p), else the farthest negative "
                "of a; the mean of [d(a, p) - d(a, n) + margin]_+ over the pairs whose anchor has a negative.")),
    returns("handles singletons; 0 without negatives", 1.0, edge_loss_calls("semi_hard_triplet_loss"),
            ref.semi_hard_triplet_loss, what="the loss", mistakes=SEMI_HARD_MISTAKES, given=[ON_OWN_SEMI_HARD],
            visibility="hidden", concept="Pairs whose anchor has no negative are left out; with no pair left the loss is 0."),
    returns("a negative exactly as far as the positive is not semi-hard", 0.5, [LINE], ref.semi_hard_triplet_loss,
            what="the loss", mistakes=SEMI_HARD_MISTAKES, given=[ON_OWN_SEMI_HARD], visibility="hidden",
            concept="Eq. 4 is strict: a semi-hard negative has d(a, n) > d(a, p); one at exactly d(a, p) is not "
                    "semi-hard (but may still be the farthest negative of the fallback)."),
]


SUITE = build_suite("triplet_loss", {
    "pairwise_distances": distance_checks,
    "triplet_mask": mask_checks,
    "batch_all": batch_all_checks,
    "batch_hard": batch_hard_checks,
    "semi_hard": semi_hard_checks,
    **ANSWER_CHECKS,
})
