"""The three loss questions on values made in this process: right forms of return value pass, each known
mistake is named, a bug of the student's own helpers is not charged again, hidden checks show no expected
value."""
import numpy as np
import pytest
import torch

from graders.model import Status
from graders.suites import triplet_loss as suite
from reference import triplet_loss as ref
from reference import triplet_loss_mistakes as wrong
from triplet_loss_outcomes import (ORIGINAL_DISTANCES, SUITE, check, example, grade_check, judge_values,
                                   reference_values, using)

LOSSES = {"batch_all": "batch_all_triplet_loss", "batch_hard": "batch_hard_triplet_loss",
          "semi_hard": "semi_hard_triplet_loss"}
RIGHT = ["reference", "right-gram-matrix", "right-python-loops", "right-numpy-mining", "right-cdist-sorted"]


def question_verdicts(question, **functions):
    return {c.name: grade_check(c, **functions) for c in SUITE.question(question).checks}


@pytest.mark.parametrize("name", RIGHT)
@pytest.mark.parametrize("question", LOSSES)
def test_right_losses_pass_every_check(question, name):
    verdicts = question_verdicts(question, **example(name))
    assert all(v.status is Status.PASSED and v.note is None for v in verdicts.values()), verdicts


@pytest.mark.parametrize("question, form", [
    ("batch_all", lambda pair: [float(pair[0]), float(pair[1])]),            # a list of Python floats
    ("batch_all", lambda pair: (pair[0].reshape(1), pair[1].numpy())),       # a 1-element tensor and numpy
    ("batch_hard", lambda loss: float(loss)),
    ("batch_hard", lambda loss: loss.reshape(1, 1)),
    ("semi_hard", lambda loss: loss.numpy()),
])
def test_scalars_may_be_python_numbers_numpy_or_one_element_tensors(question, form):
    function = getattr(ref, LOSSES[question])
    verdicts = question_verdicts(question, **{LOSSES[question]: lambda *a, **k: form(function(*a, **k))})
    assert all(v.status is Status.PASSED for v in verdicts.values()), verdicts


def test_batch_all_must_return_a_pair():
    verdict = grade_check(check("batch_all", "loss:"), batch_all_triplet_loss=lambda *a, **k: ref.batch_all_triplet_loss(*a, **k)[0])
    assert verdict.status is Status.INVALID and "should return a tuple" in verdict.feedback


MISTAKES = [
    ("batch_all", "batch_all_triplet_loss", wrong.batch_all_mean_over_valid, "loss:", "averaged-over-all-valid"),
    ("batch_all", "batch_all_triplet_loss", wrong.batch_all_summed, "loss:", "summed-not-averaged"),
    ("batch_all", "batch_all_triplet_loss", wrong.batch_all_fraction_over_all_index_triplets, "fraction_positive:",
     "fraction-over-all-index-triplets"),
    ("batch_hard", "batch_hard_triplet_loss", wrong.batch_hard_farthest_negative, "hardest positive", "hardest-negative-is-farthest"),
    ("batch_hard", "batch_hard_triplet_loss", wrong.batch_hard_masked_zeros, "hardest positive", "masked-zeros-as-min-negative"),
    ("batch_hard", "batch_hard_triplet_loss", wrong.batch_hard_closest_positive, "hardest positive", "hardest-positive-is-closest"),
    ("batch_hard", "batch_hard_triplet_loss", wrong.batch_hard_mean_over_all_anchors, "leaves out", "averaged-over-all-anchors"),
    ("semi_hard", "semi_hard_triplet_loss", wrong.semi_hard_without_fallback, "fallback", "no-farthest-negative-fallback"),
    ("semi_hard", "semi_hard_triplet_loss", wrong.semi_hard_beyond_margin, "fallback", "negative-beyond-margin"),
    ("semi_hard", "semi_hard_triplet_loss", wrong.semi_hard_closest_negative, "fallback", "hardest-negative-not-semi-hard"),
    ("semi_hard", "semi_hard_triplet_loss", wrong.semi_hard_default_not_squared, "fallback", "semi-hard-default-not-squared"),
    ("semi_hard", "semi_hard_triplet_loss", wrong.semi_hard_not_strict, "exactly as far", "semi-hard-not-strict"),
]
SLIPS = [(question, function, getattr(wrong, f"{question}_{slip}"), note)     # each named on every check it fails
         for question, function in LOSSES.items()
         for slip, note in [("margin_outside_hinge", "margin-outside-hinge"), ("always_squared", "ignores-squared"),
                            ("always_euclidean", "ignores-squared")]]
