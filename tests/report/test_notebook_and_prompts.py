"""Issue 12, items 7 and 8: a definitions-only notebook names its slow cell; manual questions show their prompt."""
from report_cases import PAYLOAD, rich_result

from graders.report import render_feedback


def test_the_slow_cell_is_named_by_number_and_first_line_with_the_fix():
    result = rich_result()
    result["notebook"]["slow_cell"] = {"cell": 5, "first_line": "model = train(X, epochs=50)"}
    html = render_feedback(result)
    assert "The slow part: code cell 5 (the one that starts <code>model = train(X, epochs=50)</code>)." in html
    assert "move that work into a function, or under <code>if __name__ == \"__main__\":</code>" in html
    assert "ran without an error" not in html


def test_a_slow_cell_first_line_is_student_text_and_is_escaped():
    result = rich_result()
    result["notebook"]["slow_cell"] = {"cell": 2, "first_line": PAYLOAD}
    html = render_feedback(result)
    assert PAYLOAD not in html and "The slow part: code cell 2 (the one that starts <code>" in html


def test_older_results_without_a_slow_cell_or_with_a_bare_number_still_render():
    result = rich_result()
    assert "A cell does heavy work at the top level" in render_feedback(result)
    result["notebook"]["slow_cell"] = 3
    assert "The slow part: code cell 3." in render_feedback(result)


def test_every_manual_question_of_every_assignment_has_its_prompt_in_the_manifest():
    from graders.suite import assignment_ids, load_suite
    manual = [(a, q) for a in assignment_ids() for q in load_suite(a).questions if q.manual]
    assert manual, "no manual question to check"
    for assignment, question in manual:
        assert question.prompt and question.prompt.strip().endswith((")", "?", ".")), (assignment, question.id)


def test_a_manual_question_carries_its_prompt_into_results_json_and_the_report_shows_it_beside_the_answer():
    from graders.checks import manual
    from graders.model import Verdict
    from graders.report.results_json import result_to_json
    from graders.score import score_check, score_question, submission_result
    from graders.suite import load_suite
    suite = load_suite("triplet_loss")
    question = suite.question("harmonic_embeddings")
    check = manual("explanation", question.points, ["harmonic_embeddings"], "rubric for staff")
    verdict = Verdict.manual("Graded by course staff.", text="compatible embeddings", rubric="rubric for staff")
    scored = score_question(question, [score_check(check, verdict)], "Embeddings of two models that compare.")
    data = result_to_json(submission_result(suite, "alice", [scored], errors=(), elapsed_s=0.1))
    assert data["questions"][0]["prompt"] == question.prompt
    html = render_feedback(data)
    assert "The question:" in html and "What are harmonic embeddings, what problem do they solve" in html
    assert html.index("The question:") < html.index("Embeddings of two models that compare.")
    assert "rubric for staff" not in html


def test_a_results_json_from_before_prompts_renders_without_one():
    result = rich_result()
    assert all("prompt" not in q for q in result["questions"])
    assert "The question:" not in render_feedback(result)
    result["questions"][-1]["prompt"] = "Why do prefix sums make the causal scheme linear in N?"
    html = render_feedback(result)
    assert html.count("The question:") == 1 and "Why do prefix sums make the causal scheme linear in N?" in html
