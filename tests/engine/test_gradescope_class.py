"""A Gradescope "Export Submissions" folder graded as it comes, with a late policy: names, submission times
and penalties in results.json, feedback.html, gradebook.csv and index.html; a changed policy re-applied
without grading again. The export is built here to Gradescope's layout (submission_metadata.yml beside
submission_<id>/ folders)."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

import graders.batch
import graders.late
from graders.batch import grade_class, rebuild_reports
from graders.late import read_policy
from graders.load import load_submissions
from graders.suite import load_suite

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "kernel_attention"
POLICY = {"deadline": "2026-03-06 23:59", "time_zone": "America/Los_Angeles", "grace_minutes": 10,
          "penalty_percent": 10, "per": "day", "cutoff_days": 5, "extensions": "extensions.csv"}

METADATA = """\
submission_1001:
  :submitters:
  - :name: Ada Lovelace
    :sid: '1815'
    :email: ada@example.edu
  :created_at: 2026-03-06 23:05:00.000000000 -08:00
submission_1002:
  :submitters:
  - :name: Charles Babbage
    :sid: '1791'
    :email: charles@example.edu
  - :name: Mary Somerville
    :sid: '1780'
    :email: mary@example.edu
  :created_at: 2026-03-08 03:59:00.000000000 -07:00
submission_1003:
  :submitters:
  - :name: Emmy Noether
    :sid: '1882'
    :email: emmy@example.edu
  :created_at: 2026-03-07 09:00:00.000000000 -08:00
"""
FOLDERS = {"submission_1001": "reference", "submission_1002": "wrong-softmax-no-sqrt-d", "submission_1003": "reference"}


@pytest.fixture()
def policy_files(tmp_path, monkeypatch):
    """The late policy as a manifest would hold it, in a folder the test can change."""
    folder = tmp_path / "assignment"
    folder.mkdir()
    (folder / "extensions.csv").write_text("student,days\nemmy@example.edu,1\n")
    state = {"late": dict(POLICY)}
    monkeypatch.setattr(graders.late, "late_policy", lambda assignment: read_policy(state, folder))
    return state


def _export(root: Path) -> Path:
    export = root / "assignment_777_export"
    export.mkdir(parents=True)
    (export / "submission_metadata.yml").write_text(METADATA)
    for folder, example in FOLDERS.items():
        shutil.copytree(EXAMPLES / example, export / folder)
    return root


def _gradebook(out: Path) -> list[dict]:
    with (out / "gradebook.csv").open(newline="") as stream:
        return list(csv.DictReader(stream))


def test_an_export_with_two_late_submissions_and_an_extension_is_graded_with_names_and_penalties(tmp_path, policy_files,
                                                                                            monkeypatch):
    suite, out = load_suite("kernel_attention"), tmp_path / "out"
    monkeypatch.setattr(graders.batch, "grader_version", lambda assignment: "this grader")   # others edit the checkout
    submissions = list(load_submissions([_export(tmp_path / "download")], "kernel_attention"))
    assert [s.id for s in submissions] == list(FOLDERS)                      # each submission once
    grade_class(suite, submissions, out, jobs=2, progress=False)

    results = {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/results.json")}
    ada, group, emmy = (results[k] for k in FOLDERS)
    assert [s["name"] for s in group["students"]] == ["Charles Babbage", "Mary Somerville"]
    assert ada["students"][0] == {"name": "Ada Lovelace", "email": "ada@example.edu", "sid": "1815"}
    assert ada["late"]["text"] == "submitted on time" and ada["late"]["final_score"] == ada["score"] == 30
    assert group["late"]["text"] == "submitted 1 day 3 hours late: -20%"
    assert group["late"]["final_score"] == pytest.approx(0.8 * group["score"]) and group["score"] < 30
    assert emmy["late"]["text"] == "submitted on time (extension of 1 day)" and emmy["late"]["penalty_points"] == 0

    gradescope = json.loads((out / "submission_1002" / "gradescope.json").read_text())
    assert gradescope["extra_data"]["late"]["text"] == "submitted 1 day 3 hours late: -20%"
    feedback = (out / "submission_1002" / "feedback.html").read_text()
    assert "Charles Babbage, Mary Somerville" in feedback and "submitted 1 day 3 hours late: -20%" in feedback
    dashboard = (out / "index.html").read_text()
    assert "Ada Lovelace" in dashboard and "Mary Somerville" in dashboard and "1 day 3 hours late: -20%" in dashboard
    rows = _gradebook(out)
    assert [r["name"] for r in rows] == ["Ada Lovelace", "Charles Babbage", "Mary Somerville", "Emmy Noether"]
    charles = rows[1]
    assert charles["sid"] == "1791" and charles["email"] == "charles@example.edu"
    assert float(charles["total"]) == group["score"] and float(charles["penalty"]) == pytest.approx(0.2 * group["score"])
    assert float(charles["final"]) == pytest.approx(0.8 * group["score"]) and charles["late"].endswith("-20%")
    assert rows[3]["final"] == rows[3]["total"] and rows[3]["submitted_at"] == "2026-03-07T09:00:00-08:00"

    # the policy changes: re-applied to every output, without grading anything again
    policy_files["late"] = {**POLICY, "penalty_percent": 25, "extensions": None}
    monkeypatch.setattr(graders.batch, "grade_safely", lambda *a, **k: pytest.fail("graded again"))
    grade_class(suite, submissions, out, jobs=2, progress=False)
    again = json.loads((out / "submission_1003" / "results.json").read_text())
    assert again["late"]["text"] == "submitted 9 hours 1 minute late: -25%" and again["elapsed_s"] == emmy["elapsed_s"]
    assert "9 hours 1 minute late: -25%" in (out / "submission_1003" / "feedback.html").read_text()
    assert "-50%" in (out / "index.html").read_text()
    policy_files["late"] = None
    rebuild_reports(out, "kernel_attention")
    assert "late" not in json.loads((out / "submission_1002" / "results.json").read_text())
    assert "final" not in _gradebook(out)[0]
