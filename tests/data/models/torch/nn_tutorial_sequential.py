# Source: https://github.com/pytorch/tutorials/blob/main/beginner_source/nn_tutorial.py
#   ("What is torch.nn really?", section "nn.Sequential")
# Licence: BSD-3-Clause (pytorch/tutorials, Copyright (c) 2017-, Pytorch contributors)
# Copied: class Lambda, def preprocess and the module-level `model = nn.Sequential(...)`
#   verbatim (a Sequential-only definition with two Lambda layers: a `view` reshaping the
#   flat 784-vector to an image, and `x.view(x.size(0), -1)` flattening at the end).
# Trimmed: the rest of the tutorial (data download, the earlier hand-written models, fit/
#   loss_batch/get_data, the optimizer lines after the model); imports reduced to the two
#   that the copied code needs (the tutorial imports torch and `from torch import nn` too,
#   among others).
import torch
from torch import nn


class Lambda(nn.Module):
    def __init__(self, func):
        super().__init__()
        self.func = func

    def forward(self, x):
        return self.func(x)


def preprocess(x):
    return x.view(-1, 1, 28, 28)

model = nn.Sequential(
    Lambda(preprocess),
    nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.AvgPool2d(4),
    Lambda(lambda x: x.view(x.size(0), -1)),
)
