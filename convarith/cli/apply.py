"""``convarith apply``: convolve a real image with a named or loaded kernel."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .. import limits
from . import app, parse
from .options import MaxMemoryOpt, use_max_memory

if TYPE_CHECKING:
    from ..arithmetic import AxisArithmetic
    from ..layers import Conv, IntOrAxes, Padding


class PaddingMode(str, Enum):
    zeros = "zeros"
    reflect = "reflect"
    replicate = "replicate"
    circular = "circular"


KERNEL_HELP = (
    "Named kernel: identity, box-blur, gaussian, sharpen, sobel-x, sobel-y, scharr-x, scharr-y, "
    "laplacian, emboss, vertical-edge, horizontal-edge."
)


@app.command()
def apply(
    image: Annotated[
        Path | None,
        typer.Argument(
            help="A PNG or JPEG (grey, RGB or RGBA; alpha is dropped). "
            "Default: a photograph that ships with matplotlib."
        ),
    ] = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Result: .png scaled for viewing, or .npy raw values (C, H, W).")
    ] = Path("convolved.png"),
    kernel: Annotated[str, typer.Option("--kernel", "-k", help=KERNEL_HELP)] = "sobel-x",
    kernel_file: Annotated[
        Path | None, typer.Option("--kernel-file", help="A 2-D kernel in .npy, .csv or .txt (overrides --kernel).")
    ] = None,
    stride: Annotated[str, typer.Option("--stride", "-s", help="Stride: 2 or per axis 2x1.")] = "1",
    padding: Annotated[
        str | None,
        typer.Option(
            "--padding",
            "-p",
            help="Padding: 1, 1x2, same or valid. Default: half the dilated kernel, which keeps the size at stride 1.",
        ),
    ] = None,
    padding_mode: Annotated[
        PaddingMode, typer.Option("--padding-mode", help="What the padding holds: zeros, reflect, replicate, circular.")
    ] = PaddingMode.reflect,
    dilation: Annotated[str, typer.Option("--dilation", "-d", help="Dilation: 2 or per axis 2x1.")] = "1",
    grey: Annotated[
        bool,
        typer.Option("--grey/--per-channel", help="Convert to grey first, or filter each colour channel on its own."),
    ] = False,
    max_pixels: Annotated[
        int | None,
        typer.Option(
            "--max-pixels", help=f"Refuse images with more pixels than this (default: {limits.image_pixels:,})."
        ),
    ] = None,
    max_memory: MaxMemoryOpt = None,
    json: Annotated[bool, typer.Option("--json", help="Print the arithmetic and the written file as JSON.")] = False,
) -> None:
    """Convolve an image (cross-correlation, as the frameworks do) and write the result.

    Every size is known before any pixel is decoded: the image from its header, the result
    from the arithmetic; both are checked against the limits (--max-pixels, --max-memory).
    """
    import numpy as np

    from .. import images, kernels
    from ..dialects.common import fmt
    from ..errors import OptionError
    from ..functional import conv
    from ..layers import Conv

    use_max_memory(max_memory)
    if max_pixels is not None and max_pixels < 1:
        raise OptionError("--max-pixels", f"must be at least 1, got {max_pixels}")
    suffix = output.suffix.lower()
    if suffix not in (".png", ".npy"):
        raise OptionError("--output", f"must end in .png or .npy, got {output.name!r}")
    images.check_folder(output)
    weights = kernels.load(kernel_file) if kernel_file is not None else kernels.named(kernel)
    source = image if image is not None else images.default_image_path()
    info = images.inspect(source, max_pixels, grey=grey)
    channels = 1 if grey else info.channels
    strides, dilations = _sizes("--stride", stride), _sizes("--dilation", dilation)
    if padding is None:
        per_axis = dilations if isinstance(dilations, tuple) else (dilations,) * 2
        if len(per_axis) != 2 or any(isinstance(d, bool) or d < 1 for d in per_axis):
            raise OptionError("--dilation", f"expected one or two sizes of at least 1, like 2 or 2x1, got {dilation!r}")
        padding = fmt(d * (k - 1) // 2 for k, d in zip(weights.shape, per_axis, strict=True))
    paddings = _padding(padding)
    layer = Conv(
        weights.shape,
        stride=strides,
        padding=paddings,
        dilation=dilations,
        groups=channels,
        in_channels=channels,
        out_channels=channels,
    )
    axes = layer.arithmetic((info.height, info.width))
    shape_out = (channels, *(a.output for a in axes))
    _check_output(shape_out, suffix)

    pixels = images.read(source, max_pixels, grey=grey)
    shape_in = pixels.shape
    with np.errstate(all="ignore"):
        result = conv(
            pixels[None],
            np.broadcast_to(weights, (channels, 1, *weights.shape)),
            stride=strides,
            padding=paddings,
            dilation=dilations,
            groups=channels,
            padding_mode=padding_mode.value,
        )[0]
        del pixels
        if not images.all_finite(result):
            raise OptionError(
                "--kernel",
                "the result is not finite (it overflows float64: the kernel's values are too large for this image)",
            )
        signed = bool(abs(float(np.sum(weights))) < 1e-9)  # zero-sum kernels (edges) respond with both signs

    def write(path: str) -> None:
        if suffix == ".npy":
            with open(path, "wb") as handle:
                np.save(handle, result)
        else:
            from PIL import Image

            picture = Image.fromarray(images.for_viewing(result, signed, in_place=True))
            with open(path, "wb") as handle:  # ours to close: Pillow leaves its own open on an interruption
                picture.save(handle, format="PNG")

    images.write_atomically(output, write)
    _report(layer, axes, shape_in, shape_out, output, signed, json)


def _sizes(option: str, text: str) -> IntOrAxes:
    return parse.sizes(option, text)


def _padding(text: str) -> Padding:
    return parse.padding(text)


def _check_output(shape: tuple[int, ...], suffix: str) -> None:
    """The result (float64) and, for a .png, its uint8 image and Pillow's copy, against
    limits.output_bytes, before anything is read."""
    pixels = shape[1] * shape[2]
    nbytes = limits.array_bytes(shape, 8)
    what = f"the result {tuple(shape)} float64"
    if suffix == ".png":
        nbytes += pixels * shape[0] + pixels * (4 if shape[0] > 1 else 1)
        what += " and its PNG image"
    limits.check_bytes("output", what, nbytes)


def _report(
    layer: Conv,
    axes: tuple[AxisArithmetic, ...],
    shape_in: tuple[int, ...],
    shape_out: tuple[int, ...],
    output: Path,
    signed: bool,
    as_json: bool,
) -> None:
    from ..dialects.common import fmt
    from . import output as out

    if as_json:
        out.print_json(
            {
                "input": list(shape_in),
                "output": list(shape_out),
                "padding": [list(a.padding) for a in axes],
                "file": str(output),
                "shown_as": "magnitude" if signed else "clipped to [0, 1]",
            }
        )
        return
    con = out.console()
    out.print_table(con, out.arithmetic_table(layer, axes, out.title(layer, shape_in[1:], axes)))
    shown = "|value| scaled to its 99.5th percentile" if signed else "values clipped to [0, 1]"
    con.print(f"wrote {output}: {fmt(shape_out)} (channels x height x width), {shown}")
