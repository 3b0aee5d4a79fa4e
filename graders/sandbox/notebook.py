"""Running a student's notebook as a module, in the sandbox: all code cells, or definitions only.

- `full`: every code cell in order, in one namespace, as "Run All" would; a cell that raises is recorded and
  the next cell still runs (a late plotting error should not hide working functions).
- `definitions`: only imports, function and class definitions, and assignments of literal constants, so a
  notebook that trains a model at top level can still be graded in seconds.

IPython magics and shell lines (`%matplotlib`, `!pip install`) are skipped. Standard library only, plus
`ast` to select definitions: nothing here executes anything but the student's own cells.

Each cell's start is announced (`started(number)`) before it runs, so the grader knows which cell was still
running when the import budget ran out; `named_cell` names that cell in the report (the grader reads the
notebook's JSON itself for that, and never runs it).
"""
from __future__ import annotations

import ast
import json
import os

__all__ = ["code_cells", "definitions_only", "named_cell", "run_notebook", "MODES"]

MODES = ("full", "definitions")
_DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def code_cells(path: str) -> list[str]:
    with open(path, encoding="utf-8") as stream:
        return cells_of(json.load(stream))


def cells_of(notebook: dict) -> list[str]:
    """The sources of a parsed notebook's code cells, in order, magics and shell lines blanked."""
    cells = []
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else str(source)
            cells.append("\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()))
    return cells


def named_cell(content: bytes, number: int, limit: int = 120) -> dict | None:
    """Code cell `number` (counted from 1) of a notebook file, named by its first non-blank line:
    {"cell", "first_line"}; None if the notebook has no such cell."""
    try:
        cells = cells_of(json.loads(content.decode("utf-8")))
    except (ValueError, AttributeError, TypeError):
        return None
    if type(number) is not int or not 1 <= number <= len(cells):
        return None
    line = next((line.strip() for line in cells[number - 1].splitlines() if line.strip()), "")
    return {"cell": number, "first_line": line if len(line) <= limit else line[:limit - 1] + "\u2026"}


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


def run_notebook(namespace: dict, path: str, mode: str, root: str, started=lambda number: None) -> list[dict]:
    """Execute the notebook's cells into `namespace`, announcing each with `started`; returns one report per cell."""
    reports = []
    for index, source in enumerate(code_cells(path)):
        started(index + 1)
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
