"""Charts from the plain numbers in results.json, as geometry (pixels, ticks, labels): templates draw the SVG.

Pure Python on purpose: no matplotlib in the report path (it is not thread-safe, and batch grading renders
reports from worker threads), and the charts stay small, crisp, themable and accessible (title, description
and a data table beside each). Every chart is a dict with `kind` "lines" or "bars"; see `templates/_charts.j2`.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

__all__ = ["plots_for_check", "cost_chart", "convergence_chart", "depth_chart", "histogram_chart", "fitted_slope",
           "nice_step", "short_number"]

WIDTH, HEIGHT = 460, 280
MARGIN = {"left": 62, "right": 18, "top": 14, "bottom": 50}
COST_SERIES = (("elements", "elements produced"), ("flops", "FLOPs in matrix products"),
               ("numpy_peak_bytes", "numpy peak bytes"), ("numpy_elements", "numpy elements"),
               ("python_lines", "lines of Python run"),
               ("cpu_seconds", "CPU seconds"))


def short_number(value: float) -> str:
    """1024 -> '1024', 65536 -> '65.5k', 2.5e6 -> '2.5M', 0.05 -> '0.05', 3e-5 -> '3.0e-05'."""
    if value == 0:
        return "0"
    if abs(value) >= 1e4:
        for suffix, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
            if abs(value) >= scale:
                return f"{value / scale:.3g}{suffix}"
    if abs(value) >= 1 and float(value).is_integer():
        return f"{int(value)}"
    return f"{value:.3g}" if abs(value) >= 1e-3 else f"{value:.1e}"


def nice_step(raw: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `raw`."""
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-9))


