import csv
import io
import json

from report_cases import class_results, hostile_result, rich_result

from graders.manual import ManualScore, apply_manual_scores
from graders.report import gradebook_csv, to_gradescope

TEST_KEYS = {"name", "number", "max_score", "output", "output_format", "visibility", "tags"}


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_gradebook_has_one_row_per_student_a_column_per_question_and_the_total():
    text = gradebook_csv(class_results())
    header = text.splitlines()[0].split(",")
    assert header == ["submission", "causal_kernel_attention", "random_feature_attention", "example_difficulty",
                      "gaussian_decomposition", "attention_cost", "free_text", "total", "max_score",
                      "pending_manual", "errors"]
    table = rows(text)
    assert [r["submission"] for r in table] == ["alice", "bob", "carol", "dave", "erin"]
    alice = table[0]
    assert alice["free_text"] == "" and alice["pending_manual"] == "free_text"
    assert alice["attention_cost"] == "2" and alice["total"] == "12" and alice["max_score"] == "17"
    assert [r["errors"] for r in table] == ["1", "1", "0", "2", "0"]   # a timeout each; dave also an import warning


def test_merged_manual_scores_show_up_in_the_gradebook():
    merged = apply_manual_scores(rich_result(), [ManualScore("alice", "free_text", 1.5, "clear", 2)])
    row = rows(gradebook_csv([merged]))[0]
    assert row["free_text"] == "1.5" and row["pending_manual"] == ""
    assert float(row["total"]) == rich_result()["score"] + 1.5


def test_gradebook_cells_cannot_become_spreadsheet_formulas():
    result = rich_result('=HYPERLINK("http://x","y")')
    assert rows(gradebook_csv([result]))[0]["submission"] == '\'=HYPERLINK("http://x","y")'


def test_gradescope_results_follow_the_spec_with_one_test_per_check():
    result = rich_result()
    exported = json.loads(json.dumps(to_gradescope(result)))
    assert exported["score"] == result["score"] and isinstance(exported["execution_time"], int)
    assert exported["output_format"] == "html" and exported["visibility"] == "visible"
    assert exported["stdout_visibility"] == "hidden"
    tests = [t for t in exported["tests"] if not t["name"].endswith(" (answer)")]
    assert len(tests) == sum(len(q["checks"]) for q in result["questions"])
    assert len({t["number"] for t in tests}) == len(tests) and tests[0]["number"] == "1.1"
    for test in tests:
        assert TEST_KEYS <= set(test) and test["output_format"] == "html"
        assert test["visibility"] in ("visible", "after_published")
    first = tests[0]
    assert first["name"] == "Causal kernel attention via prefix sums (eq. 6): matches eq. 6 on random inputs"
    assert first["status"] == "failed" and first["score"] == 0.0 and first["max_score"] == 2.0
    assert "causal_kernel_attention" in first["tags"] and "-4.40901" in first["output"]
    cost = tests[1]
    assert "cost-grows-too-fast" in cost["tags"] and "cost-grows-too-fast" in cost["output"]


def test_hidden_checks_are_published_later_and_never_leak_into_what_is_visible_now():
    exported = to_gradescope(rich_result())
    hidden = [t for t in exported["tests"] if t["visibility"] == "after_published"]
    assert [t["name"].split(": ")[1] for t in hidden] == ["row i ignores keys and values after i", "sigma (answer)"]
    assert "HIDDEN-FEEDBACK" in hidden[0]["output"]                  # shown by Gradescope once published
    visible_now = exported["output"] + "".join(t["output"] + " ".join(t["tags"])
                                               for t in exported["tests"] if t["visibility"] == "visible")
    assert "HIDDEN" not in visible_now and "hidden-mistake-note" not in visible_now


def test_manual_checks_have_no_status_until_scored():
    tests = {t["name"].split(": ")[1]: t for t in to_gradescope(rich_result())["tests"]}
    assert "score" not in tests["explanation"] and "status" not in tests["explanation"]
    assert "a person will grade this" in tests["explanation"]["output"]
    assert tests["a"]["score"] == 2.0 and tests["a"]["status"] == "failed"
    assert "Right idea" in tests["a"]["output"]


def test_gradescope_html_outputs_escape_student_text():
    exported = to_gradescope(hostile_result())
    shown = [exported["output"]] + [t["output"] for t in exported["tests"]] + [t["name"] for t in exported["tests"]]
    for text in shown:
        assert '<b id="injected">' not in text and "<script>window" not in text and "<img src=x" not in text
    assert "&lt;script&gt;" in exported["output"] and "&lt;script&gt;" in exported["tests"][0]["output"]


def test_gradescope_keeps_answers_for_after_publication_like_the_html_keeps_them_for_release():
    from graders.report import render_feedback
    result = rich_result()
    sigma = result["questions"][3]["checks"][0]
    sigma["evidence"]["answer_hint"] = "ANSWER-HINT: sigma^2 = sqrt(D)."
    secrets = [r"\sigma = \sqrt[4]{D}", "ANSWER-HINT"]
    exported = to_gradescope(result)
    now = exported["output"] + "".join(t["output"] for t in exported["tests"] if t["visibility"] == "visible")
    assert not any(s in now for s in secrets)
    assert not any(s in render_feedback(result) for s in secrets)
    companion = {t["name"]: t for t in exported["tests"]}[
        "Softmax as a Gaussian kernel times two factors: sigma (answer)"]
    assert companion["visibility"] == "after_published" and companion["max_score"] == 0 and "status" not in companion
    assert all(s in companion["output"] for s in secrets) and companion["number"] == "4.1.1"
    released = to_gradescope(result, released=True)
    assert not any(t["name"].endswith(" (answer)") for t in released["tests"])
    shown = "".join(t["output"] for t in released["tests"] if t["visibility"] == "visible")
    assert all(s in shown for s in secrets) and all(s in render_feedback(result, released=True) for s in secrets)
