# GoogLeNet (Inception v1), written for the convarith corpus from the paper's description:
# C. Szegedy et al., "Going Deeper with Convolutions", CVPR 2015, arXiv:1409.4842
# (Fig. 2b: the Inception module; Table 1: the network).
#
# An Inception module runs four branches on the same input and concatenates them on the
# channel axis (torch.cat): 1x1 conv; 1x1 reduce then 3x3; 1x1 reduce then the "5x5"
# branch; 3x3 max pool (stride 1) then 1x1 projection. Two departures from the paper, kept
# so that the parameter count matches the widely published 6,624,904 (1000 classes, no
# auxiliary classifiers): every conv is conv (no bias) + BatchNorm (eps 1e-3) + ReLU
# instead of conv + ReLU with local response normalization, and the "5x5" branch uses a
# 3x3 kernel. Pools use ceil_mode as in the Caffe original. The auxiliary classifiers
# only run while training, so this eval-mode network leaves them out.
import torch
import torch.nn as nn


class ConvBNReLU(nn.Module):
    def __init__(self, in_ch, out_ch, kernel_size, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, kernel_size, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(out_ch, eps=0.001)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


class Inception(nn.Module):
    def __init__(self, in_ch, ch1x1, ch3x3_reduce, ch3x3, ch5x5_reduce, ch5x5, pool_proj):
        super().__init__()
        self.branch1 = ConvBNReLU(in_ch, ch1x1, 1)
        self.branch2 = nn.Sequential(ConvBNReLU(in_ch, ch3x3_reduce, 1), ConvBNReLU(ch3x3_reduce, ch3x3, 3, padding=1))
        self.branch3 = nn.Sequential(ConvBNReLU(in_ch, ch5x5_reduce, 1), ConvBNReLU(ch5x5_reduce, ch5x5, 3, padding=1))
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),
            ConvBNReLU(in_ch, pool_proj, 1),
        )

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class GoogLeNet(nn.Module):
    def __init__(self, num_classes=1000, dropout=0.2):
        super().__init__()
        self.conv1 = ConvBNReLU(3, 64, 7, stride=2, padding=3)
        self.pool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = ConvBNReLU(64, 64, 1)
        self.conv3 = ConvBNReLU(64, 192, 3, padding=1)
        self.pool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        # (in, #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj) of Table 1
        self.inception3a = Inception(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = Inception(256, 128, 128, 192, 32, 96, 64)
        self.pool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception4a = Inception(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = Inception(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = Inception(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = Inception(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = Inception(528, 256, 160, 320, 32, 128, 128)
        self.pool4 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception5a = Inception(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = Inception(832, 384, 192, 384, 48, 128, 128)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(1024, num_classes)

    def forward(self, x):
        x = self.pool1(self.conv1(x))
        x = self.pool2(self.conv3(self.conv2(x)))
        x = self.pool3(self.inception3b(self.inception3a(x)))
        x = self.inception4a(x)
        x = self.inception4b(x)
        x = self.inception4c(x)
        x = self.inception4d(x)
        x = self.pool4(self.inception4e(x))
        x = self.inception5b(self.inception5a(x))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(self.dropout(x))
