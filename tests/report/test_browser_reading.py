"""The reports read as a student who lost points and as an instructor with a class, in headless Chromium at
desktop and phone widths: one test per thing that stood between them and their users (issue 12's list).
Screenshots go to tests/artifacts/."""
from __future__ import annotations

import copy
import csv
import io
import subprocess
import sys

import pytest
from report_cases import check, class_results, question, rich_result

from graders.report import gradebook_csv, render_dashboard, render_feedback, render_overview
from graders.report.dashboard import report_folder

pytestmark = pytest.mark.browser


def write(folder, name, text):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def inputs():
    """Argument values as the engine keeps them for a small failing call (evidence `inputs`)."""
    return [[[0.5, -1.0], [0.25, 2.0], [1.5, 0.0]], [[1.0, 0.0], [0.0, 1.0], [-0.5, 0.5]], [[1.0], [2.0], [3.0]]]


def softmax_student() -> dict:
    """One recognised mistake, two more failures it explains, three questions fully passed."""
    passed = [question(qid, title, "code", [check(f"{name} holds", "passed", 1.0, 1.0) for name in ("a", "b")])
              for qid, title in (("kernel_attention", "Kernel attention in O(N) (eq. 2)"),
                                 ("random_features", "Random Fourier features (eq. 4)"),
                                 ("causal_cost", "Cost of the causal scheme"))]
    softmax = question("softmax_attention", "Softmax attention (eq. 3)", "code", [
        check("matches eq. 3 on random inputs", "failed", 0.0, 1.25, note="missing-sqrt-d-scaling",
              feedback="The logits are Q_i K_j^T without the 1/sqrt(D) of eq. 3.",
              evidence={"call": "softmax_attention(array (3, 2), array (3, 2), array (3, 1), causal=True)",
                        "got": -0.104391, "expected": 0.0141011, "mismatches": 3, "index": [2, 0],
                        "inputs": inputs()}),
        check("applies the causal mask (keys j <= i only)", "failed", 0.0, 1.0,
              feedback="On softmax_attention(...): 18 of 20 entries of the result differ.",
              evidence={"got": -0.1, "expected": 0.01}),
        check("stays finite and exact for logits near 1000", "failed", 0.0, 0.75,
              feedback="rel. error 4.75e-06; tolerance rtol 1e-06"),
    ])
    questions = passed[:2] + [softmax] + passed[2:]
    return {"schema": 1, "assignment": "kernel_attention", "submission": "wrong-softmax-no-sqrt-d",
            "score": 6.0, "max_score": 9.0, "questions": questions, "errors": [], "elapsed_s": 0.2}


def import_crash() -> dict:
    result = rich_result("crashed")
    result["notebook"] = None
    result["errors"] = [{"kind": "import-crash", "message": "  File \"kernel_attention.py\", line 22\n"
                         "    raise SystemExit(0)\nSystemExit: 0"}]
    for q in result["questions"]:
        for c in q["checks"]:
            if q["kind"] == "code":
                c.update(status="error", score=0.0, note=None, evidence={},
                         feedback="Calling f(array (3, 2)) failed:\nnot run: SystemExit: 0")
        q["score"] = None if any(c["score"] is None for c in q["checks"]) else sum(c["score"] for c in q["checks"])
    return result


