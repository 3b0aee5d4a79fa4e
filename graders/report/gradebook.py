"""gradebook.csv: one row per student, a column per question, and the total."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Sequence

__all__ = ["write_gradebook"]


def _cell(score) -> str:
    return "" if score is None else f"{score:g}"


def write_gradebook(results: Sequence[dict], path: Path) -> None:
    """Question columns follow the first result's order; a blank cell is a manual score still to come."""
    if not results:
        path.write_text("submission,total,max_score\n")
        return
    questions = [q["id"] for q in results[0]["questions"]]
    with open(path, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["submission", *questions, "total", "max_score", "errors"])
        for result in sorted(results, key=lambda r: r["submission"]):
            scores = {q["id"]: q["score"] for q in result["questions"]}
            writer.writerow([result["submission"], *(_cell(scores.get(q)) for q in questions),
                             _cell(result["score"]), _cell(result["max_score"]), len(result["errors"])])
