"""How a call is made, the same on both sides: plain data resolved to torch objects, then the call.

Arrays become tensors and `Named` values become objects from this fixed table (feature maps, seeded
generators). The child uses `invoke` to call a student function, and the grader uses it to call the
reference on exactly the same arguments, gradients included. Nothing here is a solution.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

try:
    from graders.wire import Named
except ImportError:                                  # inside the sandbox `wire` is a top-level module
    from wire import Named

__all__ = ["resolve", "feature_map", "invoke", "probe_model", "ProbeModel"]


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


def resolve(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value.copy())
    if isinstance(value, Named):
        if value.kind == "generator":
            return torch.Generator().manual_seed(int(value.params["seed"]))
        if value.kind == "feature_map":
            return feature_map(value.params["name"], value.params)
        if value.kind == "model":
            return probe_model(int(value.params["seed"]), bool(value.params.get("train", False)))
        raise ValueError(f"unknown named value {value.kind!r}")
    if isinstance(value, list):
        return [resolve(v) for v in value]
    if isinstance(value, tuple):
        return tuple(resolve(v) for v in value)
    if isinstance(value, dict):
        return {k: resolve(v) for k, v in value.items()}
    return value


def invoke(function, args, kwargs, grad_wrt: int | None = None, cotangent: Any = None, report: bool = False):
    """function(*args, **kwargs). With `grad_wrt`, returns (output, gradient of sum(cotangent * output) with
    respect to args[grad_wrt]), where output means the first item when the function returns a tuple. With
    `report`, returns (output, [what each argument that can tell saw: hooks left, modes, batches])."""
    args, kwargs = resolve(list(args)), resolve(dict(kwargs))
    if report:
        output = function(*args, **kwargs)
        return output, [a.grader_report(output) for a in [*args, *kwargs.values()] if isinstance(a, ProbeModel)]
    if grad_wrt is None:
        return function(*args, **kwargs)
    x = args[grad_wrt] = args[grad_wrt].clone().requires_grad_(True)
    output = function(*args, **kwargs)
    first = output[0] if isinstance(output, (tuple, list)) else output
    if not isinstance(first, torch.Tensor) or not first.requires_grad:
        raise TypeError(f"{getattr(function, '__name__', 'the function')} must return a torch tensor computed from its "
                        f"input with torch operations, so that gradients can flow; it returned {type(first).__name__}"
                        f"{'' if not isinstance(first, torch.Tensor) else ' with no autograd graph'}")
    weight = torch.ones_like(first) if cotangent is None else resolve(cotangent).to(first.dtype)
    (gradient,) = torch.autograd.grad((first * weight).sum(), x, allow_unused=True)
    return output, (torch.zeros_like(x) if gradient is None else gradient)


# ------------------------------------------------------------------------------------------------ models
class _Block(nn.Module):
    """torchvision's BasicBlock, at any width."""

    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.downsample = None if stride == 1 and c_in == c_out else nn.Sequential(
            nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class ProbeModel(nn.Module):
    """ResNet-18's top-level layout (conv1, bn1, relu, maxpool, layer1..4, avgpool, fc) at a tiny width, with
    torchvision's in-place ReLU after bn1. It records what a student's code did to it, for `grader_report`."""

    def __init__(self, width: int = 4, classes: int = 6):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = nn.Sequential(_Block(width, width, 1))
        self.layer2 = nn.Sequential(_Block(width, 2 * width, 2))
        self.layer3 = nn.Sequential(_Block(2 * width, 4 * width, 2))
        self.layer4 = nn.Sequential(_Block(4 * width, 8 * width, 2))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8 * width, classes)
        self.batches_seen: list[int] = []

    def forward(self, x):
        self.batches_seen.append(int(x.shape[0]))
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))

    def grader_report(self, output: Any) -> dict:
        tensors = [t for t in (output if isinstance(output, (list, tuple)) else [output]) if isinstance(t, torch.Tensor)]
        return {"hooks_left": sum(len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks)
                                  for m in self.modules()),
                "training": sorted({bool(m.training) for m in self.modules()}),
                "batches": list(self.batches_seen),
                "keeps_graph": any(t.requires_grad or t.grad_fn is not None for t in tensors)}


def probe_model(seed: int, train: bool = False) -> ProbeModel:
    """A seeded ProbeModel in float64, with random running statistics so that eval and train modes differ."""
    generator = torch.Generator().manual_seed(seed)
    default_dtype = torch.get_default_dtype()
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        torch.set_default_dtype(torch.float32)         # the same weights whatever the caller's default dtype
        try:
            model = ProbeModel().double()
        finally:
            torch.set_default_dtype(default_dtype)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean = 0.3 * torch.randn(m.num_features, generator=generator, dtype=torch.float64)
            m.running_var = 0.5 + torch.rand(m.num_features, generator=generator, dtype=torch.float64)
    return model.train(train)
