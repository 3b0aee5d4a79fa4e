"""The names a question's answers may use: canonical names, their spellings, all positive reals.

A question declares its vocabulary; the parser accepts nothing else (an unknown name makes the answer
invalid), which is what catches every silently-wrong parse (`N` as SymPy's `N()`, `O` as `Order`,
`\\mathcal{O}` as `mathcal*O`). Every symbol is `Symbol(name, positive=True)`, built here, so the reference
and the student's answer share the very same symbols.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import sympy

__all__ = ["Name", "Vocabulary", "norm", "norm_squared", "inner_product", "squared_distance"]

_TEXT_COMMAND = r"\\(?:text|mathrm|textrm|mathit|operatorname|mathsf)\s*\{"


@dataclass(frozen=True)
class Name:
    """One name of a vocabulary. `aliases` are other spellings: plain strings (matched literally, spaces
    free, `\\text{` also matching `\\mathrm{`...) or compiled regular expressions. `stands_for` makes the
    name a shorthand for a power of another name, e.g. `Name("sigma_sq", stands_for=("sigma", 2))`."""
    name: str
    aliases: tuple[str | re.Pattern, ...] = ()
    latex: str | None = None
    stands_for: tuple[str, int | str] | None = None


def _literal_pattern(alias: str) -> str:
    """A regex matching `alias` with free spacing and any text-like command for `\\text{`."""
    parts, i = [], 0
    while i < len(alias):
        if alias.startswith("\\text{", i):
            parts.append(_TEXT_COMMAND)
            i += len("\\text{")
            continue
        if alias[i].isspace():
            i += 1
            continue
        parts.append(re.escape(alias[i]))
        i += 1
    pattern = r"\s*".join(parts)
    if re.search(r"\\[A-Za-z]+$", alias):
        pattern += r"(?![A-Za-z])"        # `\sigma` must not match the start of `\sigmoid`
    return pattern


def _bars(name: str) -> str:
    """`||q||`, `\\|q\\|`, `\\left\\|q\\right\\|`, `\\lVert q\\rVert`, `|q|`, with an optional `_2`."""
    opening = r"(?:\\left\s*\\\||\\left\s*\\lVert|\\left\s*\\Vert|\\lVert|\\Vert|\\\||\|\||\\left\s*\||\|)"
    closing = r"(?:\\right\s*\\\||\\right\s*\\rVert|\\right\s*\\Vert|\\rVert|\\Vert|\\\||\|\||\\right\s*\||\|)"
    return rf"{opening}\s*{name}\s*{closing}(?:\s*_\s*(?:\{{\s*2\s*\}}|2))?"


_SQUARED = r"\s*(?:\^\s*\{\s*2\s*\}|\^\s*2|\*\*\s*2)(?![0-9.])(?:\s*_\s*(?:\{\s*2\s*\}|2(?![0-9.])))?"
_TRANSPOSE = r"\s*\^\s*(?:\{\s*(?:T|\\top|\\intercal|\\mathsf\s*\{\s*T\s*\})\s*\}|T|\\top|\\intercal)(?![A-Za-z])"
_DOT = r"\s*(?:\\cdot|\*|\.|\\,|·)?\s*"


def norm(vector: str) -> tuple[re.Pattern, ...]:
    """Spellings of the (unsquared) norm of `vector`: `||q||`, `\\|q\\|_2`, `\\lVert q \\rVert`."""
    return (re.compile(_bars(re.escape(vector))),)


def squared_distance(f: str, x: str, first: str, second: str) -> tuple[re.Pattern, ...]:
    """The squared distance of two embeddings, `||f(x^a) - f(x^p)||_2^2` as the paper writes it, and its common
    variants: the label as a superscript or a subscript (`x^{a}`, `x_a`), `f` of the label itself (`f(a)`), the
    labels standing for the embeddings (`||a - p||^2`), either order (`||f(x^p) - f(x^a)||^2`)."""
    def image(label: str) -> str:
        l = re.escape(label)
        point = rf"(?:{re.escape(x)}\s*[\^_]\s*(?:\{{\s*{l}\s*\}}|{l}(?![A-Za-z0-9]))|{l}(?![A-Za-z0-9]))"
        applied = rf"{re.escape(f)}\s*(?:\\left\s*)?\(\s*{point}\s*(?:\\right\s*)?\)"
        return rf"(?:{applied}|(?<![A-Za-z\\]){l}(?![A-Za-z0-9_(]))"
    difference = rf"(?:{image(first)}\s*-\s*{image(second)}|{image(second)}\s*-\s*{image(first)})"
    return (re.compile(_bars(difference) + _SQUARED),)


def norm_squared(vector: str) -> tuple[re.Pattern, ...]:
    """Spellings of the squared norm of `vector`: `||q||^2`, `\\|q\\|^2`, `\\|q\\|_2^2`, `q^T q`, `q q^T`,
    `q \\cdot q` (as `q \\cdot k` is the inner product)."""
    v = re.escape(vector)
    return (re.compile(_bars(v) + _SQUARED),
            re.compile(rf"{v}{_TRANSPOSE}{_DOT}{v}(?![A-Za-z_])"),
            re.compile(rf"{v}{_DOT}{v}{_TRANSPOSE}"),
            re.compile(rf"{v}\s*(?:\\cdot|\*|\.|·)\s*{v}(?![A-Za-z_]|\s*\^)"))   # `k \cdot k`, not `k \cdot k^2`


def inner_product(left: str, right: str) -> tuple[re.Pattern, ...]:
    """Spellings of the (symmetric) inner product of two vectors: `q k^T`, `q^T k`, `q \\cdot k`,
    `q k^\\top`, `k^T q`, `<q, k>`."""
    patterns = []
    for a, b in ((re.escape(left), re.escape(right)), (re.escape(right), re.escape(left))):
        patterns += [re.compile(rf"{a}{_DOT}{b}{_TRANSPOSE}"),
                     re.compile(rf"{a}{_TRANSPOSE}{_DOT}{b}(?![A-Za-z_])"),
                     re.compile(rf"\\langle\s*{a}\s*,\s*{b}\s*\\rangle"),
                     re.compile(rf"{a}\s*(?:\\cdot|\*|\.|·)\s*{b}(?![A-Za-z_])")]
    return tuple(patterns)


def _bar_spelling(name: Name) -> str | None:
    """The name's first plain spelling with norm bars, LaTeX (`\\|q\\|^2`) before ASCII (`||q||^2`)."""
    spellings = [a for a in name.aliases if isinstance(a, str)]
    return next((a for a in spellings if "\\|" in a), next((a for a in spellings if "||" in a), None))


