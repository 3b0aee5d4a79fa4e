import numpy as np

from graders.compare import Tolerance, compare_arrays, difference_text, distinct_digits
from graders.model import Status
from graders.wire import Unsupported


def test_equal_arrays_pass_and_scalars_are_arrays():
    assert compare_arrays(np.ones((2, 3)), np.ones((2, 3))).status is Status.PASSED
    assert compare_arrays(2.0, np.array(2.0)).status is Status.PASSED


def test_wrong_shape_is_invalid_and_names_both_shapes():
    verdict = compare_arrays(np.ones((3, 2)), np.ones((2, 3)))
    assert verdict.status is Status.INVALID and "(3, 2)" in verdict.feedback and "(2, 3)" in verdict.feedback


def test_no_broadcasting():
    assert compare_arrays(np.ones(3), np.ones((1, 3))).status is Status.INVALID


def test_mismatch_reports_count_worst_index_and_tolerance():
    got = np.zeros((4, 4))
    got[2, 1] = 1.0
    verdict = compare_arrays(got, np.zeros((4, 4)), Tolerance(1e-6, 1e-8))
    assert verdict.status is Status.FAILED
    assert "1 of 16" in verdict.feedback and "(2, 1)" in verdict.feedback and "allowed 1e-08: 1e-06 x (|expected|" in verdict.feedback


def test_non_finite_fails_with_its_index():
    got = np.ones(5)
    got[3] = np.nan
    verdict = compare_arrays(got, np.ones(5))
    assert verdict.status is Status.FAILED and verdict.note == "non-finite" and "(3,)" in verdict.feedback


def test_objects_and_strings_are_invalid():
    assert compare_arrays(Unsupported("Liar"), np.ones(2)).status is Status.INVALID
    assert compare_arrays("1.0", np.ones(())).status is Status.INVALID


def test_float32_is_judged_at_its_precision():
    expected = np.linspace(0, 1, 10)
    assert compare_arrays(expected.astype(np.float32), expected).status is Status.PASSED
    assert compare_arrays(expected.astype(np.float32) + 1e-3, expected).status is Status.FAILED


def test_nan_where_nan_is_expected_and_only_there():
    expected = np.array([0.5, np.nan, 1.0])
    assert compare_arrays(np.array([0.5, np.nan, 1.0]), expected, Tolerance(equal_nan=True)).status is Status.PASSED
    zero = compare_arrays(np.array([0.5, 0.0, 1.0]), expected, Tolerance(equal_nan=True))
    assert zero.status is Status.FAILED and zero.note == "nan-mismatch" and "(1,)" in zero.feedback
    assert compare_arrays(np.array([np.nan, np.nan, 1.0]), expected, Tolerance(equal_nan=True)).status is Status.FAILED


# ---- the tolerance rule (graders/compare.py's docstring) -------------------------------------------------------

def test_noise_of_1e_6_relative_passes_and_1e_3_fails():
    expected = np.random.default_rng(0).standard_normal((12, 3))
    assert compare_arrays(expected * (1 + 1e-6), expected).status is Status.PASSED
    assert compare_arrays(expected * (1 + 1e-3), expected).status is Status.FAILED


def test_an_entry_that_cancels_to_zero_carries_the_noise_of_the_arrays_scale():
    expected = np.array([1.0, 2.0, 0.0])
    assert compare_arrays(np.array([1.0, 2.0, 1e-7]), expected).status is Status.PASSED
    assert compare_arrays(np.array([1.0, 2.0, 1e-3]), expected).status is Status.FAILED


def test_float32_is_judged_on_its_own_dtype_not_on_a_float64_copy():
    expected = np.full(10, 0.7)
    noisy = (expected * (1 + 3e-5)).astype(np.float32)          # allowed: 2 x 1e-5 for float64, 2 x 2.2e-5 for float32
    assert compare_arrays(noisy, expected).status is Status.PASSED
    assert compare_arrays(noisy.astype(np.float64), expected).status is Status.FAILED


def test_numbers_get_enough_digits_to_read_differently():
    verdict = compare_arrays(np.array([0.3004501]), np.array([0.30045]), Tolerance(rtol=1e-9))
    assert "0.3004501 where 0.30045 was expected" in verdict.feedback, verdict.feedback
    got, expected = distinct_digits(0.300450001, 0.30045)
    assert got != expected


def test_integers_are_exact_and_a_mask_must_be_zeros_and_ones():
    assert compare_arrays(np.array([1, 2, 3]), np.array([1, 2, 4])).status is Status.FAILED
    assert compare_arrays(np.array([1.0, 0.0]), np.array([True, False])).status is Status.PASSED
    assert compare_arrays(np.array([2, 0]), np.array([True, False])).status is Status.INVALID


def test_hidden_wording_never_shows_the_expected_value():
    verdict = compare_arrays(np.array([0.25, 0.5]), np.array([0.25, 0.75]))
    text = difference_text(verdict.evidence, show_expected=False)
    assert "0.75" not in text and "0.5" in text and "not right" in text
