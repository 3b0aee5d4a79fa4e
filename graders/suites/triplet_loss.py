"""Suite for homework problem 5, FaceNet and online triplet mining (spec: assignment `triplet_loss`).

Staff decisions are in `assignments/triplet_loss/README.md`. Gradients and coincident embeddings are graded
once, under `pairwise_distances`; the losses are graded on values, on batches in general position. A loss
that is wrong only because the student's own `pairwise_distances` (or `triplet_mask`) is wrong keeps its
points: that mistake is charged on its own question. Scalars may come back as Python numbers, 0-d or
1-element arrays. Expected values come from `reference.triplet_loss`, computed here, never in the student's
process; hidden checks (the edge-case batches) describe the batch, never the expected value.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from reference import triplet_loss as ref
from reference import triplet_loss_mistakes as wrong

from ..checks import Check, Mistake, call_reference, describe_call, satisfies
from ..compare import Tolerance, as_array, compare_arrays, describe
from ..model import Call, Status, Verdict
from ..suite import build_suite
from .triplet_loss_answers import ANSWER_CHECKS

TOLERANCE = Tolerance(rtol=1e-7, atol=1e-9)          # losses, fractions, distances in general position
NEAR_TOLERANCE = Tolerance(rtol=1e-7, atol=1e-6)     # distances of (nearly) coincident rows
GRADIENT_TOLERANCE = Tolerance(rtol=1e-6, atol=1e-8)


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


@dataclass(frozen=True)
class Case:
    """One call and the batch in words, for feedback that must not show values (hidden checks)."""
    call: Call
    words: str


def loss_case(function: str, labels, E, margin: float, squared: bool | None, words: str = "") -> Case:
    kwargs = {} if squared is None else {"squared": squared}
    words = words or f"a batch of {len(labels)} with {len(set(labels.tolist()))} classes"
    return Case(Call(function, (np.asarray(labels, dtype=np.int64), E, margin), kwargs), words)


def random_loss_cases(function: str, seeds: Sequence[int]) -> list[Case]:
    """Five batches in general position: B 9..20, d 2..8, 2..5 classes, unit and unnormalised rows, every
    margin, squared and not, and one call on the default `squared`."""
    shapes = [(12, 4, 3, True, 0.2, False), (16, 6, 4, True, 0.5, True), (10, 3, 2, False, 1.0, False),
              (20, 8, 5, False, 1.0, True), (9, 2, 3, True, 0.5, None)]
    return [loss_case(function, *batch(seed, B, d, classes, unit=unit), margin, squared)
            for seed, (B, d, classes, unit, margin, squared) in zip(seeds, shapes)]


# ------------------------------------------------------------------------------------------------ reading values
def read_scalar(value: Any, what: str = "the loss") -> np.ndarray | Verdict:
    """A Python number, or a 0-d / 1-element array, as a 0-d float64 array."""
    array = as_array(value)
    if array is None or array.size != 1 or array.dtype.kind not in "iuf":
        return Verdict.invalid(f"{what} should be one number (a Python float or a 0-d tensor); got {describe(value)}.")
    return array.reshape(()).astype(np.float64)


def read_pair(value: Any) -> tuple | Verdict:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        return Verdict.invalid(f"batch_all_triplet_loss should return a pair (loss, fraction_positive); got {describe(value)}.")
    pair = (read_scalar(value[0]), read_scalar(value[1], "fraction_positive"))
    return next((p for p in pair if isinstance(p, Verdict)), pair)


def read_array(value: Any, what: str = "the result") -> np.ndarray | Verdict:
    array = as_array(value)
    if array is None:
        return Verdict.invalid(f"{what} should be a tensor or an array; got {describe(value)}.")
    return array


def read_mask(value: Any) -> np.ndarray | Verdict:
    """A bool mask; a mask of 0s and 1s in another dtype reads as bool (the README allows it)."""
    array = read_array(value, "the mask")
    if isinstance(array, Verdict) or array.dtype == bool:
        return array
    if array.dtype.kind not in "iuf" or not np.isin(array, (0, 1)).all():
        return Verdict.invalid(f"triplet_mask should return a bool mask; got {describe(value)} with values other than 0 and 1.")
    return array.astype(bool)


def same(got: Any, expected: Any, tolerance: Tolerance, what: str) -> Verdict:
    if isinstance(expected, tuple):
        for g, e, name in zip(got, expected, ("the loss", "fraction_positive")):
            if (verdict := compare_arrays(g, e, tolerance, what=name)).status is not Status.PASSED:
                return verdict
        return Verdict.passed()
    return compare_arrays(got, expected, tolerance, what=what)


def _shown(value: Any) -> str:
    if isinstance(value, tuple):
        return f"(loss {float(value[0]):.6g}, fraction_positive {float(value[1]):.6g})"
    return f"{float(value):.6g}" if np.ndim(value) == 0 else describe(value)


def _failure(case: Case, verdict: Verdict, got: Any, failing: int, cases: int, rule: str, hidden: bool) -> Verdict:
    """Evidence first, then the concept. A hidden check shows the student's value, never the expected one."""
    where = f"On {case.words}, {describe_call(case.call)}"
    often = f" ({failing} of {cases} batches differ)" if cases > 1 else ""
    if verdict.status is Status.INVALID or not hidden or verdict.note == "non-finite":
        text = f"{where}{often}: {verdict.feedback}"
    elif np.ndim(got) == 0 or isinstance(got, tuple):
        text = f"{where}{often}: your result is {_shown(got)}, which is not right."
    else:
        text = f"{where}{often}: {verdict.evidence.get('mismatches', 'some')} of {np.size(got)} entries are not right " \
               f"(the first at index {tuple(verdict.evidence.get('index', ()))})."
    status = Status.INVALID if verdict.status is Status.INVALID else Status.FAILED
    return Verdict(status, 0.0, f"{text} {rule}".strip(), verdict.note, {"call": describe_call(case.call)})


