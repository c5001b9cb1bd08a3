"""``convarith animate``: one layer as a Dumoulin-style animation (GIF) or still (PNG, SVG, PDF)."""

from __future__ import annotations

from enum import Enum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from ..errors import ShapeError
from . import app
from .options import (
    CeilOpt,
    DilationOpt,
    Framework,
    FrameworkOpt,
    InputOpt,
    KernelOpt,
    MaxMemoryOpt,
    Op,
    OutPadOpt,
    PaddingOpt,
    StrideOpt,
    use_max_memory,
)
from .shape import layer_from_options, spatial_input

if TYPE_CHECKING:
    from ..layers import Layer


class AnimatedOp(str, Enum):
    conv = "conv"
    conv_transpose = "conv-transpose"
    max_pool = "max-pool"
    avg_pool = "avg-pool"


class Style(str, Enum):
    dumoulin = "dumoulin"
    flat = "flat"


OutSizeOpt = Annotated[  # options.OutSizeOpt's help also speaks of adaptive pools, which are not drawn
    str | None,
    typer.Option(
        "--output-size", help="conv-transpose: the output size asked of forward(output_size=) / tf output_shape."
    ),
]
OutputOpt = Annotated[
    Path,
    typer.Option(
        "--output",
        "-o",
        help="File to write; its suffix picks the format: .gif (animation), .html (an interactive, offline "
        "player), .png, .svg or .pdf (a still).",
    ),
]
DurationOpt = Annotated[int, typer.Option("--duration", help="Milliseconds per frame in a GIF.")]
StyleOpt = Annotated[
    Style, typer.Option("--style", help="dumoulin: slanted planes, output above input; flat: side by side.")
]
ValuesOpt = Annotated[
    bool,
    typer.Option(
        "--values",
        help="Numerical mode (flat): small seeded integers, kernel values in the footprint, "
        "outputs as they are computed.",
    ),
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the --values numbers.")]
LabelsOpt = Annotated[bool, typer.Option("--labels/--no-labels", help="Label the planes 'input' and 'output'.")]
FrameOpt = Annotated[int | None, typer.Option("--frame", help="The frame a still shows (0 = first output position).")]
SheetOpt = Annotated[bool, typer.Option("--sheet", help="A .png contact sheet of every frame.")]
InChannelsOpt = Annotated[
    int | None,
    typer.Option(
        "--in-channels",
        help="conv, conv-transpose: input channels; with --out-channels, draws every channel's plane, "
        "the kernel slices and which input channels each output channel reads.",
    ),
]
OutChannelsOpt = Annotated[
    int | None, typer.Option("--out-channels", help="conv, conv-transpose: output channels, for the channel view.")
]
GroupsOpt = Annotated[  # options.GroupsOpt's help does not say that groups need the channel view
    int | None,
    typer.Option(
        "--groups",
        "-g",
        help="Groups, in the channel view (--in-channels, --out-channels): both divide by it; "
        "--groups equal to --in-channels is a depthwise convolution.",
    ),
]
ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Draw even past the limits of frames and pixels a side (400 and 4096 by default); "
        "memory stays bounded by --max-memory.",
    ),
]


