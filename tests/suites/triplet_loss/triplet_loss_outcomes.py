"""Outcomes for the triplet_loss checks without a sandbox: values made by hand, or computed in this process by
trusted functions (the reference, the known mistakes, small variants written in the tests).

`grade_check(check, pairwise_distances=f, ...)` runs every call of a check (support calls included) on the
reference functions, with the named ones replaced, converts the results to plain data as the wire would,
and returns the check's Verdict.
"""
from __future__ import annotations

import contextlib
import importlib.util
from pathlib import Path
from typing import Callable
from unittest import mock

from graders.checks import Check, call_reference, decide
from graders.model import Outcome, Status, Verdict
from graders.suite import load_suite
from reference import triplet_loss as ref
from suites.inprocess import outcome, plain

SUITE = load_suite("triplet_loss")
EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "triplet_loss"
REFERENCE = {name: getattr(ref, name) for name in ref.__all__}
ORIGINAL_DISTANCES, ORIGINAL_MASK = ref.pairwise_distances, ref.triplet_mask


def check(question: str, words: str) -> Check:
    """The check of `question` whose name contains `words`."""
    (found,) = [c for c in SUITE.question(question).checks if words in c.name]
    return found


def grade_check(check: Check, **functions: Callable) -> Verdict:
    table = {**REFERENCE, **functions}
    return decide(check, [outcome(table.get(c.function), c) for c in check.calls + check.support_calls], {})


def judge_values(check: Check, values: list, support: list | None = None) -> Verdict:
    """Hand-made returned values, in call order (support values default to the reference's)."""
    outcomes = [Outcome(Status.PASSED, value=v) for v in values]
    if check.support_calls:
        support = support if support is not None else [plain(call_reference(REFERENCE[c.function], c))
                                                        for c in check.support_calls]
        outcomes += [Outcome(Status.PASSED, value=v) for v in support]
    return decide(check, outcomes, {})


def reference_values(check: Check) -> list:
    return [plain(call_reference(REFERENCE[c.function], c)) for c in check.calls]


def using(loss: Callable, *, pairwise_distances: Callable | None = None, triplet_mask: Callable | None = None) -> Callable:
    """A student's loss that calls their own (possibly wrong) helpers: the reference loss with its helpers
    replaced while it runs."""
    def student_loss(*args, **kwargs):
        with contextlib.ExitStack() as stack:
            if pairwise_distances is not None:
                stack.enter_context(mock.patch.object(ref, "pairwise_distances", pairwise_distances))
            if triplet_mask is not None:
                stack.enter_context(mock.patch.object(ref, "triplet_mask", triplet_mask))
            return loss(*args, **kwargs)
    return student_loss


def example(name: str):
    """An example submission's code, imported in this process (trusted: it ships with the repository)."""
    spec = importlib.util.spec_from_file_location(f"triplet_example_{name.replace('-', '_')}",
                                                  EXAMPLES / name / "triplet_loss.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {n: getattr(module, n) for n in REFERENCE if hasattr(module, n)}
