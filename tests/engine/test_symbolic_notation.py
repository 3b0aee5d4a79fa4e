"""Issue 11: the reader is one tokenizer and one grammar for LaTeX and plain math. A differential test reads
each regression case in LaTeX and in plain text and must get the same tree; every example of the issue's
"What went wrong" is pinned here, with the normalisation steps it names in the "as read" evidence."""
from __future__ import annotations

import pytest

from graders.model import Status
from graders.suites.kernel_attention import causal_cost_checks, decomposition_checks
from graders.suites.triplet_loss_answers import ANSWER_CHECKS, SEMI_HARD_CONDITION, model_cost_checks
from graders.suites.kernel_attention import GAUSSIAN_DECOMPOSITION, KERNEL_ATTENTION, KERNEL_COSTS
from graders.suites.triplet_loss_answers import TRIPLET_LOSS
from graders.symbolic.parse import AnswerError, parse_answer

K, T = KERNEL_ATTENTION, TRIPLET_LOSS

# (LaTeX as written by people and chat models, the same in plain text, vocabulary, big_o)
PAIRS = [
    (r"\exp\left(\frac{\|q_i\|^2}{2\sigma^2}\right)", "exp(q_sq/(2*sigma^2))", K, False),
    (r"\exp\left(\frac{q_i q_i^T}{2\sqrt{D}}\right)", "exp(q_sq/(2*sqrt(D)))", K, False),
    (r"\exp\left(\frac{\|k_j\|^2}{2\sigma^2}\right)", "exp(||k||^2/(2 sigma^2))", K, False),
    (r"\exp\left(\frac{k_j k_j^\top}{2\sigma^2}\right)", "exp(k_sq/(2 sigma^2))", K, False),
    (r"\|\mathbf{q}\|^2", "q_sq", K, False),
    (r"\|q\|^2_2", "||q||^2", K, False),
    (r"\frac12 \sqrt{D}", "sqrt(D)/2", K, False),
    (r"D^{\frac{1}{4}}", "D^(1/4)", K, False),
    (r"\sqrt[4]{D}", "D**0.25", K, False),
    (r"\sigma^2 = D^{1/2} = \sqrt{D}", "sigma^2 = D^(1/2) = sqrt(D)", K, False),
    (r"\sigma^2 := \sqrt{D}", "sigma^2 := sqrt(D)", K, False),
    (r"f(q) = \exp\left(\frac{\|q\|^2}{2\sigma^2}\right)", "f(q) = exp(q_sq/(2 sigma^2))", K, False),
    (r"\mathcal{O}(N D D_{\text{rand}} + N D_{\text{rand}} M)", "O(N D D_rand + N D_rand M)", KERNEL_COSTS, True),
    (r"\text{cost} = \mathcal{O}\left(N D_{random}(D + M)\right)", "cost = O(N D_random (D + M))", KERNEL_COSTS, True),
    (r"O(N L D) = \mathcal{O}(N D_r D)", "O(N L D) = O(N D_r D)", KERNEL_COSTS, True),
    (r"N \log N \, D D_{random}", "N log(N) D D_random", KERNEL_COSTS, True),
    (r"N \log ND", "N log(N D)", KERNEL_COSTS, True),
    (r"N \log_2 N", "N log(N)/log(2)", KERNEL_COSTS, True),
    (r"d_{an} > d_{ap} \qquad d_{an} < d_{ap} + \alpha", "d_an > d_ap and d_an < d_ap + alpha", T, False),
    (r"d_{an} > d_{ap} \quad\text{and}\quad d_{an} < d_{ap} + \alpha", "d_an > d_ap, d_an < d_ap + alpha", T, False),
    (r"d_{ap} \;<\; d_{an} \;<\; d_{ap} + \alpha", "d_ap < d_an < d_ap + alpha", T, False),
    (r"d_{an} \in (d_{ap}, d_{ap}+\alpha)", "d_ap < d_an < d_ap + alpha", T, False),
    (r"d_{an} \in [d_{ap}, d_{ap}+\alpha)", "d_ap <= d_an < d_ap + alpha", T, False),
    (r"\|f(x_i^a)-f(x_i^p)\|_2^2 < \|f(x_i^a)-f(x_i^n)\|_2^2", "d_ap < d_an", T, False),
    (r"d_{ap} < d_{an} < d_{ap} + \alpha.", "`d_ap < d_an < d_ap + alpha`", T, False),
]


