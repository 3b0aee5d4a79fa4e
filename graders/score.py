"""Verdicts -> points -> `SubmissionResult`. Pure: no I/O, no student code."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from .checks import Check
from .model import CheckResult, QuestionResult, SubmissionResult, Verdict
from .suite import Question, Suite

__all__ = ["score_check", "score_question", "total", "answer_shown", "submission_result"]


def score_check(check: Check, verdict: Verdict) -> CheckResult:
    score = None if verdict.fraction is None else round(check.points * min(max(verdict.fraction, 0.0), 1.0), 6)
    return CheckResult(check.name, verdict.status, score, check.points, check.visibility, verdict.feedback,
                       verdict.note, verdict.evidence)


def score_question(question: Question, checks: Sequence[CheckResult], answer: Any = None, *,
                   public_only: bool = False) -> QuestionResult:
    """A question's score is the sum of its checks; None while any check waits for a person. A self-check
    (`public_only`) is out of the public checks' points: hidden ones are not there to be earned."""
    pending = any(c.score is None for c in checks)
    score = None if pending else round(sum(c.score for c in checks), 6)
    maximum = round(sum(c.max_score for c in checks), 6) if public_only else question.points
    return QuestionResult(question.id, question.title, question.kind, score, maximum, question.manual,
                          tuple(checks), answer, question.prompt)


def total(questions: Sequence[QuestionResult]) -> float:
    return round(sum(q.score or 0.0 for q in questions), 6)


def answer_shown(question: Question, answers: Mapping[str, Any]) -> Any:
    """The student's own answer to a non-code question, kept for the report."""
    return None if question.kind == "code" else answers.get(question.id)


def submission_result(suite: Suite, submission_id: str, questions: Sequence[QuestionResult], **run: Any) -> SubmissionResult:
    """Scored over the questions graded (all of them, unless a self-check asked for one)."""
    maximum = sum(q.max_score for q in questions)
    return SubmissionResult(suite.assignment, submission_id, total(questions), maximum, tuple(questions),
                            assignment_title=suite.title, **run)

