"""The homework's notation (spec/homework.md, "Symbol vocabulary for answers"), as vocabularies.

`KERNEL_ATTENTION` is the whole list of the spec; the narrower `GAUSSIAN_DECOMPOSITION` and `KERNEL_COSTS`
are what its questions should declare, so that e.g. `||q||^2` in a cost is an invalid answer naming the
allowed symbols rather than a bound that "grows with q".
"""
from __future__ import annotations

from .vocabulary import Name, Vocabulary, inner_product, norm, norm_squared, squared_distance

__all__ = ["KERNEL_ATTENTION", "GAUSSIAN_DECOMPOSITION", "KERNEL_COSTS", "TRIPLET_LOSS"]

_D_RANDOM = Name("D_random", aliases=("D_{random}", r"D_{\text{random}}", r"D_\text{random}", "D_r", "D_{r}",
                                      "D_{rand}", "D_rand", "D_{R}", "D_R", "D_{rf}"), latex=r"D_{\text{random}}")
_C_PHI = Name("c_phi", aliases=(r"c_\phi", r"c_{\phi}", "c_{phi}", r"c_\varphi", r"c_{\varphi}"), latex=r"c_{\phi}")
_SIGMA = Name("sigma", aliases=(r"\sigma",), latex=r"\sigma")
_SIGMA_SQ = Name("sigma_sq", aliases=("sigma_{sq}", r"\sigma_{sq}"), stands_for=("sigma", 2))
_Q_SQ = Name("q_sq", aliases=("||q||^2", r"\|q\|^2", "q_{sq}") + norm_squared("q"), latex=r"{\|q\|^2}")
_K_SQ = Name("k_sq", aliases=("||k||^2", r"\|k\|^2", "k_{sq}") + norm_squared("k"), latex=r"{\|k\|^2}")
_Q_NORM = Name("q_norm", aliases=norm("q"), stands_for=("q_sq", "1/2"))     # so that ||q|| reads (as wrong)
_K_NORM = Name("k_norm", aliases=norm("k"), stands_for=("k_sq", "1/2"))
_QK = Name("qk", aliases=("q k^T", "q^T k") + inner_product("q", "k"), latex=r"q k^{T}")
_SIZES = (Name("N"), Name("D"), Name("M"), Name("L"), _D_RANDOM, _C_PHI)

_VECTORS = ("q", "k")                      # the homework writes rows as q_i, k_j: the index is not a new name
KERNEL_ATTENTION = Vocabulary(_SIZES + (_SIGMA, _SIGMA_SQ, _Q_SQ, _K_SQ, _Q_NORM, _K_NORM, _QK), _VECTORS)
GAUSSIAN_DECOMPOSITION = Vocabulary((Name("D"), _SIGMA, _SIGMA_SQ, _Q_SQ, _K_SQ, _Q_NORM, _K_NORM, _QK), _VECTORS)
KERNEL_COSTS = Vocabulary(_SIZES)

TRIPLET_LOSS = Vocabulary.of(
    Name("d_ap", aliases=("d_{ap}", "d_{a,p}", "d(a,p)", "d(a, p)", "D_{ap}", "d_{pos}", "d^+")
         + squared_distance("f", "x", "a", "p"), latex="d_{ap}"),
    Name("d_an", aliases=("d_{an}", "d_{a,n}", "d(a,n)", "d(a, n)", "D_{an}", "d_{neg}", "d^-")
         + squared_distance("f", "x", "a", "n"), latex="d_{an}"),
    Name("alpha", aliases=(r"\alpha", "margin"), latex=r"\alpha"),
    indexed=("x",),                        # the paper's x_i^a, x_i^p, x_i^n
)
