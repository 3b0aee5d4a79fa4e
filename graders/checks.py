"""The vocabulary suites are written in, and the one judging core they share.

A `Check` carries the calls it needs (built on the grader's side from explicit seeds) and a judge that
turns what came back into a `Verdict`. The engine does the common part once (`decide`): a call that
raised, timed out or is missing decides the check before its judge is asked, so judges only ever see
returned values; and the expected values of a hidden check are redacted there, in one place.

`returns` is the judge of values: the student's function returns what the reference returns, compared
on the dtype the student returned with the tolerance rule of `graders.compare` (1e-5 relative to the
array's scale, widened for float32). When it fails, the judge tries, in this order:

1. `Given`: right given the student's own helpers. A check that builds on other student functions
   names them (`Given({"random_features": ref.random_features}, calls=..., expected=...)`); the grader
   calls those helpers on the same inputs and computes the expected value from their outputs with a
   reference function that takes them. If the student's value matches that, and some helper deviates
   from its reference, the check passes with the note `follows-from-<helper>`: any deviation of a helper,
   a known mistake or not, is charged on the helper's own question only.
2. `Mistake`: a known wrong answer, matched on every call, names its note and concept.
3. Otherwise the evidence: the call, how many entries differ, the worst one, and the rule (`concept`).

Every judge is a pure function and can be tested with hand-made outcomes.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch

from .compare import Tolerance, compare_arrays, describe, difference_text
from .model import Call, Outcome, Status, Verdict
from .sandbox.named import invoke, resolve
from .wire import Named

__all__ = ["Check", "Mistake", "Given", "decide", "redact", "returns", "matches_reference", "satisfies", "answer",
           "manual", "describe_call", "call_reference", "Judge"]

Judge = Callable[..., Verdict]          # returned values in call order (and support values) -> Verdict


@dataclass(frozen=True)
class Check:
    name: str
    points: float
    judge: Callable[..., Verdict]
    calls: tuple[Call, ...] = ()
    visibility: str = "visible"
    reads_answer: tuple[str, ...] | None = None     # (question id, part...) for answer checks
    uses_cost: bool = False                         # the judge wants Outcomes (with cost), not values
    support_calls: tuple[Call, ...] = ()            # calls of the helpers a check builds on; they decide nothing
    mistakes: tuple["Mistake", ...] = ()            # the known mistakes its judge names (for tests and catalogues)


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer: a function with the reference's signature, a stable note and one sentence of
    feedback. Tried only after a check failed; it changes the message, and the score only if `fraction`."""
    note: str
    expected: Callable[..., Any]
    feedback: str
    fraction: float = 0.0


@dataclass(frozen=True)
class Given:
    """The student functions a check builds on. `helpers` maps each to its reference; `calls(call)` gives the
    helper calls made for one call of the check; `expected(*args, *helper_outputs, **kwargs)` computes, with
    reference code, the check's value from the helpers' outputs (torch tensors) on that call's arguments."""
    helpers: Mapping[str, Callable[..., Any]]
    calls: Callable[[Call], Sequence[Call]]
    expected: Callable[..., Any]


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


# ------------------------------------------------------------------------------------------------ the engine
def decide(check: Check, outcomes: Sequence[Outcome], answers: Mapping[str, Any]) -> Verdict:
    """The engine's common part: failed calls decide first; then the check's own judge; hidden checks are
    redacted."""
    if check.reads_answer is not None:
        return check.judge(_answer_at(answers, check.reads_answer))
    primary, support = outcomes[:len(check.calls)], outcomes[len(check.calls):]
    for call, outcome in zip(check.calls, primary):
        if not outcome.returned:
            return _verdict_for_failed_call(call, outcome)
    if check.uses_cost:
        verdict = check.judge(primary)
    elif check.support_calls:
        verdict = check.judge([o.value for o in primary], [o.value if o.returned else None for o in support])
    else:
        verdict = check.judge([o.value for o in primary])
    return redact(verdict) if check.visibility == "hidden" else verdict


def redact(verdict: Verdict) -> Verdict:
    """A hidden check's verdict without expected values: the one place they are taken out."""
    evidence = {k: v for k, v in verdict.evidence.items() if not k.startswith("expected") and k != "inputs"}
    feedback = verdict.feedback
    if _is_difference(verdict.evidence) and "call" in verdict.evidence:
        feedback = _mismatch_feedback(verdict.evidence["call"], verdict.evidence, verdict.evidence.get("concept", ""),
                                      show_expected=False)
    return dataclasses.replace(verdict, feedback=feedback, evidence=evidence)


def _is_difference(evidence: Mapping[str, Any]) -> bool:
    """Evidence of a value mismatch from `graders.compare` (the count, the worst entry, got and expected)."""
    return all(k in evidence for k in ("what", "mismatches", "size", "got"))


