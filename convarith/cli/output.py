"""Rich tables and JSON for the shape and solve commands."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from .. import jsontext
from ..arithmetic import AxisArithmetic
from ..dialects.common import fmt
from ..explain import axis_names
from ..layers import Layer


def console() -> Console:
    return Console(highlight=False)


def print_table(con: Console, table: Table) -> None:
    """Print without ever cutting a number: widen past the terminal rather than truncate."""
    from rich.measure import Measurement

    needed = Measurement.get(con, con.options.update_width(10_000), table).maximum
    if needed > con.width:
        con.width = needed
    con.print(table)


def print_json(data: Any) -> None:
    """Indented, short lists of numbers on one line, strictly finite (see ``jsontext``)."""
    print(jsontext.dumps(data))


def arithmetic_table(layer: Layer, axes: Sequence[AxisArithmetic], title: str) -> Table:
    transposed = axes[0].transposed is not None
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    columns = ["axis", "in", "k", "s", "d", "k_eff", "pad"]
    columns += ["opad", "out", "valid", "zeros", "eq.pad"] if transposed else ["out", "unread"]
    for name in columns:
        table.add_column(name, justify="left" if name == "axis" else "right", no_wrap=True)
    for name, ax in zip(axis_names(len(axes)), axes, strict=True):
        row: list[object] = [
            name,
            ax.input,
            ax.kernel_size,
            ax.stride,
            ax.dilation,
            ax.effective_kernel,
            f"{ax.padding[0]},{ax.padding[1]}",
        ]
        t = ax.transposed
        if t is not None:
            lo_hi = f"{ax.valid_outputs[0]}..{ax.valid_outputs[1]}" if ax.valid_outputs else "-"
            row += [ax.output_padding, ax.output, lo_hi, t.zeros_between, f"{t.padding[0]},{t.padding[1]}"]
        else:
            row += [ax.output, _unread(ax)]
        table.add_row(*(str(v) for v in row))
    return table


def _unread(ax: AxisArithmetic) -> str:
    if ax.unread is None:
        return "?"
    return f"{ax.unread} (+{ax.unread_padding} pad)" if ax.unread_padding else str(ax.unread)


def axes_json(axes: Sequence[AxisArithmetic]) -> list[dict[str, Any]]:
    out = []
    for ax in axes:
        item = asdict(ax)
        item["padding"] = list(ax.padding)
        item["notes"] = list(ax.notes)
        out.append(item)
    return out


def title(
    layer: Layer,
    spatial: Sequence[int],
    axes: Sequence[AxisArithmetic],
    full_in: Sequence[int] | None = None,
    full_out: Sequence[int] | None = None,
) -> str:
    if full_in is not None and full_out is not None:
        shapes = f"{fmt(full_in)} -> {fmt(full_out)}"
    else:
        shapes = f"{fmt(spatial)} -> {fmt(a.output for a in axes)}"
    return f"{type(layer).__name__} {len(axes)}-D ({layer.framework}): {shapes}"


LEGEND = (
    "k kernel, s stride, d dilation, k_eff d*(k-1)+1, pad (before, after), "
    "unread: input (and padding) cells no window reads"
)
LEGEND_T = (
    "pad: cropped (before, after); opad: output_padding, extra cells after; valid: sizes this input can produce; "
    "zeros, eq.pad: the equivalent stride-1 convolution's inserted zeros and padding (negative crops)"
)
