"""How a call is made, the same on both sides: plain data resolved to torch objects, then the call.

Arrays become tensors and `Named` values become objects from this fixed table (feature maps, seeded
generators). The child uses `invoke` to call a student function, and the grader uses it to call the
reference on exactly the same arguments, gradients included. Nothing here is a solution.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

try:
    from graders.wire import Named
except ImportError:                                  # inside the sandbox `wire` is a top-level module
    from wire import Named

__all__ = ["resolve", "feature_map", "invoke"]


def feature_map(name: str, params: dict[str, Any]):
    """Feature maps that checks hand to `kernel_attention`: (n, D) -> (n, L), all positive."""
    if name == "elu_plus_one":                       # Katharopoulos et al. 2020: L = D
        return lambda X: torch.nn.functional.elu(X) + 1
    if name == "exp_linear":                         # phi(x) = exp(x A) / sqrt(L): L = A.shape[1]
        A = torch.from_numpy(np.asarray(params["A"]))
        return lambda X: torch.exp(X @ A.to(X.dtype)) / A.shape[1] ** 0.5
    raise ValueError(f"unknown feature map {name!r}")


def resolve(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value.copy())
    if isinstance(value, Named):
        if value.kind == "generator":
            return torch.Generator().manual_seed(int(value.params["seed"]))
        if value.kind == "feature_map":
            return feature_map(value.params["name"], value.params)
        raise ValueError(f"unknown named value {value.kind!r}")
    if isinstance(value, list):
        return [resolve(v) for v in value]
    if isinstance(value, tuple):
        return tuple(resolve(v) for v in value)
    if isinstance(value, dict):
        return {k: resolve(v) for k, v in value.items()}
    return value


def invoke(function, args, kwargs, grad_wrt: int | None = None, cotangent: Any = None):
    """function(*args, **kwargs); with `grad_wrt`, returns (output, gradient of sum(cotangent * output) with
    respect to args[grad_wrt]), where output means the first item when the function returns a tuple."""
    args, kwargs = resolve(list(args)), resolve(dict(kwargs))
    if grad_wrt is None:
        return function(*args, **kwargs)
    x = args[grad_wrt] = args[grad_wrt].clone().requires_grad_(True)
    output = function(*args, **kwargs)
    first = output[0] if isinstance(output, (tuple, list)) else output
    weight = torch.ones_like(first) if cotangent is None else resolve(cotangent).to(first.dtype)
    (gradient,) = torch.autograd.grad((first * weight).sum(), x, allow_unused=True)
    return output, (torch.zeros_like(x) if gradient is None else gradient)
