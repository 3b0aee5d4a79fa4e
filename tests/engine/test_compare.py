import numpy as np

from graders.compare import Tolerance, compare_arrays
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
    assert "1 of 16" in verdict.feedback and "(2, 1)" in verdict.feedback and "rtol 1e-06" in verdict.feedback


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
