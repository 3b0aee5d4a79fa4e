"""What a student may see of one results.json: plain data for the templates (HTML and Gradescope alike).

One place decides disclosure, so every report agrees:
- a hidden check shows its name, status and points; its feedback, evidence, plots and mistake note only
  once `released` (Gradescope gets them with visibility "after_published" instead);
- a math answer's reading is shown where the check's details are; the reference answer only once released;
- student-derived text (output, answers, messages, ids) is capped here and escaped by the templates.
"""
from __future__ import annotations

from typing import Any, Iterator

from .mathml import latex_to_mathml
from .plots import plots_for_check

__all__ = ["submission_view", "check_view", "details_shown", "cap", "STATUS_LABELS", "status_label", "status_tone"]

STATUS_LABELS = {"passed": "Passed", "failed": "Failed", "error": "Error", "timeout": "Timed out",
                 "invalid": "Invalid", "missing": "Missing", "manual": "Awaiting review"}
TONE_LABELS = {"reviewed": "Reviewed", "partial": "Partial credit"}
LIMITS = {"output": 20_000, "message": 4_000, "feedback": 4_000, "answer": 2_000, "fact": 400, "id": 200}

# Evidence keys shown as labelled facts, in this order (a whitelist: keys not listed here are never shown).
_FACTS = (("call", "Failing call", "code"), ("shape", "Your shape", "shape"),
          ("expected_shape", "Expected shape", "shape"), ("got", "Your value", "code"),
          ("expected", "Expected value", "code"), ("mismatches", "Entries that differ", "count"),
          ("index", "Worst entry at index", "shape"), ("max_abs_error", "Largest absolute error", "number"),
          ("measured_variance", "Measured variance", "number"), ("answer_value", "Your answer, read as", "number"),
          ("recognised", "Recognised in your answer", "list"), ("abs_tol", "Absolute tolerance", "number"),
          ("rel_tol", "Relative tolerance", "number"))
# The answer to a homework question (not a check's expected output on test inputs): shown once released.
_REFERENCE_FACTS = (("reference_value", "Expected answer", "number"),)


def cap(text: Any, limit: int) -> dict[str, Any]:
    """{"text", "omitted"}: at most `limit` characters of `text` and how many were left out."""
    text = "" if text is None else text if isinstance(text, str) else str(text)
    return {"text": text[:limit], "omitted": max(0, len(text) - limit)}


def status_tone(check: dict) -> str:
    """The status as shown: its own, or `reviewed` (a manual check scored) or `partial` (failed, some points)."""
    score, status = check.get("score"), check["status"]
    if status == "manual" and score is not None:
        return "reviewed"
    if status == "failed" and score and 0 < score < check["max_score"]:
        return "partial"
    return status if status in STATUS_LABELS else "neutral"


def status_label(check: dict) -> str:
    tone = status_tone(check)
    return TONE_LABELS.get(tone) or STATUS_LABELS.get(tone) or str(check["status"]).capitalize()


def details_shown(check: dict, released: bool) -> bool:
    return check.get("visibility", "visible") != "hidden" or released


