"""A judge for conditions written as (chains of) inequalities: `d_ap < d_an < d_ap + alpha`.

Two conditions are the same when they agree on about 2000 seeded random points of the declared domain.
A boundary has measure zero, so `<` and `<=` on the same boundary agree (a documented, deliberate choice); a
suite that grades one boundary evaluates `holds` on points of it (e.g. a strict lower bound, checked where the
two sides are equal).
When they disagree, the verdict says whether the answer is too strict or too permissive and shows one
point where it goes wrong, never the reference condition.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np

from graders.model import Verdict

from .evaluate import Undefined, array_values
from .parse import Answer, Clause, parse_answer, to_latex
from .verdicts import Distractor, guarded, invalid, read_answer
from .vocabulary import Vocabulary

__all__ = ["holds", "inequality"]

Judge = Callable[[Any], Verdict]
_COMPARE = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal, "=": np.equal}


def inequality(reference: str, vocabulary: Vocabulary, domain: Mapping[str, tuple[float, float]], *,
               distractors: Sequence[Distractor] = (), points: int = 2000, seed: int = 0) -> Judge:
    """`inequality("d_ap < d_an < d_ap + alpha", distances, {"d_ap": (0, 2), "d_an": (0, 2),
    "alpha": (0, 1)})`: each symbol uniform on its interval."""
    unknown = set(vocabulary.symbols) - set(domain)
    if unknown:
        raise ValueError(f"the domain must cover every symbol; missing {sorted(unknown)}")
    rng = np.random.default_rng(seed)
    columns = {vocabulary.symbol(name): rng.uniform(low, high, points) for name, (low, high) in domain.items()}
    shown_reference = parse_answer(reference, vocabulary)
    expected = holds(shown_reference, columns)
    compiled = tuple((holds(parse_answer(d.answer, vocabulary), columns), d) for d in distractors)
    reference_latex = r" \land ".join(_latex(c, vocabulary) for c in shown_reference.clauses)

    def judge(raw: Any) -> Verdict:
        answer = read_answer(raw, vocabulary)                  # conditions joined by and, ',', \quad: clauses
        if isinstance(answer, Verdict):
            return answer
        clauses = answer.clauses
        if any(not clause.relations or "=" in clause.relations for clause in clauses):
            return invalid("Write the condition with inequalities (<, <=, >, >=), e.g. a < b < c.", raw,
                           as_read=answer.as_read())
        evidence = {"answer_latex": r" \land ".join(_latex(c, vocabulary) for c in clauses),
                    "reference_latex": reference_latex, "as_read": answer.as_read()}
        got = np.logical_and.reduce([_truth(clause, columns) for clause in clauses])
        if np.array_equal(got, expected):
            return Verdict.passed(**evidence)
        for truth, distractor in compiled:
            if np.array_equal(got, truth):
                return distractor.verdict(**evidence)
        note, feedback = _diagnose(got, expected, columns)
        return Verdict.failed(feedback, note, **evidence)

    return guarded(judge)


def holds(answer: Answer, columns) -> np.ndarray:
    """Where every clause of a parsed condition holds, on columns {symbol: values}."""
    return np.logical_and.reduce([_truth(clause, columns) for clause in answer.clauses])


def _truth(answer: Clause, columns) -> np.ndarray:
    if not answer.relations:
        raise ValueError("a condition needs at least one inequality")
    size = len(next(iter(columns.values())))
    try:
        values = [np.broadcast_to(array_values(side, columns), (size,)) for side in answer.sides]
    except Undefined:
        raise ValueError("this condition cannot be evaluated") from None
    truth = np.ones(size, dtype=bool)
    for left, relation, right in zip(values, answer.relations, values[1:]):
        with np.errstate(invalid="ignore"):
            truth &= _COMPARE[relation](left, right)
    return truth


def _diagnose(got: np.ndarray, expected: np.ndarray, columns) -> tuple[str, str]:
    extra = got & ~expected
    lacking = expected & ~got
    if extra.any() and not lacking.any():
        return "too-permissive", f"Your condition also holds at {_point(columns, extra)}, which does not meet it."
    if lacking.any() and not extra.any():
        return "too-strict", f"Your condition excludes {_point(columns, lacking)}, which meets it."
    return ("not-equivalent", f"Your condition holds at {_point(columns, extra)}, which does not meet it, "
            f"and fails at {_point(columns, lacking)}, which does.")


def _point(columns, mask: np.ndarray) -> str:
    index = int(np.flatnonzero(mask)[0])
    return ", ".join(f"{symbol.name}={values[index]:.3g}" for symbol, values in
                     sorted(columns.items(), key=lambda item: item[0].name))


def _latex(answer: Clause, vocabulary: Vocabulary) -> str:
    signs = {"<": "<", "<=": r"\le", ">": ">", ">=": r"\ge", "=": "="}
    pieces = [to_latex(answer.sides[0], vocabulary)]
    for relation, side in zip(answer.relations, answer.sides[1:]):
        pieces += [signs[relation], to_latex(side, vocabulary)]
    return " ".join(pieces)