MISTAKES += [(question, function, mistake, words, note) for question, function, mistake, note in SLIPS
             for words in {"batch_all": ["loss:"], "batch_hard": ["hardest positive"], "semi_hard": ["fallback"]}[question]]


@pytest.mark.parametrize("question, function, mistake, note", SLIPS, ids=[m[2].__name__ for m in SLIPS])
def test_a_slip_is_named_on_every_check_of_its_question_that_it_fails(question, function, mistake, note):
    verdicts = question_verdicts(question, **{function: mistake})
    failed = {name: v for name, v in verdicts.items() if v.status is not Status.PASSED}
    assert failed and all(v.note == note for v in failed.values()), verdicts


@pytest.mark.parametrize("question, function, mistake, words, note", MISTAKES, ids=[m[-1] for m in MISTAKES])
def test_each_known_mistake_is_named_and_costs_points(question, function, mistake, words, note):
    verdict = grade_check(check(question, words), **{function: mistake})
    assert verdict.status is Status.FAILED and verdict.fraction == 0.0 and verdict.note == note, verdict


@pytest.mark.parametrize("question, function, mistake, words, note", MISTAKES, ids=[m[-1] for m in MISTAKES])
def test_known_mistakes_lose_points_on_their_own_question_only(question, function, mistake, words, note):
    for other in LOSSES:
        if other != question:
            verdicts = question_verdicts(other, **{function: mistake})
            assert all(v.status is Status.PASSED for v in verdicts.values())


def test_the_example_mistakes_are_named_on_their_question():
    for name, question, note in [("wrong-batch-all-mean-over-valid", "batch_all", "averaged-over-all-valid"),
                                 ("wrong-batch-hard-max-negative", "batch_hard", "hardest-negative-is-farthest"),
                                 ("wrong-batch-hard-masked-zeros", "batch_hard", "masked-zeros-as-min-negative"),
                                 ("wrong-semi-hard-no-fallback", "semi_hard", "no-farthest-negative-fallback"),
                                 ("wrong-semi-hard-margin-condition", "semi_hard", "negative-beyond-margin"),
                                 ("wrong-batch-hard-margin-outside-hinge", "batch_hard", "margin-outside-hinge"),
                                 ("wrong-batch-all-always-squared", "batch_all", "ignores-squared")]:
        verdicts = question_verdicts(question, **example(name))
        assert any(v.note == note and v.fraction == 0.0 for v in verdicts.values()), (name, verdicts)


def forgot_sqrt(E, squared=False):
    return ORIGINAL_DISTANCES(E, squared=True)


@pytest.mark.parametrize("question", LOSSES)
def test_a_loss_that_is_right_given_the_students_own_distances_keeps_its_points(question):
    loss = using(getattr(ref, LOSSES[question]), pairwise_distances=forgot_sqrt)
    verdicts = question_verdicts(question, pairwise_distances=forgot_sqrt, **{LOSSES[question]: loss})
    assert all(v.status is Status.PASSED for v in verdicts.values()), verdicts
    assert any(v.note == "follows-from-pairwise-distances" for v in verdicts.values())


def test_batch_all_that_is_right_given_the_students_own_mask_keeps_its_points():
    mask = wrong.triplet_mask_allowing_anchor_as_positive
    loss = using(ref.batch_all_triplet_loss, triplet_mask=mask)
    verdicts = question_verdicts("batch_all", triplet_mask=mask, batch_all_triplet_loss=loss)
    assert all(v.status is Status.PASSED for v in verdicts.values()), verdicts
    assert {v.note for v in verdicts.values()} >= {"follows-from-triplet-mask"}


def test_a_loss_wrong_on_its_own_is_charged_even_when_the_helpers_are_wrong_too():
    loss = using(wrong.batch_hard_farthest_negative, pairwise_distances=forgot_sqrt)
    verdict = grade_check(check("batch_hard", "hardest positive"), pairwise_distances=forgot_sqrt,
                          batch_hard_triplet_loss=loss)
    assert verdict.status is Status.FAILED


@pytest.mark.parametrize("question", LOSSES)
def test_nan_on_a_batch_without_valid_triplets_fails_the_hidden_check(question):
    edge = [c for c in SUITE.question(question).checks if c.visibility == "hidden"][0]
    values = reference_values(edge)
    values[0] = (np.asarray(np.nan), np.asarray(np.nan)) if question == "batch_all" else np.asarray(np.nan)
    verdict = judge_values(edge, values)
    assert verdict.status is Status.FAILED and verdict.note == "non-finite" and "nan" in verdict.feedback
    assert "left out" in verdict.feedback or "0 / 0" in verdict.feedback          # the concept follows the evidence


