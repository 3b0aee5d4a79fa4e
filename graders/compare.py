"""Decoded values against expected values -> Verdicts with bounded, concrete evidence.

Strict by design: exact shapes (no broadcasting), numeric dtypes only, finite values, and a tolerance that
names itself in the feedback. Order of evidence: shapes first and alone; then how many entries differ,
the worst one with its index, its absolute and relative error, and the tolerance.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .model import Verdict
from .wire import Unsupported

__all__ = ["Tolerance", "as_array", "compare_arrays", "describe"]

_NUMERIC_KINDS = "biuf"


@dataclass(frozen=True)
class Tolerance:
    rtol: float = 1e-6
    atol: float = 1e-8
    equal_nan: bool = False          # NaN expected (e.g. "no example at this depth") matches NaN, only there

    def widened_for(self, dtype: np.dtype) -> "Tolerance":
        """A float32 or float16 answer is judged at its own precision."""
        if dtype.kind != "f" or dtype.itemsize >= 8:
            return self
        eps = float(np.finfo(dtype).eps)
        return Tolerance(max(self.rtol, 50 * eps), max(self.atol, 50 * eps), self.equal_nan)

    def __str__(self) -> str:
        return f"rtol {self.rtol:g}, atol {self.atol:g}"


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


def compare_arrays(got: Any, expected: np.ndarray, tolerance: Tolerance = Tolerance(), *, what: str = "the result") -> Verdict:
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
    if expected.dtype == bool:
        return _compare_exact(array.astype(bool) if array.dtype.kind in "biu" else array, expected, what)
    tolerance = tolerance.widened_for(array.dtype)
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
        wanted = "NaN" if expected_nan[index] else f"{expected[index]:.6g}"
        return Verdict.failed(f"{what} has {got[index]:.6g} at index {index} where {wanted} was expected.",
                              note="nan-mismatch", index=list(index))
    keep = ~expected_nan
    return _compare_close(got[keep], expected[keep], Tolerance(tolerance.rtol, tolerance.atol), what)


def _compare_exact(got: np.ndarray, expected: np.ndarray, what: str) -> Verdict:
    wrong = got != expected
    if not wrong.any():
        return Verdict.passed()
    index = tuple(int(i) for i in np.argwhere(wrong)[0])
    return Verdict.failed(f"{int(wrong.sum())} of {wrong.size} entries of {what} differ; first at index {index}: "
                          f"got {got[index]}, expected {expected[index]}.", index=list(index),
                          mismatches=int(wrong.sum()), got=got[index].item(), expected=expected[index].item())


def _compare_close(got: np.ndarray, expected: np.ndarray, tolerance: Tolerance, what: str) -> Verdict:
    error = np.abs(got - expected)
    allowed = tolerance.atol + tolerance.rtol * np.abs(expected)
    wrong = ~(error <= allowed)                     # a NaN anywhere counts as a mismatch
    if not wrong.any():
        return Verdict.passed(max_abs_error=float(error.max(initial=0.0)))
    worst = tuple(int(i) for i in np.unravel_index(np.argmax(np.nan_to_num(error - allowed, nan=np.inf)), error.shape))
    relative = float(error[worst] / max(abs(expected[worst]), 1e-300))
    at = f" at index {worst}" if worst else ""
    return Verdict.failed(
        f"{int(wrong.sum())} of {wrong.size} entries of {what} differ; the worst{at} is {got[worst]:.6g} where "
        f"{expected[worst]:.6g} was expected (abs. error {error[worst]:.3g}, rel. error {relative:.3g}; "
        f"tolerance {tolerance}).",
        mismatches=int(wrong.sum()), index=list(worst), max_abs_error=float(error[worst]),
        got=float(got[worst]), expected=float(expected[worst]))
