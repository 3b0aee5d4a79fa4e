"""Why a wrong expression is wrong: a stable note code and one sentence, found from the numbers.

Tried in order once an answer is known to differ from the reference (values at the same test points):
wrong sign, constant factor, exponent off by a factor (when the reference is an exponential), reciprocal,
square or square root or other power of the reference, unexpected or missing variables; else a plain
"differs" with one concrete point. The reference itself is never printed.
"""
from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import sympy

__all__ = ["diagnose", "format_number"]

_TOLERANCE = 1e-9


def diagnose(answer: sympy.Expr, reference: sympy.Expr, comparison, points=()) -> tuple[str, str]:
    """(note, feedback) for an answer that differs from the reference (`comparison` from evaluate)."""
    for rule in (_constant_factor, _power_of_reference, _variables):
        found = rule(answer, reference, comparison.pairs)
        if found:
            return found
    at_points = [points[i] for i in comparison.indices] if points else []
    return "not-equivalent", _differs_at(answer, comparison.pairs, at_points)


def format_number(value) -> str:
    """2, 1/2, -1/4 when the value is a simple fraction; otherwise 4 significant digits."""
    if not math.isfinite(float(value)) or (float(value) == 0 and value != 0):
        return mpmath.nstr(mpmath.mpf(value), 4)
    value = float(value)
    fraction = Fraction(value).limit_denominator(100)
    if fraction and abs(float(fraction) - value) <= _TOLERANCE * abs(value):
        return str(fraction)
    return f"{value:.4g}"


def _constant(values) -> mpmath.mpf | None:
    values = list(values)
    if len(values) < 3:
        return None
    first = values[0]
    if first != 0 and all(abs(v - first) <= _TOLERANCE * abs(first) for v in values):
        return first
    return None


def _constant_factor(answer, reference, pairs):
    ratio = _constant(a / r for a, r in pairs if r != 0)
    if ratio is None or ratio == 0 or abs(ratio - 1) <= _TOLERANCE:
        return None
    if abs(ratio + 1) <= _TOLERANCE:
        return "wrong-sign", "Your expression is the negative of the expected one: check the signs."
    return ("constant-factor", f"Your expression is {format_number(ratio)} times the expected one: "
            "the variables are right, a constant factor is not.")


def _power_of_reference(answer, reference, pairs):
    usable = [(a, r) for a, r in pairs if a > 0 and r > 0 and abs(mpmath.log(r)) > 1e-6]
    if len(usable) < 3:
        return None
    k = _constant(mpmath.log(a) / mpmath.log(r) for a, r in usable)
    if k is None or abs(k - 1) <= _TOLERANCE:
        return None
    shown = format_number(k)
    if _is_exponential(reference):
        if abs(k + 1) <= _TOLERANCE:
            return "exponent-sign", "The exponent of your expression has the wrong sign."
        return ("exponent-factor", f"The exponent of your expression is {shown} times the expected exponent: "
                "check the constant factors inside exp.")
    if abs(k + 1) <= _TOLERANCE:
        return "reciprocal", "Your expression is the reciprocal of the expected one."
    if abs(k - 2) <= _TOLERANCE:
        return "square-of-reference", "Your expression is the square of the expected one."
    if abs(k - 0.5) <= _TOLERANCE:
        return "sqrt-of-reference", "Your expression is the square root of the expected one."
    return "power-of-reference", f"Your expression is the expected one raised to the power {shown}."


def _is_exponential(expr: sympy.Expr) -> bool:
    factors = sympy.Mul.make_args(expr)
    return any(isinstance(f, sympy.exp) or (f.is_Pow and f.base is sympy.E) for f in factors) and all(
        isinstance(f, sympy.exp) or f.is_Number or (f.is_Pow and f.base is sympy.E) for f in factors)


def _variables(answer, reference, pairs):
    names_of = lambda symbols: ", ".join(sorted(s.name for s in symbols))
    extra = answer.free_symbols - reference.free_symbols
    missing = reference.free_symbols - answer.free_symbols
    if extra:
        return ("unexpected-variable",
                f"Your expression depends on {names_of(extra)}, which the expected answer does not.")
    if missing:
        return ("missing-variable",
                f"Your expression does not depend on {names_of(missing)}, but the expected answer does.")
    return None


def _differs_at(answer, pairs, points) -> str:
    if not points or not pairs:
        return "Your expression is not equivalent to the expected one."
    for point, (a, r) in zip(points, pairs):
        if abs(a - r) > _TOLERANCE * max(abs(r), 1e-30):
            used = sorted((s for s in point if s in answer.free_symbols), key=lambda s: s.name)
            where = ", ".join(f"{s.name}={point[s]:.4g}" for s in used)
            at = f" at {where}" if where else ""
            return (f"Your expression is not equivalent to the expected one: it equals {format_number(a)}"
                    f"{at}, where the expected expression has a different value.")
    return "Your expression is not equivalent to the expected one."
