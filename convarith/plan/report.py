"""A Plan as a Rich table, plain text, JSON, Markdown or CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from .. import jsontext
from ..dialects.common import fmt

if TYPE_CHECKING:
    from rich.table import Table

    from .model import Plan, Row

Json = dict[str, Any]  # a JSON object, as json.dumps takes it

COLUMNS = ["#", "layer", "type", "output", "params", "MACs", "memory", "field", "jump"]
# Every column a table can show; torchinfo's column names are accepted as aliases.
ALL_COLUMNS: tuple[str, ...] = ("#", "layer", "type", "input", "output", "kernel", "padding", "params")
ALL_COLUMNS += ("params %", "trainable", "MACs", "memory", "field", "jump")
COLUMN_ALIASES = {
    "index": "#",
    "name": "layer",
    "input_size": "input",
    "output_size": "output",
    "kernel_size": "kernel",
    "num_params": "params",
    "params_percent": "params %",
    "params%": "params %",
    "mult_adds": "MACs",
    "macs": "MACs",
    "flops": "MACs",
    "receptive_field": "field",
}
RIGHT = {"#", "input", "output", "kernel", "params", "params %", "MACs", "memory", "field", "jump"}


def column_names(text: str) -> list[str]:
    """'input,output,params' (our names or torchinfo's) as column names, in the order given."""
    from ..errors import OptionError

    out = []
    for item in (t.strip() for t in text.split(",")):
        name = COLUMN_ALIASES.get(item.lower(), item)
        known = {c.lower(): c for c in ALL_COLUMNS}
        if name.lower() not in known:
            raise OptionError("--columns", f"unknown column {item!r}; known: {', '.join(ALL_COLUMNS)}")
        out.append(known[name.lower()])
    if not out:
        raise OptionError("--columns", "give at least one column")
    return list(dict.fromkeys(out))


def _shape(shape: Sequence[int] | None) -> str:
    return "-" if shape is None else fmt(shape)


def _field(row: Row) -> tuple[str, str]:
    if not row.field:
        return "-", "-"
    if all(f.whole_input for f in row.field):
        return "whole input", "-"
    return fmt(f.size for f in row.field), fmt(f.jump for f in row.field)


def _per_macs(flops: bool) -> int:
    """FLOPs are 2 x MACs."""
    return 2 if flops else 1


def _bytes(n: int) -> str:
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


def records(plan: Plan, flops: bool = False) -> list[Json]:
    out = []
    for r in plan.rows:
        size, jump = _field(r)
        item: Json = {
            "index": r.index,
            "name": r.name,
            "type": r.type,
            "class": _type(r),
            "module": r.module,
            "depth": r.depth,
            "input": list(r.input_shape) if r.input_shape else None,
            "output": list(r.shape) if r.shape else None,
            "params": r.params,
            "non_trainable_params": r.non_trainable,
            "shared": r.shared,
            "macs": plan.macs_of(r),
            "padding": [list(p) for p in r.padding],
            "trainable_params": 0 if r.shared else r.params - r.non_trainable,
            "memory_bytes": r.memory,
            "receptive_field": size,
            "jump": jump,
            "detail": r.description,
        }
        if flops:
            item["flops"] = 2 * r.macs
        out.append(item)
    return out


def to_data(plan: Plan, flops: bool = False) -> Json:
    """The plan as a JSON object: what ``plan --json`` prints."""
    data: Json = {
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
        "loose_params": plan.loose_params,
        "torchinfo_sizes": plan.sizes._asdict(),
        "output": list(plan.output_shape) if plan.output_shape else None,
        "diagnostics": plan.diagnostics,
        "notes": plan.notes,
    }
    if flops:
        data["total_flops"] = 2 * plan.total_macs
    return data


def to_json(plan: Plan, flops: bool = False) -> str:
    return jsontext.dumps(to_data(plan, flops))


def _type(row: Row) -> str:
    return row.layer_class or row.type


def _kernel(plan: Plan, row: Row) -> str:
    if row.type == "module":  # a folded module: many kernels
        return ""
    spec = plan.layers[row.index] if row.index < len(plan.layers) else {}
    k = spec.get("kernel_size") if isinstance(spec, dict) else None
    n = len(row.padding) or len(row.field)
    if k is None:
        return ""
    return fmt((k,) * n if isinstance(k, int) else k)


def _trainable(row: Row) -> str:
    if not row.params or row.shared:
        return ""
    return "yes" if not row.non_trainable else ("no" if row.non_trainable == row.params else "partly")


def _cells(plan: Plan, r: Row, flops: bool, total: int) -> dict[str, str]:
    """One row's cells; ``total`` is the plan's parameter count (summed once per table, not per row)."""
    size, jump = _field(r)
    return {
        "#": str(r.index),
        "layer": r.name,
        "type": _type(r),
        "input": _shape(r.input_shape) if r.input_shape is not None else "",
        "output": _shape(r.shape),
        "kernel": _kernel(plan, r),
        "padding": ",".join(f"{a}:{b}" for a, b in r.padding),
        "params": f"({r.params:,})" if r.shared else f"{r.params:,}",
        "params %": f"{100 * r.params / total:.2f}%" if total and r.params and not r.shared else "",
        "trainable": _trainable(r),
        "MACs": f"{_per_macs(flops) * plan.macs_of(r):,}",
        "memory": _bytes(r.memory),
        "field": size,
        "jump": jump,
    }


def _rows_as_text(plan: Plan, flops: bool, columns: Sequence[str] = COLUMNS) -> Iterator[list[str]]:
    total = plan.total_params
    for r in plan.rows:
        cells = _cells(plan, r, flops, total)
        yield [cells[c] for c in columns]


def _headers(flops: bool, columns: Sequence[str] = COLUMNS) -> list[str]:
    return [c if c != "MACs" else ("FLOPs" if flops else "MACs") for c in columns]


def to_markdown(plan: Plan, flops: bool = False, columns: Sequence[str] = COLUMNS) -> str:
    lines = ["| " + " | ".join(_headers(flops, columns)) + " |", "|" + "---|" * len(columns)]
    lines += [
        "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"
        for row in _rows_as_text(plan, flops, columns)
    ]
    lines.append("| " + " | ".join(_totals(plan, flops, columns)) + " |")
    return "\n".join(lines) + "\n" + "".join(f"\n- {d}" for d in plan.diagnostics)


def to_html(plan: Plan, flops: bool = False, columns: Sequence[str] = COLUMNS) -> str:
    """The table as an HTML fragment (a notebook's display of a Plan)."""
    from html import escape

    def cells(tag: str, row: Sequence[str]) -> str:
        return "".join(
            f"<{tag} style='text-align:{'right' if name in RIGHT else 'left'};padding:2px 8px'>{escape(cell)}</{tag}>"
            for name, cell in zip(columns, row, strict=True)
        )

    head = cells("th", _headers(flops, columns))
    body = "".join(f"<tr>{cells('td', row)}</tr>" for row in _rows_as_text(plan, flops, columns))
    foot = cells("th", _totals(plan, flops, columns))
    notes = "".join(f"<div>{escape(line)}</div>" for line in after_table(plan))
    return (
        f"<div class='convarith-plan'><div><b>{escape(_title(plan, flops))}</b></div>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody><tfoot><tr>{foot}</tr></tfoot></table>"
        f"{notes}</div>"
    )


def to_csv(plan: Plan, flops: bool = False, columns: Sequence[str] = COLUMNS) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_headers(flops, columns))
    total = plan.total_params
    for r in plan.rows:
        raw: dict[str, object] = {
            **_cells(plan, r, flops, total),
            "params": r.params,
            "MACs": _per_macs(flops) * plan.macs_of(r),
            "memory": r.memory,
        }
        writer.writerow([raw[c] for c in columns])
    return buffer.getvalue()