# ------------------------------------------------------------------------------------------------ check builder
Own = Callable[[Sequence[Any], Sequence[Any]], Verdict | None]


def agrees(name: str, points: float, cases: Sequence[Case], reference: Callable, *, read: Callable, rule: str,
           what: str = "the result", tolerance: Tolerance = TOLERANCE, mistakes: Sequence[Mistake] = (),
           visibility: str = "visible", own: tuple[tuple[Call, ...], Own] | None = None) -> Check:
    """The student's function agrees with `reference` on every case, after `read` (scalars of any form).
    A known mistake that matches on every case is named; `own` can excuse a value that is right given the
    student's own helper functions (see `own_parts`)."""
    cases = tuple(cases)
    expected = [read(call_reference(reference, c.call)) for c in cases]
    wrongs = [(m, [read(call_reference(m.expected, c.call)) for c in cases]) for m in mistakes]
    hidden = visibility == "hidden"

    def judge(values: Sequence[Any], support: Sequence[Any] | None = None) -> Verdict:
        got = [read(v) for v in values]
        if (bad := next((g for g in got if isinstance(g, Verdict)), None)) is not None:
            return bad
        verdicts = [same(g, e, tolerance, what) for g, e in zip(got, expected)]
        failing = [i for i, v in enumerate(verdicts) if v.status is not Status.PASSED]
        if not failing:
            return Verdict.passed()
        first = failing[0]
        if verdicts[first].status is Status.INVALID:
            return _failure(cases[first], verdicts[first], got[first], len(failing), len(cases), "", hidden)
        if own is not None and support is not None and (excused := own[1](got, support)) is not None:
            return excused
        for mistake, outputs in wrongs:
            if all(same(g, o, tolerance, what).status is Status.PASSED for g, o in zip(got, outputs)):
                return Verdict.failed(mistake.feedback, mistake.note, mistake.fraction, call=describe_call(cases[first].call))
        return _failure(cases[first], verdicts[first], got[first], len(failing), len(cases), rule, hidden)

    return satisfies(name, points, [c.call for c in cases], judge, visibility=visibility,
                     support_calls=own[0] if own else ())


