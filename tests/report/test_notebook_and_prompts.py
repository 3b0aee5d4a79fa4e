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
