# EfficientNet-B0, written for the convarith corpus from the paper's description:
# M. Tan and Q. V. Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural
# Networks", ICML 2019, arXiv:1905.11946 (Table 1: the B0 baseline network).
#
# Stages of MBConv blocks (inverted residual bottlenecks of MobileNetV2, Sandler et al. 2018)
# with squeeze-and-excitation (Hu et al. 2018) and SiLU ("swish") activations:
#   expand 1x1 conv (skipped for ratio 1) -> depthwise k x k conv (stride on the first block
#   of a stage) -> SE: global average pool, 1x1 conv to in/4 channels, SiLU, 1x1 conv back,
#   sigmoid, multiply by broadcasting -> project 1x1 conv, no activation.
# The identity shortcut (same shape) goes through stochastic depth, which is the identity
# in eval mode. Convs carry no bias, each is followed by BatchNorm (eps 1e-3, as the TF
# reference). 1000 classes: 5,288,548 parameters.
import torch
import torch.nn as nn


class ConvBNAct(nn.Sequential):
    def __init__(self, in_ch, out_ch, kernel_size, stride=1, groups=1, act=True):
        layers = [
            nn.Conv2d(in_ch, out_ch, kernel_size, stride, (kernel_size - 1) // 2, groups=groups, bias=False),
            nn.BatchNorm2d(out_ch, eps=1e-3, momentum=0.01),
        ]
        if act:
            layers.append(nn.SiLU(inplace=True))
        super().__init__(*layers)


class SqueezeExcite(nn.Module):
    def __init__(self, channels, squeezed):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.reduce = nn.Conv2d(channels, squeezed, 1)
        self.act = nn.SiLU(inplace=True)
        self.expand = nn.Conv2d(squeezed, channels, 1)
        self.gate = nn.Sigmoid()

    def forward(self, x):
        s = self.gate(self.expand(self.act(self.reduce(self.pool(x)))))
        return x * s


class StochasticDepth(nn.Module):
    """Drops the whole residual branch per sample while training; identity in eval."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        keep = torch.empty(x.shape[0], 1, 1, 1, device=x.device).bernoulli_(1.0 - self.p)
        return x * keep / (1.0 - self.p)


class MBConv(nn.Module):
    def __init__(self, in_ch, out_ch, expand_ratio, kernel_size, stride, drop_p):
        super().__init__()
        hidden = in_ch * expand_ratio
        self.use_residual = stride == 1 and in_ch == out_ch
        layers = []
        if expand_ratio != 1:
            layers.append(ConvBNAct(in_ch, hidden, 1))
        layers.append(ConvBNAct(hidden, hidden, kernel_size, stride, groups=hidden))
        layers.append(SqueezeExcite(hidden, max(1, in_ch // 4)))
        layers.append(ConvBNAct(hidden, out_ch, 1, act=False))
        self.block = nn.Sequential(*layers)
        self.drop_path = StochasticDepth(drop_p)

    def forward(self, x):
        y = self.block(x)
        if self.use_residual:
            y = x + self.drop_path(y)
        return y


# (expand ratio, kernel, stride, input channels, output channels, repeats) of Table 1
B0_STAGES = [
    (1, 3, 1, 32, 16, 1),
    (6, 3, 2, 16, 24, 2),
    (6, 5, 2, 24, 40, 2),
    (6, 3, 2, 40, 80, 3),
    (6, 5, 1, 80, 112, 3),
    (6, 5, 2, 112, 192, 4),
    (6, 3, 1, 192, 320, 1),
]


class EfficientNet(nn.Module):
    def __init__(self, stages=B0_STAGES, num_classes=1000, dropout=0.2, drop_path=0.2, head_channels=1280):
        super().__init__()
        self.stem = ConvBNAct(3, stages[0][3], 3, stride=2)
        total_blocks = sum(s[5] for s in stages)
        blocks = []
        index = 0
        for expand, kernel, stride, in_ch, out_ch, repeats in stages:
            stage = []
            for i in range(repeats):
                # the drop probability grows linearly with the block's depth in the network
                p = drop_path * index / total_blocks
                stage.append(MBConv(in_ch if i == 0 else out_ch, out_ch, expand, kernel, stride if i == 0 else 1, p))
                index += 1
            blocks.append(nn.Sequential(*stage))
        self.blocks = nn.Sequential(*blocks)
        self.head = ConvBNAct(stages[-1][4], head_channels, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(dropout, inplace=True), nn.Linear(head_channels, num_classes))

    def forward(self, x):
        x = self.head(self.blocks(self.stem(x)))
        x = torch.flatten(self.pool(x), 1)
        return self.classifier(x)
