"""How a student function's cost grows with N, counted rather than assumed, and judged the same under any load.

The sandbox (graders/sandbox/measure.py) counts, per call, the work it can see exactly: elements produced
by torch ops (sees broadcasting), FLOPs of torch's matrix products, elements read and written by numpy
operations on arrays made from the inputs (a matmul counts m n k), and lines run in the student's own
files (sees Python loops). Counts do not depend on the machine or its load, so a verdict never does either.

The rule, per counter that saw work grow (at least `min_growth` more between the last two counted sizes):
its growth exponent, fitted on differences between consecutive sizes so that constant overheads drop out,
may exceed the expected one by at most `slack` (0.35: N log N passes, N^2 does not). Only when no counter saw
any growing work (code the counters cannot see: a C extension, say) does CPU time decide, with a looser
bound; and when even the time is too short to measure, the check goes to a person (`manual`): "nothing
large enough to measure" is never a pass.

All of this runs in the student's process, so it is a teaching check, not a security boundary: a determined
student can lie to it. The values it produces are judged here, in the grader's process.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from .checks import Check
from .compare import as_array
from .model import Call, Outcome, Verdict

__all__ = ["grows_like", "growth_exponent", "COUNTERS", "DEFAULT_SIZES"]

# counter -> (words for the student, the smallest growth between the last two counted sizes worth fitting)
COUNTERS = {
    "elements": ("elements produced by torch ops", 1_000),
    "flops": ("FLOPs counted in matrix products", 1_000),
    "numpy_elements": ("elements read and written by numpy", 1_000),
    "python_lines": ("lines of your Python code run", 100),
}
TIME = ("CPU time", 0.002, 0.3)          # (words, shortest largest-N time worth fitting, extra slack: noisy)
DEFAULT_SIZES = (32, 64, 128, 256, 512, 1024)


def growth_exponent(sizes: Sequence[float], values: Sequence[float]) -> float:
    """The exponent e of v ~ a + b N^e at the largest sizes: from the ratio of the last two differences when
    there are three points that grow (constant overheads cancel), else from the last two values."""
    if len(values) >= 3:
        (n0, n1, n2), (v0, v1, v2) = sizes[-3:], values[-3:]
        if v1 - v0 > 0 and v2 - v1 > 0:
            return _solve(lambda e: (n2 ** e - n1 ** e) / (n1 ** e - n0 ** e), (v2 - v1) / (v1 - v0))
    (n0, n1), (v0, v1) = sizes[-2:], values[-2:]
    if v0 <= 0 or v1 <= 0:
        return 0.0
    return math.log(v1 / v0) / math.log(n1 / n0)


def _solve(ratio_at: Callable[[float], float], target: float, low: float = 1e-3, high: float = 8.0) -> float:
    """The e in [low, high] with ratio_at(e) = target (ratio_at increases with e), by bisection."""
    if target <= ratio_at(low):
        return 0.0
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if ratio_at(middle) < target else (low, middle)
    return (low + high) / 2


def grows_like(name: str, points: float, make_call: Callable[[int], Call], *, exponent: float,
               sizes: Sequence[int] = DEFAULT_SIZES, slack: float = 0.35, what: str = "your function",
               concept: str = "", visibility: str = "visible") -> Check:
    """Cost may grow at most like N^exponent (plus `slack`) in every counter that saw work grow. Sizes go in
    increasing order: the sandbox counts the smallest ones and only runs and times the largest op-heavy ones."""
    sizes = tuple(sizes)
    assert list(sizes) == sorted(sizes), "grows_like needs sizes in increasing order"
    calls = tuple(make_call(n) for n in sizes)
    assert all(c.measure_cost for c in calls), "grows_like needs calls made with measure_cost=True"

    def judge(outcomes: Sequence[Outcome]) -> Verdict:
        if not _did_work([o.value for o in outcomes]):
            return Verdict.failed(f"{what} returns the same value for every input (or no array at all), so there "
                                  "is no computation to measure.", note="no-work-to-measure")
        return judge_growth(sizes, [o.cost for o in outcomes], exponent, slack, what, concept)

    return Check(name, points, judge, calls, visibility, uses_cost=True)


def judge_growth(sizes: Sequence[int], costs: Sequence[dict], exponent: float, slack: float, what: str,
                 concept: str = "") -> Verdict:
    """The verdict from what the sandbox counted (see the module docstring for the rule)."""
    counted = [(n, c) for n, c in zip(sizes, costs) if any(k in c for k in COUNTERS)]
    counted_sizes = [n for n, _ in counted]
    series = {k: [c.get(k, 0.0) for _, c in counted] for k in COUNTERS}
    measured = {k: round(growth_exponent(counted_sizes, v), 2) for k, v in series.items()
                if len(v) >= 2 and v[-1] - v[-2] >= COUNTERS[k][1]}
    evidence = dict(sizes=counted_sizes, series=series, exponents=measured, expected_exponent=exponent)
    if measured:
        words = {k: COUNTERS[k][0] for k in measured}
        return _verdict(measured, words, {k: slack for k in measured}, counted_sizes, exponent, what, concept,
                        evidence)
    timed = [(n, c["cpu_seconds"]) for n, c in zip(sizes, costs) if "cpu_seconds" in c]
    if len(timed) >= 2 and timed[-1][1] >= TIME[1]:
        timed_sizes, seconds = [n for n, _ in timed], [t for _, t in timed]
        measured = {"cpu_seconds": round(growth_exponent(timed_sizes[-2:], seconds[-2:]), 2)}
        evidence = dict(sizes=timed_sizes, series={"cpu_seconds": seconds}, exponents=measured,
                        expected_exponent=exponent)
        return _verdict(measured, {"cpu_seconds": TIME[0]}, {"cpu_seconds": slack + TIME[2]}, timed_sizes, exponent,
                        what, concept, evidence)
    return Verdict.manual(f"The grader could not measure how the cost of {what} grows: none of its counters (torch "
                          "ops, numpy operations, lines of your Python code) saw work that grows with N, and the "
                          "calls were too short to time. Course staff will review it.", **evidence)


def _verdict(measured: dict, words: dict, slacks: dict, sizes: Sequence[int], exponent: float, what: str,
             concept: str, evidence: dict) -> Verdict:
    excess = {k: e - exponent - slacks[k] for k, e in measured.items()}
    worst = max(excess, key=excess.get)
    found = f"{what} grows like N^{measured[worst]:.1f} between N={sizes[-2]} and N={sizes[-1]} ({words[worst]})"
    if excess[worst] <= 0:
        return Verdict.passed(found + ".", **evidence)
    return Verdict.failed(f"{found}; it should grow like N^{exponent:g}. {concept}".strip(),
                          note="cost-grows-too-fast", **evidence)


def _did_work(values: Sequence[object]) -> bool:
    """Some returned array is finite and not constant: there was a computation worth measuring."""
    arrays = [as_array(v) for v in values]
    return any(a is not None and a.size > 1 and a.dtype.kind in "biuf" and np.isfinite(a).all() and np.ptp(a) > 0
               for a in arrays)
