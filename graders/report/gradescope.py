"""Gradescope's autograder results.json, as an export of ours (never a replacement for it)."""
from __future__ import annotations

__all__ = ["to_gradescope"]

_STATUS = {"passed": "passed", "manual": "passed"}


def _output(check: dict) -> str:
    lines = [f"**{check['status']}**"]
    if check.get("feedback"):
        lines.append(check["feedback"])
    if check.get("note"):
        lines.append(f"`{check['note']}`")
    return "\n\n".join(lines)


def to_gradescope(result: dict) -> dict:
    """Each check is a Gradescope test; hidden checks are shown after publication, as in our reports."""
    tests, number = [], 0
    for question in result["questions"]:
        for index, check in enumerate(question["checks"], start=1):
            number += 1
            test = {"name": f"{question['id']}: {check['name']}", "number": f"{question['id']}.{index}",
                    "max_score": check["max_score"], "status": _STATUS.get(check["status"], "failed"),
                    "output": _output(check), "output_format": "md",
                    "visibility": "after_published" if check["visibility"] == "hidden" else "visible",
                    "tags": [question["id"], check["status"]] + ([check["note"]] if check.get("note") else [])}
            if check["score"] is not None:
                test["score"] = check["score"]
            tests.append(test)
    errors = "\n".join(f"- {e['kind']}: {e['message']}" for e in result["errors"])
    return {"score": result["score"], "execution_time": result["elapsed_s"],
            "output": f"Problems with the submission:\n{errors}" if errors else "", "output_format": "md",
            "visibility": "visible", "stdout_visibility": "hidden", "tests": tests}
