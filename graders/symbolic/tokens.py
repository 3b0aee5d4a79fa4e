"""Tokens of a math answer, plain or LaTeX, with their positions in the (normalised) text.

The tokenizer is the gate: a name is either in the question's vocabulary, a known function (`exp`, `log`,
`sqrt`, `max`, `min`), a constant (`e`, `pi`) or, for big-O answers, a wrapper (`O`, `\\Theta`,
`\\mathcal{O}`); anything else raises `AnswerError` with the position of the bad spot. Multi-letter runs
such as `NDL` are split into vocabulary names, longest first, so `N D_random` and `ND_random` agree.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy

from .vocabulary import Vocabulary

__all__ = ["Token", "AnswerError", "tokenize", "check_brackets", "BOUND_WRAPPER", "MAX_LENGTH", "MAX_DEPTH"]

MAX_LENGTH = 500          # characters of one answer
MAX_DEPTH = 30            # nested brackets
MAX_DIGITS = 40           # digits of one number

_FUNCTIONS = ("exp", "log", "ln", "sqrt", "max", "min")
_KEYWORDS = (
    [(re.compile(rf"\\?{f}(?![A-Za-z])" if f in ("ln", "max", "min") else rf"\\?{f}"), "func", f) for f in _FUNCTIONS]
    + [(re.compile(r"e"), "const", "e"), (re.compile(r"\\?pi(?![A-Za-z])"), "const", "pi"),
       (re.compile(r"and(?![A-Za-z])"), "sep", "and"), (re.compile(r"in(?![A-Za-z])"), "in", "in")]
)
_WRAPPER_PATTERNS = (
    r"O(?=\s*(?:\(|\[|\\left|\\big|\\Big))", r"\\?Theta(?![A-Za-z])",
    r"\\mathcal\s*\{\s*(?:O|\\Theta)\s*\}", r"\\mathcal\s*O", r"\\(?:mathrm|operatorname|mathbf)\s*\{\s*O\s*\}")
_WRAPPERS = [(re.compile(p), "wrap", "O") for p in _WRAPPER_PATTERNS]
BOUND_WRAPPER = re.compile("|".join(_WRAPPER_PATTERNS))     # O(, \mathcal{O}(, \Theta( ... anywhere in a text
_CONSTANTS = {"e": sympy.E, "pi": sympy.pi}

_TRANSPARENT = {"text", "mathrm", "textrm", "mathit", "operatorname", "mathsf", "mathbf", "boldsymbol", "mbox",
                "textnormal", "textit", "textbf"}
_DROPPED = {",", ";", ":", "!", " ", "displaystyle", "textstyle", "left", "right", "big",
            "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "middle"}
_COMMAND_TOKENS = {"lt": ("rel", "<"), "gt": ("rel", ">"), "le": ("rel", "<="), "leq": ("rel", "<="),
                   "leqslant": ("rel", "<="), "ge": ("rel", ">="), "geq": ("rel", ">="),
                   "geqslant": ("rel", ">="), "cdot": ("op", "*"), "times": ("op", "*"), "ast": ("op", "*"),
                   "div": ("op", "/"), "{": ("op", "("), "}": ("op", ")"), "lbrace": ("op", "("),
                   "rbrace": ("op", ")"), "frac": ("frac", "frac"), "dfrac": ("frac", "frac"),
                   "tfrac": ("frac", "frac"), "quad": ("sep", "weak"), "qquad": ("sep", "weak"),
                   "land": ("sep", "and"), "wedge": ("sep", "and"), "Rightarrow": ("sep", "then"),
                   "implies": ("sep", "then"), "Longrightarrow": ("sep", "then"), "in": ("in", "in"),
                   "coloneqq": ("rel", "="), "eqqcolon": ("rel", "=")}
_OPERATORS = [("**", "op", "^"), (":=", "rel", "="), ("=:", "rel", "="), ("&&", "sep", "and"),
              ("=>", "sep", "then"), ("<=", "rel", "<="), (">=", "rel", ">="), ("=<", "rel", "<="),
              ("==", "rel", "="), ("!=", "bad", "!="), ("<", "rel", "<"), (">", "rel", ">"), ("=", "rel", "=")]
_SINGLE = set("+-*/^()[]{},|_!;")
_PLAIN_NUMBER = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_LATEX_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_COMMAND = re.compile(r"\\(?:[A-Za-z]+|.)")
_OPENING = {"(": ")", "[": "]", "{": "}"}


class AnswerError(ValueError):
    """An answer that cannot be read; `position` points into `text` (the normalised answer)."""

    def __init__(self, message: str, text: str = "", position: int | None = None):
        super().__init__(message)
        self.message, self.text, self.position = message, text, position

    def caret(self) -> str:
        """The answer with a caret under the bad spot (two lines), or '' when there is no position."""
        if self.position is None or not self.text:
            return ""
        start = max(0, self.position - 60)
        line = self.text[start:start + 100]
        return f"{line}\n{' ' * (self.position - start)}^"


@dataclass(frozen=True)
class Token:
    kind: str                # name, num, const, func, wrap, frac, op, rel, sep (and/weak/then), in
    text: str                # canonical name, operator, function name, relation
    start: int
    end: int
    value: Any = None        # sympy value of a name or constant; Fraction of a number


def tokenize(text: str, vocabulary: Vocabulary, *, latex: bool, big_o: bool = False) -> list[Token]:
    """Tokens of `text` (already normalised). Raises AnswerError at the first bad spot."""
    lexicon = _lexicon(vocabulary, big_o)
    tokens: list[Token] = []
    groups: list[str] = []            # open braces: "group" or "transparent"
    depth, i = 0, 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        token, i_next = _next_token(text, i, lexicon, vocabulary, latex, groups, tokens[-1] if tokens else None)
        i = i_next
        if token is None:
            continue
        depth += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(token.text, 0) if token.kind == "op" else 0
        if depth > MAX_DEPTH:
            raise AnswerError(f"The answer is nested more than {MAX_DEPTH} brackets deep.", text, token.start)
        tokens.append(token)
    return tokens


def _next_token(text, i, lexicon, vocabulary, latex, groups, previous):
    match = _longest_match(text, i, lexicon)
    if match is not None:
        end, kind, name = match
        return _lexicon_token(kind, name, i, end, vocabulary), end
    if latex and text[i] == "\\":
        return _command_token(text, i, vocabulary, groups)
    number = (_LATEX_NUMBER if latex else _PLAIN_NUMBER).match(text, i)
    if number:
        return _number_token(text, number), number.end()
    for spelling, kind, canonical in _OPERATORS:
        if text.startswith(spelling, i):
            if kind == "bad":
                raise AnswerError("'!=' is not supported: write an equation or an inequality.", text, i)
            return Token(kind, canonical, i, i + len(spelling)), i + len(spelling)
    if text[i].isalpha() or text[i] == "_" and re.match(r"_*[A-Za-z]", text[i:]):
        start, word = _word_at(text, i)
        raise AnswerError(_unknown_name(word, vocabulary), text, start)
    if text[i] in _SINGLE:
        return _single_token(text, i, latex, groups, vocabulary, previous), i + 1
    raise AnswerError(f"Unexpected character '{text[i]}'.", text, i)


def _unknown_name(word: str, vocabulary: Vocabulary) -> str:
    """`Unknown name 'f'`, and where the question does use it: inside a norm such as `\\|f(x^a) - f(x^p)\\|^2`."""
    inside = vocabulary.norm_spellings(word)
    where = f" It is read only inside a quantity of this question, as in {' or '.join(inside)}." if inside else ""
    return f"Unknown name '{word}'.{where} Allowed names: {vocabulary.describe()}."


def _norm_refused(vocabulary: Vocabulary) -> str:
    """A norm the vocabulary has no spelling for: say how this question's norms are written (or that it has none)."""
    norms = vocabulary.norm_spellings()
    if not norms:
        return f"This question's answers have no norms. Allowed names: {vocabulary.describe()}."
    return (f"A norm is read only around a vector of this question, as in {' or '.join(norms)}. "
            f"Allowed names: {vocabulary.describe()}.")


