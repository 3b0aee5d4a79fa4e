"""Text people read, in the homework's notation: inline math in check names and messages, sentences that start
with a capital, values written as a person would (never a Python repr).

`math_segments("cost grows like N^2.0 in ||E_a - E_b||")` splits text into runs the templates render as
plain text, superscripts and subscripts, with Greek names and norms as symbols. Text between backticks stays
code; the output is plain data, escaped by the templates like any other text.
"""
from __future__ import annotations

import re
from typing import Any

__all__ = ["math_segments", "sentence", "plain_value", "first_sentence"]

GREEK = {"alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "theta": "θ", "lambda": "λ",
         "mu": "μ", "sigma": "σ", "tau": "τ", "phi": "φ", "omega": "ω"}
_SYMBOLS = [(re.compile(r"\|\|"), "‖"), (re.compile(r"\bsqrt\("), "√("), (re.compile(r" -> "), " → "),
            (re.compile(r" <= "), " ≤ "), (re.compile(r" >= "), " ≥ "), (re.compile(r"(?<=\s)-(?=\s)"), "−"),
            (re.compile(r"\b(" + "|".join(GREEK) + r")\b"), lambda m: GREEK[m.group(1)])]
# x^2, N^2.0, sigma^-2, Y^T, x^{a+b}; X_i, E_a, D_random, d_{ap}: a script attaches to a one-letter base (or a
# Greek letter) so that identifiers such as feature_map or batch_all stay as they are.
_POWER = r"(\{[^{}]*\}|-?\d+(?:\.\d+)?|[A-Za-z])"
_SCRIPT = re.compile(r"((?<![A-Za-z0-9_])(?:[A-Za-z]|[α-ω])|\))(?:\^" + _POWER + r"|_(\{[^{}]*\}|[A-Za-z0-9]+))"
                     r"(?:\^" + _POWER + r")?(?![A-Za-z0-9_])")
_CODE = re.compile(r"`([^`]+)`")


def _symbols(text: str) -> str:
    for pattern, replacement in _SYMBOLS:
        text = pattern.sub(replacement, text)
    return text


def _unbrace(script: str) -> str:
    return script[1:-1] if script.startswith("{") else script


def _math_runs(text: str) -> list[dict[str, str]]:
    runs: list[dict[str, str]] = []

    def add(kind: str, value: str) -> None:
        if value:
            runs.append({"kind": kind, "text": value})

    position = 0
    text = _symbols(text)
    for match in _SCRIPT.finditer(text):
        add("text", text[position:match.start()] + match.group(1))
        sup, sub, sup_after = match.group(2), match.group(3), match.group(4)
        if sub:
            add("sub", _symbols(_unbrace(sub)))
        if sup or sup_after:
            add("sup", _symbols(_unbrace(sup or sup_after)))
        position = match.end()
    add("text", text[position:])
    return runs


def math_segments(text: str | None) -> list[dict[str, str]]:
    """Runs of {"kind": "text" | "sup" | "sub" | "code", "text"}; their texts joined read like the input."""
    text = text or ""
    runs, position = [], 0
    for match in _CODE.finditer(text):
        runs += _math_runs(text[position:match.start()])
        runs.append({"kind": "code", "text": match.group(1)})
        position = match.end()
    return runs + _math_runs(text[position:])


def sentence(text: str | None) -> str:
    """A message that starts with a lower-case word starts with a capital; math and code names stay as written."""
    text = (text or "").strip()
    match = re.match(r"[a-z][a-z]+(?=[\s,:;.])", text)
    if not match or match.group(0) in GREEK:
        return text
    return text[0].upper() + text[1:]


def first_sentence(text: str | None, limit: int = 180) -> str:
    """The first sentence (or line) of a message, for a one-line summary."""
    text = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    match = re.search(r"(?<=[.!?])\s+(?=[A-Z])", text)
    text = text[:match.start()] if match else text
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def plain_value(value: Any) -> str:
    """A value as a person writes it: 0.25, 1.6e+09, 'a, b', 'key: value'; never a Python repr."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(plain_value(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {plain_value(v)}" for k, v in value.items())
    return "" if value is None else str(value)
