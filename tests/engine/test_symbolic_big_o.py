"""Growth classes of multivariate bounds: monomials, antichains and the LP containment test."""
from __future__ import annotations

from fractions import Fraction

import pytest
import sympy

from graders.model import Status
from graders.symbolic import big_o
from graders.suites.kernel_attention import KERNEL_ATTENTION
from graders.symbolic.big_o import Monomial, Unsupported, contained, growth_class
from graders.symbolic.parse import parse_expression


def monomial(**powers) -> Monomial:
    """monomial(N=2, D=(1, 1)) is N^2 D log D."""
    entries = []
    for name, value in powers.items():
        p, l = value if isinstance(value, tuple) else (value, 0)
        entries.append((name, Fraction(p), Fraction(l)))
    return Monomial(tuple(sorted(entries)))


def growth(text: str) -> list[Monomial]:
    return growth_class(parse_expression(text, KERNEL_ATTENTION, big_o=True))


@pytest.mark.parametrize("left, right", [
    ("N L (D + M)", "N D L + N L M"),
    ("3 N D L + 2 N L M + N + 7", "N D L + N L M"),
    ("N log N + N", "N log N"),
    ("N log(N D)", "N log N + N log D"),
    ("(N + D)^2", "N^2 + D^2"),
    ("N^2 - N", "N^2"),
    ("sqrt(N^2 D^2)", "N D"),
    ("max(D, M) N", "N D + N M"),
    ("log(N^3)", "log N"),
])
def test_same_antichains(left, right):
    assert growth(left) == growth(right)


def test_antichain_keeps_only_non_dominated_terms():
    assert growth("N^2 D + N D^2 + N D + N + 1") == sorted([monomial(N=2, D=1), monomial(N=1, D=2)])


@pytest.mark.parametrize("term, bound, expected", [
    (monomial(N=1.5, D=1.5), [monomial(N=2, D=1), monomial(N=1, D=2)], True),          # AM-GM
    (monomial(N=1.5, D=1.5, L=(0, 1)), [monomial(N=2, D=1), monomial(N=1, D=2)], False),
    (monomial(N=1, D=1), [monomial(N=2), monomial(D=2)], True),
    (monomial(N=2), [monomial(N=1, D=1)], False),
    (monomial(N=(1, 1)), [monomial(N=1)], False),
    (monomial(N=1), [monomial(N=(1, 1))], True),
    (Monomial(), [monomial(N=1)], True),
    (monomial(N=1, L=1, M=1), [monomial(N=1, D=1, L=1)], False),
    (monomial(N=(1, 1), D=1), [monomial(N=2), monomial(D=2)], False),                  # N = D = t: t^2 log t
    (monomial(N=(1, 1), D=1), [monomial(N=3), monomial(D=2)], True),                   # strict in N absorbs the log
])
def test_containment(term, bound, expected):
    assert contained(term, bound) is expected


@pytest.mark.parametrize("text", ["2^N", "exp(N)", "N/(N + D)", "log(log(N))", "N^2 - N D", "-N", "log(N/D)"])
def test_unsupported_forms(text):
    with pytest.raises(Unsupported):
        growth(text)


def test_sympy_order_is_not_used_because_it_disagrees_on_logs():
    """One trap the notes measured (SymPy 1.14): Order calls N log N + N and N log N different classes."""
    N = KERNEL_ATTENTION.symbol("N")
    assert sympy.Order(N * sympy.log(N) + N, (N, sympy.oo)) != sympy.Order(N * sympy.log(N), (N, sympy.oo))
    assert growth("N log N + N") == growth("N log N")


def test_substitutions_connect_notations():
    judge = big_o("N c_phi + N L M", KERNEL_ATTENTION, substitutions=["L = 2 D_random", "c_phi = D D_random"])
    for answer in ("O(N c_phi + N L M)", "O(N D D_random + N D_random M)", "O(N L D + N D_random M)"):
        assert judge(answer).status is Status.PASSED, answer


def test_feedback_names_the_extra_terms_and_keeps_the_missing_ones_for_the_released_report():
    judge = big_o("N D D_random + N D_random M", KERNEL_ATTENTION)
    too_small = judge("O(N D D_random)")
    assert "N M D_random" not in too_small.feedback and "misses a term" in too_small.feedback
    assert too_small.evidence["answer_hint"] == "It misses N M D_random."
    assert "N^2" in judge("O(N D D_random + N D_random M + N^2)").feedback
    unsupported = judge("O(2^N)")
    assert unsupported.status is Status.MANUAL and unsupported.fraction is None
    assert "sums of products of powers" in unsupported.feedback


def test_an_unsupported_reference_is_a_suite_error():
    with pytest.raises(Unsupported):
        big_o("2^N", KERNEL_ATTENTION)