@pytest.mark.parametrize("latex, plain, vocabulary, big_o", PAIRS, ids=[p[0][:40] for p in PAIRS])
def test_latex_and_plain_text_give_the_same_tree(latex, plain, vocabulary, big_o):
    from_latex = parse_answer(latex, vocabulary, big_o=big_o)
    from_plain = parse_answer(plain, vocabulary, big_o=big_o)
    assert from_latex.is_latex and not from_plain.is_latex
    assert from_latex.clauses == from_plain.clauses


def test_the_regression_table_reads_the_same_in_both_notations():
    """Every LaTeX answer of the table that can be read, printed back as plain text, reads to the same tree."""
    import re
    from pathlib import Path

    import sympy
    import yaml

    cases = yaml.safe_load(Path(__file__).with_name("symbolic_cases.yaml").read_text())
    vocabularies = {"sigma_sq": (GAUSSIAN_DECOMPOSITION, False), "query_factor": (GAUSSIAN_DECOMPOSITION, False),
                    "key_factor": (GAUSSIAN_DECOMPOSITION, False), "attention_cost": (KERNEL_COSTS, True),
                    "causal_cost": (KERNEL_COSTS, True), "semi_hard_definition": (T, False)}
    compared = 0
    for case in cases:
        vocabulary, big_o = vocabularies.get(case["judge"], (None, False))
        if vocabulary is None or not isinstance(case["answer"], str) or "\\" not in case["answer"]:
            continue
        try:
            read = parse_answer(case["answer"], vocabulary, big_o=big_o)
        except AnswerError:
            continue
        plain = " and ".join(_plain(clause, sympy) for clause in read.clauses)
        again = parse_answer(plain, vocabulary, big_o=big_o)
        assert not again.is_latex and again.clauses == read.clauses, (case["answer"], plain)
        compared += 1
    assert compared >= 130


def _plain(clause, sympy) -> str:
    import re
    text = lambda side: re.sub(r"\bE\b", "e", sympy.sstr(side)).replace("Max(", "max(").replace("Min(", "min(")
    pieces = [text(clause.sides[0])]
    for relation, side in zip(clause.relations, clause.sides[1:]):
        pieces += [relation, text(side)]
    return " ".join(pieces)


# ------------------------------------------------------------------------------------------ the examples
SIGMA_SQ, QUERY_FACTOR, KEY_FACTOR = (check.judge for check in decomposition_checks)


def test_the_homework_notation_is_read_and_named_in_the_evidence():
    verdict = QUERY_FACTOR(r"\exp\left(\frac{\|q_i\|^2}{2\sigma^2}\right)")
    assert verdict.status is Status.PASSED
    assert "index-subscripts" in verdict.evidence["as_read"]["steps"]
    bold = QUERY_FACTOR(r"\exp\left(\frac{\|\mathbf{q}\|^2}{2\sigma^2}\right)")
    assert bold.status is Status.PASSED and bold.evidence["as_read"]["steps"] == ["font-commands"]
    assert KEY_FACTOR(r"\exp\left(\frac{k_j k_j^\top}{2\sigma^2}\right)").status is Status.PASSED


def test_a_norm_around_something_else_says_so_instead_of_blaming_the_bars():
    verdict = QUERY_FACTOR(r"\exp\left(\frac{\|W q\|^2}{2\sigma^2}\right)")
    assert verdict.status is Status.INVALID
    assert "norm is read only around a vector" in verdict.feedback


