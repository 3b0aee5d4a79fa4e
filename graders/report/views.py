"""What a student may see of one results.json: plain data for the templates (HTML and Gradescope alike).

One place decides disclosure, so every report agrees:
- a hidden check shows its name, status and points; its feedback, evidence, plots and mistake note only
  once `released` (Gradescope gets them with visibility "after_published" instead);
- a math answer's reading is shown where the check's details are; the reference answer, and any feedback
  that gives it away (`answer_hint`), only once released;
- student-derived text (output, answers, messages, ids) is capped here and escaped by the templates.
"""
from __future__ import annotations

import re
from typing import Any, Iterator

from .mathml import latex_to_mathml
from .plots import plots_for_check
from .prose import first_sentence, math_segments, plain_value, sentence
from .reproduce import snippet

__all__ = ["submission_view", "check_view", "details_shown", "cap", "STATUS_LABELS", "status_label", "status_tone",
           "IMPORT_ERRORS"]

STATUS_LABELS = {"passed": "Passed", "failed": "Failed", "error": "Error", "timeout": "Timed out",
                 "invalid": "Invalid", "missing": "Missing", "manual": "Awaiting review"}
TONE_LABELS = {"reviewed": "Reviewed", "partial": "Partial credit", "info": "Note", "not-run": "Not run"}
PLURAL = {"error": "errors", "note": "notes"}
LIMITS = {"output": 20_000, "message": 4_000, "feedback": 4_000, "answer": 2_000, "fact": 400, "id": 200}
IMPORT_ERRORS = ("import-crash", "import-timeout", "killed")     # nothing of the module could be called

# Evidence keys shown as labelled facts, in this order (a whitelist: keys not listed here are never shown).
_FACTS = (("call", "Failing call", "code"), ("shape", "Your shape", "shape"),
          ("expected_shape", "Expected shape", "shape"), ("got", "Your value", "number"),
          ("expected", "Expected value", "number"), ("mismatches", "Entries that differ", "count"),
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
    """The status as shown: its own, or `reviewed` (a manual check scored), `partial` (failed, some points),
    `info` (a check worth no points: a note, never a red failure)."""
    score, status = check.get("score"), check["status"]
    if status == "manual" and score is not None:
        return "reviewed"
    if status != "passed" and not check.get("max_score"):
        return "info"
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
        return f"{value:.6g}"
    if style == "count" and isinstance(value, int):
        return f"{value:,}"
    if value is None or isinstance(value, (dict, list, tuple)):
        return None
    return cap(plain_value(value), LIMITS["fact"])["text"]


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


def _feedback(text: str | None) -> dict[str, Any]:
    """Feedback that spans lines (a caret under the bad token of an answer, a traceback) keeps its layout:
    monospace. One-line feedback is a sentence with its math rendered."""
    block = cap(sentence(text).rstrip(), LIMITS["feedback"])
    multiline = "\n" in block["text"]
    return dict(block, multiline=multiline, segments=[] if multiline else math_segments(block["text"]))


def check_view(check: dict, *, released: bool, chart_ids: Iterator[str] | None = None, anchor: str = "check",
               module: str = "submission") -> dict[str, Any]:
    shown = details_shown(check, released)
    evidence = check.get("evidence") or {}
    charts = []
    if shown:
        for chart in plots_for_check(check):
            charts.append(dict(chart, id=next(chart_ids) if chart_ids is not None else "chart"))
    hint = evidence.get("answer_hint") if released and shown and check["status"] != "passed" else None
    reproduce = (snippet(evidence.get("inputs"), module, evidence.get("call"))
                 if check.get("visibility", "visible") == "visible" and check["status"] != "passed" else None)
    name = cap(check["name"], LIMITS["fact"])["text"]
    return {"anchor": anchor, "name": name, "name_segments": math_segments(name), "status": check["status"],
            "status_label": status_label(check), "tone": status_tone(check), "score": check.get("score"),
            "max_score": check["max_score"],
            "hidden": check.get("visibility") == "hidden", "shown": shown,
            "feedback": _feedback(check.get("feedback")) if shown else None,
            "answer_hint": math_segments(sentence(hint)) if isinstance(hint, str) and hint else None,
            "facts": list(_facts(evidence, check["status"], released)) if shown else [],
            "math": _math(evidence, released) if shown else None, "charts": charts,
            "snippet": reproduce, "note": check.get("note") if shown else None, "sources": _sources(evidence),
            "comment": cap(check.get("manual_comment") or "", LIMITS["message"]),
            "same_cause": None, "not_run": False}


def _sources(evidence: dict[str, Any]) -> list[dict[str, Any]]:
    """Where a written solution's answers came from (graders/written.py): line number and the line itself."""
    found = [("", evidence["source"])] if isinstance(evidence.get("source"), dict) else \
        sorted((evidence.get("sources") or {}).items()) if isinstance(evidence.get("sources"), dict) else []
    return [{"part": part, "line": r.get("line"), "how": r.get("how", ""), "text": cap(str(r.get("text", "")), LIMITS["fact"])["text"]}
            for part, r in found if isinstance(r, dict) and (r.get("line") or r.get("how") == "answers.yaml")]


def _looks_like_latex(text: str) -> bool:
    """LaTeX worth rendering; text with markup in it stays code (it renders as noise, not as math)."""
    return (any(mark in text for mark in ("\\", "_{", "^{")) and not re.search(r"<[A-Za-z/!?]", text)
            and '"' not in text)


def _answer_part(label: str, value: Any, prose: bool) -> dict[str, Any]:
    text = cap(plain_value(value), LIMITS["answer"])["text"]
    math = latex_to_mathml(text) if not prose and _looks_like_latex(text) else None
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()] if prose else []
    return {"label": label, "text": text, "mathml": math, "prose": prose, "paragraphs": paragraphs}


