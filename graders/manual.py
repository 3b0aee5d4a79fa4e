"""Scores that people give: a CSV (submission, question, score, comment) merged into results.json.

Only checks waiting for a person (status `manual`: free text, or a math answer the checker could not
decide) take a manual score. Merging sets values rather than adding them, so merging twice changes
nothing. Every problem in the file is reported at once, with its line, and nothing is merged then.
"""
from __future__ import annotations

import copy
import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

__all__ = ["ManualScore", "ManualScoreError", "read_manual_scores", "apply_manual_scores"]


class ManualScoreError(ValueError):
    pass


@dataclass(frozen=True)
class ManualScore:
    submission: str
    question: str
    score: float
    comment: str
    line: int


def read_manual_scores(path: Path, results: Mapping[str, dict]) -> list[ManualScore]:
    """Parse and validate against the graded results (submission id -> results.json)."""
    problems, scores = [], []
    with open(path, newline="", encoding="utf-8") as stream:
        reader = csv.DictReader(stream)
        missing = {"submission", "question", "score"} - set(reader.fieldnames or ())
        if missing:
            raise ManualScoreError(f"{path}: the header needs columns submission, question, score[, comment]; "
                                   f"missing {', '.join(sorted(missing))}")
        for line, row in enumerate(reader, start=2):
            problem, score = _validate(row, line, results)
            if problem:
                problems.append(f"line {line}: {problem}")
            else:
                scores.append(score)
    if problems:
        raise ManualScoreError(f"{path}: nothing merged.\n" + "\n".join(problems))
    return scores


def _validate(row: dict, line: int, results: Mapping[str, dict]) -> tuple[str | None, ManualScore | None]:
    submission, question = (row.get("submission") or "").strip(), (row.get("question") or "").strip()
    result = results.get(submission)
    if result is None:
        return f"unknown submission {submission!r}", None
    by_id = {q["id"]: q for q in result["questions"]}
    if question not in by_id:
        return f"unknown question {question!r}; {result['assignment']} has {', '.join(by_id)}", None
    pending = [c for c in by_id[question]["checks"] if c["status"] == "manual"]
    if not pending:
        return f"{question} of {submission} has no check waiting for a manual score", None
    try:
        score = float(row.get("score", ""))
    except ValueError:
        return f"score {row.get('score')!r} is not a number", None
    maximum = sum(c["max_score"] for c in pending)
    if not 0 <= score <= maximum:
        return f"score {score:g} for {question} is outside 0..{maximum:g}", None
    return None, ManualScore(submission, question, score, (row.get("comment") or "").strip(), line)


def apply_manual_scores(result: dict, scores: list[ManualScore]) -> dict:
    """A copy of `result` with its manual checks scored. The score is spread over the question's pending
    checks in proportion to their points (one check per free-text question, usually)."""
    result = copy.deepcopy(result)
    mine = {s.question: s for s in scores if s.submission == result["submission"]}
    for question in result["questions"]:
        given = mine.get(question["id"])
        if given is None:
            continue
        pending = [c for c in question["checks"] if c["status"] == "manual"]
        maximum = sum(c["max_score"] for c in pending)
        for check in pending:
            check["score"] = round(given.score * check["max_score"] / maximum, 6) if maximum else 0.0
            check["manual_comment"] = given.comment
        if all(c["score"] is not None for c in question["checks"]):
            question["score"] = round(sum(c["score"] for c in question["checks"]), 6)
    result["score"] = round(sum(q["score"] or 0.0 for q in result["questions"]), 6)
    return result