def test_a_refused_norm_names_the_questions_own_norms():
    """The message once named kernel_attention's \\|q\\|^2 inside a triplet_loss question."""
    verdict = SEMI_HARD_CONDITION(r"\|f(x_p) - f(x_n)\|^2 < \|f(x_a) - f(x_n)\|^2 < \|f(x_p) - f(x_n)\|^2 + \alpha")
    assert verdict.status is Status.INVALID
    assert r"\|f(x^a) - f(x^p)\|^2 (d_ap)" in verdict.feedback and r"\|q\|" not in verdict.feedback
    unknown = SEMI_HARD_CONDITION("||f(x_a) - f(x_p)|| < ||f(x_a) - f(x_n)||")       # unsquared: f is read only there
    assert unknown.status is Status.INVALID and "Unknown name 'f'" in unknown.feedback
    assert r"as in \|f(x^a) - f(x^p)\|^2 (d_ap)" in unknown.feedback
    assert r"d_ap (also d_{ap}, d_{a,p}, \|f(x^a) - f(x^p)\|^2)" in unknown.feedback
    key = decomposition_checks[2].judge(r"\exp\left(\frac{k^2}{2\sigma^2}\right)")
    assert key.status is Status.INVALID and r"as in \|k\|^2 (k_sq)" in key.feedback
    cost = causal_cost_checks[0].judge(r"O(N \|q\|^2)")
    assert cost.status is Status.INVALID and "no norms" in cost.feedback


def test_unicode_scripts_are_read_as_scripts():
    assert parse_answer("‖f(xᵃ) − f(xᵖ)‖²", T).text == "||f(x^a) - f(x^p)||^2"
    assert parse_answer("‖f(xₐ) − f(xₚ)‖₂²", T).text == "||f(x_a) - f(x_p)||_2^2"
    assert parse_answer("D⁻¹", K).text == "D^{-1}"


def test_qquad_between_conditions_is_a_conjunction_not_a_product():
    """It was silently parsed as a product and marked wrong."""
    verdict = SEMI_HARD_CONDITION(r"d_{an} > d_{ap} \qquad d_{an} < d_{ap} + \alpha")
    assert verdict.status is Status.PASSED
    assert "conjunction" in verdict.evidence["as_read"]["steps"]


def test_quad_text_and_quad_is_an_answer_not_a_missing_one():
    verdict = SEMI_HARD_CONDITION(r"d_{an} > d_{ap} \quad\text{and}\quad d_{an} < d_{ap} + \alpha")
    assert verdict.status is Status.PASSED


def test_thick_spaces_around_relations_no_longer_crash_the_checker():
    verdict = SEMI_HARD_CONDITION(r"d_{ap} \;<\; d_{an} \;<\; d_{ap} + \alpha")
    assert verdict.status is Status.PASSED and verdict.note is None


def test_interval_membership_is_a_chain():
    verdict = SEMI_HARD_CONDITION(r"d_{an} \in (d_{ap}, d_{ap}+\alpha)")
    assert verdict.status is Status.PASSED and "interval" in verdict.evidence["as_read"]["steps"]


def test_log_without_brackets_takes_only_the_factor_next_to_it():
    """`N \\log N \\, D D_{random}` is N log(N) D D_random, not N log(N D D_random)."""
    read = parse_answer(r"N \log N \, D D_{random}", KERNEL_COSTS, big_o=True)
    N, D, D_random = (KERNEL_COSTS.symbol(n) for n in ("N", "D", "D_random"))
    import sympy
    assert read.expression == N * sympy.log(N) * D * D_random


def test_labels_chains_and_punctuation_around_a_right_answer():
    assert SIGMA_SQ(r"\sigma^2 = D^{1/2} = \sqrt{D}").status is Status.PASSED
    assert SIGMA_SQ(r"\sigma^2 := \sqrt{D}").status is Status.PASSED
    labelled = QUERY_FACTOR(r"f(q) = \exp\left(\frac{\|q\|^2}{2\sigma^2}\right).")
    assert labelled.status is Status.PASSED
    assert labelled.evidence["as_read"]["steps"] == ["trailing-punctuation", "label-dropped"]
    cost = causal_cost_checks[0].judge(r"\text{cost} = O(N c_\phi + N L M) = O(N D_r (D + M))")
    assert cost.status is Status.PASSED
    assert QUERY_FACTOR("`exp(q_sq/(2*sigma^2))`").status is Status.PASSED


