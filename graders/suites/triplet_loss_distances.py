"""The pairwise_distances checks of the triplet_loss suite: values off the diagonal, the diagonal, coincident rows
(hidden) and gradients, each bug charged once (assignments/triplet_loss/README.md). Imported by `triplet_loss.py`,
with the batches and the catalogue both use."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from reference import triplet_loss as ref
from reference import triplet_loss_mistakes as wrong

from ..checks import Mistake, call_reference, describe_call, matches_reference, satisfies
from ..compare import Tolerance, as_array, compare_arrays, describe
from ..model import Call, Status, Verdict


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
