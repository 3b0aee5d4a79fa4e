"""Notebook submissions: every cell in order, or definitions only when running everything takes too long."""
import nbformat

from graders.grade import _run
from graders.model import Call, Status, Submission
from graders.sandbox.notebook import definitions_only, named_cell


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
    assert info["slow_cell"] == {"cell": 2, "first_line": "time.sleep(600)  # 'training'"}


def test_the_slow_cell_is_the_last_one_that_started_not_the_last_one_in_the_notebook(sandbox):
    content = notebook("import time", "\n# train\nfor _ in range(10**9):\n    pass", "def f(x):\n    return x + 1",
                       "print('done')")
    run, info = _run(submission(content), [Call("f", (1,))], sandbox)
    assert info["mode"] == "definitions" and run.outcomes[0].value == 2
    assert info["slow_cell"] == {"cell": 2, "first_line": "# train"}
    assert [c["status"] for c in info["cells"]] == ["ran"] * 4


def test_a_notebook_that_finishes_in_time_names_no_slow_cell(sandbox):
    run, info = _run(submission(notebook("import time\ntime.sleep(0.5)", "def f(x):\n    return x")), [Call("f", (1,))], sandbox)
    assert info["mode"] == "full" and "slow_cell" not in info and run.slow_cell is None


def test_named_cell_reads_the_notebook_without_running_it():
    content = notebook("%matplotlib inline\n\n  x = train()  \n", "pass")
    assert named_cell(content, 1) == {"cell": 1, "first_line": "x = train()"}
    assert named_cell(content, 3) is None and named_cell(content, 0) is None and named_cell(b"{not json", 1) is None
    assert len(named_cell(notebook("y = " + "1" * 500), 1)["first_line"]) == 120
