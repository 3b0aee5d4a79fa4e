"""Grade staff-written variants of the reference with a suite's own checks, in this process.

A variant is the reference module with one function replaced by a catalogued convention
(`reference/*_mistakes.py`, `CONVENTIONS`). It is staff code, so it runs here rather than in the sandbox,
but everything after the call is the engine's: the same seeds before each call, the same `invoke`
(gradients, model reports), the child's conversion to plain data, a round trip through the wire format,
cost counters where a call asks for them, and `graders.checks.decide` for the verdict.
"""
from __future__ import annotations

import importlib.util
import random
import types
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from graders.checks import Check, decide
from graders.model import Call, Outcome, Status, Verdict
from graders.sandbox.named import invoke
from graders.suite import Suite, load_suite
from graders.wire import Unsupported, WireError, decode_frame, encode_frame

__all__ = ["Graded", "variant", "grade_variant", "questions_lost"]

REFERENCE = {"kernel_attention": "reference.kernel_attention", "triplet_loss": "reference.triplet_loss",
             "example_difficulty": "reference.example_difficulty"}


@dataclass(frozen=True)
class Graded:
    question: str
    check: str
    points: float
    verdict: Verdict

    @property
    def lost(self) -> float:
        """Points lost (a manual verdict loses nothing yet)."""
        return 0.0 if self.verdict.fraction is None else self.points * (1.0 - self.verdict.fraction)


def variant(assignment: str, replaces: str | None = None, function: Callable | None = None) -> types.ModuleType:
    """A fresh copy of the reference module with `replaces` rebound to `function`: the reference's other
    functions that call it (random_feature_attention calls kernel_attention) now call the variant, as a
    student's own functions would."""
    spec = importlib.util.find_spec(REFERENCE[assignment])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if replaces is not None:
        setattr(module, replaces, function)
    return module


def _plain(value: Any) -> Any:
    """What the sandbox's child sends back for a returned value (see graders/sandbox/child.py)."""
    if isinstance(value, torch.Tensor):
        return value.detach().contiguous().numpy().copy()
    if isinstance(value, np.ndarray):
        return np.asarray(value).view(np.ndarray).copy()
    if type(value) in (list, tuple):
        return type(value)(_plain(v) for v in value)
    if type(value) is dict:
        return {str(k): _plain(v) for k, v in value.items()}
    if type(value) in (bool, int, float, str) or value is None or isinstance(value, np.generic):
        return value
    return Unsupported(type(value).__name__)


ROOT = str(Path(__file__).resolve().parents[1] / "reference")          # python lines are counted in these files


def _measured(run: Callable[[], Any], call: Call) -> tuple[Any, dict]:
    from graders.sandbox import measure
    return measure.measure(run, {"function": call.function, "kwargs": call.kwargs}, ROOT)


def _new_cost_series() -> None:
    """A fresh worker per submission in the sandbox: the counters' per-series state starts empty."""
    from graders.sandbox import measure
    measure._SERIES.clear()


def run_call(module: types.ModuleType, call: Call) -> Outcome:
    function = getattr(module, call.function, None)
    if not callable(function):
        return Outcome(Status.MISSING, error=f"no function named {call.function}")
    with torch.random.fork_rng():
        state = np.random.get_state(), random.getstate()
        torch.manual_seed(call.seed)
        np.random.seed(call.seed)
        random.seed(call.seed)
        run = lambda: invoke(function, call.args, call.kwargs, call.grad_wrt, call.cotangent, call.report)
        try:
            value, cost = _measured(run, call) if call.measure_cost else (run(), {})
            value = decode_frame(encode_frame(_plain(value)))
        except WireError as error:
            return Outcome(Status.INVALID, error=str(error))
        except Exception as error:                                          # noqa: BLE001 - the variant's own error
            return Outcome(Status.ERROR, error=f"{type(error).__name__}: {error}")
        finally:
            np.random.set_state(state[0])
            random.setstate(state[1])
    return Outcome(Status.PASSED, value=value, cost=cost)


def _calls_of(check: Check) -> tuple[Call, ...]:
    return check.calls + check.support_calls


def _depends_on(module: types.ModuleType, name: str) -> set[str]:
    """Functions of the module that call `name`, directly or through one another (read from their code)."""
    functions = {n: f for n, f in vars(module).items() if isinstance(f, types.FunctionType)}
    found, frontier = {name}, {name}
    while frontier:
        frontier = {n for n, f in functions.items() if n not in found and frontier & _names_used(f.__code__)}
        found |= frontier
    return found


def _names_used(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names_used(const)
    return names


@lru_cache(maxsize=None)
def _reference_outcomes(assignment: str) -> dict[int, Outcome]:
    """Every call of the suite answered by the reference, once: a variant reuses the outcomes of calls it
    cannot change."""
    module, suite = variant(assignment), load_suite(assignment)
    _new_cost_series()
    return {id(call): run_call(module, call) for q in suite.questions for check in q.checks
            for call in _calls_of(check)}


def grade_variant(assignment: str, replaces: str | None = None, function: Callable | None = None, *,
                  cost: bool = True) -> list[Graded]:
    """Every check of the suite's code questions on the variant, judged by the engine's `decide`; with
    cost=False, the cost checks (the slow part) are left out."""
    suite: Suite = load_suite(assignment)
    reference = _reference_outcomes(assignment)
    module = variant(assignment, replaces, function)
    changed = _depends_on(module, replaces) if replaces else set()
    _new_cost_series()
    graded = []
    for question in suite.questions:
        for check in question.checks:
            if check.reads_answer is not None or (check.uses_cost and not cost):
                continue
            outcomes = [run_call(module, c) if c.function in changed else reference[id(c)] for c in _calls_of(check)]
            graded.append(Graded(question.id, check.name, check.points, decide(check, outcomes, {})))
    return graded


def questions_lost(graded: list[Graded]) -> set[str]:
    return {g.question for g in graded if g.lost > 1e-12}
