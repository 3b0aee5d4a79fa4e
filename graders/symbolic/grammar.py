"""One recursive-descent grammar for plain math and the course's LaTeX (`exp(q_sq/(2*sigma^2))` and
`\\exp\\left(\\frac{\\|q\\|^2}{2\\sigma^2}\\right)` give the very same tree).

It reads tokens from `tokens.tokenize` (names already vetted against the vocabulary) and builds SymPy
objects through the guarded constructors of `build`, never `eval`. Grammar:

    expr     := term (('+' | '-') term)*
    term     := unary (('*' | '/' | <implicit>) unary)*       `a / b c` is refused as ambiguous
    unary    := ('-' | '+') unary | power
    power    := call ('^' exponent)?                          right-associative
    exponent := unary              in plain math (`D^(1/4)`, `N^1.5`, `sigma**-2`)
              | group | '-'? token  in LaTeX (`D^{1/4}`, `\\sigma^2`; `\\sigma^23` is refused as unclear)
    call     := func ('^' exponent)? ('_' base)? (bracketed args | argument)
              | '\\frac' argument argument | '\\sqrt' ('[' expr ']')? argument | wrap bracketed | atom
    atom     := number | name | constant | '(' expr ')' | '[' expr ']' | '{' expr '}' | '|' expr '|'

A LaTeX argument is a braced group or one token, as in TeX (`\\frac12`, `\\frac1N`, `\\sqrt D`). A function
written without brackets takes the next factor and any factor written right against it: `\\log ND` is
log(N D), `\\log N \\, D` and `N log N D` are log(N) D.
"""
from __future__ import annotations

import sympy

from . import build
from .tokens import AnswerError, Token

__all__ = ["parse_tokens"]

_ATOM_START = {"num", "name", "const", "func", "wrap", "frac"}
_CLOSE = {"(": ")", "[": "]", "{": "}"}


def parse_tokens(tokens: list[Token], text: str, *, latex: bool) -> sympy.Expr:
    """One expression from `tokens` (no relations). Raises AnswerError."""
    if not tokens:
        raise AnswerError("The answer is empty.", text, 0)
    parser = _Parser(list(tokens), text, latex)
    expr = parser.expr()
    if parser.i < len(parser.tokens):
        token = parser.tokens[parser.i]
        raise AnswerError(f"Unexpected '{text[token.start:token.end]}'.", text, token.start)
    return expr


