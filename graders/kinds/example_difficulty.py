"""example_difficulty's argument kind: a seeded probe model (a tiny ResNet-18 layout) that records what the
student's code did to it (hooks left, modes, batches), reported through `grader_report`.

Loaded on both sides (graders/sandbox/named.py loads every module of graders/kinds/, and the sandbox gets a copy).
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

try:
    from graders.sandbox.named import argument_kind
except ImportError:                                  # inside the sandbox `named` is a top-level module
    from named import argument_kind

__all__ = ["ProbeModel", "probe_model"]


@argument_kind("model")
def _model(params: dict[str, Any]) -> "ProbeModel":
    return probe_model(int(params["seed"]), bool(params.get("train", False)))


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
