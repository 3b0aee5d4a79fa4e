"""Packaging this grader for other platforms: a Gradescope autograder zip, and Otter-Grader test files.

Both keep our trust model. On Gradescope, `run_autograder` runs `autograde` itself, so student code still runs
in our sandbox and Gradescope receives our results converted to its format. For Otter, each question's test
file runs `autograde check` on the student's notebook in a subprocess: students get the same public checks
inside Jupyter, while the grade itself still comes from `autograde grade`.
"""
from __future__ import annotations

import json
import shutil
import textwrap
import zipfile
from pathlib import Path

import nbformat

from .suite import ASSIGNMENTS_DIR, Suite

__all__ = ["export_gradescope", "export_otter"]

ROOT = Path(__file__).resolve().parents[1]
_SOURCES = ("graders", "reference", "templates", "pyproject.toml", "README.md")

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image.
set -euo pipefail
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap python3-venv >/dev/null || true
cd /autograder/source
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --quiet --upgrade pip
/autograder/venv/bin/pip install --quiet -e .
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission: grade it in our sandbox, hand back Gradescope's results.json.
set -uo pipefail
out=$(mktemp -d)
/autograder/venv/bin/autograde grade {assignment} /autograder/submission --out "$out" --jobs 1 --force
mkdir -p /autograder/results
cp "$out"/*/gradescope.json /autograder/results/results.json
"""


def _copy_sources(target: Path, assignment: str) -> None:
    for name in _SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif source.is_file():
            shutil.copy(source, target / name)
    shutil.copytree(ASSIGNMENTS_DIR / assignment, target / "assignments" / assignment)


def export_gradescope(suite: Suite, out: Path) -> Path:
    """out/<assignment>-gradescope.zip with setup.sh and run_autograder at its top."""
    out.mkdir(parents=True, exist_ok=True)
    staging = out / f"{suite.assignment}-gradescope"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    _copy_sources(staging, suite.assignment)
    (staging / "setup.sh").write_text(SETUP_SH)
    (staging / "run_autograder").write_text(RUN_AUTOGRADER.format(assignment=suite.assignment))
    archive = out / f"{suite.assignment}-gradescope.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for file in sorted(staging.rglob("*")):
            if file.is_file():
                info = zipfile.ZipInfo(file.relative_to(staging).as_posix())
                info.external_attr = (0o755 if file.name in ("setup.sh", "run_autograder") else 0o644) << 16
                zipped.writestr(info, file.read_bytes(), zipfile.ZIP_DEFLATED)
    shutil.rmtree(staging)
    return archive


OTTER_TEST = '''"""Otter-Grader test for `{question}`: runs the public checks of `autograde check` on this notebook."""
import subprocess

from otter.test_files import test_case

OK_FORMAT = False
name = "{question}"
points = {points}


@test_case(points={points}, hidden=False)
def test_{question}(env):
    notebook = env.get("__otter_notebook_path__", "{assignment}.ipynb")
    done = subprocess.run(["autograde", "check", "{assignment}", notebook, "-q", "{question}"],
                          capture_output=True, text=True, timeout=600)
    assert "FAIL" not in done.stdout and "ERR " not in done.stdout and done.returncode == 0, done.stdout[-4000:]
'''


def export_otter(suite: Suite, out: Path) -> list[Path]:
    """tests/<question>.py for every auto-graded question, and a student notebook that calls grader.check."""
    tests = out / "tests"
    tests.mkdir(parents=True, exist_ok=True)
    written = []
    book = nbformat.v4.new_notebook()
    book.cells.append(nbformat.v4.new_code_cell('import otter\ngrader = otter.Notebook(tests_dir="tests")'))
    starter = ASSIGNMENTS_DIR / suite.assignment / "starter.py"
    if starter.is_file():
        book.cells.append(nbformat.v4.new_code_cell(starter.read_text()))
    for question in suite.questions:
        if question.manual:
            continue
        path = tests / f"{question.id}.py"
        path.write_text(OTTER_TEST.format(question=question.id, points=question.points, assignment=suite.assignment))
        written.append(path)
        book.cells.append(nbformat.v4.new_markdown_cell(f"### {question.title}"))
        book.cells.append(nbformat.v4.new_code_cell(f'grader.check("{question.id}")'))
    notebook = out / f"{suite.assignment}.ipynb"
    nbformat.write(book, notebook)
    (out / "README.md").write_text(textwrap.dedent(f"""\
        Otter-Grader files for `{suite.assignment}`, made by `autograde export otter`.
        Students run `grader.check("<question>")` in the notebook; each test runs `autograde check` on it, so the
        checks are the grader's own public checks. Final grades come from `autograde grade`, not from Otter.
        """))
    return [notebook, *written]
