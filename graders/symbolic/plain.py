"""A recursive-descent parser for plain math (`exp(q_sq/(2*sigma^2))`, `3NDL + 2NLM`, `N log N`).

It reads tokens from `tokens.tokenize` and builds SymPy objects through `build`, never `eval`. Grammar:

    expr   := term (('+' | '-') term)*
    term   := unary (('*' | '/' | <implicit>) unary)*      `a / b c` is refused as ambiguous
    unary  := ('-' | '+') unary | power
    power  := call (('^' | '**') unary)?                     right-associative
    call   := func ('^' call)? ('(' args ')' | power) | wrap '(' expr ')' | atom
    atom   := number | name | constant | '(' expr ')' | '[' expr ']' | '|' expr '|'
"""
from __future__ import annotations

import sympy

from . import build
from .tokens import AnswerError, Token

__all__ = ["parse_tokens"]

_ATOM_START = {"num", "name", "const", "func", "wrap"}


def parse_tokens(tokens: list[Token], text: str) -> sympy.Expr:
    """One expression from `tokens` (no relations). Raises AnswerError."""
    if not tokens:
        raise AnswerError("The answer is empty.", text, 0)
    parser = _Parser(tokens, text)
    expr = parser.expr()
    if parser.i < len(tokens):
        raise AnswerError(f"Unexpected '{text[tokens[parser.i].start:tokens[parser.i].end]}'.",
                          text, tokens[parser.i].start)
    return expr


class _Parser:
    def __init__(self, tokens: list[Token], text: str):
        self.tokens, self.text, self.i = tokens, text, 0

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def is_op(self, *ops: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "op" and token.text in ops

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise AnswerError("The answer ends too early.", self.text, len(self.text))
        self.i += 1
        return token

    def expect(self, op: str) -> None:
        token = self.peek()
        if token is None or token.kind != "op" or token.text != op:
            where = len(self.text) if token is None else token.start
            raise AnswerError(f"Expected '{op}' here.", self.text, where)
        self.i += 1

    def fail(self, message: str, token: Token | None = None):
        where = len(self.text) if token is None else token.start
        raise AnswerError(message, self.text, where)

    def expr(self) -> sympy.Expr:
        result = self.term()
        while self.is_op("+", "-"):
            sign = self.take().text
            right = self.term()
            result = result + right if sign == "+" else result - right
        return result

    def term(self) -> sympy.Expr:
        result = self.unary()
        divided = False
        while True:
            token = self.peek()
            if self.is_op("*"):
                self.take()
                result, divided = result * self.unary(), False
            elif self.is_op("/"):
                self.take()
                divisor = self.unary()
                if divisor == 0:
                    self.fail("The answer divides by zero.", token)
                result, divided = result / divisor, True
            elif token is not None and (token.kind in _ATOM_START or self.is_op("(", "[")):
                if divided:
                    self.fail("Ambiguous: write (a/b)*c or a/(b*c) with parentheses.", token)
                result = result * self.unary()
            else:
                return result

    def unary(self) -> sympy.Expr:
        if self.is_op("-"):
            self.take()
            return -self.unary()
        if self.is_op("+"):
            self.take()
            return self.unary()
        return self.power()

    def power(self) -> sympy.Expr:
        base = self.call()
        if self.is_op("^"):
            token = self.take()
            try:
                return build.power(base, self.unary())
            except AnswerError as error:
                raise AnswerError(error.message, self.text, token.start) from None
        return base

    def call(self) -> sympy.Expr:
        token = self.peek()
        if token is None:
            self.fail("The answer ends too early.")
        if token.kind == "wrap":
            self.take()
            if not self.is_op("(", "["):
                self.fail("Write the bound as O(...).", token)
            return self.atom()
        if token.kind != "func":
            return self.atom()
        self.take()
        exponent = None
        if self.is_op("^"):                                   # log^2 N, log^2(N)
            self.take()
            exponent = self.call()
        args = self.arguments() if self.is_op("(") else [self.power()]
        try:
            value = build.apply_function(token.text, args)
            return value if exponent is None else build.power(value, exponent)
        except AnswerError as error:
            raise AnswerError(error.message, self.text, token.start) from None

    def arguments(self) -> list[sympy.Expr]:
        self.expect("(")
        args = [self.expr()]
        while self.is_op(","):
            self.take()
            args.append(self.expr())
        self.expect(")")
        return args

    def atom(self) -> sympy.Expr:
        token = self.take()
        if token.kind == "num":
            return build.number(token.value)
        if token.kind in ("name", "const"):
            return token.value
        if token.kind == "op" and token.text in ("(", "["):
            inner = self.expr()
            self.expect(")" if token.text == "(" else "]")
            return inner
        if token.kind == "op" and token.text == "|":
            inner = self.expr()
            self.expect("|")
            return sympy.Abs(inner)
        self.fail(f"Unexpected '{self.text[token.start:token.end]}'.", token)
