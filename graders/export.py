"""Packaging this grader for other platforms: a Gradescope autograder zip, and Otter-Grader test files.

Both keep our trust model: the checks and the feedback are ours, and student code runs in our sandbox.

Gradescope (`autograde export gradescope ASSIGNMENT --out DIR` -> DIR/<assignment>-gradescope.zip):
- The zip holds `setup.sh` and `run_autograder` at its top, and the grader's source (graders/, reference/,
  templates/, pyproject.toml and assignments/<assignment>/; never examples/ or tests/).
- `setup.sh` (run once when Gradescope builds the image) installs bubblewrap, finds or installs a Python >= 3.11,
  makes a venv, installs the pinned torch from PyTorch's CPU wheel index (plain pip would pull the CUDA build on
  Ubuntu), then the grader itself, and runs `autograde prepare ASSIGNMENT`.
- `run_autograder` (run per submission) zips /autograder/submission into one file, so that whatever the student
  uploaded (files at the top, one folder, a code file of another name) is graded as exactly one submission, runs
  `autograde grade` on it and copies our `gradescope.json` to /autograder/results/results.json. If grading
  fails it writes no results, so Gradescope reports an autograder failure to staff instead of a made-up score.
- Both scripts take their paths from the environment, so they can be tried outside Gradescope:
  `AUTOGRADER_ROOT` (default /autograder: source/, submission/, results/ below it) and `AUTOGRADER_VENV`
  (default $AUTOGRADER_ROOT/venv). Given `AUTOGRADER_VENV`, setup.sh reuses that venv as it is (no apt-get, no
  pip) and only runs `prepare`. run_autograder runs the grader as `python -m graders.cli` with
  PYTHONPATH=$AUTOGRADER_ROOT/source, so the code graded with is the zip's own even with a reused venv.

Otter-Grader (`autograde export otter ASSIGNMENT --out DIR`): DIR/tests/<question>.py for every auto-graded
question, DIR/<assignment>.ipynb (a starter notebook whose cells call `grader.check`) and DIR/README.md.
- Otter runs an exception-based test *inside the student's kernel* and hands it the kernel's globals as `env`.
  It does not tell a test where the notebook is (there is no `__otter_notebook_path__`; otter.Notebook keeps the
  path it guessed in a private attribute), and the file on disk is whatever was last saved, not what the
  student just ran. So each test rebuilds the code file from the live kernel instead: imports (each in
  try/except ImportError, as a failing notebook cell would leave its names undefined), plain literal values
  (ANSWERS among them), and the source of every function and class defined in the notebook (inspect; IPython
  keeps cell sources in linecache). It writes that to a temporary <code_file> and runs
  `autograde check ASSIGNMENT FOLDER -q QUESTION` on it (the `autograde` on PATH, or $AUTOGRADE). The test fails
  when a public check did not pass, with autograde's own report as the message; names that could not be carried
  over (tensors, objects, functions made inside other functions) are listed in it.
- Answer questions pass while their public checks are pending (not yet judged) and fail when an answer is
  missing or unreadable. Final grades still come from `autograde grade` on the handed-in notebook, never from
  Otter, so nothing a student does to Otter in their kernel changes a grade.
"""
from __future__ import annotations

import ast
import json
import re
import shutil
import textwrap
import tomllib
import zipfile
from pathlib import Path

import nbformat

from .suite import ASSIGNMENTS_DIR, Suite, read_manifest

__all__ = ["export_gradescope", "export_otter"]

ROOT = Path(__file__).resolve().parents[1]
_SOURCES = ("graders", "reference", "templates", "pyproject.toml", "README.md")
_EXECUTABLES = ("setup.sh", "run_autograder")
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image (Ubuntu, as root).
# AUTOGRADER_ROOT (default /autograder) holds source/; AUTOGRADER_VENV (default $AUTOGRADER_ROOT/venv) gets the
# grader. Given AUTOGRADER_VENV, that venv is reused as it is (no apt-get, no pip): for trying this elsewhere.
set -euo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
source_dir="$root/source"
cd "$source_dir"
if [ -n "${AUTOGRADER_VENV:-}" ]; then
    venv="$AUTOGRADER_VENV"
    echo "setup.sh: reusing $venv"
