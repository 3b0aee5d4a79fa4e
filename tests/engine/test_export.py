"""`autograde export`: the Gradescope autograder zip and the Otter-Grader files (graders/export.py).

Fast tests need no network: they look at what is written, load the Otter test files with Otter itself, and run
a real Otter round trip through its API (reference and flawed submissions; Otter's score must equal the public
checks' score of `autograde grade`). The slow ones run the Gradescope scripts for real in a temporary
/autograder layout (reusing this venv), and `otter generate` + `otter run` on notebooks.
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

from graders import otter_bridge
from graders.export import TORCH_CPU_INDEX, export_gradescope, export_otter
from graders.otter_bridge import rebuild
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

def _public_checks(question) -> list[tuple[str, float]]:
    return [(c.name, c.points) for c in question.checks if c.visibility == "visible"]


def test_otter_export_writes_one_case_per_public_check_with_its_points(suite, otter_dir):
    from otter.test_files import ExceptionTestFile
    expected = {q.id: _public_checks(q) for q in suite.questions if not q.manual and _public_checks(q)}
    written = {path.stem: path for path in (otter_dir / "tests").glob("*.py")}
    assert set(written) == set(expected)
    for question_id, path in written.items():
        loaded = ExceptionTestFile.from_file(str(path))               # Otter's own loader
        assert loaded.name == question_id and not loaded.all_or_nothing
        assert [(case.name, case.points) for case in loaded.test_cases] == expected[question_id]
        assert not any(case.hidden for case in loaded.test_cases)
        assert "graders.otter_bridge" in path.read_text() and "@" + "QUESTION" not in path.read_text()


def test_otter_notebook_calls_grader_check_for_every_question(suite, otter_dir):
    book = nbformat.read(otter_dir / f"{ASSIGNMENT}.ipynb", as_version=4)
    nbformat.validate(book)
    code = [cell.source for cell in book.cells if cell.cell_type == "code"]
    assert 'otter.Notebook(tests_dir="tests")' in code[0]
    checks = [m.group(1) for source in code for m in [re.fullmatch(r'grader\.check\("(\w+)"\)', source.strip())] if m]
    assert checks == [q.id for q in suite.questions if not q.manual and _public_checks(q)]
    functions = {f for q in read_manifest(ASSIGNMENT)["questions"] for f in q.get("functions", ())}
    defined = {node.name for source in code[1:] if "grader.check" not in source
               for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)}
    assert functions <= defined, "the notebook needs a cell with the functions to fill in"
    answers_cell = next(source for source in code if "ANSWERS = " in source)
    namespace: dict = {}
    exec(answers_cell, namespace)                                    # noqa: S102 - our own generated cell
    answer_questions = {q.id for q in suite.questions if any(c.reads_answer for c in q.checks)}
    assert set(namespace["ANSWERS"]) == answer_questions


def _kernel_namespace(source: str, cell: str = "/tmp/ipykernel_0/123456.py") -> dict:
    """Run `source` as an IPython cell would be: compiled under a cell file name whose text only linecache
    knows (no real file, no __main__.__file__)."""
    linecache.cache[cell] = (len(source), None, source.splitlines(keepends=True), cell)
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    exec(compile(source, cell, "exec"), namespace)                   # noqa: S102 - test code
    return namespace


def test_otter_bridge_rebuilds_the_code_file_from_the_kernel():
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
    source, left_out = rebuild(namespace)
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


def _check_result(status: str, feedback: str = "", errors=()) -> dict:
    check = {"name": "applies the mask", "status": status, "score": 1.0 if status == "passed" else 0.0,
             "max_score": 1.0, "feedback": feedback}
    return {"questions": [{"id": "softmax_attention", "checks": [check]}], "errors": list(errors)}


@pytest.mark.parametrize("status", ["failed", "error", "timeout", "invalid", "missing", "manual"])
def test_otter_case_passes_only_when_autograde_says_passed(monkeypatch, status):
    monkeypatch.setattr(otter_bridge, "public_result", lambda env, a, f: (_check_result("passed"), []))
    otter_bridge.require_passed({}, ASSIGNMENT, "kernel_attention.py", "softmax_attention", "applies the mask")
    problem = [{"kind": "import-crash", "message": "SyntaxError: invalid syntax"}]
    monkeypatch.setattr(otter_bridge, "public_result",
                        lambda env, a, f: (_check_result(status, "row 3 sees key 5", problem), ["weights (a Tensor)"]))
    with pytest.raises(AssertionError) as failure:
        otter_bridge.require_passed({}, ASSIGNMENT, "kernel_attention.py", "softmax_attention", "applies the mask")
    message = str(failure.value)
    assert f"applies the mask: {status}" in message and "SyntaxError" in message and "weights" in message
    assert ("row 3 sees key 5" in message) and (status != "manual" or "staff" in message)


def _submission_namespace(folder: Path) -> dict:
    """A student's kernel after running their code and an ANSWERS cell made from their answers.yaml."""
    import yaml
    source = (folder / "kernel_attention.py").read_text()
    answers = folder / "answers.yaml"
    if answers.is_file():
        source += f"\nANSWERS = {yaml.safe_load(answers.read_text())!r}\n"
    return _kernel_namespace(source, cell=f"/tmp/ipykernel_0/{folder.name}.py")


