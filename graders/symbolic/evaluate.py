"""Numbers from expressions, without `lambdify` (which `exec`s generated code).

`compare_numerically` evaluates two expressions at seeded, log-uniform, non-integer points with mpmath
*interval* arithmetic at 50 digits. Intervals make the verdicts honest: disjoint intervals at a point prove
the expressions differ there (a catastrophic cancellation cannot fake a mismatch); narrow overlapping
intervals at enough points make them equal; anything else is undecided (and goes to `confirm`).
`array_values` evaluates over many points at once with NumPy, for inequalities.
"""
from __future__ import annotations

import enum
import math
import random
from dataclasses import dataclass

import sympy

__all__ = ["Outcome", "Comparison", "sample_points", "compare_numerically", "interval_values",
           "array_values", "midpoint", "Undefined"]

DIGITS = 50
EQUAL_WIDTH = 1e-25           # relative interval width that counts as "the same number"
MAX_EXP_ARGUMENT = 1e5        # exp(x) beyond this is treated as undefined (overflow guard)
MIN_POINTS = 8


class Outcome(enum.Enum):
    EQUAL = "equal"
    UNEQUAL = "unequal"
    UNDECIDED = "undecided"


class Undefined(ArithmeticError):
    """The expression has no real value at this point (or one too large to compute)."""


@dataclass(frozen=True)
class Comparison:
    outcome: Outcome
    pairs: tuple[tuple, ...]      # (answer, reference) mpmath numbers where both are defined and accurate
    indices: tuple[int, ...] = () # which points those are


def sample_points(symbols, count: int = 12, seed: int = 0, low: float = 0.5, high: float = 20.0):
    """`count` points, each symbol log-uniform in [low, high], rounded to 9 digits, never an integer."""
    rng = random.Random(seed)
    names = sorted(symbols, key=lambda s: s.name)
    points = []
    for _ in range(count):
        point = {}
        for symbol in names:
            value = round(math.exp(rng.uniform(math.log(low), math.log(high))), 9)
            point[symbol] = value + 0.013 if value == int(value) else value
        points.append(point)
    return points


def _interval_context():
    from mpmath.ctx_iv import MPIntervalContext
    ctx = MPIntervalContext()                 # a private context: no global precision is touched
    ctx.dps = DIGITS
    return ctx


def interval_values(expr: sympy.Expr, points) -> list:
    """The interval value of `expr` at each point, or None where it is undefined."""
    ctx = _interval_context()
    values = []
    for point in points:
        env = {symbol: ctx.mpf(repr(value)) for symbol, value in point.items()}
        try:
            value = _interval(expr, env, ctx)
        except (Undefined, ZeroDivisionError, ValueError, ArithmeticError, OverflowError, TypeError):
            value = None
        values.append(value if value is not None and _finite(value) else None)
    return values


def _finite(x) -> bool:
    from mpmath.libmp import finf, fnan, fninf
    return not isinstance(x, complex) and hasattr(x, "_mpi_") and all(
        end not in (finf, fninf, fnan) for end in x._mpi_)


def midpoint(x):
    """The middle of an interval as an mpmath number (53 bits, unbounded exponent)."""
    import mpmath
    return mpmath.mpf(((x.a + x.b) / 2)._mpi_[0])


def compare_numerically(answer: sympy.Expr, reference: sympy.Expr, points) -> Comparison:
    answers, references = interval_values(answer, points), interval_values(reference, points)
    equal, differ, pairs, indices, defined = 0, False, [], [], 0
    for index, (a, r) in enumerate(zip(answers, references)):
        if a is None or r is None:
            continue
        defined += 1
        reliable = _narrow(a) and _narrow(r)
        if reliable:
            pairs.append((midpoint(a), midpoint(r)))
            indices.append(index)
        if a.b < r.a or r.b < a.a:
            differ = True
        elif reliable:
            equal += 1
    if differ:
        outcome = Outcome.UNEQUAL
    elif equal >= MIN_POINTS and equal == defined:
        outcome = Outcome.EQUAL
    else:
        outcome = Outcome.UNDECIDED
    return Comparison(outcome, tuple(pairs), tuple(indices))


def _narrow(x) -> bool:
    scale = max(abs(x.a), abs(x.b))
    return (x.b - x.a) <= EQUAL_WIDTH * scale if scale > 0 else True


def _interval(expr, env, ctx):
    if expr.is_Symbol:
        return env[expr]
    if expr.is_Rational:
        return ctx.mpf(expr.p) / expr.q
    if expr is sympy.E:
        return ctx.e
    if expr is sympy.pi:
        return ctx.pi
    args = [_interval(arg, env, ctx) for arg in expr.args]
    if expr.is_Add:
        return sum(args[1:], args[0])
    if expr.is_Mul:
        result = args[0]
        for arg in args[1:]:
            result = result * arg
        return result
    if expr.is_Pow:
        return _interval_power(expr, args, ctx)
    if isinstance(expr, sympy.exp):
        if args[0].b > MAX_EXP_ARGUMENT:
            raise Undefined("overflow")
        return ctx.exp(args[0])
    if isinstance(expr, sympy.log):
        if args[0].a <= 0:
            raise Undefined("log of a non-positive number")
        return ctx.log(args[0])
    if isinstance(expr, sympy.Abs):
        x = args[0]
        if x.a >= 0:
            return x
        if x.b <= 0:
            return -x
        return ctx.mpf([0, max(-x.a, x.b)])
    if isinstance(expr, (sympy.Max, sympy.Min)):
        pick = max if isinstance(expr, sympy.Max) else min
        return ctx.mpf([pick(x.a for x in args), pick(x.b for x in args)])
    raise Undefined(f"cannot evaluate {type(expr).__name__}")


def _interval_power(expr, args, ctx):
    base, exponent = args
    if expr.exp.is_Integer:
        if abs(int(expr.exp)) > 10 ** 4:
            raise Undefined("power too large")
        return base ** int(expr.exp)
    if base.a <= 0:
        raise Undefined("fractional power of a number that is not positive")
    magnitude = exponent * ctx.log(base)
    if magnitude.b > MAX_EXP_ARGUMENT:
        raise Undefined("overflow")
    return ctx.exp(magnitude)


def array_values(expr: sympy.Expr, columns: dict):
    """Vectorised float64 values of `expr`; `columns` maps each symbol to a NumPy array."""
    import numpy as np
    with np.errstate(all="ignore"):
        return _array(expr, columns, np)


def _array(expr, columns, np):
    if expr.is_Symbol:
        return columns[expr]
    if expr.is_Number or expr in (sympy.E, sympy.pi):
        return np.float64(float(expr))
    args = [_array(arg, columns, np) for arg in expr.args]
    if expr.is_Add:
        return sum(args[1:], args[0])
    if expr.is_Mul:
        return math.prod(args[1:], start=args[0])
    if expr.is_Pow:
        return np.power(np.asarray(args[0], dtype=float), args[1])
    simple = {sympy.exp: np.exp, sympy.log: np.log, sympy.Abs: np.abs}
    for kind, function in simple.items():
        if isinstance(expr, kind):
            return function(args[0])
    if isinstance(expr, sympy.Max):
        return np.maximum.reduce(np.broadcast_arrays(*args))
    if isinstance(expr, sympy.Min):
        return np.minimum.reduce(np.broadcast_arrays(*args))
    raise Undefined(f"cannot evaluate {type(expr).__name__}")
