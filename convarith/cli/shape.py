"""``convarith shape``: the arithmetic of one layer, per axis."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..arithmetic import AxisArithmetic
from ..layers import Layer, make_layer
from . import app, parse
from .options import (
    CeilOpt,
    DilationOpt,
    ExplainOpt,
    Framework,
    FrameworkOpt,
    GroupsOpt,
    InChOpt,
    InputOpt,
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
def shape(
    op: Annotated[
        Op,
        typer.Argument(
            help="The layer: conv, conv-transpose, max-pool, avg-pool, adaptive-avg-pool, adaptive-max-pool."
        ),
    ],
    input: InputOpt,
    kernel_size: KernelOpt = None,
    stride: StrideOpt = None,
    padding: PaddingOpt = None,
    dilation: DilationOpt = None,
    groups: GroupsOpt = None,
    output_padding: OutPadOpt = None,
    output_size: OutSizeOpt = None,
    ceil_mode: CeilOpt = False,
    in_channels: InChOpt = None,
    out_channels: OutChOpt = None,
    framework: FrameworkOpt = Framework.torch,
    explain: ExplainOpt = False,
    json: JsonOpt = False,
    code: Annotated[
        bool, typer.Option("--code", help="Also print the line of code that builds this layer in its framework.")
    ] = False,
) -> None:
    """Output size, padding actually applied and the rest of the arithmetic of one layer."""
    from ..explain import formula, warnings

    layer, call_size = layer_from_options(
        op,
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        output_padding=output_padding,
        output_size=output_size,
        ceil_mode=ceil_mode,
        in_channels=in_channels,
        out_channels=out_channels,
        framework=framework,
    )
    spatial, full = spatial_input(layer, input)
    extra = {"output_size": call_size} if op is Op.conv_transpose else {}
    axes = layer.arithmetic(spatial, **extra)
    full_out = layer.tensor_shape(full, **extra) if full is not None else None
    notes = warnings(layer, axes)
    line = None
    if code:
        from ..codegen import layer_code

        channels = None if full is None else (full[1] if layer.framework == "torch" else full[-1])
        line = layer_code(layer, len(spatial), channels)
    formulas = [formula(layer, ax) for ax in axes]
    _report(layer, axes, spatial, full, full_out, notes, formulas, explain, json, line)


def layer_from_options(
    op: Op,
    *,
    kernel_size: str | None = None,
    stride: str | None = None,
    padding: str | None = None,
    dilation: str | None = None,
    groups: int | None = None,
    output_padding: str | None = None,
    output_size: str | None = None,
    ceil_mode: bool = False,
    in_channels: int | None = None,
    out_channels: int | None = None,
    framework: Framework = Framework.torch,
) -> tuple[Layer, int | tuple[int | None, ...] | None]:
    """The layer the command-line options describe, and the output size asked of a
    conv-transpose call (None otherwise). Shared by every command that takes one layer."""
    from ..errors import OptionError

    adaptive = op.value.startswith("adaptive")
    if not adaptive and kernel_size is None:
        raise OptionError("--kernel-size", f"is required for {op.value}")
    params: dict[str, Any] = dict(
        kernel_size=parse.optional_sizes("--kernel-size", kernel_size),
        stride=parse.optional_sizes("--stride", stride),
        padding=None if padding is None else parse.padding(padding),
        dilation=parse.optional_sizes("--dilation", dilation),
        groups=groups,
        output_padding=parse.optional_sizes("--output-padding", output_padding),
        ceil_mode=ceil_mode or None,
        in_channels=in_channels,
        out_channels=out_channels,
    )
    if framework is Framework.tf and isinstance(params["padding"], str):
        params["padding"] = params["padding"].upper()  # tf.nn itself is case-sensitive; the CLI need not be
    call_size = None if output_size is None else parse.sizes("--output-size", output_size, allow_none=adaptive)
    if adaptive and framework is not Framework.torch:
        raise OptionError(
            "--framework", "adaptive pools exist in PyTorch only (tf and Keras have global pooling layers)"
        )
    if adaptive:
        if call_size is None:
            raise OptionError("--output-size", f"is required for {op.value}")
        params = {"output_size": call_size, **{k: v for k, v in params.items() if v is not None}}
        call_size = None
    else:
        params["framework"] = framework.value
    if call_size is not None and op is not Op.conv_transpose:
        raise OptionError("--output-size", "applies to conv-transpose and adaptive pools only")
    return make_layer(op.value, **params), call_size


def spatial_input(layer: Layer, text: str) -> tuple[tuple[int, ...], tuple[int, ...] | None]:
    """(spatial sizes, whole tensor shape or None) from --input."""
    fixed_by = ", ".join(n.replace("_", "-") for n in _per_axis_names(layer)) or "per-axis parameters"
    return parse.split_input(text, layer.ndim, layer.framework, f"per-axis {fixed_by}")


def _per_axis_names(layer: Layer) -> list[str]:
    return [n for n in getattr(layer, "_per_axis", ()) if not isinstance(getattr(layer, n), (int, str, type(None)))]


def _report(
    layer: Layer,
    axes: tuple[AxisArithmetic, ...],
    spatial: tuple[int, ...],
    full: tuple[int, ...] | None,
    full_out: tuple[int, ...] | None,
    notes: list[str],
    formulas: list[str],
    explain: bool,
    as_json: bool,
    code: str | None = None,
) -> None:
    from ..explain import axis_names
    from . import output

    if as_json:
        output.print_json(
            {
                **({"code": code} if code is not None else {}),
                "op": layer.op,
                "framework": layer.framework,
                "layer": repr(layer),
                "input": list(spatial),
                "output": [a.output for a in axes],
                "padding": [list(a.padding) for a in axes],
                "tensor": None if full is None or full_out is None else {"input": list(full), "output": list(full_out)},
                "axes": output.axes_json(axes),
                "formulas": formulas,
                "warnings": notes,
            }
        )
        return
    con = output.console()
    output.print_table(con, output.arithmetic_table(layer, axes, output.title(layer, spatial, axes, full, full_out)))
    con.print(output.LEGEND_T if axes[0].transposed else output.LEGEND, style="dim")
    if code is not None:
        con.print(code, markup=False, highlight=False)
    if explain:
        for name, text in zip(axis_names(len(axes)), formulas, strict=True):
            con.print(f"{name}: {text}")
    if notes and explain:
        for note in notes:
            con.print(f"warning: {note}")
    elif notes:
        con.print(f"{len(notes)} warning(s): run with --explain to see them")