def _word_at(text: str, i: int) -> tuple[int, str]:
    """The identifier-like word around position i (`exec` when the tokenizer stopped at its `x`)."""
    start = i
    while start > 0 and (text[start - 1].isalpha() or text[start - 1] == "_"):
        start -= 1
    word = re.match(r"[A-Za-z0-9_]+", text[start:]).group(0)
    return start, word[:40]


def _lexicon(vocabulary: Vocabulary, big_o: bool):
    entries = [(pattern, "name", name, priority) for pattern, name, priority in vocabulary.patterns]
    keywords = _KEYWORDS + (_WRAPPERS if big_o else [])
    entries += [(pattern, kind, name, 0) for pattern, kind, name in keywords]
    return entries


def _longest_match(text: str, i: int, lexicon):
    best = None
    for pattern, kind, name, priority in lexicon:
        m = pattern.match(text, i)
        if m is None or m.end() == i:
            continue
        rank = (m.end(), kind == "name", priority)
        if best is None or rank > best[0]:
            best = (rank, m.end(), kind, name)
    return None if best is None else best[1:]


def _lexicon_token(kind: str, name: str, start: int, end: int, vocabulary: Vocabulary) -> Token:
    if kind == "name":
        return Token("name", name, start, end, vocabulary.value(name))
    if kind == "const":
        return Token("const", name, start, end, _CONSTANTS[name])
    return Token(kind, "log" if name == "ln" else name, start, end)