# ------------------------------------------------------------------------------------------------ losses from given distances
def _pairs(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    same_label = labels[:, None] == labels[None, :]
    return same_label & ~np.eye(len(labels), dtype=bool), ~same_label         # anchor-positive, anchor-negative


def batch_all_given(labels, D, valid, margin) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore"):
        L = np.where(valid, np.maximum(D[:, :, None] - D[:, None, :] + margin, 0.0), 0.0)   # (B, B, B)
    positive, count = np.count_nonzero(L > 0), np.count_nonzero(valid)
    return np.asarray(L.sum() / max(positive, 1)), np.asarray(positive / max(count, 1))


def batch_hard_given(labels, D, valid, margin) -> np.ndarray:
    positive, negative = _pairs(labels)
    anchors = positive.any(1) & negative.any(1)                                # (B,)
    if not anchors.any():
        return np.asarray(0.0)
    hardest = np.where(positive, D, -np.inf).max(1) - np.where(negative, D, np.inf).min(1)   # (B,)
    return np.asarray(np.maximum(hardest + margin, 0.0)[anchors].mean())


def semi_hard_given(labels, D, valid, margin) -> np.ndarray:
    positive, negative = _pairs(labels)
    semi_hard = negative[:, None, :] & (D[:, None, :] > D[:, :, None])         # (B, B, B) [a, p, n]
    closest = np.where(semi_hard, D[:, None, :], np.inf).min(2)                # (B, B)
    farthest = np.where(negative, D, -np.inf).max(1)                           # (B,)
    d_neg = np.where(semi_hard.any(2), closest, farthest[:, None])             # (B, B)
    pairs = positive & negative.any(1)[:, None]
    return np.asarray(np.maximum(D - d_neg + margin, 0.0)[pairs].mean() if pairs.any() else 0.0)


def _own(value: Any, read: Callable, shape: tuple) -> np.ndarray | None:
    """A helper's return value from a support call, or None when it failed or has the wrong shape."""
    array = None if value is None else read(value)
    if not isinstance(array, np.ndarray) or array.shape != shape:
        return None
    return array if array.dtype == bool else array.astype(np.float64)


def own_parts(cases: Sequence[Case], given: Callable, *, default_squared: bool, uses_mask: bool,
              read: Callable) -> tuple[tuple[Call, ...], Own]:
    """Support calls for the student's own pairwise_distances (and triplet_mask) on each case's batch, and
    a function that accepts the loss when it is right given them: a helper's bug is charged once."""
    calls, reference_parts = [], []
    for case in cases:
        labels, E, _ = case.call.args
        mine = [Call("pairwise_distances", (E,), {"squared": case.call.kwargs.get("squared", default_squared)})]
        mine += [Call("triplet_mask", (labels,))] if uses_mask else []
        calls += mine
        reference_parts.append([call_reference(f, c) for f, c in zip((ref.pairwise_distances, ref.triplet_mask), mine)])
    per = 2 if uses_mask else 1

    def excuse(got: Sequence[Any], support: Sequence[Any]) -> Verdict | None:
        differs = {"pairwise_distances": False, "triplet_mask": False}
        for i, case in enumerate(cases):
            labels, _, margin = case.call.args
            D_ref, *mask_ref = reference_parts[i]
            D = _own(support[per * i], read_array, D_ref.shape)
            mask = _own(support[per * i + 1], read_mask, mask_ref[0].shape) if uses_mask else None
            if D is None or (uses_mask and mask is None):
                return None
            differs["pairwise_distances"] |= compare_arrays(D, D_ref, TOLERANCE).status is not Status.PASSED
            differs["triplet_mask"] |= uses_mask and bool((mask != mask_ref[0]).any())
            if same(got[i], read(given(labels, D, mask, margin)), TOLERANCE, "").status is not Status.PASSED:
                return None
        helpers = [name for name, bad in differs.items() if bad]
        if not helpers:
            return None
        return Verdict(Status.PASSED, 1.0, f"Right, given your own {' and '.join(helpers)}: its mistake is charged on "
                       "that question only.", "follows-from-" + "-and-".join(h.replace("_", "-") for h in helpers))

    return tuple(calls), excuse


# ------------------------------------------------------------------------------------------------ pairwise_distances
def distance_case(E: np.ndarray, squared: bool | None, words: str) -> Case:
    return Case(Call("pairwise_distances", (E,), {} if squared is None else {"squared": squared}), words)


GENERAL = [distance_case(embeddings(21, 8, 3, unit=False), False, "a random batch of 8"),
           distance_case(embeddings(22, 12, 5), True, "a random batch of 12 unit rows"),
           distance_case(embeddings(23, 16, 4, unit=False), True, "a random batch of 16"),
           distance_case(embeddings(24, 24, 8), None, "a random batch of 24 unit rows")]
COPIES = {3: 1, 5: 1, 6: 0}                                                 # rows 3 and 5 equal row 1, row 6 row 0
EXACT = with_copies(embeddings(25, 8, 4, unit=False), COPIES)
_E10 = 3 * embeddings(26, 10, 4, unit=False)                              # norms about 6: rounding shows
NEAR = np.concatenate([_E10, with_copies(_E10, {i: i for i in range(10)}, jitter=1e-9, seed=27)])      # (20, 4)
COINCIDENT = [distance_case(EXACT, squared, "a batch of 8 in which rows 3, 5 equal row 1 and row 6 equals row 0")
              for squared in (False, True)] + \
             [distance_case(NEAR, squared, "a batch of 20 whose last 10 rows are copies of the first 10 moved by about 1e-9")
              for squared in (False, True)]


def _diagonal_rule(D: np.ndarray) -> Verdict | None:
    diagonal = np.diagonal(D)
    if (diagonal == 0).all():
        return None
    i = int(np.argmax(np.abs(diagonal)))
    return Verdict.failed(f"D[{i}, {i}] = {diagonal[i]:.3g}, and {int((diagonal != 0).sum())} of {len(diagonal)} diagonal "
                          "entries are not exactly 0. d(a, a) = 0: if you add an epsilon before the square root, add it "
                          "only where the squared distance is 0 and set those entries back to 0.", note="nonzero-diagonal")


def judge_diagonal(values: Sequence[Any]) -> Verdict:
    for case, value in zip(GENERAL, values):
        D = read_array(value, "D")
        if isinstance(D, Verdict):
            return D
        if D.ndim != 2 or D.shape[0] != D.shape[1]:
            return Verdict.invalid(f"On {describe_call(case.call)}: D has shape {D.shape}; expected (B, B).")
        if (verdict := _diagonal_rule(D.astype(np.float64))) is not None:
            return dataclasses.replace(verdict, feedback=f"On {describe_call(case.call)}: {verdict.feedback}")
    return Verdict.passed()


NEGATIVE_RULE = ("Squared distances computed as ||a||^2 - 2 a.b + ||b||^2 lose their last digits to rounding and go "
                 "below 0 when two rows (nearly) coincide, and the square root of a negative number is NaN. Clamp "
                 "the squared distances at 0 before the square root (or compute them from the differences E_a - E_b).")


def _negative_rule(D: np.ndarray, case: Case) -> Verdict | None:
    """Negative or NaN distances: the symptom of an unclamped Gram-matrix form."""
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
    return Verdict.failed(f"On {case.words}, {describe_call(case.call)}: D has {' and '.join(found)}. {NEGATIVE_RULE}",
                          note="negative-squared-distance")


COINCIDENT_EXPECTED = [call_reference(ref.pairwise_distances, c.call) for c in COINCIDENT]


def judge_coincident(values: Sequence[Any]) -> Verdict:
    """Off the diagonal (judged on its own): non-negative and finite everywhere, and right to 1e-6 at the pairs
    of rows that (nearly) coincide. Other entries are the values check's business."""
    for case, value, expected in zip(COINCIDENT, values, COINCIDENT_EXPECTED):
        D = read_array(value, "D")
        if isinstance(D, Verdict):
            return D
        if D.shape != expected.shape:
            return Verdict.invalid(f"On {describe_call(case.call)}: D has shape {D.shape}; expected {expected.shape}.")
        D = D.astype(np.float64)
        if (verdict := _negative_rule(D, case)) is not None:
            return verdict
        close = (expected < 1e-6) & ~np.eye(len(D), dtype=bool)             # the (nearly) coincident pairs
        verdict = compare_arrays(D[close], expected[close], NEAR_TOLERANCE, what="D at coincident pairs")
        if verdict.status is not Status.PASSED:
            worst = np.argwhere(close)[verdict.evidence.get("index", [0])[0]]
            return Verdict.failed(f"On {case.words}, {describe_call(case.call)}: D[{worst[0]}, {worst[1]}] = "
                                  f"{D[tuple(worst)]:.3g}, though rows {worst[0]} and {worst[1]} are (nearly) equal.",
                                  note="coincident-rows-differ")
    return Verdict.passed()


DISTANCE_MISTAKES = [
    Mistake("forgot-sqrt", wrong.pairwise_distances_without_sqrt,
            "With squared=False the distances are Euclidean, ||E_a - E_b||; yours are squared (no square root)."),
    Mistake("ignores-squared", wrong.pairwise_distances_ignoring_squared,
            "With squared=True the result is ||E_a - E_b||^2; yours are Euclidean distances whatever `squared` is."),
]


def gradient_case(E: np.ndarray, squared: bool, seed: int, words: str) -> Case:
    C = np.random.default_rng(seed).standard_normal((len(E), len(E)))       # (B, B) cotangent, not symmetric
    return Case(Call("pairwise_distances", (E,), {"squared": squared}, grad_wrt=0, cotangent=C), words)


GRADIENT = [gradient_case(embeddings(31, 7, 3, unit=False), False, 32, "a random batch of 7"),
            gradient_case(embeddings(33, 6, 4), True, 34, "a random batch of 6 unit rows"),
            gradient_case(EXACT, False, 35, "a batch of 8 in which rows 3, 5 equal row 1 and row 6 equals row 0"),
            gradient_case(EXACT, True, 36, "a batch of 8 in which rows 3, 5 equal row 1 and row 6 equals row 0")]
# (D, dE) of the reference, then of each known value mistake: a D that is wrong in a known way is charged on the
# values check; its gradient is compared with the gradient of that same wrong function.
GRADIENT_EXPECTED = [[call_reference(f, c.call) for f in [ref.pairwise_distances] + [m.expected for m in DISTANCE_MISTAKES]]
                     for c in GRADIENT]


def _coincident_rows(E: np.ndarray) -> np.ndarray:
    equal = (E[:, None, :] == E[None, :, :]).all(-1) & ~np.eye(len(E), dtype=bool)
    return equal.any(1)                                                      # (B,)


def judge_gradients(values: Sequence[Any]) -> Verdict:
    """Finite everywhere; equal to autograd (through the reference, or through the known wrong function whose
    values the student's D has) on every row that coincides with no other row. At coincident rows any finite
    subgradient is fine. A D that matches no known function is judged on the values checks only."""
    for case, value, candidates in zip(GRADIENT, values, GRADIENT_EXPECTED):
        where = f"On {case.words}, {describe_call(case.call)} (gradient of sum(C * D) for a fixed random C)"
        B_d = candidates[0][1].shape
        D, grad = (read_array(v) for v in value) if isinstance(value, tuple) and len(value) == 2 else (None, None)
        if not isinstance(D, np.ndarray) or not isinstance(grad, np.ndarray) or grad.shape != B_d:
            return Verdict.invalid(f"{where}: the gradient with respect to E should have E's shape {B_d}.")
        D, grad = D.astype(np.float64), grad.astype(np.float64)
        index = next((i for i, (d, _) in enumerate(candidates) if d.shape == D.shape and
                      compare_arrays(D, d, NEAR_TOLERANCE).status is Status.PASSED), None)
        known = None if index is None else candidates[index][1]
        if not np.isfinite(grad).all():
            if D.shape == candidates[0][0].shape and (verdict := _negative_rule(D, case)) is not None:
                return verdict
            rows = sorted({int(i) for i in np.argwhere(~np.isfinite(grad))[:, 0]})
            rows_text = f"all {len(grad)} rows" if len(rows) == len(grad) else f"rows {rows[:6]}"
            if index == 0:
                return Verdict.failed(
                    f"{where}: your distances are right, but their gradient is NaN or infinite in {rows_text} of E. "
                    "The square root has an infinite derivative at 0, and d(a, a) (and d(a, b) for equal rows) is exactly "
                    "0, so autograd computes 0 * inf = NaN. Take the square root only where the squared distance is "
                    "positive (e.g. torch.where on a safe copy) and put the zeros back.", note="nan-gradient-sqrt-at-zero")
            return Verdict.failed(f"{where}: the gradient is NaN or infinite in {rows_text} of E.", note="non-finite-gradient")
        if known is None:
            continue
        exact = ~_coincident_rows(np.asarray(case.call.args[0]))
        verdict = compare_arrays(grad[exact], known[exact], GRADIENT_TOLERANCE, what="the gradient (rows without a copy)")
        if verdict.status is not Status.PASSED:
            return Verdict.failed(f"{where}: {verdict.feedback} Away from coincident rows, d ||E_a - E_b|| / d E_a = "
                                  "(E_a - E_b) / ||E_a - E_b||: compute D from E with torch operations only (no .numpy(), "
                                  ".item() or .detach() on the way).", note="gradient-differs")
    return Verdict.passed()


def _without_diagonal(D):
    """Off-diagonal entries only (the diagonal has its own check); shape problems pass through."""
    if isinstance(D, Verdict) or D.ndim != 2 or D.shape[0] != D.shape[1]:
        return D
    D = D.astype(np.float64)
    np.fill_diagonal(D, 0.0)
    return D


distance_checks = [
    agrees("matches ||E_a - E_b|| (squared and not) off the diagonal", 1.0, GENERAL,
           ref.pairwise_distances, read=lambda v: _without_diagonal(read_array(v, "D")), what="D",
           rule="d(a, b) = ||E_a - E_b||, or its square when squared=True.", mistakes=DISTANCE_MISTAKES),
    satisfies("is exactly 0 on the diagonal", 0.5, [c.call for c in GENERAL], judge_diagonal),
    satisfies("stays non-negative and right where rows (nearly) coincide", 0.5, [c.call for c in COINCIDENT],
              judge_coincident, visibility="hidden"),
    satisfies("has finite gradients that match autograd (also with equal rows)", 1.0, [c.call for c in GRADIENT],
              judge_gradients),
]


# ------------------------------------------------------------------------------------------------ triplet_mask
def mask_case(labels: Sequence[int], words: str) -> Case:
    return Case(Call("triplet_mask", (np.asarray(labels, dtype=np.int64),)), words)


def _mask_dtype_note(check: Check) -> Check:
    """A 0/1 mask of another dtype keeps its points (README), with a line of feedback."""
    def judge(values, support=None):
        verdict = check.judge(values)
        dtypes = {str(a.dtype) for a in map(as_array, values) if a is not None and a.dtype != bool}
        if verdict.status is Status.PASSED and dtypes:
            return Verdict(Status.PASSED, 1.0, f"Your mask has dtype {', '.join(sorted(dtypes))}; a bool mask is asked "
                           "for (it was compared as bool here).", "mask-not-bool")
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
    _mask_dtype_note(agrees(
        "marks exactly the valid triplets", 1.25,
        [mask_case(np.random.default_rng(41).integers(0, 3, 8), "random labels, B = 8"),
         mask_case(np.random.default_rng(42).integers(0, 4, 11), "random labels, B = 11"),
         mask_case([5, -1, 5, 7, -1, 5, 7], "labels 5, -1 and 7")],
        ref.triplet_mask, read=read_mask, what="the mask", rule=MASK_RULE, mistakes=MASK_MISTAKES)),
    _mask_dtype_note(agrees(
        "has no valid triplet where none exists; handles singletons", 0.75,
        [mask_case([0, 1, 2, 3, 4], "a batch of 5 singletons (no valid triplet)"),
         mask_case([2, 2, 2, 2], "a batch of one class (no valid triplet)"),
         mask_case([0, 0, 1, 2, 3], "labels [0, 0, 1, 2, 3] (three singletons)"),
         mask_case([1, 1], "a batch of 2 (no triplet of distinct indices)")],
        ref.triplet_mask, read=read_mask, what="the mask", rule=MASK_RULE, mistakes=MASK_MISTAKES, visibility="hidden")),
]


