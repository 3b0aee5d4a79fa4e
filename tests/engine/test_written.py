"""Written solutions (issue 11): code blocks assembled, final answers found per part with their source line,
missing answers with a hint, conflicting ones for a person, answers.yaml overriding per part."""
from __future__ import annotations

import zipfile

import pytest

from graders.load import is_single_submission, load_submission
from graders.model import Status, Verdict
from graders.suite import read_manifest
from graders.written import attach_source, read_written

KA = read_manifest("kernel_attention")

DOC = r"""# Problem 1

## (a) Gaussian decomposition

We need $\frac{1}{\sigma^2} = \frac{1}{\sqrt{D}}$, and on the way $\sigma^2 = D$ is wrong.
So $\sigma^2 = \sqrt{D}$.

**Query factor:** $\exp\left(\frac{\|q_i\|^2}{2\sigma^2}\right)$

## Code

```python
import torch

def softmax_attention(Q, K, V, causal=False):
    return None
```

```python
def softmax_attention(Q, K, V, causal=False):
    return torch.softmax(Q @ K.T / Q.shape[1] ** 0.5, dim=1) @ V

Q = torch.randn(3, 2)
out = softmax_attention(Q, Q, Q)
print(out)
```

```python
def broken(:
```

## (e) Cost

Features cost $O(N D D_r)$ and the sums $O(N D_r M)$; in total $O(N D_r (D + M))$.
"""


def test_the_last_equation_with_the_parts_left_side_is_the_answer_and_its_line_is_kept():
    written = read_written(DOC, KA)
    assert written.answers["gaussian_decomposition"]["sigma_sq"] == r"\sigma^2 = \sqrt{D}"
    source = written.sources["gaussian_decomposition.sigma_sq"]
    assert source["line"] == 6 and source["text"] == r"So $\sigma^2 = \sqrt{D}$." and source["how"] == "last equation"
    assert written.sources["gaussian_decomposition.query_factor"]["how"] == "labelled line"
    assert written.answers["attention_cost"] == "O(N D_r (D + M))"


def test_code_blocks_keep_definitions_later_ones_win_and_usage_is_left_out():
    written = read_written(DOC, KA)
    assert written.code.index("return None") < written.code.index("torch.softmax")
    assert "Q = torch.randn(3, 2)" in written.code                 # an assignment of what is defined stays
    assert "out = " not in written.code and "print" not in written.code
    assert any("not valid Python" in p and "line 29" in p for p in written.problems)


def test_a_part_that_is_not_found_is_missing_with_a_hint():
    written = read_written(DOC, KA)
    record = written.sources["gaussian_decomposition.key_factor"]
    assert record["how"] == "missing" and "heading" in record["hint"] and "\\boxed" in record["hint"]
    verdict = attach_source(("gaussian_decomposition", "key_factor"), Verdict(Status.MISSING, 0.0, "No answer."),
                            written.sources)
    assert verdict.status is Status.MISSING and "Not found in the written solution" in verdict.feedback
    assert written.sources["causal_cost"]["how"] == "missing"


def test_two_different_boxed_answers_are_for_a_person_never_a_guess():
    doc = DOC.replace("So $\\sigma^2 = \\sqrt{D}$.", "$\\boxed{\\sigma^2 = \\sqrt{D}}$ or maybe $\\boxed{\\sigma^2 = D}$")
    written = read_written(doc, KA)
    assert "sigma_sq" not in written.answers["gaussian_decomposition"]
    record = written.sources["gaussian_decomposition.sigma_sq"]
    assert record["how"] == "conflict" and len(record["candidates"]) == 2
    verdict = attach_source(("gaussian_decomposition", "sigma_sq"), Verdict(Status.MISSING, 0.0, ""), written.sources)
    assert verdict.status is Status.MANUAL and verdict.note == "conflicting-answers"
    assert verdict.evidence["source"]["candidates"][0]["line"] == 6


def test_the_same_boxed_answer_twice_is_no_conflict():
    doc = DOC.replace("So $\\sigma^2 = \\sqrt{D}$.", "$\\boxed{\\sigma^2 = \\sqrt{D}}$, again: $\\boxed{\\sigma^2 = \\sqrt{D}}$.")
    assert read_written(doc, KA).sources["gaussian_decomposition.sigma_sq"]["how"] == "boxed"


def test_a_folder_with_a_written_solution_is_one_submission_and_answers_yaml_overrides_per_part(tmp_path):
    (tmp_path / "solution.md").write_text(DOC)
    (tmp_path / "answers.yaml").write_text("gaussian_decomposition:\n  key_factor: 'exp(k_sq/(2 sigma^2))'\n"
                                           "attention_cost: 'O(N^2)'\n")
    assert is_single_submission(tmp_path, "kernel_attention")
    submission = load_submission(tmp_path, "kernel_attention")
    assert submission.code_file == "kernel_attention.py"
    assert b"torch.softmax" in submission.files["kernel_attention.py"]
    assert submission.answers["gaussian_decomposition"] == {
        "sigma_sq": r"\sigma^2 = \sqrt{D}", "query_factor": r"\exp\left(\frac{\|q_i\|^2}{2\sigma^2}\right)",
        "key_factor": "exp(k_sq/(2 sigma^2))"}
    assert submission.answers["attention_cost"] == "O(N^2)"
    assert submission.written["gaussian_decomposition.key_factor"] == {"how": "answers.yaml"}
    assert submission.written["gaussian_decomposition.sigma_sq"]["line"] == 6


