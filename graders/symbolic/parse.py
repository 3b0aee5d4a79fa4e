"""From the string a student wrote to SymPy objects over the question's vocabulary, or an AnswerError.

An answer is LaTeX when it contains a backslash or a brace, plain math otherwise. Either way the same
tokenizer vets every name first; plain math is then parsed by `plain`, LaTeX by SymPy's grammar through
`latex`. A chain of relations (`d_ap < d_an < d_ap + alpha`, `sigma^2 = sqrt(D)`) is split at its top-level
relation signs and each side parsed on its own. Nothing here calls `eval`, `exec`, `sympify` or
`parse_expr`.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy

from .latex import parse_latex_tokens
from .plain import parse_tokens
from .tokens import MAX_LENGTH, AnswerError, Token, normalise_text, tokenize
from .vocabulary import Vocabulary

__all__ = ["Answer", "parse_answer", "parse_expression", "AnswerError", "to_latex"]

MAX_TOKENS = 300


@dataclass(frozen=True)
class Answer:
    """`sides[0] relations[0] sides[1] ...`; a plain expression has one side and no relations."""
    sides: tuple[sympy.Expr, ...]
    relations: tuple[str, ...]
    text: str
    is_latex: bool

    @property
    def is_expression(self) -> bool:
        return not self.relations

    @property
    def expression(self) -> sympy.Expr:
        if self.relations:
            raise ValueError("a relation has no single expression")
        return self.sides[0]


def parse_answer(raw: str, vocabulary: Vocabulary, *, big_o: bool = False) -> Answer:
    """Parse one answer string. Raises AnswerError (with a position when known)."""
    if len(raw) > MAX_LENGTH:
        raise AnswerError(f"The answer is longer than {MAX_LENGTH} characters.")
    text = normalise_text(raw)
    if not text:
        raise AnswerError("The answer is empty.")
    is_latex = any(ch in text for ch in "\\{}")
    tokens = tokenize(text, vocabulary, latex=is_latex, big_o=big_o)
    if len(tokens) > MAX_TOKENS:
        raise AnswerError(f"The answer has more than {MAX_TOKENS} symbols.")
    segments, relations = _split_relations(tokens, text)
    parse = parse_latex_tokens if is_latex else parse_tokens
    try:
        sides = tuple(parse(segment, text) for segment in segments)
    except RecursionError:
        raise AnswerError("The answer is nested too deeply.") from None
    return Answer(sides, tuple(relations), text, is_latex)


def parse_expression(raw: str, vocabulary: Vocabulary, *, big_o: bool = False) -> sympy.Expr:
    """A trusted expression (a reference, a substitution rule): raises ValueError when it is not one."""
    try:
        answer = parse_answer(raw, vocabulary, big_o=big_o)
    except AnswerError as error:
        raise ValueError(f"cannot parse {raw!r}: {error.message}\n{error.caret()}") from None
    if not answer.is_expression:
        raise ValueError(f"{raw!r} is a relation, not an expression")
    return answer.expression


def _split_relations(tokens: list[Token], text: str) -> tuple[list[list[Token]], list[str]]:
    segments, relations, current, depth = [], [], [], 0
    for token in tokens:
        if token.kind == "op" and token.text in "([{":
            depth += 1
        elif token.kind == "op" and token.text in ")]}":
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
        current.append(token)
    if relations and not current:
        raise AnswerError(f"Something is missing after '{relations[-1]}'.", text, len(text))
    segments.append(current)
    return segments, relations


def to_latex(expr: sympy.Expr, vocabulary: Vocabulary) -> str:
    """LaTeX of an expression with the vocabulary's own spellings (`\\|q\\|^2`, `D_{\\text{random}}`)."""
    return sympy.latex(expr, symbol_names=vocabulary.latex_names())