else
    venv="$root/venv"
    python=""
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
            python="$candidate"; break
        fi
    done
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # bubblewrap: the sandbox's namespace layer (the grader falls back to its other layers where it cannot run)
    apt-get install -y -qq bubblewrap >/dev/null || echo "setup.sh: bubblewrap not installed" >&2
    if [ -z "$python" ]; then
        apt-get install -y -qq python3.11 python3.11-venv >/dev/null
        python=python3.11
    fi
    apt-get install -y -qq "$(basename "$python")-venv" >/dev/null 2>&1 || apt-get install -y -qq python3-venv >/dev/null || true
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    # torch from the CPU index: from PyPI, pip would pull the CUDA build and its GBs of libraries
    "$venv/bin/pip" install --quiet "{torch}" --index-url {torch_index}
    "$venv/bin/pip" install --quiet -e .
fi
PYTHONPATH="$source_dir" "$venv/bin/python" -m graders.cli prepare {assignment}
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission: grade it in our sandbox, hand back Gradescope's results.json.
# AUTOGRADER_ROOT (default /autograder) holds source/, submission/, results/; AUTOGRADER_VENV (default
# $AUTOGRADER_ROOT/venv) is the venv setup.sh made. The grader's code is always the one in source/.
set -euo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
venv="${AUTOGRADER_VENV:-$root/venv}"
source_dir="$root/source"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PYTHONPATH="$source_dir"
# One zip of whatever was uploaded: always one submission, however it is laid out or named.
"$venv/bin/python" -c 'import shutil, sys; shutil.make_archive(sys.argv[1], "zip", sys.argv[2])' \\
    "$work/submission" "$root/submission"
"$venv/bin/python" -m graders.cli grade {assignment} "$work/submission.zip" --out "$work/out" --jobs 1 --force
mkdir -p "$root/results"
cp "$work/out/submission/gradescope.json" "$root/results/results.json"
"""


def _torch_requirement() -> str:
    """The torch pin of pyproject.toml (e.g. torch==2.13.0), so setup.sh installs exactly what we test with."""
    try:
        dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "torch"
    return next((d.replace(" ", "") for d in dependencies if re.match(r"torch\s*([=<>!~]|$)", d)), "torch")


def _copy_sources(target: Path, assignment: str) -> None:
    for name in _SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif source.is_file():
            shutil.copy(source, target / name)
    shutil.copytree(ASSIGNMENTS_DIR / assignment, target / "assignments" / assignment,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def export_gradescope(suite: Suite, out: Path) -> Path:
    """out/<assignment>-gradescope.zip with setup.sh and run_autograder at its top."""
    out.mkdir(parents=True, exist_ok=True)
    staging = out / f"{suite.assignment}-gradescope"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    _copy_sources(staging, suite.assignment)
    setup = SETUP_SH.replace("{torch}", _torch_requirement()).replace("{torch_index}", TORCH_CPU_INDEX)
    (staging / "setup.sh").write_text(setup.replace("{assignment}", suite.assignment))
    (staging / "run_autograder").write_text(RUN_AUTOGRADER.replace("{assignment}", suite.assignment))
    archive = out / f"{suite.assignment}-gradescope.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for file in sorted(staging.rglob("*")):
            if file.is_file():
                info = zipfile.ZipInfo(file.relative_to(staging).as_posix(), date_time=(2020, 1, 1, 0, 0, 0))
                info.create_system = 3                                  # Unix, so unzip honours the modes
                info.external_attr = (0o100755 if file.name in _EXECUTABLES else 0o100644) << 16
                zipped.writestr(info, file.read_bytes(), zipfile.ZIP_DEFLATED)
    shutil.rmtree(staging)
    return archive


# ----------------------------------------------------------------------------------------------------- Otter

OTTER_TEST = r'''"""Otter-Grader test for `@QUESTION@` of @ASSIGNMENT@, written by `autograde export otter`.

