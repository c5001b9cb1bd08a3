"""Ground-truth oracle for ``convarith plan``: per-layer shapes, parameters and MACs of six
preset networks, measured by running them in real PyTorch.

Importable without torch: torch is imported lazily inside the functions.
``tools/gen_golden_plan.py`` and any live test use this module, so the golden data and the
live check run exactly the same models and the same recorder.

* ``PRESETS``: the preset names, in golden-file order.
* ``build(name) -> (nn.Module, input_shape)``: the network (eval mode, fixed seed) and its
  per-sample input shape (no batch dimension).
* ``record(model, input_shape) -> dict``: one forward pass on ``torch.zeros(1, *shape)``
  with forward hooks on every leaf module (a module without children), in execution
  order; non-module operations (residual ``add``, ``cat``, ``crop``) are recorded by the
  models' own forward code through :func:`note`.  Returns::

      {"input": [...], "total_params": int, "total_macs": int, "output": [...],
       "layers": [{"index", "module", "name", "repr", "inputs", "output", "params",
                   "macs"}, ...]}

  ``inputs``/``output`` are shapes without the batch dimension (``inputs`` is one shape
  per tensor argument: two for ``add``/``cat``).  ``name`` is the module's qualified name
  (for non-module operations: the name of the block that performed them).

MACs (multiply-accumulates per sample, bias excluded), from the tensors torch produced:
Conv = output.numel() * (in_channels // groups) * prod(kernel_size); ConvTranspose =
input.numel() * (out_channels // groups) * prod(kernel_size); Linear = (output.numel() //
out_features) * in_features * out_features (= in_features * out_features for a flat
input); every other module and operation 0.
"""

from __future__ import annotations

import math

PRESETS = ("lenet5", "alexnet", "vgg16", "resnet18", "unet", "mnist-cnn")

MAC_DEFINITION = (
    "MACs are multiply-accumulates per sample with bias additions excluded: "
    "Conv = output.numel() * (in_channels // groups) * prod(kernel_size), "
    "ConvTranspose = input.numel() * (out_channels // groups) * prod(kernel_size), "
    "Linear = in_features * out_features, every other module or operation 0."
)

INPUT_SHAPES = {
    "lenet5": (1, 32, 32),
    "alexnet": (3, 227, 227),
    "vgg16": (3, 224, 224),
    "resnet18": (3, 224, 224),
    "unet": (1, 572, 572),
    "mnist-cnn": (1, 28, 28),
}

# --------------------------------------------------------------------------
# recording of non-module operations
# --------------------------------------------------------------------------

_ACTIVE = []  # stack of recorders (callables (kind, name, inputs, output, repr))


def note(kind, name, inputs, output, desc=None):
    """Called by the models' forward code after a non-module op; no-op when not recording."""
    if _ACTIVE:
        _ACTIVE[-1](kind, name, inputs, output, desc)


def _shape(t):
    return [int(d) for d in t.shape[1:]]


# --------------------------------------------------------------------------
# models (classes are created lazily so that importing this file needs no torch)
# --------------------------------------------------------------------------

_CLASSES = {}