def _format(value: Any, style: str) -> str | None:
    if style == "shape" and isinstance(value, (list, tuple)):
        return "(" + ", ".join(str(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if style == "list" and isinstance(value, (list, tuple)):
        return cap(", ".join(str(v) for v in value), LIMITS["fact"])["text"] or None
    if style == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.4g}"
    if style == "count" and isinstance(value, int):
        return f"{value:,}"
    if value is None or isinstance(value, (dict, list, tuple)) and style != "code":
        return None
    return cap(value, LIMITS["fact"])["text"]


def _facts(evidence: dict[str, Any], status: str, released: bool) -> Iterator[dict[str, Any]]:
    """Labelled evidence for a check that did not pass (a passed check needs no evidence)."""
    if status == "passed":
        return
    if isinstance(evidence.get("rows"), int) and isinstance(evidence.get("right"), int):
        yield {"label": "Rows right", "text": f"{evidence['right']} of {evidence['rows']}", "code": False}
    for key, label, style in _FACTS + (_REFERENCE_FACTS if released else ()):
        if key in evidence:
            text = _format(evidence[key], style)
            if text:
                yield {"label": label, "text": text, "code": style in ("code", "shape")}


def _math(evidence: dict[str, Any], released: bool) -> dict[str, Any] | None:
    answer, reference = evidence.get("answer_latex"), evidence.get("reference_latex")
    if not isinstance(answer, str) and not isinstance(reference, str):
        return None
    view = {"answer": None, "reference": None}
    if isinstance(answer, str):
        view["answer"] = {"mathml": latex_to_mathml(answer), "latex": cap(answer, LIMITS["answer"])["text"]}
    if released and isinstance(reference, str):
        view["reference"] = {"mathml": latex_to_mathml(reference), "latex": cap(reference, LIMITS["answer"])["text"]}
    return view if view["answer"] or view["reference"] else None


def check_view(check: dict, *, released: bool, chart_ids: Iterator[str] | None = None) -> dict[str, Any]:
    shown = details_shown(check, released)
    evidence = check.get("evidence") or {}
    charts = []
    if shown:
        for chart in plots_for_check(check):
            charts.append(dict(chart, id=next(chart_ids) if chart_ids is not None else "chart"))
    return {"name": cap(check["name"], LIMITS["fact"])["text"], "status": check["status"],
            "status_label": status_label(check), "tone": status_tone(check), "score": check.get("score"),
            "max_score": check["max_score"],
            "hidden": check.get("visibility") == "hidden", "shown": shown,
            "feedback": _feedback(check.get("feedback")) if shown else None,
            "facts": list(_facts(evidence, check["status"], released)) if shown else [],
            "math": _math(evidence, released) if shown else None, "charts": charts,
            "note": check.get("note") if shown else None,
            "comment": cap(check.get("manual_comment") or "", LIMITS["message"])}


def _feedback(text: str | None) -> dict[str, Any]:
    """Feedback that spans lines (a caret under the bad token of an answer) keeps its layout: monospace."""
    block = cap((text or "").rstrip(), LIMITS["feedback"])
    return dict(block, multiline="\n" in block["text"])


def _looks_like_latex(text: str) -> bool:
    """LaTeX worth rendering; text with markup characters stays code (it renders as noise, not as math)."""
    return any(mark in text for mark in ("\\", "_{", "^{")) and not any(c in text for c in '<>"')


def _answer_part(label: str, value: Any, prose: bool) -> dict[str, Any]:
    text = cap(value if isinstance(value, str) else repr(value), LIMITS["answer"])["text"]
    math = latex_to_mathml(text) if not prose and _looks_like_latex(text) else None
    return {"label": label, "text": text, "mathml": math, "prose": prose}


def _answer_parts(answer: Any, kind: str) -> list[dict[str, Any]]:
    """The student's own answer as written (math when it is LaTeX, prose for free text): one part, or one
    per key of a multi-part answer."""
    prose = kind in ("free-text", "text")
    if answer is None:
        return []
    if isinstance(answer, dict):
        return [_answer_part(str(k), v, prose) for k, v in answer.items()]
    return [_answer_part("", answer, prose)]


def _state(score: float | None, maximum: float) -> str:
    if score is None:
        return "pending"
    return "full" if score >= maximum - 1e-9 else "zero" if score <= 1e-9 else "partial"


def _notebook(notebook: dict | None) -> dict[str, Any] | None:
    if not isinstance(notebook, dict):
        return None
    cells = [c for c in notebook.get("cells") or [] if isinstance(c, dict)]
    failed = [{"cell": c.get("cell"), "error": cap(c.get("error") or "", LIMITS["message"])["text"]}
              for c in cells if c.get("status") != "ran"]
    return {"mode": notebook.get("mode") or "full", "why": notebook.get("why") or "", "cells": len(cells),
            "ran": sum(c.get("status") == "ran" for c in cells), "failed": failed}


def _chart_ids() -> Iterator[str]:
    number = 0
    while True:
        number += 1
        yield f"chart-{number}"


def submission_view(result: dict, *, released: bool) -> dict[str, Any]:
    """Everything feedback.html shows, with disclosure already applied."""
    chart_ids = _chart_ids()
    questions, counts, hidden = [], {}, 0
    for question in result["questions"]:
        checks = [check_view(c, released=released, chart_ids=chart_ids) for c in question["checks"]]
        for c in checks:
            counts[c["tone"]] = counts.get(c["tone"], 0) + 1
            hidden += c["hidden"] and not c["shown"]
        questions.append({"id": question["id"], "title": question.get("title") or question["id"],
                          "kind": question.get("kind", ""), "score": question.get("score"),
                          "max_score": question["max_score"],
                          "state": _state(question.get("score"), question["max_score"]),
                          "answer": _answer_parts(question.get("answer"), question.get("kind", "")), "checks": checks})
    order = ["passed", "reviewed", "partial", "failed", "error", "timeout", "invalid", "missing", "manual", "neutral"]
    return {"assignment": result["assignment"], "title": result.get("assignment_title") or result["assignment"],
            "submission": cap(result["submission"], LIMITS["id"])["text"], "score": result.get("score"),
            "max_score": result["max_score"], "state": _state(result.get("score"), result["max_score"]),
            "pending": any(q["score"] is None for q in questions), "questions": questions,
            "counts": [{"tone": tone, "count": counts[tone],
                        "label": (TONE_LABELS.get(tone) or STATUS_LABELS.get(tone, tone)).lower()}
                       for tone in order if tone in counts],
            "hidden_undisclosed": hidden, "released": released,
            "has_hidden": any(c["hidden"] for q in questions for c in q["checks"]),
            "errors": [{"kind": cap(e.get("kind"), 80)["text"], "message": cap(e.get("message"), LIMITS["message"])}
                       for e in result.get("errors") or []],
            "notebook": _notebook(result.get("notebook")), "elapsed_s": result.get("elapsed_s"),
            "student_s": result.get("student_s"), "layers": list(result.get("sandbox_layers") or []),
            "stdout": cap(result.get("stdout"), LIMITS["output"]),
            "stderr": cap(result.get("stderr"), LIMITS["output"])}