Otter runs this in the student's kernel and passes the kernel's globals as `env`. The test rebuilds
@CODE_FILE@ from them (imports, plain values such as ANSWERS, and the source of every function and class
defined in the notebook), writes it to a temporary folder and runs
`autograde check @ASSIGNMENT@ FOLDER -q @QUESTION@` there: autograde's own public checks, in its sandbox.
The grade itself comes from `autograde grade`, not from this test.
"""
import ast
import builtins
import inspect
import linecache
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import types

from otter.test_files import test_case

OK_FORMAT = False
name = "@QUESTION@"
points = @POINTS@

ASSIGNMENT, QUESTION, CODE_FILE = "@ASSIGNMENT@", "@QUESTION@", "@CODE_FILE@"
_JUPYTER = ("otter", "IPython", "ipykernel", "ipywidgets", "jupyter_client", "google")
_SKIPPED = {"In", "Out", "get_ipython", "exit", "quit"}
_GOOD_MARKS = ("ok  ", "....")          # passed; pending (judged after the deadline)


def _jupyter_thing(value):
    module = getattr(value, "__name__", "") if isinstance(value, types.ModuleType) else type(value).__module__
    return (module or "").split(".")[0] in _JUPYTER


def _parsed_definition(source, key):
    """`source` dedented if it is exactly one def/class (or `key = lambda ...`) that binds `key`, else None."""
    source = textwrap.dedent(source)
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return None
    if len(body) != 1:
        return None
    node = body[0]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == key:
        return source
    if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == key and isinstance(node.value, ast.Lambda)):
        return source
    return None


def _class_source(cls):
    """A notebook class's source. inspect.getsource(cls) needs __main__.__file__, which a kernel lacks; the
    methods' code objects know the cell, and IPython keeps each cell's text in linecache."""
    for member in vars(cls).values():
        member = getattr(member, "__func__", getattr(member, "fget", member))
        code = getattr(member, "__code__", None)
        if code is None:
            continue
        lines = linecache.getlines(code.co_filename)
        try:
            tree = ast.parse("".join(lines))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.ClassDef) and node.name == cls.__name__
                    and node.lineno <= code.co_firstlineno <= node.end_lineno):
                start = min([node.lineno] + [d.lineno for d in node.decorator_list])
                return "".join(lines[start - 1:node.end_lineno])
    return None


def _source_of(value):
    try:
        return inspect.getsource(value)
    except (OSError, TypeError):
        return _class_source(value) if inspect.isclass(value) else None


def _imported_from(value, key, modules):
    """`from M import N as key` for a function or class that the notebook imported, or None."""
    own_name = getattr(value, "__name__", None)
    for module_name in [getattr(value, "__module__", None), *modules]:
        module = sys.modules.get(module_name or "")
        for attribute in dict.fromkeys([own_name, key]):
            if module is not None and attribute and getattr(module, attribute, None) is value:
                return f"from {module_name} import {attribute}" + ("" if attribute == key else f" as {key}")
    return None


def _literal(value):
    try:
        text = repr(value)
        return text if len(text) < 1_000_000 and ast.literal_eval(text) == value else None
    except Exception:                    # noqa: BLE001 - any object may have any repr
        return None


def _guarded(statement):
    return f"try:\n    {statement}\nexcept ImportError:\n    pass\n"


def rebuild(env):
    """The code file's text from a kernel's globals, and the names that could not be carried over."""
    imports, values, definitions, left_out = [], [], [], []
    modules = [v.__name__ for v in env.values() if isinstance(v, types.ModuleType)]
    for key, value in list(env.items()):
        if key.startswith("_") or key in _SKIPPED or _jupyter_thing(value):
            continue
        if isinstance(value, types.ModuleType):
            name = value.__name__
            imports.append(_guarded(f"import {name}" if name == key else f"import {name} as {key}"))
            continue
        if getattr(value, "__module__", None) == "__main__" and (inspect.isfunction(value) or inspect.isclass(value)):
            source = _source_of(value)
            source = source and _parsed_definition(source, key)
            if source:
                definitions.append(source)
            else:
                left_out.append(f"{key} (its source could not be found, or it was made inside another function)")
            continue
        literal = _literal(value)
        if literal is not None:
            values.append(f"{key} = {literal}\n")
            continue
        imported = _imported_from(value, key, modules) if hasattr(value, "__module__") else None
        if imported:
            imports.append(_guarded(imported))
        elif not hasattr(builtins, key):      # IPython's own `open` and the like: the builtin serves
            left_out.append(f"{key} (a {type(value).__name__}: only imports, plain values, functions and classes "
                            "are copied)")
    header = ('"""Rebuilt by an Otter test from the notebook\'s kernel, for `autograde check`."""\n')
    return "\n".join([header, *imports, *values, *definitions]), left_out


