"""Symbolic confirmation in a child process with a hard timeout, for what the numeric test left undecided.

`simplify` can run for minutes on a short sum, so it never runs in the grader's process. The child is a
fresh interpreter that imports SymPy, says "ready", reads one pickled task (expressions the grader built
itself, never a string from a student) and prints one word. The parent starts the clock after "ready", kills
the child when the budget is spent, and accepts only the words it expects: a confused or killed child means
"undecided", which is never marked wrong.
"""
from __future__ import annotations

import pickle
import subprocess
import sys
import threading

import sympy

from .evaluate import Outcome

__all__ = ["confirm_equal", "solve_for", "TIMEOUT_S"]

TIMEOUT_S = 2.0
STARTUP_S = 20.0

_CHILD = r"""
import pickle, sys
import sympy
sys.stdout.write("ready\n"); sys.stdout.flush()
task, payload = pickle.loads(sys.stdin.buffer.read())

def same(a, b):
    d = sympy.simplify(a - b)
    if d == 0:
        return "equal"
    verdict = d.equals(0)
    return "equal" if verdict is True else "unequal" if verdict is False else "undecided"

if task == "equal":
    print(same(*payload))
elif task == "solve":
    equation, symbol, target, reference = payload
    solutions = [s for s in sympy.solve(equation, symbol) if s.is_positive is not False]
    values = [same(target.subs(symbol, s), reference) for s in solutions]
    if not solutions:
        print("none")
    elif len(solutions) > 1:
        print("multiple-equal" if "equal" in values else "multiple")
    else:
        print(values[0])
"""

_WORDS = {"equal", "unequal", "undecided", "none", "multiple", "multiple-equal"}


def confirm_equal(answer: sympy.Expr, reference: sympy.Expr, timeout_s: float | None = None) -> Outcome:
    word = _run_child(("equal", (answer, reference)), TIMEOUT_S if timeout_s is None else timeout_s)
    return {"equal": Outcome.EQUAL, "unequal": Outcome.UNEQUAL}.get(word, Outcome.UNDECIDED)


def solve_for(equation: sympy.Expr, symbol: sympy.Symbol, target: sympy.Expr, reference: sympy.Expr,
              timeout_s: float | None = None) -> str:
    """Solve `equation = 0` for the positive `symbol`; compare `target` there with `reference`.
    One of: equal, unequal, undecided, none (no positive solution), multiple, multiple-equal."""
    budget = TIMEOUT_S if timeout_s is None else timeout_s
    return _run_child(("solve", (equation, symbol, target, reference)), budget)


def _run_child(task, timeout_s: float) -> str:
    payload = pickle.dumps(task)
    child = subprocess.Popen([sys.executable, "-I", "-c", _CHILD], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        if not _wait_for_line(child, STARTUP_S).startswith("ready"):
            return "undecided"
        child.stdin.write(payload)
        child.stdin.close()
        line = _wait_for_line(child, timeout_s).strip()
        return line if line in _WORDS else "undecided"
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        child.stdout.close()


def _wait_for_line(child: subprocess.Popen, timeout_s: float) -> str:
    """One line of the child's stdout, or '' when none arrives within the timeout."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(child.stdout.readline().decode(errors="replace")),
                              daemon=True)
    reader.start()
    reader.join(timeout_s)
    return lines[0] if lines else ""
