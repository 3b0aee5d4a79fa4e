"""results.json -> HTML, through the jinja2 templates in templates/ (autoescaped: student text is inert).

Python prepares plain data (`views`, `dashboard`, `plots`); templates hold all markup. Both pages are single
self-contained files (inline CSS, SVG and MathML) that make no request: a Content-Security-Policy forbids
any, the student report runs no script at all, and the dashboard runs only its own script, pinned by hash.
"""
from __future__ import annotations

import base64
import functools
import hashlib
from pathlib import Path
from typing import Sequence

import jinja2
from markupsafe import Markup

from .dashboard import summarise_class
from .prose import math_segments
from .views import STATUS_LABELS, check_view, submission_view

__all__ = ["render_feedback", "render_dashboard", "render_overview", "render_gradescope_test", "render_gradescope_summary", "TEMPLATES"]

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _points(value, digits: int = 6) -> str:
    return "—" if value is None else f"{round(value, digits):g}"


def _seconds(value) -> str:
    if value is None:
        return "–"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s" if value < 600 else f"{value / 60:.0f} min"


def _percent_of(value, maximum) -> str:
    share = 0.0 if not maximum or value is None else max(0.0, min(1.0, value / maximum))
    return f"{share * 100:.1f}%"


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                                     undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters.update(points=_points, seconds=_seconds, percent_of=_percent_of,
                               pct=lambda v: "—" if v is None else f"{v:.0%}")
    environment.globals["math_segments"] = math_segments
    return environment


@functools.lru_cache(maxsize=1)
def _dashboard_script() -> tuple[Markup, str]:
    """The dashboard's own script and its CSP hash: the page runs this script and nothing else."""
    script = (TEMPLATES / "dashboard.js").read_text(encoding="utf-8")
    if "</" in script:
        raise ValueError("dashboard.js must not contain '</' (it is inlined in a <script> element)")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    return Markup(script), f"sha256-{digest}"


def render_feedback(result: dict, *, released: bool = False) -> str:
    """The student's report. Hidden checks show their status and points; what they found only once released."""
    return _environment().get_template("feedback.html.j2").render(v=submission_view(result, released=released))


def render_dashboard(results: Sequence[dict], *, assignment: str) -> str:
    """The class summary for course staff, linking every submission's report (`<folder>/feedback.html`)."""
    script, script_hash = _dashboard_script()
    return _environment().get_template("index.html.j2").render(
        s=summarise_class(results, assignment=assignment), script=script, script_hash=script_hash,
        statuses=list(STATUS_LABELS), status_labels=STATUS_LABELS)


def render_gradescope_test(check: dict, *, released: bool) -> str:
    """One check as the HTML `output` of a Gradescope test, disclosed as `released` says (gradescope.py decides:
    the same rule as feedback.html, with the withheld part in tests Gradescope shows once published)."""
    return _environment().get_template("gradescope_test.html.j2").render(c=check_view(check, released=released)).strip()


def render_gradescope_summary(result: dict) -> str:
    """The submission-wide `output` of Gradescope's results: problems, notebook mode and printed output.
    Visible at once, so it says nothing about hidden checks."""
    return _environment().get_template("gradescope_summary.html.j2").render(
        v=submission_view(result, released=False)).strip()


def render_overview(classes: Sequence[dict]) -> str:
    """A page linking several classes' dashboards: [{"folder", "title", "n", "mean", "max_score"}]."""
    return _environment().get_template("demo.html.j2").render(classes=classes)
