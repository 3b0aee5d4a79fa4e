"""`triplet_mask` checks: bool or 0/1 masks pass, the known mistakes are named, other values are invalid."""
import pytest
import torch

from graders.model import Status
from reference import triplet_loss as ref
from reference import triplet_loss_mistakes as wrong
from triplet_loss_outcomes import check, example, grade_check, judge_values, reference_values

RANDOM = check("triplet_mask", "marks exactly")
EDGE = check("triplet_mask", "singletons")


@pytest.mark.parametrize("name", ["reference", "right-gram-matrix", "right-python-loops", "right-numpy-mining",
                                  "right-cdist-sorted"])
def test_right_masks_pass(name):
    for c in (RANDOM, EDGE):
        assert grade_check(c, triplet_mask=example(name)["triplet_mask"]).status is Status.PASSED


@pytest.mark.parametrize("dtype", [torch.int64, torch.uint8, torch.float32])
def test_a_zero_one_mask_of_another_dtype_keeps_its_points_with_a_line_of_feedback(dtype):
    verdict = grade_check(RANDOM, triplet_mask=lambda labels: ref.triplet_mask(labels).to(dtype))
    assert verdict.status is Status.PASSED and verdict.fraction == 1.0 and verdict.note == "mask-not-bool"
    assert "bool" in verdict.feedback


def test_a_mask_with_other_values_is_invalid():
    verdict = grade_check(RANDOM, triplet_mask=lambda labels: 2 * ref.triplet_mask(labels).long())
    assert verdict.status is Status.INVALID and "other values" in verdict.feedback


def test_a_mask_of_the_wrong_shape_is_invalid():
    verdict = judge_values(RANDOM, [m[0] for m in reference_values(RANDOM)])
    assert verdict.status is Status.INVALID and "shape" in verdict.feedback


@pytest.mark.parametrize("mistake, note", [(wrong.triplet_mask_allowing_anchor_as_positive, "anchor-equals-positive"),
                                           (wrong.triplet_mask_indexed_a_n_p, "mask-indexed-a-n-p")])
def test_known_mistakes_are_named_on_both_checks(mistake, note):
    for c in (RANDOM, EDGE):
        verdict = grade_check(c, triplet_mask=mistake)
        assert verdict.status is Status.FAILED and verdict.note == note


def test_an_unknown_mistake_on_a_hidden_batch_shows_no_expected_value():
    values = reference_values(EDGE)
    values[0] = values[0].copy()
    values[0][0, 1, 2] = True
    verdict = judge_values(EDGE, values)
    assert verdict.status is Status.FAILED and verdict.note is None
    assert "expected" not in verdict.feedback and "triplet_mask(array (5,))" in verdict.feedback
    assert "1 of 125 entries of the mask differ; first at index (0, 1, 2): got True." in verdict.feedback