def reading_details() -> dict:
    """Math in names and messages, a LaTeX answer, a list answer, prose with paragraphs, a 0-point symptom,
    two errors, and a pending manual question with its prompt."""
    result = rich_result("reader")
    result["questions"] += [
        question("random_features", "Random Fourier features", "code", [
            check("phi(X) phi(Y)^T matches eq. 4", "error", 0.0, 1.0, feedback="Calling f failed:\nValueError: x"),
            check("frequencies have covariance I / sigma^2", "error", 0.0, 1.0,
                  feedback="Calling g failed:\nValueError: y"),
            check("cost grows like N^2.0 or less; ||E_a - E_b|| stays small", "failed", 0.0, 0.0,
                  feedback="counted FLOPs grow like N^2.0 between N=256 and N=2048."),
        ]),
        question("semi_hard_definition", "(e) The semi-hard condition", "inequality", [
            check("the semi-hard condition", "failed", 0.0, 1.0, feedback="Not the semi-hard condition.",
                  evidence={"answer_latex": "d_{an} < d_{ap}", "reference_latex": "d_{ap} < d_{an} < d_{ap} + \\alpha"}),
        ], answer="d_{an} < d_{ap} + \\alpha"),
        question("architectures", "(a) The two architecture families", "choice", [
            check("names both families", "passed", 1.0, 1.0)], answer=["Zeiler & Fergus (NN1)", "Inception (NN2)"]),
    ]
    free = result["questions"][5]
    free["prompt"] = "Why do prefix sums make causal attention linear in N? Two or three sentences."
    free["answer"] = "Prefix sums carry S_i forward.\n\nSo each row costs the same, and the total is linear."
    result["max_score"] = sum(q["max_score"] for q in result["questions"])
    result["score"] = sum(q["score"] or 0.0 for q in result["questions"])
    return result


# ---- students ---------------------------------------------------------------------------------------------------

def test_lost_points_come_first_passed_questions_fold_and_other_failures_point_at_the_recognised_cause(page, tmp_path):
    path = write(tmp_path, "feedback.html", render_feedback(softmax_student()))
    assert page.errors(page.open(path)) == []
    box = "return document.getElementById('lost').getBoundingClientRect().top"
    first_question = "return document.querySelector('section.question').getBoundingClientRect().top"
    assert page.js(box) < 500 and page.js(box) < page.js(first_question)
    items = page.js("return [...document.querySelectorAll('.lost li a.lost-points')].map(a => a.getAttribute('href'))")
    assert len(items) == 3 and all(page.js(f"return !!document.querySelector('{h}')") for h in items)
    lost = page.js("return document.querySelector('.lost').innerText")
    assert "−1.25 pt" in lost and "The logits are Q" in lost and lost.count("Probably the same cause as") == 2
    folded = page.js("return [...document.querySelectorAll('details.question-body')].map(d => d.open)")
    assert folded == [False, False, True, False]                    # only the question that lost points is open
    links = page.js("return [...document.querySelectorAll('.same-cause a')].map(a => a.getAttribute('href'))")
    assert links == ["#c-softmax_attention-1"] * 2
    assert "above (missing-sqrt-d-scaling): fix that first" in page.text()
    page.driver.find_element("css selector", ".lost li:last-child a.lost-points").click()
    assert page.js("return location.hash") == "#c-softmax_attention-3"
    page.screenshot("issue12-lost-points-and-same-cause")
    page.open(path, width=390)
    assert page.js("return document.documentElement.scrollWidth <= window.innerWidth")
    assert page.js(box) < 700
    page.screenshot("issue12-lost-points-phone", width=390)


def test_a_failing_visible_call_comes_with_a_snippet_that_reruns_it_and_numbers_even_for_a_known_mistake(
        page, tmp_path):
    path = write(tmp_path, "feedback.html", render_feedback(softmax_student()))
    page.open(path)
    first = "document.getElementById('c-softmax_attention-1')"
    facts = page.js(f"return {first}.querySelector('dl.facts').innerText")
    assert "Your value\n-0.104391" in facts and "Expected value\n0.0141011" in facts
    page.driver.find_element("css selector", "#c-softmax_attention-1 details.reproduce summary").click()
    code = page.js(f"return {first}.querySelector('details.reproduce code').innerText")
    assert code.startswith("import torch\nfrom kernel_attention import softmax_attention")
    page.screenshot("issue12-snippet")
    module = ("import torch\ndef softmax_attention(Q, K, V, causal=False):\n"
              "    return (Q.sum() + K.sum() + V.sum() + causal).item()\n")
    write(tmp_path, "kernel_attention.py", module)
    ran = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    assert float(ran.stdout) == pytest.approx(3.25 + 2.0 + 6.0 + 1)
    hidden = softmax_student()
    hidden["questions"][2]["checks"][0]["visibility"] = "hidden"
    assert "Reproduce this failure" not in render_feedback(hidden, released=True)


