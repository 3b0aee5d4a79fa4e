"""The tolerance rule's promise, measured: every known mistake a value check can name differs from the
reference, on that check's calls, by far more than the tolerance (at least 100x the allowed error on some
entry), or not at all. No mistake is ever told from a right answer by a margin like 1e-6."""
from __future__ import annotations

import numpy as np
import pytest

from graders.checks import call_reference
from graders.compare import Tolerance
from graders.suite import ASSIGNMENTS, load_suite
from reference import example_difficulty, kernel_attention, triplet_loss

REFERENCES = {"kernel_attention": kernel_attention, "triplet_loss": triplet_loss,
              "example_difficulty": example_difficulty}


def separation(got, expected) -> float:
    """The largest |got - expected| / allowed over all entries (0 when equal; inf for NaN against a number)."""
    if isinstance(expected, tuple):
        return max(separation(g, e) for g, e in zip(got, expected))
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        return np.inf
    both_nan = np.isnan(got) & np.isnan(expected)
    error = np.where(both_nan, 0.0, np.abs(got - expected))
    ratio = error / Tolerance().allowed(np.where(np.isnan(expected), 0.0, expected))
    return float(np.nan_to_num(ratio, nan=np.inf).max(initial=0.0))


def _cases():
    for assignment in ASSIGNMENTS:
        for question in load_suite(assignment).questions:
            for check in question.checks:
                for mistake in check.mistakes:
                    yield pytest.param(assignment, check, mistake, id=f"{assignment}/{check.name}/{mistake.note}")


@pytest.mark.parametrize("assignment, check, mistake", list(_cases()))
def test_each_mistake_is_far_from_the_reference_or_equal_to_it(assignment, check, mistake):
    reference = getattr(REFERENCES[assignment], check.calls[0].function)
    separations = [separation(call_reference(mistake.expected, c), call_reference(reference, c)) for c in check.calls]
    worst = max(separations)
    assert worst <= 1 or worst >= 100, (mistake.note, separations)


def test_every_value_check_with_mistakes_can_name_at_least_one_of_them():
    for assignment in ASSIGNMENTS:
        for question in load_suite(assignment).questions:
            for check in question.checks:
                if check.mistakes:
                    reference = getattr(REFERENCES[assignment], check.calls[0].function)
                    assert any(max(separation(call_reference(m.expected, c), call_reference(reference, c))
                                   for c in check.calls) >= 100 for m in check.mistakes), check.name