def fitted_slope(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Least-squares slope of log y against log x over the positive points."""
    points = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x and y and x > 0 and y > 0]
    if len(points) < 2:
        return None
    mx = sum(p[0] for p in points) / len(points)
    my = sum(p[1] for p in points) / len(points)
    spread = sum((p[0] - mx) ** 2 for p in points)
    return None if spread == 0 else sum((p[0] - mx) * (p[1] - my) for p in points) / spread


class _Scale:
    """Data -> pixels along one axis, linear or logarithmic."""

    def __init__(self, low: float, high: float, start: float, end: float, log: bool):
        self.log = log
        self.low, self.high = (math.log10(low), math.log10(high)) if log else (low, high)
        if self.high == self.low:
            self.low, self.high = self.low - 0.5, self.high + 0.5
        self.start, self.end = start, end

    def __call__(self, value: float) -> float:
        v = math.log10(value) if self.log else value
        return round(self.start + (v - self.low) / (self.high - self.low) * (self.end - self.start), 2)


def _log_ticks(low: float, high: float) -> list[float]:
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    for mantissas in ((1,), (1, 2, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9)):
        ticks = [m * 10.0 ** e for e in range(first, last + 1) for m in mantissas
                 if low * 0.999 <= m * 10.0 ** e <= high * 1.001]
        if len(ticks) >= 3:
            step = math.ceil(len(ticks) / 7)
            return ticks[::step]
    return [low, high]


def _linear_ticks(low: float, high: float, count: int = 5, *, integer: bool = False) -> list[float]:
    span = (high - low) or 1.0
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = nice_step(raw)
    if integer:
        step = max(1, round(step)) if step != 2.5 * magnitude or magnitude < 1 else 2 * magnitude
    start = math.ceil(low / step - 1e-9) * step
    ticks, value = [], start
    while value <= high + 1e-9 * span:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _frame(title: str, alt: str, x_label: str, y_label: str) -> dict[str, Any]:
    plot = {"left": MARGIN["left"], "right": WIDTH - MARGIN["right"], "top": MARGIN["top"],
            "bottom": HEIGHT - MARGIN["bottom"]}
    return {"width": WIDTH, "height": HEIGHT, "plot": plot, "title": title, "alt": alt, "x_label": x_label,
            "y_label": y_label, "series": [], "bars": [], "x_ticks": [], "y_ticks": [], "legend": []}


def _positive(values: Sequence[Any]) -> list[float]:
    return [float(v) for v in values if isinstance(v, (int, float)) and v > 0]


def _lines(chart: dict, xs: Sequence[float], all_ys: Sequence[float], *, x_ticks: Sequence[float] | None = None):
    plot = chart["plot"]
    x = _Scale(min(xs) / 1.15, max(xs) * 1.15, plot["left"], plot["right"], log=True)
    low, high = min(all_ys), max(all_ys)
    y = _Scale(low / 1.4, high * 1.4, plot["bottom"], plot["top"], log=True)
    chart["x_ticks"] = [{"at": x(v), "label": short_number(v)} for v in (x_ticks or _log_ticks(min(xs), max(xs)))]
    chart["y_ticks"] = [{"at": y(v), "label": short_number(v)} for v in _log_ticks(low / 1.4, high * 1.4)]
    chart["kind"] = "lines"
    return x, y


def _line(label: str, x, y, xs, ys, index: int, *, dashed: bool = False, markers: bool = True) -> dict:
    points = [(x(a), y(b)) for a, b in zip(xs, ys)]
    return {"label": label, "index": index, "dashed": dashed, "path": " ".join(f"{a},{b}" for a, b in points),
            "markers": [{"x": a, "y": b, "title": f"{label}: {short_number(v)} at {short_number(u)}"}
                        for (a, b), u, v in zip(points, xs, ys)] if markers else []}


def cost_chart(evidence: dict[str, Any]) -> dict[str, Any] | None:
    """Counted work against N on log-log axes, each series with its measured slope and a dashed line of
    the expected growth drawn from its first point."""
    sizes, series = evidence.get("sizes") or [], evidence.get("series") or {}
    expected = evidence.get("expected_exponent")
    measured = evidence.get("exponents") or {}
    shown = [(key, label, [float(v) for v in series.get(key) or []]) for key, label in COST_SERIES]
    shown = [(k, l, v) for k, l, v in shown if len(v) == len(sizes) and len(_positive(v)) == len(v) and v]
    if len(sizes) < 2 or not shown or not isinstance(expected, (int, float)):
        return None
    slopes = {k: measured.get(k, fitted_slope(sizes, v)) for k, _, v in shown}
    words = "; ".join(f"{label} grow like N^{slopes[k]:.2g}" for k, label, _ in shown if slopes[k] is not None)
    alt = (f"Log-log chart of the work your code did against N, from N={sizes[0]} to N={sizes[-1]}: {words}. "
           f"Dashed lines show growth like N^{expected:g}, the expected rate.")
    chart = _frame(f"Cost against N (expected: N^{expected:g})", alt, "N (log scale)", "count (log scale)")
    references = [[v[0] * (n / sizes[0]) ** expected for n in sizes] for _, _, v in shown]
    x, y = _lines(chart, sizes, [a for _, _, v in shown for a in v] + [a for r in references for a in r], x_ticks=sizes)
    for index, ((key, label, values), reference) in enumerate(zip(shown, references)):
        slope = slopes[key]
        name = f"{label} (N^{slope:.2g})" if slope is not None else label
        chart["series"].append(_line(f"expected N^{expected:g}", x, y, sizes, reference, index, dashed=True,
                                     markers=False))
        chart["series"].append(_line(name, x, y, sizes, values, index))
        chart["legend"].append({"label": name, "index": index, "dashed": False})
    chart["legend"].append({"label": f"dashed: N^{expected:g} from the first point", "index": None, "dashed": True})
    chart["table"] = {"columns": ["N", *(label for _, label, _ in shown)],
                      "rows": [[f"{n:g}", *(short_number(v[i]) for _, _, v in shown)] for i, n in enumerate(sizes)]}
    return chart


def convergence_chart(evidence: dict[str, Any]) -> dict[str, Any] | None:
    """Error against exact softmax attention as D_random grows, beside the D_random^-1/2 of an unbiased estimate."""
    d, error = evidence.get("d_random") or [], [float(e) for e in evidence.get("error") or [] if e is not None]
    if len(d) < 2 or len(error) != len(d) or len(_positive(error)) != len(error) or len(_positive(d)) != len(d):
        return None
    slope = evidence.get("slope")
    slope = slope if isinstance(slope, (int, float)) else fitted_slope(d, error)
    reference = [error[0] * math.sqrt(d[0] / v) for v in d]
    alt = (f"Log-log chart of the mean error against exact softmax attention as D_random grows from {d[0]} to "
           f"{d[-1]}: the error goes from {error[0]:.3g} to {error[-1]:.3g} (slope {slope:.2f}); the dashed line "
           "falls like D_random^-1/2, the rate of an unbiased estimate.")
    chart = _frame("Error against D_random (expected slope -0.5)", alt, "D_random (log scale)",
                   "mean |error| (log scale)")
    x, y = _lines(chart, d, error + reference, x_ticks=d)
    chart["series"].append(_line("expected D_random^-1/2", x, y, d, reference, 0, dashed=True, markers=False))
    chart["series"].append(_line(f"your error (slope {slope:.2f})", x, y, d, error, 0))
    chart["legend"] = [{"label": f"your error (slope {slope:.2f})", "index": 0, "dashed": False},
                       {"label": "dashed: D_random^-1/2 (slope -0.5)", "index": None, "dashed": True}]
    chart["table"] = {"columns": ["D_random", "mean |error|", "D_random^-1/2 from the first point"],
                      "rows": [[f"{a:g}", f"{b:.4g}", f"{c:.4g}"] for a, b, c in zip(d, error, reference)]}
    return chart


def _label_every(groups: int, most: int = 10) -> int:
    """Label every k-th group: few enough labels, and the last bin edge labelled too when possible."""
    least = math.ceil(groups / most)
    return next((k for k in range(least, 2 * least + 1) if groups % k == 0), least)


def _bars(chart: dict, groups: Sequence[str], values: Sequence[Sequence[float]], labels: Sequence[str],
          *, y_format=short_number, tooltips: Sequence[Sequence[str]] | None = None,
          edges: Sequence[str] | None = None, integer: bool = False) -> None:
    """Grouped bars: `values[s][g]` is series s in group g. With `edges` (one more than groups), ticks mark
    the bin edges of a histogram instead of the groups' centres."""
    plot = chart["plot"]
    top = max([v for row in values for v in row] + [0]) or 1.0
    y = _Scale(0, top * 1.08, plot["bottom"], plot["top"], log=False)
    ticks = [t for t in _linear_ticks(0, top, integer=integer) if t <= top * 1.08]
    chart["y_ticks"] = [{"at": y(t), "label": y_format(t)} for t in ticks]
    slot = (plot["right"] - plot["left"]) / max(len(groups), 1)
    pad = slot * (0.04 if edges else 0.1)
    width = (slot - 2 * pad) / len(values)
    chart["kind"] = "bars"
    every = _label_every(len(groups))
    for g, group in enumerate(groups):
        left = plot["left"] + g * slot
        if g % every == 0:
            at = left if edges else left + slot / 2
            chart["x_ticks"].append({"at": round(at, 2), "label": edges[g] if edges else group})
        for s, row in enumerate(values):
            top_px = y(row[g])
            title = tooltips[s][g] if tooltips else f"{labels[s]}, {group}: {y_format(row[g])}"
            chart["bars"].append({"x": round(left + pad + s * width, 2), "y": top_px,
                                  "width": round(max(width - 1, 1), 2), "height": round(plot["bottom"] - top_px, 2),
                                  "index": s, "title": title})
    if edges and len(groups) % every == 0:
        chart["x_ticks"].append({"at": plot["right"], "label": edges[-1]})
    if len(labels) > 1:
        chart["legend"] = [{"label": label, "index": s, "dashed": False} for s, label in enumerate(labels)]


def depth_chart(evidence: dict[str, Any]) -> dict[str, Any] | None:
    """The depth at which predictions are made, as shares of the examples, beside the reference's."""
    mine = [float(v or 0) for v in evidence.get("depth_histogram") or []]
    theirs = [float(v or 0) for v in evidence.get("reference_depth_histogram") or []]
    if not mine or not theirs or sum(mine) <= 0 or sum(theirs) <= 0:
        return None
    depths = max(len(mine), len(theirs))
    mine, theirs = mine + [0.0] * (depths - len(mine)), theirs + [0.0] * (depths - len(theirs))
    shares = [[v / sum(row) for v in row] for row in (mine, theirs)]
    peak = [max(range(depths), key=lambda i: row[i]) for row in shares]
    alt = (f"Bar chart of the share of examples predicted at each depth from 0 to {depths - 1}, yours beside the "
           f"reference's. Yours peak at depth {peak[0]} ({shares[0][peak[0]]:.0%}); the reference's at depth "
           f"{peak[1]} ({shares[1][peak[1]]:.0%}).")
    chart = _frame("Prediction depth: yours beside the reference", alt, "depth", "share of examples")
    tooltips = [[f"{who}, depth {i}: {share:.1%} ({count:g} examples)" for i, (share, count) in enumerate(zip(s, raw))]
                for who, s, raw in (("yours", shares[0], mine), ("reference", shares[1], theirs))]
    _bars(chart, [str(i) for i in range(depths)], shares, ["yours", "reference"],
          y_format=lambda v: f"{v:.0%}", tooltips=tooltips)
    chart["table"] = {"columns": ["depth", "yours (examples)", "reference (examples)"],
                      "rows": [[str(i), f"{mine[i]:g} ({shares[0][i]:.1%})", f"{theirs[i]:g} ({shares[1][i]:.1%})"]
                               for i in range(depths)]}
    return chart


def histogram_chart(values: Sequence[float], *, low: float, high: float, bins: int, title: str, x_label: str,
                    what: str, unit: str = "") -> dict[str, Any] | None:
    """Counts of `values` in `bins` equal bins over [low, high] (the last bin includes `high`)."""
    if not values or high <= low:
        return None
    width = (high - low) / bins
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, max(0, int((v - low) / width)))] += 1
    edges = [low + i * width for i in range(bins + 1)]
    names = [f"{short_number(edges[i])}–{short_number(edges[i + 1])}{unit}" for i in range(bins)]
    busiest = max(range(bins), key=counts.__getitem__)
    alt = (f"Histogram of {len(values)} {what} between {low:g}{unit} and {high:.3g}{unit} in {bins} bins; "
           f"the most common range is {names[busiest]} with {counts[busiest]}.")
    chart = _frame(title, alt, x_label, "submissions")
    tooltips = [[f"{name}: {count} submission{'s' if count != 1 else ''}" for name, count in zip(names, counts)]]
    _bars(chart, names, [counts], [what], y_format=lambda v: f"{v:g}", tooltips=tooltips,
          edges=[short_number(e) for e in edges], integer=True)
    chart["table"] = {"columns": ["range", "submissions"], "rows": [[n, str(c)] for n, c in zip(names, counts)]}
    return chart


