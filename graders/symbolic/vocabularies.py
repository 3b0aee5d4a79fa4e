"""The homework's notation (spec/homework.md, "Symbol vocabulary for answers"), as vocabularies."""
from __future__ import annotations

from .vocabulary import Name, Vocabulary, inner_product, norm_squared

__all__ = ["KERNEL_ATTENTION", "TRIPLET_LOSS"]

KERNEL_ATTENTION = Vocabulary.of(
    "N", "D", "M", "L",
    Name("D_random", aliases=("D_{random}", r"D_{\text{random}}", r"D_\text{random}", "D_r", "D_{r}",
                              "D_{rand}", "D_rand"), latex=r"D_{\text{random}}"),
    Name("c_phi", aliases=(r"c_\phi", r"c_{\phi}", "c_{phi}", r"c_\varphi", r"c_{\varphi}"), latex=r"c_{\phi}"),
    Name("sigma", aliases=(r"\sigma",), latex=r"\sigma"),
    Name("sigma_sq", aliases=("sigma_{sq}", "sigma2"), stands_for=("sigma", 2)),
    Name("q_sq", aliases=norm_squared("q") + ("q_{sq}",), latex=r"{\|q\|^2}"),
    Name("k_sq", aliases=norm_squared("k") + ("k_{sq}",), latex=r"{\|k\|^2}"),
    Name("qk", aliases=inner_product("q", "k"), latex=r"q k^{T}"),
)

TRIPLET_LOSS = Vocabulary.of(
    Name("d_ap", aliases=("d_{ap}", "d_{a,p}", "d(a,p)", "d(a, p)"), latex="d_{ap}"),
    Name("d_an", aliases=("d_{an}", "d_{a,n}", "d(a,n)", "d(a, n)"), latex="d_{an}"),
    Name("alpha", aliases=(r"\alpha", "margin"), latex=r"\alpha"),
)