def _answer_parts(answer: Any, kind: str) -> list[dict[str, Any]]:
    """The student's own answer as written (math when it is LaTeX, prose for free text): one part, or one
    per key of a multi-part answer."""
    prose = kind in ("free-text", "text")
    if answer is None:
        return []
    if isinstance(answer, dict):
        return [_answer_part(str(k), v, prose) for k, v in answer.items()]
    return [_answer_part("", answer, prose)]


def meter(score: float | None, graded_max: float, maximum: float) -> dict[str, Any]:
    """A score bar in segments: points earned (coloured by how the graded part went), points still waiting for
    a person (hatched), and the rest (lost)."""
    earned = max(0.0, score or 0.0)
    pending = max(0.0, maximum - graded_max)
    state = "pending" if graded_max <= 1e-9 else _state(earned, graded_max)
    share = (lambda part: 0.0 if not maximum else max(0.0, min(1.0, part / maximum)))
    return {"state": state, "earned": share(earned), "pending": share(pending)}


def _state(score: float | None, maximum: float) -> str:
    if score is None:
        return "pending"
    return "full" if score >= maximum - 1e-9 else "zero" if score <= 1e-9 else "partial"


def _slow_cell(notebook: dict) -> list[dict]:
    """The cell still running when the import budget ran out: {"cell", "first_line"} (older results: a number)."""
    slow = notebook.get("slow_cell")
    if isinstance(slow, dict) and slow.get("cell"):
        return [{"cell": slow["cell"], "first_line": cap(str(slow.get("first_line") or ""), LIMITS["message"])["text"]}]
    return [{"cell": slow, "first_line": ""}] if slow else []


