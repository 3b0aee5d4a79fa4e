"""Helpers shared by the tests (importable as `support`: tests/ is on pytest's pythonpath)."""
from __future__ import annotations

from graders.model import Submission


def code_submission(source: str, *, name: str = "kernel_attention.py", answers: dict | None = None,
                    assignment: str = "kernel_attention") -> Submission:
    return Submission(id="test", assignment=assignment, files={name: source.encode()}, code_file=name,
                      answers=answers or {})