def test_an_import_crash_is_one_problem_not_one_error_per_check(page, tmp_path):
    path = write(tmp_path, "feedback.html", render_feedback(import_crash()))
    assert page.errors(page.open(path)) == []
    text = page.text()
    assert text.count("6 checks not run: SystemExit: 0 at import") == 2     # the lost-points box and the problem
    assert "Error\n" not in text and text.count("not run: SystemExit: 0\n") == 0
    assert page.js("return document.querySelectorAll('.pill.error').length") == 0
    assert page.js("return document.querySelectorAll('.check .withheld a[href=\"#problems\"]').length") == 6
    page.screenshot("issue12-import-crash")


def test_a_notebook_graded_from_definitions_says_what_was_slow_and_how_to_fix_it(page, tmp_path):
    result = rich_result("notebook")
    result["notebook"]["cells"][0]["status"] = "slow"
    path = write(tmp_path, "feedback.html", render_feedback(result))
    page.open(path)
    section = page.js("return document.getElementById('notebook').parentElement.innerText")
    assert "definitions only" in section and "The slow part: code cell 1." in section
    assert 'if __name__ == "__main__":' in section and "ran without an error" not in section
    page.js("document.getElementById('notebook').scrollIntoView()")
    page.screenshot("issue12-notebook-definitions")


def test_pending_manual_scores_are_not_lost_points(page, tmp_path):
    path = write(tmp_path, "feedback.html", render_feedback(reading_details()))
    page.open(path)
    meter = "document.querySelector('.scoreline .meter')"
    assert page.js(f"return {meter}.querySelectorAll('.pending-part').length") == 1
    earned, pending = page.js(f"return [...{meter}.children].map(s => s.getBoundingClientRect().width)")
    assert earned > 0 and pending > 0
    assert page.js(f"return getComputedStyle({meter}.children[1]).backgroundImage").startswith("repeating-linear")
    free = page.js("return document.getElementById('q-free_text').innerText")
    assert "— / 2" in free and "The question:" in free and "Why do prefix sums" in free
    row = page.js("return [...document.querySelectorAll('#summary ~ div tr')].map(r => r.innerText)"
                  ".find(t => t.startsWith('Why prefix sums'))")
    assert "— / 2" in row and "0%" not in row and "awaiting review" in row
    prompt_left = page.js("return document.querySelector('#q-free_text .prompt').getBoundingClientRect()")
    answer_left = page.js("return document.querySelector('#q-free_text .prompt + div').getBoundingClientRect()")
    assert prompt_left["top"] == pytest.approx(answer_left["top"], abs=2)    # side by side on a desktop
    page.js("document.getElementById('q-free_text').scrollIntoView()")
    page.screenshot("issue12-pending-manual")


def test_math_and_text_read_consistently(page, tmp_path):
    path = write(tmp_path, "feedback.html", render_feedback(reading_details()))
    assert page.errors(page.open(path)) == []
    names = page.js("return [...document.querySelectorAll('.check-head h3')].map(h => h.innerHTML)")
    assert any("φ(X) φ(Y)<sup>T</sup>" in n for n in names) and any("σ<sup>2</sup>" in n for n in names)
    assert any("N<sup>2.0</sup>" in n and "‖E<sub>a</sub> − E<sub>b</sub>‖" in n for n in names)
    symptom = page.js("return document.getElementById('c-random_features-3').innerText")
    assert symptom.startswith("Note") and "Counted FLOPs grow like N2.0" in symptom
    answer = "document.querySelector('#q-semi_hard_definition .answer dd')"
    assert page.js(f"return {answer}.querySelector('math') !== null")
    choice = page.js("return document.querySelector('#q-architectures .answer').textContent")      # folded: passed
    assert "Zeiler & Fergus (NN1), Inception (NN2)" in choice and "['" not in choice
    assert page.js("return document.querySelectorAll('#q-free_text .prose p').length") == 2
    chips = page.js("return document.querySelector('.chips').innerText")
    assert "2 errors" in chips and "1 note" in chips
    page.screenshot("issue12-math-and-text")


