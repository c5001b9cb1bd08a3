# SPP-net, written for the convarith corpus from the paper's description:
# K. He, X. Zhang, S. Ren and J. Sun, "Spatial Pyramid Pooling in Deep Convolutional
# Networks for Visual Recognition", ECCV 2014 / TPAMI 2015, arXiv:1406.4729
# (Sec. 2.3 and Fig. 4: the pyramid pooling layer; Table 1: the ZF-5 network).
#
# Five conv layers in the style of ZF-5 (conv 96 7x7/2, LRN, pool 3x3/2; conv 256 5x5/2,
# LRN, pool 3x3/2; three 3x3 convs 384, 384, 256), then spatial pyramid pooling: for an
# a x a conv5 map and an n x n pyramid level the max pool window is ceil(a/n) and the
# stride floor(a/n) (Sec. 2.3), computed in forward from the running size, so any input
# size gives the same fixed-length vector (the 4-level pyramid 6x6, 3x3, 2x2, 1x1: 50 bins
# of 256 channels). The levels are flattened with view and concatenated, then fc6, fc7
# (4096, dropout) and the classifier. Everything but the convs and fcs is a functional call.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class SPPNet(nn.Module):
    def __init__(self, levels=(6, 3, 2, 1), num_classes=1000):
        super().__init__()
        self.levels = levels
        self.conv1 = nn.Conv2d(3, 96, 7, stride=2)
        self.conv2 = nn.Conv2d(96, 256, 5, stride=2)
        self.conv3 = nn.Conv2d(256, 384, 3, padding=1)
        self.conv4 = nn.Conv2d(384, 384, 3, padding=1)
        self.conv5 = nn.Conv2d(384, 256, 3, padding=1)
        bins = sum(n * n for n in levels)
        self.fc6 = nn.Linear(256 * bins, 4096)
        self.fc7 = nn.Linear(4096, 4096)
        self.fc8 = nn.Linear(4096, num_classes)

    def pyramid_pool(self, x):
        n, c, h, w = x.shape
        pooled = []
        for level in self.levels:
            window = (math.ceil(h / level), math.ceil(w / level))
            stride = (math.floor(h / level), math.floor(w / level))
            pooled.append(F.max_pool2d(x, kernel_size=window, stride=stride).view(n, -1))
        return torch.cat(pooled, dim=1)

    def forward(self, x):
        x = F.max_pool2d(F.local_response_norm(F.relu(self.conv1(x)), 5), 3, 2)
        x = F.max_pool2d(F.local_response_norm(F.relu(self.conv2(x)), 5), 3, 2)
        x = F.relu(self.conv3(x))
        x = F.relu(self.conv4(x))
        x = F.relu(self.conv5(x))
        x = self.pyramid_pool(x)
        x = F.dropout(F.relu(self.fc6(x)), 0.5, self.training)
        x = F.dropout(F.relu(self.fc7(x)), 0.5, self.training)
        return self.fc8(x)
