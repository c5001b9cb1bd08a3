"""``convarith apply``: convolve a real image with a named or loaded kernel."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import app, parse


class PaddingMode(str, Enum):
    zeros = "zeros"
    reflect = "reflect"
    replicate = "replicate"
    circular = "circular"


KERNEL_HELP = ("Named kernel: identity, box-blur, gaussian, sharpen, sobel-x, sobel-y, scharr-x, scharr-y, "
               "laplacian, emboss, vertical-edge, horizontal-edge.")


@app.command()
def apply(
    image: Annotated[Optional[Path], typer.Argument(help="A PNG or JPEG (grey, RGB or RGBA; alpha is dropped). "
                                                         "Default: a photograph that ships with matplotlib.")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Result: .png scaled for viewing, or .npy raw values (C, H, W).")] = Path("convolved.png"),
    kernel: Annotated[str, typer.Option("--kernel", "-k", help=KERNEL_HELP)] = "sobel-x",
    kernel_file: Annotated[Optional[Path], typer.Option("--kernel-file", help="A 2-D kernel in .npy, .csv or .txt (overrides --kernel).")] = None,
    stride: Annotated[str, typer.Option("--stride", "-s", help="Stride: 2 or per axis 2x1.")] = "1",
    padding: Annotated[Optional[str], typer.Option("--padding", "-p", help="Padding: 1, 1x2, same or valid. Default: half the "
                                                   "dilated kernel, which keeps the size at stride 1.")] = None,
    padding_mode: Annotated[PaddingMode, typer.Option("--padding-mode", help="What the padding holds: zeros, reflect, replicate, circular.")] = PaddingMode.reflect,
    dilation: Annotated[str, typer.Option("--dilation", "-d", help="Dilation: 2 or per axis 2x1.")] = "1",
    grey: Annotated[bool, typer.Option("--grey/--per-channel", help="Convert to grey first, or filter each colour channel on its own.")] = False,
    max_pixels: Annotated[int, typer.Option("--max-pixels", help="Refuse larger images unless raised.")] = 100_000_000,
    json: Annotated[bool, typer.Option("--json", help="Print the arithmetic and the written file as JSON.")] = False,
):
    """Convolve an image (cross-correlation, as the frameworks do) and write the result."""
    import numpy as np

    from .. import images, kernels
    from ..errors import ShapeError
    from ..functional import conv
    from ..layers import Conv

    suffix = output.suffix.lower()
    if suffix not in (".png", ".npy"):
        raise ShapeError("--output", f"must end in .png or .npy, got {output.name!r}")
    weights = kernels.load(kernel_file) if kernel_file is not None else kernels.named(kernel)
    pixels = images.read(image if image is not None else images.default_image_path(), max_pixels=max_pixels)
    if grey:
        pixels = images.grey(pixels)
    channels = pixels.shape[0]
    params = dict(stride=parse.sizes("--stride", stride), dilation=parse.sizes("--dilation", dilation))
    if padding is None:
        dil = params["dilation"] if isinstance(params["dilation"], tuple) else (params["dilation"],) * 2
        padding = "x".join(str(d * (k - 1) // 2) for k, d in zip(weights.shape, dil))
    params["padding"] = parse.padding(padding)
    layer = Conv(weights.shape, groups=channels, in_channels=channels, out_channels=channels, **params)
    axes = layer.arithmetic(pixels.shape[1:])
    result = conv(pixels[None], np.broadcast_to(weights, (channels, 1, *weights.shape)), groups=channels,
                  padding_mode=padding_mode.value, **params)[0]
    signed = bool(abs(weights.sum()) < 1e-9)  # zero-sum kernels (edges) respond with both signs

    def write(path):
        if suffix == ".npy":
            with open(path, "wb") as handle:
                np.save(handle, result)
        else:
            import imageio.v3 as iio

            iio.imwrite(path, images.for_viewing(result, signed), extension=".png")

    images.write_atomically(output, write)
    _report(layer, axes, pixels.shape, result.shape, output, signed, json)


def _report(layer, axes, shape_in, shape_out, output, signed, as_json):
    from ..dialects.common import fmt
    from . import output as out

    if as_json:
        out.print_json({"input": list(shape_in), "output": list(shape_out), "padding": [list(a.padding) for a in axes],
                        "file": str(output), "shown_as": "magnitude" if signed else "clipped to [0, 1]"})
        return
    con = out.console()
    out.print_table(con, out.arithmetic_table(layer, axes, out.title(layer, shape_in[1:], axes)))
    shown = "|value| scaled to its 99.5th percentile" if signed else "values clipped to [0, 1]"
    con.print(f"wrote {output}: {fmt(shape_out)} (channels x height x width), {shown}")
