"""How a student function's cost grows with N, measured rather than assumed.

The child counts, per call: FLOPs of matmul-like ops (torch's FlopCounterMode), the elements produced by
every aten op (sees broadcasting, which FLOP counting misses), numpy's peak traced bytes (code that leaves
torch for numpy) and seconds. The growth exponent between the two largest sizes is what we report: constant
overheads fade there. All of this runs in the student's process, so it is a teaching check, not a security
boundary: a determined student can lie to it.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from .checks import Check
from .compare import as_array
from .model import Call, Outcome, Verdict

__all__ = ["grows_like", "growth_exponent"]

# metric -> (words for the student, smallest value at the largest N that is worth fitting, extra slack)
_METRICS = {
    "elements": ("elements produced by torch ops", 10_000, 0.0),
    "flops": ("FLOPs counted in matrix products", 10_000, 0.0),
    "numpy_peak_bytes": ("peak bytes allocated by numpy", 2**20, 0.0),
    # the last resort, for work the counters cannot see (a Python loop over numpy rows): noisy, so only
    # long calls count and the bound is looser
    "seconds": ("wall-clock time", 0.2, 0.3),
}


def growth_exponent(sizes: Sequence[int], values: Sequence[float]) -> float:
    """log(v_k / v_{k-1}) / log(N_k / N_{k-1}) for the two largest sizes."""
    (n0, n1), (v0, v1) = sizes[-2:], values[-2:]
    if v0 <= 0 or v1 <= 0:
        return 0.0
    return math.log(v1 / v0) / math.log(n1 / n0)


def grows_like(name: str, points: float, make_call: Callable[[int], Call], *, exponent: float,
               sizes: Sequence[int] = (128, 256, 512, 1024), slack: float = 0.35, what: str = "your function",
               concept: str = "", visibility: str = "visible") -> Check:
    """Cost may grow at most like N^exponent (plus `slack`) in every metric that saw real work."""
    sizes = tuple(sizes)
    calls = tuple(make_call(n) for n in sizes)
    assert all(c.measure_cost for c in calls), "grows_like needs calls made with measure_cost=True"

    def judge(outcomes: Sequence[Outcome]) -> Verdict:
        if not _did_work([o.value for o in outcomes]):
            return Verdict.failed(f"{what} returns the same value for every input (or no array at all), so there "
                                  "is no computation to measure.", note="no-work-to-measure")
        series = {m: [o.cost.get(m, 0.0) for o in outcomes] for m in _METRICS}
        measured = {m: round(growth_exponent(sizes, series[m]), 2) for m, (_, floor, _) in _METRICS.items()
                    if series[m][-1] >= floor}
        evidence = dict(sizes=list(sizes), series=series, exponents=measured, expected_exponent=exponent)
        if not measured:
            return Verdict.passed("No torch or numpy work large enough to measure.", **evidence)
        excess = {m: e - exponent - slack - _METRICS[m][2] for m, e in measured.items()}
        metric = max(excess, key=excess.get)
        found = f"{what} grows like N^{measured[metric]:.1f} between N={sizes[-2]} and N={sizes[-1]} " \
                f"({_METRICS[metric][0]})"
        if excess[metric] <= 0:
            return Verdict.passed(found + ".", **evidence)
        return Verdict.failed(f"{found}; it should grow like N^{exponent:g}. {concept}".strip(),
                              note="cost-grows-too-fast", **evidence)

    return Check(name, points, judge, calls, visibility, uses_cost=True)


def _did_work(values: Sequence[object]) -> bool:
    """Some returned array is finite and not constant: there was a computation worth measuring."""
    arrays = [as_array(v) for v in values]
    return any(a is not None and a.size > 1 and a.dtype.kind in "biuf" and np.isfinite(a).all() and np.ptp(a) > 0
               for a in arrays)
