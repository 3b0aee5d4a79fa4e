"""A sound judge for multivariate big-O answers, where every variable grows independently.

SymPy's `Order` is unsound here (it says `O(N D L)` contains `N L M`). Instead an answer becomes a sum of
monomials `c * prod v^p (log v)^l`: products are distributed; `(a + b)^p` for p > 0 becomes `a^p + b^p`
(same growth class for positive terms); `log(...)` of a positive polynomial becomes the sum of `log v` over
its growing variables; `max(a, b)` becomes `a + b`; constants are monomials with no variables.
One monomial is O(another) when, variable by variable, `(p, l)` is lexicographically no larger. The class
of a sum is the antichain of its non-dominated monomials; a monomial is O(a sum) when a convex combination
of the sum's monomials dominates it (weighted AM-GM), decided by small LPs with SciPy's HiGHS, handling
logs lexicographically (exact, no epsilon).

Verdicts: same class (passed); `missing-term` (tighter than the truth, names the missing terms);
`not-tight` (names the terms that grow too fast); `incomparable` (both). Forms outside this class
(`2^N`, `exp(N)`, `1/(N + D)`, `log log N`, or a negative term such as `- N D` in `N^2 - N D` that no
single positive term dominates, so the sign is unknown) are *unsupported*: the verdict is MANUAL (note
`unsupported-form`), flagged for a person and never marked wrong, because the limitation is the
checker's, not necessarily the student's; the message says which forms are understood.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Sequence

import sympy

from graders.model import Status, Verdict

from .equivalent import apply_rules, parse_rules
from .parse import parse_expression, to_latex
from .verdicts import guarded, read_answer
from .vocabulary import Vocabulary

__all__ = ["big_o", "Monomial", "growth_class", "contained", "Unsupported"]

Judge = Callable[[Any], Verdict]
MAX_TERMS = 400
_SUPPORTED = ("sums of products of powers of the variables and of their logarithms, such as "
              "O(N D L + N L M) or O(N log N)")


class Unsupported(ValueError):
    """A bound outside the sums-of-monomials class this checker decides."""


@dataclass(frozen=True, order=True)
class Monomial:
    """prod v^p (log v)^l, as sorted (variable, p, l) with (p, l) != (0, 0)."""
    powers: tuple[tuple[str, Fraction, Fraction], ...] = ()

    def exponent(self, variable: str) -> tuple[Fraction, Fraction]:
        for name, p, l in self.powers:
            if name == variable:
                return p, l
        return Fraction(0), Fraction(0)

    def variables(self) -> set[str]:
        return {name for name, _, _ in self.powers}

    def times(self, other: "Monomial") -> "Monomial":
        return _monomial({v: _add(self.exponent(v), other.exponent(v)) for v in self.variables() | other.variables()})

    def power(self, k: Fraction) -> "Monomial":
        return _monomial({v: (p * k, l * k) for v, p, l in self.powers})

    def dominated_by(self, other: "Monomial") -> bool:
        return all(self.exponent(v) <= other.exponent(v) for v in self.variables() | other.variables())

    def describe(self, order: Sequence[str] = ()) -> str:
        rank = {name: i for i, name in enumerate(order)}
        parts = []
        for name, p, l in sorted(self.powers, key=lambda e: (rank.get(e[0], len(rank)), e[0])):
            if p:
                parts.append(name if p == 1 else f"{name}^{_fraction_text(p)}")
            if l:
                parts.append(f"log {name}" if l == 1 else f"(log {name})^{_fraction_text(l)}")
        return " ".join(parts) or "1"


def _add(a, b):
    return a[0] + b[0], a[1] + b[1]


def _monomial(exponents: dict[str, tuple[Fraction, Fraction]]) -> Monomial:
    return Monomial(tuple(sorted((v, p, l) for v, (p, l) in exponents.items() if p or l)))


def _fraction_text(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{float(value):g}"


ONE = Monomial()


def _terms(expr: sympy.Expr) -> list[tuple[sympy.Expr, Monomial]]:
    """expr as a list of (numeric coefficient, monomial), before like terms are combined."""
    if expr.is_number:
        return [(expr, ONE)]
    if expr.is_Symbol:
        return [(sympy.Integer(1), Monomial(((expr.name, Fraction(1), Fraction(0)),)))]
    if expr.is_Add:
        return [term for arg in expr.args for term in _terms(arg)]
    if expr.is_Mul:
        result = [(sympy.Integer(1), ONE)]
        for arg in expr.args:
            factor = _terms(arg)
            if len(result) * len(factor) > MAX_TERMS:
                raise Unsupported("the product has too many terms")
            result = [(c * d, m.times(n)) for c, m in result for d, n in factor]
        return result
    if expr.is_Pow:
        return _power_terms(expr)
    if isinstance(expr, sympy.log):
        return _log_terms(expr.args[0])
    if isinstance(expr, sympy.Max):
        return [(sympy.Integer(1), m) for arg in expr.args for m in growth_class(arg)]
    if isinstance(expr, sympy.Abs):
        return _terms(expr.args[0])
    raise Unsupported(f"{type(expr).__name__} is not a power, logarithm or product")


def _power_terms(expr: sympy.Pow) -> list[tuple[sympy.Expr, Monomial]]:
    if not expr.exp.is_Rational:
        raise Unsupported("exponential growth (a variable in an exponent)")
    k = Fraction(int(expr.exp.p), int(expr.exp.q))
    base = _terms(expr.base)
    if len(base) == 1:
        coefficient, monomial = base[0]
        if coefficient.is_negative and k.denominator != 1:
            raise Unsupported("a fractional power of a negative quantity")
        return [(coefficient ** expr.exp, monomial.power(k))]
    if k <= 0:
        raise Unsupported("a sum in a denominator or under a negative power")
    return [(sympy.Integer(1), m.power(k)) for m in _antichain(_combine(base))]


def _log_terms(argument: sympy.Expr) -> list[tuple[sympy.Expr, Monomial]]:
    if argument.is_number:
        return [(sympy.log(argument), ONE)]
    growing: set[str] = set()
    for monomial in _antichain(_combine(_terms(argument))):
        if any(p < 0 for _, p, _ in monomial.powers) or any(l for _, _, l in monomial.powers):
            raise Unsupported("the logarithm of a ratio or of a logarithm")
        growing |= monomial.variables()
    return [(sympy.Integer(1), Monomial(((v, Fraction(0), Fraction(1)),))) for v in sorted(growing)]


def _combine(terms, order: Sequence[str] = ()) -> list[tuple[sympy.Expr, Monomial]]:
    """Like terms added; zero terms dropped; every negative term must be strictly dominated by a positive one."""
    totals: dict[Monomial, sympy.Expr] = {}
    for coefficient, monomial in terms:
        totals[monomial] = totals.get(monomial, sympy.Integer(0)) + coefficient
    combined = [(c, m) for m, c in totals.items() if not c.is_zero]
    positive = [m for c, m in combined if c.is_positive]
    if not positive:
        raise Unsupported("the bound is not positive")
    for c, m in combined:
        if not c.is_positive and not any(m.dominated_by(p) and m != p for p in positive):
            raise Unsupported(f"no single positive term dominates the negative term - {m.describe(order)}, "
                              "so the sign is unknown")
    return combined


def _antichain(combined) -> list[Monomial]:
    positive = sorted({m for c, m in combined if c.is_positive})
    return [m for m in positive if not any(m != n and m.dominated_by(n) for n in positive)]


def growth_class(expr: sympy.Expr, order: Sequence[str] = ()) -> list[Monomial]:
    """The antichain of non-dominated monomials of a bound. Raises Unsupported."""
    return _antichain(_combine(_terms(expr), order))


def contained(monomial: Monomial, bound: Sequence[Monomial]) -> bool:
    """Is `monomial` O(sum of `bound`) with all variables growing independently?"""
    if any(monomial.dominated_by(b) for b in bound):
        return True
    variables = sorted(set().union(monomial.variables(), *(b.variables() for b in bound)))
    powers = [[float(b.exponent(v)[0]) for b in bound] for v in variables]
    logs = [[float(b.exponent(v)[1]) for b in bound] for v in variables]
    target = {v: tuple(float(x) for x in monomial.exponent(v)) for v in variables}
    ge_rows, ge_rhs = list(powers), [target[v][0] for v in variables]
    eq_rows, eq_rhs = [[1.0] * len(bound)], [1.0]
    tight: set[str] = set()
    while True:
        if _linprog(ge_rows, ge_rhs, eq_rows, eq_rhs, None) is None:
            return False
        newly = {v for i, v in enumerate(variables) if v not in tight
                 and _linprog(ge_rows, ge_rhs, eq_rows, eq_rhs, powers[i]) - target[v][0] <= 1e-9}
        if not newly:
            return True                  # every loose variable can be strict at once (average the solutions)
        for v in newly:                  # forced equal in the power of v: its log power must then dominate
            i = variables.index(v)
            eq_rows.append(powers[i])
            eq_rhs.append(target[v][0])
            ge_rows.append(logs[i])
            ge_rhs.append(target[v][1])
        tight |= newly


def _linprog(ge_rows, ge_rhs, eq_rows, eq_rhs, maximise):
    """max maximise . x (or feasibility) over x >= 0 with the constraints; None when infeasible."""
    from scipy.optimize import linprog                           # lazy: SciPy's import is slow
    n = len(eq_rows[0])
    result = linprog(c=[-x for x in maximise] if maximise is not None else [0.0] * n,
                     A_ub=[[-x for x in row] for row in ge_rows], b_ub=[-x for x in ge_rhs],
                     A_eq=eq_rows, b_eq=eq_rhs, bounds=[(0, None)] * n, method="highs")
    if result.status != 0:
        return None
    return -result.fun if maximise is not None else 0.0


def big_o(reference: str, vocabulary: Vocabulary, *, substitutions: Sequence[str] = ()) -> Judge:
    """`big_o("N D D_random + N D_random M", costs, substitutions=["L = 2 D_random"])`:
    the answer may be wrapped in O(...), \\mathcal{O}(...), \\Theta(...) or not at all."""
    rules = parse_rules(substitutions, vocabulary)
    shown_reference = parse_expression(reference, vocabulary, big_o=True)
    expected = growth_class(apply_rules(shown_reference, rules))
    order = [n.name for n in vocabulary.names]
    reference_latex = rf"O\left({to_latex(shown_reference, vocabulary)}\right)"

    def judge(raw: Any) -> Verdict:
        answer = read_answer(raw, vocabulary, big_o=True)
        if isinstance(answer, Verdict):
            return answer
        evidence = {"reference_latex": reference_latex, "as_read": answer.as_read()}
        if len(answer.clauses) > 1 or set(answer.relations) - {"="}:
            return Verdict.invalid("Write only the bound, such as O(N^2 D), without '<' or several conditions.",
                                   **evidence)
        last = answer.sides[-1]                                  # O(a) = O(b): the last form is the answer
        evidence["answer_latex"] = rf"O\left({to_latex(last, vocabulary)}\right)"
        try:
            classes = [growth_class(apply_rules(side, rules), order) for side in answer.sides]
        except Unsupported as why:
            return Verdict(Status.MANUAL, None, f"This bound could not be checked automatically ({why}); it is "
                           f"flagged for review. The checker understands {_SUPPORTED}.", "unsupported-form",
                           evidence)
        verdict = _compare(classes[-1], expected, order, evidence)
        differing = [side for side, got in zip(answer.sides, classes)
                     if _compare(got, classes[-1], order, {}).status is not Status.PASSED]
        if verdict.status is Status.PASSED and differing:
            return Verdict.failed(f"The last bound of your chain is right, but O({to_latex(differing[0], vocabulary)}) "
                                  "earlier in it is a different bound: every '=' must hold.", "chain-not-equal",
                                  **evidence)
        return verdict

    return guarded(judge)


def _compare(got: list[Monomial], expected: list[Monomial], order, evidence) -> Verdict:
    if got == expected:
        return Verdict.passed(**evidence)
    extra = [m for m in got if not contained(m, expected)]
    missing = [m for m in expected if not contained(m, got)]
    names = lambda ms: ", ".join(m.describe(order) for m in ms)
    if not extra and not missing:
        return Verdict.passed(**evidence)
    hint = {"answer_hint": f"It misses {names(missing)}."} if missing else {}     # shown once released
    if not extra:
        return Verdict.failed("Your bound is too small: it misses a term that can dominate the cost.", "missing-term",
                              **evidence, **hint)
    if not missing:
        return Verdict.failed(f"Your bound is not tight: {names(extra)} {_grow(extra)} faster than the cost.",
                              "not-tight", **evidence)
    return Verdict.failed(f"Your bound is not comparable with the cost: {names(extra)} {_grow(extra)} faster "
                          "than it, and it misses a term that can dominate the cost.", "incomparable", **evidence, **hint)


def _grow(terms) -> str:
    return "grows" if len(terms) == 1 else "grow"