@pytest.mark.parametrize("question", LOSSES)
def test_hidden_loss_checks_show_the_students_value_but_never_the_expected_one(question):
    for edge in [c for c in SUITE.question(question).checks if c.visibility == "hidden"]:
        values = reference_values(edge)
        expected = values[-1]
        values[-1] = (tuple(np.asarray(v + 0.125) for v in expected) if isinstance(expected, tuple)
                      else np.asarray(expected + 0.125))
        verdict = judge_values(edge, values)
        shown = [f"{float(v):.6g}" for v in (expected if isinstance(expected, tuple) else (expected,))]
        assert verdict.status is Status.FAILED and "not right" in verdict.feedback
        assert "expected" not in verdict.feedback
        assert not any(s in verdict.feedback for s in shown if len(s) > 3), verdict.feedback   # not 0 or 0.5 (a margin)


def test_visible_loss_checks_show_the_evidence():
    c = check("batch_hard", "hardest positive")
    values = reference_values(c)
    values[1] = np.asarray(values[1] * 1.5)
    verdict = judge_values(c, values)
    assert verdict.status is Status.FAILED and "rel. error 0.5" in verdict.feedback
    assert "batch_hard_triplet_loss(array (16,), array (16, 6), 0.5, squared=True)" in verdict.feedback


# ---- the batches do what the suite says they do -------------------------------------------------------------

def _tensors(case):
    labels, E, margin = case.args
    return torch.from_numpy(labels), torch.from_numpy(E), margin


def test_random_batch_all_batches_have_both_zero_and_positive_losses():
    for case in suite.BATCH_ALL:
        labels, E, margin = _tensors(case)
        _, fraction = ref.batch_all_triplet_loss(labels, E, margin, **case.kwargs)
        assert 0 < fraction < 1


def test_random_semi_hard_batches_need_the_fallback_for_some_pairs_and_not_for_others():
    for case in suite.SEMI_HARD:
        labels, E, margin = _tensors(case)
        D = ref.pairwise_distances(E, case.kwargs.get("squared", True))
        same = labels[:, None] == labels[None, :]
        farther = [bool(((D[a] > D[a, p]) & ~same[a]).any()) for a in range(len(labels)) for p in range(len(labels))
                   if a != p and same[a, p] and (~same[a]).any()]
        assert any(farther) and not all(farther)


def test_edge_batches_are_the_edge_cases_they_claim():
    singletons, one_class, satisfied, three = [_tensors(c) for c in suite.edge_loss_calls("batch_all_triplet_loss")]
    assert not ref.triplet_mask(singletons[0]).any() and not ref.triplet_mask(one_class[0]).any()
    assert ref.triplet_mask(satisfied[0]).any()
    assert ref.batch_all_triplet_loss(*satisfied)[0] == 0 and ref.batch_hard_triplet_loss(*satisfied) == 0
    assert ref.batch_hard_triplet_loss(*three) > 0 and ref.semi_hard_triplet_loss(*three) > 0


def test_the_line_batch_separates_strict_from_non_strict():
    labels, E, margin = _tensors(suite.LINE)
    assert ref.semi_hard_triplet_loss(labels, E, margin, squared=False).item() == 0.75
    assert wrong.semi_hard_not_strict(labels, E, margin, squared=False).item() == 1.0


@pytest.mark.parametrize("given, function, cases", [
    (ref.batch_all_from_distances, ref.batch_all_triplet_loss, suite.BATCH_ALL),
    (ref.batch_hard_from_distances, ref.batch_hard_triplet_loss, suite.BATCH_HARD),
    (ref.semi_hard_from_distances, ref.semi_hard_triplet_loss, suite.SEMI_HARD + [suite.LINE]),
])
def test_losses_from_given_distances_agree_with_the_reference(given, function, cases):
    for case in cases + suite.edge_loss_calls(function.__name__):
        labels, E, margin = _tensors(case)
        squared = case.kwargs.get("squared", function is ref.semi_hard_triplet_loss)
        D = ref.pairwise_distances(E, squared)
        mine = given(labels, D, ref.triplet_mask(labels), margin) if given is ref.batch_all_from_distances \
            else given(labels, D, margin)
        theirs = function(labels, E, margin, squared=squared)
        np.testing.assert_allclose(np.asarray([float(t) for t in mine]) if isinstance(mine, tuple) else float(mine),
                                   np.asarray([float(t) for t in theirs]) if isinstance(theirs, tuple) else float(theirs),
                                   rtol=1e-12, atol=1e-14)
