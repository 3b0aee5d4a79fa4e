"""Suite for homework problem 5, FaceNet and online triplet mining (spec: assignment `triplet_loss`).

Staff decisions are in `assignments/triplet_loss/README.md`. Gradients and coincident embeddings are graded
once, under `pairwise_distances`; the losses are graded on values, on batches in general position, and given
the student's own `pairwise_distances` (and `triplet_mask`) when those deviate (`graders.checks.Given`).
Distances are tested at batch sizes above 25, where torch.cdist switches to its matrix-product path.
Expected values come from `reference.triplet_loss`, computed here, never in the student's process.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

import numpy as np

from reference import triplet_loss as ref
from reference import triplet_loss_mistakes as wrong

from ..checks import Check, Given, Mistake, call_reference, returns
from ..compare import Tolerance, as_array
from ..model import Call, Status, Verdict
from ..suite import build_suite
from .triplet_loss_answers import ANSWER_CHECKS
from .triplet_loss_distances import batch, catalogued, distance_checks, embeddings


# ------------------------------------------------------------------------------------------------ inputs
def loss_call(function: str, labels, E, margin: float, squared: bool | None) -> Call:
    return Call(function, (np.asarray(labels, dtype=np.int64), E, margin), {} if squared is None else {"squared": squared})


def random_loss_calls(function: str, seeds: Sequence[int]) -> list[Call]:
    """Five batches in general position: B 9..20, d 2..8, 2..5 classes, unit and unnormalised rows, every
    margin, squared and not, and one call on the default `squared`."""
    shapes = [(12, 4, 3, True, 0.2, False), (16, 6, 4, True, 0.5, True), (10, 3, 2, False, 1.0, False),
              (20, 8, 5, False, 1.0, True), (9, 2, 3, True, 0.5, None)]
    return [loss_call(function, *batch(seed, B, d, classes, unit=unit), margin, squared)
            for seed, (B, d, classes, unit, margin, squared) in zip(seeds, shapes)]


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
MARGIN_IN_THE_HINGE = ("The margin goes inside the hinge: [d(a, p) - d(a, n) + margin]_+; adding it after the "
                       "max(0, .) charges every {unit} the margin, even when the triplet is already satisfied.")
ALWAYS_SQUARED = ("Your loss uses squared distances whatever `squared` says; with squared=False, d is the Euclidean "
                  "distance ||E_a - E_b||: pass `squared` on to pairwise_distances.")
ALWAYS_EUCLIDEAN = ("Your loss uses Euclidean distances whatever `squared` says; with squared=True, d is the squared "
                    "distance ||E_a - E_b||^2: pass `squared` on to pairwise_distances.")


def loss_slips(margin_outside_hinge: Callable, always_squared: Callable, always_euclidean: Callable,
               unit: str) -> list[Mistake]:
    """The slips any of the three losses can make: the margin after the hinge, `squared` ignored either way."""
    return [Mistake("margin-outside-hinge", margin_outside_hinge, MARGIN_IN_THE_HINGE.format(unit=unit)),
            Mistake("ignores-squared", always_squared, ALWAYS_SQUARED),
            Mistake("ignores-squared", always_euclidean, ALWAYS_EUCLIDEAN)]


BATCH_ALL_SLIPS = loss_slips(wrong.batch_all_margin_outside_hinge, wrong.batch_all_always_squared,
                             wrong.batch_all_always_euclidean, "valid triplet")
BATCH_ALL_LOSS_MISTAKES = [
    Mistake("averaged-over-all-valid", wrong.batch_all_mean_over_valid,
            "Your loss is the mean over all valid triplets; batch-all divides by the number of triplets whose loss "
            "is > 0 (the easy triplets, with loss 0, would dilute it)."),
    Mistake("summed-not-averaged", wrong.batch_all_summed,
            "Your loss is the sum of eq. 3 over the triplets; batch-all takes the mean over those with loss > 0."),
]
BATCH_ALL_FRACTION_MISTAKES = [
    Mistake("fraction-over-all-index-triplets", wrong.batch_all_fraction_over_all_index_triplets,
            "Your fraction_positive divides by all B^3 index triplets; divide by the number of valid triplets (the "
            "True entries of the mask)."),
]
BATCH_ALL_MISTAKES = BATCH_ALL_LOSS_MISTAKES + BATCH_ALL_FRACTION_MISTAKES + BATCH_ALL_SLIPS

batch_all_checks = [
    returns("loss: mean of eq. 3 over the triplets with positive loss", 2.0, BATCH_ALL, ref.batch_all_triplet_loss,
            part=0, what="the loss", mistakes=BATCH_ALL_LOSS_MISTAKES + BATCH_ALL_SLIPS, given=[ON_OWN_BATCH_ALL],
            concept="The loss is the mean of [d(a, p) - d(a, n) + margin]_+ over the valid triplets whose loss is > 0."),
    returns("fraction_positive: share of valid triplets with positive loss", 1.0, BATCH_ALL, ref.batch_all_triplet_loss,
            part=1, what="fraction_positive", mistakes=BATCH_ALL_FRACTION_MISTAKES + BATCH_ALL_SLIPS,
            given=[ON_OWN_BATCH_ALL], concept="fraction_positive = (valid triplets with loss > 0) / (valid triplets)."),
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
    *loss_slips(wrong.batch_hard_margin_outside_hinge, wrong.batch_hard_always_squared,
                wrong.batch_hard_always_euclidean, "anchor"),
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
# the same line and a class-2 point at 6: a pair whose semi-hard negative lies beyond the margin (loss 0) and
# fallback pairs inside it, so a margin added after the hinge (1.0 on LINE) is told from a non-strict test
LINE_AND_FAR = loss_call("semi_hard_triplet_loss", np.array([0, 0, 1, 1, 2]),
                         np.array([[0.0], [3.0], [1.0], [2.0], [6.0]]), 0.5, False)
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
    *loss_slips(wrong.semi_hard_margin_outside_hinge, wrong.semi_hard_always_squared,
                wrong.semi_hard_always_euclidean, "positive pair"),
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
    returns("a negative exactly as far as the positive is not semi-hard", 0.5, [LINE, LINE_AND_FAR],
            ref.semi_hard_triplet_loss,
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
