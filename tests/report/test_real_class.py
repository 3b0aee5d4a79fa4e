"""A small class graded for real (three example submissions and a hostile notebook): the files batch grading
writes, rebuilt from results.json alone, and loaded in Chromium."""
import csv
import json
import re

import pytest
from report_cases import HOSTILE_ID

from graders.report.dashboard import report_folder
from graders.report import gradebook_csv, read_results, render_dashboard, render_feedback, to_gradescope


def test_grading_a_class_writes_every_report_and_the_summary(graded_class):
    out, results = graded_class
    assert sorted(results) == sorted([HOSTILE_ID, "reference", "wrong-forgot-normaliser",
                                      "wrong-kernel-attention-quadratic"])
    for submission in results:
        for name in ("results.json", "feedback.html", "gradescope.json"):
            assert (out / report_folder(submission) / name).is_file(), (submission, name)
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert sorted(r["submission"] for r in rows) == sorted(results)
    index = (out / "index.html").read_text()
    links = set(re.findall(r'href="([^"#]+/feedback\.html)', index))
    assert links == {f"{report_folder(s)}/feedback.html" for s in results}
    assert all((out / link).is_file() for link in links)


def test_every_report_is_a_pure_function_of_results_json(graded_class):
    out, results = graded_class
    stored = [read_results(out / report_folder(s) / "results.json") for s in results]
    for data in stored:
        folder = out / report_folder(data["submission"])
        assert (folder / "feedback.html").read_text() == render_feedback(data)
        assert json.loads((folder / "gradescope.json").read_text()) == to_gradescope(data)
    assert (out / "index.html").read_text() == render_dashboard(stored, assignment="kernel_attention")
    assert (out / "gradebook.csv").read_text() == gradebook_csv(stored)


def test_real_evidence_reaches_the_reports(graded_class):
    out, results = graded_class
    quadratic = (out / "wrong-kernel-attention-quadratic" / "feedback.html").read_text()
    assert "Cost against N (expected: N^1)" in quadratic and "FLOPs in matrix products (N<sup>2</sup>)" in quadratic
    forgot = (out / "wrong-forgot-normaliser" / "feedback.html").read_text()
    assert "Error against D_random" in forgot and "Failing call" in forgot and "forgot-normaliser" in forgot
    notebook = (out / report_folder(HOSTILE_ID) / "feedback.html").read_text()
    assert "Your notebook" in notebook and "2 of 3 code cells ran without an error" in notebook
    assert "&lt;b id=&#34;injected-cell&#34;&gt;" in notebook and '<b id="injected-cell">' not in notebook


@pytest.mark.browser
def test_real_class_pages_load_cleanly_and_inject_nothing(graded_class, page):
    out, results = graded_class
    probe = ("return {ids: ['injected-id', 'injected-out', 'injected-cell', 'injected-answer']"
             ".filter(id => document.getElementById(id) !== null), images: document.images.length}")
    for name in ["index.html"] + [f"{report_folder(s)}/feedback.html" for s in sorted(results)]:
        entries = page.open(out / name)
        assert page.errors(entries) == [], name
        assert not page.has_alert(), name
        assert page.js(probe) == {"ids": [], "images": 0}, name
        assert page.js("return performance.getEntriesByType('resource').length") == 0, name
    page.open(out / "index.html")
    assert HOSTILE_ID in page.text()
    page.screenshot("real-class-dashboard", width=1280)

    page.open(out / "reference" / "feedback.html")
    assert page.js("return document.querySelectorAll('math').length") >= 4
    assert "\\frac" not in page.text() and "\\sqrt" not in page.text()
    page.screenshot("real-reference-feedback")

    page.open(out / "wrong-kernel-attention-quadratic" / "feedback.html")
    assert page.js("return document.querySelectorAll('figure.chart svg[role=img]').length") >= 3
    page.screenshot("real-quadratic-feedback")
    page.open(out / "wrong-forgot-normaliser" / "feedback.html", width=390)
    assert page.js("return document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot("real-forgot-normaliser-phone", width=390)
    page.open(out / report_folder(HOSTILE_ID) / "feedback.html")
    assert "<script>alert(1)</script>" in page.text()
    page.screenshot("real-hostile-notebook-feedback")
