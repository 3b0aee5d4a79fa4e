"""Guarded SymPy constructors: the only way a parsed answer becomes a SymPy expression.

SymPy evaluates eagerly, so `9^(9^9)` or `exp(10^99 log 2)` would hang the grader while being built. Each
constructor here refuses values that could blow up, raising `AnswerError` (an invalid answer, not a crash).
"""
from __future__ import annotations

from fractions import Fraction

import sympy

from .tokens import AnswerError

__all__ = ["number", "power", "apply_function", "FUNCTIONS"]

MAX_NUMERIC_EXPONENT = 1000
MAX_DIGITS_RESULT = 2000
MAX_ROOT_DIGITS = 60         # roots of longer integers make SymPy search for perfect powers for seconds
MAX_LOG_COEFFICIENT = 10 ** 4

FUNCTIONS = ("exp", "log", "sqrt", "max", "min")


def number(value: Fraction | int) -> sympy.Rational:
    value = Fraction(value)
    return sympy.Rational(value.numerator, value.denominator)


def power(base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
    """`base ** exponent`, refusing numeric powers that would be huge to compute."""
    if exponent.is_Number and not exponent.is_Rational:
        raise AnswerError("Only exact numbers are supported in exponents.")
    if exponent.is_Rational and abs(exponent) > MAX_NUMERIC_EXPONENT:
        raise AnswerError("A power in this answer is too large to work with.")   # (2 N)^(10^20) expands 2^(10^20)
    if exponent.is_Rational and exponent.q > MAX_NUMERIC_EXPONENT:
        raise AnswerError("Write exponents as small exact fractions, such as 1/3 or 0.25.")
    if base.is_Number and exponent.is_Number and base not in (0, 1, -1):
        digits = max(_digits(base.p), _digits(base.q))
        if abs(float(exponent)) * digits > MAX_DIGITS_RESULT or (not exponent.is_Integer and digits > MAX_ROOT_DIGITS):
            raise AnswerError("A power in this answer is too large to work with.")
    if base == 0 and exponent == 0:
        raise AnswerError("0^0 is undefined.")
    if base == 0 and exponent.is_Number and exponent < 0:
        raise AnswerError("The answer divides by zero.")
    if base.is_Number and not exponent.is_Number and _large_numbers(exponent):
        raise AnswerError("A power in this answer is too large to work with.")
    return sympy.Pow(base, exponent)


def apply_function(name: str, args: list[sympy.Expr]) -> sympy.Expr:
    """exp, log, sqrt (one argument) and max, min (two or more)."""
    if name in ("max", "min"):
        if len(args) < 2:
            raise AnswerError(f"{name}(...) needs at least two arguments.")
        return (sympy.Max if name == "max" else sympy.Min)(*args)
    if len(args) != 1:
        raise AnswerError(f"{name}(...) takes one argument.")
    (arg,) = args
    if name == "sqrt":
        return power(arg, sympy.Rational(1, 2))
    if name == "log":
        if arg == 0:
            raise AnswerError("log(0) is undefined.")
        return sympy.log(arg)
    if name == "exp":
        if arg.has(sympy.log) and _large_numbers(arg):
            raise AnswerError("A number in this exponent is too large to work with.")
        return sympy.exp(arg)
    raise AnswerError(f"Unknown function {name}.")


def _digits(n: int) -> int:
    return max(1, len(str(abs(n))))


def _large_numbers(expr: sympy.Expr) -> bool:
    return any(abs(atom) > MAX_LOG_COEFFICIENT for atom in expr.atoms(sympy.Rational))
