"""Batch grading isolates failure per submission: a fault on one student is that student's error, with a
results.json, a report and a gradebook row, and the class goes on (no GraderFault, exit code 0)."""
import csv
import json

import pytest

from graders import batch
from graders.load import load_submissions
from graders.suite import load_suite


class _NoSandbox:
    """Answers-only submissions never reach the sandbox."""
    layers = ()

    def __init__(self, **_):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


@pytest.fixture
def classroom(tmp_path, monkeypatch):
    for name in ("alice", "bob", "carol"):
        (tmp_path / "class" / name).mkdir(parents=True)
        (tmp_path / "class" / name / "answers.yaml").write_text("causal_cost: O(N D M)\n")
    monkeypatch.setattr(batch, "Sandbox", _NoSandbox)
    return list(load_submissions([tmp_path / "class"], "kernel_attention")), tmp_path / "out"


def _rows(out):
    with open(out / "gradebook.csv", newline="") as stream:
        return {row["submission"] for row in csv.DictReader(stream)}


def test_a_fault_while_grading_one_submission_is_its_error_and_the_class_goes_on(classroom, monkeypatch):
    submissions, out = classroom
    real = batch.grade_submission

    def grade(suite, submission, sandbox, **options):
        if submission.id == "bob":
            raise RecursionError("maximum recursion depth exceeded in /secret/grader/path.py")
        return real(suite, submission, sandbox, **options)
    monkeypatch.setattr(batch, "grade_submission", grade)
    results = {r["submission"]: r for r in batch.grade_class(load_suite("kernel_attention"), submissions, out,
                                                                jobs=2, progress=False)}
    assert sorted(results) == ["alice", "bob", "carol"] and _rows(out) == {"alice", "bob", "carol"}
    bob = json.loads((out / "bob" / "results.json").read_text())
    assert [e["kind"] for e in bob["errors"]] == ["grader-fault"] and bob["score"] == 0
    assert "/secret" not in (out / "bob" / "feedback.html").read_text() and "/secret" not in json.dumps(bob)
    assert "grader-fault" not in {e["kind"] for e in results["alice"]["errors"]} and (out / "alice" / "feedback.html").is_file()


def test_a_report_that_cannot_be_written_leaves_the_submissions_fault_result(classroom, monkeypatch):
    submissions, out = classroom
    real = batch.render_feedback
    failed = []

    def render(data, **options):
        if data["submission"] == "carol" and not failed:
            failed.append(True)
            raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
        return real(data, **options)
    monkeypatch.setattr(batch, "render_feedback", render)
    results = {r["submission"]: r for r in batch.grade_class(load_suite("kernel_attention"), submissions, out,
                                                                jobs=1, progress=False)}
    assert [e["kind"] for e in results["carol"]["errors"]] == ["grader-fault"]
    assert (out / "carol" / "feedback.html").is_file() and _rows(out) == {"alice", "bob", "carol"}
