"""The answer questions of triplet_loss on hand-written answers (answers.yaml values, as YAML would load them)."""
import pytest

from graders.checks import decide
from graders.model import Status
from triplet_loss_outcomes import SUITE, check


def judge(question, answer, words=""):
    (c,) = [c for c in SUITE.question(question).checks if words in c.name] if words else SUITE.question(question).checks
    return decide(c, [], {question: answer})


# ---- (a) architectures ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("answer", [["Zeiler&Fergus", "GoogLeNet"], ["Inception-based (NN2)", "Zeiler-Fergus-based (NN1)"],
                                    ["ZF net (NN1)", "Inception (NN2)"], ["nn1", "nn2"], ["ZFNet", "GoogLeNet"],
                                    ["ZF Net", "Inception"], ["ZF-Net", "Google Net"], ["Zeiler-Fergus", "NN-2"]])
def test_both_families_in_any_order_and_spelling_get_the_point(answer):
    assert judge("architectures", answer).status is Status.PASSED


@pytest.mark.parametrize("answer", [["Zeiler & Fergus", "ResNet"], ["Inception", "VGG"], ["ZFX", "Inception"],
                                    ["AlexNet", "Inception"]])
def test_one_family_is_not_enough(answer):
    verdict = judge("architectures", answer)
    assert verdict.status is Status.FAILED and verdict.fraction == 0.0 and "not recognised" in verdict.feedback


@pytest.mark.parametrize("answer", ["Zeiler & Fergus and Inception", ["ZF", "Inception", "ResNet"], [1, 2]])
def test_anything_but_a_list_of_two_strings_is_invalid(answer):
    verdict = judge("architectures", answer)
    assert verdict.status is Status.INVALID and "exactly two short strings" in verdict.feedback


def test_no_answer_is_missing():
    assert judge("architectures", None).status is Status.MISSING


# ---- (d) model_costs --------------------------------------------------------------------------------------------

RIGHT_COSTS = {"nn1_params": "140M", "nn1_flops": "1.6 billion", "nn2_params": "7.5 million", "nn2_flops": 1.6e9,
               "resnet50_params": 25557032, "resnet50_flops": "3.8e9"}


def cost_verdicts(**changes):
    return {c.name.split(":")[0]: decide(c, [], {"model_costs": {**RIGHT_COSTS, **changes}})
            for c in SUITE.question("model_costs").checks}


def test_the_right_costs_pass():
    assert all(v.status is Status.PASSED for v in cost_verdicts().values())


@pytest.mark.parametrize("flops", ["4.09e9", "7.6e9", "8.2 billion", "3.9 GFLOPs"])
def test_resnet50_flops_may_be_multiply_adds_torchvision_flops_or_twice_either(flops):
    assert cost_verdicts(resnet50_flops=flops)["ResNet-50"].status is Status.PASSED


def test_swapped_parameters_and_flops_are_named():
    verdict = cost_verdicts(nn1_params="1.6 billion", nn1_flops="140M")["NN1 (Zeiler & Fergus)"]
    assert verdict.status is Status.FAILED and verdict.note == "params-flops-swapped" and verdict.fraction == 0.0


def test_one_wrong_part_costs_half_of_its_model():
    verdict = cost_verdicts(nn2_params="75M")["NN2 (Inception)"]
    assert verdict.status is Status.FAILED and verdict.fraction == 0.5 and verdict.note == "wrong-scale"


def test_a_missing_part_costs_its_half_and_an_unreadable_one_says_what_to_write():
    missing = cost_verdicts(nn2_flops=None)["NN2 (Inception)"]
    assert missing.fraction == 0.5 and "nn2_flops" in missing.feedback
    unreadable = cost_verdicts(resnet50_params="lots", resnet50_flops="many")["ResNet-50"]
    assert unreadable.status is Status.INVALID and "140M" in unreadable.feedback


def test_model_costs_that_are_not_a_mapping_are_invalid():
    assert decide(check("model_costs", "NN1"), [], {"model_costs": "140M"}).status is Status.INVALID


# ---- (e) semi_hard_definition ------------------------------------------------------------------------------------

@pytest.mark.parametrize("answer", [r"d_{ap} < d_{an} < d_{ap} + \alpha", "d_ap < d_an < alpha + d_ap",
                                    "0 < d_an - d_ap < alpha", "d_ap < d_an and d_an < d_ap + alpha",
                                    "d_ap < d_an <= d_ap + margin", r"d(a,p) < d(a,n) < d(a,p) + \alpha"])
def test_equivalent_semi_hard_conditions_get_both_points(answer):
    assert judge("semi_hard_definition", answer).status is Status.PASSED


@pytest.mark.parametrize("answer, note, fraction", [
    ("d_ap < d_an", "missing-margin-bound", 0.5), ("d_an < d_ap + alpha", "missing-lower-bound", 0.5),
    ("d_an < d_ap", "hard-negative-condition", 0.0), ("d_an > d_ap + alpha", "easy-negative-condition", 0.0)])
def test_known_partial_and_wrong_conditions_are_named(answer, note, fraction):
    verdict = judge("semi_hard_definition", answer)
    assert verdict.note == note and verdict.fraction == fraction