def _command_token(text: str, i: int, vocabulary: Vocabulary, groups: list[str]):
    command = _COMMAND.match(text, i)
    if command is None:
        raise AnswerError("A lone backslash: write a command such as \\sqrt{D}.", text, i)
    name = command.group(0)[1:]
    end = command.end()
    if name in _TRANSPARENT:
        brace = re.compile(r"\s*\{").match(text, end)
        if not brace:
            raise AnswerError(f"Write \\{name}{{...}} with braces.", text, end)
        groups.append("transparent")
        return None, brace.end()
    if name in _DROPPED:
        if name in ("left", "right") and text.startswith(".", end):
            end += 1                                     # \left. and \right. are invisible delimiters
        return None, end
    if name in _COMMAND_TOKENS:
        kind, canonical = _COMMAND_TOKENS[name]
        return Token(kind, canonical, i, end), end
    if name == "sqrt":
        return Token("func", "sqrt", i, end), end
    if name in ("neq", "ne"):
        raise AnswerError("'\\neq' is not supported: write an equation or an inequality.", text, i)
    if name in ("|", "lVert", "Vert", "rVert"):
        raise AnswerError(_norm_refused(vocabulary), text, i)
    raise AnswerError(f"'\\{name}' is not allowed here. Allowed names: {vocabulary.describe()}.", text, i)


def _number_token(text: str, match: re.Match) -> Token:
    digits = match.group(0)
    if len(digits) > MAX_DIGITS:
        raise AnswerError(f"Numbers longer than {MAX_DIGITS} characters are not accepted.", text, match.start())
    mantissa = re.match(r"[\d.]+", digits).group(0)
    exponent = digits[len(mantissa) + 1:] if len(digits) > len(mantissa) else "0"
    if abs(int(exponent)) > 300:
        raise AnswerError("That number is too large or too small.", text, match.start())
    value = Fraction(mantissa) * Fraction(10) ** int(exponent)
    return Token("num", digits, match.start(), match.end(), value)


def _single_token(text: str, i: int, latex: bool, groups: list[str], vocabulary: Vocabulary,
                  previous: Token | None) -> Token | None:
    ch = text[i]
    if ch == "{":
        groups.append("group")
    elif ch == "}":
        if not groups:
            raise AnswerError("This '}' has no matching '{'.", text, i)
        if groups.pop() == "transparent":
            return None
    elif ch == "_" and not (previous is not None and previous.kind == "func" and previous.text == "log"):
        raise AnswerError(f"Unexpected subscript. Allowed names: {vocabulary.describe()}.", text, i)
    elif ch == "!":
        raise AnswerError("Factorials are not supported.", text, i)
    elif ch == ";":
        return Token("sep", "and", i, i + 1)
    return Token("op", ch, i, i + 1)


def check_brackets(tokens: list[Token], text: str) -> None:
    stack: list[Token] = []
    for token in tokens:
        if token.kind != "op":
            continue
        if token.text in _OPENING:
            stack.append(token)
        elif token.text in _OPENING.values():
            if not stack or _OPENING[stack[-1].text] != token.text:
                raise AnswerError(f"This '{token.text}' has no matching opening bracket.", text, token.start)
            stack.pop()
    if stack:
        raise AnswerError(f"This '{stack[-1].text}' is never closed.", text, stack[-1].start)
