"""Judges for expressions and equations: is the student's expression the reference, in any notation?

Layered decision (three outcomes, undecided is never marked wrong):
1. structural fast path: after declared substitutions, `answer - reference` cancels to 0 on construction;
2. numeric: 12 seeded log-uniform points, 50-digit interval arithmetic (`evaluate`);
3. only when 2 is undecided: `simplify` in a child process with a 2 s budget (`confirm`).
A wrong answer is then matched against the declared distractors (same engine), else diagnosed (`diagnose`).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, Sequence

import sympy

from graders.model import Status, Verdict

from . import build, confirm
from .diagnose import diagnose
from .evaluate import Comparison, Outcome, compare_numerically, sample_points
from .parse import Answer, AnswerError, parse_answer, parse_expression, to_latex
from .verdicts import Distractor, guarded, invalid, read_answer, undecided
from .vocabulary import Vocabulary

__all__ = ["expression", "equation", "Rules", "parse_rules", "isolate", "decide", "chain_breaks"]

Judge = Callable[[Any], Verdict]
Rules = tuple[tuple[sympy.Symbol, sympy.Expr], ...]


def parse_rules(substitutions: Sequence[str], vocabulary: Vocabulary) -> Rules:
    """`("sigma^2 = sqrt(D)", "L = 2 D_random")` -> ((sigma, D**(1/4)), (L, 2*D_random))."""
    rules = []
    for text in substitutions:
        answer = parse_answer(text, vocabulary)
        if answer.relations != ("=",) or not answer.sides[0].free_symbols:
            raise ValueError(f"a substitution is 'name = expression' or 'name^p = expression': {text!r}")
        lhs, rhs = answer.sides
        (symbol,) = lhs.free_symbols
        value = isolate(lhs - rhs, symbol)
        if value is None:
            raise ValueError(f"cannot solve the substitution {text!r} for {symbol}")
        rules.append((symbol, value))
    return tuple(rules)


def apply_rules(expr: sympy.Expr, rules: Rules) -> sympy.Expr:
    for _ in range(len(rules) + 1):
        updated = expr.subs(dict(rules)) if rules else expr
        if updated == expr:
            return expr
        expr = updated
    return expr


def isolate(difference: sympy.Expr, symbol: sympy.Symbol) -> sympy.Expr | None:
    """Solve `difference = 0` for a positive `symbol` when it reads `a * symbol^p + b = 0` (a, b free of it)."""
    coefficient, rest, exponent = sympy.Integer(0), sympy.Integer(0), None
    for term in sympy.Add.make_args(difference):
        if symbol not in term.free_symbols:
            rest += term
            continue
        factor, power = term.as_coeff_exponent(symbol)
        if symbol in factor.free_symbols or power == 0 or exponent not in (None, power):
            return None
        coefficient, exponent = coefficient + factor, power
    if exponent is None or coefficient == 0:
        return None
    return build.power(-rest / coefficient, 1 / exponent)


def decide(answer: sympy.Expr, reference: sympy.Expr, points) -> tuple[Outcome, Comparison | None]:
    """EQUAL, UNEQUAL or UNDECIDED, with the numeric comparison when one was made."""
    if answer == reference or (answer - reference) == 0:
        return Outcome.EQUAL, None
    comparison = compare_numerically(answer, reference, points)
    if comparison.outcome is not Outcome.UNDECIDED:
        return comparison.outcome, comparison
    return confirm.confirm_equal(answer, reference), comparison


def chain_breaks(sides, rules: Rules, points) -> list[sympy.Expr]:
    """The sides of a chain `a = b = c` (all but the last) that are provably not equal to its last side."""
    last = apply_rules(sides[-1], rules)
    return [side for side in sides[:-1] if decide(apply_rules(side, rules), last, points)[0] is Outcome.UNEQUAL]


def chain_not_equal(side: sympy.Expr, vocabulary: Vocabulary, **evidence) -> Verdict:
    return Verdict.failed(f"The last form of your chain is right, but ${to_latex(side, vocabulary)}$ earlier in the "
                          "chain is not equal to it: every '=' must hold.", "chain-not-equal", **evidence)


@dataclass(frozen=True)
class _Target:
    """What one expression judge compares against: the reference, distractors, test points."""
    reference: sympy.Expr
    shown_reference: sympy.Expr
    distractors: tuple[tuple[sympy.Expr, Distractor], ...]
    rules: Rules
    points: tuple
    vocabulary: Vocabulary
    reference_latex: str

    @classmethod
    def build(cls, reference: str, vocabulary: Vocabulary, substitutions, distractors, seed) -> "_Target":
        rules = parse_rules(substitutions, vocabulary)
        shown = parse_expression(reference, vocabulary)
        compiled = tuple((apply_rules(parse_expression(d.answer, vocabulary), rules), d) for d in distractors)
        points = tuple(sample_points(vocabulary.symbols.values(), seed=seed))
        return cls(apply_rules(shown, rules), shown, compiled, rules, points, vocabulary,
                   to_latex(shown, vocabulary))

    def judge(self, value: sympy.Expr, shown_value: sympy.Expr, answer: Answer) -> Verdict:
        evidence = {"answer_latex": to_latex(shown_value, self.vocabulary),
                    "reference_latex": self.reference_latex, "as_read": answer.as_read()}
        value = apply_rules(value, self.rules)
        outcome, comparison = decide(value, self.reference, self.points)
        if outcome is Outcome.EQUAL:
            return Verdict.passed(**evidence)
        if outcome is Outcome.UNDECIDED:
            return undecided(**evidence)
        for wrong, distractor in self.distractors:          # numbers only: a distractor never costs a child
            if value == wrong or compare_numerically(value, wrong, self.points).outcome is Outcome.EQUAL:
                return distractor.verdict(**evidence)
        if comparison is None:
            comparison = compare_numerically(value, self.reference, self.points)
        note, feedback = diagnose(value, self.reference, comparison, self.points)
        return Verdict.failed(feedback, note, **evidence)


def expression(reference: str, vocabulary: Vocabulary, *, substitutions: Sequence[str] = (),
               distractors: Sequence[Distractor] = (), seed: int = 0) -> Judge:
    """A judge for one expression, e.g. `expression("exp(q_sq/(2 sqrt(D)))", notation,
    substitutions=["sigma^2 = sqrt(D)"])`: right in any notation the substitutions connect."""
    target = _Target.build(reference, vocabulary, substitutions, distractors, seed)

    def judge(raw: Any) -> Verdict:
        answer = read_answer(raw, vocabulary)
        if isinstance(answer, Verdict):
            return answer
        if len(answer.clauses) > 1 or set(answer.relations) - {"="}:
            return invalid("Write only the expression, without inequalities or several conditions.", raw,
                           as_read=answer.as_read())
        verdict = target.judge(answer.sides[-1], answer.sides[-1], answer)     # a = b = c: the last form
        breaks = chain_breaks(answer.sides, target.rules, target.points) if verdict.status is Status.PASSED else []
        return chain_not_equal(breaks[0], vocabulary, **verdict.evidence) if breaks else verdict

    return guarded(judge)


def equation(reference: str, target: str, vocabulary: Vocabulary, *, distractors: Sequence[Distractor] = (),
             seed: int = 0) -> Judge:
    """A judge for the value of `target` (e.g. "sigma^2"), written as a value (`sqrt(D)`) or as any
    equation that determines it for a positive unknown (`sigma^2 = sqrt(D)`, `sigma = D^(1/4)`,
    `sigma^4 = D`). `reference` and distractors are values of the target."""
    target_expr = parse_expression(target, vocabulary)
    if len(target_expr.free_symbols) != 1:
        raise ValueError(f"the target {target!r} must involve exactly one symbol")
    (unknown,) = target_expr.free_symbols
    goal = _Target.build(reference, vocabulary, (), distractors, seed)
    goal = replace(goal, reference_latex=f"{to_latex(target_expr, vocabulary)} = {goal.reference_latex}")

    def judge(raw: Any) -> Verdict:
        answer = read_answer(raw, vocabulary)
        if isinstance(answer, Verdict):
            return answer
        as_read = answer.as_read()
        if answer.is_expression:
            if unknown in answer.expression.free_symbols:
                return invalid(f"Give {target} in terms of the other quantities (it cannot use {unknown}), "
                               f"or write an equation such as {target} = ...", raw, as_read=as_read)
            return goal.judge(answer.expression, answer.expression, answer)
        if len(answer.clauses) > 1 or set(answer.relations) != {"="}:
            return invalid(f"Write one equation with '=' (for example {target} = ...), or just the value.", raw,
                           as_read=as_read)
        sides = answer.sides
        if any(unknown in side.free_symbols for side in sides[1:-1]) or (
                len(sides) > 2 and unknown in sides[-1].free_symbols):
            return invalid(f"In a chain such as {target} = a = b, only the first side may use {unknown}.", raw,
                           as_read=as_read)
        difference = sides[0] - sides[-1]
        if unknown not in difference.free_symbols:
            return invalid(f"This equation does not determine {unknown}.", raw, as_read=as_read)
        try:
            value = isolate(difference, unknown)
        except AnswerError as error:
            return invalid(error.message, raw, as_read=as_read)
        shown_value = sympy.Eq(sides[0], sides[-1], evaluate=False)
        if value is not None:
            verdict = goal.judge(target_expr.subs(unknown, value), shown_value, answer)
        else:
            verdict = _solve_in_child(difference, unknown, target_expr, goal, shown_value, as_read)
        breaks = chain_breaks(sides[1:], (), goal.points) if verdict.status is Status.PASSED else []
        return chain_not_equal(breaks[0], vocabulary, **verdict.evidence) if breaks else verdict

    return guarded(judge)


def _solve_in_child(difference, unknown, target_expr, goal: _Target, shown_value, as_read) -> Verdict:
    evidence = {"answer_latex": to_latex(shown_value, goal.vocabulary), "reference_latex": goal.reference_latex,
                "as_read": as_read}
    word = confirm.solve_for(difference, unknown, target_expr, goal.reference)
    if word == "equal":
        return Verdict.passed(**evidence)
    if word == "none":
        return Verdict.failed(f"This equation has no positive solution for {unknown}.", "no-solution",
                              **evidence)
    if word == "multiple":
        return Verdict.failed(f"This equation has several positive solutions for {unknown}, none of them "
                              "the expected value.", "not-equivalent", **evidence)
    if word == "multiple-equal":
        return Verdict(Status.MANUAL, None, f"This equation has several positive solutions for {unknown}, one of "
                       "them the expected value; it is flagged for review.", "not-unique", evidence)
    if word == "unequal":
        return Verdict.failed(f"The value of {unknown} this equation gives is not the expected one.",
                              "not-equivalent", **evidence)
    return undecided(**evidence)
