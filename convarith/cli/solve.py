"""``convarith solve``: layer configurations that give a wanted output size."""

from __future__ import annotations

from typing import Annotated

import typer

from ..search import Solution
from . import app, parse
from .options import Framework, Op

SOLVABLE = (Op.conv, Op.conv_transpose, Op.max_pool, Op.avg_pool)
SHORT = {
    "kernel_size": "k",
    "stride": "s",
    "padding": "p",
    "dilation": "d",
    "output_padding": "opad",
    "ceil_mode": "ceil",
}


@app.command()
def solve(
    input: Annotated[str, typer.Option("--input", "-i", help="Spatial input size: 224 or 224x160.")],
    output: Annotated[str, typer.Option("--output", "-o", help="Wanted spatial output size: 112 or 112x80.")],
    op: Annotated[Op, typer.Option("--op", help="conv, conv-transpose, max-pool or avg-pool.")] = Op.conv,
    kernel_size: Annotated[
        int | None,
        typer.Option("--kernel-size", "-k", help="Fix the kernel size (searched 1..--max-kernel otherwise)."),
    ] = None,
    stride: Annotated[
        int | None, typer.Option("--stride", "-s", help="Fix the stride (searched 1..--max-stride otherwise).")
    ] = None,
    dilation: Annotated[
        int | None, typer.Option("--dilation", "-d", help="Fix the dilation (searched 1..--max-dilation otherwise).")
    ] = None,
    framework: Annotated[
        Framework, typer.Option("--framework", "-f", help="Whose rules: torch, tf or keras.")
    ] = Framework.torch,
    max_kernel: Annotated[int, typer.Option("--max-kernel", help="Largest kernel size to try.")] = 7,
    max_stride: Annotated[int, typer.Option("--max-stride", help="Largest stride to try.")] = 4,
    max_dilation: Annotated[int, typer.Option("--max-dilation", help="Largest dilation to try.")] = 1,
    limit: Annotated[int, typer.Option("--limit", "-n", help="Show at most this many configurations.")] = 10,
    json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    code: Annotated[
        bool, typer.Option("--code", help="Show each configuration as the framework's line of code.")
    ] = False,
) -> None:
    """List the configurations that map --input to --output, simplest first.

    Exit status, as grep's: 0 when some configuration is found, 1 when none is (the JSON
    then lists no solutions), 2 for a usage error.
    """
    from ..errors import OptionError
    from ..search import solve as search

    if op not in SOLVABLE:
        raise OptionError("--op", f"solve handles {', '.join(o.value for o in SOLVABLE)}, not {op.value}")
    for name, value in (
        ("--max-kernel", max_kernel),
        ("--max-stride", max_stride),
        ("--max-dilation", max_dilation),
        ("--limit", limit),
    ):
        if value < 1:
            raise OptionError(name, f"must be at least 1, got {value}")
    sizes_in, sizes_out = parse.shape("--input", input), parse.shape("--output", output)
    found = search(
        sizes_in,
        sizes_out,
        op=op.value,
        framework=framework.value,
        kernel_size=kernel_size,
        stride=stride,
        dilation=dilation,
        max_kernel=max_kernel,
        max_stride=max_stride,
        max_dilation=max_dilation,
        limit=limit,
    )
    if json:
        from .output import print_json

        print_json(
            {
                "op": op.value.replace("-", "_"),
                "framework": framework.value,
                "input": list(sizes_in),
                "output": list(sizes_out),
                "solutions": [
                    {
                        **s.params,
                        "applied_padding": [list(a.padding) for a in s.axes],
                        "unread": [a.unread for a in s.axes],
                        **({"code": _code(s, op, framework, len(sizes_in))} if code else {}),
                    }
                    for s in found
                ],
            }
        )
        if not found:
            raise SystemExit(1)
        return
    _table(found, op, framework, sizes_in, sizes_out, code)


def _code(solution: Solution, op: Op, framework: Framework, axes: int) -> str:
    from ..codegen import layer_code
    from ..layers import make_layer

    params = {k: v for k, v in solution.params.items() if v is not None}
    return layer_code(make_layer(op.value, framework=framework.value, **params), axes)


def _table(
    found: list[Solution],
    op: Op,
    framework: Framework,
    sizes_in: tuple[int, ...],
    sizes_out: tuple[int, ...],
    code: bool = False,
) -> None:
    from rich import box
    from rich.table import Table

    from ..dialects.common import fmt
    from .output import console, print_table

    con = console()
    if not found:
        con.print(
            f"no {op.value} configuration maps {fmt(sizes_in)} to {fmt(sizes_out)} within the search limits "
            "(try --max-kernel, --max-stride or --max-dilation)"
        )
        raise SystemExit(1)
    keys = list(dict.fromkeys(k for s in found for k in s.params))
    table = Table(
        title=f"{op.value} ({framework.value}): {fmt(sizes_in)} -> {fmt(sizes_out)}, simplest first",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    for name in ["#", *(SHORT.get(k, k) for k in keys), "applied pad", "note", *(["code"] if code else [])]:
        table.add_column(name, justify="right" if name not in ("note", "code") else "left")
    for n, s in enumerate(found, 1):
        notes = []
        if not s.uses_all_input:
            notes.append(f"{fmt(a.unread for a in s.axes)} input cells unread")
        if any(a.asymmetric for a in s.axes):
            notes.append("asymmetric padding")
        applied = "; ".join(f"{a.padding[0]},{a.padding[1]}" for a in s.axes)
        lines = [_code(s, op, framework, len(sizes_in))] if code else []
        table.add_row(str(n), *(str(s.params.get(k, "")) for k in keys), applied, ", ".join(notes), *lines)
    print_table(con, table)
    legend = "k kernel_size, s stride, p padding, d dilation" + (
        ", opad output_padding" if "output_padding" in keys else ""
    )
    order = (
        "no dilation, no output_padding, kernel divisible by stride (no checkerboard), symmetric padding, small kernel"
        if op is Op.conv_transpose
        else "no dilation, every input cell read, odd kernel, symmetric padding, small kernel"
    )
    con.print(f"{legend}; applied pad: (before, after) per axis. Simplest first: {order}.", style="dim")