def _classes():
    if _CLASSES:
        return _CLASSES
    import torch
    from torch import nn

    class BasicBlock(nn.Module):
        """torchvision.models.resnet.BasicBlock (expansion 1), one shared ReLU module."""

        def __init__(self, inplanes, planes, stride=1, downsample=None):
            super().__init__()
            self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.downsample = downsample
            self.stride = stride
            self._qualname = ""

        def forward(self, x):
            identity = x
            out = self.conv1(x)
            out = self.bn1(out)
            out = self.relu(out)
            out = self.conv2(out)
            out = self.bn2(out)
            if self.downsample is not None:
                identity = self.downsample(x)
            res = out + identity
            note("add", self._qualname, [out, identity], res, "out + identity")
            out = res
            out = self.relu(out)
            return out

    class ResNet18(nn.Module):
        def __init__(self, num_classes=1000):
            super().__init__()
            self.inplanes = 64
            self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
            self.layer1 = self._make_layer(64, 2)
            self.layer2 = self._make_layer(128, 2, stride=2)
            self.layer3 = self._make_layer(256, 2, stride=2)
            self.layer4 = self._make_layer(512, 2, stride=2)
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.flatten = nn.Flatten()
            self.fc = nn.Linear(512, num_classes)
            for name, m in self.named_modules():
                if isinstance(m, BasicBlock):
                    m._qualname = name

        def _make_layer(self, planes, blocks, stride=1):
            downsample = None
            if stride != 1 or self.inplanes != planes:
                downsample = nn.Sequential(
                    nn.Conv2d(self.inplanes, planes, 1, stride=stride, bias=False),
                    nn.BatchNorm2d(planes),
                )
            layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
            self.inplanes = planes
            for _ in range(1, blocks):
                layers.append(BasicBlock(self.inplanes, planes))
            return nn.Sequential(*layers)

        def forward(self, x):
            x = self.conv1(x)
            x = self.bn1(x)
            x = self.relu(x)
            x = self.maxpool(x)
            x = self.layer1(x)
            x = self.layer2(x)
            x = self.layer3(x)
            x = self.layer4(x)
            x = self.avgpool(x)
            x = self.flatten(x)  # torchvision uses torch.flatten(x, 1); recorded as a module
            return self.fc(x)

    def double_conv(cin, cout):
        return nn.Sequential(
            nn.Conv2d(cin, cout, 3),
            nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3),
            nn.ReLU(inplace=True),
        )

    class UNet(nn.Module):
        """Ronneberger et al. 2015: valid 3x3 convs + ReLU, no batch norm, crop-and-concat."""

        def __init__(self, in_channels=1, num_classes=2):
            super().__init__()
            chans = [64, 128, 256, 512]
            self.down = nn.ModuleList()
            self.pools = nn.ModuleList()
            c = in_channels
            for ch in chans:
                self.down.append(double_conv(c, ch))
                self.pools.append(nn.MaxPool2d(2))
                c = ch
            self.bottleneck = double_conv(512, 1024)
            self.ups = nn.ModuleList()
            self.up_convs = nn.ModuleList()
            c = 1024
            for _ in range(4):
                self.ups.append(nn.ConvTranspose2d(c, c // 2, 2, stride=2))
                self.up_convs.append(double_conv(c, c // 2))
                c //= 2
            self.head = nn.Conv2d(64, num_classes, 1)

        def forward(self, x):
            skips = []
            for conv, pool in zip(self.down, self.pools, strict=True):
                x = conv(x)
                skips.append(x)
                x = pool(x)
            x = self.bottleneck(x)
            for i, (up, conv) in enumerate(zip(self.ups, self.up_convs, strict=True)):
                x = up(x)
                skip = skips[-1 - i]
                h, w = x.shape[-2:]
                top = (skip.shape[-2] - h) // 2
                left = (skip.shape[-1] - w) // 2
                cropped = skip[..., top : top + h, left : left + w]
                note("crop", f"up{i}", [skip], cropped, f"skip[..., {top}:{top + h}, {left}:{left + w}]")
                cat = torch.cat([cropped, x], dim=1)
                note("cat", f"up{i}", [cropped, x], cat, "torch.cat([cropped_skip, up], dim=1)")
                x = conv(cat)
            return self.head(x)

    _CLASSES.update(ResNet18=ResNet18, UNet=UNet)
    return _CLASSES


def build(name):
    """Return ``(model, input_shape)`` for a preset; model in eval mode, seed 0."""
    import torch
    from torch import nn

    if name not in INPUT_SHAPES:
        raise KeyError(f"unknown preset {name!r}; expected one of {PRESETS}")
    torch.manual_seed(0)
    if name == "lenet5":
        model = nn.Sequential(
            nn.Conv2d(1, 6, 5),
            nn.Tanh(),
            nn.AvgPool2d(2),
            nn.Conv2d(6, 16, 5),
            nn.Tanh(),
            nn.AvgPool2d(2),
            nn.Flatten(),
            nn.Linear(400, 120),
            nn.Tanh(),
            nn.Linear(120, 84),
            nn.Tanh(),
            nn.Linear(84, 10),
        )
    elif name == "alexnet":
        model = nn.Sequential(
            nn.Conv2d(3, 96, 11, stride=4),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(96, 256, 5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(256, 384, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2),
            nn.Flatten(),
            nn.Linear(9216, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
            nn.Linear(4096, 1000),
        )
    elif name == "vgg16":
        layers, c = [], 3
        for v in (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"):
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU(inplace=True)]
                c = v
        layers += [
            nn.Flatten(),
            nn.Linear(25088, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
            nn.Linear(4096, 1000),
        ]
        model = nn.Sequential(*layers)
    elif name == "resnet18":
        model = _classes()["ResNet18"]()
    elif name == "unet":
        model = _classes()["UNet"]()
    else:  # mnist-cnn
        model = nn.Sequential(
            nn.Conv2d(1, 32, 3),
            nn.ReLU(),
            nn.Conv2d(32, 64, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(9216, 128),
            nn.ReLU(),
            nn.Linear(128, 10),
        )
    model.eval()
    return model, tuple(INPUT_SHAPES[name])


def _macs(module, inp, out):
    from torch import nn

    if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
        per_sample = out.numel() // out.shape[0]
        return per_sample * (module.in_channels // module.groups) * math.prod(module.kernel_size)
    if isinstance(module, (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)):
        per_sample = inp.numel() // inp.shape[0]
        return per_sample * (module.out_channels // module.groups) * math.prod(module.kernel_size)
    if isinstance(module, nn.Linear):
        positions = (out.numel() // out.shape[0]) // module.out_features
        return positions * module.in_features * module.out_features
    return 0


def record(model, input_shape):
    """Run ``model`` on ``zeros(1, *input_shape)`` and return the per-layer record."""
    import torch

    layers = []

    def add(entry):
        entry = {"index": len(layers), **entry}
        layers.append(entry)

    def make_hook(qualname):
        def hook(module, args, out):
            tensors = [a for a in args if isinstance(a, torch.Tensor)]
            add(
                {
                    "module": type(module).__name__,
                    "name": qualname,
                    "repr": repr(module),
                    "inputs": [_shape(t) for t in tensors],
                    "output": _shape(out),
                    "params": sum(p.numel() for p in module.parameters(recurse=False)),
                    "macs": _macs(module, tensors[0], out),
                }
            )

        return hook

    def on_op(kind, name, inputs, output, desc):
        add(
            {
                "module": kind,
                "name": name,
                "repr": desc or kind,
                "inputs": [_shape(t) for t in inputs],
                "output": _shape(output),
                "params": 0,
                "macs": 0,
            }
        )

    handles = []
    for qualname, m in model.named_modules():
        if next(m.children(), None) is None:
            handles.append(m.register_forward_hook(make_hook(qualname)))
    _ACTIVE.append(on_op)
    try:
        with torch.no_grad():
            out = model(torch.zeros(1, *input_shape))
    finally:
        _ACTIVE.pop()
        for h in handles:
            h.remove()

    total_params = sum(p.numel() for p in model.parameters())
    layer_params = sum(e["params"] for e in layers)
    assert total_params == layer_params, (total_params, layer_params)
    return {
        "input": [int(d) for d in input_shape],
        "total_params": int(total_params),
        "total_macs": int(sum(e["macs"] for e in layers)),
        "output": _shape(out),
        "layers": layers,
    }
