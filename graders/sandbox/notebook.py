"""Running a student's notebook as a module, in the sandbox: all code cells, or definitions only.

- `full`: every code cell in order, in one namespace, as "Run All" would; a cell that raises is recorded and
  the next cell still runs (a late plotting error should not hide working functions).
- `definitions`: only imports, function and class definitions, and assignments of literal constants, so a
  notebook that trains a model at top level can still be graded in seconds.

IPython magics and shell lines (`%matplotlib`, `!pip install`) are skipped. Standard library only, plus
`ast` to select definitions: nothing here executes anything but the student's own cells.
"""
from __future__ import annotations

import ast
import json
import os

__all__ = ["code_cells", "definitions_only", "run_notebook", "MODES"]

MODES = ("full", "definitions")
_DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def code_cells(path: str) -> list[str]:
    with open(path, encoding="utf-8") as stream:
        notebook = json.load(stream)
    cells = []
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else str(source)
            cells.append("\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()))
    return cells


def _is_constant(node: ast.AST) -> bool:
    if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
        return False
    try:
        ast.literal_eval(node.value)
        return True
    except ValueError:
        return False


def definitions_only(source: str) -> str:
    """The cell's imports, defs, classes and literal constants; everything else is dropped."""
    tree = ast.parse(source)
    tree.body = [node for node in tree.body if isinstance(node, _DEFINITIONS) or _is_constant(node)]
    return ast.unparse(tree)


def run_notebook(namespace: dict, path: str, mode: str, root: str) -> list[dict]:
    """Execute the notebook's cells into `namespace`; returns one report per cell."""
    reports = []
    for index, source in enumerate(code_cells(path)):
        filename = os.path.join(root, f"cell-{index + 1}")
        try:
            code = definitions_only(source) if mode == "definitions" else source
            exec(compile(code, filename, "exec"), namespace)       # the student's own cell, in the sandbox
            reports.append({"cell": index + 1, "status": "ran"})
        except BaseException as error:                             # noqa: B902 - a cell may raise anything
            if isinstance(error, KeyboardInterrupt):
                raise
            reports.append({"cell": index + 1, "status": "failed", "error": f"{type(error).__name__}: {error}"[:500]})
    return reports