def test_a_written_solution_in_a_zip_and_as_a_lone_tex_file(tmp_path):
    archive = tmp_path / "alice.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("alice/solution.md", DOC)
    submission = load_submission(archive, "kernel_attention")
    assert submission.answers["attention_cost"] == "O(N D_r (D + M))"
    tex = tmp_path / "bob.tex"
    tex.write_text("\\section{(e) Cost}\nIn total\n\\[ \\mathcal{O}(N D_r (D + M)) \\]\n"
                   "\\begin{lstlisting}[language=Python]\ndef kernel_attention(Q, K, V, feature_map, causal=False):\n"
                   "    return V\n\\end{lstlisting}\n")
    submission = load_submission(tex, "kernel_attention")
    assert submission.id == "bob" and submission.answers["attention_cost"] == r"\mathcal{O}(N D_r (D + M))"
    assert submission.written["attention_cost"]["line"] == 3
    assert b"def kernel_attention" in submission.files["kernel_attention.py"]


def test_a_code_file_beside_the_document_wins_over_its_code_blocks(tmp_path):
    (tmp_path / "solution.md").write_text(DOC)
    (tmp_path / "kernel_attention.py").write_text("def softmax_attention(Q, K, V, causal=False):\n    return 1\n")
    submission = load_submission(tmp_path, "kernel_attention")
    assert submission.files["kernel_attention.py"].endswith(b"return 1\n")
    assert submission.answers["attention_cost"] == "O(N D_r (D + M))"


def test_sources_land_in_the_evidence_of_answer_checks():
    written = read_written(DOC, KA)
    verdict = attach_source(("attention_cost",), Verdict.passed(), written.sources)
    assert verdict.evidence["source"]["line"] == 34
    assert "in total" in verdict.evidence["source"]["text"]
    untouched = attach_source(("attention_cost",), Verdict.passed(), {})
    assert "source" not in untouched.evidence


def test_the_feedback_view_lists_where_each_answer_was_found():
    from graders.report.views import check_view
    one = {"name": "sigma^2", "status": "passed", "score": 1.5, "max_score": 1.5, "visibility": "visible",
           "feedback": "", "evidence": {"source": {"how": "boxed", "line": 29, "text": r"$\boxed{\sigma^2 = \sqrt{D}}$"}}}
    assert check_view(one, released=False)["sources"] == [
        {"part": "", "line": 29, "how": "boxed", "text": r"$\boxed{\sigma^2 = \sqrt{D}}$"}]
    parts = dict(one, evidence={"sources": {"nn1_params": {"how": "table cell", "line": 7, "text": "| NN1 | 140M |"},
                                            "nn1_flops": {"how": "answers.yaml"}}})
    assert [s["part"] for s in check_view(parts, released=False)["sources"]] == ["nn1_flops", "nn1_params"]
    assert check_view(dict(one, evidence={}), released=False)["sources"] == []


@pytest.mark.slow
def test_autograde_grade_takes_a_markdown_file_and_reports_each_answers_line(tmp_path):
    """`autograde grade ASSIGNMENT solution.md --json`, as a user runs it (answers only: code questions miss)."""
    import json
    import subprocess
    import sys
    from pathlib import Path
    solution = tmp_path / "solution.md"
    solution.write_text(DOC)
    done = subprocess.run([sys.executable, "-m", "graders.cli", "grade", "kernel_attention", str(solution), "--json"],
                          capture_output=True, text=True, timeout=600, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(done.stdout)
    checks = {c["name"]: c for q in results["questions"] for c in q["checks"] if q["id"] == "attention_cost"}
    (cost,) = checks.values()
    assert cost["status"] == "passed" and cost["evidence"]["source"]["line"] == 34
    sigma = next(c for q in results["questions"] if q["id"] == "gaussian_decomposition" for c in q["checks"])
    assert sigma["status"] == "passed" and sigma["evidence"]["source"]["text"] == r"So $\sigma^2 = \sqrt{D}$."


def test_headings_and_labels_may_use_the_question_and_part_ids_or_titles():
    doc = ("# My answers\n\n## 1. gaussian_decomposition\n\nsigma_sq: $\\sqrt{D}$\n\n"
           "query_factor = $\\exp(\\|q\\|^2/(2\\sigma^2))$\n\n## 6. attention_cost\n\n$O(N D_r (D + M))$\n\n"
           "## 8. Cost of the causal scheme\n\n$O(N c_\\phi + N L M)$\n")
    written = read_written(doc, KA)
    assert written.answers == {"gaussian_decomposition": {"sigma_sq": r"\sqrt{D}",
                                                          "query_factor": r"\exp(\|q\|^2/(2\sigma^2))"},
                               "attention_cost": "O(N D_r (D + M))", "causal_cost": r"O(N c_\phi + N L M)"}
    assert written.sources["gaussian_decomposition.sigma_sq"]["line"] == 5
