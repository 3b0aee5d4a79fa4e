"""`autograde export`: the Gradescope autograder zip and the Otter-Grader files (graders/export.py).

Fast tests need no network and no otter: they look at what is written, and run the Otter tests' code-rebuilding
logic with a stand-in `otter.test_files`. The slow ones run the Gradescope scripts for real in a temporary
/autograder layout (reusing this venv), and an Otter test's `autograde check`. The one real Otter check runs
only where otter-grader is importable.
"""
from __future__ import annotations

import ast
import json
import linecache
import os
import re
import shutil
import subprocess
import sys
import types
import zipfile
from pathlib import Path

import nbformat
import pytest

from graders.export import TORCH_CPU_INDEX, export_gradescope, export_otter
from graders.suite import load_suite, read_manifest

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "examples" / "kernel_attention" / "reference"
ASSIGNMENT = "kernel_attention"
SCRIPTS = ("setup.sh", "run_autograder")
GRADESCOPE_STATUSES = {"passed", "failed"}
GRADESCOPE_VISIBILITY = {"visible", "hidden", "after_due_date", "after_published"}


@pytest.fixture(scope="module")
def suite():
    return load_suite(ASSIGNMENT)


@pytest.fixture(scope="module")
def gradescope_zip(suite, tmp_path_factory) -> Path:
    return export_gradescope(suite, tmp_path_factory.mktemp("gradescope"))


@pytest.fixture(scope="module")
def otter_dir(suite, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("otter")
    export_otter(suite, out)
    return out


# ------------------------------------------------------------------------------------------------ Gradescope

def test_gradescope_zip_has_the_scripts_at_its_top_with_exec_bits(gradescope_zip):
    with zipfile.ZipFile(gradescope_zip) as archive:
        infos = {info.filename: info for info in archive.infolist()}
    for script in SCRIPTS:
        assert script in infos, f"{script} must be at the top of the zip"
        mode = infos[script].external_attr >> 16
        assert mode & 0o111 == 0o111, f"{script} has mode {oct(mode)}, not executable"
    assert infos["graders/cli.py"].external_attr >> 16 & 0o111 == 0


def test_gradescope_zip_holds_the_grader_and_nothing_of_the_class(gradescope_zip):
    with zipfile.ZipFile(gradescope_zip) as archive:
        names = archive.namelist()
    tops = {name.split("/")[0] for name in names}
    assert {"graders", "reference", "assignments", "templates", "pyproject.toml"} <= tops
    assert not tops & {"examples", "tests", ".venv", ".git"}
    assert f"assignments/{ASSIGNMENT}/manifest.yaml" in names
    assert {name.split("/")[1] for name in names if name.startswith("assignments/")} == {ASSIGNMENT}
    assert "graders/sandbox/child.py" in names and "graders/suites/kernel_attention.py" in names
    assert f"reference/{ASSIGNMENT}.py" in names
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def test_gradescope_scripts_parse_and_take_their_root_from_the_environment(gradescope_zip):
    with zipfile.ZipFile(gradescope_zip) as archive:
        scripts = {script: archive.read(script).decode() for script in SCRIPTS}
    for script, text in scripts.items():
        assert text.startswith("#!/usr/bin/env bash\n")
        assert subprocess.run(["bash", "-n"], input=text, text=True).returncode == 0, f"{script} is not valid bash"
        assert 'root="${AUTOGRADER_ROOT:-/autograder}"' in text
        assert "/autograder/" not in text.replace("${AUTOGRADER_ROOT:-/autograder}", ""), \
            f"{script} hardcodes a path under /autograder"
    torch_pin = next(line for line in scripts["setup.sh"].splitlines() if "install" in line and "torch" in line)
    assert f"--index-url {TORCH_CPU_INDEX}" in torch_pin          # CPU wheels: no CUDA download on Gradescope
    pinned = re.search(r'"torch==([^"]+)"', torch_pin)
    assert pinned and f'"torch=={pinned.group(1)}"' in (ROOT / "pyproject.toml").read_text()
    assert f"grade {ASSIGNMENT} " in scripts["run_autograder"]
    assert "results/results.json" in scripts["run_autograder"]


def _unzip(archive: Path, target: Path) -> None:
    """As unzip does: members with their Unix modes."""
    with zipfile.ZipFile(archive) as zipped:
        for info in zipped.infolist():
            path = Path(zipped.extract(info, target))
            mode = info.external_attr >> 16 & 0o777
            if mode:
                path.chmod(mode)


def _check_gradescope_results(results: dict) -> None:
    """Gradescope's autograder results.json: what its spec requires of each field."""
    assert isinstance(results["score"], (int, float)) and not isinstance(results["score"], bool)
    assert results.get("visibility", "visible") in GRADESCOPE_VISIBILITY
    assert results.get("stdout_visibility", "hidden") in GRADESCOPE_VISIBILITY
    assert results.get("output_format", "text") in {"text", "html", "simple_format", "md", "ansi"}
    assert isinstance(results["tests"], list) and results["tests"]
    for test in results["tests"]:
        assert isinstance(test["name"], str) and test["name"]
        assert isinstance(test["max_score"], (int, float)) and test["max_score"] >= 0
        assert isinstance(test["output"], str)
        assert test.get("visibility", "visible") in GRADESCOPE_VISIBILITY
        assert test.get("output_format", "text") in {"text", "html", "simple_format", "md", "ansi"}
        if "score" in test:
            assert 0 <= test["score"] <= test["max_score"] + 1e-9
        if "status" in test:
            assert test["status"] in GRADESCOPE_STATUSES
    scored = sum(test.get("score", 0) for test in results["tests"])
    assert abs(scored - results["score"]) < 1e-6, "the tests' scores do not add up to the score"
    json.dumps(results, allow_nan=False)                            # no NaN/Infinity: Gradescope rejects them


@pytest.mark.slow
def test_run_autograder_grades_the_reference_into_gradescope_results(gradescope_zip, tmp_path):
    root = tmp_path / "autograder"
    _unzip(gradescope_zip, root / "source")
    shutil.copytree(REFERENCE, root / "submission")
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_VENV=sys.prefix)
    env.pop("PYTHONPATH", None)
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, capture_output=True, text=True,
                           cwd=tmp_path, timeout=600)
    assert setup.returncode == 0, setup.stderr[-3000:]
    run = subprocess.run([str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True,
                         cwd=tmp_path, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    _check_gradescope_results(results)
    statuses = {test.get("status") for test in results["tests"]}
    assert "failed" not in statuses, [t["name"] for t in results["tests"] if t.get("status") == "failed"]
    code_points = sum(q.points for q in load_suite(ASSIGNMENT).questions if q.kind == "code")
    assert results["score"] >= code_points                          # every code check passes on the reference


# ----------------------------------------------------------------------------------------------------- Otter

def _test_file(path: Path) -> dict:
    """The module-level facts of an Otter exception-based test file, read without importing otter."""
    tree = ast.parse(path.read_text())
    facts = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name) and \
                isinstance(node.value, ast.Constant):
            facts[node.targets[0].id] = node.value.value
        if isinstance(node, ast.FunctionDef) and node.decorator_list:
            call = node.decorator_list[0]
            assert isinstance(call, ast.Call) and call.func.id == "test_case"
            facts["test_case"] = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg != "points"}
            facts["test_args"] = [a.arg for a in node.args.args]
    return facts