# ------------------------------------------------------------------------------------------------ the losses
def edge_loss_cases(function: str) -> list[Case]:
    """Batches with nothing (or little) to average: singletons, one class, every triplet satisfied."""
    E6, E5 = embeddings(51, 6, 4), embeddings(52, 5, 3)
    clusters = np.array([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [5.0, 5.0], [5.1, 5.0], [5.0, 5.1]])
    return [loss_case(function, np.arange(6), E6, 0.5, False, "a batch of 6 singletons (no valid triplet)"),
            loss_case(function, np.full(6, 2), E6, 1.0, True, "a batch of one class (no negative at all)"),
            loss_case(function, np.array([0, 0, 0, 1, 1, 1]), clusters, 0.2, False,
                      "two tight clusters far apart (every triplet satisfies the margin)"),
            loss_case(function, np.array([0, 0, 1, 2, 3]), E5, 0.5, False, "labels [0, 0, 1, 2, 3] (three singletons)")]


def loss_check(name: str, points: float, cases: Sequence[Case], reference: Callable, given: Callable, *,
               default_squared: bool, read: Callable = read_scalar, own_read: Callable = read_scalar,
               **options: Any) -> Check:
    """`agrees` for a loss, excusing a value that is right given the student's own helpers."""
    own = own_parts(cases, given, default_squared=default_squared, uses_mask=given is batch_all_given, read=own_read)
    return agrees(name, points, cases, reference, read=read, what="the loss", own=own, **options)


