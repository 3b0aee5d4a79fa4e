"""Judges for numbers as people write them: `140M`, `1.6 billion`, `3.8e9`, `25,557,032`, `86.2%`,
`7.5 M`, `1.6B`, `1.6 GFLOPs`, `1.6 \\times 10^9`, or a plain int/float from YAML.

Reading is one regular expression (no `eval`, no `float()` on anything but the matched digits). Each judge
states its relative tolerance; `accepted` declares other readings of the same quantity (FLOPs counted as
multiply-adds, a factor of 2) with their own feedback and credit. Wrong values are diagnosed as a wrong
scale (a power of 1000 or 100), a factor of two, or just a wrong value, without showing the expected one.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Mapping, Sequence

from graders.model import Status, Verdict

from .verdicts import guarded, invalid, missing, shown

__all__ = ["Reading", "number", "number_table", "parse_number", "NumberError", "format_value",
           "clean_number_text"]

Judge = Callable[[Any], Verdict]

_SCALES = {"k": 3, "thousand": 3, "m": 6, "mil": 6, "mio": 6, "mn": 6, "million": 6, "millions": 6,
           "b": 9, "bn": 9, "billion": 9, "billions": 9, "g": 9, "giga": 9, "t": 12, "tn": 12, "trillion": 12}
_UNITS = r"(?:params|parameters|weights|flops?|flop/s|macs?|mult-adds|multiply-adds|madds|images|faces|ops)"
_NUMBER = re.compile(rf"""^\s*(?:~|≈|about|approx\.?|approximately|around|roughly)?\s*
    (?P<sign>[+-])?\s*
    (?P<mantissa>\d{{1,3}}(?:(?:,|_|\s|\\,|\{{,\}})\d{{3}})+(?:\.\d+)?|\d+(?:\.\d*)?|\.\d+)?
    (?:\s*[eE]\s*(?P<exponent>[+-]?\d{{1,3}}))?
    (?:\s*(?:\*|x|×|\\times|\\cdot)?\s*10\s*(?:\^|\*\*)\s*\{{?\s*(?P<power>[+-]?\d{{1,3}})\s*\}}?)?
    \s*(?P<scale>(?i:thousand|millions?|billions?|trillion|giga|mil|mio|mn|bn|tn|[kmbgt]))?
    \s*(?P<unit>(?i:{_UNITS})|%|\\%|percent)?
    (?:\s*(?i:per\s+image|/\s*image))?\s*$""", re.VERBOSE)


_REMARK = re.compile(r"\s*(?:\([^()]{0,60}\)|\[[^\[\]]{0,60}\]|\s[-–]\s.{0,60})\s*$")
_WRAPPING = re.compile(r"^\s*(?:`(?P<a>[^`]*)`|\$(?P<b>[^$]*)\$)\s*$")
_TRAILING = re.compile(r"[.,;]\s*$")


class NumberError(ValueError):
    pass


def clean_number_text(raw: str, units: Sequence[str] = ()) -> tuple[str, tuple[str, ...]]:
    """Named steps before a number is read: `code-quotes` / `math-delimiters`, `trailing-punctuation`, a
    `remark-dropped` in brackets ("140M parameters (22 layers)"), a `unit-dropped` declared by the question."""
    text, steps = raw.strip(), []
    wrapped = _WRAPPING.match(text)
    if wrapped:
        text, steps = (wrapped.group("a") if wrapped.group("a") is not None else wrapped.group("b")).strip(), \
            ["code-quotes" if wrapped.group("a") is not None else "math-delimiters"]
    stripped = _TRAILING.sub("", text)
    if stripped != text and stripped:
        text, steps = stripped, steps + ["trailing-punctuation"]
    remark = _REMARK.sub("", text)
    if remark != text and remark:
        text, steps = remark, steps + ["remark-dropped"]
    for unit in sorted(units, key=len, reverse=True):
        if text.endswith(unit) and text[:-len(unit)].rstrip().rstrip("-").rstrip()[-1:].isdigit():
            text, steps = text[:-len(unit)].rstrip().rstrip("-").rstrip(), steps + ["unit-dropped"]
            break
    return text, tuple(steps)


def format_value(value: float) -> str:
    """A number as people write it in these answers: 86.8, 128, 2.6M, 1.6 billion."""
    magnitude = abs(value)
    for size, word in ((1e12, " trillion"), (1e9, " billion"), (1e6, "M")):
        if magnitude >= size:
            return f"{value / size:.4g}{word}"
    return f"{value:.6g}"


@dataclass(frozen=True)
class Reading:
    """Another accepted reading of the quantity, e.g. Reading(7.6e9, "flops-as-two-ops", "...", 1.0)."""
    value: float
    note: str
    feedback: str
    fraction: float = 1.0


def parse_number(raw: Any, *, percent: bool = False, units: Sequence[str] = ()) -> float:
    """A float from an int, float or string. With percent=True, `87.9%` and `87.9` both read 87.9;
    otherwise `86.2%` reads 0.862. `units` are extra unit words the question declares (`D`, `dimensions`).
    Raises NumberError."""
    if isinstance(raw, bool) or raw is None:
        raise NumberError("Expected a number.")
    if isinstance(raw, (int, float)):
        if not math.isfinite(raw):
            raise NumberError("Expected a finite number.")
        return float(raw)
    if not isinstance(raw, str):
        raise NumberError(f"Expected a number, got {type(raw).__name__}.")
    if len(raw) > 100:
        raise NumberError("That is too long for a number.")
    match = _NUMBER.match(raw) or _NUMBER.match(clean_number_text(raw, units)[0])
    if not match or not (match.group("mantissa") or match.group("power")):
        raise NumberError(f"Could not read {raw.strip()!r} as a number; write e.g. 140M, 1.6 billion, "
                          "3.8e9, 25,557,032 or 86.2%.")
    try:
        return _value(match, percent)
    except OverflowError:
        raise NumberError("That number is too large.") from None


def _value(match: re.Match, percent: bool) -> float:
    digits = re.sub(r"[,_\s]|\\,|\{,\}", "", match.group("mantissa") or "1")
    value = Fraction(digits if not digits.endswith(".") else digits[:-1])
    exponent = int(match.group("exponent") or 0) + int(match.group("power") or 0)
    exponent += _SCALES[match.group("scale").lower()] if match.group("scale") else 0
    unit = (match.group("unit") or "").lower()
    if unit in ("%", "\\%", "percent") and not percent:
        exponent -= 2
    value *= Fraction(10) ** exponent
    return float(-value if match.group("sign") == "-" else value)


def number(value: float, *, rel_tol: float, abs_tol: float = 0.0, accepted: Sequence[Reading] = (),
           percent: bool = False, units: Sequence[str] = ()) -> Judge:
    """A judge for one number within max(rel_tol * |value|, abs_tol); `units` declares unit words the
    question allows after the number (`128D`, `128 dimensions`)."""
    if rel_tol < 0 or abs_tol < 0:
        raise ValueError("tolerances are non-negative")

    def close(got: float, target: float) -> bool:
        return abs(got - target) <= max(rel_tol * abs(target), abs_tol)

    def judge(raw: Any) -> Verdict:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return missing()
        try:
            got = parse_number(raw, percent=percent, units=units)
        except NumberError as error:
            return invalid(str(error), raw)
        evidence = {"answer": shown(raw), "answer_value": got, "reference_value": value,
                    "rel_tol": rel_tol, "abs_tol": abs_tol}
        if isinstance(raw, str):
            text, steps = (raw.strip(), ()) if _NUMBER.match(raw) else clean_number_text(raw, units)
            evidence["as_read"] = {"text": text, "steps": list(steps)}
        if close(got, value):
            return Verdict.passed(**evidence)
        for reading in accepted:
            if close(got, reading.value):
                status = Status.PASSED if reading.fraction >= 1.0 else Status.FAILED
                return Verdict(status, reading.fraction, reading.feedback, reading.note, evidence)
        note, feedback = _diagnose(got, value, rel_tol, abs_tol, percent)
        return Verdict.failed(feedback, note, **evidence)

    return guarded(judge)


def _diagnose(got: float, expected: float, rel_tol: float, abs_tol: float, percent: bool) -> tuple[str, str]:
    if got == 0 or expected == 0 or (got < 0) != (expected < 0):
        return "wrong-value", f"{format_value(got)} is not the expected value."
    ratio = got / expected
    power = round(math.log10(ratio))
    if power and abs(ratio / 10 ** power - 1) <= max(rel_tol, 0.02):
        if percent and power == -2:
            return "fraction-not-percent", "The value is asked in percent; yours looks like a fraction of 1."
        direction = "large" if power > 0 else "small"
        return ("wrong-scale", f"{format_value(got)} is about {10 ** abs(power):,} times too {direction}: "
                "check the scale word (thousand, million, billion) or the exponent.")
    for factor, words in ((2.0, "twice"), (0.5, "half")):
        if abs(ratio / factor - 1) <= max(rel_tol, 0.02):
            return ("factor-of-two", f"{format_value(got)} is about {words} the expected value: look for a "
                    "factor of 2 (for operation counts: multiply-adds or single operations?).")
    if rel_tol == 0 and abs_tol == 0:
        return "wrong-value", f"{format_value(got)} is not the expected value."
    within = f"{abs_tol:g}" if abs_tol > rel_tol * abs(expected) else f"{rel_tol:.0%}"
    return "wrong-value", f"{format_value(got)} is not within {within} of the expected value."


def number_table(expected: Mapping[float, float], *, key_rel_tol: float = 0.02, value_abs_tol: float = 0.05,
                 percent: bool = True) -> Judge:
    """A judge for a mapping such as `{2.6M: 76.3, 26M: 85.1}` (training-set size -> VAL in %): keys in any
    notation `parse_number` reads; credit is the fraction of expected rows that are present and right."""
    def judge(raw: Any) -> Verdict:
        if raw is None:
            return missing()
        if not isinstance(raw, Mapping) or not raw:
            return invalid("Expected a mapping such as {2.6M: 76.3, 26M: 85.1}.", raw)
        rows, unread = {}, []
        for key, given in raw.items():
            try:
                rows[parse_number(key)] = (key, given)
            except NumberError:
                unread.append(str(key)[:30])
        if not rows:
            return invalid("None of the keys could be read as a number, e.g. 2.6M or 2600000.", raw)
        right, problems = 0, []
        for size, value in expected.items():
            found = next((rows[k] for k in rows if abs(k - size) <= key_rel_tol * size), None)
            if found is None:
                problems.append(f"no entry for {format_value(size)}")
                continue
            try:
                got = parse_number(found[1], percent=percent)
            except NumberError:
                problems.append(f"the value for {found[0]} is not a number")
                continue
            if abs(got - value) <= value_abs_tol:
                right += 1
            else:
                problems.append(f"the value for {found[0]} is off")
        problems += [f"the key {k!r} is not a number" for k in unread]
        evidence = {"answer": shown(raw), "right": right, "rows": len(expected)}
        if right == len(expected):
            return Verdict.passed(**evidence)
        note = "wrong-value" if any("off" in p or "not a number" in p for p in problems) else "missing-rows"
        feedback = f"{right} of {len(expected)} rows are right: " + "; ".join(problems[:4]) + "."
        return Verdict.failed(feedback, note, right / len(expected), **evidence)

    return guarded(judge)
