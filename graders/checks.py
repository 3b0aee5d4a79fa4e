"""The vocabulary suites are written in: checks with names, points, visibility and a pure judge.

A `Check` carries the calls it needs (built on the grader's side from explicit seeds) and a judge that
turns what came back into a `Verdict`. The engine does the common part once (`decide`): a call that
raised, timed out or is missing decides the check before its judge is asked, so judges only ever see
returned values. Every judge is a pure function and can be tested with hand-made outcomes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch

from .compare import Tolerance, compare_arrays, describe
from .model import Call, Outcome, Status, Verdict
from .sandbox.named import invoke
from .wire import Named

__all__ = ["Check", "Mistake", "decide", "returns", "matches_reference", "satisfies", "answer", "manual", "describe_call",
           "call_reference", "Judge"]

Judge = Callable[[Sequence[Any]], Verdict]          # returned values, in call order -> Verdict


@dataclass(frozen=True)
class Check:
    name: str
    points: float
    judge: Callable[..., Verdict]
    calls: tuple[Call, ...] = ()
    visibility: str = "visible"
    reads_answer: tuple[str, ...] | None = None     # (question id, part...) for answer checks
    uses_cost: bool = False                         # the judge wants Outcomes (with cost), not values
    support_calls: tuple[Call, ...] = ()            # extra evidence; their failure decides nothing


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer: a function with the reference's signature, a stable note and one sentence of
    feedback. Tried only after a check failed; it changes the message, and the score only if `fraction`."""
    note: str
    expected: Callable[..., Any]
    feedback: str
    fraction: float = 0.0


def describe_call(call: Call) -> str:
    """`kernel_attention(Q (48, 6), K (48, 6), V (48, 3), causal=True), seed 2`: shapes, never values."""
    def show(value: Any) -> str:
        if isinstance(value, np.ndarray):
            return f"array {tuple(value.shape)}"
        if isinstance(value, Named):
            return str(value.params.get("name", value.kind))
        return repr(value)
    parts = [show(a) for a in call.args] + [f"{k}={show(v)}" for k, v in call.kwargs.items()]
    return f"{call.function}({', '.join(parts)})" + (f", seed {call.seed}" if call.seed else "")


def call_reference(function: Callable[..., Any], call: Call) -> Any:
    """Run a reference (or a mistake) on exactly the arguments the student got; results as numpy."""
    return _to_numpy(invoke(function, call.args, call.kwargs, call.grad_wrt, call.cotangent, call.report))