# ------------------------------------------------------------------------------------------------ batch_all
BATCH_ALL = random_loss_cases("batch_all_triplet_loss", seeds=(61, 62, 63, 64, 65))
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


def batch_all_part(index: int) -> Callable:
    """Reads one item of the (loss, fraction_positive) pair, so that each has its own check."""
    def read(value):
        pair = read_pair(value)
        return pair if isinstance(pair, Verdict) else pair[index]
    return read


batch_all_checks = [
    loss_check("loss: mean of eq. 3 over the triplets with positive loss", 2.0, BATCH_ALL, ref.batch_all_triplet_loss,
               batch_all_given, default_squared=False, read=batch_all_part(0), own_read=lambda pair: pair[0],
               mistakes=BATCH_ALL_MISTAKES[:2],
               rule="The loss is the mean of [d(a, p) - d(a, n) + margin]_+ over the valid triplets whose loss is > 0."),
    loss_check("fraction_positive: share of valid triplets with positive loss", 1.0, BATCH_ALL,
               ref.batch_all_triplet_loss, batch_all_given, default_squared=False, read=batch_all_part(1),
               own_read=lambda pair: pair[1], mistakes=BATCH_ALL_MISTAKES[2:],
               rule="fraction_positive = (valid triplets with loss > 0) / (valid triplets)."),
    loss_check("handles singletons; (0, 0) without valid triplets or positive losses", 1.0,
               edge_loss_cases("batch_all_triplet_loss"), ref.batch_all_triplet_loss, batch_all_given,
               default_squared=False, read=read_pair, own_read=tuple, mistakes=BATCH_ALL_MISTAKES, visibility="hidden",
               rule="With no valid triplet, or none with loss > 0, the loss is 0 (and so is fraction_positive without "
                    "valid triplets): guard each division against 0 / 0."),
]


