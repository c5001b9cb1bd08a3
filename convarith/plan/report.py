"""A Plan as a Rich table, plain text, JSON, Markdown or CSV."""

from __future__ import annotations

import csv
import io
import json

COLUMNS = ["#", "layer", "type", "output", "params", "MACs", "memory", "field", "jump"]


def _shape(shape):
    return "-" if shape is None else "x".join(map(str, shape))


def _field(row):
    if not row.field:
        return "-", "-"
    if all(f.whole_input for f in row.field):
        return "whole input", "-"
    return "x".join(str(f.size) for f in row.field), "x".join(str(f.jump) for f in row.field)


def _bytes(n):
    """Exact integer arithmetic: memory columns can exceed what a float holds (10^19 x 10^19 inputs)."""
    n = int(n)
    if n < 1024:
        return f"{n} B"
    for unit, shift in (("KiB", 10), ("MiB", 20), ("GiB", 30), ("TiB", 40), ("PiB", 50), ("EiB", 60)):
        if n < 1024 << shift or unit == "EiB":
            tenths = (n * 10 + (1 << shift) // 2) >> shift  # rounded to 0.1 unit
            if unit != "EiB" or tenths < 10**15:
                return f"{tenths // 10}.{tenths % 10} {unit}"
    return f"about 10^{len(str(n)) - 1} B"


def records(plan, flops=False):
    out = []
    for r in plan.rows:
        size, jump = _field(r)
        item = {
            "index": r.index,
            "name": r.name,
            "type": r.type,
            "output": list(r.shape) if r.shape else None,
            "params": r.params,
            "non_trainable_params": r.non_trainable,
            "shared": r.shared,
            "macs": plan.macs_of(r),
            "padding": [list(p) for p in r.padding],
            "memory_bytes": r.memory,
            "receptive_field": size,
            "jump": jump,
            "detail": r.description,
        }
        if flops:
            item["flops"] = 2 * r.macs
        out.append(item)
    return out


def to_json(plan, flops=False) -> str:
    data = {
        "input": list(plan.input_shape),
        "batch": plan.batch,
        "framework": plan.framework,
        "dtype": plan.dtype,
        "complete": plan.complete,
        "macs_convention": plan.macs_convention,
        "layers": records(plan, flops),
        "total_params": plan.total_params,
        "trainable_params": plan.trainable_params,
        "non_trainable_params": plan.non_trainable_params,
        "total_macs": plan.total_macs,
        "total_memory_bytes": plan.total_memory,
        "output": list(plan.output_shape) if plan.output_shape else None,
        "diagnostics": plan.diagnostics,
        "notes": plan.notes,
    }
    if flops:
        data["total_flops"] = 2 * plan.total_macs
    return json.dumps(data, indent=2, allow_nan=False)


def _rows_as_text(plan, flops):
    for r in plan.rows:
        size, jump = _field(r)
        macs = (2 if flops else 1) * plan.macs_of(r)
        params = f"({r.params:,})" if r.shared else f"{r.params:,}"
        yield [str(r.index), r.name, r.type, _shape(r.shape), params, f"{macs:,}", _bytes(r.memory), size, jump]


def _headers(flops):
    return [c if c != "MACs" else ("FLOPs" if flops else "MACs") for c in COLUMNS]


def to_markdown(plan, flops=False) -> str:
    lines = ["| " + " | ".join(_headers(flops)) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in _rows_as_text(plan, flops)]
    lines.append(
        f"| | total | | {_shape(plan.output_shape)} | {plan.total_params:,} | "
        f"{(2 if flops else 1) * plan.total_macs:,} | {_bytes(plan.total_memory)} | | |"
    )
    return "\n".join(lines) + "\n" + "".join(f"\n- {d}" for d in plan.diagnostics)


def to_csv(plan, flops=False) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_headers(flops))
    for r in plan.rows:
        size, jump = _field(r)
        writer.writerow(
            [
                r.index,
                r.name,
                r.type,
                _shape(r.shape),
                r.params,
                (2 if flops else 1) * plan.macs_of(r),
                r.memory,
                size,
                jump,
            ]
        )
    return buffer.getvalue()


def table(plan, flops=False):
    from rich import box
    from rich.table import Table

    what = "FLOPs = 2 x multiply-accumulates" if flops else "MACs = multiply-accumulates"
    if plan.macs_convention == "torchinfo":
        what = f"{'FLOPs = 2 x ' if flops else ''}MACs as torchinfo 1.8 counts them"
    batch = f"batch {plan.batch}, " if plan.batch != 1 else ""
    title = f"{_shape(plan.input_shape)} -> {_shape(plan.output_shape)} ({plan.framework}, {batch}{plan.dtype}); {what}"
    from rich.text import Text

    t = Table(title=Text(title), title_justify="left", box=box.SIMPLE_HEAD, show_footer=True)
    totals = [
        "",
        "total",
        "",
        _shape(plan.output_shape),
        f"{plan.total_params:,}",
        f"{(2 if flops else 1) * plan.total_macs:,}",
        _bytes(plan.total_memory),
        "",
        "",
    ]
    for name, foot in zip(_headers(flops), totals, strict=True):
        t.add_column(name, footer=foot, justify="left" if name in ("layer", "type") else "right", no_wrap=True)
    from rich.text import Text

    for row in _rows_as_text(plan, flops):
        t.add_row(*(Text(cell) for cell in row))  # names are the user's text: never Rich markup
    return t


def render_text(plan, flops=False, width=120) -> str:
    from rich.console import Console

    console = Console(width=width, file=io.StringIO(), color_system=None, highlight=False)
    console.print(table(plan, flops))
    for note in plan.notes:
        console.print(f"note: {note}", markup=False)
    for d in plan.diagnostics:
        console.print(f"warning: {d}", markup=False)
    if plan.non_trainable_params:
        console.print(f"parameters: {plan.trainable_params:,} trainable, {plan.non_trainable_params:,} non-trainable")
    return console.file.getvalue()


LARGE = 1000  # rows past which the command line prints plain text: Rich takes ~1 ms a row to lay out


def plain_table(title: str, headers, rows, footer=None, left=("layer", "type")) -> str:
    """A table as plain fixed-width text, in time linear in its cells (for plans of thousands of layers)."""
    rows = [list(map(str, r)) for r in rows]
    everything = [list(headers), *rows] + ([list(footer)] if footer else [])
    widths = [max(len(r[i]) for r in everything) for i in range(len(headers))]

    def line(cells):
        return "  ".join(
            c.ljust(w) if h in left else c.rjust(w) for c, w, h in zip(cells, widths, headers, strict=True)
        ).rstrip()

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    out = [title, "", line(headers), rule, *(line(r) for r in rows)]
    if footer:
        out += [rule, line(footer)]
    return "\n".join(out)


def plain_plan(plan, flops=False) -> str:
    what = "FLOPs = 2 x multiply-accumulates" if flops else "MACs = multiply-accumulates"
    if plan.macs_convention == "torchinfo":
        what = f"{'FLOPs = 2 x ' if flops else ''}MACs as torchinfo 1.8 counts them"
    batch = f"batch {plan.batch}, " if plan.batch != 1 else ""
    title = f"{_shape(plan.input_shape)} -> {_shape(plan.output_shape)} ({plan.framework}, {batch}{plan.dtype}); {what}"
    totals = [
        "",
        "total",
        "",
        _shape(plan.output_shape),
        f"{plan.total_params:,}",
        f"{(2 if flops else 1) * plan.total_macs:,}",
        _bytes(plan.total_memory),
        "",
        "",
    ]
    return plain_table(title, _headers(flops), _rows_as_text(plan, flops), totals)
