"""The regression table of graders.symbolic (tests/engine/symbolic_cases.yaml), STACK style.

JUDGES holds the homework's own judge constructor calls, exactly as the suites should write them; every
row of the table names one of them, an answer, the expected status and (where it matters) the expected
note and credit. Every judge has right and wrong rows, so every check proves it can fail.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from graders.model import Status
from graders.symbolic import (Distractor, Option, Reading, big_o, choice, equation, expression, inequality, mapping,
                              number, number_table)
from graders.suites.kernel_attention import GAUSSIAN_DECOMPOSITION, KERNEL_ATTENTION, KERNEL_COSTS
from graders.suites.triplet_loss_answers import TRIPLET_LOSS

CASES_FILE = Path(__file__).with_name("symbolic_cases.yaml")
CASES = yaml.safe_load(CASES_FILE.read_text())

SIGMA_SQ = ["sigma^2 = sqrt(D)"]
RANDOM_FEATURES = ["L = 2 D_random", "c_phi = D D_random"]

sigma_sq = equation("sqrt(D)", "sigma^2", GAUSSIAN_DECOMPOSITION, distractors=[
    Distractor("D", "sigma-squared-is-D",
               "With sigma^2 = D, expanding ||q-k||^2/(2 sigma^2) gives the exponent q k^T / D, which is not the "
               "softmax exponent."),
    Distractor("sqrt(D)/2", "sigma-squared-half",
               "Check the factor 2 in K_Gauss = exp(-||q-k||^2/(2 sigma^2)) when matching q k^T.", fraction=0.25)])

JUDGES = {
    "sigma_sq": sigma_sq,
    "query_factor": expression("exp(q_sq/(2 sqrt(D)))", GAUSSIAN_DECOMPOSITION, substitutions=SIGMA_SQ, distractors=[
        Distractor("exp(q_sq/sigma^2)", "factor-missing-2",
                   "The exponent lacks the 1/2 of ||q-k||^2/(2 sigma^2).", fraction=0.25)]),
    "key_factor": expression("exp(k_sq/(2 sqrt(D)))", GAUSSIAN_DECOMPOSITION, substitutions=SIGMA_SQ, distractors=[
        Distractor("exp(k_sq/sigma^2)", "factor-missing-2",
                   "The exponent lacks the 1/2 of ||q-k||^2/(2 sigma^2).", fraction=0.25),
        Distractor("exp(q_sq/(2 sigma^2))", "query-key-swapped",
                   "This is the factor that depends on the query; the key factor depends on k.")]),
    "attention_cost": big_o("N D D_random + N D_random M", KERNEL_COSTS, substitutions=RANDOM_FEATURES),
    "causal_cost": big_o("N c_phi + N L M", KERNEL_COSTS, substitutions=RANDOM_FEATURES),
    "bigo_ndl_nlm": big_o("N D L + N L M", KERNEL_ATTENTION),
    "bigo_n2d_nd2": big_o("N^2 D + N D^2", KERNEL_ATTENTION),
    "bigo_nlogn": big_o("N log N", KERNEL_ATTENTION),
    "bigo_nlogn_nlogd": big_o("N log N + N log D", KERNEL_ATTENTION),
    "bigo_n2_d2": big_o("N^2 + D^2", KERNEL_ATTENTION),
    "bigo_n2": big_o("N^2", KERNEL_ATTENTION),
    "semi_hard_definition": inequality(
        "d_ap < d_an < d_ap + alpha", TRIPLET_LOSS, {"d_ap": (0.0, 2.0), "d_an": (0.0, 2.0), "alpha": (0.0, 1.0)},
        distractors=[
            Distractor("d_an < d_ap", "hard-negative",
                       "That describes hard negatives (closer than the positive); semi-hard ones are farther."),
            Distractor("d_an > d_ap", "missing-margin",
                       "Semi-hard negatives are farther than the positive but still inside the margin alpha.")]),
    "architectures": choice([
        Option("Zeiler & Fergus (NN1)", (r"zeiler", r"fergus", r"\bzf(net)?\b", r"\bnn\s*-?\s*1\b")),
        Option("Inception (NN2)", (r"inception", r"goog(le)?\s*-?\s*net", r"\bnn\s*-?\s*2\b"))]),
    "nn1_params": number(140e6, rel_tol=0.05),
    "nn1_flops": number(1.6e9, rel_tol=0.05),
    "nn2_params": number(7.5e6, rel_tol=0.05),
    "nn2_flops": number(1.6e9, rel_tol=0.05),
    "resnet50_params": number(25_557_032, rel_tol=0.01),
    "resnet50_flops": number(3.8e9, rel_tol=0.05, accepted=[
        Reading(7.6e9, "flops-counted-as-two-ops",
                "He et al. report 3.8e9 multiply-adds; 7.6e9 counts each multiply-add as two operations, "
                "which is also accepted.")]),
    "best_dimension": number(128, rel_tol=0.0),
    "best_dimension_units": number(128, rel_tol=0.0, units=("D", "dimensions", "dimensional")),
    "val": number(87.9, rel_tol=0.0, abs_tol=0.05, percent=True),
    "training_data": number_table({2.6e6: 76.3, 26e6: 85.1, 52e6: 85.1, 260e6: 86.2}, value_abs_tol=0.05),
}
JUDGES["embedding_dimensionality"] = mapping({"best_dimension": JUDGES["best_dimension"], "val": JUDGES["val"]})
JUDGES["model_costs"] = mapping({name: JUDGES[name] for name in (
    "nn1_params", "nn1_flops", "nn2_params", "nn2_flops", "resnet50_params", "resnet50_flops")})


def _case_id(case: dict) -> str:
    return f"{case['judge']}:{str(case['answer'])[:40]}"


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_regression_table(case):
    verdict = JUDGES[case["judge"]](case["answer"])
    assert verdict.status is Status(case["status"]), verdict.feedback
    if "note" in case:
        assert verdict.note == case["note"], verdict.feedback
    if "fraction" in case:
        assert verdict.fraction == pytest.approx(case["fraction"])
    if verdict.status is not Status.PASSED:
        assert verdict.feedback.strip()


def test_table_is_large_and_every_judge_can_pass_and_fail():
    assert len(CASES) > 60
    outcomes: dict[str, Counter] = {}
    for case in CASES:
        outcomes.setdefault(case["judge"], Counter())[case["status"]] += 1
    tested = set(outcomes) - {"embedding_dimensionality"}
    assert tested | {"embedding_dimensionality", "model_costs"} >= set(JUDGES)
    for name, counts in outcomes.items():
        assert counts["passed"] and (counts["failed"] or counts["invalid"]), name


def test_statuses_and_fractions_are_consistent():
    for case in CASES:
        verdict = JUDGES[case["judge"]](case["answer"])
        if verdict.status is Status.PASSED:
            assert verdict.fraction == 1.0
        elif verdict.status is Status.MANUAL:
            assert verdict.fraction is None
        else:
            assert 0.0 <= verdict.fraction < 1.0


def test_feedback_never_shows_the_reference():
    for case in CASES:
        verdict = JUDGES[case["judge"]](case["answer"])
        reference = verdict.evidence.get("reference_latex")
        if verdict.status is not Status.PASSED and reference:
            assert reference not in verdict.feedback, case


def test_math_verdicts_carry_latex_for_reports():
    verdict = JUDGES["query_factor"]("exp(q_sq/(2*sigma^2))")
    assert verdict.evidence["answer_latex"] == r"e^{\frac{{\|q\|^2}}{2 \sigma^{2}}}"
    assert verdict.evidence["reference_latex"] == r"e^{\frac{{\|q\|^2}}{2 \sqrt{D}}}"
    wrong = JUDGES["attention_cost"]("O(N^2 D)")
    assert wrong.evidence["answer_latex"].startswith(r"O\left(")


def test_judges_are_deterministic():
    first = [JUDGES[c["judge"]](c["answer"]) for c in CASES[:40]]
    second = [JUDGES[c["judge"]](c["answer"]) for c in CASES[:40]]
    assert first == second


def test_model_costs_mapping_gives_partial_credit_per_part():
    answers = {"nn1_params": "140M", "nn1_flops": "1.6B", "nn2_params": "7.5M", "nn2_flops": "1.6B",
               "resnet50_params": "25.6M", "resnet50_flops": "3.8e9"}
    assert JUDGES["model_costs"](answers).status is Status.PASSED
    verdict = JUDGES["model_costs"](dict(answers, nn1_params="140K", resnet50_flops=None))
    assert verdict.status is Status.FAILED
    assert verdict.fraction == pytest.approx(4 / 6)
    assert verdict.evidence["parts"]["nn1_params"]["note"] == "wrong-scale"
    assert verdict.evidence["parts"]["resnet50_flops"]["status"] == "missing"


def test_distractor_feedback_and_partial_credit_come_from_the_declaration():
    verdict = JUDGES["sigma_sq"]("sigma^2 = D")
    assert verdict.feedback.startswith("With sigma^2 = D")
    assert verdict.fraction == 0.0
    assert JUDGES["query_factor"]("exp(q_sq/sigma^2)").fraction == 0.25


def test_invalid_answers_name_the_allowed_names_and_point_at_the_bad_spot():
    verdict = JUDGES["query_factor"]("exp(x/(2 sigma^2))")
    assert verdict.status is Status.INVALID
    assert "Unknown name 'x'" in verdict.feedback and "q_sq" in verdict.feedback
    assert verdict.feedback.splitlines()[-2:] == ["exp(x/(2 sigma^2))", "    ^"]
