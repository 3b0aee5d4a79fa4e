"""Gradescope's autograder results.json, as an export of ours (never a replacement for it).

Format (Gradescope's autograder specification): top-level `score`, `execution_time`, `output`,
`output_format`, `visibility`, `stdout_visibility`, `extra_data` and `tests`, each test with `name`, `number`,
`score`, `max_score`, `status`, `output`, `output_format`, `visibility` and `tags`. Every check is one test.
Hidden checks become tests with visibility "after_published": Gradescope shows them, feedback included,
only once grades are published; the top-level output is visible at once and never mentions them.
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


def _test(question: dict, check: dict, number: str) -> dict:
    test = {"name": f"{question.get('title') or question['id']}: {check['name']}", "number": number,
            "max_score": check["max_score"], "output": render_gradescope_test(check), "output_format": "html",
            "visibility": "after_published" if check.get("visibility") == "hidden" else "visible",
            "tags": [question["id"], check["status"]] + ([check["note"]] if check.get("note") else [])}
    if check.get("score") is not None:
        test["score"] = check["score"]
    status = gradescope_status(check)
    if status is not None:
        test["status"] = status
    return test


def to_gradescope(result: dict) -> dict:
    """Gradescope's results.json for one submission (a pure function of ours)."""
    tests = [_test(question, check, f"{q_index}.{c_index}")
             for q_index, question in enumerate(result["questions"], start=1)
             for c_index, check in enumerate(question["checks"], start=1)]
    elapsed = result.get("elapsed_s") or 0.0
    return {"score": result["score"] or 0.0, "execution_time": max(1, math.ceil(elapsed)),
            "output": render_gradescope_summary(result), "output_format": "html",
            "visibility": "visible", "stdout_visibility": "hidden",
            "extra_data": {"assignment": result["assignment"], "submission": result["submission"],
                           "max_score": result["max_score"],
                           "pending_manual": [q["id"] for q in result["questions"] if q.get("score") is None]},
            "tests": tests}
