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
        "output": list(plan.output_shape) if plan.output_shape else None,
        "diagnostics": plan.diagnostics,
        "notes": plan.notes,
    }
    if flops:
        data["total_flops"] = 2 * plan.total_macs
    return data


def to_json(plan: Plan, flops: bool = False) -> str:
    return jsontext.dumps(to_data(plan, flops))


def _rows_as_text(plan: Plan, flops: bool) -> Iterator[list[str]]:
    for r in plan.rows:
        size, jump = _field(r)
        macs = _per_macs(flops) * plan.macs_of(r)
        params = f"({r.params:,})" if r.shared else f"{r.params:,}"
        yield [str(r.index), r.name, r.type, _shape(r.shape), params, f"{macs:,}", _bytes(r.memory), size, jump]


def _headers(flops: bool) -> list[str]:
    return [c if c != "MACs" else ("FLOPs" if flops else "MACs") for c in COLUMNS]


def to_markdown(plan: Plan, flops: bool = False) -> str:
    lines = ["| " + " | ".join(_headers(flops)) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in _rows_as_text(plan, flops)]
    lines.append(
        f"| | total | | {_shape(plan.output_shape)} | {plan.total_params:,} | "
        f"{_per_macs(flops) * plan.total_macs:,} | {_bytes(plan.total_memory)} | | |"
    )
    return "\n".join(lines) + "\n" + "".join(f"\n- {d}" for d in plan.diagnostics)


def to_csv(plan: Plan, flops: bool = False) -> str:
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
                _per_macs(flops) * plan.macs_of(r),
                r.memory,
                size,
                jump,
            ]
        )
    return buffer.getvalue()


def _title(plan: Plan, flops: bool) -> str:
    what = "FLOPs = 2 x multiply-accumulates" if flops else "MACs = multiply-accumulates"
    if plan.macs_convention == "torchinfo":
        what = f"{'FLOPs = 2 x ' if flops else ''}MACs as torchinfo 1.8 counts them"
    batch = f"batch {plan.batch}, " if plan.batch != 1 else ""
    return f"{_shape(plan.input_shape)} -> {_shape(plan.output_shape)} ({plan.framework}, {batch}{plan.dtype}); {what}"


def _totals(plan: Plan, flops: bool) -> list[str]:
    return [
        "",
        "total",
        "",
        _shape(plan.output_shape),
        f"{plan.total_params:,}",
        f"{_per_macs(flops) * plan.total_macs:,}",
        _bytes(plan.total_memory),
        "",
        "",
    ]


def table(plan: Plan, flops: bool = False) -> Table:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    t = Table(title=Text(_title(plan, flops)), title_justify="left", box=box.SIMPLE_HEAD, show_footer=True)
    for name, foot in zip(_headers(flops), _totals(plan, flops), strict=True):
        t.add_column(name, footer=foot, justify="left" if name in ("layer", "type") else "right", no_wrap=True)
    for row in _rows_as_text(plan, flops):
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
    """The lines printed under the table: notes, warnings, and the trainable split when some are not."""
    lines = [f"note: {note}" for note in plan.notes] + [f"warning: {d}" for d in plan.diagnostics]
    if plan.non_trainable_params:
        lines.append(f"parameters: {plan.trainable_params:,} trainable, {plan.non_trainable_params:,} non-trainable")
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


def plain_plan(plan: Plan, flops: bool = False) -> str:
    return plain_table(_title(plan, flops), _headers(flops), _rows_as_text(plan, flops), _totals(plan, flops))
