"""Decoded values against expected values -> Verdicts with bounded, concrete evidence.

The tolerance rule (one rule for every value check; `Tolerance()` is its default):

    an entry passes when  |got - expected| <= atol + rtol * (|expected| + s),
    s = the largest |expected| entry of the array (for a scalar, |expected| itself),
    rtol = 1e-5 and atol = 1e-12 for float64 answers; float32 answers get rtol + 100 eps of their own dtype
    (2.2e-5); integer and bool answers are compared exactly. A float16 answer is not compared at all: it fails
    with the note `precision-too-low` (a tolerance wide enough for float16, about 0.1 of the array's scale,
    lets known mistakes through: sigma^2 = D, the missing key factor, the factor missing its 2).

Why these numbers: what a right program may differ by is noise that scales with the numbers it sums, not
with the result, hence the array's scale s (an entry that cancels to ~0 carries the rounding of its
terms). A 1e-6 guard added to a denominator of size >= 1 moves a result by <= 1e-6 relative; float32
arithmetic, another summation order and library kernels (scaled_dot_product_attention, torch.cdist's
matrix-product path) stay below ~1e-6 relative on the grader's inputs; all of them pass with a margin of
10x. Every known mistake (`reference/*_mistakes.py`) differs from the reference by more than 1e-3 relative,
100x this tolerance, so no mistake is ever told from a right answer by a 1e-6 margin
(tests/engine/test_compare.py and tests/suites/test_mistakes_are_far.py check both sides).

Comparisons use the dtype the student returned: the tolerance is widened for float32 before any cast,
and the difference is computed in float64 only afterwards. Strict otherwise: exact shapes (no
broadcasting), numeric dtypes only, finite values unless NaN is expected there. Numbers in messages get
as many digits as it takes for got and expected to read differently.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .model import Verdict
from .wire import Unsupported

__all__ = ["Tolerance", "as_array", "compare_arrays", "describe", "distinct_digits", "difference_text"]

_NUMERIC_KINDS = "biuf"


@dataclass(frozen=True)
class Tolerance:
    rtol: float = 1e-5
    atol: float = 1e-12
    equal_nan: bool = False          # NaN expected (e.g. "no example at this depth") matches NaN, only there

    def widened_for(self, dtype: np.dtype) -> "Tolerance":
        """A float32 or float16 answer is judged at its own precision: rtol + 100 eps of its dtype."""
        if dtype.kind != "f" or dtype.itemsize >= 8:
            return self
        eps = float(np.finfo(dtype).eps)
        return Tolerance(self.rtol + 100 * eps, self.atol, self.equal_nan)

    def allowed(self, expected: np.ndarray) -> np.ndarray:
        """How far each entry may be off: atol + rtol (|expected| + the array's largest |expected|)."""
        magnitude = np.abs(expected)
        finite = magnitude[np.isfinite(magnitude)]
        scale = float(finite.max()) if finite.size else 0.0
        return self.atol + self.rtol * (magnitude + scale)

    def __str__(self) -> str:
        return f"{self.rtol:.2g} x (|expected| + the largest |expected|)"


def describe(value: Any) -> str:
    """A short description of a returned value, for messages ("an array (3, 48) of float64")."""
    if isinstance(value, np.ndarray):
        return f"an array {tuple(value.shape)} of {value.dtype}"
    if isinstance(value, Unsupported):
        return f"a {value.type_name}, which is not plain data"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)}"
    return f"a {type(value).__name__}"


def as_array(value: Any) -> np.ndarray | None:
    """A returned array or number as an ndarray; None for anything else (tuples, strings, objects)."""
    if isinstance(value, np.ndarray):
        return value
    if type(value) in (int, float, bool):
        return np.asarray(value, dtype=np.float64 if type(value) is float else None)
    return None


def distinct_digits(got: float, expected: float) -> tuple[str, str]:
    """Both numbers with the fewest significant digits (at least 6) at which they read differently."""
    for digits in range(6, 18):
        a, b = f"{got:.{digits}g}", f"{expected:.{digits}g}"
        if a != b:
            return a, b
    return repr(float(got)), repr(float(expected))


def difference_text(evidence: dict, *, show_expected: bool = True) -> str:
    """The one wording of a value mismatch. Hidden checks (show_expected=False) name the entry and the
    student's value, never the expected one."""
    what, index = evidence["what"], evidence.get("index") or []
    at = f" at index {tuple(index)}" if index else ""
    count = f"{evidence['mismatches']} of {evidence['size']} entries of {what} differ" if evidence["size"] > 1 \
        else f"{what} differs"
    if evidence.get("exact"):
        shown = f", expected {evidence['expected']}" if show_expected else ""
        return f"{count}; first{at}: got {evidence['got']}{shown}."
    if not show_expected:
        return f"{count}; the worst{at} is {evidence['got']:.6g}, which is not right."
    got, expected = distinct_digits(evidence["got"], evidence["expected"])
    if "nan" in (got, expected):
        return f"{count}; the first{at} is {got} where {expected} was expected."
    return (f"{count}; the worst{at} is {got} where {expected} was expected (abs. error {evidence['abs_error']:.2g}, "
            f"rel. error {evidence['rel_error']:.2g}; allowed {evidence['allowed']:.2g}: {evidence['tolerance']}).")