def _to_numpy(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().numpy()
    if isinstance(value, (tuple, list)):
        return tuple(_to_numpy(v) for v in value)
    return value


def decide(check: Check, outcomes: Sequence[Outcome], answers: Mapping[str, Any]) -> Verdict:
    """The engine's common part: failed calls decide first; then the check's own judge."""
    if check.reads_answer is not None:
        return check.judge(_answer_at(answers, check.reads_answer))
    primary, support = outcomes[:len(check.calls)], outcomes[len(check.calls):]
    for call, outcome in zip(check.calls, primary):
        if not outcome.returned:
            return _verdict_for_failed_call(call, outcome)
    if check.uses_cost:
        return check.judge(primary)
    values = [o.value for o in primary]
    if check.support_calls:
        return check.judge(values, [o.value if o.returned else None for o in support])
    return check.judge(values)


def _verdict_for_failed_call(call: Call, outcome: Outcome) -> Verdict:
    if outcome.status is Status.MISSING:
        return Verdict(Status.MISSING, 0.0, f"`{call.function}` is not defined in your submission.")
    where = f"Calling {describe_call(call)}"
    if outcome.status is Status.TIMEOUT:
        return Verdict(Status.TIMEOUT, 0.0, f"{where} {outcome.error}; look for an endless loop or far too much work.")
    return Verdict(outcome.status, 0.0, f"{where} failed:\n{outcome.error}")


def _answer_at(answers: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = answers
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    return value


# ------------------------------------------------------------------------------------------------ builders
def returns(name: str, points: float, calls: Sequence[Call], reference: Callable[..., Any], *,
            tolerance: Tolerance = Tolerance(), mistakes: Sequence[Mistake] = (), visibility: str = "visible",
            what: str = "the result", if_non_finite: str = "") -> Check:
    """The student's function returns what `reference` returns on every call (arrays or tuples of them)."""
    judge = matches_reference(calls, reference, tolerance=tolerance, mistakes=mistakes, what=what,
                              if_non_finite=if_non_finite)
    return Check(name, points, judge, tuple(calls), visibility)


def matches_reference(calls: Sequence[Call], reference: Callable[..., Any], *, tolerance: Tolerance = Tolerance(),
                      mistakes: Sequence[Mistake] = (), what: str = "the result", if_non_finite: str = "") -> Judge:
    """The judge of `returns`, for checks that build on it. Expected values are computed on the grader's
    side, once, when the suite is built."""
    calls = tuple(calls)
    expected = [call_reference(reference, call) for call in calls]
    wrong = [(m, [call_reference(m.expected, call) for call in calls]) for m in mistakes]

    def judge(values: Sequence[Any]) -> Verdict:
        for call, value, right in zip(calls, values, expected):
            verdict = _compare_value(value, right, tolerance, what)
            if verdict.status is not Status.PASSED:
                return _explain(verdict, values, wrong, tolerance, call, if_non_finite)
        return Verdict.passed()

    return judge


def _compare_value(got: Any, expected: Any, tolerance: Tolerance, what: str) -> Verdict:
    if not isinstance(expected, tuple):
        return compare_arrays(got, expected, tolerance, what=what)
    if not isinstance(got, (tuple, list)) or len(got) != len(expected):
        return Verdict.invalid(f"{what} should be a tuple of {len(expected)} values; got {describe(got)}.")
    for i, (g, e) in enumerate(zip(got, expected)):
        verdict = compare_arrays(g, np.asarray(e), tolerance, what=f"item {i} of {what}")
        if verdict.status is not Status.PASSED:
            return verdict
    return Verdict.passed()


def _explain(verdict: Verdict, values, wrong, tolerance, failing: Call, if_non_finite: str) -> Verdict:
    """Name a known mistake when the student's values match it on every call; otherwise keep the evidence."""
    if verdict.status is Status.FAILED:
        for mistake, outputs in wrong:
            if all(_compare_value(v, o, tolerance, "").status is Status.PASSED for v, o in zip(values, outputs)):
                return Verdict.failed(mistake.feedback, note=mistake.note, fraction=mistake.fraction,
                                      call=describe_call(failing))
    extra = f" {if_non_finite}" if if_non_finite and verdict.note == "non-finite" else ""
    feedback = f"On {describe_call(failing)}: {verdict.feedback}{extra}"
    return Verdict(verdict.status, 0.0, feedback, verdict.note, dict(verdict.evidence, call=describe_call(failing)))


def satisfies(name: str, points: float, calls: Sequence[Call], judge: Judge, *, visibility: str = "visible",
              support_calls: Sequence[Call] = ()) -> Check:
    """An invariant: `judge` receives the returned values (in call order) and decides. Use for properties
    that hold for every right answer whatever its layout: causality, phi(X) phi(Y)^T, sample statistics.
    With `support_calls`, the judge also receives their values (None where a call failed), so that it can
    tell a bug of this question from one it inherits from another question's function."""
    return Check(name, points, judge, tuple(calls), visibility, support_calls=tuple(support_calls))


def answer(name: str, points: float, path: Sequence[str], judge: Callable[[Any], Verdict], *,
           visibility: str = "visible") -> Check:
    """A math or numeric answer read from answers.yaml (or ANSWERS) at `path`, e.g. ("gaussian_decomposition",
    "sigma_sq"), and judged by a checker from `graders.symbolic`."""
    def judge_answer(value: Any) -> Verdict:
        if value is None or (isinstance(value, str) and not value.strip()):
            return Verdict(Status.MISSING, 0.0, f"No answer for `{'.'.join(path)}` (in answers.yaml, or in ANSWERS "
                                                "in your code).")
        return judge(value)
    return Check(name, points, judge_answer, (), visibility, tuple(path))


def manual(name: str, points: float, path: Sequence[str], rubric: str) -> Check:
    """A free-text answer for a person to score. The rubric is for staff: it goes into the evidence, which
    student reports do not show."""
    def judge_text(value: Any) -> Verdict:
        if value is None or not str(value).strip():
            return Verdict(Status.MISSING, 0.0, "No answer given.")
        return Verdict.manual("Graded by course staff.", text=str(value)[:10_000], rubric=rubric)
    return Check(name, points, judge_text, (), "visible", tuple(path))
