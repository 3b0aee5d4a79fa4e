"""The reports in headless Chromium: clean console, no requests, math and plots rendered, a working table,
and student text that stays text. Screenshots go to tests/artifacts/."""
import pytest
from report_cases import class_results, hostile_result

from graders.report import render_dashboard, render_feedback
from graders.report.dashboard import report_folder

pytestmark = pytest.mark.browser

# Visible text nodes holding raw TeX outside code blocks (code shows what a student typed, on purpose).
RAW_TEX_OUTSIDE_CODE = """
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
const found = [];
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const parent = node.parentElement;
  if (/\\\\(frac|sqrt|sigma|left|exp)/.test(node.data) && !parent.closest('code, pre')
      && parent.checkVisibility()) { found.push(node.data); }
}
return found;
"""
INJECTED = """
return {ids: ['injected', 'injected-id', 'injected-out', 'injected-cell', 'injected-answer']
          .filter(id => document.getElementById(id) !== null),
        pwned: window.__pwned === undefined ? null : window.__pwned,
        scripts: document.scripts.length,
        images: document.images.length};
"""


def write(folder, name, html):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


def test_feedback_report_renders_math_and_plots_with_a_clean_console_and_no_requests(page, result, tmp_path):
    path = write(tmp_path, "feedback.html", render_feedback(result, released=True))
    assert page.errors(page.open(path)) == []
    assert page.js("return performance.getEntriesByType('resource').length") == 0
    assert page.js("return document.querySelectorAll('math').length") >= 5
    assert page.js("return Math.round(document.querySelector('math mfrac').getBoundingClientRect().height)") > 10
    assert page.js(RAW_TEX_OUTSIDE_CODE) == []
    charts = page.js("return [...document.querySelectorAll('figure.chart svg[role=img]')]"
                     ".map(s => [s.getAttribute('aria-labelledby'), Math.round(s.getBoundingClientRect().width)])")
    assert len(charts) == 3 and all(width > 200 for _, width in charts)
    assert page.js("return document.querySelectorAll('figure.chart polyline').length") == 8
    assert "Expected" in page.text() and "HIDDEN-FEEDBACK" in page.text()
    page.screenshot("feedback-desktop")


def test_feedback_report_keeps_hidden_details_back_and_fits_a_phone(page, result, tmp_path):
    path = write(tmp_path, "feedback.html", render_feedback(result))
    assert page.errors(page.open(path, width=390)) == []
    text = page.text()
    assert "HIDDEN-FEEDBACK" not in text and "Details of this hidden check appear once grades are released" in text
    assert page.js("return document.documentElement.scrollWidth <= window.innerWidth")
    assert page.js("return document.documentElement.lang") == "en"
    assert page.js("return document.querySelectorAll('h1').length") == 1
    page.screenshot("feedback-phone", width=390)


def test_dashboard_sorts_filters_and_links_every_report(page, tmp_path):
    results = class_results()
    for r in results:
        write(tmp_path, f"{report_folder(r['submission'])}/feedback.html", render_feedback(r))
    path = write(tmp_path, "index.html", render_dashboard(results, assignment="kernel_attention"))
    assert page.errors(page.open(path)) == []
    assert page.js("return performance.getEntriesByType('resource').length") == 0
    assert page.js("return document.querySelectorAll('svg[role=img]').length") == 2   # scores, grading time
    visible = "return [...document.querySelectorAll('#student-table tbody tr')].filter(r => !r.hidden)" \
              ".map(r => r.cells[0].textContent.trim())"
    driver = page.driver
    total = driver.find_element("xpath", "//table[@id='student-table']//th[2]/button")
    total.click()
    assert page.js(visible) == ["erin", "bob", "dave", "carol", "alice"]
    sorted_by = "return document.querySelector('#student-table th:nth-child(2)').getAttribute('aria-sort')"
    assert page.js(sorted_by) == "ascending"
    total.click()
    assert page.js(visible) == ["alice", "carol", "dave", "bob", "erin"]
    driver.find_element("xpath", "//table[@id='student-table']//th[last()]/button").click()
    assert page.js(visible)[0] == "erin"                             # fastest first
    search = driver.find_element("id", "filter")
    search.send_keys("cost-grows")
    assert sorted(page.js(visible)) == ["alice", "bob", "dave"]
    assert page.js("return document.getElementById('shown-count').textContent") == "Showing 3 of 5"
    search.clear()
    search.send_keys("DAV")
    assert page.js(visible) == ["dave"]
    search.clear()
    driver.find_element("id", "only-problems").click()
    assert sorted(page.js(visible)) == ["alice", "bob", "dave"]      # a timeout, a timeout, an error and a timeout
    driver.find_element("id", "only-problems").click()
    page.screenshot("dashboard-desktop", width=1280)
    driver.find_element("link text", "carol").click()
    assert driver.title == "kernel_attention: feedback for carol"
    page.open(path, width=390)
    assert page.js("return document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot("dashboard-phone", width=390)


@pytest.mark.parametrize("released", [False, True])
def test_markup_in_student_text_injects_nothing_into_the_report(page, tmp_path, released):
    path = write(tmp_path, "feedback.html", render_feedback(hostile_result(), released=released))
    entries = page.open(path)
    assert not page.has_alert()
    assert page.js(INJECTED) == {"ids": [], "pwned": None, "scripts": 0, "images": 0}
    assert page.errors(entries) == []
    assert '<b id="injected">x</b>' in page.text()                   # shown as the text it is
    if released:
        page.screenshot("feedback-hostile")


def test_markup_in_submission_ids_and_notes_injects_nothing_into_the_dashboard(page, tmp_path):
    results = class_results() + [hostile_result()]
    path = write(tmp_path, "index.html", render_dashboard(results, assignment="kernel_attention"))
    entries = page.open(path)
    assert not page.has_alert()
    assert page.js(INJECTED) == {"ids": [], "pwned": None, "scripts": 1, "images": 0}
    assert page.errors(entries) == []
    page.driver.find_element("id", "filter").send_keys("<b id")
    shown = "return [...document.querySelectorAll('#student-table tbody tr')].filter(r => !r.hidden).length"
    assert page.js(shown) == 1


def test_the_console_check_would_catch_an_error_and_a_blocked_request(page, tmp_path):
    """Guards the guards: a page with a script error and a forbidden image does show up in the console log."""
    html = render_feedback(hostile_result()).replace("</body>", '<img src="https://example.invalid/x.png"></body>')
    path = write(tmp_path, "broken.html", html.replace("<body>", "<body><script>undefinedFunction()</script>"))
    errors = page.errors(page.open(path))
    assert any("Content Security Policy" in e["message"] for e in errors)
