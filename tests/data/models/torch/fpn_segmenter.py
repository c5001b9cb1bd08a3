# A small semantic-segmentation network with a feature pyramid, written for the convarith
# corpus from the papers' descriptions:
# T.-Y. Lin et al., "Feature Pyramid Networks for Object Detection", CVPR 2017,
# arXiv:1612.03144 (Sec. 3: bottom-up pathway, 1x1 lateral connections, 2x nearest
# top-down upsampling added element-wise, 3x3 conv on each merged map);
# A. Kirillov et al., "Panoptic Feature Pyramid Networks", CVPR 2019, arXiv:1901.02446
# (Sec. 3 and Fig. 3: each level upsampled to 1/4 scale, summed, 1x1 classifier, 4x
# bilinear upsampling); W. Liu et al., "ParseNet: Looking Wider to See Better", 2015,
# arXiv:1506.04579 (global context: the image-level mean feature added back everywhere).
#
# The bottom-up pathway is a plain conv stack (two 3x3 convs per stage, F.max_pool2d 2x2
# between stages). The input is padded on the right and bottom with F.pad to a multiple of
# 32 (the coarsest stride) and the prediction is cropped back by slicing, so odd sizes work.
# Forward uses functional calls on purpose: F.pad, F.max_pool2d, F.relu, F.interpolate
# (nearest with scale_factor, bilinear with size), x.mean(dims), x.view, torch.flatten,
# slicing.
import torch
import torch.nn as nn
import torch.nn.functional as F


class Stage(nn.Module):
    def __init__(self, in_ch, out_ch):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(x)))


class FPNSegmenter(nn.Module):
    def __init__(self, in_channels=3, widths=(32, 64, 128, 256, 512), fpn_dim=64, head_dim=32, num_classes=21):
        super().__init__()
        self.stages = nn.ModuleList()
        prev = in_channels
        for w in widths:
            self.stages.append(Stage(prev, w))
            prev = w
        # lateral 1x1 and output 3x3 convs on the strides 4, 8, 16, 32 (stages 1..4)
        self.lateral = nn.ModuleList([nn.Conv2d(w, fpn_dim, 1) for w in widths[2:]])
        self.smooth = nn.ModuleList([nn.Conv2d(fpn_dim, fpn_dim, 3, padding=1) for _ in widths[2:]])
        self.context = nn.Linear(fpn_dim, fpn_dim)
        self.head = nn.ModuleList([nn.Conv2d(fpn_dim, head_dim, 3, padding=1) for _ in widths[2:]])
        self.classifier = nn.Conv2d(head_dim, num_classes, 1)
        self.stride = 2 ** (len(widths) - 1)

    def forward(self, x):
        n, _, h, w = x.shape
        pad_h = (self.stride - h % self.stride) % self.stride
        pad_w = (self.stride - w % self.stride) % self.stride
        x = F.pad(x, (0, pad_w, 0, pad_h))
        features = []
        for i, stage in enumerate(self.stages):
            if i > 0:
                x = F.max_pool2d(x, 2)
            x = stage(x)
            features.append(x)
        features = features[2:]  # strides 4, 8, 16, 32
        top = self.lateral[-1](features[-1])
        merged = [top]
        for lateral, feature in zip(reversed(self.lateral[:-1]), reversed(features[:-1])):
            top = lateral(feature) + F.interpolate(top, scale_factor=2, mode="nearest")
            merged.insert(0, top)
        pyramid = [smooth(m) for smooth, m in zip(self.smooth, merged)]
        # global context (ParseNet): the mean over all positions of the coarsest level
        context = torch.flatten(pyramid[-1].mean((2, 3)), 1)
        context = F.relu(self.context(context)).view(n, -1, 1, 1)
        size = pyramid[0].shape[-2:]
        fused = 0
        for head, level in zip(self.head, pyramid):
            y = F.relu(head(level + context))
            if y.shape[-2:] != size:
                y = F.interpolate(y, size=size, mode="bilinear", align_corners=False)
            fused = fused + y
        out = self.classifier(fused)
        out = F.interpolate(out, scale_factor=4, mode="bilinear", align_corners=False)
        return out[:, :, :h, :w]
