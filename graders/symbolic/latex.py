"""LaTeX answers: a normaliser in front of SymPy's ANTLR LaTeX grammar, and a checked rebuild after it.

`parse_latex` builds a tree without `eval`, but it has traps: `D_{random}(D+M)` becomes a function call,
`\\mathcal{O}(N^2 D)` becomes `mathcal*O*D*N**2`, `a < b < c` raises, and numbers go through `sympify`.
So the normaliser rewrites the vetted tokens (`tokens.tokenize`) into LaTeX where every name and number is
an opaque placeholder `\\mathit{zv..}` / `\\mathit{zn..}`: the grammar only contributes structure
(fractions, roots, powers, implicit products), and `_rebuild` maps placeholders back to the vocabulary's
symbols and exact numbers through the guarded constructors of `build`. Any node outside a small whitelist
makes the answer invalid. The LaTeX parser is imported lazily (it costs about half a second).
"""
from __future__ import annotations

import re
import string

import sympy

from . import build
from .tokens import AnswerError, Token

__all__ = ["parse_latex_tokens"]

_CLOSING = {"(": ")", "[": "]", "{": "}"}
_LATEX_FUNCTIONS = {"exp": r"\exp", "log": r"\log"}
_VARIADIC = ("max", "min")


def parse_latex_tokens(tokens: list[Token], text: str) -> sympy.Expr:
    """One expression from vetted LaTeX `tokens` (no relations). Raises AnswerError."""
    if not tokens:
        raise AnswerError("The answer is empty.", text, 0)
    emitter = _Emitter(tokens, text)
    source = emitter.emit(0, len(tokens))
    tree = _antlr_parse(source, emitter, text)
    try:
        return _rebuild(tree, emitter.values)
    except AnswerError as error:
        raise AnswerError(error.message, text, error.position) from None


def _placeholder(prefix: str, index: int) -> str:
    letters = ""
    while True:
        index, digit = divmod(index, 26)
        letters = string.ascii_lowercase[digit] + letters
        if index == 0:
            return rf"\mathit{{{prefix}{letters}}}"


class _Emitter:
    """Writes tokens as LaTeX for the grammar, remembering where each piece came from (for carets)."""

    def __init__(self, tokens: list[Token], text: str):
        self.tokens, self.text = tokens, text
        self.values: dict[str, sympy.Expr] = {}
        self.origins: list[tuple[int, int]] = []     # (offset in emitted LaTeX, offset in the answer)
        self.length = 0
        self.partner = _match_brackets(tokens)

    def out(self, piece: str, origin: int) -> str:
        self.origins.append((self.length, origin))
        self.length += len(piece)
        return piece

    def value(self, prefix: str, value: sympy.Expr, origin: int) -> str:
        name = _placeholder(prefix, len(self.values))
        self.values[name[len(r"\mathit{"):-1]] = value
        return self.out(name + " ", origin)

    def emit(self, start: int, stop: int) -> str:
        pieces, i = [], start
        while i < stop:
            piece, i = self.emit_one(i, stop)
            pieces.append(piece)
        return "".join(pieces)

    def emit_one(self, i: int, stop: int) -> tuple[str, int]:
        token = self.tokens[i]
        if token.kind == "name" or token.kind == "const":
            return self.value("zv", token.value, token.start), i + 1
        if token.kind == "num":
            return self.value("zn", build.number(token.value), token.start), i + 1
        if token.kind == "op" and token.text in _CLOSING:
            close = self.partner[i]
            opening = self.out("(" if token.text == "[" else token.text, token.start)
            inner = self.emit(i + 1, close)
            closing = self.out(")" if token.text == "[" else _CLOSING[token.text], self.tokens[close].start)
            return opening + inner + closing, close + 1
        if token.kind == "op" and token.text == "^":
            return self.superscript(i, stop)
        if token.kind == "frac":
            first, j = self.argument(i + 1, stop, token)
            second, k = self.argument(j, stop, token)
            return self.out(r"\frac", token.start) + first + second, k
        if token.kind == "func":
            return self.function(i, stop)
        if token.kind == "wrap":
            if i + 1 >= stop or self.tokens[i + 1].text not in ("(", "["):
                raise AnswerError("Write the bound as O(...).", self.text, token.start)
            return "", i + 1
        if token.kind == "op":
            if token.text == "/" and self.factors_after(i + 1, stop) > 1:
                raise AnswerError(r"Ambiguous: write \frac{a}{b c} or (a/b) c.", self.text, token.start)
            return self.out(token.text + " ", token.start), i + 1
        raise AnswerError(f"Unexpected '{self.text[token.start:token.end]}'.", self.text, token.start)

    def factors_after(self, i: int, stop: int) -> int:
        """How many factors the product right after a '/' has: `a / 2 sigma^2` has two (ambiguous)."""
        factors = 0
        while i < stop:
            token = self.tokens[i]
            if token.kind == "rel" or token.kind == "op" and token.text in "+-*/)]},|":
                break
            if token.kind == "op" and token.text == "^":
                i = self.skip_argument(i + 1 + (i + 1 < stop and self.tokens[i + 1].text == "-"), stop)
                continue
            factors += 1
            if token.kind == "frac":
                i = self.skip_argument(self.skip_argument(i + 1, stop), stop)
            elif token.kind == "func":
                if i + 1 < stop and self.tokens[i + 1].text == "[":
                    i = self.partner[i + 1]
                i = self.skip_argument(i + 1, stop)
            else:
                i = self.skip_argument(i, stop)
        return factors

    def skip_argument(self, i: int, stop: int) -> int:
        """The index after one atom or bracketed group starting at i."""
        if i < stop and self.tokens[i].kind == "op" and self.tokens[i].text in _CLOSING:
            return self.partner[i] + 1
        return i + 1

    def argument(self, i: int, stop: int, owner: Token) -> tuple[str, int]:
        """One LaTeX argument, always emitted in braces: a group, one digit, or one name."""
        if i >= stop:
            raise AnswerError("This command needs an argument.", self.text, owner.start)
        token = self.tokens[i]
        if token.kind == "op" and token.text == "{":
            close = self.partner[i]
            return self.out("{", token.start) + self.emit(i + 1, close) + self.out("}", token.start), close + 1
        if token.kind == "num" and len(token.text) > 1:
            raise AnswerError("Put multi-digit numbers in braces here, e.g. x^{12} or \\frac{12}{5}.",
                              self.text, token.start)
        if token.kind in ("num", "name", "const") or token.kind == "op" and token.text in ("(", "["):
            opening = self.out("{", token.start)
            piece, j = self.emit_one(i, stop)
            return opening + piece + self.out("}", token.start), j
        raise AnswerError("Put this argument in braces.", self.text, token.start)

    def superscript(self, i: int, stop: int) -> tuple[str, int]:
        caret = self.out("^", self.tokens[i].start)
        j = i + 1
        if j < stop and self.tokens[j].kind == "op" and self.tokens[j].text == "-":
            if j + 1 >= stop:
                raise AnswerError("The exponent is missing.", self.text, self.tokens[j].start)
            opening = self.out("{-", self.tokens[j].start)
            piece, k = self.argument(j + 1, stop, self.tokens[i])
            return caret + opening + piece + self.out("}", self.tokens[j].start), k
        piece, k = self.argument(j, stop, self.tokens[i])
        return caret + piece, k

    def function(self, i: int, stop: int) -> tuple[str, int]:
        token = self.tokens[i]
        has_parens = i + 1 < stop and self.tokens[i + 1].kind == "op" and self.tokens[i + 1].text == "("
        if token.text == "sqrt":
            if i + 1 < stop and self.tokens[i + 1].kind == "op" and self.tokens[i + 1].text == "[":
                close = self.partner[i + 1]
                root = self.out(r"\sqrt[", token.start) + self.emit(i + 2, close) + self.out("]", token.start)
                body, k = self.argument(close + 1, stop, token)
                return root + body, k
            if has_parens:
                close = self.partner[i + 1]
                return self.out(r"\sqrt{", token.start) + self.emit(i + 2, close) + self.out("}", token.start), close + 1
            body, k = self.argument(i + 1, stop, token)
            return self.out(r"\sqrt", token.start) + body, k
        if token.text in _VARIADIC:
            if not has_parens:
                raise AnswerError(f"Write {token.text}(a, b).", self.text, token.start)
            close = self.partner[i + 1]
            head = self.out(rf"f_{{\mathit{{z{token.text}}}}}(", token.start)
            return head + self.emit(i + 2, close) + self.out(")", token.start), close + 1
        name = self.out(_LATEX_FUNCTIONS[token.text], token.start)
        if i + 1 < stop and self.tokens[i + 1].kind == "op" and self.tokens[i + 1].text == "{":
            close = self.partner[i + 1]                  # \log{(x)}^2 is (log x)^2, as SymPy prints it
            return name + self.out("(", token.start) + self.emit(i + 2, close) + self.out(")", token.start), close + 1
        return name + " ", i + 1

    def origin(self, offset: int) -> int:
        best = 0
        for emitted, original in self.origins:
            if emitted > offset:
                break
            best = original
        return best


