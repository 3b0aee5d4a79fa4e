"""ResNet-18 (He et al. 2016) in plain torch, with torchvision's exact module layout and names.

Homework 10, problem 4(a) "Example Difficulty" probes a torchvision ``resnet18()`` whose ``fc`` is replaced by
``Linear(512, 6)``. torchvision is not a dependency of this project, so this module rebuilds that network:
the same children (``conv1, bn1, relu, maxpool, layer1..layer4, avgpool, fc``), the same ``BasicBlock``
(``conv1, bn1, relu, conv2, bn2, downsample``), the same ``ReLU(inplace=True)`` (the notebook's first trap
depends on it) and the same initialisation. Parameter counts: 11,689,512 with 1000 classes, 11,179,590 with 6;
a state_dict from torchvision loads into it unchanged.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["BasicBlock", "ResNet", "resnet18"]


def conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """3x3 convolution with padding 1 and no bias, as torchvision's ``conv3x3``."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution without bias (the projection shortcut), as torchvision's ``conv1x1``."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a residual connection: ``relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))``."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x                                              # (B, C_in, H, W)
        out = self.relu(self.bn1(self.conv1(x)))                  # (B, C, H/s, W/s)
        out = self.bn2(self.conv2(out))                           # (B, C, H/s, W/s)
        if self.downsample is not None:
            identity = self.downsample(x)                         # (B, C, H/s, W/s)
        out += identity
        return self.relu(out)                                     # (B, C, H/s, W/s)


class ResNet(nn.Module):
    """torchvision's ``ResNet`` for ``BasicBlock`` networks (groups=1, no dilation, no zero-init residual)."""

    def __init__(self, layers: tuple[int, int, int, int], num_classes: int = 1000):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], stride=2)
        self.layer4 = self._make_layer(512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * BasicBlock.expansion, num_classes)

    def _make_layer(self, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * BasicBlock.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * BasicBlock.expansion, stride),
                                       nn.BatchNorm2d(planes * BasicBlock.expansion))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * BasicBlock.expansion
        layers += [BasicBlock(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))      # (B, 64, H/4, W/4)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))  # (B, 512, H/32, W/32)
        x = torch.flatten(self.avgpool(x), 1)                     # (B, 512)
        return self.fc(x)                                         # (B, num_classes)


def reset_parameters(model: nn.Module, *, generator: torch.Generator | None = None) -> nn.Module:
    """torchvision's initialisation, drawn from ``generator``: Kaiming-normal (fan_out, relu) convolutions,
    BatchNorm weight 1 and bias 0, and ``nn.Linear``'s default uniform(+-1/sqrt(fan_in)) for ``fc``."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu", generator=generator)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), generator=generator)
                bound = 1 / math.sqrt(m.in_features)
                nn.init.uniform_(m.bias, -bound, bound, generator=generator)
    return model


def resnet18(num_classes: int = 1000, *, generator: torch.Generator | None = None) -> ResNet:
    """ResNet-18 (2, 2, 2, 2 BasicBlocks), laid out like ``torchvision.models.resnet18(num_classes=...)``."""
    return reset_parameters(ResNet((2, 2, 2, 2), num_classes=num_classes), generator=generator)