def _notebook(notebook: dict | None) -> dict[str, Any] | None:
    if not isinstance(notebook, dict):
        return None
    cells = [c for c in notebook.get("cells") or [] if isinstance(c, dict)]
    failed = [{"cell": c.get("cell"), "error": cap(c.get("error") or "", LIMITS["message"])["text"]}
              for c in cells if c.get("status") not in ("ran", "slow")]
    slow = [{"cell": c.get("cell"), "first_line": ""} for c in cells if c.get("status") == "slow"] or _slow_cell(notebook)
    return {"mode": notebook.get("mode") or "full", "why": notebook.get("why") or "", "cells": len(cells),
            "ran": sum(c.get("status") == "ran" for c in cells), "failed": failed, "slow": slow}


def _chart_ids() -> Iterator[str]:
    number = 0
    while True:
        number += 1
        yield f"chart-{number}"


def _link_same_causes(checks: list[dict], raw: list[dict]) -> None:
    """In a question where a known mistake was recognised on its values, the later value checks that fail
    without a recognised cause probably fail for the same reason: say so, linked, instead of sending the
    student after a second bug. Cost measurements neither explain nor are explained (a different concept)."""
    values = [c for c, r in zip(checks, raw) if "series" not in (r.get("evidence") or {})
              and c["tone"] in ("failed", "partial")]
    causes = [c for c in values if c["note"] and c["shown"]]
    if not causes:
        return
    cause = causes[0]
    for check in values[values.index(cause) + 1:]:
        if not check["note"]:
            check["same_cause"] = {"anchor": cause["anchor"], "name_segments": cause["name_segments"],
                                   "where": "above", "note": cause["note"]}


def _import_failure(result: dict) -> dict[str, Any] | None:
    """A module that could not be imported: one problem, not one error per check."""
    for error in result.get("errors") or []:
        if error.get("kind") in IMPORT_ERRORS:
            lines = [line.strip() for line in (error.get("message") or "").splitlines() if line.strip()]
            return {"kind": error["kind"], "reason": cap(lines[-1] if lines else error["kind"], 200)["text"]}
    return None


def _one_line(feedback: str) -> str:
    """A message in one line: its first sentence; for a traceback, what was called and the exception it ended in."""
    lines = [line.strip() for line in feedback.splitlines() if line.strip()]
    if len(lines) > 1 and re.match(r"[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)\b", lines[-1]):
        return f"{lines[0].rstrip(':')}: {lines[-1]}"
    return first_sentence(lines[0] if lines else "")


def _lost(questions: list[dict], failure: dict | None) -> dict[str, Any]:
    """Each check that lost points, with a one-line reason and its anchor; checks that never ran, as one line."""
    items, not_run, not_run_points = [], 0, 0.0
    for q in questions:
        for c in q["checks"]:
            if c["not_run"]:
                not_run, not_run_points = not_run + 1, not_run_points + c["max_score"] - (c["score"] or 0.0)
                continue
            if c["score"] is None or c["tone"] == "info" or c["score"] >= c["max_score"] - 1e-9:
                continue
            points = c["max_score"] - c["score"]
            if not c["shown"]:
                reason = [{"kind": "text", "text": "A hidden check: what it found is shown once grades are released."}]
            elif c["same_cause"]:
                reason = [{"kind": "text", "text": "Probably the same cause as "}, *c["same_cause"]["name_segments"]]
            else:
                reason = math_segments(_one_line(c["feedback"]["text"] if c["feedback"] else "") or c["status_label"])
            items.append({"anchor": c["anchor"], "question": q["title"], "name_segments": c["name_segments"],
                          "points": points, "tone": c["tone"], "reason": reason, "note": c["note"]})
    whole = None
    if not_run:
        whole = {"count": not_run, "points": not_run_points, "reason": failure["reason"] if failure else ""}
    return {"items": items, "not_run": whole}