def _public_score(folder: Path) -> tuple[float, dict[str, float]]:
    """`autograde grade --json`, summed over the public checks: the total and per question."""
    done = subprocess.run([sys.executable, "-m", "graders.cli", "grade", ASSIGNMENT, str(folder), "--json"],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    per_question = {q["id"]: sum(c["score"] or 0 for c in q["checks"] if c["visibility"] == "visible")
                    for q in result["questions"]}
    return sum(per_question.values()), per_question


def _otter_scores(otter_dir: Path, folder: Path) -> dict[str, float]:
    """Otter's own API, as a student's `grader.check("...")` cells call it, on a kernel running `folder`."""
    import otter
    namespace = _submission_namespace(folder)
    grader = otter.Notebook(tests_dir=str(otter_dir / "tests"))
    return {path.stem: grader.check(path.stem, namespace).score for path in sorted((otter_dir / "tests").glob("*.py"))}


def test_real_otter_scores_a_flawed_submission_as_autograde_grade_does(otter_dir, monkeypatch):
    """One real Otter round trip in the default run: a softmax that forgets to subtract the row maximum. Each
    question's Otter score equals `autograde grade`'s score of its public checks, and Otter shows our feedback."""
    import otter
    monkeypatch.chdir(otter_dir)
    folder = ROOT / "examples" / ASSIGNMENT / "wrong-softmax-no-max-subtraction"
    scores = _otter_scores(otter_dir, folder)
    total, expected = _public_score(folder)
    assert scores == pytest.approx({q: expected[q] for q in scores})
    assert sum(scores.values()) == pytest.approx(total) and total < load_suite(ASSIGNMENT).max_score
    result = otter.Notebook(tests_dir="tests").check("softmax_attention", _submission_namespace(folder))
    assert not result.passed_all and "stays finite and exact for logits near 1000" in repr(result)
    assert "subtract each row's maximum" in repr(result)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["reference", "wrong-forgot-normaliser", "wrong-answer-sigma-sq-is-D"])
def test_real_otter_scores_agree_with_autograde_grade(otter_dir, monkeypatch, name):
    monkeypatch.chdir(otter_dir)
    folder = ROOT / "examples" / ASSIGNMENT / name
    scores = _otter_scores(otter_dir, folder)
    total, expected = _public_score(folder)
    assert scores == pytest.approx({q: expected[q] for q in scores})
    assert (total == pytest.approx(load_suite(ASSIGNMENT).max_score)) == (name == "reference")


def _submission_notebook(otter_dir: Path, folder: Path, target: Path) -> Path:
    """The exported student notebook, filled in with a submission's code and its answers as ANSWERS."""
    import yaml
    book = nbformat.read(otter_dir / f"{ASSIGNMENT}.ipynb", as_version=4)
    answers = yaml.safe_load((folder / "answers.yaml").read_text())
    for cell in book.cells:
        if cell.cell_type == "code" and "def " in cell.source:
            cell.source = (folder / "kernel_attention.py").read_text()
        elif cell.cell_type == "code" and "ANSWERS = " in cell.source:
            cell.source = f"ANSWERS = {answers!r}"
    nbformat.write(book, target)
    return target


@pytest.mark.slow
def test_otter_generate_and_otter_run_score_notebooks_as_autograde_grade_does(otter_dir, tmp_path):
    """The whole round trip as staff would run it: `otter generate` on the exported tests, then `otter run`
    (its no-Docker grading: a fresh Jupyter kernel per notebook) on filled-in notebooks."""
    otter_bin = Path(sys.executable).parent / "otter"
    env = dict(os.environ, PATH=f"{otter_bin.parent}{os.pathsep}{os.environ['PATH']}")
    zipped = tmp_path / "autograder.zip"
    generate = subprocess.run([str(otter_bin), "generate", "--no-requirements", "--no-environment", "-t",
                               str(otter_dir / "tests"), "-o", str(zipped)], capture_output=True, text=True,
                              cwd=otter_dir, env=env, timeout=600)
    assert generate.returncode == 0, generate.stderr[-3000:]
    for name in ("reference", "wrong-softmax-no-sqrt-d"):
        folder = ROOT / "examples" / ASSIGNMENT / name
        run_dir = tmp_path / name
        run_dir.mkdir()
        notebook = _submission_notebook(otter_dir, folder, run_dir / f"{ASSIGNMENT}.ipynb")
        run = subprocess.run([str(otter_bin), "run", "-a", str(zipped), "-o", str(run_dir), str(notebook)],
                             capture_output=True, text=True, cwd=run_dir, env=env, timeout=900)
        assert run.returncode == 0, run.stderr[-3000:]
        tests = json.loads((run_dir / "results.json").read_text())["tests"]
        otter_scores = {t["name"]: t["score"] for t in tests if t["name"] != "Public Tests"}
        _, expected = _public_score(folder)
        assert otter_scores == pytest.approx({q: expected[q] for q in otter_scores}), name
