"""Typed chart evidence (graders/model.py Chart, Series): a check's verdict carries a chart, results.json keeps
it as plain data, and the student report draws it without knowing the assignment."""
from __future__ import annotations

import json

from graders.model import Chart, CheckResult, QuestionResult, Series, Status, SubmissionResult
from graders.report import render_feedback, result_to_json
from graders.report.plots import plots_for_check

COST = Chart("lines", "Work against N", "N", "operations", (64, 128, 256, 512),
             (Series("your code", (4e3, 1.6e4, 6.4e4, 2.6e5)), Series("expected N^1", (4e3, 8e3, 1.6e4, 3.2e4), True)),
             "Your operation count grows like N^2; the dashed line grows like N.")
SHARES = Chart("bars", "Answers by class", "class", "share", ("a", "b", "c"),
               (Series("yours", (0.5, 0.3, 0.2)), Series("reference", (0.4, 0.4, 0.2), True)),
               "Your shares beside the reference's.")


def _result(*charts: Chart) -> dict:
    check = CheckResult("cost grows linearly in N", Status.FAILED, 0.0, 2.0, "visible", "Quadratic growth.",
                        "cost-grows-too-fast", {"charts": list(charts)})
    question = QuestionResult("my_question", "My question", "code", 0.0, 2.0, False, (check,))
    return result_to_json(SubmissionResult("my_homework", "alice", 0.0, 2.0, (question,), (), 0.1))


def test_charts_travel_as_plain_data_and_are_drawn_for_any_assignment():
    data = json.loads(json.dumps(_result(COST, SHARES)))             # as results.json holds them
    check = data["questions"][0]["checks"][0]
    assert check["evidence"]["charts"][0]["series"][1] == {"label": "expected N^1", "values": [4e3, 8e3, 1.6e4, 3.2e4],
                                                          "reference": True}
    lines, bars = plots_for_check(check)
    assert lines["kind"] == "lines" and [s["dashed"] for s in lines["series"]] == [False, True]
    assert bars["kind"] == "bars" and len(bars["bars"]) == 6
    assert lines["table"]["rows"][0][0] == "64" and bars["table"]["columns"] == ["class", "yours", "reference"]
    html = render_feedback(data)
    assert "Work against N" in html and "Answers by class" in html and "grows like N^2" in html


def test_a_chart_that_cannot_be_drawn_is_left_out():
    broken = Chart("lines", "t", "x", "y", (1, 2), (Series("s", (1.0, -1.0)),), "negative on a log axis")
    short = Chart("bars", "t", "x", "y", ("a", "b"), (Series("s", (1.0,)),), "one value for two groups")
    data = json.loads(json.dumps(_result(broken, short)))
    assert plots_for_check(data["questions"][0]["checks"][0]) == []
