"""The triplet_loss suite as a whole: points and visibility as documented, and every auto-graded check can fail."""
import numpy as np
import pytest
import torch
import yaml

from graders.checks import decide
from graders.model import Status
from graders.suite import read_manifest
from reference import triplet_loss as ref
from reference import triplet_loss_mistakes as wrong
from triplet_loss_outcomes import EXAMPLES, SUITE, grade_check

CODE = ("pairwise_distances", "triplet_mask", "batch_all", "batch_hard", "semi_hard")


def test_points_match_the_manifest_and_add_up_to_35():
    points = {q["id"]: q["points"] for q in read_manifest("triplet_loss")["questions"]}
    assert {q.id: q.points for q in SUITE.questions} == points and SUITE.max_score == 35


def test_each_code_question_has_public_checks_and_its_edge_cases_hidden():
    for question in CODE:
        checks = SUITE.question(question).checks
        assert any(c.visibility == "visible" for c in checks) and any(c.visibility == "hidden" for c in checks)
    hidden = [c.name for q in SUITE.questions for c in q.checks if c.visibility == "hidden"]
    assert len(hidden) == 6


def test_loss_checks_use_only_batches_in_general_position():
    """Coincident embeddings are graded under pairwise_distances only (README)."""
    for question in CODE[2:]:
        for c in SUITE.question(question).checks:
            for call in c.calls:
                E = call.args[1]
                D = ref.pairwise_distances(torch.from_numpy(E)).numpy()
                assert (D[~np.eye(len(E), dtype=bool)] > 1e-3).all(), (c.name, call)


# One way to fail each auto-graded check: functions (in-process) or an answer.
def _always_nan(*args, **kwargs):
    return torch.tensor(float("nan"), dtype=torch.float64)


FAILING = {
    "matches ||E_a - E_b|| (squared and not) off the diagonal": {"pairwise_distances": wrong.pairwise_distances_without_sqrt},
    "is 0 on the diagonal": {"pairwise_distances": lambda E, squared=False: ref.pairwise_distances(E, squared) + 1e-3},
    "stays non-negative and right where rows (nearly) coincide": {"pairwise_distances": wrong.pairwise_distances_unclamped},
    "has finite gradients that match autograd (also with equal rows)": {"pairwise_distances": wrong.pairwise_distances_sqrt_of_zero},
    "marks exactly the valid triplets": {"triplet_mask": wrong.triplet_mask_allowing_anchor_as_positive},
    "has no valid triplet where none exists; handles singletons": {"triplet_mask": wrong.triplet_mask_indexed_a_n_p},
    "loss: mean of eq. 3 over the triplets with positive loss": {"batch_all_triplet_loss": wrong.batch_all_summed},
    "fraction_positive: share of valid triplets with positive loss":
        {"batch_all_triplet_loss": wrong.batch_all_fraction_over_all_index_triplets},
    "handles singletons; (0, 0) without valid triplets or positive losses":
        {"batch_all_triplet_loss": lambda *a, **k: (_always_nan(), _always_nan())},
    "matches the hardest positive and hardest negative per anchor": {"batch_hard_triplet_loss": wrong.batch_hard_masked_zeros},
    "leaves out anchors without a positive or a negative; 0 when none is left":
        {"batch_hard_triplet_loss": wrong.batch_hard_mean_over_all_anchors},
    "matches the semi-hard choice with the farthest-negative fallback": {"semi_hard_triplet_loss": wrong.semi_hard_beyond_margin},
    "handles singletons; 0 without negatives": {"semi_hard_triplet_loss": _always_nan},
    "a negative exactly as far as the positive is not semi-hard": {"semi_hard_triplet_loss": wrong.semi_hard_not_strict},
}
WRONG_ANSWERS = yaml.safe_load((EXAMPLES / "reference" / "answers.yaml").read_text())
WRONG_ANSWERS.update({"architectures": ["VGG", "ResNet"], "semi_hard_definition": "d_an < d_ap",
                      "embedding_dimensionality": {"best_dimension": 64, "val": 86.8},
                      "training_data": {"2.6M": 86.2}, "model_costs": {k: "1" for k in WRONG_ANSWERS["model_costs"]}})


def test_the_table_covers_every_code_check():
    names = [c.name for q in CODE for c in SUITE.question(q).checks]
    assert sorted(names) == sorted(FAILING)


@pytest.mark.parametrize("name", sorted(FAILING))
def test_every_code_check_can_fail(name):
    (c,) = [c for q in CODE for c in SUITE.question(q).checks if c.name == name]
    assert grade_check(c).status is Status.PASSED
    verdict = grade_check(c, **FAILING[name])
    assert verdict.status is Status.FAILED and verdict.fraction == 0.0, verdict


def test_every_answer_check_can_fail_and_passes_on_the_reference_answers():
    right = yaml.safe_load((EXAMPLES / "reference" / "answers.yaml").read_text())
    for q in SUITE.questions:
        if q.kind in ("code", "free-text"):
            continue
        for c in q.checks:
            assert decide(c, [], right).status is Status.PASSED, c.name
            assert decide(c, [], WRONG_ANSWERS).status is Status.FAILED, c.name
