"""The catalogue's record: a way widely used code writes a homework function, and what the grader must say.

Each `*_mistakes.py` ends with a `CONVENTIONS` tuple of these. A convention the spec did not choose carries
the note the suite reports and one sentence of feedback; one the spec accepts (an eps guard, float32)
carries no note and must get full marks. `tests/suites/test_mutation.py` grades every entry with the
suite's own checks and fails, naming the entry, when a mistake goes uncaught or a right variant loses points.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

__all__ = ["Convention"]


@dataclass(frozen=True)
class Convention:
    replaces: str                         # the student function it stands in for, e.g. "batch_hard_triplet_loss"
    function: Callable
    questions: tuple[str, ...]            # the questions it may (for a mistake: must) lose points on
    note: str | None = None               # None: a right variant, full marks expected
    feedback: str = ""                    # one sentence for the student, naming the concept
    source: str = ""                      # who writes it this way

    @property
    def must_pass(self) -> bool:
        return self.note is None

    @property
    def name(self) -> str:
        return self.function.__name__
