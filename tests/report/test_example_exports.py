"""Every export of every bundled example class, graded for real and not released, read the way a student
reads it: no reference answer (or the missing part of one) before release, and nothing of the grading
machine (its paths, its own warnings) anywhere in a report.

The classes are graded once per session (`graded_examples`, tests/conftest.py), shared with
tests/suites/test_example_classes.py. Each test also proves it can fail: the released rendering of the same
results does contain what the unreleased one must not.
"""
from __future__ import annotations

import html
import itertools
import json
import re
import site
import sys
from pathlib import Path

import pytest
from report_cases import ROOT

from graders.report import render_feedback, to_gradescope
from graders.report.dashboard import report_folder
from graders.report.prose import GREEK
from graders.suite import ASSIGNMENTS

CLASSES = [a for a in ASSIGNMENTS if (ROOT / "examples" / a / "expected.yaml").is_file()]
SYMBOLS = {"√": "sqrt", "‖": "||", "−": "-", "≤": "<=", "≥": ">=", "→": "->", **{v: k for k, v in GREEK.items()}}


# ---- what a student sees, as plain text in the homework's notation --------------------------------------------

def readable(markup: str) -> str:
    """HTML as the words it shows, with rendered math written back in plain notation (σ<sup>2</sup> -> sigma^2).
    MathML is left out: its words run together (N^2 reads "N 2"); a reference rendered as MathML carries its
    LaTeX in `alttext`, which the search of the raw page finds."""
    text = re.sub(r"<math\b.*?</math>", " ", markup, flags=re.S)
    text = re.sub(r"<sup>(.*?)</sup>", r"^\1", text)
    text = re.sub(r"<sub>(.*?)</sub>", r"_\1", text)
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    for symbol, name in SYMBOLS.items():
        text = text.replace(symbol, name)
    return " ".join(text.split())


def visible_now(folder: Path) -> str:
    """Everything a student sees before release: feedback.html, and the Gradescope tests visible at once."""
    exported = json.loads((folder / "gradescope.json").read_text())
    shown = [exported["output"]] + [t["name"] + " " + t["output"] for t in exported["tests"]
                                     if t["visibility"] == "visible"]
    page = (folder / "feedback.html").read_text()
    return readable(page) + " " + " ".join(readable(s) for s in shown) + " " + page + " ".join(shown)


def plain(latex: str) -> str:
    """The homework's plain notation of a reference answer: \\sigma^{2} = \\sqrt{D} -> sigma^2 = sqrt(D)."""
    text = re.sub(r"\\left|\\right", "", latex)
    text = re.sub(r"_\{\\text\{(\w+)\}\}", r"_\1", text)
    text = re.sub(r"\\sqrt\{([^{}]*)\}", r"sqrt(\1)", text)
    text = re.sub(r"([_^])\{([^{}]*)\}", r"\1\2", text)
    text = re.sub(r"\\([A-Za-z]+)", r"\1", text)
    return " ".join(text.split())


def missing_terms(reference_latex: str, answer_latex: str) -> list[list[str]]:
    """The terms of a big-O reference that the student's bound lacks, each as its factors."""
    def terms(latex: str) -> set[frozenset[str]]:
        inside = re.sub(r"^O\s*\((.*)\)$", r"\1", plain(latex))
        return {frozenset(term.split()) for term in inside.split(" + ")}
    return [sorted(t) for t in terms(reference_latex) - terms(answer_latex) if len(t) > 1]


def giveaways(check: dict) -> list[str]:
    """What must not be visible before release for one check that did not pass."""
    evidence = check.get("evidence") or {}
    found = []
    if isinstance(evidence.get("answer_hint"), str):
        found.append(" ".join(evidence["answer_hint"].split()))
    reference = evidence.get("reference_latex")
    if isinstance(reference, str):
        found += [reference, html.escape(reference), plain(reference)]
        if reference.startswith("O") and isinstance(evidence.get("answer_latex"), str):
            for factors in missing_terms(reference, evidence["answer_latex"]):
                found += [" ".join(order) for order in itertools.permutations(factors)]
    if isinstance(evidence.get("reference_value"), (int, float)):
        found.append(f"Expected answer {evidence['reference_value']:.6g}")
    return found


def shows(text: str, shown: str) -> bool:
    """`text` appears as a whole (a term N D is not found inside the student's own N D^2 or N D_random)."""
    return re.search(r"(?<![\w^])" + re.escape(text) + r"(?![\w^_{])", shown) is not None


def answer_checks(results: dict) -> list[tuple[dict, dict]]:
    return [(q, c) for q in results["questions"] for c in q["checks"]
            if c["status"] != "passed" and giveaways(c)]


# ---- the tests -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("assignment", CLASSES)
def test_no_export_of_an_unreleased_class_gives_a_reference_answer_away(graded_examples, assignment):
    out, results = graded_examples(assignment)
    assert not (out / "RELEASED").exists()
    leaks, checked = [], 0
    for submission, result in results.items():
        shown = visible_now(out / report_folder(submission))
        for question, check in answer_checks(result):
            checked += 1
            leaks += [f"{submission} / {question['id']} / {check['name']}: {text!r}"
                      for text in giveaways(check) if shows(text, shown)]
    if not checked:
        pytest.skip("no failed answer check with a reference answer in this class")
    assert leaks == []


def test_the_giveaway_search_finds_the_answers_once_released(graded_examples):
    """Guards the guard: the same search, on the released reports, finds reference answers and hints."""
    _, results = graded_examples("kernel_attention")
    result = results["wrong-answer-sigma-sq-is-D"]
    released = render_feedback(result, released=True)
    exported = to_gradescope(result)
    after = " ".join(t["output"] for t in exported["tests"] if t["visibility"] == "after_published")
    everything = readable(released) + " " + released + " " + readable(after) + " " + after
    (_, sigma), = [(q, c) for q, c in answer_checks(result) if q["id"] == "gaussian_decomposition"]
    assert "sigma^2 = sqrt(D)" in giveaways(sigma)
    assert all(shows(text, everything) for text in giveaways(sigma)[:2])
    assert "sigma^2 = sqrt(D)" in readable(released) and "sigma^2 = sqrt(D)" in readable(after)
    _, results = graded_examples("kernel_attention")
    cost = [c for q, c in answer_checks(results["wrong-answer-cost-missing-term"]) if q["id"] == "attention_cost"]
    assert "N M D_random" in giveaways(cost[0])


def grader_traces() -> list[str]:
    """Paths of the grading machine and warnings of the grader's own environment."""
    return [str(ROOT), sys.prefix, *site.getsitepackages(), "UserWarning", "joblib will operate in serial mode"]


@pytest.mark.parametrize("assignment", CLASSES)
def test_no_report_of_an_example_class_shows_the_graders_paths_or_warnings(graded_examples, assignment):
    out, results = graded_examples(assignment)
    reports = [out / "index.html", out / "gradebook.csv"]
    for submission in results:
        reports += [out / report_folder(submission) / name for name in ("feedback.html", "gradescope.json")]
    traces = grader_traces() + [str(out)]
    found = [f"{path.relative_to(out)}: {trace!r}" for path in reports for trace in traces
             if trace in path.read_text(encoding="utf-8")]
    assert found == []
