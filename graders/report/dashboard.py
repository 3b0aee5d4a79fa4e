"""The class summary behind index.html: plain statistics over many results.json, for course staff.

Pure: results in, numbers and rows out. Links point at each submission's folder, named as batch grading
names it (`report_folder`, which batch grading uses to write it).
"""
from __future__ import annotations

import math
import re
import statistics
from collections import defaultdict
from typing import Any, Sequence

from .plots import histogram_chart, nice_step
from .prose import first_sentence, math_segments
from .regrade import score_changes
from .views import IMPORT_ERRORS, STATUS_LABELS, cap

__all__ = ["summarise_class", "report_folder", "report_href", "problem_count"]

EXAMPLES_PER_MISTAKE = 5
PROBLEM_STATUSES = ("error", "timeout")


def _import_failed(result: dict) -> bool:
    return any(e.get("kind") in IMPORT_ERRORS for e in result.get("errors") or [])


def _check_problems(result: dict) -> list[tuple[dict, dict]]:
    """(question, check) pairs that raised or timed out on their own; after an import failure, none did."""
    if _import_failed(result):
        return []
    return [(q, c) for q in result["questions"] for c in q["checks"] if c["status"] in PROBLEM_STATUSES]


def problem_count(result: dict) -> int:
    """Errors and timeouts of one submission: each problem of the submission as a whole (an import crash counts
    once, not once per check it stopped) plus each check that raised or timed out. The gradebook's `errors`
    column and the dashboard's "with errors or timeouts" both use it."""
    return len(result.get("errors") or []) + len(_check_problems(result))


