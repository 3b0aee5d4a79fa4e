"""Notebook submissions: every cell in order, or definitions only when running everything takes too long."""
import nbformat

from graders.grade import _run
from graders.model import Call, Status, Submission
from graders.sandbox.notebook import definitions_only


def notebook(*cells: str) -> bytes:
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_markdown_cell("# Homework")] + [nbformat.v4.new_code_cell(c) for c in cells]
    return nbformat.writes(book).encode()


def submission(content: bytes) -> Submission:
    return Submission("nb", "kernel_attention", {"kernel_attention.ipynb": content}, "kernel_attention.ipynb", {})


def test_definitions_only_keeps_imports_functions_classes_and_constants():
    source = "import math\nK = 30\nmodel = train()\ndef f(x):\n    return x\nclass C:\n    pass\nprint('hi')\n"
    kept = definitions_only(source)
    assert "import math" in kept and "K = 30" in kept and "def f" in kept and "class C" in kept
    assert "train()" not in kept and "print" not in kept


def test_cells_run_in_order_and_a_failing_cell_is_reported_not_fatal(sandbox):
    content = notebook("%matplotlib inline\nimport math", "def f(x):\n    return math.sqrt(x)", "1 / 0", "K = 2")
    run, info = _run(submission(content), [Call("f", (4.0,))], sandbox)
    assert run.outcomes[0].status is Status.PASSED and run.outcomes[0].value == 2.0
    assert info["mode"] == "full"
    assert [c["status"] for c in info["cells"]] == ["ran", "ran", "failed", "ran"]
    assert "ZeroDivisionError" in info["cells"][2]["error"]


def test_a_notebook_that_trains_at_top_level_is_graded_from_its_definitions(sandbox):
    content = notebook("import time\ndef f(x):\n    return 2 * x", "time.sleep(600)  # 'training'")
    run, info = _run(submission(content), [Call("f", (3,))], sandbox)
    assert info["mode"] == "definitions" and "longer than" in info["why"]
    assert run.outcomes[0].status is Status.PASSED and run.outcomes[0].value == 6
