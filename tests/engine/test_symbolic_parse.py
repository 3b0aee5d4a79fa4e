"""Parsing answers: every homework spelling reads the same, the known silent misparses cannot happen, and
invalid answers say what to fix and where."""
from __future__ import annotations

import re

import pytest
import sympy

from graders.symbolic import Name, Vocabulary
from graders.suites.kernel_attention import KERNEL_ATTENTION
from graders.suites.triplet_loss_answers import TRIPLET_LOSS
from graders.symbolic.parse import AnswerError, parse_answer, parse_expression

K = KERNEL_ATTENTION
N, D, M, L, D_random, c_phi, sigma, q_sq, k_sq, qk = (K.symbol(n) for n in (
    "N", "D", "M", "L", "D_random", "c_phi", "sigma", "q_sq", "k_sq", "qk"))

SPELLINGS = [
    (r"\exp\left(\frac{\|q\|^2}{2\sigma^2}\right)", sympy.exp(q_sq / (2 * sigma**2))),
    ("exp(q_sq/(2*sigma^2))", sympy.exp(q_sq / (2 * sigma**2))),
    ("exp(||q||^2 / (2 sqrt(D)))", sympy.exp(q_sq / (2 * sympy.sqrt(D)))),
    (r"e^{\frac{\|k\|^2}{2\sigma^2}}", sympy.exp(k_sq / (2 * sigma**2))),
    ("e^(k_sq/(2 sigma**2))", sympy.exp(k_sq / (2 * sigma**2))),
    (r"\lVert q\rVert^2", q_sq),
    ("|q|^2", q_sq),
    (r"\left\|q\right\|_2^{2}", q_sq),
    ("q^T q", q_sq),
    ("q k^T", qk),
    ("q^T k", qk),
    (r"q \cdot k", qk),
    (r"q k^\top", qk),
    (r"\frac{q k^{T}}{\sqrt{D}}", qk / sympy.sqrt(D)),
    ("D_random", D_random),
    ("D_{random}", D_random),
    (r"D_{\text{random}}", D_random),
    (r"D_{\mathrm{random}}", D_random),
    ("D_r", D_random),
    (r"c_\phi", c_phi),
    ("c_{phi}", c_phi),
    ("σ²", sigma**2),
    ("sigma_sq", sigma**2),
    (r"\sqrt D", sympy.sqrt(D)),
    (r"\sqrt[4]{D}", D**sympy.Rational(1, 4)),
    (r"D^{\frac{1}{4}}", D**sympy.Rational(1, 4)),
    ("D^(1/4)", D**sympy.Rational(1, 4)),
    ("D**0.25", D**sympy.Rational(1, 4)),
    (r"N D_{random}(D+M)", N * D_random * (D + M)),
    ("ND_random(D+M)", N * D_random * (D + M)),
    ("3NDL+2NLM+N+7", 3 * N * D * L + 2 * N * L * M + N + 7),
    ("N log N", N * sympy.log(N)),
    (r"N \log N", N * sympy.log(N)),
    ("N log^2 N", N * sympy.log(N) ** 2),
    ("N^1.5 D^1.5", (N * D) ** sympy.Rational(3, 2)),
    (r"\left[N + D\right]^2", (N + D) ** 2),
    ("max(D, M)", sympy.Max(D, M)),
    (r"\max(D, M)", sympy.Max(D, M)),
    ("$\\sqrt{D}$", sympy.sqrt(D)),
    ("2.5e-1 N", N / 4),
    (r"N \cdot D \times M", N * D * M),
    (r"\frac12 \sqrt{D}", sympy.sqrt(D) / 2),
    (r"\frac1N", 1 / N),
]


@pytest.mark.parametrize("text, expected", SPELLINGS, ids=[s for s, _ in SPELLINGS])
def test_every_spelling_reads_the_same(text, expected):
    assert parse_expression(text, K) == expected


def test_mathcal_o_is_a_wrapper_not_a_product():
    parsed = parse_expression(r"\mathcal{O}(N^2 D)", K, big_o=True)
    assert parsed == N**2 * D
    assert parsed.free_symbols == {N, D}


def test_n_and_o_are_plain_symbols_not_sympy_functions():
    parsed = parse_expression("N D L + N L M", K)
    assert parsed == N * D * L + N * L * M
    assert all(isinstance(s, sympy.Symbol) and s.is_positive for s in parsed.free_symbols)
    assert parse_expression("O(N D L + N L M)", K, big_o=True) == parsed


def test_a_latex_name_before_brackets_is_a_product_not_a_function_call():
    parsed = parse_expression(r"D_{random}(D+M)", K)
    assert parsed == D_random * (D + M)
    assert not parsed.atoms(sympy.Function)