@pytest.mark.parametrize("answer", [r"d_{ap} \leq d_{an} \leq d_{ap} + \alpha", r"d_{ap} \le d_{an} < d_{ap} + \alpha",
                                    "0 <= d_an - d_ap < alpha", "d_an >= d_ap and d_an < d_ap + alpha"])
def test_a_non_strict_lower_bound_loses_what_the_code_loses(answer):
    """Eq. 4 is strict; the code's `>=` loses 0.5 of semi_hard with this note, the answer 0.5 of 2 (README)."""
    verdict = judge("semi_hard_definition", answer)
    assert (verdict.status, verdict.note, verdict.fraction) == (Status.FAILED, "semi-hard-not-strict", 0.75)


@pytest.mark.parametrize("answer", [
    r"\|f(x_a) - f(x_p)\|^2 < \|f(x_a) - f(x_n)\|^2 < \|f(x_a) - f(x_p)\|^2 + \alpha",
    r"\|f(x_a) - f(x_p)\|_2^2 < \|f(x_a) - f(x_n)\|_2^2 < \|f(x_a) - f(x_p)\|_2^2 + \alpha",
    r"\|f(a) - f(p)\|^2 < \|f(a) - f(n)\|^2 < \|f(a) - f(p)\|^2 + \alpha",
    "||f(x_a) - f(x_p)||^2 < ||f(x_a) - f(x_n)||^2 < ||f(x_a) - f(x_p)||^2 + alpha",
    "‖f(x_a) − f(x_p)‖² < ‖f(x_a) − f(x_n)‖² < ‖f(x_a) − f(x_p)‖² + α",
    "‖f(xᵃ) − f(xᵖ)‖² < ‖f(xᵃ) − f(xⁿ)‖² < ‖f(xᵃ) − f(xᵖ)‖² + α",
    "‖a − p‖² < ‖a − n‖² < ‖a − p‖² + α"])
def test_the_condition_in_squared_norms_gets_both_points(answer):
    assert judge("semi_hard_definition", answer).status is Status.PASSED


@pytest.mark.parametrize("answer, note", [
    (r"\|f(x_a) - f(x_n)\|^2 < \|f(x_a) - f(x_p)\|^2", "hard-negative-condition"),
    (r"\|f(x_a) - f(x_p)\|^2 < \|f(x_a) - f(x_n)\|^2", "missing-margin-bound"),
    ("‖a − n‖² < ‖a − p‖² + α", "missing-lower-bound"),
    (r"\|f(x_a) - f(x_n)\|^2 < \|f(x_a) - f(x_p)\|^2 < \|f(x_a) - f(x_n)\|^2 + \alpha", "not-equivalent")])
def test_roles_mixed_up_in_norms_stay_wrong(answer, note):
    verdict = judge("semi_hard_definition", answer)
    assert verdict.status is Status.FAILED and verdict.note == note


def test_an_unknown_symbol_is_invalid():
    assert judge("semi_hard_definition", "d_ap < d_xy").status is Status.INVALID


# ---- (g) embedding_dimensionality and (h) training_data ------------------------------------------------------------

@pytest.mark.parametrize("answer, passed", [({"best_dimension": 128, "val": 87.9}, 2),
                                            ({"best_dimension": "128", "val": "87.9%"}, 2),
                                            ({"best_dimension": 256, "val": 87.7}, 0),
                                            ({"best_dimension": 128, "val": 89.4}, 1)])
def test_embedding_dimensionality_is_two_halves(answer, passed):
    verdicts = [decide(c, [], {"embedding_dimensionality": answer})
                for c in SUITE.question("embedding_dimensionality").checks]
    assert sum(v.status is Status.PASSED for v in verdicts) == passed


@pytest.mark.parametrize("answer", [{"2.6M": 76.3, "26M": 85.1, "52M": 85.1, "260M": 86.2},
                                    {2600000: 76.3, 26000000: 85.1, 52000000: 85.1, 260000000: 86.2},
                                    {"260 million": "86.2%", "2.6 million": 76.3, "52M": 85.1, "26,000,000": 85.1}])
def test_training_data_keys_may_be_written_any_way(answer):
    assert judge("training_data", answer).status is Status.PASSED


def test_training_data_credits_each_size_and_names_extra_ones():
    partial = judge("training_data", {"2.6M": 76.3, "26M": 85.1, "52M": 85.1})
    assert partial.status is Status.FAILED and partial.fraction == 0.75
    wrong = judge("training_data", {"2.6M": 76.3, "26M": 85.1, "52M": 85.1, "260M": 89.0})
    assert wrong.fraction == 0.75 and "260M" in wrong.feedback
    extra = judge("training_data", {"2.6M": 76.3, "26M": 85.1, "52M": 85.1, "260M": 86.2, "1B": 90})
    assert extra.status is Status.PASSED and "1B" in extra.feedback


# ---- free text --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("question", ["triplet_vs_supervised", "triplet_mining", "harmonic_embeddings",
                                      "emergent_property", "favorite_approach"])
def test_free_text_goes_to_a_person_with_the_readme_rubric(question):
    verdict = judge(question, "Some words.")
    assert verdict.status is Status.MANUAL and verdict.fraction is None and "Rubric" not in verdict.feedback
    rubric = verdict.evidence["rubric"]
    assert rubric.startswith("1:") and "pure quotation earns at most 1" in rubric
    assert judge(question, "").status is Status.MISSING
