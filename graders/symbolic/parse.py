"""From the string a student wrote to SymPy objects over the question's vocabulary, or an AnswerError.

Pipeline, each stage on plain data: named normalisation steps (`notation`) -> tokens (`tokens`, every name
vetted against the vocabulary) -> clauses and relations, split on tokens (never on raw text) -> one tree per
side (`grammar`, the same grammar for LaTeX and plain math). What the reader did is kept in `Answer.steps`
("as read" evidence): e.g. `index-subscripts`, `label-dropped`, `interval`, `conjunction`.

- Clauses: top-level `and`, `\\land`, `,`, `;`, `\\quad`/`\\qquad` between two relations (a spacing command
  between parts of one expression is only space) make a conjunction of conditions; `\\Rightarrow` keeps the
  last clause (the conclusion).
- Relations: a clause `a < b <= c` or `a = b = c` (also `:=`) is split at its top-level relation signs.
- `x \\in (a, b)` is the chain `a < x < b` (`[` and `]` for <=).
- Labels: an equation whose left side names something outside the vocabulary (`f(q) = ...`,
  `\\text{cost} = O(...)`, `query_factor = ...`) is read as its right side.
Nothing here calls `eval`, `exec`, `sympify` or `parse_expr`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import sympy

from .grammar import parse_tokens
from .notation import normalise
from .tokens import BOUND_WRAPPER, MAX_LENGTH, AnswerError, Token, check_brackets, tokenize
from .vocabulary import Vocabulary

__all__ = ["Answer", "Clause", "parse_answer", "parse_expression", "AnswerError", "to_latex"]

MAX_TOKENS = 300
_OPEN, _SHUT = "([{", ")]}"


@dataclass(frozen=True)
class Clause:
    """`sides[0] relations[0] sides[1] ...`; a plain expression has one side and no relations."""
    sides: tuple[sympy.Expr, ...]
    relations: tuple[str, ...]


@dataclass(frozen=True)
class Answer:
    """One answer as read: its clauses (a conjunction of conditions when there are several), the text the
    tokenizer read and the names of the normalisation steps applied. `sides`/`relations` are those of the
    last clause (the only one, for anything but a conjunction)."""
    clauses: tuple[Clause, ...]
    text: str
    is_latex: bool
    steps: tuple[str, ...] = ()

    @property
    def sides(self) -> tuple[sympy.Expr, ...]:
        return self.clauses[-1].sides

    @property
    def relations(self) -> tuple[str, ...]:
        return self.clauses[-1].relations

    @property
    def is_expression(self) -> bool:
        return len(self.clauses) == 1 and not self.relations

    @property
    def expression(self) -> sympy.Expr:
        if not self.is_expression:
            raise ValueError("a relation has no single expression")
        return self.sides[0]

    def as_read(self) -> dict:
        """Evidence for reports: the text read and each normalisation step, by name."""
        return {"text": self.text, "steps": list(self.steps)}


def parse_answer(raw: str, vocabulary: Vocabulary, *, big_o: bool = False) -> Answer:
    """Parse one answer string. Raises AnswerError (with a position when known)."""
    if len(raw) > MAX_LENGTH:
        raise AnswerError(f"The answer is longer than {MAX_LENGTH} characters.")
    text, steps = normalise(raw, vocabulary)
    if not text:
        raise AnswerError("The answer is empty.")
    is_latex = "\\" in text or "{" in text
    try:
        text, tokens, label = _drop_label(text, vocabulary, is_latex, big_o)
    except AnswerError:
        found = _bound_among_words(text, vocabulary, is_latex) if big_o else None
        if found is None:
            raise
        text, tokens, label = found
    steps += label
    if len(tokens) > MAX_TOKENS:
        raise AnswerError(f"The answer has more than {MAX_TOKENS} symbols.")
    groups, more = _clauses(tokens, text)
    steps += more
    clauses = []
    for group in groups:
        group, interval = _interval(group, text)
        steps += interval
        check_brackets(group, text)
        segments, relations = _split_relations(group, text)
        try:
            sides = tuple(parse_tokens(segment, text, latex=is_latex) for segment in segments)
        except RecursionError:
            raise AnswerError("The answer is nested too deeply.") from None
        clauses.append(Clause(sides, tuple(relations)))
    return Answer(tuple(clauses), text, is_latex, tuple(dict.fromkeys(steps)))


def parse_expression(raw: str, vocabulary: Vocabulary, *, big_o: bool = False) -> sympy.Expr:
    """A trusted expression (a reference, a substitution rule): raises ValueError when it is not one."""
    try:
        answer = parse_answer(raw, vocabulary, big_o=big_o)
    except AnswerError as error:
        raise ValueError(f"cannot parse {raw!r}: {error.message}\n{error.caret()}") from None
    if not answer.is_expression:
        raise ValueError(f"{raw!r} is a relation, not an expression")
    return answer.expression


# ---------------------------------------------------------------------------------------------- labels
def _drop_label(text: str, vocabulary: Vocabulary, latex: bool, big_o: bool):
    """Tokens of `text`; when they cannot be read because of what stands left of the first top-level '='
    (a name outside the vocabulary: a label such as `f(q)`), the tokens of what follows it."""
    try:
        return text, tokenize(text, vocabulary, latex=latex, big_o=big_o), ()
    except AnswerError as error:
        equals = _top_level_equals(text)
        if equals is None or error.position is None or error.position >= equals[0]:
            raise
        try:
            left = tokenize(text[:equals[0]], vocabulary, latex=latex, big_o=big_o)
        except AnswerError:
            left = None
        if left is not None:
            raise
        rest = text[equals[1]:].strip()
        if not rest:
            raise
        return rest, tokenize(rest, vocabulary, latex=latex, big_o=big_o), ("label-dropped",)


# ---------------------------------------------------------------------------------------------- words around a bound
_WORDS_BEFORE = re.compile(r"(?:(?:about|approximately|roughly|around|it\s+is|the\s+cost\s+is|cost|is|~|≈|\\approx|\\sim"
                           r"|:)\s*)*", re.I)
_WORDS_AFTER = re.compile(r"\s*(?:(?:time|operations|ops|flops|multiplications|in\s+total|total|overall)\s*)*"
                          r"(?:[,;].*)?[.\s]*", re.I | re.S)


def _bound_among_words(text: str, vocabulary: Vocabulary, latex: bool):
    """For an answer that cannot be read as written: (bound, its tokens, steps) when it is one bound with words
    that are not math around it: "about O(N D)", "O(N L M) time", "O(N D), linear in N" (a clause after a comma
    says nothing about the bound). None otherwise, and when the bound itself cannot be read."""
    starts = list(BOUND_WRAPPER.finditer(text))
    end = _closing(text, starts[0].end()) if len(starts) == 1 else None
    if end is None:
        return None
    before, bound, after = text[:starts[0].start()], text[starts[0].start():end], text[end:]
    if not (_WORDS_BEFORE.fullmatch(before.strip()) and _WORDS_AFTER.fullmatch(after)):
        return None
    try:
        return bound, tokenize(bound, vocabulary, latex=latex, big_o=True), ("words-around-bound",)
    except AnswerError:
        return None


def _closing(text: str, i: int) -> int | None:
    """The index after the bracket that closes the first one at or after `i`."""
    depth = 0
    for j in range(i, len(text)):
        if text[j] in _OPEN:
            depth += 1
        elif text[j] in _SHUT:
            depth -= 1
            if depth == 0:
                return j + 1
    return None


def _top_level_equals(text: str) -> tuple[int, int] | None:
    depth = 0
    for i, ch in enumerate(text):
        if ch in _OPEN:
            depth += 1
        elif ch in _SHUT:
            depth -= 1
        elif depth == 0 and text.startswith(":=", i):
            return i, i + 2
        elif depth == 0 and ch == "=" and text[i - 1:i] not in ("<", ">", "!", ":") and text[i + 1:i + 2] != ">":
            return i, i + 1
        elif depth == 0 and text.startswith("\\coloneqq", i):
            return i, i + len("\\coloneqq")
    return None


# ---------------------------------------------------------------------------------------------- clauses
def _top_level(tokens: list[Token]):
    """(index, token) of the tokens outside any bracket."""
    depth = 0
    for i, token in enumerate(tokens):
        if token.kind == "op" and token.text in _OPEN:
            depth += 1
        elif token.kind == "op" and token.text in _SHUT:
            depth -= 1
        elif depth == 0:
            yield i, token


def _clauses(tokens: list[Token], text: str) -> tuple[list[list[Token]], tuple[str, ...]]:
    """Split at top-level separators into conditions. A spacing command (`\\quad`) or a comma only separates
    when every piece is a condition; otherwise it is space (and a comma stays for the grammar to refuse)."""
    cuts = [(i, t) for i, t in _top_level(tokens) if t.kind == "sep" or (t.kind == "op" and t.text == ",")]
    inner_seps = [t for t in tokens if t.kind == "sep" and t not in {c for _, c in cuts}]
    if inner_seps:
        raise AnswerError("A second condition or a spacing command cannot stand inside brackets.", text,
                          inner_seps[0].start)
    if not cuts:
        return [tokens], ()
    pieces, start = [], 0
    for i, _ in cuts:
        pieces.append(tokens[start:i])
        start = i + 1
    pieces.append(tokens[start:])
    pieces = [p for p in pieces if p]
    if len(pieces) == 1 and any(t.kind in ("rel", "in") for _, t in _top_level(pieces[0])):
        return pieces, ("dangling-connective",)                   # `a < b,` or `a < b \quad\text{and}`
    has_relation = [any(t.kind in ("rel", "in") for _, t in _top_level(p)) for p in pieces]
    if len(pieces) > 1 and all(has_relation):
        if any(t.kind == "sep" and t.text == "then" for _, t in cuts):
            return [pieces[-1]], ("conclusion-kept",)
        return pieces, ("conjunction",)
    strong = [t for _, t in cuts if (t.kind == "sep" and t.text != "weak")]
    if strong and any(has_relation):
        raise AnswerError("Each condition joined by 'and' (or ',', ';') needs its own relation, as in "
                          "a < b and b < c.", text, strong[0].start)
    if strong and not any(has_relation):
        raise AnswerError(f"Unexpected '{text[strong[0].start:strong[0].end]}': write one expression.", text,
                          strong[0].start)
    kept = [t for t in tokens if not (t.kind == "sep" and t.text == "weak")]
    return [kept], ("spacing-ignored",) if len(kept) < len(tokens) else ()


def _interval(tokens: list[Token], text: str) -> tuple[list[Token], tuple[str, ...]]:
    """`x \\in (a, b]` -> `a < x <= b` (as tokens)."""
    found = [(i, t) for i, t in _top_level(tokens) if t.kind == "in"]
    if not found:
        return tokens, ()
    i, token = found[0]
    rest = tokens[i + 1:]
    if len(found) > 1 or not i or len(rest) < 5 or rest[0].text not in "([" or rest[-1].text not in ")]" \
            or rest[0].kind != "op" or rest[-1].kind != "op":
        raise AnswerError("Write membership as x \\in (a, b), with an interval after \\in.", text, token.start)
    depth, comma = 0, None
    for j, t in enumerate(rest[1:-1], start=1):
        if t.kind == "op" and t.text in _OPEN:
            depth += 1
        elif t.kind == "op" and t.text in _SHUT:
            depth -= 1
        elif depth == 0 and t.kind == "op" and t.text == ",":
            if comma is not None:
                raise AnswerError("An interval has two ends: (a, b).", text, t.start)
            comma = j
    if comma is None or comma == 1 or comma == len(rest) - 2:
        raise AnswerError("Write the interval with both ends: (a, b).", text, rest[0].start)
    low = Token("rel", "<" if rest[0].text == "(" else "<=", token.start, token.end)
    high = Token("rel", "<" if rest[-1].text == ")" else "<=", rest[-1].start, rest[-1].end)
    return rest[1:comma] + [low] + tokens[:i] + [high] + rest[comma + 1:-1], ("interval",)


def _split_relations(tokens: list[Token], text: str) -> tuple[list[list[Token]], list[str]]:
    segments, relations, current, depth = [], [], [], 0
    for token in tokens:
        if token.kind == "op" and token.text in _OPEN:
            depth += 1
        elif token.kind == "op" and token.text in _SHUT:
            depth -= 1
        if token.kind == "rel":
            if depth:
                raise AnswerError("Relations (=, <, ...) cannot stand inside brackets.", text, token.start)
            if not current:
                raise AnswerError(f"Something is missing before '{token.text}'.", text, token.start)
            segments.append(current)
            relations.append(token.text)
            current = []
            continue
        if token.kind == "in":
            raise AnswerError("Write membership as x \\in (a, b).", text, token.start)
        current.append(token)
    if relations and not current:
        raise AnswerError(f"Something is missing after '{relations[-1]}'.", text, len(text))
    segments.append(current)
    return segments, relations


def to_latex(expr: sympy.Expr, vocabulary: Vocabulary) -> str:
    """LaTeX of an expression with the vocabulary's own spellings (`\\|q\\|^2`, `D_{\\text{random}}`)."""
    return sympy.latex(expr, symbol_names=vocabulary.latex_names())