# ------------------------------------------------------------------------------------------------ batch_hard
BATCH_HARD = random_loss_cases("batch_hard_triplet_loss", seeds=(71, 72, 73, 74, 75))
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

batch_hard_checks = [
    loss_check("matches the hardest positive and hardest negative per anchor", 2.5, BATCH_HARD,
               ref.batch_hard_triplet_loss, batch_hard_given, default_squared=False, mistakes=BATCH_HARD_MISTAKES,
               rule="Per anchor: [max_p d(a, p) - min_n d(a, n) + margin]_+, averaged over the anchors with a "
                    "positive and a negative."),
    loss_check("leaves out anchors without a positive or a negative; 0 when none is left", 1.5,
               edge_loss_cases("batch_hard_triplet_loss"), ref.batch_hard_triplet_loss, batch_hard_given,
               default_squared=False, mistakes=BATCH_HARD_MISTAKES, visibility="hidden",
               rule="Anchors without a positive (singletons) or without a negative are left out of the mean, not "
                    "counted as 0; with no anchor left the loss is 0."),
]


# ------------------------------------------------------------------------------------------------ semi_hard
SEMI_HARD = random_loss_cases("semi_hard_triplet_loss", seeds=(81, 82, 83, 84, 86))
LINE = loss_case("semi_hard_triplet_loss", np.array([0, 0, 1, 1]), np.array([[0.0], [3.0], [1.0], [2.0]]), 0.5, False,
                 "points 0 and 3 (class 0), 1 and 2 (class 1) on a line, where some d(a, n) equal d(a, p)")
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

semi_hard_checks = [
    loss_check("matches the semi-hard choice with the farthest-negative fallback", 2.5, SEMI_HARD,
               ref.semi_hard_triplet_loss, semi_hard_given, default_squared=True, mistakes=SEMI_HARD_MISTAKES,
               rule="Per positive pair (a, p): the closest negative with d(a, n) > d(a, p), else the farthest negative "
                    "of a; the mean of [d(a, p) - d(a, n) + margin]_+ over the pairs whose anchor has a negative."),
    loss_check("handles singletons; 0 without negatives", 1.0, edge_loss_cases("semi_hard_triplet_loss"),
               ref.semi_hard_triplet_loss, semi_hard_given, default_squared=True, mistakes=SEMI_HARD_MISTAKES,
               visibility="hidden", rule="Pairs whose anchor has no negative are left out; with no pair left the loss is 0."),
    loss_check("a negative exactly as far as the positive is not semi-hard", 0.5, [LINE], ref.semi_hard_triplet_loss,
               semi_hard_given, default_squared=True, mistakes=SEMI_HARD_MISTAKES, visibility="hidden",
               rule="Eq. 4 is strict: a semi-hard negative has d(a, n) > d(a, p); one at exactly d(a, p) is not "
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
