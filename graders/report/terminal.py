"""The student's self-check in a terminal: one line per check, feedback indented under failures."""
from __future__ import annotations

import textwrap

__all__ = ["render_terminal"]

_MARK = {"passed": "ok  ", "failed": "FAIL", "error": "ERR ", "timeout": "TIME", "invalid": "INV ",
         "missing": "MISS", "manual": "....", }


def _score(value, maximum) -> str:
    return f"{'-' if value is None else f'{value:g}'}/{maximum:g}"


def render_terminal(result: dict, *, color: bool = False, hidden_points: float = 0.0) -> str:
    """`result` is a self-check's: its maxima are the public checks' points; `hidden_points` are the rest."""
    hidden = f"+{hidden_points:g} points in hidden checks, graded after the deadline" if hidden_points else \
        "no hidden checks"
    lines = [f"{result['assignment']} / {result['submission']}: {_score(result['score'], result['max_score'])} "
             f"(public checks only; {hidden})"]
    for error in result["errors"]:
        lines.append(f"  problem ({error['kind']}):")
        lines += [f"    {line}" for line in error["message"].splitlines()[-12:]]
    for notice in result.get("notices") or []:                  # optional: older results.json have none
        lines += textwrap.wrap(notice, 100, initial_indent="  note: ", subsequent_indent="        ")
    for question in result["questions"]:
        lines.append(f"\n{question['id']}  {_score(question['score'], question['max_score'])}  {question['title']}")
        for check in question["checks"]:
            mark = _MARK.get(check["status"], check["status"])
            if color:
                mark = f"\033[{32 if check['status'] == 'passed' else 31}m{mark}\033[0m"
            lines.append(f"  [{mark}] {check['name']} ({_score(check['score'], check['max_score'])})")
            if check["status"] != "passed" and check.get("feedback"):
                for paragraph in check["feedback"].splitlines():
                    lines += textwrap.wrap(paragraph, 100, initial_indent="         ", subsequent_indent="         ") or [""]
    return "\n".join(lines) + "\n"
