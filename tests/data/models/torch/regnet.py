# RegNetX, written for the convarith corpus from the paper's description:
# I. Radosavovic, R. P. Kosaraju, R. Girshick, K. He and P. Dollar, "Designing Network
# Design Spaces", CVPR 2020, arXiv:2003.13678 (Sec. 3: AnyNet X block; Sec. 4, Eq. 2-4:
# quantized linear widths; Appendix: RegNetX-400MF d=22, w0=24, wa=24.48, wm=2.54, g=16).
#
# Stem: 3x3 conv, stride 2, 32 channels. Body: stages of X blocks: 1x1 conv, 3x3 group
# conv (group width g, stride 2 on a stage's first block), 1x1 conv, each followed by
# BatchNorm and the first two by ReLU; a 1x1 strided conv + BatchNorm projects the shortcut
# when the shape changes; ReLU after the sum. Head: global average pool and a Linear.
# The per-block widths u_j = w0 + wa*j are snapped to w0 * wm^round(log(u_j/w0)/log(wm)),
# rounded to a multiple of 8; runs of equal width form the stages, and each stage width is
# snapped to a multiple of the group width. RegNetX-400MF with 1000
# classes: widths 32, 64, 160, 400, depths 1, 2, 7, 12, 5,495,976 parameters.
import math

import torch
import torch.nn as nn


def regnet_stages(depth, w0, wa, wm, group_width, quantum=8):
    """(width, depth) of each stage from the design-space parameters."""
    widths = []
    for j in range(depth):
        u = w0 + wa * j
        s = round(math.log(u / w0) / math.log(wm))
        widths.append(int(round(w0 * wm**s / quantum) * quantum))
    stages = []
    for w in widths:
        if stages and stages[-1][0] == w:
            stages[-1][1] += 1
        else:
            stages.append([w, 1])
    # a group conv needs the width to be a multiple of the group width: nearest multiple,
    # halves rounded up (392 -> 400, 152 -> 160 for the 400MF model)
    result = []
    for w, d in stages:
        g = min(group_width, w)
        result.append((int(w / g + 0.5) * g, d, g))
    return result


class ConvBN(nn.Sequential):
    def __init__(self, in_ch, out_ch, kernel_size, stride=1, groups=1, relu=True):
        layers = [
            nn.Conv2d(in_ch, out_ch, kernel_size, stride, kernel_size // 2, groups=groups, bias=False),
            nn.BatchNorm2d(out_ch),
        ]
        if relu:
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


class XBlock(nn.Module):
    def __init__(self, in_ch, out_ch, stride, group_width):
        super().__init__()
        self.a = ConvBN(in_ch, out_ch, 1)
        self.b = ConvBN(out_ch, out_ch, 3, stride, groups=out_ch // group_width)
        self.c = ConvBN(out_ch, out_ch, 1, relu=False)
        self.shortcut = None
        if stride != 1 or in_ch != out_ch:
            self.shortcut = ConvBN(in_ch, out_ch, 1, stride, relu=False)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        identity = x if self.shortcut is None else self.shortcut(x)
        return self.relu(identity + self.c(self.b(self.a(x))))


class RegNetX(nn.Module):
    def __init__(self, depth=22, w0=24, wa=24.48, wm=2.54, group_width=16, stem_width=32, num_classes=1000):
        super().__init__()
        self.stem = ConvBN(3, stem_width, 3, stride=2)
        stages = []
        in_ch = stem_width
        for width, blocks, g in regnet_stages(depth, w0, wa, wm, group_width):
            stage = [XBlock(in_ch if i == 0 else width, width, 2 if i == 0 else 1, g) for i in range(blocks)]
            stages.append(nn.Sequential(*stage))
            in_ch = width
        self.trunk = nn.Sequential(*stages)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(in_ch, num_classes)

    def forward(self, x):
        x = self.avgpool(self.trunk(self.stem(x)))
        return self.fc(torch.flatten(x, 1))
