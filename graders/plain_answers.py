"""The gate for answers: whatever was decoded from answers.yaml or sent back as a module's `ANSWERS` becomes
plain JSON data (str, finite numbers, bool, None, lists, mappings with str keys), bounded in size, depth,
node count and integer digits. An answer that does not pass is dropped and its problem reported, never
raised: one student's odd answer costs that answer only.

Nothing here calls `repr`, `str` or `json.dumps` on a value before its size is known, so a 5,000-digit
integer or a shared (aliased) subtree cannot make the grader spend unbounded time or memory.
"""
from __future__ import annotations

import math
from typing import Any

__all__ = ["plain_answers", "MAX_ANSWER_CHARS", "MAX_DEPTH", "MAX_NODES", "MAX_INT_DIGITS"]

MAX_KEYS = 200                   # questions per answers file
MAX_DEPTH = 16                   # nesting of lists and mappings in one answer
MAX_NODES = 5_000                # values in all answers together
MAX_ANSWER_CHARS = 20_000        # characters of one string
MAX_TOTAL_CHARS = 200_000        # characters of all strings together
MAX_INT_DIGITS = 100             # decimal digits of an integer
_MAX_INT_BITS = int(MAX_INT_DIGITS * math.log2(10))
_ALLOWED = "text, a number, true/false, a list or a mapping"


class _NotPlain(Exception):
    """Why one answer does not pass the gate (a message for the student)."""


class _Budget:
    def __init__(self) -> None:
        self.nodes, self.chars = 0, 0

    def spend(self, nodes: int = 1, chars: int = 0) -> None:
        self.nodes, self.chars = self.nodes + nodes, self.chars + chars
        if self.nodes > MAX_NODES:
            raise _NotPlain(f"is too large: limit {MAX_NODES} values in all answers together")
        if self.chars > MAX_TOTAL_CHARS:
            raise _NotPlain(f"is too large: limit {MAX_TOTAL_CHARS} characters in all answers together")


def _text(value: str) -> str:
    if len(value) > MAX_ANSWER_CHARS:
        raise _NotPlain(f"is too long ({len(value)} characters): limit {MAX_ANSWER_CHARS}")
    return value.encode("utf-8", "replace").decode("utf-8")           # lone surrogates cannot reach a file


def _number(value: Any) -> int | float:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(int(value)).bit_length() > _MAX_INT_BITS:
            raise _NotPlain(f"is an integer with more than {MAX_INT_DIGITS} digits")
        return int(value)
    number = float(value)
    if not math.isfinite(number):
        raise _NotPlain("is not a finite number: write it as text, e.g. 'inf'")
    return number


def _scalar_of(value: Any) -> Any:
    """numpy scalars and 0-d arrays (e.g. from a tensor's .numpy()) stand for their number; None otherwise."""
    try:
        import numpy as np
    except ImportError:                                                # pragma: no cover
        return None
    if isinstance(value, np.generic) or (type(value) is np.ndarray and value.ndim == 0):
        item = value.item()
        return item if type(item) in (bool, int, float) else None
    return None


def _plain(value: Any, depth: int, budget: _Budget) -> Any:
    if depth > MAX_DEPTH:
        raise _NotPlain(f"is nested too deeply: limit {MAX_DEPTH} levels")
    budget.spend()
    if value is None or type(value) in (bool, int, float):
        return value if value is None else _number(value)
    if type(value) is str:
        budget.spend(0, len(value))
        return _text(value)
    if type(value) in (list, tuple):
        budget.spend(len(value))
        return [_plain(v, depth + 1, budget) for v in value]
    if type(value) is dict:
        budget.spend(len(value))
        return {_key(k, budget): _plain(v, depth + 1, budget) for k, v in value.items()}
    scalar = _scalar_of(value)
    if scalar is not None:
        return _number(scalar)
    name = getattr(value, "type_name", None) if type(value).__name__ == "Unsupported" else type(value).__name__
    if type(value).__name__ == "ndarray":
        name = "an array"
    raise _NotPlain(f"is {str(name)[:60]}, not plain data ({_ALLOWED})")


def _key(key: Any, budget: _Budget) -> str:
    """Mapping keys become text: YAML may read `1:` or `true:` as a number or a boolean."""
    if type(key) is str:
        budget.spend(0, len(key))
        if len(key) > 200:
            raise _NotPlain("has a key longer than 200 characters")
        return _text(key)
    if key is None or type(key) in (bool, int, float):
        return str(_number(key)).lower() if type(key) is bool else str(_number(key) if key is not None else "null")
    raise _NotPlain(f"has a key of type {type(key).__name__}; keys must be text")


def _shown(key: Any) -> str:
    if type(key) is str:
        return repr(key[:60])
    if type(key) is int and abs(key).bit_length() > _MAX_INT_BITS:
        return "a very long number"
    return repr(key)[:60] if key is None or type(key) in (bool, int, float) else f"a key of type {type(key).__name__}"


def plain_answers(value: Any, *, source: str = "answers.yaml") -> tuple[dict[str, Any], tuple[str, ...]]:
    """-> (answers as plain data, problems). Each problem names the answer and says what to fix."""
    if value is None:
        return {}, ()
    if type(value) is not dict:
        return {}, (f"{source} must be a mapping from question id to answer.",)
    answers: dict[str, Any] = {}
    problems: list[str] = []
    budget = _Budget()
    for index, (key, item) in enumerate(value.items()):
        if index == MAX_KEYS:
            problems.append(f"{source} has more than {MAX_KEYS} answers; the rest were not read.")
            break
        try:
            answers[_key(key, budget)] = _plain(item, 1, budget)
        except (_NotPlain, RecursionError, ValueError, OverflowError) as why:
            reason = why if isinstance(why, _NotPlain) else f"could not be read ({type(why).__name__})"
            problems.append(f"{source}: the answer {_shown(key)} {reason}. Write {_ALLOWED}.")
    return answers, tuple(problems)
