"""Options shared by several commands: the layer's arguments, the framework, output modes, budgets."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from .. import limits
from ..errors import LimitError


class Op(str, Enum):
    conv = "conv"
    conv_transpose = "conv-transpose"
    max_pool = "max-pool"
    avg_pool = "avg-pool"
    adaptive_avg_pool = "adaptive-avg-pool"
    adaptive_max_pool = "adaptive-max-pool"


class Framework(str, Enum):
    torch = "torch"
    tf = "tf"
    keras = "keras"


InputOpt = Annotated[
    str,
    typer.Option(
        "--input",
        "-i",
        help="Spatial sizes (32x32), or the whole tensor with batch and channels "
        "(1x3x224x224 for torch, 1x224x224x3 for tf/keras).",
    ),
]
KernelOpt = Annotated[str | None, typer.Option("--kernel-size", "-k", help="Kernel size: 3, or per axis 3x5 / 3,5.")]
StrideOpt = Annotated[
    str | None, typer.Option("--stride", "-s", help="Stride: 2 or per axis 2x1. Pools default to the kernel size.")
]
PaddingOpt = Annotated[
    str | None,
    typer.Option(
        "--padding",
        "-p",
        help="Padding: 1, 1x2, same, valid, causal (keras 1-D), or explicit before:after per axis for tf (0:1x0:1).",
    ),
]
DilationOpt = Annotated[str | None, typer.Option("--dilation", "-d", help="Dilation: 2 or per axis 2x1.")]
GroupsOpt = Annotated[
    int | None, typer.Option("--groups", "-g", help="Groups (convolutions): in and out channels must divide by it.")
]
OutPadOpt = Annotated[
    str | None,
    typer.Option("--output-padding", help="Transposed convolution: extra cells on the bottom/right (torch, keras)."),
]
OutSizeOpt = Annotated[
    str | None,
    typer.Option(
        "--output-size",
        help="conv-transpose: the output size asked of forward(output_size=) / tf output_shape; "
        "adaptive pools: the target size.",
    ),
]
CeilOpt = Annotated[bool, typer.Option("--ceil-mode", help="Pooling (torch): round the window count up.")]
InChOpt = Annotated[
    int | None,
    typer.Option(
        "--in-channels", help="Input channels of a convolution (checked against --input when it holds channels)."
    ),
]
OutChOpt = Annotated[
    int | None,
    typer.Option("--out-channels", help="Output channels of a convolution (needed to print a whole tensor shape)."),
]
FrameworkOpt = Annotated[
    Framework, typer.Option("--framework", "-f", help="Whose rules: torch, tf (tf.nn ops) or keras (Keras 3 layers).")
]
ExplainOpt = Annotated[
    bool, typer.Option("--explain", help="Print the formula per axis with the numbers substituted, and warnings.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")]

MaxMemoryOpt = Annotated[
    str | None,
    typer.Option(
        "--max-memory",
        metavar="SIZE",
        help="Largest array, decoded image or scratch buffer allowed, e.g. 16G or 512M "
        f"(default: {limits.output_bytes // limits.GiB} GiB results, "
        f"{limits.temporary_bytes // limits.MiB} MiB scratch).",
    ),
]


MaxLayersOpt = Annotated[
    int | None,
    typer.Option(
        "--max-layers",
        metavar="N",
        help=f"Plan networks of up to N layers after repeats (default {limits.layers:,}; about 0.1 ms a layer).",
    ),
]


def use_max_layers(count: int | None) -> None:
    """Apply --max-layers to convarith.limits for this run."""
    if count is None:
        return
    if count < 1:
        raise LimitError("--max-layers", f"must be at least 1, got {count}")
    limits.layers = count


def use_max_memory(text: str | None) -> None:
    """Apply --max-memory to every byte budget of convarith.limits for this run."""
    if text is None:
        return
    size = limits.parse_size("--max-memory", text)
    limits.output_bytes = size
    limits.image_bytes = size
    limits.temporary_bytes = size