class _Parser:
    def __init__(self, tokens: list[Token], text: str, latex: bool):
        self.tokens, self.text, self.latex, self.i = tokens, text, latex, 0

    # ------------------------------------------------------------------ token helpers
    def peek(self, ahead: int = 0) -> Token | None:
        j = self.i + ahead
        return self.tokens[j] if j < len(self.tokens) else None

    def is_op(self, *ops: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token is not None and token.kind == "op" and token.text in ops

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            self.fail("The answer ends too early.")
        self.i += 1
        return token

    def expect(self, op: str) -> None:
        token = self.peek()
        if token is None or token.kind != "op" or token.text != op:
            self.fail(f"Expected '{op}' here.", token)
        self.i += 1

    def fail(self, message: str, token: Token | None = None):
        raise AnswerError(message, self.text, len(self.text) if token is None else token.start)

    def guarded(self, token: Token, build_value):
        try:
            return build_value()
        except AnswerError as error:
            raise AnswerError(error.message, self.text, token.start) from None

    # ------------------------------------------------------------------ grammar
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
            elif token is not None and (token.kind in _ATOM_START or self.is_op("(", "[", "{")):
                if divided:
                    self.fail("Ambiguous: write (a/b)*c or a/(b*c) with parentheses, or \\frac{a}{b}.", token)
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
            exponent = self.exponent()
            return self.guarded(token, lambda: build.power(base, exponent))
        return base

    def exponent(self) -> sympy.Expr:
        if not self.latex:
            return self.unary()
        if self.is_op("-"):
            self.take()
            return -self.exponent()
        token = self.peek()
        if token is not None and token.kind == "num" and token.text.isdigit() and len(token.text) > 1:
            self.fail(f"Unclear multi-digit exponent: write ^{{{token.text}}} (or ^{token.text[0]} "
                      f"{token.text[1:]} for a product).", token)
        return self.argument()

    def argument(self) -> sympy.Expr:
        """A TeX argument: a braced group, or a single token (a name, a digit, a command with its own)."""
        token = self.peek()
        if token is None:
            self.fail("An argument is missing here.")
        if token.kind == "op" and token.text in _CLOSE:
            return self.atom()
        if token.kind in ("func", "frac", "wrap"):
            return self.call()
        if token.kind in ("name", "const", "num"):
            return self.atom()
        self.fail("Put this argument in braces.", token)

    def call(self) -> sympy.Expr:
        token = self.peek()
        if token is None:
            self.fail("The answer ends too early.")
        if token.kind == "wrap":
            self.take()
            if not self.is_op("(", "[", "{"):
                self.fail("Write the bound as O(...).", token)
            return self.atom()
        if token.kind == "frac":
            self.take()
            self.split_digits(2, token)
            numerator = self.argument()
            self.split_digits(1, token)
            denominator = self.argument()
            if denominator == 0:
                self.fail("The answer divides by zero.", token)
            return numerator / denominator
        if token.kind != "func":
            return self.atom()
        self.take()
        if token.text == "sqrt":
            return self.root(token)
        exponent = None
        if self.is_op("^"):                                   # log^2 N, \log^{2}(N)
            self.take()
            exponent = self.exponent() if self.latex else self.call()
        base = None
        if token.text == "log" and self.is_op("_"):           # \log_2 N, log_{10}(N)
            self.take()
            base = self.argument()
        args = self.arguments() if self.is_op("(") else [self.bare_argument()]
        value = self.guarded(token, lambda: build.apply_function(token.text, args))
        if base is not None:
            value = self.guarded(token, lambda: value / build.apply_function("log", [base]))
        return value if exponent is None else self.guarded(token, lambda: build.power(value, exponent))

    def root(self, token: Token) -> sympy.Expr:
        degree = None
        if self.is_op("["):
            self.take()
            degree = self.expr()
            self.expect("]")
        if self.is_op("("):
            (radicand,) = self.arguments()
        else:
            radicand = self.argument() if self.latex else self.power()
        if degree is None:
            return self.guarded(token, lambda: build.apply_function("sqrt", [radicand]))
        if degree == 0:
            self.fail("A root of degree 0 is undefined.", token)
        return self.guarded(token, lambda: build.power(radicand, 1 / degree))

    def bare_argument(self) -> sympy.Expr:
        """`\\log N`, `log ND`: the next factor, and the factors written right against it."""
        if self.is_op("{"):
            return self.atom()
        value = self.power()
        while True:
            token, previous = self.peek(), self.tokens[self.i - 1]
            if token is None or token.start != previous.end or token.kind not in ("name", "num", "const"):
                return value
            value = value * self.power()

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
        if token.kind == "op" and token.text in _CLOSE:
            inner = self.expr()
            self.expect(_CLOSE[token.text])
            return inner
        if token.kind == "op" and token.text == "|":
            inner = self.expr()
            self.expect("|")
            return sympy.Abs(inner)
        if token.kind == "sep":
            self.fail("A second condition or a spacing command cannot stand here.", token)
        self.fail(f"Unexpected '{self.text[token.start:token.end]}'.", token)

    def split_digits(self, count: int, frac: Token) -> None:
        """TeX reads `\\frac12` as \\frac{1}{2}: a digit run after \\frac gives one digit per argument."""
        token = self.peek()
        if token is None or token.kind != "num" or not token.text.isdigit() or len(token.text) == 1:
            return
        if len(token.text) != count:
            self.fail(f"Unclear: write \\frac{{...}}{{...}} with braces around multi-digit numbers.", token)
        digits = [Token("num", d, token.start + k, token.start + k + 1, _fraction(d)) for k, d in enumerate(token.text)]
        self.tokens[self.i:self.i + 1] = digits


def _fraction(digit: str):
    from fractions import Fraction
    return Fraction(int(digit))
