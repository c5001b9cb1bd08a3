# MobileNetV3-Large, written for the convarith corpus from the paper's description:
# A. Howard et al., "Searching for MobileNetV3", ICCV 2019, arXiv:1905.02244
# (Table 1: the Large specification; Sec. 5.2 h-swish, Sec. 5.3 squeeze-and-excite).
#
# Bottleneck blocks: 1x1 expansion (absent when the expansion size equals the input),
# depthwise k x k conv, optional squeeze-and-excite (pool, 1x1 conv to expansion/4 rounded
# to a multiple of 8, ReLU, 1x1 conv back, hard-sigmoid, multiply), 1x1 linear projection;
# identity shortcut when stride is 1 and channels are kept. "RE" is ReLU, "HS" hard-swish.
# Head: 1x1 conv to 960, pool, Linear 1280 (no BatchNorm), hard-swish, dropout, classifier.
# 1000 classes: 5,483,032 parameters.
import torch
import torch.nn as nn


def round_to_8(value, divisor=8):
    """Channel counts rounded to a multiple of 8, never more than 10% below the value."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def activation(name):
    return nn.Hardswish(inplace=True) if name == "HS" else nn.ReLU(inplace=True)


class ConvBN(nn.Sequential):
    def __init__(self, in_ch, out_ch, kernel_size, stride=1, groups=1, act=None):
        layers = [
            nn.Conv2d(in_ch, out_ch, kernel_size, stride, (kernel_size - 1) // 2, groups=groups, bias=False),
            nn.BatchNorm2d(out_ch, eps=0.001, momentum=0.01),
        ]
        if act is not None:
            layers.append(activation(act))
        super().__init__(*layers)


class SqueezeExcite(nn.Module):
    def __init__(self, channels):
        super().__init__()
        squeezed = round_to_8(channels // 4)
        self.fc1 = nn.Conv2d(channels, squeezed, 1)
        self.relu = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(squeezed, channels, 1)
        self.gate = nn.Hardsigmoid(inplace=True)

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        s = self.gate(self.fc2(self.relu(self.fc1(s))))
        return x * s


class Bottleneck(nn.Module):
    def __init__(self, in_ch, kernel, expansion, out_ch, use_se, act, stride):
        super().__init__()
        self.use_residual = stride == 1 and in_ch == out_ch
        layers = []
        if expansion != in_ch:
            layers.append(ConvBN(in_ch, expansion, 1, act=act))
        layers.append(ConvBN(expansion, expansion, kernel, stride, groups=expansion, act=act))
        if use_se:
            layers.append(SqueezeExcite(expansion))
        layers.append(ConvBN(expansion, out_ch, 1))
        self.block = nn.Sequential(*layers)

    def forward(self, x):
        y = self.block(x)
        return x + y if self.use_residual else y


# (input, kernel, expansion, output, SE, activation, stride) of Table 1
LARGE = [
    (16, 3, 16, 16, False, "RE", 1),
    (16, 3, 64, 24, False, "RE", 2),
    (24, 3, 72, 24, False, "RE", 1),
    (24, 5, 72, 40, True, "RE", 2),
    (40, 5, 120, 40, True, "RE", 1),
    (40, 5, 120, 40, True, "RE", 1),
    (40, 3, 240, 80, False, "HS", 2),
    (80, 3, 200, 80, False, "HS", 1),
    (80, 3, 184, 80, False, "HS", 1),
    (80, 3, 184, 80, False, "HS", 1),
    (80, 3, 480, 112, True, "HS", 1),
    (112, 3, 672, 112, True, "HS", 1),
    (112, 5, 672, 160, True, "HS", 2),
    (160, 5, 960, 160, True, "HS", 1),
    (160, 5, 960, 160, True, "HS", 1),
]


class MobileNetV3(nn.Module):
    def __init__(self, config=LARGE, last_conv=960, last_linear=1280, num_classes=1000, dropout=0.2):
        super().__init__()
        layers = [ConvBN(3, config[0][0], 3, stride=2, act="HS")]
        layers += [Bottleneck(*row) for row in config]
        layers.append(ConvBN(config[-1][3], last_conv, 1, act="HS"))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Linear(last_conv, last_linear),
            nn.Hardswish(inplace=True),
            nn.Dropout(dropout, inplace=True),
            nn.Linear(last_linear, num_classes),
        )

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))
