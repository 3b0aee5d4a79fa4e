"""gradebook.csv: one row per student, a column per question, and the total.

A question still waiting for a manual score has an empty cell (and is named in `pending_manual`); once
`autograde merge` has merged the scores, the cell holds them and the total includes them. Text cells that a
spreadsheet would read as a formula (a submission id starting with `=`, `+`, `-` or `@`) are quoted with `'`.

Columns: `submission`, one per question (its points), `total`, `max_score`, `pending_manual` (question ids
still waiting for a person, space-separated) and `errors`: how many errors and timeouts the submission had,
counting each problem of the submission as a whole once (an import crash is 1, not 1 per check it stopped)
plus each check that raised or timed out. It is the number the dashboard counts ("with errors or timeouts"
is the number of rows where it is above 0).
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Sequence

from .dashboard import problem_count

__all__ = ["write_gradebook", "gradebook_csv"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(score) -> str:
    return "" if score is None else f"{round(score, 6):g}"


def _text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _questions(results: Sequence[dict]) -> list[str]:
    """Question ids in homework order, as the results list them (union, first seen first)."""
    order: dict[str, None] = {}
    for result in results:
        for question in result["questions"]:
            order.setdefault(question["id"], None)
    return list(order)


def _people(result: dict) -> list[list[str]]:
    """name, email, SID of each member (a group submission gives each member a row), or one empty row."""
    return [[_text(str(s.get(k) or "")) for k in ("name", "email", "sid")] for s in result.get("students") or []] \
        or [["", "", ""]]


def _late(result: dict) -> list[str]:
    """submitted_at, the late sentence, the penalty in points and the final score (the total when on time)."""
    late = result.get("late")
    if not late:
        return [result.get("submitted_at") or "", "", "", _cell(result.get("score"))]
    return [late["submitted_at"], late["text"], _cell(late["penalty_points"]), _cell(late["final_score"])]


def gradebook_csv(results: Sequence[dict]) -> str:
    """One row per submission; with students known (a Gradescope export), one row per student, and with a late
    policy, the raw total, the penalty and the final score."""
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    questions = _questions(results)
    people = any(r.get("students") for r in results)
    late = any(r.get("late") for r in results)
    writer.writerow(["submission", *(["name", "email", "sid"] if people else []), *questions, "total",
                     *(["submitted_at", "late", "penalty", "final"] if late else []), "max_score", "pending_manual",
                     "errors"])
    for result in sorted(results, key=lambda r: r["submission"]):
        scores = {q["id"]: q.get("score") for q in result["questions"]}
        pending = [q["id"] for q in result["questions"] if q.get("score") is None]
        for person in _people(result) if people else [[]]:
            writer.writerow([_text(result["submission"]), *person, *(_cell(scores.get(q)) for q in questions),
                             _cell(result.get("score")), *(_late(result) if late else []), _cell(result["max_score"]),
                             " ".join(pending), problem_count(result)])
    return stream.getvalue()


def write_gradebook(results: Sequence[dict], path: Path) -> None:
    path.write_text(gradebook_csv(results), encoding="utf-8")
