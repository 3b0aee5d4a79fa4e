"""Everything people read is a pure function of results.json: HTML, terminal, Gradescope, gradebook."""
from .gradebook import gradebook_csv, write_gradebook
from .gradescope import to_gradescope
from .html import render_dashboard, render_feedback, render_overview
from .mathml import latex_to_mathml
from .results_json import read_results, result_to_json, write_results
from .terminal import render_terminal

__all__ = ["result_to_json", "write_results", "read_results", "render_feedback", "render_dashboard", "render_overview",
           "write_gradebook", "gradebook_csv", "to_gradescope", "render_terminal", "latex_to_mathml"]