# ---- instructors ------------------------------------------------------------------------------------------------

def instructor_class() -> list[dict]:
    results = class_results()
    results[1]["notebook"] = {"mode": "definitions", "why": "slow", "cells": [{"cell": 1, "status": "ran"}]}
    results[2]["notebook"] = {"mode": "full", "why": "", "cells": [{"cell": 6, "status": "failed", "error": "E"}]}
    for r in results[:2]:                                       # notes that cost nothing: left out of the mistakes
        r["questions"][0]["checks"].append(check("excused", "passed", 1.0, 1.0, note="follows-from-helper"))
        r["questions"][0]["checks"].append(check("symptom", "failed", 0.0, 0.0, note="zero-point-symptom"))
    for index, r in enumerate(results):
        r["questions"][1]["checks"][1].update(status="error", score=0.0, feedback="Calling f failed:\nOSError: too big")
        r["questions"][1]["checks"][0].update(status="error", score=0.0, feedback="Calling g failed:\nOSError: too big")
        if index == 3:
            r["previous"] = {"score": 9.5, "max_score": 17, "questions": dict(
                {q["id"]: q["score"] for q in r["questions"]}, causal_kernel_attention=4.5)}
    extra = [copy.deepcopy(results[0]) for _ in range(6)]
    for n, r in enumerate(extra):
        r["submission"] = f"zed-{n}"
    return results + extra


