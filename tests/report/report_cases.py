"""Hand-made results.json dicts (one of everything a report shows) and hostile student text, for the report tests."""
from __future__ import annotations

import copy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "kernel_attention"
HOSTILE_ID = "<img src=x onerror=alert(1) id=injected-id>"
PAYLOAD = '<script>window.__pwned = 1; alert(1)</script><img src=x onerror="window.__pwned = 2"><b id="injected">x</b>'

COST = {"sizes": [256, 512, 1024, 2048],
        "series": {"elements": [83200.0, 297472.0, 1119232.0, 4335616.0],
                   "flops": [1572864.0, 6291456.0, 25165824.0, 100663296.0],
                   "numpy_peak_bytes": [62574.0, 98302.0, 180027.0, 343970.0], "seconds": [0.03, 0.04, 0.17, 0.51]},
        "exponents": {"elements": 1.95, "flops": 2.0}, "expected_exponent": 1}
CONVERGENCE = {"d_random": [16, 64, 256, 1024, 4096], "error": [1.73, 1.65, 1.63, 1.66, 1.65], "slope": -0.007}
DEPTHS = {"depth_histogram": [0, 3, 10, 25, 12], "reference_depth_histogram": [2, 14, 20, 10, 4]}


def check(name, status, score, max_score, *, visibility="visible", feedback="", note=None, evidence=None, **extra):
    return {"name": name, "status": status, "score": score, "max_score": max_score, "visibility": visibility,
            "feedback": feedback, "note": note, "evidence": evidence or {}, **extra}


def question(qid, title, kind, checks, *, answer=None):
    scores = [c["score"] for c in checks]
    score = None if any(s is None for s in scores) else sum(scores)
    return {"id": qid, "title": title, "kind": kind, "score": score, "max_score": sum(c["max_score"] for c in checks),
            "manual": False, "checks": checks, "answer": answer}


def rich_result(submission: str = "alice") -> dict:
    """One of everything a report shows: comparisons, cost, convergence, depths, math, hidden, manual, notebook."""
    questions = [
        question("causal_kernel_attention", "Causal kernel attention via prefix sums (eq. 6)", "code", [
            check("matches eq. 6 on random inputs", "failed", 0.0, 2.0,
                  feedback="36 of 36 entries of the result differ; the worst at index (1, 0) is -4.40901 where "
                           "-0.285821 was expected (abs. error 4.12).",
                  evidence={"call": "kernel_attention(array (12, 4), array (12, 4), array (12, 3), causal=True)",
                            "index": [1, 0], "mismatches": 36, "max_abs_error": 4.123, "got": -4.40901,
                            "expected": -0.285821}),
            check("cost grows linearly in N", "failed", 0.0, 2.0, feedback="grows like N^2.0",
                  note="cost-grows-too-fast", evidence=COST),
            check("row i ignores keys and values after i", "failed", 0.0, 1.0, visibility="hidden",
                  feedback="HIDDEN-FEEDBACK changing rows 7.. changed row 3", note="hidden-mistake-note",
                  evidence={"call": "HIDDEN-CALL(array (16, 4))", "max_abs_error": 0.5}),
        ]),
        question("random_feature_attention", "Softmax attention from random features", "code", [
            check("approaches softmax attention as D_random grows", "failed", 0.0, 1.5, note="does-not-converge",
                  feedback="the mean error goes 1.73 -> 1.65 as D_random grows", evidence=CONVERGENCE),
            check("runs within the time limit", "timeout", 0.0, 0.5, feedback="Stopped after 10 s."),
        ]),
        question("example_difficulty", "Example difficulty", "code", [
            check("prediction depths look like the reference's", "failed", 0.25, 1.0,
                  feedback="Your depths peak later.", evidence=DEPTHS),
        ]),
        question("gaussian_decomposition", "Softmax as a Gaussian kernel times two factors", "symbolic", [
            check("sigma", "failed", 0.0, 1.5, feedback="The exponent of your expression is 2 times the expected one.",
                  note="exponent-factor", evidence={"answer_latex": r"\sigma^{2} = D",
                                                    "reference_latex": r"\sigma = \sqrt[4]{D}"}),
            check("q", "passed", 1.25, 1.25, evidence={"answer_latex": r"e^{\frac{{\|q\|^2}}{2 \sigma^{2}}}",
                                                        "reference_latex": r"e^{\frac{{\|q\|^2}}{2 \sqrt{D}}}"}),
            check("k", "invalid", 0.0, 1.25, feedback="This '{' is never closed.\n\\exp(\\frac{1}{\n             ^",
                  evidence={"answer": r"\exp(\frac{1}{"}),
        ], answer={"sigma_sq": "D", "query_factor": r"\exp\left(\frac{\|q\|^2}{2\sigma^2}\right)",
                   "key_factor": r"\exp(\frac{1}{"}),
        question("attention_cost", "Cost of random-feature attention", "big-O", [
            check("a", "manual", 2.0, 3.0, feedback="The checker could not decide.", note="undecided",
                  manual_comment="Right idea; the D_random M term is missing.",
                  evidence={"answer_latex": r"O\left(N D D_{\text{random}}\right)"}),
        ], answer="O(N D D_random)"),
        question("free_text", "Why prefix sums", "text", [check("explanation", "manual", None, 2.0, feedback="")]),
    ]
    total = sum(q["score"] or 0.0 for q in questions)
    return {"schema": 1, "assignment": "kernel_attention", "submission": submission, "score": total,
            "max_score": sum(q["max_score"] for q in questions), "questions": questions,
            "errors": [{"kind": "import-warning", "message": "Traceback (most recent call last):\n  File \"cell-3\"\n"
                        "ValueError: boom"}],
            "elapsed_s": 1.42, "student_s": 0.46, "stdout": "epoch 1 loss 0.5\n" * 3, "stderr": "",
            "sandbox_layers": ["rlimits", "uid-drop"],
            "notebook": {"mode": "definitions", "why": "running every cell took longer than 3 s",
                         "cells": [{"cell": 1, "status": "ran"}, {"cell": 2, "status": "failed",
                                                                  "error": "NameError: name 'model' is not defined"}]}}