def compare_arrays(got: Any, expected: Any, tolerance: Tolerance = Tolerance(), *, what: str = "the result") -> Verdict:
    """PASSED when `got` has exactly `expected`'s shape, is numeric and finite, and is close everywhere."""
    expected = np.asarray(expected)
    array = as_array(got)
    if array is None:
        return Verdict.invalid(f"{what} should be an array of shape {tuple(expected.shape)}; got {describe(got)}.")
    if expected.shape == () and array.size == 1:
        array = array.reshape(())                       # a scalar may come back as a 1-element array
    if array.shape != expected.shape:
        return Verdict.invalid(f"{what} has shape {tuple(array.shape)}; expected {tuple(expected.shape)}.",
                               shape=list(array.shape), expected_shape=list(expected.shape))
    if array.dtype.kind not in _NUMERIC_KINDS:
        return Verdict.invalid(f"{what} has dtype {array.dtype}; expected a numeric dtype.")
    if expected.dtype == bool and array.dtype != bool and not np.isin(array, (0, 1)).all():
        return Verdict.invalid(f"{what} should be a bool mask (or 0s and 1s); got {describe(got)} with other values.")
    if expected.dtype == bool or (expected.dtype.kind in "iu" and array.dtype.kind in "biu"):
        return _compare_exact(array.astype(bool) if expected.dtype == bool and array.dtype.kind in "biu" else array,
                              expected, what)
    if array.dtype.kind == "f" and array.dtype.itemsize < 4:
        return Verdict.failed(f"{what} is {array.dtype}, which keeps about 3 significant digits: too few to tell a "
                              "right answer from a wrong one here. Compute and return float32 or float64.",
                              note="precision-too-low", what=what, dtype=str(array.dtype))
    tolerance = tolerance.widened_for(array.dtype)      # the student's dtype decides, before any cast
    got64, expected64 = array.astype(np.float64), expected.astype(np.float64)
    if tolerance.equal_nan:
        return _compare_with_nan(got64, expected64, tolerance, what)
    finite = np.isfinite(got64)
    if not finite.all():
        index = tuple(int(i) for i in np.argwhere(~finite)[0])
        return Verdict.failed(f"{what} has {int((~finite).sum())} non-finite entries (first at index {index}: "
                              f"{got64[index]}).", note="non-finite", index=list(index))
    return _compare_close(got64, expected64, tolerance, what)


def _compare_with_nan(got: np.ndarray, expected: np.ndarray, tolerance: Tolerance, what: str) -> Verdict:
    """NaN exactly where NaN is expected; elsewhere finite and close."""
    expected_nan, got_nan = np.isnan(expected), np.isnan(got)
    if (expected_nan != got_nan).any():
        index = tuple(int(i) for i in np.argwhere(expected_nan != got_nan)[0])
        evidence = dict(what=what, index=list(index), mismatches=int((expected_nan != got_nan).sum()),
                        size=int(got.size), got=float(got[index]), expected=float(expected[index]))
        return Verdict.failed(difference_text(evidence), note="nan-mismatch", **evidence)
    keep = ~expected_nan
    return _compare_close(got[keep], expected[keep], Tolerance(tolerance.rtol, tolerance.atol), what)


def _compare_exact(got: np.ndarray, expected: np.ndarray, what: str) -> Verdict:
    wrong = got != expected
    if not wrong.any():
        return Verdict.passed()
    index = tuple(int(i) for i in np.argwhere(wrong)[0])
    evidence = dict(index=list(index), what=what, mismatches=int(wrong.sum()), size=int(wrong.size),
                    got=got[index].item(), expected=expected[index].item(), exact=True)
    return Verdict.failed(difference_text(evidence), **evidence)


def _compare_close(got: np.ndarray, expected: np.ndarray, tolerance: Tolerance, what: str) -> Verdict:
    error = np.abs(got - expected)
    allowed = tolerance.allowed(expected)
    wrong = ~(error <= allowed)                     # a NaN anywhere counts as a mismatch
    if not wrong.any():
        return Verdict.passed(max_abs_error=float(error.max(initial=0.0)))
    worst = tuple(int(i) for i in np.unravel_index(np.argmax(np.nan_to_num(error / allowed, nan=np.inf)), error.shape))
    evidence = dict(what=what, index=list(worst), mismatches=int(wrong.sum()), size=int(wrong.size),
                    got=float(got[worst]), expected=float(expected[worst]), abs_error=float(error[worst]),
                    rel_error=float(error[worst] / max(abs(expected[worst]), 1e-300)), allowed=float(allowed[worst]),
                    tolerance=str(tolerance), max_abs_error=float(error[worst]))
    return Verdict.failed(difference_text(evidence), **evidence)