@dataclass(frozen=True)
class Vocabulary:
    """The names of one question (or one assignment). All symbols are positive reals."""
    names: tuple[Name, ...]
    indexed: tuple[str, ...] = ()            # vectors that may carry a row index: q_i, k_j, x_i^a
    indices: tuple[str, ...] = ("i", "j")
    symbols: dict[str, sympy.Symbol] = field(init=False, repr=False, compare=False)
    patterns: tuple[tuple[re.Pattern, str, int], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        seen = [n.name for n in self.names]
        if len(set(seen)) != len(seen):
            raise ValueError(f"duplicate names in vocabulary: {seen}")
        symbols = {n.name: sympy.Symbol(n.name, positive=True) for n in self.names if n.stands_for is None}
        for n in self.names:
            if n.stands_for is not None and n.stands_for[0] not in symbols:
                raise ValueError(f"{n.name} stands for a power of {n.stands_for[0]}, which is not declared")
        object.__setattr__(self, "symbols", symbols)
        object.__setattr__(self, "patterns", tuple(self._compile()))

    @classmethod
    def of(cls, *names: str | Name, indexed: tuple[str, ...] = ()) -> "Vocabulary":
        """`Vocabulary.of("N", "D", Name("D_random", aliases=("D_r",)))`."""
        return cls(tuple(n if isinstance(n, Name) else Name(n) for n in names), indexed)

    def _compile(self):
        for n in self.names:
            spellings = [n.name, *n.aliases]
            for spelling in spellings:
                if isinstance(spelling, re.Pattern):
                    yield spelling, n.name, 100       # patterns are long forms: try them first on ties
                else:
                    yield re.compile(_literal_pattern(spelling)), n.name, len(spelling)

    def value(self, name: str) -> sympy.Expr:
        """The SymPy value of a canonical name: its symbol, or the power it stands for."""
        entry = next(n for n in self.names if n.name == name)
        if entry.stands_for is None:
            return self.symbols[name]
        base, power = entry.stands_for
        return self.symbols[base] ** sympy.Rational(str(power))

    def symbol(self, name: str) -> sympy.Symbol:
        return self.symbols[name]

    def describe(self) -> str:
        """`N, D, D_random (also D_{random}, D_r), ...` for messages about unknown names; a name that may be
        written as a norm shows that spelling too (`d_ap (also d_{ap}, d_{a,p}, \\|f(x^a) - f(x^p)\\|^2)`)."""
        described = []
        for n in self.names:
            shown = [a for a in n.aliases if isinstance(a, str)][:2]
            bars = _bar_spelling(n)
            if bars is not None and not any("|" in a for a in shown):
                shown.append(bars)
            described.append(f"{n.name} (also {', '.join(shown)})" if shown else n.name)
        return ", ".join(described)

    def norm_spellings(self, containing: str = "") -> list[str]:
        """How this vocabulary's norms are written, `\\|q\\|^2 (q_sq)`, for messages about a norm or a vector
        that could not be read (only those containing `containing`, when given)."""
        found = []
        for n in self.names:
            bars = _bar_spelling(n)
            if bars is not None and re.search(rf"(?<![A-Za-z]){re.escape(containing)}(?![A-Za-z])", bars):
                found.append(f"{bars} ({n.name})")
        return found

    def latex_names(self) -> dict[sympy.Symbol, str]:
        return {self.symbols[n.name]: n.latex for n in self.names if n.latex and n.name in self.symbols}
