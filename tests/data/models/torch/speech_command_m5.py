# Source: https://github.com/pytorch/tutorials/blob/84c6357b6405aa921e11a19cbfed2b4c856eafbd/intermediate_source/speech_command_classification_with_torchaudio_tutorial.py
#   ("Speech Command Classification with torchaudio", section "Define the Network": M5 from
#   Dai et al., "Very deep convolutional neural networks for raw waveforms", ICASSP 2017)
# Licence: BSD-3-Clause (pytorch/tutorials, Copyright (c) 2017-, Pytorch contributors)
# Copied: class M5 verbatim, with the tutorial's `import torch`, `import torch.nn as nn`,
#   `import torch.nn.functional as F`.
# Trimmed: dataset download/resampling, training/test loops, recording helpers, and the
#   imports only they use (torchaudio, sys, matplotlib, IPython, tqdm, optim).
# Note: the tutorial builds it as `M5(n_input=transformed.shape[0], n_output=len(labels))`;
#   with the tutorial's mono 8 kHz waveforms and the 35 SpeechCommands labels that is
#   M5(n_input=1, n_output=35) on inputs of shape [batch, 1, 8000].
import torch
import torch.nn as nn
import torch.nn.functional as F


class M5(nn.Module):
    def __init__(self, n_input=1, n_output=35, stride=16, n_channel=32):
        super().__init__()
        self.conv1 = nn.Conv1d(n_input, n_channel, kernel_size=80, stride=stride)
        self.bn1 = nn.BatchNorm1d(n_channel)
        self.pool1 = nn.MaxPool1d(4)
        self.conv2 = nn.Conv1d(n_channel, n_channel, kernel_size=3)
        self.bn2 = nn.BatchNorm1d(n_channel)
        self.pool2 = nn.MaxPool1d(4)
        self.conv3 = nn.Conv1d(n_channel, 2 * n_channel, kernel_size=3)
        self.bn3 = nn.BatchNorm1d(2 * n_channel)
        self.pool3 = nn.MaxPool1d(4)
        self.conv4 = nn.Conv1d(2 * n_channel, 2 * n_channel, kernel_size=3)
        self.bn4 = nn.BatchNorm1d(2 * n_channel)
        self.pool4 = nn.MaxPool1d(4)
        self.fc1 = nn.Linear(2 * n_channel, n_output)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(self.bn1(x))
        x = self.pool1(x)
        x = self.conv2(x)
        x = F.relu(self.bn2(x))
        x = self.pool2(x)
        x = self.conv3(x)
        x = F.relu(self.bn3(x))
        x = self.pool3(x)
        x = self.conv4(x)
        x = F.relu(self.bn4(x))
        x = self.pool4(x)
        x = F.avg_pool1d(x, x.shape[-1])
        x = x.permute(0, 2, 1)
        x = self.fc1(x)
        return F.log_softmax(x, dim=2)
