"""Named normalisation steps: how an answer's text is brought to the notation the tokenizer reads.

Each step is general (about a notation, never about one answer) and has a stable name; `normalise` returns
the text and the names of the steps that changed it, which every verdict shows as "as read" evidence, so a
person can see exactly what the checker did to the student's text. Steps that need the question's notation
(which vectors carry index subscripts such as `q_i`, `k_j`, `x_i^a`) read it from the `Vocabulary`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from .vocabulary import Vocabulary

__all__ = ["Step", "STEPS", "normalise"]

_UNICODE = str.maketrans({"σ": r"\sigma ", "α": r"\alpha ", "φ": r"\phi ", "ϕ": r"\phi ", "Θ": r"\Theta ",
                          "𝒪": "O", "−": "-", "–": "-", "·": "*", "⋅": "*", "×": "*", "≤": "<=", "≥": ">=",
                          "²": "^2", "³": "^3", "√": "sqrt", "‖": "||", "ᵀ": "^T", "\u00a0": " ", "∈": r"\in ",
                          "∧": r"\land ", "≔": ":=", "⇒": r"\Rightarrow "})
# Unicode superscript and subscript letters and digits (`xᵃ`, `xₐ`, `‖…‖₂`); ², ³ and ᵀ are symbols above.
_SUPERSCRIPTS = dict(zip("ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ⁰¹⁴⁵⁶⁷⁸⁹⁺⁻", "abcdefghijklmnoprstuvwxyz01456789+-"))
_SUBSCRIPTS = dict(zip("ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ₀₁₂₃₄₅₆₇₈₉₊₋", "aehijklmnoprstuvx0123456789+-"))
_SUPERSCRIPT_RUN = re.compile(f"[{''.join(_SUPERSCRIPTS)}]+")
_SUBSCRIPT_RUN = re.compile(f"[{''.join(_SUBSCRIPTS)}]+")
_DELIMITERS = re.compile(r"^\s*(?:\$\$(?P<a>.*)\$\$|\$(?P<b>.*)\$|\\\((?P<c>.*)\\\)|\\\[(?P<d>.*)\\\]|"
                         r"\\begin\{(?:equation|align|displaymath)\*?\}(?P<e>.*)\\end\{(?:equation|align|displaymath)\*?\})\s*$",
                         re.S)
_BACKTICKS = re.compile(r"^\s*(`+)(?P<inner>.*?)\1\s*$", re.S)
_TRAILING = re.compile(r"(?:\s|\\[,;!]|\\quad|\\qquad)*(?<!\\)[.,;](?:\s|\\[,;!]|\\quad|\\qquad)*$")
_FONT = re.compile(r"\\(?:mathbf|boldsymbol|bm|vec|mathit|mathrm|textbf|mathsf|mathbb|hat|tilde|bar)"
                   r"\s*(?:\{\s*(?P<braced>[A-Za-z])\s*\}|(?P<bare>[A-Za-z])(?![A-Za-z]))")
_TEXT_SUBSCRIPT = re.compile(r"_\s*(?:\{\s*)?\\(?:text|mathrm|textrm|mathit|operatorname|mathsf)\s*\{\s*"
                             r"(?P<word>[A-Za-z]+)\s*\}(?:\s*\})?")
_ALIGN = re.compile(r"(?<!&)&(?!&)|\\\\\s*$")


@dataclass(frozen=True)
class Step:
    """One normalisation: a stable name and a text -> text function."""
    name: str
    apply: Callable[[str, Vocabulary], str]


def _scripts(run: re.Pattern, letters: dict[str, str], mark: str) -> Callable[[str, Vocabulary], str]:
    """`xᵃ` -> `x^a`, `xₐ` -> `x_a`, `e⁻¹` -> `e^{-1}`: a run of Unicode script characters is one script."""
    def apply(text: str, _: Vocabulary) -> str:
        def one(m: re.Match) -> str:
            plain = "".join(letters[ch] for ch in m.group(0))
            return f"{mark}{plain}" if len(plain) == 1 else f"{mark}{{{plain}}}"
        return run.sub(one, text)
    return apply


def _math_delimiters(text: str, _: Vocabulary) -> str:
    delimited = _DELIMITERS.match(text)
    if not delimited:
        return text
    return next(part for part in delimited.groups() if part is not None).strip()


def _boxed(text: str, _: Vocabulary) -> str:
    """`\\boxed{...}` (or `\\fbox`) around the whole answer, as chat models mark a final answer."""
    boxed = re.match(r"^\\(?:boxed|fbox)\s*\{(?P<inner>.*)\}$", text, re.S)
    if not boxed:
        return text
    depth = 0
    for ch in boxed.group("inner"):                      # the braces must pair up inside, or it is not one box
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return text
    return boxed.group("inner") if depth == 0 else text


def _code_quotes(text: str, _: Vocabulary) -> str:
    quoted = _BACKTICKS.match(text)
    return quoted.group("inner").strip() if quoted else text


def _font_commands(text: str, _: Vocabulary) -> str:
    """`\\mathbf{q}`, `\\boldsymbol q`, `\\vec{k}` -> `q`, `k`: a font is not a different quantity."""
    return _FONT.sub(lambda m: m.group("braced") or m.group("bare"), text)


def _index_subscripts(text: str, vocabulary: Vocabulary) -> str:
    """`q_i`, `k_{j}`, `x_i^a` -> `q`, `k`, `x^a`: the row index of the homework's notation (declared)."""
    if not vocabulary.indexed:
        return text
    vectors = "|".join(re.escape(v) for v in vocabulary.indexed)
    indices = "|".join(re.escape(i) for i in vocabulary.indices)
    pattern = re.compile(rf"(?<![A-Za-z\\])(?P<v>{vectors})(?P<sup>\s*\^\s*(?:\{{[^{{}}]*\}}|\\?\w+))?"
                         rf"\s*_\s*(?:\{{\s*(?:{indices})\s*\}}|(?:{indices})(?![A-Za-z0-9]))")
    return pattern.sub(lambda m: m.group("v") + (m.group("sup") or ""), text)


