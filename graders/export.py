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
question with public checks, DIR/<assignment>.ipynb (a starter notebook whose cells call `grader.check`) and
DIR/README.md. Each test file has one Otter test case per public check, with that check's points; the cases
call `graders.otter_bridge`, which rebuilds the code file from the student's kernel and reads
`autograde check --json` (see that module). Final grades still come from `autograde grade`.
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

from .otter_bridge import test_file
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

INTRO = """# {title}

Write your functions in the code cell below, and your answers to the math questions in `ANSWERS`.
Each `grader.check("...")` cell runs the course's public checks on the functions and answers you have
*run* (not the saved file): the checks are `autograde check`, so the grader (the `autograde` package) must be
installed in the Python that runs this notebook.
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
        public = [(check.name, check.points) for check in question.checks if check.visibility == "visible"]
        if not public:
            continue
        path = tests / f"{question.id}.py"
        path.write_text(test_file(suite.assignment, suite.code_file, question.id, public))
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
        values (such as `ANSWERS`) defined in the student's kernel and runs `autograde check --json` on it: one
        Otter test case per public check, with its points, so Otter's score is the public checks' score. The
        `autograde` package must be installed in the kernel's Python. Final grades come from `autograde grade`
        on the handed-in notebook, not from Otter.
        """))
    return [notebook, *written]