def _title(plan: Plan, flops: bool) -> str:
    what = "FLOPs = 2 x multiply-accumulates" if flops else "MACs = multiply-accumulates"
    if plan.macs_convention == "torchinfo":
        what = f"{'FLOPs = 2 x ' if flops else ''}MACs as torchinfo 1.8 counts them"
    batch = f"batch {plan.batch}, " if plan.batch != 1 else ""
    return f"{_shape(plan.input_shape)} -> {_shape(plan.output_shape)} ({plan.framework}, {batch}{plan.dtype}); {what}"


def _totals(plan: Plan, flops: bool, columns: Sequence[str] = COLUMNS) -> list[str]:
    sums = {
        "layer": "total",
        "output": _shape(plan.output_shape),
        "params": f"{plan.total_params:,}",
        "MACs": f"{_per_macs(flops) * plan.total_macs:,}",
        "memory": _bytes(plan.total_memory),
    }
    return [sums.get(c, "") for c in columns]


def table(plan: Plan, flops: bool = False, columns: Sequence[str] = COLUMNS) -> Table:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    t = Table(title=Text(_title(plan, flops)), title_justify="left", box=box.SIMPLE_HEAD, show_footer=True)
    for name, header, foot in zip(columns, _headers(flops, columns), _totals(plan, flops, columns), strict=True):
        t.add_column(header, footer=foot, justify="right" if name in RIGHT else "left", no_wrap=True)
    for row in _rows_as_text(plan, flops, columns):
        t.add_row(*(Text(cell) for cell in row))  # names are the user's text: never Rich markup
    return t


