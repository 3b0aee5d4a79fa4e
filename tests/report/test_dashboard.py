import base64
import csv
import hashlib
import io
import re

import pytest
from report_cases import PAYLOAD, class_results, hostile_result

from graders.report import gradebook_csv, render_dashboard
from graders.report.dashboard import report_folder, summarise_class


def test_summary_counts_scores_pending_and_problems():
    summary = summarise_class(class_results(), assignment="kernel_attention")
    assert summary["n"] == 5 and summary["max_score"] == 17
    assert summary["mean"] == pytest.approx((12 + 3.5 + 9.25 + 7 + 1) / 5) and summary["median"] == 7.0
    assert summary["pending"] == 5                                   # the free-text question waits for everyone
    assert [p["submission"] for p in summary["problems"]] == ["alice", "bob", "dave"]
    dave = summary["problems"][2]
    assert dave["errors"] == [{"kind": "import-warning", "message": "ValueError: boom"}]
    assert [(g["status"], g["line"], [c["name"] for c in g["checks"]]) for g in dave["groups"]] == [
        ("timeout", "Stopped after 10 s.", ["runs within the time limit"])]
    assert summary["with_errors"] == 3 and dave["count"] == 2


def test_the_dashboard_count_and_the_gradebook_errors_column_agree_and_an_import_crash_counts_once():
    results = class_results()
    crashed = results[2]
    crashed["errors"] = [{"kind": "import-crash", "message": "Traceback:\n  File x\nSystemExit: 0"}]
    for q in crashed["questions"]:
        for c in q["checks"][:1]:
            c.update(status="error", score=0.0, feedback="Calling f failed:\nnot run: SystemExit: 0")
    summary = summarise_class(results, assignment="x")
    column = [int(r["errors"]) for r in csv.DictReader(io.StringIO(gradebook_csv(results)))]
    assert column == [1, 1, 1, 2, 0] and summary["with_errors"] == sum(n > 0 for n in column) == 4
    carol = next(p for p in summary["problems"] if p["submission"] == "carol")
    assert carol["groups"] == [] and carol["not_run"] == 6 and carol["errors"][0]["message"] == "SystemExit: 0"


def test_mistakes_are_counted_per_submission_with_links_to_examples():
    mistakes = {m["note"]: m for m in summarise_class(class_results(), assignment="x")["mistakes"]}
    cost = mistakes["cost-grows-too-fast"]
    assert cost["count"] == 3 and [(c["question"], c["name"]) for c in cost["checks"]] == [
        ("causal_kernel_attention", "cost grows linearly in N")]
    assert [e["href"] for e in cost["examples"]] == [f"{who}/feedback.html#q-causal_kernel_attention"
                                                      for who in ("alice", "bob", "dave")]
    counts = [m["count"] for m in mistakes.values()]
    assert counts == sorted(counts, reverse=True)


def test_pass_rates_per_question_and_check():
    summary = summarise_class(class_results(), assignment="x")
    checks = {(c["question"], c["name"]): c for c in summary["checks"]}
    cost = checks[("causal_kernel_attention", "cost grows linearly in N")]
    assert cost["n"] == 5 and cost["counts"]["passed"] == 2 and cost["counts"]["failed"] == 3
    assert cost["passed_share"] == pytest.approx(0.4)
    questions = {q["id"]: q for q in summary["questions"]}
    assert questions["free_text"]["graded"] == 0 and questions["free_text"]["pending"] == 5
    assert questions["example_difficulty"]["full_share"] == pytest.approx(0.4)


@pytest.mark.parametrize("submission", ["alice", "Bob Smith (2)", "../../etc", "<img src=x>", "a/b\\c", "...", "é"])
def test_report_folders_cannot_escape_the_class_folder(submission):
    folder = report_folder(submission)
    assert folder and "/" not in folder and "\\" not in folder and not folder.startswith(".") and "<" not in folder


def test_dashboard_is_self_contained_and_runs_only_its_own_hashed_script():
    html = render_dashboard(class_results(), assignment="kernel_attention")
    script = re.search(r"<script>(.*?)</script>", html, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in html and html.count("<script") == 1
    assert not re.search(r"https?://", html)
    assert html.count('href="alice/feedback.html"') >= 1 and 'href="dave/feedback.html"' in html
    assert 'id="student-table"' in html and 'aria-labelledby="chart-scores-title chart-scores-desc"' in html


def test_dashboard_escapes_ids_notes_and_messages_from_students():
    results = class_results() + [hostile_result()]
    html = render_dashboard(results, assignment="kernel_attention")
    assert '<b id="injected">' not in html and "<script>window" not in html and "<img src=x" not in html
    assert PAYLOAD not in html and "&lt;b id=&#34;injected&#34;&gt;" in html
    assert f'href="{report_folder(PAYLOAD)}/feedback.html"' in html


def test_a_regrade_shows_each_changed_score_before_and_after(tmp_path):
    """Merging manual scores rewrites results.json; the old scores stay under `previous`, and the dashboard
    lists what changed. Rebuilding the reports changes nothing."""
    from graders.batch import merge_manual_scores, rebuild_reports
    from graders.report import write_results
    before = {}
    for result in class_results():
        result["score"] = before[result["submission"]] = sum(q["score"] or 0.0 for q in result["questions"])
        write_results(result, tmp_path / report_folder(result["submission"]) / "results.json")
    scores = tmp_path / "scores.csv"
    scores.write_text("submission,question,score,comment\nbob,free_text,1.5,clear\nerin,free_text,2,\n")
    merged = {r["submission"]: r for r in merge_manual_scores(tmp_path, scores, "kernel_attention")}
    assert merged["bob"]["previous"] == {"score": before["bob"], "max_score": 17, "questions": dict(
        {q["id"]: q["score"] for q in merged["bob"]["questions"]}, free_text=None)}
    assert "previous" not in merged["alice"]
    summary = summarise_class(list(merged.values()), assignment="x")
    assert [(c["submission"], c["before"], c["after"]) for c in summary["changes"]] == [
        ("erin", before["erin"], before["erin"] + 2), ("bob", before["bob"], before["bob"] + 1.5)]
    assert summary["changes"][1]["questions"] == [{"id": "free_text", "before": None, "after": 1.5}]
    rebuilt = {r["submission"]: r for r in rebuild_reports(tmp_path, "kernel_attention")}
    assert rebuilt["bob"]["previous"] == merged["bob"]["previous"] and "previous" not in rebuilt["alice"]
    html = (tmp_path / "index.html").read_text()
    assert 'id="changes-table"' in html and "free_text</code> — → 1.5" in html


def test_a_notice_is_shown_but_never_counted_as_an_error():
    """A recovered answers.yaml (stranger ka2/yaml-doublequoted) is a notice beside `errors`, not an error."""
    from graders.report import render_feedback
    from graders.report.dashboard import problem_count
    from graders.report.terminal import render_terminal
    results = class_results()
    clean = next(r for r in results if not r.get("errors") and problem_count(r) == 0)
    clean["notices"] = ["answers.yaml, line 3: \\frac was read as LaTeX instead."]
    assert problem_count(clean) == 0
    assert summarise_class(results, assignment="kernel_attention")["with_errors"] == 3
    row = next(r for r in csv.DictReader(io.StringIO(gradebook_csv(results))) if r["submission"] == clean["submission"])
    assert row["errors"] == "0"
    assert "note: answers.yaml, line 3" in render_terminal(clean)
    assert "read as LaTeX instead" in render_feedback(clean) and "Notes on your files" in render_feedback(clean)
