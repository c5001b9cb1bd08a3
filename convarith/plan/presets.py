"""Built-in networks from the course material, as planner layer lists."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from ..errors import ShapeError
from .schema import Spec, Value, show


def _conv(out: int, k: int, s: int = 1, p: int = 0, name: str | None = None, bias: bool = True, **extra: Value) -> Spec:
    return {
        "type": "conv",
        "out_channels": out,
        "kernel_size": k,
        "stride": s,
        "padding": p,
        "bias": bias,
        **({"name": name} if name else {}),
        **extra,
    }


def _act(kind: str = "relu", **extra: Value) -> Spec:
    return {"type": kind, **extra}


def lenet5() -> list[Spec]:
    return [
        _conv(6, 5),
        _act("tanh"),
        {"type": "avg_pool", "kernel_size": 2},
        _conv(16, 5),
        _act("tanh"),
        {"type": "avg_pool", "kernel_size": 2},
        {"type": "flatten"},
        {"type": "linear", "in_features": 400, "out_features": 120},
        _act("tanh"),
        {"type": "linear", "in_features": 120, "out_features": 84},
        _act("tanh"),
        {"type": "linear", "in_features": 84, "out_features": 10},
    ]


def alexnet() -> list[Spec]:
    pool = {"type": "max_pool", "kernel_size": 3, "stride": 2}
    return [
        _conv(96, 11, 4),
        _act(),
        dict(pool),
        _conv(256, 5, p=2),
        _act(),
        dict(pool),
        _conv(384, 3, p=1),
        _act(),
        _conv(384, 3, p=1),
        _act(),
        _conv(256, 3, p=1),
        _act(),
        dict(pool),
        {"type": "flatten"},
        {"type": "linear", "in_features": 9216, "out_features": 4096},
        _act(),
        {"type": "dropout"},
        {"type": "linear", "in_features": 4096, "out_features": 4096},
        _act(),
        {"type": "dropout"},
        {"type": "linear", "in_features": 4096, "out_features": 1000},
    ]


def vgg16() -> list[Spec]:
    layers: list[Spec] = []
    config: list[int | str] = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
    for c in config:  # "M": a max pool
        layers += (
            [{"type": "max_pool", "kernel_size": 2, "stride": 2}] if isinstance(c, str) else [_conv(c, 3, p=1), _act()]
        )
    return layers + [
        {"type": "flatten"},
        {"type": "linear", "in_features": 25088, "out_features": 4096},
        _act(),
        {"type": "dropout"},
        {"type": "linear", "in_features": 4096, "out_features": 4096},
        _act(),
        {"type": "dropout"},
        {"type": "linear", "in_features": 4096, "out_features": 1000},
    ]


def resnet18() -> list[Spec]:
    layers: list[Spec] = [
        _conv(64, 7, 2, 3, bias=False),
        {"type": "batch_norm"},
        _act(),
        {"type": "max_pool", "kernel_size": 3, "stride": 2, "padding": 1, "name": "stem"},
    ]
    previous, channels = "stem", 64
    for stage, width in enumerate([64, 128, 256, 512], 1):
        for block in range(2):
            stride = 2 if stage > 1 and block == 0 else 1
            tag = f"layer{stage}.{block}"
            layers += [
                _conv(width, 3, stride, 1, bias=False, name=f"{tag}.conv1", inputs=[previous]),
                {"type": "batch_norm"},
                _act(),
                _conv(width, 3, 1, 1, bias=False),
                {"type": "batch_norm", "name": f"{tag}.bn2"},
            ]
            shortcut = previous
            if stride != 1 or channels != width:
                layers += [
                    _conv(width, 1, stride, 0, bias=False, name=f"{tag}.downsample", inputs=[previous]),
                    {"type": "batch_norm", "name": f"{tag}.downsample.bn"},
                ]
                shortcut = f"{tag}.downsample.bn"
            layers += [{"type": "add", "inputs": [f"{tag}.bn2", shortcut]}, _act(name=tag)]
            previous, channels = tag, width
    return layers + [
        {"type": "adaptive_avg_pool", "output_size": 1},
        {"type": "flatten"},
        {"type": "linear", "in_features": 512, "out_features": 1000},
    ]


def unet() -> list[Spec]:
    def double(c: int, name: str | None = None) -> list[Spec]:
        return [_conv(c, 3), _act(), _conv(c, 3), _act(name=name)]

    layers: list[Spec] = []
    for depth, c in enumerate([64, 128, 256, 512]):
        layers += double(c, name=f"enc{depth}") + [{"type": "max_pool", "kernel_size": 2, "stride": 2}]
    layers += double(1024)
    for depth, c in reversed(list(enumerate([64, 128, 256, 512]))):
        layers += [
            {"type": "conv_transpose", "out_channels": c, "kernel_size": 2, "stride": 2, "name": f"up{depth}"},
            {"type": "crop", "inputs": [f"enc{depth}"], "like": f"up{depth}", "name": f"skip{depth}"},
            {"type": "concat", "inputs": [f"skip{depth}", f"up{depth}"]},
        ]
        layers += double(c)
    return layers + [_conv(2, 1)]


def mnist_cnn() -> list[Spec]:
    return [
        _conv(32, 3),
        _act(),
        _conv(64, 3),
        _act(),
        {"type": "max_pool", "kernel_size": 2},
        {"type": "flatten"},
        {"type": "linear", "in_features": 9216, "out_features": 128},
        _act(),
        {"type": "linear", "in_features": 128, "out_features": 10},
    ]


class Preset(NamedTuple):
    build: Callable[[], list[Spec]]
    input_shape: tuple[int, ...]  # (C, *spatial)
    description: str


PRESETS: dict[str, Preset] = {
    "lenet5": Preset(lenet5, (1, 32, 32), "LeNet-5 (LeCun et al. 1998), tanh, average pooling, 32x32 input"),
    "alexnet": Preset(alexnet, (3, 227, 227), "AlexNet as taught: 227x227 input, 96-256-384-384-256 convolutions"),
    "vgg16": Preset(vgg16, (3, 224, 224), "VGG-16: thirteen 3x3 convolutions, five 2x2 max pools, three FC layers"),
    "resnet18": Preset(resnet18, (3, 224, 224), "ResNet-18 as in torchvision, with residual additions"),
    "unet": Preset(unet, (1, 572, 572), "The original U-Net: valid 3x3 convolutions, copy-and-crop skips, 572 -> 388"),
    "mnist-cnn": Preset(
        mnist_cnn, (1, 28, 28), "The Keras MNIST lab CNN: 32 and 64 3x3 convolutions, 2x2 pool, dense 128"
    ),
}


def preset(name: str) -> tuple[list[Spec], tuple[int, ...]]:
    """(layers, input_shape) of a built-in network."""
    if not isinstance(name, str) or name not in PRESETS:
        raise ShapeError("preset", f"unknown preset {show(name)}; known: {', '.join(PRESETS)}")
    build, shape, _ = PRESETS[name]
    return build(), shape