def test_the_dashboard_shows_what_matters_and_agrees_with_the_gradebook(page, tmp_path):
    results = instructor_class()
    for r in results:
        write(tmp_path, f"{report_folder(r['submission'])}/feedback.html", render_feedback(r))
    path = write(tmp_path, "index.html", render_dashboard(results, assignment="kernel_attention"))
    assert page.errors(page.open(path, width=1280)) == []
    # 10: the submission column stays put when the table scrolls; total, mistakes, problems are next to it
    heads = page.js("return [...document.querySelectorAll('#student-table thead th')].map(t => t.innerText.trim())")
    assert heads[:4] == ["Submission", "Total", "Mistakes", "Problems"]
    page.driver.set_window_size(700, 900)
    left = "return document.querySelector('#student-table tbody td.sticky').getBoundingClientRect().left"
    before = page.js(left)
    page.js("document.querySelector('#student-table').parentElement.scrollLeft = 400")
    assert page.js("return document.querySelector('#student-table').parentElement.scrollLeft") > 0
    assert page.js(left) == pytest.approx(before, abs=1)
    shown_columns = "return [...document.querySelectorAll('#student-table thead th.qcol')].filter(t => t.offsetParent).length"
    assert page.js(shown_columns) == 6
    page.driver.find_element("id", "show-questions").click()
    assert page.js(shown_columns) == 0
    # 11: errors grouped per submission with their first line; the count is the gradebook's
    errors = [int(r["errors"]) for r in csv.DictReader(io.StringIO(gradebook_csv(results)))]
    stat = page.js("return [...document.querySelectorAll('.stats li')].find(l => l.innerText.includes('errors'))"
                   ".querySelector('.value').innerText")
    assert int(stat) == sum(n > 0 for n in errors) == len(results)
    alice = page.js("return [...document.querySelectorAll('#problems ~ div tr')].find(r => r.innerText"
                    ".startsWith('alice')).innerText")
    assert alice.count("OSError: too big") == 1 and "2 checks" in alice
    # 12: most common mistakes are mistakes; "and N more" filters the table
    mistakes = page.js("return document.getElementById('mistakes-table').innerText")
    assert "follows-from-helper" not in mistakes and "zero-point-symptom" not in mistakes
    assert "follows-from-helper" in page.js("return document.querySelector('.notes-apart').textContent")
    page.driver.set_window_size(1280, 900)
    page.driver.find_element("css selector", "#mistakes-table a.more[href='#filter=cost-grows-too-fast']").click()
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(page.driver, 5).until(lambda d: d.execute_script("return document.getElementById('filter').value"))
    note = page.js("return document.getElementById('filter').value")
    visible = page.js("return [...document.querySelectorAll('#student-table tbody tr')].filter(r => !r.hidden)"
                      ".map(r => r.getAttribute('data-search'))")
    assert note == "cost-grows-too-fast" and all(note in row for row in visible) and len(visible) == 9
    assert page.js("return document.getElementById('students').getBoundingClientRect().top") < 100
    # 13: notebook problems as pills
    pills = page.js("return [...document.querySelectorAll('#student-table td.pills .pill')].map(p => p.innerText)")
    assert "definitions-only" in pills and "cell-6-failed" in pills
    notebooks = page.js("return document.getElementById('notebooks').nextElementSibling.innerText")
    assert "bob: definitions-only" in notebooks and "carol: cell-6-failed E" in notebooks
    # 14: re-grade changes
    changes = page.js("return document.getElementById('changes-table').innerText")
    assert "dave" in changes and "9.5" in changes and "7" in changes and "causal_kernel_attention 4.5 → 0" in changes
    page.js("document.getElementById('filter').value = ''; document.getElementById('filter')"
            ".dispatchEvent(new Event('input'))")
    page.screenshot("issue12-dashboard", width=1280)
    page.open(path, width=390)
    assert page.js("return document.documentElement.scrollWidth <= window.innerWidth")
    table = "document.getElementById('mistakes-table')"
    assert page.js(f"return {table}.scrollWidth <= {table}.parentElement.clientWidth + 1")
    assert page.js(shown_columns) == 0                                 # per-question columns start folded
    page.screenshot("issue12-dashboard-phone", width=390)


def test_chart_marks_have_contrast_and_phone_ticks_are_readable_and_no_page_logs_an_error(page, tmp_path):
    path = write(tmp_path, "feedback.html", render_feedback(rich_result(), released=True))
    page.open(path, width=390)
    contrast = """
    const rgb = c => c.match(/\\d+/g).slice(0, 3).map(Number).map(v => v / 255)
                      .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    const lum = c => { const [r, g, b] = rgb(c); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
    const ratio = c => 1.05 / (lum(c) + 0.05);
    const marks = [...document.querySelectorAll('.chart .bar, .chart .mark')].map(e => getComputedStyle(e).fill);
    const lines = [...document.querySelectorAll('.chart .line')].map(e => getComputedStyle(e).stroke);
    const meters = [...document.querySelectorAll('.meter > span:not(.pending-part)')]
                   .map(e => getComputedStyle(e).backgroundColor);
    return Math.min(...[...marks, ...lines, ...meters].map(ratio));
    """
    assert page.js(contrast) >= 3.0
    ticks = page.js("return Math.min(...[...document.querySelectorAll('.chart .ticks text')]"
                    ".map(t => t.getBoundingClientRect().height))")
    assert ticks >= 11
    page.screenshot("issue12-charts-phone", width=390)
    overview = write(tmp_path, "overview.html", render_overview(
        [{"folder": "kernel_attention", "title": "Kernel attention", "n": 3, "mean": 2.0, "max_score": 30}]))
    assert page.errors(page.open(overview)) == []