def render_text(plan: Plan, flops: bool = False, width: int = 120) -> str:
    from rich.console import Console

    text = io.StringIO()
    console = Console(width=width, file=text, color_system=None, highlight=False)
    console.print(table(plan, flops))
    for line in after_table(plan):
        console.print(line, markup=False)
    return text.getvalue()


def after_table(plan: Plan) -> list[str]:
    """The lines printed under the table: notes, warnings, the trainable split when some are
    not, loose parameters, and for live models torchinfo's size estimate."""
    lines = [f"note: {note}" for note in plan.notes] + [f"warning: {d}" for d in plan.diagnostics]
    if plan.non_trainable_params:
        lines.append(f"parameters: {plan.trainable_params:,} trainable, {plan.non_trainable_params:,} non-trainable")
    if plan.loose_params:
        shown = ", ".join(f"{k} ({v:,})" for k, v in list(plan.loose_params.items())[:5])
        more = f" and {len(plan.loose_params) - 5} more" if len(plan.loose_params) > 5 else ""
        lines.append(f"parameters outside the rows (in the total): {shown}{more}")
    if plan.module_classes:
        s = plan.sizes
        lines.append(
            f"sizes as torchinfo estimates them (MB = 10^6 bytes): input {s.input_bytes / 1e6:.2f}, "
            f"forward/backward pass {s.forward_backward_bytes / 1e6:.2f}, params {s.params_bytes / 1e6:.2f}, "
            f"estimated total {s.total_bytes / 1e6:.2f}"
        )
    return lines


LARGE = 1000  # rows past which the command line prints plain text: Rich takes ~1 ms a row to lay out


def plain_table(
    title: str,
    headers: Sequence[str],
    rows: Iterable[Iterable[object]],
    footer: Sequence[str] | None = None,
    left: Collection[str] = ("layer", "type"),
) -> str:
    """A table as plain fixed-width text, in time linear in its cells (for plans of thousands of layers)."""
    cells = [list(map(str, r)) for r in rows]
    everything = [list(headers), *cells] + ([list(footer)] if footer else [])
    widths = [max(len(r[i]) for r in everything) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if h in left else c.rjust(w) for c, w, h in zip(cells, widths, headers, strict=True)
        ).rstrip()

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    out = [title, "", line(headers), rule, *(line(r) for r in cells)]
    if footer:
        out += [rule, line(footer)]
    return "\n".join(out)


def plain_plan(plan: Plan, flops: bool = False, columns: Sequence[str] = COLUMNS) -> str:
    return plain_table(
        _title(plan, flops),
        _headers(flops, columns),
        _rows_as_text(plan, flops, columns),
        _totals(plan, flops, columns),
        left=("layer", "type", "padding", "trainable"),
    )