def _cell(value: Any) -> str:
    return value if isinstance(value, str) else "–" if value is None else short_number(float(value))


def typed_chart(data: dict[str, Any]) -> dict[str, Any] | None:
    """A chart from a `graders.model.Chart` in a check's evidence (as results.json holds it), any assignment's."""
    xs = list(data.get("x") or [])
    series = [s for s in data.get("series") or [] if len(s.get("values") or []) == len(xs)]
    if not xs or not series or data.get("kind") not in ("lines", "bars"):
        return None
    chart = _frame(str(data.get("title", "")), str(data.get("alt", "")), str(data.get("x_label", "")),
                   str(data.get("y_label", "")))
    chart["table"] = {"columns": [chart["x_label"], *(s["label"] for s in series)],
                      "rows": [[_cell(x), *(_cell(s["values"][i]) for s in series)] for i, x in enumerate(xs)]}
    if data["kind"] == "bars":
        _bars(chart, [_cell(x) for x in xs], [[float(v or 0) for v in s["values"]] for s in series],
              [s["label"] for s in series])
        return chart
    values = [v for s in series for v in s["values"] if v is not None]
    if len(_positive(xs)) != len(xs) or not values or len(_positive(values)) != len(values):
        return None                                                     # log-log axes need positive numbers
    x, y = _lines(chart, [float(v) for v in xs], [float(v) for v in values], x_ticks=[float(v) for v in xs])
    for index, s in enumerate(series):
        shown = [(float(a), float(b)) for a, b in zip(xs, s["values"]) if b is not None]
        dashed = bool(s.get("reference"))
        chart["series"].append(_line(s["label"], x, y, [a for a, _ in shown], [b for _, b in shown], index,
                                     dashed=dashed, markers=not dashed))
        chart["legend"].append({"label": s["label"], "index": index, "dashed": dashed})
    return chart


def plots_for_check(check: dict) -> list[dict[str, Any]]:
    """The charts this check's evidence supports (cost, convergence, depth histogram), possibly none."""
    evidence = check.get("evidence") or {}
    charts = []
    if "series" in evidence and "sizes" in evidence:
        charts.append(cost_chart(evidence))
    if "d_random" in evidence and "error" in evidence:
        charts.append(convergence_chart(evidence))
    if "depth_histogram" in evidence and "reference_depth_histogram" in evidence:
        charts.append(depth_chart(evidence))
    charts += [typed_chart(c) for c in evidence.get("charts") or [] if isinstance(c, dict)]
    return [c for c in charts if c is not None]
