"""`pairwise_distances` checks on values made in this process: right forms pass, each mistake is named on the
check that owns it and nowhere else."""
import math

import numpy as np
import pytest
import torch

from graders.model import Status
from graders.suites import triplet_loss_distances as suite
from reference import triplet_loss as ref
from reference import triplet_loss_mistakes as wrong
from triplet_loss_outcomes import check, example, grade_check, judge_values, reference_values

VALUES = check("pairwise_distances", "matches ||E_a - E_b||")
DIAGONAL = check("pairwise_distances", "is 0 on the diagonal")
COINCIDENT = check("pairwise_distances", "coincide")
GRADIENTS = check("pairwise_distances", "gradients")
CHECKS = (VALUES, DIAGONAL, COINCIDENT, GRADIENTS)


def statuses(**functions):
    return {c.name: grade_check(c, **functions) for c in CHECKS}


def only_failure(verdicts, failing_check, note):
    for name, verdict in verdicts.items():
        if name == failing_check.name:
            assert verdict.status is Status.FAILED and verdict.note == note, verdict
        else:
            assert verdict.status is Status.PASSED, (name, verdict)


def numpy_distances(E, squared=False):
    D2 = ((E.numpy()[:, None, :] - E.numpy()[None, :, :]) ** 2).sum(-1)
    return D2 if squared else np.sqrt(D2)


def epsilon_everywhere(E, squared=False, eps=1e-6):
    D2 = ((E[:, None, :] - E[None, :, :]) ** 2).sum(-1)
    return D2 if squared else torch.sqrt(D2 + eps)


def cdist(E, squared=False):
    D = torch.cdist(E, E)                                        # matrix-product path above 25 rows: ~1e-8 diagonal
    return D ** 2 if squared else D


@pytest.mark.parametrize("name", ["reference", "right-gram-matrix", "right-python-loops", "right-numpy-mining",
                                  "right-cdist-sorted"])
def test_right_distances_pass_every_check(name):
    verdicts = statuses(pairwise_distances=example(name)["pairwise_distances"])
    assert all(v.status is Status.PASSED for v in verdicts.values()), verdicts


def test_sqrt_of_zero_loses_only_the_gradient_check_with_its_note():
    verdicts = statuses(pairwise_distances=wrong.pairwise_distances_sqrt_of_zero)
    only_failure(verdicts, GRADIENTS, "nan-gradient-sqrt-at-zero")
    assert "0 * inf = NaN" in verdicts[GRADIENTS.name].feedback


def math_sqrt_loops(E, squared=False):
    """Right values, built from Python floats: no autograd graph (stranger tl/loops-mathsqrt)."""
    rows = [[sum((a - b) ** 2 for a, b in zip(E[i].tolist(), E[j].tolist())) for j in range(len(E))] for i in range(len(E))]
    return torch.tensor([[d if squared else math.sqrt(d) for d in row] for row in rows], dtype=E.dtype)


def test_distances_with_no_autograd_graph_fail_only_the_gradient_check_and_say_why():
    verdicts = statuses(pairwise_distances=math_sqrt_loops)
    only_failure(verdicts, GRADIENTS, "no-gradient")
    assert "carries no gradient" in verdicts[GRADIENTS.name].feedback and "math.sqrt" in verdicts[GRADIENTS.name].feedback


def test_unclamped_gram_form_loses_only_the_coincidence_check_with_its_note():
    verdicts = statuses(pairwise_distances=wrong.pairwise_distances_unclamped)
    assert verdicts[COINCIDENT.name].note == "negative-squared-distance"
    assert "Clamp the squared distances at 0" in verdicts[COINCIDENT.name].feedback
    for c in (VALUES, DIAGONAL):
        assert verdicts[c.name].status is Status.PASSED


@pytest.mark.parametrize("mistake, note", [(wrong.pairwise_distances_without_sqrt, "forgot-sqrt"),
                                           (wrong.pairwise_distances_ignoring_squared, "ignores-squared")])
def test_a_value_mistake_is_charged_on_the_values_check_only(mistake, note):
    """Its gradient is that of the same wrong function, and coincident pairs are still (near) 0."""
    only_failure(statuses(pairwise_distances=mistake), VALUES, note)


def test_an_epsilon_of_1e_6_before_the_sqrt_loses_only_the_diagonal():
    verdicts = statuses(pairwise_distances=epsilon_everywhere)
    only_failure(verdicts, DIAGONAL, "nonzero-diagonal")
    assert "D[0, 0] = 0.001" in verdicts[DIAGONAL.name].feedback and "sqrt(eps)" in verdicts[DIAGONAL.name].feedback


