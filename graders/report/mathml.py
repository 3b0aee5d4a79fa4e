"""LaTeX from check evidence -> MathML the browser renders itself: built here, no network, no JavaScript.

latex2mathml does the conversion; its output is not trusted as is (`\\text{<b>..}` passes markup straight
through, `\\href` and `\\style` become attributes), so it is parsed and rebuilt from a whitelist of MathML
elements and presentation attributes. Anything outside the whitelist, an unknown command left as raw TeX,
or a conversion error gives None, and the template shows the LaTeX as escaped code instead.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

from markupsafe import Markup, escape

__all__ = ["latex_to_mathml"]

MAX_LATEX_CHARS = 2000

_ELEMENTS = frozenset({
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup", "msubsup", "mfrac", "msqrt",
    "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded", "mphantom",
    "menclose", "mfenced", "mmultiscripts", "mprescripts", "none", "merror", "semantics"})
_ATTRIBUTES = frozenset({
    "display", "stretchy", "fence", "form", "mathvariant", "separator", "lspace", "rspace", "accent",
    "accentunder", "movablelimits", "largeop", "symmetric", "minsize", "maxsize", "columnalign", "rowalign",
    "columnspacing", "rowspacing", "columnlines", "rowlines", "frame", "framespacing", "displaystyle",
    "scriptlevel", "linethickness", "width", "height", "depth", "voffset", "notation", "mathsize", "open",
    "close", "separators", "align", "equalrows", "equalcolumns", "rowspan", "columnspan"})
_VALUE = re.compile(r"[A-Za-z0-9 .%#+\-]{0,40}\Z")
_NAMESPACE = re.compile(r"^\{[^}]*\}")


class _Rejected(ValueError):
    pass


def _local(tag: str) -> str:
    return _NAMESPACE.sub("", tag)


def _rebuild(element: ElementTree.Element, parts: list[str]) -> None:
    tag = _local(element.tag)
    if tag not in _ELEMENTS:
        raise _Rejected(tag)
    attributes = "".join(f' {name}="{escape(value)}"' for name, value in sorted(element.attrib.items())
                         if name in _ATTRIBUTES and _VALUE.match(value))
    parts.append(f"<{tag}{attributes}>")
    text = element.text or ""
    if text.lstrip().startswith("\\"):                      # an unknown command, kept as raw TeX
        raise _Rejected(text)
    parts.append(str(escape(text)))
    for child in element:
        _rebuild(child, parts)
        parts.append(str(escape(child.tail or "")))
    parts.append(f"</{tag}>")


def latex_to_mathml(latex: str, *, display: str = "inline") -> Markup | None:
    """Sanitised MathML for `latex`, with the LaTeX as its `alttext`; None when it cannot be shown as math."""
    if not isinstance(latex, str) or not latex.strip() or len(latex) > MAX_LATEX_CHARS:
        return None
    try:
        from latex2mathml.converter import convert
        tree = ElementTree.fromstring(convert(latex, display=display))
        parts: list[str] = []
        _rebuild(tree, parts)
    except Exception:                                        # noqa: BLE001 - any failure falls back to code
        return None
    head = parts[0]
    if not head.startswith("<math"):
        return None
    parts[0] = head[:-1] + f' alttext="{escape(latex)}">'
    return Markup("".join(parts))