def test_otter_export_writes_one_test_per_auto_graded_question(suite, otter_dir):
    expected = {q.id: q for q in suite.questions if not q.manual}
    written = {path.stem: path for path in (otter_dir / "tests").glob("*.py")}
    assert set(written) == set(expected)
    for question_id, path in written.items():
        facts = _test_file(path)
        assert facts["name"] == question_id
        assert facts["points"] == pytest.approx(expected[question_id].points)
        assert facts["OK_FORMAT"] is False
        assert facts["test_case"]["hidden"] is False
        assert facts["test_args"] == ["env"]                          # otter passes the kernel's globals as env
        assert "from otter.test_files import test_case" in path.read_text()
        assert "__otter_notebook_path__" not in path.read_text()    # otter sets no such thing


def test_otter_notebook_calls_grader_check_for_every_question(suite, otter_dir):
    book = nbformat.read(otter_dir / f"{ASSIGNMENT}.ipynb", as_version=4)
    nbformat.validate(book)
    code = [cell.source for cell in book.cells if cell.cell_type == "code"]
    assert 'otter.Notebook(tests_dir="tests")' in code[0]
    checks = [m.group(1) for source in code for m in [re.fullmatch(r'grader\.check\("(\w+)"\)', source.strip())] if m]
    assert checks == [q.id for q in suite.questions if not q.manual]
    functions = {f for q in read_manifest(ASSIGNMENT)["questions"] for f in q.get("functions", ())}
    defined = {node.name for source in code[1:] if "grader.check" not in source
               for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)}
    assert functions <= defined, "the notebook needs a cell with the functions to fill in"
    answers_cell = next(source for source in code if "ANSWERS = " in source)
    namespace: dict = {}
    exec(answers_cell, namespace)                                    # noqa: S102 - our own generated cell
    answer_questions = {q.id for q in suite.questions if any(c.reads_answer for c in q.checks)}
    assert set(namespace["ANSWERS"]) == answer_questions


@pytest.fixture()
def otter_test_module(otter_dir, monkeypatch):
    """The generated test file for softmax_attention, executed as otter would, with a stand-in otter."""
    package, test_files = types.ModuleType("otter"), types.ModuleType("otter.test_files")

    class test_case:                                                 # noqa: N801 - otter's name
        def __init__(self, **kwargs):
            self.kwargs = kwargs

        def __call__(self, function):
            self.function = function
            return self

    test_files.test_case = test_case
    package.test_files = test_files
    monkeypatch.setitem(sys.modules, "otter", package)
    monkeypatch.setitem(sys.modules, "otter.test_files", test_files)
    path = otter_dir / "tests" / "softmax_attention.py"
    namespace: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)   # noqa: S102 - our own generated file
    return namespace