def _match_brackets(tokens: list[Token]) -> dict[int, int]:
    partner, stack = {}, []
    for i, token in enumerate(tokens):
        if token.kind != "op":
            continue
        if token.text in _CLOSING:
            stack.append(i)
        elif token.text in _CLOSING.values() and stack:
            partner[stack.pop()] = i
    return partner


def _antlr_parse(source: str, emitter: _Emitter, text: str):
    from sympy.parsing.latex import parse_latex                       # lazy: ~0.5 s to import
    from sympy.parsing.latex.errors import LaTeXParsingError
    try:
        return parse_latex(source, strict=True)
    except LaTeXParsingError as error:
        marker = re.search(r"\n(~*)\^\s*$", str(error))
        where = emitter.origin(len(marker.group(1))) if marker else None
        raise AnswerError("This LaTeX could not be read.", text, where) from None
    except (TypeError, ValueError, AttributeError, RecursionError):
        raise AnswerError("This LaTeX could not be read.", text, None) from None


def _rebuild(node, values: dict[str, sympy.Expr]) -> sympy.Expr:
    """Map the grammar's tree onto vocabulary symbols and exact numbers; refuse anything else."""
    if isinstance(node, sympy.Symbol):
        if node.name not in values:
            raise AnswerError("This LaTeX could not be read.")
        return values[node.name]
    if isinstance(node, sympy.Rational) or node is sympy.E:
        return node
    args = [_rebuild(arg, values) for arg in node.args]
    if isinstance(node, sympy.Add):
        return sympy.Add(*args)
    if isinstance(node, sympy.Mul):
        return sympy.Mul(*args)
    if isinstance(node, sympy.Pow):
        return build.power(*args)
    if isinstance(node, sympy.exp):
        return build.apply_function("exp", args)
    if isinstance(node, sympy.log):
        if len(args) == 2 and args[1] != sympy.E:
            return build.apply_function("log", args[:1]) / build.apply_function("log", args[1:])
        return build.apply_function("log", args[:1])
    if isinstance(node, sympy.Abs):
        return sympy.Abs(*args)
    if isinstance(node, sympy.core.function.AppliedUndef) and node.func.__name__ in ("f_{zmax}", "f_{zmin}"):
        return build.apply_function(node.func.__name__[4:-1], args)
    raise AnswerError(f"'{type(node).__name__}' is not supported in answers.")