def hostile_result(submission: str = PAYLOAD) -> dict:
    """Student-controlled text carrying markup everywhere it can reach a report."""
    result = rich_result(submission)
    result["stdout"] = PAYLOAD + "\n"
    result["stderr"] = PAYLOAD
    result["errors"] = [{"kind": "import-crash", "message": PAYLOAD}]
    result["notebook"]["cells"][1]["error"] = "ValueError: " + PAYLOAD
    first = result["questions"][0]
    first["checks"][0]["feedback"] = "On " + PAYLOAD
    first["checks"][0]["evidence"]["call"] = PAYLOAD
    first["checks"][1]["note"] = PAYLOAD
    math = result["questions"][3]
    math["answer"] = {"sigma_sq": PAYLOAD, "query_factor": r"\frac{" + PAYLOAD + "}{2}"}
    math["checks"][0]["evidence"]["answer_latex"] = r"\text{" + PAYLOAD.replace("\\", "") + "}"
    result["questions"][4]["checks"][0]["manual_comment"] = PAYLOAD
    return result


def class_results() -> list[dict]:
    """Five submissions with different scores, mistakes and problems."""
    results = []
    for index, name in enumerate(["alice", "bob", "carol", "dave", "erin"]):
        r = rich_result(name)
        r["score"] = [12.0, 3.5, 9.25, 7.0, 1.0][index]
        r["elapsed_s"] = [0.8, 2.5, 1.1, 12.0, 0.4][index]
        if name != "dave":
            r["errors"] = []
        if name in ("carol", "erin"):
            for q in r["questions"]:
                for c in q["checks"]:
                    if c["status"] in ("failed", "timeout"):
                        c.update(status="passed", score=c["max_score"], note=None)
                if q["score"] is not None:
                    q["score"] = sum(c["score"] for c in q["checks"])
        results.append(copy.deepcopy(r))
    return results


def write_hostile_notebook(folder: Path) -> None:
    """A notebook that prints markup, fails a cell with markup in its message, and answers with markup."""
    import nbformat
    folder.mkdir(parents=True)
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell('print("<script>alert(1)</script><b id=\\"injected-out\\">x</b>")'),
                  nbformat.v4.new_code_cell((EXAMPLES / "reference" / "kernel_attention.py").read_text()),
                  nbformat.v4.new_code_cell(
                      'raise ValueError("<img src=x onerror=alert(2)><b id=\\"injected-cell\\">c</b>")')]
    (folder / "kernel_attention.ipynb").write_text(nbformat.writes(book))
    (folder / "answers.yaml").write_text(
        "attention_cost: '<b id=\"injected-answer\">O(N)</b> \\\\frac{<script>alert(3)</script>}{2}'\n")
