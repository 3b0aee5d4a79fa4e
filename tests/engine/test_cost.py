"""The cost judge (graders/cost.py) on hand-made counts: counters decide, time only when no counter saw work,
and "nothing measurable" goes to a person instead of passing."""
import numpy as np

from graders.checks import decide
from graders.cost import growth_exponent, grows_like
from graders.model import Call, Outcome, Status

SIZES = (256, 512, 1024, 2048)
GROWTH = grows_like("linear", 1, lambda N: Call("f", (N,), measure_cost=True), exponent=1, sizes=SIZES,
                    what="your attention")


def costs(value=np.arange(3.0), **series):
    return [Outcome(Status.PASSED, value=value, cost={k: float(v[i]) for k, v in series.items() if v[i] is not None})
            for i in range(len(SIZES))]


def test_linear_growth_passes():
    verdict = decide(GROWTH, costs(elements=[40 * n for n in SIZES], flops=[8 * n for n in SIZES]), {})
    assert verdict.status is Status.PASSED and "N^1.0" in verdict.feedback


def test_quadratic_broadcasting_is_caught_though_it_counts_no_flops():
    verdict = decide(GROWTH, costs(elements=[n * n for n in SIZES], flops=[0] * 4), {})
    assert verdict.status is Status.FAILED and verdict.note == "cost-grows-too-fast"
    assert "N^2.0 between N=1024 and N=2048 (elements produced by torch ops)" in verdict.feedback


def test_quadratic_numpy_is_caught_by_its_counted_elements():
    verdict = decide(GROWTH, costs(elements=[0] * 4, numpy_elements=[8 * n * n for n in SIZES]), {})
    assert verdict.status is Status.FAILED and "numpy" in verdict.feedback


def test_a_quadratic_python_loop_is_caught_by_its_lines():
    verdict = decide(GROWTH, costs(elements=[50 * n for n in SIZES], python_lines=[n * n / 2 for n in SIZES]), {})
    assert verdict.status is Status.FAILED and "lines of your Python code" in verdict.feedback


def test_constant_overheads_do_not_hide_a_quadratic_term():
    """A large constant makes the last ratio look almost flat; differences between sizes see N^2."""
    overhead = [10_000_000 + n * n for n in SIZES]
    assert growth_exponent(SIZES, overhead) > 1.9
    assert decide(GROWTH, costs(elements=overhead), {}).status is Status.FAILED


def test_n_log_n_passes():
    verdict = decide(GROWTH, costs(elements=[n * np.log2(n) * 10 for n in SIZES]), {})
    assert verdict.status is Status.PASSED


def test_counts_at_the_small_sizes_decide_when_the_large_ones_were_only_timed():
    """Op-heavy code is counted at the smallest sizes only; the larger ones carry seconds alone."""
    lines = [4 * 256 * 256, 4 * 512 * 512, None, None]
    seconds = [0.01, 0.02, 0.04, 0.08]
    verdict = decide(GROWTH, costs(python_lines=lines, elements=[1, 1, None, None], cpu_seconds=seconds), {})
    assert verdict.status is Status.FAILED and verdict.evidence["sizes"] == [256, 512]


def test_time_does_not_decide_when_a_counter_saw_the_work():
    """Counts are exact whatever the load: a slow, noisy clock cannot fail a linear count."""
    noisy = costs(elements=[10 * n for n in SIZES], cpu_seconds=[0.05, 0.2, 0.8, 3.2])
    assert decide(GROWTH, noisy, {}).status is Status.PASSED


def test_cpu_time_decides_only_when_no_counter_saw_work_with_a_looser_bound():
    invisible = dict(elements=[5] * 4, numpy_elements=[0] * 4, python_lines=[3] * 4)
    assert decide(GROWTH, costs(**invisible, cpu_seconds=[0.01, 0.02, 0.045, 0.1]), {}).status is Status.PASSED
    quadratic = decide(GROWTH, costs(**invisible, cpu_seconds=[0.01, 0.04, 0.16, 0.64]), {})
    assert quadratic.status is Status.FAILED and "CPU time" in quadratic.feedback


def test_nothing_measurable_goes_to_a_person_never_passes():
    verdict = decide(GROWTH, costs(elements=[5] * 4, cpu_seconds=[1e-5, 1e-5, 2e-5, 3e-5]), {})
    assert verdict.status is Status.MANUAL and "could not measure" in verdict.feedback


def test_a_constant_output_earns_nothing_for_its_cost():
    verdict = decide(GROWTH, costs(value=np.zeros((4, 3)), elements=[n for n in SIZES]), {})
    assert verdict.status is Status.FAILED and verdict.note == "no-work-to-measure"
