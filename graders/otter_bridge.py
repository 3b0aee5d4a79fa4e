"""Otter-Grader's side of `autograde export otter`: what its test files call from inside the student's kernel.

Otter runs an exception-based test *inside the student's kernel* and hands it the kernel's globals as `env`;
it does not tell a test where the notebook is, and the file on disk is whatever was last saved, not what the
student just ran. So `rebuild` writes the code file from the live kernel: imports (each in try/except
ImportError, as a failing cell leaves its names undefined), plain literal values (ANSWERS among them), and the
source of every function and class defined in the notebook (IPython keeps cell sources in linecache).

`public_result` runs `autograde check ASSIGNMENT FOLDER --json` on that file: our public checks, in our
sandbox, as plain JSON (never the terminal rendering). One run serves every test case while the kernel's
code is unchanged. Each exported test case is one public check with that check's points, and
`require_passed` passes it exactly when autograde's status is `passed`, so Otter's score is the sum of the
public checks autograde passed. Final grades still come from `autograde grade` on the handed-in notebook:
nothing a student does to Otter in their kernel changes a grade.

This module is imported in the student's kernel: standard library only.
"""
from __future__ import annotations

import ast
import builtins
import hashlib
import inspect
import json
import linecache
import os
import subprocess
import sys
import tempfile
import textwrap
import types
from pathlib import Path

__all__ = ["rebuild", "public_result", "require_passed", "test_file"]

CHECK_TIMEOUT_S = 900
_JUPYTER = ("otter", "IPython", "ipykernel", "ipywidgets", "jupyter_client", "google", "graders")
_SKIPPED = {"In", "Out", "get_ipython", "exit", "quit"}
_LAST: dict[tuple[str, str], dict | str] = {}    # (assignment, hash of the rebuilt file) -> result or why not


# ------------------------------------------------------------------------------------- the kernel -> a code file
def _jupyter_thing(value) -> bool:
    module = getattr(value, "__name__", "") if isinstance(value, types.ModuleType) else type(value).__module__
    return (module or "").split(".")[0] in _JUPYTER


def _parsed_definition(source: str, key: str) -> str | None:
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


def _class_source(cls) -> str | None:
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


def _source_of(value) -> str | None:
    try:
        return inspect.getsource(value)
    except (OSError, TypeError):
        return _class_source(value) if inspect.isclass(value) else None


def _imported_from(value, key: str, modules: list[str]) -> str | None:
    """`from M import N as key` for a function or class that the notebook imported, or None."""
    own_name = getattr(value, "__name__", None)
    for module_name in [getattr(value, "__module__", None), *modules]:
        module = sys.modules.get(module_name or "")
        for attribute in dict.fromkeys([own_name, key]):
            if module is not None and attribute and getattr(module, attribute, None) is value:
                return f"from {module_name} import {attribute}" + ("" if attribute == key else f" as {key}")
    return None


def _literal(value) -> str | None:
    try:
        text = repr(value)
        return text if len(text) < 1_000_000 and ast.literal_eval(text) == value else None
    except Exception:                    # noqa: BLE001 - any object may have any repr
        return None


def _guarded(statement: str) -> str:
    return f"try:\n    {statement}\nexcept ImportError:\n    pass\n"


def rebuild(env: dict) -> tuple[str, list[str]]:
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
    header = '"""Rebuilt by an Otter test from the notebook\'s kernel, for `autograde check`."""\n'
    return "\n".join([header, *imports, *values, *definitions]), left_out


# ------------------------------------------------------------------------------------- autograde check --json
def _check_command(assignment: str, folder: str) -> tuple[list[str], dict]:
    """`python -m graders.cli check ... --json` with this interpreter, which imported this module."""
    package_root = str(Path(__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])))
    return [sys.executable, "-m", "graders.cli", "check", assignment, folder, "--json"], env


def _run_check(source: str, assignment: str, code_file: str) -> dict | str:
    """`autograde check --json` on `source`: its results.json, or why it could not run."""
    with tempfile.TemporaryDirectory(prefix="otter-autograde-") as scratch:
        folder = os.path.join(scratch, "notebook")
        os.mkdir(folder)
        Path(folder, code_file).write_text(source, encoding="utf-8")
        command, environment = _check_command(assignment, folder)
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=CHECK_TIMEOUT_S,
                                  stdin=subprocess.DEVNULL, env=environment)
        except subprocess.TimeoutExpired:
            return f"`autograde check` did not finish within {CHECK_TIMEOUT_S // 60} minutes."
    if done.returncode != 0:
        return f"`autograde check` failed (exit {done.returncode}):\n{done.stderr.strip()[-3000:]}"
    return json.loads(done.stdout)


def public_result(env: dict, assignment: str, code_file: str) -> tuple[dict, list[str]]:
    """autograde's public-check results.json for the kernel's code, and the names left out of it. Raises
    AssertionError (Otter's failure) when the check itself could not run. One run per version of the code."""
    source, left_out = rebuild(env)
    key = (assignment, hashlib.sha256(source.encode()).hexdigest())
    if key not in _LAST:
        _LAST.clear()
        _LAST[key] = _run_check(source, assignment, code_file)
    if isinstance(_LAST[key], str):
        raise AssertionError(_LAST[key])
    return _LAST[key], left_out


def _failure(check: dict, result: dict, left_out: list[str]) -> str:
    lines = [f"{check['name']}: {check['status']} ({check['score'] if check['score'] is not None else '-'}"
             f"/{check['max_score']:g})"]
    if check["status"] == "manual":
        lines.append("Course staff decide this one after the deadline.")
    lines += [check.get("feedback") or ""]
    lines += [f"Problem with the submission ({e['kind']}): {e['message'][-2000:]}" for e in result["errors"]]
    if left_out:
        lines.append("Not copied from the notebook (define them inside your functions if these need them): "
                     + "; ".join(left_out))
    return "\n".join(line for line in lines if line)


def require_passed(env: dict, assignment: str, code_file: str, question: str, check: str) -> None:
    """An Otter test case: passes when autograde's public check `check` of `question` passed."""
    result, left_out = public_result(env, assignment, code_file)
    found = [c for q in result["questions"] if q["id"] == question for c in q["checks"] if c["name"] == check]
    if not found:
        raise AssertionError(f"autograde has no public check {check!r} in {question!r}: export the Otter files again.")
    assert found[0]["status"] == "passed", _failure(found[0], result, left_out)


# ------------------------------------------------------------------------------------- the test files
def test_file(assignment: str, code_file: str, question: str, checks: list[tuple[str, float]]) -> str:
    """An Otter exception-based test file for one question: one test case per public check, with its points."""
    cases = "\n\n".join(
        f"@test_case(name={name!r}, points={points!r}, hidden=False)\n"
        f"def case_{number}(env):\n"
        f"    require_passed(env, ASSIGNMENT, CODE_FILE, name, {name!r})\n"
        for number, (name, points) in enumerate(checks, 1))
    return (f'"""Otter-Grader test for `{question}` of {assignment}, written by `autograde export otter`: one case\n'
            "per public check, passed when `autograde check --json` says the check passed (graders/otter_bridge.py).\n"
            '"""\n'
            "from otter.test_files import test_case\n\n"
            "from graders.otter_bridge import require_passed\n\n"
            f"OK_FORMAT = False\nall_or_nothing = False\nname = {question!r}\n"
            f"ASSIGNMENT, CODE_FILE = {assignment!r}, {code_file!r}\n\n\n{cases}")
