"""kernel_attention's argument kind: the feature maps its checks hand to student functions, by name.

Loaded on both sides (graders/sandbox/named.py loads every module of graders/kinds/, and the sandbox gets a
copy): the grader calls the reference, and the child the student's function, with the same phi.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

try:
    from graders.sandbox.named import argument_kind
except ImportError:                                  # inside the sandbox `named` is a top-level module
    from named import argument_kind

__all__ = ["feature_map"]


@argument_kind("feature_map")
def _feature_map(params: dict[str, Any]):
    return feature_map(params["name"], params)


def feature_map(name: str, params: dict[str, Any]):
    """Feature maps that checks hand to `kernel_attention`: (n, D) -> (n, L). The first two are positive;
    `signed_linear` has entries of both signs, as eq. 2 allows for any callable."""
    if name == "elu_plus_one":                       # Katharopoulos et al. 2020: L = D
        return lambda X: torch.nn.functional.elu(X) + 1
    if name == "exp_linear":                         # phi(x) = exp(x A) / sqrt(L): L = A.shape[1]
        A = torch.from_numpy(np.asarray(params["A"]))
        return lambda X: torch.exp(X @ A.to(X.dtype)) / A.shape[1] ** 0.5
    if name == "signed_linear":                      # phi(x) = x A + b: L = A.shape[1], signs mixed
        A, b = (torch.from_numpy(np.asarray(params[key])) for key in ("A", "b"))
        return lambda X: X @ A.to(X.dtype) + b.to(X.dtype)
    if name == "table":                              # the grader's own phi values for the rows X of one call
        X0, F = (torch.from_numpy(np.asarray(params[k])) for k in ("X", "F"))
        def look_up(X):                              # any row of X (n, D) or (D,) -> its row of F, in X's dtype
            rows = torch.cdist(X.detach().reshape(-1, X0.shape[1]).to(X0.dtype), X0).argmin(1)
            return F[rows].reshape(*X.shape[:-1], F.shape[1]).to(X.dtype)
        return look_up
    raise ValueError(f"unknown feature map {name!r}")
