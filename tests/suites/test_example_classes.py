"""Every bundled example class, graded for real, against its expected.yaml.

expected.yaml maps each submission to the questions that must lose points and the note each must carry
(`null` when no particular note is expected); every other auto-graded question must get full marks. An entry
may also pin, under `checks`, exactly which checks lose points and with which note; an attack-* submission
must score 0 on every question it is listed to lose. So
each known mistake proves that its check can fail, on its own question only, and each right alternative
proves that the checks do not insist on one layout.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from graders.suite import ASSIGNMENTS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CLASSES = [a for a in ASSIGNMENTS if (EXAMPLES / a / "expected.yaml").is_file()]


def _expected(assignment: str) -> dict[str, dict]:
    return {str(k): (v or {}) for k, v in yaml.safe_load((EXAMPLES / assignment / "expected.yaml").read_text()).items()}


@pytest.fixture(scope="session")
def graded(graded_examples):
    """assignment -> {submission id: results.json}; each class is graded once per session (tests/conftest.py)."""
    return lambda assignment: graded_examples(assignment)[1]


@pytest.mark.parametrize("assignment", CLASSES)
def test_every_submission_is_listed(graded, assignment):
    assert sorted(graded(assignment)) == sorted(_expected(assignment))


CASES = [pytest.param(a, s, id=f"{a}/{s}") for a in CLASSES for s in _expected(a)]


@pytest.mark.parametrize("assignment, submission", CASES)
def test_points_are_lost_exactly_where_expected(graded, assignment, submission):
    lose = _expected(assignment)[submission].get("lose", {}) or {}
    for question in graded(assignment)[submission]["questions"]:
        if question["manual"]:
            continue
        where = f"{submission}/{question['id']}: " + "; ".join(
            f"{c['name']} -> {c['status']} {c['note']}: {c['feedback'][:200]}" for c in question["checks"]
            if c["status"] != "passed")
        if question["id"] not in lose:
            assert question["score"] == question["max_score"], where
            continue
        assert question["score"] is not None and question["score"] < question["max_score"], where
        if submission.startswith("attack-"):                         # an attack earns nothing on what it attacks
            assert question["score"] == 0, where
        note = lose[question["id"]]
        if note is not None:
            assert note in {c["note"] for c in question["checks"]}, where


PINNED = [pytest.param(a, s, id=f"{a}/{s}") for a in CLASSES for s, v in _expected(a).items() if v.get("checks")]


@pytest.mark.parametrize("assignment, submission", PINNED)
def test_exactly_the_pinned_checks_lose_points_with_their_notes(graded, assignment, submission):
    """`checks: {"question / check name": note}` pins every check that loses points (null: any note)."""
    pinned = _expected(assignment)[submission]["checks"]
    lost = {f"{q['id']} / {c['name']}": c["note"] for q in graded(assignment)[submission]["questions"]
            if not q["manual"] for c in q["checks"] if c["score"] is not None and c["score"] < c["max_score"]}
    assert sorted(lost) == sorted(pinned), lost
    for name, note in pinned.items():
        assert note is None or lost[name] == note, (name, lost[name])