def _autograde_command() -> str:
    beside = Path(sys.executable).parent / "autograde"
    command = str(beside) if beside.is_file() else shutil.which("autograde")
    if not command:
        pytest.skip("no autograde command to run")
    return command


def _kernel_namespace(source: str, cell: str = "/tmp/ipykernel_0/123456.py") -> dict:
    """Run `source` as an IPython cell would be: compiled under a cell file name whose text only linecache
    knows (no real file, no __main__.__file__)."""
    linecache.cache[cell] = (len(source), None, source.splitlines(keepends=True), cell)
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    exec(compile(source, cell, "exec"), namespace)                   # noqa: S102 - test code
    return namespace


def test_otter_test_rebuilds_the_code_file_from_the_kernel(otter_test_module):
    student = (REFERENCE / "kernel_attention.py").read_text() + '''

class Scaler:
    """a helper class: its source comes from linecache, as in a kernel"""
    def __init__(self, factor):
        self.factor = factor

double = lambda x: 2 * x
ANSWERS = {"attention_cost": r"O(N D D_{random})", "gaussian_decomposition": {"sigma_sq": r"\\sqrt{D}"}}
weights = torch.ones(3)
'''
    namespace = _kernel_namespace(student)
    namespace.update(_ih=["x"], In=["x"], Out={}, grader=types.SimpleNamespace(), open=lambda *a: None)
    source, left_out = otter_test_module["rebuild"](namespace)
    tree = ast.parse(source)
    defined = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    assert {"softmax_attention", "sample_frequencies", "random_features", "kernel_attention",
            "random_feature_attention", "Scaler"} <= defined
    rebuilt = {"__name__": "rebuilt"}
    exec(compile(source, "rebuilt.py", "exec"), rebuilt)             # noqa: S102 - the rebuilt student code
    assert rebuilt["ANSWERS"] == namespace["ANSWERS"]
    assert rebuilt["double"](4) == 8 and rebuilt["Scaler"](3).factor == 3
    import torch
    Q, K, V = (torch.randn(5, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(s)) for s in (1, 2, 3))
    assert torch.allclose(rebuilt["softmax_attention"](Q, K, V), namespace["softmax_attention"](Q, K, V))
    assert [name.split(" ")[0] for name in left_out] == ["weights", "grader"]
    assert "open" not in source and "_ih" not in source and "In =" not in source


def test_otter_test_reads_autograde_check_reports(otter_test_module):
    problems = otter_test_module["_problems"]
    passing = ("kernel_attention / notebook: 3/30 (public checks only)\n\nsoftmax_attention  3/3  Softmax\n"
               "  [ok  ] matches eq. 3 (1.25/1.25)\n  [....] an answer (-/1)\n         pending\n")
    assert problems(passing) == []
    for mark in ("FAIL", "ERR ", "TIME", "INV ", "MISS"):
        assert problems(passing + f"  [{mark}] applies the mask (0/1)\n         feedback\n")
    assert problems("kernel_attention / notebook: 0/30\n  problem (import-error):\n    SyntaxError\n")


def test_otter_test_says_when_autograde_is_missing(otter_test_module, monkeypatch):
    monkeypatch.delenv("AUTOGRADE", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(AssertionError, match="autograde"):
        otter_test_module["run_check"]({})


@pytest.mark.slow
def test_otter_test_fails_a_broken_function_with_our_feedback(otter_test_module, monkeypatch):
    monkeypatch.setenv("AUTOGRADE", _autograde_command())
    broken = (REFERENCE / "kernel_attention.py").read_text().replace("/ math.sqrt(D)", "")
    passed, message = otter_test_module["run_check"](_kernel_namespace(broken))
    assert not passed
    assert "[FAIL] matches eq. 3" in message and "1/sqrt(D)" in message
    passed, message = otter_test_module["run_check"](_kernel_namespace((REFERENCE / "kernel_attention.py").read_text()))
    assert passed, message


def test_real_otter_check_runs_our_checks_and_shows_our_feedback(otter_dir, monkeypatch):
    """One real `grader.check` through otter's API: a softmax that forgets to subtract the row maximum passes
    the plain checks and fails the large-logit one, with autograde's feedback in otter's result."""
    otter = pytest.importorskip("otter", reason="otter-grader is not installed (pip install 'autograde[otter]')")
    monkeypatch.setenv("AUTOGRADE", _autograde_command())
    monkeypatch.chdir(otter_dir)
    unstable = (REFERENCE / "kernel_attention.py").read_text().replace(
        "logits - logits.max(dim=1, keepdim=True).values", "logits")
    assert "logits.max" not in unstable
    result = otter.Notebook(tests_dir="tests").check("softmax_attention", _kernel_namespace(unstable))
    assert not result.passed_all
    report = repr(result)
    assert "[ok  ] matches eq. 3 on random inputs" in report
    assert "[FAIL] stays finite and exact for logits near 1000" in report
    assert "subtract each row's maximum" in report
