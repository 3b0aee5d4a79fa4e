"""Re-grading a class (a new grader version, merged manual scores): what changed, per submission.

When a submission's results.json is rewritten with different scores, the new one keeps the old scores under
`previous` (`previous_scores`, called by batch grading before it overwrites). Reports stay a pure function of
results.json: the dashboard lists every submission whose score changed, before -> after, per question.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

__all__ = ["previous_scores", "score_changes"]


def _scores(result: dict) -> dict[str, Any]:
    return {"score": result.get("score"), "max_score": result.get("max_score"),
            "questions": {q["id"]: q.get("score") for q in result.get("questions") or []}}


def previous_scores(new: dict, path: Path) -> dict[str, Any]:
    """{"previous": old scores} when the results.json at `path` scored differently from `new`; the old file's
    own `previous` when the scores are the same (a rebuild or a re-grade that changed nothing); else {}."""
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(old, dict) or "questions" not in old:
        return {}
    if _scores(old) != _scores(new):
        return {"previous": _scores(old)}
    return {"previous": old["previous"]} if isinstance(old.get("previous"), dict) else {}


def _close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) < 1e-9


def score_changes(results: Sequence[dict], href) -> list[dict[str, Any]]:
    """Submissions whose scores changed at their last re-grade: total before and after, and each question
    that changed (a pending manual score that got merged shows as "–" -> its points)."""
    rows = []
    for result in sorted(results, key=lambda r: r["submission"]):
        before = result.get("previous")
        if not isinstance(before, dict):
            continue
        after = _scores(result)
        questions = [{"id": qid, "before": before["questions"].get(qid), "after": score}
                     for qid, score in after["questions"].items()
                     if qid not in before["questions"] or not _close(before["questions"][qid], score)]
        if not questions and _close(before.get("score"), after["score"]):
            continue
        delta = (after["score"] or 0.0) - (before.get("score") or 0.0)
        rows.append({"submission": result["submission"], "href": href(result["submission"]),
                     "before": before.get("score"), "after": after["score"], "delta": delta,
                     "questions": questions})
    return sorted(rows, key=lambda r: (-abs(r["delta"]), r["submission"]))
