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


@pytest.fixture(scope="module", params=CLASSES)
def graded(request, tmp_path_factory):
    assignment = request.param
    suite = load_suite(assignment)
    submissions = list(load_submissions([EXAMPLES / assignment], assignment))
    results = grade_class(suite, submissions, tmp_path_factory.mktemp(assignment), jobs=2, progress=False)
    return assignment, {r["submission"]: r for r in results}


def _cases():
    for assignment in CLASSES:
        for submission in _expected(assignment):
            yield pytest.param(assignment, submission, id=f"{assignment}/{submission}")


def test_every_submission_is_listed(graded):
    assignment, results = graded
    assert sorted(results) == sorted(_expected(assignment))


@pytest.mark.parametrize("assignment, submission", list(_cases()))
def test_points_are_lost_exactly_where_expected(graded, assignment, submission):
    graded_assignment, results = graded
    if graded_assignment != assignment:
        pytest.skip("graded in the other parametrisation")
    lose = _expected(assignment)[submission].get("lose", {}) or {}
    for question in results[submission]["questions"]:
        if question["manual"]:
            continue
        where = f"{submission}/{question['id']}: " + "; ".join(
            f"{c['name']} -> {c['status']} {c['note']}: {c['feedback'][:200]}" for c in question["checks"] if c["status"] != "passed")
        if question["id"] not in lose:
            assert question["score"] == question["max_score"], where
            continue
        assert question["score"] is not None and question["score"] < question["max_score"], where
        note = lose[question["id"]]
        if note is not None:
            notes = {c["note"] for c in question["checks"]}
            assert note in notes, where
