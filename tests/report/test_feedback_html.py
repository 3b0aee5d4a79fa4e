import re

from report_cases import PAYLOAD

from graders.report import render_feedback


def test_hidden_checks_show_status_and_points_but_nothing_they_found_until_release(result):
    before = render_feedback(result)
    assert "row i ignores keys and values after i" in before and "0 / 1 pt" in before
    for secret in ("HIDDEN-FEEDBACK", "HIDDEN-CALL", "hidden-mistake-note"):
        assert secret not in before
    assert "1 hidden check ran on inputs you have not seen" in before
    after = render_feedback(result, released=True)
    assert all(secret in after for secret in ("HIDDEN-FEEDBACK", "HIDDEN-CALL", "hidden-mistake-note"))


def test_math_answers_render_as_mathml_and_the_reference_only_once_released(result):
    before = render_feedback(result)
    assert before.count("<math ") >= 4                       # three answers as read, two answers as written
    assert "<mroot>" not in before and "Expected</dt>" not in before
    after = render_feedback(result, released=True)
    assert "<mroot>" in after and "Expected</dt>" in after   # sigma = D^(1/4), the reference, shown once released


def test_a_failed_comparison_shows_the_small_failing_call_and_expected_against_got(result):
    html = render_feedback(result)
    for fact in ("Failing call", "kernel_attention(array (12, 4), array (12, 4), array (12, 3), causal=True)",
                 "Entries that differ", "<dd>36</dd>", "Worst entry at index", "(1, 0)", "Your value", "-4.40901",
                 "Expected value", "-0.285821", "Largest absolute error", "4.123"):
        assert fact in html, fact


def test_plots_are_inline_svg_with_title_and_description(result):
    html = render_feedback(result)
    charts = re.findall(r'<svg viewBox="[^"]+" role="img" aria-labelledby="(chart-\d+)-title \1-desc"', html)
    assert len(charts) == 3                                  # cost, convergence, depth histogram
    assert len(set(charts)) == 3
    for chart in charts:
        assert f'<title id="{chart}-title">' in html and f'<desc id="{chart}-desc">' in html
    assert "Prediction depth: yours beside the reference" in html


def test_an_answer_that_could_not_be_parsed_keeps_its_caret_aligned_in_monospace(result):
    html = render_feedback(result)
    caret = "This &#39;{&#39; is never closed.\n\\exp(\\frac{1}{\n             ^"
    assert f'<pre class="feedback-pre"><code>{caret}</code></pre>' in html


def test_notebook_section_says_how_it_ran_and_which_cells_failed(result):
    html = render_feedback(result)
    assert "Your notebook" in html and "definitions only" in html and "running every cell took longer than 3 s" in html
    assert "ran without an error" not in html                      # in definitions mode, that count misleads
    assert "move that work into a function, or under <code>if __name__ == \"__main__\":</code>" in html
    assert "NameError: name &#39;model&#39; is not defined" in html
    result["notebook"]["cells"][0]["status"] = "slow"
    assert "The slow part: code cell 1." in render_feedback(result)
    result["notebook"] = {"mode": "full", "why": "all code cells ran in order", "cells": result["notebook"]["cells"][1:]}
    assert "0 of 1 code cell ran without an error" in render_feedback(result)


def test_manual_scores_and_comments_show_and_pending_questions_say_so(result):
    html = render_feedback(result)
    assert "Right idea; the D_random M term is missing." in html and "Reviewed" in html
    assert "awaiting review" in html and "so far" in html


def test_output_is_capped_and_says_how_much_was_left_out(result):
    result["stdout"] = "x" * 25_000
    html = render_feedback(result)
    assert "5,000 more characters not shown" in html
    assert "x" * 25_000 not in html


def test_the_page_is_one_self_contained_accessible_file(result):
    html = render_feedback(result, released=True)
    assert html.startswith("<!doctype html>") and '<html lang="en">' in html
    assert '<meta name="viewport"' in html and html.count("<h1>") == 1
    assert "script-src 'none'" in html and "default-src 'none'" in html
    assert "<script" not in html
    assert not re.search(r"https?://", html)
    assert not re.search(r'<(img|link|iframe|object|embed)[^>]+(src|href)="(?!data:|#)', html)


def test_student_text_with_markup_is_escaped_everywhere(hostile):
    for released in (False, True):
        html = render_feedback(hostile, released=released)
        assert '<b id="injected">' not in html and "<script>window" not in html and "<img src=x" not in html
        assert "&lt;b id=&#34;injected&#34;&gt;" in html
    assert html.count("<script") == 0
    assert PAYLOAD not in html


def test_a_numeric_answer_shows_how_it_was_read_and_the_expected_answer_only_once_released(result):
    result["questions"][4]["checks"][0].update(status="failed", score=0.0, evidence={
        "answer": "129", "answer_value": 129.0, "reference_value": 128, "rel_tol": 0.0, "abs_tol": 0.5,
        "secret_reference_table": "SECRET-42"})
    before = render_feedback(result)
    assert "Your answer, read as" in before and "<dd>129</dd>" in before and "Absolute tolerance" in before
    assert "Expected answer" not in before and "<dd>128</dd>" not in before
    assert "Expected answer</dt><dd>128</dd>" in render_feedback(result, released=True)
    assert "SECRET-42" not in render_feedback(result, released=True)       # evidence keys are shown by whitelist only
