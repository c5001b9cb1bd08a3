"""``convarith port``: one layer's code in another framework, with identical outputs."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from . import app, parse
from .options import (
    CeilOpt,
    DilationOpt,
    Framework,
    GroupsOpt,
    JsonOpt,
    KernelOpt,
    Op,
    OutChOpt,
    OutPadOpt,
    OutSizeOpt,
    PaddingOpt,
    StrideOpt,
)


@app.command()
def port(
    op: Annotated[Op, typer.Argument(help="The layer: conv, conv-transpose, max-pool, avg-pool.")],
    source: Annotated[Framework, typer.Option("--from", help="The framework the layer is written in.")],
    target: Annotated[
        Framework,
        typer.Option(
            "--to", help="The framework to write it in: torch (nn modules), keras (layers) or tf (tf.nn ops)."
        ),
    ],
    input: Annotated[
        str,
        typer.Option(
            "--input",
            "-i",
            help="The whole input, batch first, in the SOURCE layout: 1x224x224x3 (tf/keras), 1x3x224x224.",
        ),
    ],
    kernel_size: KernelOpt = None,
    stride: StrideOpt = None,
    padding: PaddingOpt = None,
    dilation: DilationOpt = None,
    groups: GroupsOpt = None,
    output_padding: OutPadOpt = None,
    output_size: OutSizeOpt = None,
    ceil_mode: CeilOpt = False,
    out_channels: OutChOpt = None,
    no_bias: Annotated[bool, typer.Option("--no-bias", help="Convolutions: the layer has no bias.")] = False,
    exclude_pad: Annotated[
        bool,
        typer.Option("--exclude-pad", help="torch avg-pool: count_include_pad=False (padding not in the divisor)."),
    ] = False,
    padding_mode: Annotated[
        str, typer.Option("--padding-mode", help="torch conv: zeros, reflect, replicate or circular.")
    ] = "zeros",
    depth_multiplier: Annotated[
        int | None,
        typer.Option(
            "--depth-multiplier",
            help="The source is a depthwise conv (Keras DepthwiseConv1D/2D, tf.nn.depthwise_conv2d) with this "
            "multiplier; its weight is (*k, in, multiplier).",
        ),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """The target framework's code for a layer, with the weight conversion: same shape and values."""
    from ..errors import OptionError
    from ..port import port as make_port

    if op.value.startswith("adaptive"):
        raise OptionError("op", "adaptive pools are PyTorch's only; tf and Keras have no such layer to port to")
    if kernel_size is None:
        raise OptionError("--kernel-size", f"is required for {op.value}")
    shape = parse.shape("--input", input)
    arguments: dict[str, Any] = {"kernel_size": parse.sizes("--kernel-size", kernel_size)}
    if stride is not None:
        arguments["stride"] = parse.sizes("--stride", stride)
    if padding is not None:
        value = parse.padding(padding)
        arguments["padding"] = value.upper() if source is Framework.tf and isinstance(value, str) else value
    if dilation is not None:
        arguments["dilation"] = parse.sizes("--dilation", dilation)
    if op in (Op.conv, Op.conv_transpose):
        arguments.update(groups=groups or 1, out_channels=out_channels, bias=not no_bias)
        if op is Op.conv:
            arguments["padding_mode"] = padding_mode
            if depth_multiplier is not None:
                arguments["depth_multiplier"] = depth_multiplier
    elif groups is not None or out_channels is not None:
        raise OptionError("--groups", "applies to convolutions")
    if output_padding is not None:
        arguments["output_padding"] = parse.sizes("--output-padding", output_padding)
    if output_size is not None:
        arguments["output_size"] = parse.sizes("--output-size", output_size)
    if op in (Op.max_pool, Op.avg_pool):
        arguments["ceil_mode"] = ceil_mode
    if op is Op.avg_pool:
        arguments["count_include_pad"] = not exclude_pad
    ported = make_port(op.value.replace("-", "_"), shape, source.value, target.value, **arguments)
    if json:
        from .output import print_json

        print_json(ported.to_dict())
        return
    for note in ported.notes:
        typer.echo(f"# note: {note}")
    typer.echo(ported.code, nl=False)
