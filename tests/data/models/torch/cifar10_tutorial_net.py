# Source: https://github.com/pytorch/tutorials/blob/04e3d04bcf91d38a1213918eba70dc43e9b0ce45/beginner_source/blitz/cifar10_tutorial.py
#   ("Training a Classifier", section "2. Define a Convolutional Neural Network")
# Licence: BSD-3-Clause (pytorch/tutorials, Copyright (c) 2017-, Pytorch contributors)
# Copied: class Net verbatim, with `import torch`, `import torch.nn as nn` and
#   `import torch.nn.functional as F` as the tutorial imports them.
# Trimmed: the tutorial's data loading, plotting, training and evaluation code (and the
#   torchvision/matplotlib/numpy/optim imports that only that code uses).
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 16 * 5 * 5)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x