@app.command()
def animate(
    op: Annotated[AnimatedOp, typer.Argument(help="The layer: conv, conv-transpose, max-pool or avg-pool.")],
    input: InputOpt,
    output: OutputOpt,
    kernel_size: KernelOpt = None,
    stride: StrideOpt = None,
    padding: PaddingOpt = None,
    dilation: DilationOpt = None,
    groups: GroupsOpt = None,
    output_padding: OutPadOpt = None,
    output_size: OutSizeOpt = None,
    ceil_mode: CeilOpt = False,
    in_channels: InChannelsOpt = None,
    out_channels: OutChannelsOpt = None,
    framework: FrameworkOpt = Framework.torch,
    duration: DurationOpt = 1000,
    style: StyleOpt = Style.dumoulin,
    values: ValuesOpt = False,
    seed: SeedOpt = 1234,
    labels: LabelsOpt = True,
    frame: FrameOpt = None,
    sheet: SheetOpt = False,
    force: ForceOpt = False,
    max_memory: MaxMemoryOpt = None,
) -> None:
    """Draw a 1-D or 2-D layer: one frame per output position, as in Dumoulin & Visin's guide.

    With --in-channels and --out-channels a convolution is drawn by its channels: one frame
    per output channel and position, showing the input channels it reads (--groups).

    The frame count, the canvas and the memory drawing needs are computed from the
    arithmetic and checked before anything is drawn; GIF frames are written as they are drawn."""
    from ..render import output_format

    use_max_memory(max_memory)

    output_format(output)  # a bad path fails before any work
    make_layer = partial(
        layer_from_options,
        Op(op.value),
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        output_padding=output_padding,
        output_size=output_size,
        ceil_mode=ceil_mode,
        out_channels=out_channels,
        framework=framework,
    )
    layer, call_size = make_layer(in_channels=in_channels)
    spatial, full = spatial_input(layer, input)
    if full is not None and out_channels is not None:
        from ..layers import split_tensor

        channels = split_tensor(full, layer.framework)[1]
        if in_channels is not None and channels != in_channels:
            raise ShapeError("in_channels", f"the input has {channels} channels but --in-channels is {in_channels}")
        if in_channels is None:  # a whole tensor says how many channels come in, as for `convarith shape`
            layer, call_size = make_layer(in_channels=channels)

    from .. import render
    from ..render.raster import keep_freed_memory
    from .progress import LateProgress

    keep_freed_memory()
    # only adaptive pools take 'none' for an axis, and they are not drawn: the size is ints
    output_sizes = cast("int | tuple[int, ...] | None", call_size)
    drawing: dict[str, Any] = dict(
        style=style.value, labels=labels, values=values, seed=seed, output_size=output_sizes, force=force
    )
    if output.suffix.lower() == ".html":
        _player(layer, spatial, output, drawing, duration, frame, sheet)
        return
    scene = render.scene(layer, spatial, **drawing)
    count = len(scene.frames)
    with LateProgress(count if output.suffix.lower() == ".gif" or sheet else 1, f"drawing {output.name}") as bar:
        render.save(
            scene, output, duration=duration, frame=frame, sheet=sheet, force=force, on_frame=lambda: bar.advance()
        )
    if output.suffix.lower() == ".gif":
        plural = "frame" if count == 1 else "frames"
        shown = f"{count} {plural}, {duration // 10 * 10} ms each"  # GIF keeps hundredths of a second
    else:
        shown = f"all {count} frames" if sheet else f"frame {frame or 0} of {count}"
    typer.echo(f"wrote {output} ({scene.width}x{scene.height} px a frame, {shown})")


def _player(
    layer: Layer,
    spatial: tuple[int, ...],
    output: Path,
    drawing: dict[str, Any],
    duration: int,
    frame: int | None,
    sheet: bool,
) -> None:
    """``-o layer.html``: the interactive player (``drawing``: render.scene's options)."""
    from ..errors import OptionError
    from ..render.player import player
    from .progress import LateProgress

    if frame is not None or sheet:
        raise OptionError("--frame" if frame is not None else "--sheet", "makes a still: write a .png, .svg or .pdf")
    shown = player(layer, spatial, duration=duration, **drawing)
    scene = shown.scene
    if scene is None:  # never: player() draws or refuses
        raise ShapeError("input", "this layer is not drawn")
    count = len(scene.frames)
    with LateProgress(count, f"writing {output.name}") as bar:
        shown.save(output, on_frame=lambda: bar.advance())
    plural = "frame" if count == 1 else "frames"
    typer.echo(
        f"wrote {output} (an HTML player: {scene.width}x{scene.height} px, {count} {plural}, "
        f"{output.stat().st_size / 1000:.0f} KB)"
    )
