"""The layered equivalence decision: structural, numeric with intervals, symbolic in a child process."""
from __future__ import annotations

import sympy

from graders.model import Status
from graders.symbolic import expression
from graders.suites.kernel_attention import KERNEL_ATTENTION
from graders.symbolic import confirm
from graders.symbolic.evaluate import Outcome, compare_numerically, sample_points
from graders.symbolic.parse import parse_expression

K = KERNEL_ATTENTION
POINTS = sample_points(K.symbols.values())


def expr(text: str) -> sympy.Expr:
    return parse_expression(text, K)


def test_points_are_seeded_log_uniform_and_never_integers():
    assert sample_points(K.symbols.values()) == POINTS
    values = [v for point in POINTS for v in point.values()]
    assert all(0.5 <= v <= 20.1 and v != int(v) for v in values)
    assert sample_points(K.symbols.values(), seed=1) != POINTS


def test_numeric_layer_decides_common_cases():
    assert compare_numerically(expr("exp(q_sq/(2 D^(1/2)))"), expr("sqrt(exp(q_sq/sqrt(D)))"),
                               POINTS).outcome is Outcome.EQUAL
    assert compare_numerically(expr("sqrt(D) + 10^(-20)"), expr("sqrt(D)"), POINTS).outcome is Outcome.UNEQUAL


def test_cancellation_is_undecided_numerically_never_wrong():
    tricky = expr("log(exp(300 N) + 1) - 300 N")
    assert compare_numerically(tricky, expr("log(1 + exp(-300 N))"), POINTS).outcome is Outcome.UNDECIDED


def test_child_process_confirms_what_numbers_cannot(monkeypatch):
    monkeypatch.setattr(confirm, "TIMEOUT_S", 30.0)          # the logic is tested here, not the budget
    judge = expression("log(1 + exp(-300 N))", K)
    assert judge("log(exp(300 N) + 1) - 300 N").status is Status.PASSED
    assert judge("log(exp(300 N) + 2) - 300 N").status is Status.FAILED


def test_a_child_out_of_time_means_undecided(monkeypatch):
    monkeypatch.setattr(confirm, "TIMEOUT_S", 0.01)
    judge = expression("log(1 + exp(-300 N))", K)
    verdict = judge("log(exp(300 N) + 1) - 300 N")
    assert verdict.status is Status.MANUAL
    assert verdict.fraction is None and verdict.note == "undecided"


def test_positive_symbols_make_roots_of_powers_simple():
    judge = expression("D", K)
    assert judge("sqrt(D^2)").status is Status.PASSED
    assert judge("(D^(1/4))^4").status is Status.PASSED
    assert judge("exp(log(D))").status is Status.PASSED


def test_an_equation_that_needs_solving_goes_to_the_child(monkeypatch):
    monkeypatch.setattr(confirm, "TIMEOUT_S", 30.0)
    from graders.symbolic import equation
    judge = equation("sqrt(D)", "sigma^2", K)
    assert judge("sigma^2 + sigma^2 = 2 sqrt(D)").status is Status.PASSED      # isolated in process
    assert judge("(sigma^2 - sqrt(D))^3 = 0").status is Status.PASSED           # solved in the child
    ambiguous = judge("(sigma^2 - sqrt(D)) (sigma^2 - D) = 0")
    assert ambiguous.status is Status.MANUAL and ambiguous.note == "not-unique"