def test_cdist_and_a_tiny_epsilon_get_the_same_treatment_full_marks():
    """Staff decision (README): a diagonal within rounding of 0 is 0. cdist shows ~1e-8 there above 25 rows."""
    E = torch.from_numpy(suite.GENERAL[4].args[0])
    assert 0 < torch.cdist(E, E).diagonal().abs().max() < 1e-6          # the graded batch shows the effect
    for distances in (cdist, lambda E, squared=False: epsilon_everywhere(E, squared, eps=1e-16)):
        verdicts = statuses(pairwise_distances=distances)
        assert all(verdicts[c.name].status is Status.PASSED for c in (VALUES, DIAGONAL)), verdicts


def test_numpy_distances_pass_on_values_but_cannot_be_differentiated():
    verdicts = statuses(pairwise_distances=numpy_distances)
    assert all(verdicts[c.name].status is Status.PASSED for c in (VALUES, DIAGONAL, COINCIDENT))
    assert verdicts[GRADIENTS.name].status is Status.ERROR


def test_a_wrong_shape_is_invalid_and_says_so():
    values = [v[:-1] for v in reference_values(VALUES)]
    verdict = judge_values(VALUES, values)
    assert verdict.status is Status.INVALID and "shape" in verdict.feedback


def test_a_hand_made_negative_entry_is_named():
    values = reference_values(COINCIDENT)
    values[3] = values[3].copy()
    values[3][0, 10] = values[3][10, 0] = -3e-15
    verdict = judge_values(COINCIDENT, values)
    assert verdict.note == "negative-squared-distance" and "D[0, 10] = -3e-15" in verdict.feedback


def test_a_hand_made_wrong_distance_at_a_coincident_pair_fails_without_the_expected_value():
    values = reference_values(COINCIDENT)
    values[0] = values[0].copy()
    values[0][1, 3] = 0.5
    verdict = judge_values(COINCIDENT, values)
    assert verdict.status is Status.FAILED and verdict.note == "coincident-rows-differ"
    assert "D[1, 3] = 0.5" in verdict.feedback and "expected" not in verdict.feedback


def test_a_hand_made_gradient_with_nan_and_right_distances_names_the_square_root():
    values = reference_values(GRADIENTS)
    D, grad = values[0]
    values[0] = (D, np.where(np.arange(len(grad))[:, None] == 2, np.nan, grad))
    verdict = judge_values(GRADIENTS, values)
    assert verdict.note == "nan-gradient-sqrt-at-zero" and "rows [2]" in verdict.feedback


def test_a_hand_made_gradient_that_differs_away_from_coincidence_fails():
    values = reference_values(GRADIENTS)
    D, grad = values[2]
    grad = grad.copy()
    grad[0] += 0.1                                               # row 0 has a copy (row 6): any finite value is fine
    assert judge_values(GRADIENTS, values[:2] + [(D, grad)] + values[3:]).status is Status.PASSED
    grad[2] += 0.1                                               # row 2 has none: it must match
    verdict = judge_values(GRADIENTS, values[:2] + [(D, grad)] + values[3:])
    assert verdict.status is Status.FAILED and verdict.note == "gradient-differs"


def test_the_reference_gradient_matches_central_differences_on_the_graded_batches():
    for case in suite.GRADIENT:
        E = torch.from_numpy(case.args[0].copy())
        C = torch.from_numpy(case.cotangent)
        squared = case.kwargs["squared"]
        X = E.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad((C * ref.pairwise_distances(X, squared)).sum(), X)
        exact = ~suite._coincident_rows(case.args[0])
        h = 1e-6
        for i in np.flatnonzero(exact):
            for k in range(E.shape[1]):
                up, down = E.clone(), E.clone()
                up[i, k] += h
                down[i, k] -= h
                numeric = ((C * ref.pairwise_distances(up, squared)).sum() -
                           (C * ref.pairwise_distances(down, squared)).sum()) / (2 * h)
                assert abs(float(numeric) - float(grad[i, k])) < 1e-6 * max(1.0, abs(float(numeric)))
        assert torch.isfinite(grad).all()


def test_the_near_batch_makes_the_unclamped_gram_form_go_negative():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)                                     # as in the sandbox
    try:
        for case in suite.COINCIDENT[2:]:
            D = wrong.pairwise_distances_unclamped(torch.from_numpy(case.args[0]), **case.kwargs).numpy()
            assert (D < 0).any() or np.isnan(D).any()
    finally:
        torch.set_num_threads(threads)


def test_a_nan_gradient_of_unknown_distances_is_non_finite_gradient():
    values = reference_values(GRADIENTS)
    D, grad = values[0]
    grad = grad.copy()
    grad[1, 0] = np.nan
    verdict = judge_values(GRADIENTS, [(D * 1.5, grad)] + values[1:])
    assert verdict.status is Status.FAILED and verdict.note == "non-finite-gradient" and "rows [1]" in verdict.feedback


def test_a_float32_gradient_is_not_told_about_detach():
    values = [(D.astype(np.float32), g.astype(np.float32)) for D, g in reference_values(GRADIENTS)]
    assert judge_values(GRADIENTS, values).status is Status.PASSED