def _text_subscripts(text: str, _: Vocabulary) -> str:
    """`D_{\\text{rand}}`, `D_\\mathrm{random}` -> `D_{rand}`, `D_{random}`."""
    return _TEXT_SUBSCRIPT.sub(lambda m: "_{" + m.group("word") + "}", text)


def _alignment(text: str, _: Vocabulary) -> str:
    """`&=` and a trailing `\\\\` of an align environment."""
    return _ALIGN.sub(" ", text).strip()


def _trailing_punctuation(text: str, _: Vocabulary) -> str:
    return _TRAILING.sub("", text)


STEPS = (
    Step("unicode-symbols", lambda text, _: text.translate(_UNICODE)),
    Step("unicode-superscripts", _scripts(_SUPERSCRIPT_RUN, _SUPERSCRIPTS, "^")),
    Step("unicode-subscripts", _scripts(_SUBSCRIPT_RUN, _SUBSCRIPTS, "_")),
    Step("code-quotes", _code_quotes),
    Step("math-delimiters", _math_delimiters),
    Step("boxed", _boxed),
    Step("trailing-punctuation", _trailing_punctuation),
    Step("alignment-marks", _alignment),
    Step("font-commands", _font_commands),
    Step("text-subscripts", _text_subscripts),
    Step("index-subscripts", _index_subscripts),
)


def normalise(text: str, vocabulary: Vocabulary) -> tuple[str, tuple[str, ...]]:
    """The text the tokenizer reads, and the names of the steps that changed it (in order)."""
    text, fired = text.strip(), []
    for _ in range(2):                                    # `$x$.` and `` `$x$` `` need a second pass
        for step in STEPS:
            changed = step.apply(text, vocabulary).strip()
            if changed != text:
                text = changed
                if step.name not in fired:
                    fired.append(step.name)
    return text, tuple(fired)
