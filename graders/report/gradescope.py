"""Gradescope's autograder results.json, as an export of ours (never a replacement for it).

Format (Gradescope's autograder specification): top-level `score`, `execution_time`, `output`,
`output_format`, `visibility`, `stdout_visibility`, `extra_data` and `tests`, each test with `name`, `number`,
`score`, `max_score`, `status`, `output`, `output_format`, `visibility` and `tags`. Every check is one test.

The release rule is feedback.html's (`views`): what a student sees at once is the unreleased report. Hidden
checks become tests with visibility "after_published": Gradescope shows them, details included, only once
grades are published. A visible check whose released details say more (the reference answer, feedback that
gives it away) gets a 0-point companion test "... (answer)", also "after_published". With `released` (the
class folder was released), visible tests carry everything and need no companion. The top-level output is
visible at once and never mentions hidden checks.
"""
from __future__ import annotations

import math

from .html import render_gradescope_summary, render_gradescope_test

__all__ = ["to_gradescope", "gradescope_status"]


def gradescope_status(check: dict) -> str | None:
    """passed/failed; None (no status) for a check still waiting for a person."""
    if check["status"] == "passed":
        return "passed"
    if check["status"] == "manual":
        if check.get("score") is None:
            return None
        return "passed" if check["score"] >= check["max_score"] - 1e-9 else "failed"
    return "failed"


def _tests(question: dict, check: dict, number: str, released: bool) -> list[dict]:
    hidden = check.get("visibility") == "hidden"
    name = f"{question.get('title') or question['id']}: {check['name']}"
    output = render_gradescope_test(check, released=released or hidden)
    test = {"name": name, "number": number, "max_score": check["max_score"], "output": output,
            "output_format": "html", "visibility": "after_published" if hidden else "visible",
            "tags": [question["id"], check["status"]] + ([check["note"]] if check.get("note") else [])}
    if check.get("score") is not None:
        test["score"] = check["score"]
    status = gradescope_status(check)
    if status is not None:
        test["status"] = status
    full = output if released or hidden or check["status"] == "passed" else render_gradescope_test(check, released=True)
    if full == output:
        return [test]
    answer = {"name": f"{name} (answer)", "number": f"{number}.1", "score": 0.0, "max_score": 0.0, "output": full,
              "output_format": "html", "visibility": "after_published", "tags": [question["id"], "answer"]}
    return [test, answer]


def to_gradescope(result: dict, *, released: bool = False) -> dict:
    """Gradescope's results.json for one submission (a pure function of ours and the release state)."""
    tests = [test for q_index, question in enumerate(result["questions"], start=1)
             for c_index, check in enumerate(question["checks"], start=1)
             for test in _tests(question, check, f"{q_index}.{c_index}", released)]
    elapsed = result.get("elapsed_s") or 0.0
    return {"score": result["score"] or 0.0, "execution_time": max(1, math.ceil(elapsed)),
            "output": render_gradescope_summary(result), "output_format": "html",
            "visibility": "visible", "stdout_visibility": "hidden",
            "extra_data": {"assignment": result["assignment"], "submission": result["submission"],
                           "max_score": result["max_score"], "late": result.get("late"),
                           "pending_manual": [q["id"] for q in result["questions"] if q.get("score") is None]},
            "tests": tests}
