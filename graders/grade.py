"""One submission through the pipeline: load -> sandbox -> plain data -> trusted checks -> score."""
from __future__ import annotations

import dataclasses
import time
import traceback
from typing import Any, Mapping

from .budgets import with_limits
from .checks import Check, decide
from .model import Outcome, Status, Submission, SubmissionError, SubmissionResult, Verdict
from .sandbox import RunResult, Sandbox
from .sandbox.notebook import named_cell
from .score import answer_shown, score_check, score_question, submission_result
from .suite import Suite
from .written import attach_source

__all__ = ["grade_submission", "hidden_points"]


def _selected(suite: Suite, public_only: bool, question: str | None) -> list[tuple[Any, list[Check]]]:
    return [(q, [c for c in q.checks if c.visibility == "visible" or not public_only])
            for q in suite.questions if question in (None, q.id)]


def hidden_points(suite: Suite, question: str | None = None) -> float:
    """What a self-check leaves out: the points of the hidden checks (of one question, if asked)."""
    return round(sum(c.points for q, checks in _selected(suite, False, question) for c in checks
                     if c.visibility != "visible"), 6)


def _run(submission: Submission, calls: list, sandbox: Sandbox,
         preload: tuple[str, ...] = ()) -> tuple[RunResult, dict | None]:
    """Run the calls. A notebook runs in full first; if that exceeds the import budget (training a model at top
    level, say), it is graded again from its definitions only, and the result says so, naming the cell that was
    still running (`slow_cell`: {"cell", "first_line"})."""
    if submission.code_file is None:
        missing = Outcome(Status.MISSING, error="no code file")
        return RunResult(tuple(missing for _ in calls), None, (), "", "", 0.0), None
    run = sandbox.run(submission, calls, submission.code_file, preload=preload)
    if not submission.code_file.endswith(".ipynb"):
        return run, None
    if not any(e.kind == "import-timeout" for e in run.errors):
        return run, {"mode": "full", "cells": list(run.cells or ()), "why": "all code cells ran in order"}
    slow = named_cell(submission.files[submission.code_file], run.slow_cell) if run.slow_cell else None
    full_peak = run.peak_memory_mib
    run = sandbox.run(submission, calls, submission.code_file, notebook_mode="definitions", preload=preload)
    run = dataclasses.replace(run, peak_memory_mib=max(filter(None, (full_peak, run.peak_memory_mib)), default=None))
    why = (f"running every cell took longer than {sandbox.limits.import_timeout_s:g} s, so only imports, "
           "functions, classes and constants were run")
    return run, {"mode": "definitions", "cells": list(run.cells or ()), "why": why, "slow_cell": slow}


def _distinct(calls: list) -> list:
    """Each call once: checks that share a Call object (one input, several properties of the answer) share
    its outcome, so the student's function runs once for all of them."""
    return list({id(call): call for call in calls}.values())


def _submission_errors(suite: Suite, submission: Submission, run: RunResult) -> list[SubmissionError]:
    """Real problems only, each with its kind; a notice (a recovered answers.yaml) is said, never counted."""
    errors = list(submission.problems)
    if submission.code_file is None:
        errors.append(SubmissionError("missing-code", f"No code file found: name it {suite.code_file}."))
    return errors + list(run.errors)


def _unreadable(check: Check, answers: Mapping[str, Any], unreadable: Mapping[str, str]) -> Verdict | None:
    """An answer that is in answers.yaml but could not be read is invalid, not missing: the sheet's problem
    says what to fix."""
    key = check.reads_answer[0] if check.reads_answer else None
    if key in unreadable and key not in answers:
        return Verdict.invalid(f"Your answer could not be read. {unreadable[key]}")
    return None


def _judge(check: Check, outcomes, answers: Mapping[str, Any], faults: list[SubmissionError]) -> Verdict:
    """A judge that raises is a grader fault: recorded, never blamed on the student."""
    try:
        return decide(check, outcomes, answers)
    except Exception:                                               # noqa: BLE001
        faults.append(SubmissionError("grader-fault", f"{check.name}: {traceback.format_exc(limit=3)}"))
        return Verdict(Status.MANUAL, None, "The grader could not decide this check; course staff will review it.")


def grade_submission(suite: Suite, submission: Submission, sandbox: Sandbox, *, public_only: bool = False,
                     question: str | None = None) -> SubmissionResult:
    selected = _selected(suite, public_only, question)
    calls = _distinct([call for _, checks in selected for check in checks for call in check.calls + check.support_calls])
    limited = with_limits(suite.assignment, calls)
    if submission.code_file is not None:                            # the slot's start is no student's time
        sandbox.prepare(suite.preload, any(c.measure_cost for c in calls))
    start = time.perf_counter()
    run, notebook = _run(submission, limited, sandbox, suite.preload)
    outcome_of = dict(zip(map(id, calls), run.outcomes))
    answers = {**(run.answers or {}), **submission.answers}        # answers.yaml wins over ANSWERS in code
    faults: list[SubmissionError] = []
    questions = []
    for q, checks in selected:
        results = []
        for check in checks:
            outcomes = tuple(outcome_of[id(call)] for call in check.calls + check.support_calls)
            verdict = _unreadable(check, answers, submission.unreadable) or _judge(check, outcomes, answers, faults)
            verdict = attach_source(check.reads_answer, verdict, submission.written)
            results.append(score_check(check, verdict))
        questions.append(score_question(q, results, answer_shown(q, answers), public_only=public_only))
    return submission_result(suite, submission.id, questions,
                             errors=tuple(_submission_errors(suite, submission, run) + faults),
                             elapsed_s=round(time.perf_counter() - start, 4), student_s=round(run.student_s, 4),
                             import_s=round(run.import_s, 4),
                             peak_memory_mib=run.peak_memory_mib,
                             stdout=run.stdout, stderr=run.stderr, sandbox_layers=sandbox.layers, notebook=notebook,
                             students=submission.students, submitted_at=submission.submitted_at,
                             notices=submission.notices)