def _verdict_for_failed_call(call: Call, outcome: Outcome) -> Verdict:
    if outcome.status is Status.MISSING:
        return Verdict(Status.MISSING, 0.0, f"`{call.function}` is not defined in your submission.")
    where = f"Calling {describe_call(call)}"
    if outcome.status is Status.TIMEOUT:
        return Verdict(Status.TIMEOUT, 0.0, f"{where} {outcome.error}; look for an endless loop or far too much work.")
    if outcome.status is Status.FAILED:                             # no gradient: a wrong result, not a crash
        return Verdict(Status.FAILED, 0.0, f"{where}: the result carries no gradient. {outcome.error}",
                       note="no-gradient")
    return Verdict(outcome.status, 0.0, f"{where} failed:\n{outcome.error}")


def _answer_at(answers: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = answers
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    return value


# ------------------------------------------------------------------------------------------------ values
def returns(name: str, points: float, calls: Sequence[Call], reference: Callable[..., Any], *,
            tolerance: Tolerance = Tolerance(), mistakes: Sequence[Mistake] = (), given: Sequence[Given] = (),
            visibility: str = "visible", what: str = "the result", part: int | None = None, concept: str = "",
            if_non_finite: str = "") -> Check:
    """The student's function returns what `reference` returns on every call (arrays, numbers or tuples of
    them; with `part`, only that item of a returned tuple is judged). See the module docstring."""
    calls = tuple(calls)
    judge = matches_reference(calls, reference, tolerance=tolerance, mistakes=mistakes, given=given, what=what,
                              part=part, concept=concept, if_non_finite=if_non_finite)
    support = tuple(helper for g in given for call in calls for helper in g.calls(call))
    return Check(name, points, judge, calls, visibility, support_calls=support, mistakes=tuple(mistakes))


def matches_reference(calls: Sequence[Call], reference: Callable[..., Any], *, tolerance: Tolerance = Tolerance(),
                      mistakes: Sequence[Mistake] = (), given: Sequence[Given] = (), what: str = "the result",
                      part: int | None = None, concept: str = "", if_non_finite: str = "") -> Judge:
    """The judge of `returns`, for checks that build on it. Expected values (the reference's, each mistake's,
    each helper's) are computed on the grader's side, once, when the suite is built."""
    calls = tuple(calls)
    pick = (lambda value: value) if part is None else (lambda value: value[part])
    expected = [pick(call_reference(reference, call)) for call in calls]
    wrong = [(m, [pick(call_reference(m.expected, call)) for call in calls]) for m in mistakes]
    helpers = [_HelperPlan(g, calls, pick) for g in given]

    def judge(values: Sequence[Any], support: Sequence[Any] = ()) -> Verdict:
        values = [_part(v, part, what) for v in values]
        verdicts = [_compare_value(v, e, tolerance, what) for v, e in zip(values, expected)]
        failing = [i for i, v in enumerate(verdicts) if v.status is not Status.PASSED]
        if not failing:
            return Verdict.passed()
        first = failing[0]
        if verdicts[first].status is Status.FAILED:
            offset = 0
            for plan in helpers:
                used, offset = support[offset:offset + plan.size], offset + plan.size
                if (verdict := plan.excuse(values, verdicts, used, tolerance)) is not None:
                    return verdict
            for mistake, outputs in wrong:
                if all(_compare_value(v, o, tolerance, what).status is Status.PASSED for v, o in zip(values, outputs)):
                    kept = {k: v for k, v in verdicts[first].evidence.items() if k in ("got", "expected", "index")}
                    return Verdict.failed(mistake.feedback, note=mistake.note, fraction=mistake.fraction,
                                          call=describe_call(calls[first]), inputs=_small_inputs(calls[first]), **kept)
        return _failure(verdicts[first], calls[first], concept, if_non_finite)

    return judge


def _part(value: Any, part: int | None, what: str) -> Any:
    if part is None:
        return value
    if not isinstance(value, (tuple, list)) or len(value) <= part:
        return _NotATuple(value)
    return value[part]


class _NotATuple:
    """A returned value that should have been a tuple; compares as invalid."""
    def __init__(self, value: Any):
        self.value = value


def _compare_value(got: Any, expected: Any, tolerance: Tolerance, what: str) -> Verdict:
    if isinstance(got, _NotATuple):
        return Verdict.invalid(f"{what}: the function should return a tuple of values; got {describe(got.value)}.")
    if not isinstance(expected, tuple):
        return compare_arrays(got, expected, tolerance, what=what)
    if not isinstance(got, (tuple, list)) or len(got) != len(expected):
        return Verdict.invalid(f"{what} should be a tuple of {len(expected)} values; got {describe(got)}.")
    for i, (g, e) in enumerate(zip(got, expected)):
        verdict = compare_arrays(g, np.asarray(e), tolerance, what=f"item {i} of {what}")
        if verdict.status is not Status.PASSED:
            return verdict
    return Verdict.passed()


def _failure(verdict: Verdict, call: Call, concept: str, if_non_finite: str) -> Verdict:
    """Evidence first (the call, the difference), then the concept."""
    where = describe_call(call)
    evidence = dict(verdict.evidence, call=where, inputs=_small_inputs(call))
    if verdict.status is Status.FAILED and _is_difference(verdict.evidence):
        return Verdict.failed(_mismatch_feedback(where, verdict.evidence, concept), verdict.note,
                              **dict(evidence, concept=concept))
    extra = f" {if_non_finite}" if if_non_finite and verdict.note == "non-finite" else ""
    extra += f" {concept}" if concept and verdict.status is Status.FAILED else ""
    return Verdict(verdict.status, 0.0, f"On {where}: {verdict.feedback}{extra}", verdict.note, evidence)


def _small_inputs(call: Call, limit: int = 64) -> list | None:
    """The failing call's arguments as plain lists when every array is small (for a snippet in reports)."""
    arrays = [a for a in [*call.args, *call.kwargs.values()] if isinstance(a, np.ndarray)]
    if any(a.size > limit for a in arrays) or any(isinstance(a, Named) for a in call.args):
        return None
    return [a.tolist() if isinstance(a, np.ndarray) else a for a in call.args]


def _mismatch_feedback(where: str, difference: dict, concept: str, *, show_expected: bool = True) -> str:
    return f"On {where}: {difference_text(difference, show_expected=show_expected)} {concept}".strip()


class _HelperPlan:
    """One `Given` laid out over a check's calls: which support values belong to which call, and the
    reference's own helper outputs, to tell whether the student's helpers deviate."""

    def __init__(self, given: Given, calls: Sequence[Call], pick: Callable[[Any], Any]):
        self.given, self.calls, self.pick = given, tuple(calls), pick
        self.helper_calls = [tuple(given.calls(call)) for call in calls]
        self.size = sum(len(h) for h in self.helper_calls)
        self.reference_outputs = [[call_reference(given.helpers[h.function], h) for h in hs] for hs in self.helper_calls]

    def excuse(self, values, verdicts, support, tolerance) -> Verdict | None:
        """PASSED with `follows-from-<helper>` when every call is right, or right given the student's own
        helper outputs, and some helper deviates; None otherwise."""
        if len(support) != self.size or any(s is None for s in support):
            return None
        deviating, offset = set(), 0
        for call, value, verdict, helper_calls, reference in zip(self.calls, values, verdicts, self.helper_calls,
                                                                 self.reference_outputs):
            outputs, offset = support[offset:offset + len(helper_calls)], offset + len(helper_calls)
            if any(np.shape(o) != np.shape(r) for o, r in zip(outputs, reference)):
                return None
            deviates = [compare_arrays(o, r, tolerance).status is not Status.PASSED for o, r in zip(outputs, reference)]
            if any(d and not _informative(o) for d, o in zip(deviates, outputs)):
                return None                       # a constant helper (all zeros, say) explains nothing
            deviating |= {h.function for h, d in zip(helper_calls, deviates) if d}
            if verdict.status is Status.PASSED:
                continue
            own = self.pick(_to_numpy(self.given.expected(*resolve(list(call.args)), *map(_tensor, outputs),
                                                          **resolve(dict(call.kwargs)))))
            if _compare_value(value, own, tolerance, "").status is not Status.PASSED:
                return None
        if not deviating:
            return None
        names = sorted(deviating, key=list(self.given.helpers).index)
        return Verdict.passed(f"Right, given your own {' and '.join(names)}: "
                              f"{'its' if len(names) == 1 else 'their'} mistake is charged on "
                              f"{'that question' if len(names) == 1 else 'those questions'} only.",
                              note="follows-from-" + "-and-".join(n.replace("_", "-") for n in names))


def _informative(value: Any) -> bool:
    """A helper output that can excuse something: numeric, finite and not constant."""
    array = np.asarray(value) if isinstance(value, (np.ndarray, int, float, bool)) else None
    return (array is not None and array.dtype.kind in "biuf" and array.size > 1 and bool(np.isfinite(array).all())
            and bool(np.ptp(array.astype(np.float64)) > 0))


def _tensor(value: Any) -> torch.Tensor:
    array = np.asarray(value)
    return torch.from_numpy(array.astype(np.float64) if array.dtype.kind == "f" else array.copy())


# ------------------------------------------------------------------------------------------------ other checks
def satisfies(name: str, points: float, calls: Sequence[Call], judge: Judge, *, visibility: str = "visible") -> Check:
    """An invariant: `judge` receives the returned values (in call order) and decides. Use for properties
    that hold for every right answer whatever its layout: causality, phi(X) phi(Y)^T, sample statistics."""
    return Check(name, points, judge, tuple(calls), visibility)


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