def _question(question: dict, *, released: bool, chart_ids: Iterator[str], module: str,
              failure: dict | None) -> dict[str, Any]:
    checks = []
    for index, c in enumerate(question["checks"], start=1):
        view = check_view(c, released=released, chart_ids=chart_ids, anchor=f"c-{question['id']}-{index}",
                          module=module)
        if failure and c["status"] in ("error", "timeout"):
            view.update(not_run=True, tone="not-run", status_label="Not run")
        checks.append(view)
    _link_same_causes(checks, list(question["checks"]))
    graded = [c for c in question["checks"] if c.get("score") is not None]
    graded_max = sum(c["max_score"] for c in graded)
    state = _state(question.get("score"), question["max_score"])
    return {"id": question["id"], "title": question.get("title") or question["id"],
            "prompt": cap(question.get("prompt") or "", LIMITS["answer"])["text"],
            "kind": question.get("kind", ""), "score": question.get("score"), "max_score": question["max_score"],
            "state": state, "collapsed": state == "full",
            "meter": meter(question.get("score") if question.get("score") is not None
                           else sum(c["score"] for c in graded), graded_max, question["max_score"]),
            "manual": any(c["status"] == "manual" for c in question["checks"]),
            "answer": _answer_parts(question.get("answer"), question.get("kind", "")), "checks": checks}


def _counts(questions: list[dict]) -> list[dict[str, Any]]:
    counts: dict[str, int] = {}
    for q in questions:
        for c in q["checks"]:
            counts[c["tone"]] = counts.get(c["tone"], 0) + 1
    order = ["passed", "reviewed", "partial", "failed", "error", "timeout", "not-run", "invalid", "missing", "manual",
             "info", "neutral"]
    rows = []
    for tone in order:
        if tone in counts:
            label = (TONE_LABELS.get(tone) or STATUS_LABELS.get(tone, tone)).lower()
            rows.append({"tone": tone, "count": counts[tone],
                         "label": PLURAL.get(label, label) if counts[tone] != 1 else label})
    return rows


def submission_view(result: dict, *, released: bool) -> dict[str, Any]:
    """Everything feedback.html shows, with disclosure already applied."""
    chart_ids = _chart_ids()
    failure = _import_failure(result)
    module = (result.get("assignment") or "submission")
    questions = [_question(q, released=released, chart_ids=chart_ids, module=module, failure=failure)
                 for q in result["questions"]]
    hidden = sum(c["hidden"] and not c["shown"] for q in questions for c in q["checks"])
    graded_max = sum(q["max_score"] for q in result["questions"] if q.get("score") is not None)
    graded_max += sum(c["max_score"] for q in result["questions"] if q.get("score") is None
                      for c in q["checks"] if c.get("score") is not None)
    return {"assignment": result["assignment"], "title": result.get("assignment_title") or result["assignment"],
            "submission": cap(result["submission"], LIMITS["id"])["text"], "score": result.get("score"),
            "max_score": result["max_score"], "state": _state(result.get("score"), result["max_score"]),
            "meter": meter(result.get("score"), graded_max, result["max_score"]),
            "pending_points": result["max_score"] - graded_max,
            "pending": any(q["score"] is None for q in questions), "questions": questions,
            "counts": _counts(questions), "lost": _lost(questions, failure), "import_failure": failure,
            "hidden_undisclosed": hidden, "released": released,
            "has_hidden": any(c["hidden"] for q in questions for c in q["checks"]),
            "errors": [{"kind": cap(e.get("kind"), 80)["text"], "message": cap(e.get("message"), LIMITS["message"])}
                       for e in result.get("errors") or []],
            "notices": [cap(n, LIMITS["message"]) for n in result.get("notices") or []],
            "notebook": _notebook(result.get("notebook")), "elapsed_s": result.get("elapsed_s"),
            "student_s": result.get("student_s"), "import_s": result.get("import_s") or 0.0,
            "layers": list(result.get("sandbox_layers") or []),
            "students": [cap(s.get("name") or s.get("email") or s.get("sid"), LIMITS["id"])["text"]
                         for s in result.get("students") or []],
            "late": result.get("late"),
            "stdout": cap(result.get("stdout"), LIMITS["output"]),
            "stderr": cap(result.get("stderr"), LIMITS["output"])}
