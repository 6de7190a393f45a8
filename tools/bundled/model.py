"""Compact residual CNN for the bundled camanim model.

Only uses ops that export to Conv, BatchNormalization, Relu, Add, MaxPool,
GlobalAveragePool, Flatten and Gemm.
"""
import torch
import torch.nn as nn


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
        self.relu2 = nn.ReLU(inplace=True)

    def forward(self, x):
        y = self.relu1(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        s = x if self.shortcut is None else self.shortcut(x)
        return self.relu2(y + s)


class CanvasNet(nn.Module):
    """stem (conv3x3/2) -> stages of BasicBlocks (first block of stages 2.. has
    stride 2) -> global average pool -> linear."""

    def __init__(self, widths=(16, 32, 64, 128), blocks=(1, 1, 2, 2),
                 stem=16, num_classes=10):
        super().__init__()
        self.config = dict(widths=list(widths), blocks=list(blocks), stem=stem,
                           num_classes=num_classes)
        self.stem = nn.Sequential(
            nn.Conv2d(3, stem, 3, 2, 1, bias=False), nn.BatchNorm2d(stem),
            nn.ReLU(inplace=True))
        stages = []
        cin = stem
        for i, (w, n) in enumerate(zip(widths, blocks)):
            layers = []
            for j in range(n):
                stride = 2 if (i > 0 and j == 0) else 1
                layers.append(BasicBlock(cin, w, stride))
                cin = w
            stages.append(nn.Sequential(*layers))
        self.stages = nn.ModuleList(stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(cin, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        # zero-init the last BN of each residual branch (stabler start)
        for m in self.modules():
            if isinstance(m, BasicBlock):
                nn.init.zeros_(m.bn2.weight)

    def features(self, x):
        x = self.stem(x)
        for st in self.stages:
            x = st(x)
        return x

    def head(self, f):
        return self.fc(self.flatten(self.pool(f)))

    def forward(self, x):
        return self.head(self.features(x))