def test_wrappers_only_exist_in_big_o_answers():
    with pytest.raises(AnswerError, match="Unknown name 'O'"):
        parse_answer("O(N)", K)
    with pytest.raises(AnswerError, match=r"\\mathcal"):
        parse_answer(r"\mathcal{O}(N)", K)


def test_chains_of_relations_are_split_at_the_top_level():
    answer = parse_answer(r"d_{ap} < d_{an} < d_{ap} + \alpha", TRIPLET_LOSS)
    d_ap, d_an, alpha = (TRIPLET_LOSS.symbol(n) for n in ("d_ap", "d_an", "alpha"))
    assert answer.sides == (d_ap, d_an, d_ap + alpha)
    assert answer.relations == ("<", "<")
    assert parse_answer(r"\sigma^2=\sqrt{D}", K).relations == ("=",)
    assert parse_answer(r"d_ap \le d_an", TRIPLET_LOSS).relations == ("<=",)


@pytest.mark.parametrize("text, message, column", [
    ("exp(x)", "Unknown name 'x'", 4),
    ("exec('x')", "Unknown name 'exec'", 0),
    (r"\beta N", r"'\beta' is not allowed", 0),
    ("N_1", "Unexpected subscript", 1),
    ("N/2 D", "Ambiguous", 4),
    (r"\|q\|^2 / 2\sigma^2", "Ambiguous", 11),
    ("sqrt(D", "never closed", 4),
    ("N)", "no matching opening", 1),
    ("N^{2", "never closed", 2),
    (r"\sigma^23", "multi-digit", 7),
    (r"\frac123", "Unclear", 5),
    ("N != D", "'!='", 2),
    ("N!", "Factorials", 1),
    ("N <", "missing after", 3),
])
def test_invalid_answers_say_what_to_fix_and_where(text, message, column):
    with pytest.raises(AnswerError) as caught:
        parse_answer(text, K)
    assert message in caught.value.message
    assert caught.value.position == column
    if column is not None:
        assert caught.value.caret().splitlines()[1] == " " * column + "^"


def test_unknown_names_list_the_allowed_names():
    with pytest.raises(AnswerError) as caught:
        parse_answer("D_rnd", K)
    assert "D_random (also D_{random}, D_{\\text{random}})" in caught.value.message
    assert "c_phi" in caught.value.message


def test_limits_on_size():
    with pytest.raises(AnswerError, match="longer than 500"):
        parse_answer("N+" * 300, K)
    with pytest.raises(AnswerError, match="nested more than"):
        parse_answer("(" * 40 + "N" + ")" * 40, K)


def test_vocabulary_declares_names_aliases_and_shorthands():
    vocabulary = Vocabulary.of("x", Name("y_0", aliases=("y_{0}", r"\upsilon")), Name("x2", stands_for=("x", 2)))
    assert parse_expression(r"\upsilon + y_{0} + x2", vocabulary) == 2 * vocabulary.symbol("y_0") + \
        vocabulary.symbol("x") ** 2
    with pytest.raises(ValueError, match="duplicate"):
        Vocabulary.of("x", "x")
    with pytest.raises(ValueError, match="not declared"):
        Vocabulary.of(Name("x2", stands_for=("x", 2)))


def test_reference_errors_surface_when_the_suite_is_built():
    with pytest.raises(ValueError, match="cannot parse"):
        parse_expression("sqrt(x)", K)


def _random_expression(rng, depth: int) -> sympy.Expr:
    leaves = [N, D, M, D_random, c_phi, sigma, q_sq, k_sq, qk, sympy.Integer(rng.randint(1, 9)),
              sympy.Rational(rng.randint(1, 9), rng.randint(2, 9))]
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(leaves)
    a, b = _random_expression(rng, depth - 1), _random_expression(rng, depth - 1)
    return rng.choice([
        lambda: a + b, lambda: a - b, lambda: a * b, lambda: a / b,
        lambda: a ** sympy.Rational(rng.choice([-2, -1, 2, 3, 1]), rng.choice([1, 2, 3, 4])),
        lambda: sympy.exp(a), lambda: sympy.log(a), lambda: sympy.sqrt(a)])()


@pytest.mark.parametrize("seed", range(150))
def test_sympys_own_printouts_read_back_unchanged(seed):
    """Round trip on random expressions: SymPy's LaTeX (with the vocabulary's spellings) and its plain text."""
    import random
    expr = _random_expression(random.Random(seed), depth=3)
    as_latex = sympy.latex(expr, symbol_names=K.latex_names())
    as_text = re.sub(r"\bE\b", "e", sympy.sstr(expr))          # SymPy prints Euler's number as E
    assert parse_expression(as_latex, K) == expr, as_latex
    assert parse_expression(as_text, K) == expr, as_text
