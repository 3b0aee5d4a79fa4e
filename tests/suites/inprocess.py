"""Checks run on outcomes made in this process, without a sandbox: the calls of a check (support calls
included) are made on trusted functions (the reference, the known mistakes, the bundled example submissions,
small variants written in the tests), converted to plain data as the wire would, and judged by `decide`.

Cost checks are left out (their counters run in the sandbox only).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import torch

from graders.checks import Check, call_reference, decide
from graders.model import Outcome, Status, Verdict
from graders.sandbox.named import NoGradient
from graders.suite import Suite

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def plain(value: Any) -> Any:
    """What the wire would deliver: arrays, Python numbers, tuples and lists."""
    if isinstance(value, torch.Tensor):
        return value.detach().numpy().copy()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, list)):
        return type(value)(plain(v) for v in value)
    return value


def outcome(function: Callable | None, call) -> Outcome:
    """As the sandbox runs it: one torch thread, seeded."""
    if function is None:
        return Outcome(Status.MISSING, error=f"no function named {call.function}")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(call.seed)
    np.random.seed(call.seed)
    try:
        return Outcome(Status.PASSED, value=plain(call_reference(function, call)))
    except NoGradient as error:                                  # as the worker reports it: wrong, not a crash
        return Outcome(Status.FAILED, error=str(error))
    except Exception as error:                                   # noqa: BLE001 - a submission's function may raise
        return Outcome(Status.ERROR, error=f"{type(error).__name__}: {error}")
    finally:
        torch.set_num_threads(threads)


def is_cost(check: Check) -> bool:
    return check.uses_cost


def grade_check(check: Check, functions: Mapping[str, Callable]) -> Verdict:
    return decide(check, [outcome(functions.get(c.function), c) for c in check.calls + check.support_calls], {})


def judge_values(check: Check, values: list, support: list | None = None) -> Verdict:
    """Hand-made returned values, in call order; support values default to `support` (None: failed)."""
    outcomes = [Outcome(Status.PASSED, value=v) for v in values]
    outcomes += [Outcome(Status.PASSED, value=v) if v is not None else Outcome(Status.ERROR, error="x")
                 for v in (support if support is not None else [None] * len(check.support_calls))]
    return decide(check, outcomes, {})


def grade_questions(suite: Suite, functions: Mapping[str, Callable]) -> dict[str, dict[str, Verdict]]:
    """question id -> check name -> Verdict, for every code check that is not a cost check."""
    return {q.id: {c.name: grade_check(c, functions) for c in q.checks if c.calls and not is_cost(c)}
            for q in suite.questions if q.kind == "code"}


def module_functions(path: Path) -> dict[str, Callable]:
    """The public functions of a trusted example file, imported in this process."""
    spec = importlib.util.spec_from_file_location(f"example_{abs(hash(path))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {n: f for n, f in vars(module).items() if callable(f) and not n.startswith("_")}


def example_functions(assignment: str, name: str) -> dict[str, Callable]:
    return module_functions(EXAMPLES / assignment / name / f"{assignment}.py")