def test_a_wrong_answer_oddly_written_is_told_it_is_wrong():
    verdict = QUERY_FACTOR(r"\exp(\frac{\|q\|}{2\sigma^2})")
    assert verdict.status is Status.FAILED
    assert "2 \\sigma^{2}" in verdict.evidence["answer_latex"]


def test_a_chain_with_a_false_link_is_wrong_even_when_it_ends_right():
    verdict = SIGMA_SQ(r"\sigma^2 = D = \sqrt{D}")
    assert verdict.status is Status.FAILED and verdict.note == "chain-not-equal"


def test_numbers_with_remarks_and_units():
    costs = {"nn1_params": "140M parameters (22 layers)", "nn1_flops": "1.6B FLOPs",
             "resnet50_params": "25.6M", "resnet50_flops": "3.8 GFLOPs (multiply-adds)"}
    assert model_cost_checks[0].judge(costs).status is Status.PASSED
    assert model_cost_checks[2].judge(costs).status is Status.PASSED
    best, val = (check.judge for check in ANSWER_CHECKS["embedding_dimensionality"])
    assert best("128D").status is Status.PASSED


def test_feedback_shows_decimals_as_written():
    _, val = (check.judge for check in ANSWER_CHECKS["embedding_dimensionality"])
    verdict = val("86.8")
    assert verdict.status is Status.FAILED
    assert verdict.feedback.startswith("86.8 is not within 0.05") and "434/5" not in verdict.feedback
    table = ANSWER_CHECKS["training_data"][0].judge({"2.6M": 76.3, "26M": 85.1, "52M": 85.1})
    assert "no entry for 260M" in table.feedback and "/" not in table.feedback


def test_unreadable_model_costs_are_invalid_not_failed():
    verdict = model_cost_checks[2].judge({"resnet50_params": "25.6M", "resnet50_flops": "a lot"})
    assert verdict.status is Status.INVALID
    assert verdict.fraction == 0.5
    wrong = model_cost_checks[2].judge({"resnet50_params": "11M", "resnet50_flops": "a lot"})
    assert wrong.status is Status.FAILED


STEP_EXAMPLES = {
    "unicode-symbols": ("exp(‖q‖²/(2σ²))", K),
    "unicode-superscripts": ("‖f(xᵃ) − f(xᵖ)‖² < ‖f(xᵃ) − f(xⁿ)‖²", T),
    "unicode-subscripts": ("‖f(xₐ) − f(xₚ)‖₂² < ‖f(xₐ) − f(xₙ)‖₂²", T),
    "code-quotes": ("`exp(q_sq/(2 sigma^2))`", K),
    "math-delimiters": (r"$\exp(\|q\|^2/(2\sigma^2))$", K),
    "boxed": (r"\boxed{\sigma^2 = \sqrt{D}}", K),
    "trailing-punctuation": (r"\sigma^2 = \sqrt{D}.", K),
    "alignment-marks": (r"\sigma^2 &= \sqrt{D} \\", K),
    "font-commands": (r"\|\mathbf{q}\|^2", K),
    "text-subscripts": (r"D_{\text{rand}}", K),
    "index-subscripts": (r"\|q_i\|^2", K),
    "label-dropped": (r"f(q) = \|q\|^2", K),
    "conjunction": (r"d_{an} > d_{ap} \qquad d_{an} < d_{ap} + \alpha", T),
    "interval": (r"d_{an} \in (d_{ap}, d_{ap} + \alpha)", T),
    "conclusion-kept": (r"\sigma = D^{1/4} \Rightarrow \sigma^2 = \sqrt{D}", K),
    "dangling-connective": (r"d_{an} > d_{ap} \quad\text{and}", T),
    "spacing-ignored": (r"N \quad D", K),
}


def test_every_normalisation_step_is_named_where_it_fires():
    from graders.symbolic.notation import STEPS
    assert {step.name for step in STEPS} <= set(STEP_EXAMPLES)
    for name, (text, vocabulary) in STEP_EXAMPLES.items():
        assert name in parse_answer(text, vocabulary).steps, name
    assert parse_answer(r"\sigma^2 = \sqrt{D}", K).steps == ()
