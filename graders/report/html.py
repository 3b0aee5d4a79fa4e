"""results.json -> HTML, through the jinja2 templates in templates/ (autoescaped: student text is inert)."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import jinja2

from .plots import plots_for_check

__all__ = ["render_feedback", "render_dashboard"]

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                                     undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters["points"] = lambda v: "–" if v is None else f"{v:g}"
    return environment


def render_feedback(result: dict, *, released: bool = False) -> str:
    """The student's report. Hidden checks show their status and points, but their feedback only once released."""
    plots = {(q["id"], c["name"]): plots_for_check(c) for q in result["questions"] for c in q["checks"]}
    return _environment().get_template("feedback.html.j2").render(r=result, plots=plots, released=released)


def render_dashboard(results: Sequence[dict], *, assignment: str) -> str:
    return _environment().get_template("index.html.j2").render(results=sorted(results, key=lambda r: r["submission"]),
                                                                assignment=assignment)
