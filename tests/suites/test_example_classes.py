"""Every bundled example class, graded for real, against its expected.yaml.

expected.yaml maps each submission to the questions that must lose points and the note each must carry
(`null` when no particular note is expected); every other auto-graded question must get full marks. So
each known mistake proves that its check can fail, on its own question only, and each right alternative
proves that the checks do not insist on one layout.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from graders.batch import grade_class
from graders.load import load_submissions
from graders.suite import ASSIGNMENTS, load_suite

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CLASSES = [a for a in ASSIGNMENTS if (EXAMPLES / a / "expected.yaml").is_file()]


def _expected(assignment: str) -> dict[str, dict]:
    return {str(k): (v or {}) for k, v in yaml.safe_load((EXAMPLES / assignment / "expected.yaml").read_text()).items()}


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """assignment -> {submission id: results.json}; each class is graded once, on first use."""
    cache: dict[str, dict[str, dict]] = {}

    def results(assignment: str) -> dict[str, dict]:
        if assignment not in cache:
            submissions = list(load_submissions([EXAMPLES / assignment], assignment))
            graded = grade_class(load_suite(assignment), submissions, tmp_path_factory.mktemp(assignment), jobs=2,
                                 progress=False)
            cache[assignment] = {r["submission"]: r for r in graded}
        return cache[assignment]
    return results


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
        note = lose[question["id"]]
        if note is not None:
            assert note in {c["note"] for c in question["checks"]}, where
