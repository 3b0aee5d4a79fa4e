"""What every judge does the same way: reading a raw answer, and the verdicts for missing, invalid and
undecided answers. Invalid answers cost nothing and say exactly what to fix."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable

from graders.model import Status, Verdict

from .parse import Answer, AnswerError, parse_answer
from .vocabulary import Vocabulary

__all__ = ["Distractor", "read_answer", "missing", "invalid", "undecided", "shown", "guarded"]

_SHOWN_CHARS = 200


@dataclass(frozen=True)
class Distractor:
    """A known wrong answer, checked with the same engine: its note, feedback and partial credit. Feedback says
    what is wrong; `answer_hint`, the part that gives the answer away, is shown only once grades are released."""
    answer: str
    note: str
    feedback: str
    fraction: float = 0.0
    answer_hint: str = ""

    def verdict(self, **evidence: Any) -> Verdict:
        hint = {"answer_hint": self.answer_hint} if self.answer_hint else {}
        return Verdict.failed(self.feedback, self.note, self.fraction, **evidence, **hint)

    def __post_init__(self) -> None:
        if not 0.0 <= self.fraction < 1.0:
            raise ValueError(f"a distractor's fraction must be in [0, 1): {self.fraction}")


def shown(raw: Any) -> str:
    """The student's answer as text for evidence, capped."""
    text = raw if isinstance(raw, str) else repr(raw)
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "..."


def missing() -> Verdict:
    return Verdict(Status.MISSING, 0.0, "No answer was given.")


def invalid(message: str, raw: Any, error: AnswerError | None = None, **evidence: Any) -> Verdict:
    caret = error.caret() if error is not None else ""
    feedback = f"{message}\n{caret}" if caret else message
    return Verdict(Status.INVALID, 0.0, feedback, None, {"answer": shown(raw), **evidence})


def undecided(**evidence: Any) -> Verdict:
    return Verdict(Status.MANUAL, None, "The checker could not decide whether this answer is equivalent to "
                   "the expected one; it is flagged for review and not marked wrong.", "undecided", evidence)


def read_answer(raw: Any, vocabulary: Vocabulary, *, big_o: bool = False) -> Answer | Verdict:
    """Parse a raw answer (usually a string; numbers are read as their decimal text), or a Verdict."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return missing()
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        return invalid(f"Expected one math expression written as a string, got {type(raw).__name__}.", raw)
    text = raw if isinstance(raw, str) else repr(raw)
    try:
        return parse_answer(text, vocabulary, big_o=big_o)
    except AnswerError as error:
        return invalid(error.message, raw, error)


def guarded(judge: Callable[[Any], Verdict]) -> Callable[[Any], Verdict]:
    """A judge that never raises: a fault of the checker on some answer becomes a flag for review."""
    @functools.wraps(judge)
    def safe_judge(raw: Any) -> Verdict:
        try:
            return judge(raw)
        except RecursionError:
            return invalid("The answer is nested too deeply.", raw)
        except Exception as error:                       # noqa: BLE001 - a student must never crash grading
            return Verdict(Status.MANUAL, None, "The checker failed on this answer; it is flagged for review "
                           "and not marked wrong.", "checker-error",
                           {"answer": shown(raw), "error": f"{type(error).__name__}: {error}"[:300]})
    return safe_judge
