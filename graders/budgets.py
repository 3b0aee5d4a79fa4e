"""Per-call time limits from the reference's own time on the same call.

A flat limit is either too short for a slow machine or far too long for a function that hangs: every call
of a hanging function used to wait out 10 s. Here each call's limit is the reference solution's time on
exactly that call times a generous factor, never below a floor (a natural loop-style solution, a loaded
machine and, for cost calls, the counting all fit well inside it) and never above the limit the suite
declared on the call. The reference is timed once per call and process, in the grader (it is trusted code).
"""
from __future__ import annotations

import dataclasses
import importlib
import time
from typing import Callable, Sequence

from .model import Call
from .sandbox.named import invoke

__all__ = ["limit_for", "with_limits", "FACTOR", "FLOOR_S", "MEASURED_FLOOR_S"]

FACTOR = 200.0               # a student's Python loop may be ~100x slower than the vectorised reference
FLOOR_S = 5.0                # no call gets less: a loaded machine (a 2-core box at load 15) must not time out
                             # a correct loop-style solution
MEASURED_FLOOR_S = 10.0      # cost calls run the function twice at the first size and count its work

_SECONDS: dict[tuple[str, int], float | None] = {}


def _reference(assignment: str, function: str) -> Callable | None:
    try:
        module = importlib.import_module(f"reference.{assignment}")
    except ImportError:
        return None
    found = getattr(module, function, None)
    return found if callable(found) else None


def reference_seconds(assignment: str, call: Call) -> float | None:
    """The reference's best of two runs on `call` (None when there is no reference or it raises there)."""
    key = (assignment, id(call))
    if key not in _SECONDS:
        reference = _reference(assignment, call.function)
        _SECONDS[key] = None if reference is None else _time(reference, call)
    return _SECONDS[key]


def _time(reference: Callable, call: Call) -> float | None:
    best = None
    for _ in range(2):
        start = time.perf_counter()
        try:
            invoke(reference, call.args, call.kwargs, call.grad_wrt, call.cotangent, call.report)
        except Exception:                                          # noqa: BLE001 - a call made to fail
            return None
        spent = time.perf_counter() - start
        best = spent if best is None else min(best, spent)
    return best


def limit_for(call: Call, reference_s: float | None) -> float:
    """min(declared, max(floor, FACTOR x reference)): the declared limit when there is no reference time."""
    if reference_s is None:
        return call.timeout_s
    floor = MEASURED_FLOOR_S if call.measure_cost else FLOOR_S
    return min(call.timeout_s, max(floor, FACTOR * reference_s))


def with_limits(assignment: str, calls: Sequence[Call]) -> list[Call]:
    """The same calls, each with its limit from the reference's time."""
    return [dataclasses.replace(call, timeout_s=limit_for(call, reference_seconds(assignment, call)))
            for call in calls]