def _autograde():
    command = os.environ.get("AUTOGRADE") or shutil.which("autograde")
    if not command:
        raise AssertionError("`autograde` is not on this kernel's PATH: install the course's grader, or set the "
                             "AUTOGRADE environment variable to its path, then run this cell again.")
    return command


def _problems(report):
    """Lines of autograde's report that mean this question did not pass its public checks."""
    bad = []
    for line in report.splitlines():
        if line.startswith("  problem ("):
            bad.append(line)
        elif line.startswith("  [") and line[3:7] not in _GOOD_MARKS:
            bad.append(line)
    return bad


def run_check(env):
    """Runs `autograde check` on the rebuilt code file; returns (passed, message)."""
    source, left_out = rebuild(env)
    command = _autograde()
    with tempfile.TemporaryDirectory(prefix="otter-autograde-") as scratch:
        folder = os.path.join(scratch, "notebook")
        os.mkdir(folder)
        with open(os.path.join(folder, CODE_FILE), "w", encoding="utf-8") as stream:
            stream.write(source)
        try:
            done = subprocess.run([command, "check", ASSIGNMENT, folder, "-q", QUESTION], capture_output=True,
                                  text=True, timeout=900, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return False, "`autograde check` did not finish within 15 minutes."
    report = done.stdout.strip()
    note = ("\n\nNot copied from the notebook (define them inside your functions if these need them): "
            + "; ".join(left_out)) if left_out else ""
    if done.returncode != 0:
        return False, (f"`autograde check` failed (exit {done.returncode}):\n{done.stderr.strip()[-3000:]}\n"
                       f"{report[-3000:]}{note}")
    if _problems(report):
        return False, report[-6000:] + note
    return True, report


@test_case(points=@POINTS@, hidden=False,
           success_message="autograde's public checks passed (answers are judged after the deadline)")
def test_@QUESTION@(env):
    passed, message = run_check(env)
    assert passed, message
'''

INTRO = """# {title}

Write your functions in the code cell below, and your answers to the math questions in `ANSWERS`.
Each `grader.check("...")` cell runs the course's public checks on the functions and answers you have
*run* (not the saved file): the checks are `autograde check`, so it must be installed where Jupyter runs.
Hidden checks run after the deadline; your grade comes from the grader, not from these cells."""


def _starter(suite: Suite) -> str:
    """The assignment's starter.py; else stubs with the signatures of the reference's functions (annotations
    and bodies left out, so nothing of the solution shows)."""
    starter = ASSIGNMENTS_DIR / suite.assignment / "starter.py"
    if starter.is_file():
        return starter.read_text()
    functions = list(dict.fromkeys(f for q in read_manifest(suite.assignment)["questions"]
                                   for f in q.get("functions", ())))
    reference = ROOT / "reference" / suite.code_file
    tree = ast.parse(reference.read_text()) if reference.is_file() else ast.Module(body=[], type_ignores=[])
    defs = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    imports = [ast.unparse(node) for node in tree.body if isinstance(node, ast.Import)]
    stubs = []
    for name in functions:
        node = defs.get(name)
        if node is None:
            stubs.append(f"def {name}(*args, **kwargs):\n    raise NotImplementedError\n")
            continue
        arguments = node.args
        for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg,
                         arguments.kwarg]:
            if argument is not None:
                argument.annotation = None
        stubs.append(f"def {name}({ast.unparse(arguments)}):\n    raise NotImplementedError\n")
    return "\n".join(["\n".join(imports) + "\n" if imports else "", *stubs]).lstrip("\n")


def _answers_template(suite: Suite) -> dict:
    """{question: {part: None}} (or {question: None}) for every answer the suite reads."""
    template: dict = {}
    for question in suite.questions:
        for check in question.checks:
            path = check.reads_answer
            if not path:
                continue
            if len(path) == 1:
                template.setdefault(path[0], None)
                continue
            node = template.setdefault(path[0], {})
            if not isinstance(node, dict):
                continue
            for part in path[1:-1]:
                node = node.setdefault(part, {})
            node.setdefault(path[-1], None)
    return template


def _answers_cell(template: dict) -> str:
    return (r"# Your answers, as LaTeX in raw strings (r'\sqrt{D}') or as plain text ('sqrt(D)', 'O(N D)')."
            "\nANSWERS = " + json.dumps(template, indent=4).replace(": null", ": None") + "\n")


def export_otter(suite: Suite, out: Path) -> list[Path]:
    """tests/<question>.py for every auto-graded question, and a student notebook that calls grader.check."""
    tests = out / "tests"
    tests.mkdir(parents=True, exist_ok=True)
    written = []
    book = nbformat.v4.new_notebook()
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    book.metadata["language_info"] = {"name": "python"}
    book.cells.append(nbformat.v4.new_markdown_cell(INTRO.format(title=suite.title)))
    book.cells.append(nbformat.v4.new_code_cell('import otter\ngrader = otter.Notebook(tests_dir="tests")'))
    starter = _starter(suite)
    if starter.strip():
        book.cells.append(nbformat.v4.new_code_cell(starter.rstrip("\n")))
    template = _answers_template(suite)
    if template and "ANSWERS" not in starter:
        book.cells.append(nbformat.v4.new_code_cell(_answers_cell(template).rstrip("\n")))
    for question in suite.questions:
        if question.manual:
            continue
        path = tests / f"{question.id}.py"
        path.write_text(OTTER_TEST.replace("@QUESTION@", question.id).replace("@ASSIGNMENT@", suite.assignment)
                        .replace("@CODE_FILE@", suite.code_file).replace("@POINTS@", f"{question.points:g}"))
        written.append(path)
        book.cells.append(nbformat.v4.new_markdown_cell(f"### {question.title}"))
        book.cells.append(nbformat.v4.new_code_cell(f'grader.check("{question.id}")'))
    notebook = out / f"{suite.assignment}.ipynb"
    nbformat.validate(book)
    nbformat.write(book, notebook)
    (out / "README.md").write_text(textwrap.dedent(f"""\
        Otter-Grader files for `{suite.assignment}`, made by `autograde export otter`.

        Give students `{notebook.name}` and the `tests/` folder side by side. `grader.check("<question>")` runs the
        test in `tests/<question>.py`, which rebuilds `{suite.code_file}` from the functions, imports and plain
        values (such as `ANSWERS`) defined in the student's kernel and runs `autograde check` on it: the checks
        and feedback are the grader's own public checks, run in its sandbox. `autograde` must be on the PATH of
        the Jupyter kernel (or set `AUTOGRADE` to its path). Final grades come from `autograde grade` on the
        handed-in notebook, not from Otter.
        """))
    return [notebook, *written]
