"""Small inline-SVG plots from check evidence (plain numbers in results.json). Matplotlib, Agg, no files."""
from __future__ import annotations

import io
import math
from typing import Any

__all__ = ["plots_for_check"]


def _svg(figure) -> str:
    import matplotlib.pyplot as plt
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg"):]                         # drop the XML prolog: the SVG sits inline


def _figure():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    matplotlib.rcParams.update({"svg.fonttype": "none", "font.size": 9})
    return plt.subplots(figsize=(4.2, 2.8))


def cost_plot(evidence: dict[str, Any]) -> tuple[str, str]:
    sizes, series = evidence["sizes"], evidence["series"]
    figure, axes = _figure()
    for metric, label in (("elements", "elements produced"), ("flops", "FLOPs (matmul)"),
                          ("numpy_peak_bytes", "numpy peak bytes")):
        values = series.get(metric) or []
        if values and max(values) > 0:
            axes.loglog(sizes, values, "o-", label=label)
            exponent = evidence["expected_exponent"]
            reference = [values[-1] * (n / sizes[-1]) ** exponent for n in sizes]
            axes.loglog(sizes, reference, ":", color="gray")
    axes.set_xlabel("N")
    axes.set_ylabel("count")
    axes.legend(fontsize=7)
    measured = ", ".join(f"{k} N^{v:g}" for k, v in evidence.get("exponents", {}).items())
    axes.set_title(f"measured: {measured}; dotted: N^{evidence['expected_exponent']:g}", fontsize=8)
    alt = (f"Log-log plot of counted work against N from {sizes[0]} to {sizes[-1]}. Measured growth: {measured}. "
           f"Expected growth N^{evidence['expected_exponent']:g}.")
    return _svg(figure), alt


def convergence_plot(evidence: dict[str, Any]) -> tuple[str, str]:
    d, error = evidence["d_random"], evidence["error"]
    figure, axes = _figure()
    axes.loglog(d, error, "o-", label="your random-feature attention")
    axes.loglog(d, [error[0] * math.sqrt(d[0] / x) for x in d], ":", color="gray", label="D_random^-1/2")
    axes.set_xlabel("D_random")
    axes.set_ylabel("mean |error| vs softmax")
    axes.legend(fontsize=7)
    alt = f"Log-log plot of the error against exact softmax attention as D_random grows; slope {evidence['slope']:.2f}."
    return _svg(figure), alt


def plots_for_check(check: dict) -> list[tuple[str, str]]:
    """(svg, alt text) for each picture this check's evidence supports."""
    evidence = check.get("evidence") or {}
    if "series" in evidence and "sizes" in evidence:
        return [cost_plot(evidence)]
    if "d_random" in evidence:
        return [convergence_plot(evidence)]
    return []
