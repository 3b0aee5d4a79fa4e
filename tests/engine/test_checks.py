"""Check logic on hand-made outcomes: no process, no student code."""
import numpy as np
import pytest

from graders.checks import Check, Mistake, answer, decide, manual, returns
from graders.model import Call, Outcome, Status, Verdict
from graders.suite import SuiteError, build_suite


def double(x):
    return 2 * x


CALLS = [Call("f", (np.arange(4.0),)), Call("f", (np.ones(3),))]
CHECK = returns("doubles", 1, CALLS, double, mistakes=[Mistake("tripled", lambda x: 3 * x, "You multiplied by 3.")])


def returned(*values):
    return [Outcome(Status.PASSED, value=v) for v in values]


def test_right_values_pass():
    assert decide(CHECK, returned(np.arange(4.0) * 2, np.ones(3) * 2), {}).status is Status.PASSED


def test_a_known_mistake_is_named():
    verdict = decide(CHECK, returned(np.arange(4.0) * 3, np.ones(3) * 3), {})
    assert verdict.status is Status.FAILED and verdict.note == "tripled" and verdict.feedback == "You multiplied by 3."


def test_an_unknown_mistake_shows_the_call_and_the_evidence():
    verdict = decide(CHECK, returned(np.arange(4.0) * 2, np.ones(3) * 5), {})
    assert verdict.status is Status.FAILED and verdict.note is None
    assert "f(array (3,))" in verdict.feedback and "3 of 3 entries" in verdict.feedback


def test_a_mistake_must_match_on_every_call():
    verdict = decide(CHECK, returned(np.arange(4.0) * 3, np.ones(3) * 5), {})
    assert verdict.note is None


@pytest.mark.parametrize("outcome, status, words", [
    (Outcome(Status.MISSING), Status.MISSING, "not defined"),
    (Outcome(Status.TIMEOUT, error="did not return within 10 s"), Status.TIMEOUT, "endless loop"),
    (Outcome(Status.ERROR, error="ValueError: shapes"), Status.ERROR, "ValueError"),
    (Outcome(Status.FAILED, error="f returned a tensor with no autograd graph"), Status.FAILED, "carries no gradient"),
])
def test_failed_calls_decide_before_the_judge(outcome, status, words):
    judge_called = []
    check = Check("c", 1, lambda values: judge_called.append(1) or Verdict.passed(), tuple(CALLS[:1]))
    verdict = decide(check, [outcome], {})
    assert verdict.status is status and words in verdict.feedback and not judge_called


def test_answers_are_read_by_path_and_missing_ones_are_missing():
    check = answer("sigma", 1, ("gaussian_decomposition", "sigma_sq"), lambda v: Verdict.passed(str(v)))
    assert decide(check, [], {"gaussian_decomposition": {"sigma_sq": "sqrt(D)"}}).feedback == "sqrt(D)"
    assert decide(check, [], {"gaussian_decomposition": {}}).status is Status.MISSING
    assert decide(check, [], {}).status is Status.MISSING


def test_free_text_goes_to_a_person_and_the_rubric_stays_with_staff():
    verdict = decide(manual("why", 2, ("q",), "names the margin"), [], {"q": "because"})
    assert verdict.status is Status.MANUAL and verdict.fraction is None and "names the margin" not in verdict.feedback
    assert verdict.evidence["rubric"] == "names the margin" and verdict.evidence["text"] == "because"


def test_expected_nan_never_passes():
    from graders.compare import compare_arrays
    assert compare_arrays(np.ones(3), np.full(3, np.nan)).status is Status.FAILED


def test_suite_points_must_add_up_to_the_manifest():
    with pytest.raises(SuiteError, match="add up"):
        build_suite("kernel_attention", {q: [Check("c", 0.5, lambda v: Verdict.passed())] for q in (
            "gaussian_decomposition", "softmax_attention", "random_features", "kernel_attention",
            "random_feature_attention", "attention_cost", "causal_kernel_attention", "causal_cost")})


def test_suite_questions_must_match_the_manifest():
    with pytest.raises(SuiteError, match="differ"):
        build_suite("kernel_attention", {"softmax_attention": []})


# ---- Given: right given the student's own helpers ----------------------------------------------------------
from graders.checks import Given  # noqa: E402

HELPER = Given({"g": lambda x: x + 1}, calls=lambda call: [Call("g", call.args)], expected=lambda x, own: 2 * own)
BUILDS_ON = returns("doubles g", 1, [Call("f", (np.arange(3.0),))], lambda x: 2 * (x + 1), given=[HELPER])


def test_a_check_names_its_helpers_as_support_calls():
    assert [c.function for c in BUILDS_ON.support_calls] == ["g"]


def test_right_given_a_deviating_helper_passes_with_its_note():
    own_g = np.arange(3.0) + 5                                       # the student's g is wrong
    verdict = decide(BUILDS_ON, returned(2 * own_g, own_g), {})
    assert verdict.status is Status.PASSED and verdict.note == "follows-from-g"


def test_a_wrong_value_with_a_right_helper_is_charged():
    verdict = decide(BUILDS_ON, returned(np.arange(3.0), np.arange(3.0) + 1), {})
    assert verdict.status is Status.FAILED and verdict.note is None


def test_a_failed_or_constant_helper_excuses_nothing():
    assert decide(BUILDS_ON, returned(np.zeros(3)) + [Outcome(Status.ERROR, error="x")], {}).status is Status.FAILED
    assert decide(BUILDS_ON, returned(np.zeros(3), np.zeros(3)), {}).status is Status.FAILED


def test_hidden_checks_never_show_expected_values():
    hidden = returns("doubles", 1, CALLS, double, visibility="hidden")
    verdict = decide(hidden, returned(np.arange(4.0) * 2, np.ones(3) * 7), {})
    assert verdict.status is Status.FAILED and "expected" not in verdict.feedback and "7" in verdict.feedback
    assert not any(k.startswith("expected") for k in verdict.evidence)