def report_folder(submission_id: str) -> str:
    """The folder a submission's reports live in, inside a class's output folder: it cannot escape it. Ids
    that had to be cleaned keep a short hash of the id, so two ids never share a folder."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", submission_id).strip("._") or "submission"
    if cleaned[:100] == submission_id:
        return cleaned
    import hashlib
    return f"{cleaned[:90]}-{hashlib.sha256(submission_id.encode('utf-8', 'replace')).hexdigest()[:8]}"


def report_href(submission_id: str, question: str | None = None) -> str:
    anchor = f"#q-{question}" if question else ""
    return f"{report_folder(submission_id)}/feedback.html{anchor}"


def _question_order(results: Sequence[dict]) -> list[dict]:
    order: dict[str, dict] = {}
    for result in results:
        for q in result["questions"]:
            order.setdefault(q["id"], {"id": q["id"], "title": q.get("title") or q["id"], "max_score": q["max_score"]})
    return list(order.values())


def _questions(results: Sequence[dict], questions: list[dict]) -> list[dict]:
    rows = []
    for info in questions:
        scores = [q.get("score") for r in results for q in r["questions"] if q["id"] == info["id"]]
        graded = [s for s in scores if s is not None]
        full = sum(s >= info["max_score"] - 1e-9 for s in graded)
        rows.append(dict(info, graded=len(graded), pending=len(scores) - len(graded),
                         mean=statistics.fmean(graded) if graded else None,
                         full_share=full / len(graded) if graded else None))
    return rows


def _checks(results: Sequence[dict]) -> list[dict]:
    table: dict[tuple[str, str], dict] = {}
    for result in results:
        for q in result["questions"]:
            for c in q["checks"]:
                row = table.setdefault((q["id"], c["name"]), {"question": q["id"], "name": c["name"],
                                       "name_segments": math_segments(c["name"]),
                                       "visibility": c.get("visibility", "visible"), "max_score": c["max_score"],
                                       "counts": defaultdict(int), "n": 0})
                row["counts"][c["status"]] += 1
                row["n"] += 1
                row["waiting"] = row.get("waiting", 0) + (c.get("score") is None)
    rows = []
    for row in table.values():
        row["counts"] = {s: row["counts"].get(s, 0) for s in STATUS_LABELS}
        decided = row["n"] - row.pop("waiting", 0)
        row["passed_share"] = row["counts"]["passed"] / decided if decided else None
        rows.append(row)
    return rows


def _costs_points(check: dict) -> bool:
    """A mistake proper: on a check that lost points. Notes on passed checks (`follows-from-...`) and on
    0-point symptom checks are listed apart."""
    return bool(check.get("max_score")) and check["status"] != "passed" and (check.get("score") or 0.0) < check["max_score"]


def _mistakes(results: Sequence[dict], *, costly: bool) -> list[dict]:
    """Note codes by how many submissions show them, with the checks they came from and example reports."""
    found: dict[str, dict] = {}
    for result in sorted(results, key=lambda r: r["submission"]):
        for q in result["questions"]:
            for c in q["checks"]:
                note = c.get("note")
                if not note or _costs_points(c) != costly:
                    continue
                entry = found.setdefault(note, {"note": note, "submissions": [], "checks": []})
                where = {"question": q["id"], "name": c["name"], "segments": math_segments(c["name"])}
                if where not in entry["checks"]:
                    entry["checks"].append(where)
                if all(s["id"] != result["submission"] for s in entry["submissions"]):
                    entry["submissions"].append({"id": result["submission"],
                                                 "href": report_href(result["submission"], q["id"])})
    rows = [dict(e, count=len(e["submissions"]), examples=e["submissions"][:EXAMPLES_PER_MISTAKE])
            for e in found.values()]
    return sorted(rows, key=lambda e: (-e["count"], e["note"]))


def _last_line(message: str | None) -> str:
    """A traceback's last line says what happened; that is what the summary shows."""
    lines = [line for line in (message or "").splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def _what_happened(check: dict) -> str:
    """A check's error in one line: the exception a traceback ends with, or the first sentence of a timeout."""
    feedback = check.get("feedback") or ""
    return _last_line(feedback) if "\n" in feedback.strip() else first_sentence(feedback, 300)


def _problems(results: Sequence[dict]) -> list[dict]:
    """Per submission: its errors (what happened, in one line), then its failing checks grouped by that line."""
    rows = []
    for result in sorted(results, key=lambda r: r["submission"]):
        groups: dict[tuple[str, str], dict] = {}
        for q, c in _check_problems(result):
            line = cap(_what_happened(c), 300)["text"]
            group = groups.setdefault((c["status"], line), {"status": c["status"], "line": line, "checks": []})
            group["checks"].append({"question": q["id"], "name": c["name"], "segments": math_segments(c["name"])})
        errors = [{"kind": e.get("kind", ""), "message": cap(_last_line(e.get("message")), 300)["text"]}
                  for e in result.get("errors") or []]
        not_run = sum(c["status"] in PROBLEM_STATUSES for q in result["questions"] for c in q["checks"]) \
            if _import_failed(result) else 0
        if groups or errors:
            rows.append({"submission": result["submission"], "href": report_href(result["submission"]),
                         "errors": errors, "groups": list(groups.values()), "not_run": not_run,
                         "count": problem_count(result)})
    return rows


def _notebooks(results: Sequence[dict]) -> list[dict]:
    """Notebooks graded from their definitions only, or with cells that failed: what to look at, per submission."""
    rows = []
    for result in sorted(results, key=lambda r: r["submission"]):
        notebook = result.get("notebook") if isinstance(result.get("notebook"), dict) else {}
        failed = [{"cell": c.get("cell"), "error": cap(_last_line(c.get("error")), 200)["text"]}
                  for c in notebook.get("cells") or [] if isinstance(c, dict) and c.get("status") == "failed"]
        if notebook.get("mode") == "definitions" or failed:
            rows.append({"submission": result["submission"], "href": report_href(result["submission"]),
                         "definitions": notebook.get("mode") == "definitions", "failed": failed})
    return rows


def _notebook_pills(result: dict) -> list[str]:
    notebook = result.get("notebook") if isinstance(result.get("notebook"), dict) else {}
    pills = ["definitions-only"] if notebook.get("mode") == "definitions" else []
    failed = [c.get("cell") for c in notebook.get("cells") or [] if isinstance(c, dict) and c.get("status") == "failed"]
    return pills + [f"cell-{cell}-failed" for cell in failed]


def _times(results: Sequence[dict]) -> dict[str, Any] | None:
    times = sorted(((r.get("elapsed_s") or 0.0, r["submission"]) for r in results), reverse=True)
    if not times:
        return None
    values = [t for t, _ in times]
    high = max(values)
    step = nice_step(high / 8) if high > 0 else 0.25
    bins = max(1, math.ceil(high / step - 1e-9))
    chart = histogram_chart(values, low=0.0, high=bins * step, bins=bins,
                            title="Grading time per submission", x_label="seconds", what="grading times", unit=" s")
    if chart is not None:
        chart["id"] = "chart-times"
    return {"median": statistics.median(values), "max": high, "total": sum(values), "chart": chart,
            "slowest": [{"submission": s, "href": report_href(s), "seconds": t} for t, s in times[:5]]}


def _row(result: dict, questions: list[dict]) -> dict[str, Any]:
    by_id = {q["id"]: q for q in result["questions"]}
    notes = sorted({c["note"] for q in result["questions"] for c in q["checks"] if c.get("note") and _costs_points(c)})
    checks = {c["status"] for _, c in _check_problems(result)}
    problems = [e.get("kind", "") for e in result.get("errors") or []] + sorted(checks)
    late = result.get("late") or {}
    return {"submission": result["submission"], "href": report_href(result["submission"]),
            "students": [s.get("name") or s.get("email") or s.get("sid") for s in result.get("students") or []],
            "late": late.get("text") if late.get("late_s") else None, "final": late.get("final_score"),
            "score": result.get("score"), "max_score": result["max_score"],
            "scores": [by_id[q["id"]].get("score") if q["id"] in by_id else None for q in questions],
            "pending": any(q.get("score") is None for q in result["questions"]), "notes": notes,
            "problems": problems, "notebook": _notebook_pills(result), "errors": problem_count(result),
            "previous": (result.get("previous") or {}).get("score") if isinstance(result.get("previous"), dict) else None,
            "elapsed_s": result.get("elapsed_s") or 0.0}


def summarise_class(results: Sequence[dict], *, assignment: str) -> dict[str, Any]:
    """Everything index.html shows, from the class's results.json files."""
    results = sorted(results, key=lambda r: r["submission"])
    questions = _question_order(results)
    scores = [r.get("score") or 0.0 for r in results]
    maximum = max((r["max_score"] for r in results), default=0)
    step = nice_step(maximum / 20) if maximum else 1.0
    histogram = histogram_chart(scores, low=0.0, high=math.ceil(maximum / step - 1e-9) * step,
                                bins=max(1, math.ceil(maximum / step - 1e-9)), title="Score distribution",
                                x_label="score (points)", what="scores") if results and maximum else None
    if histogram is not None:
        histogram["id"] = "chart-scores"
    titles = [r.get("assignment_title") for r in results if r.get("assignment_title")]
    return {"assignment": assignment, "title": titles[0] if titles else assignment, "n": len(results),
            "max_score": maximum, "mean": statistics.fmean(scores) if scores else None,
            "median": statistics.median(scores) if scores else None,
            "pending": sum(any(q.get("score") is None for q in r["questions"]) for r in results),
            "histogram": histogram, "questions": _questions(results, questions), "checks": _checks(results),
            "mistakes": _mistakes(results, costly=True), "notes": _mistakes(results, costly=False),
            "problems": _problems(results), "notebooks": _notebooks(results), "with_errors": sum(problem_count(r) > 0 for r in results),
            "changes": score_changes(results, report_href), "times": _times(results),
            "columns": questions, "rows": [_row(r, questions) for r in results]}
