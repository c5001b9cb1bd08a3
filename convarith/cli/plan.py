"""``convarith plan`` and ``convarith rf``: a network layer by layer."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..dialects.common import fmt
from . import app, parse
from .options import MaxLayersOpt, MaxMemoryOpt, use_max_layers, use_max_memory

if TYPE_CHECKING:
    from ..plan.model import Plan
    from ..plan.readers import Network

SpecArg = Annotated[
    Path | None,
    typer.Argument(
        help="A spec file (.toml, .json), model code (.py: nn.Module classes, layer lists or Keras code) "
        "or the text of "
        "print(model) (.txt). Code is parsed, never run."
    ),
]
PresetOpt = Annotated[str | None, typer.Option("--preset", help="A built-in network (see --list-presets).")]
CodeOpt = Annotated[
    str | None, typer.Option("--code", help='Model code or print(model) text, e.g. "nn.Conv2d(3, 64, 3), nn.ReLU()".')
]
InputOpt = Annotated[
    str | None,
    typer.Option(
        "--input",
        "-i",
        help="Input in the framework's layout, with or without the batch: 3x224x224 or 1x3x224x224 "
        "(torch), 224x224x3 (keras/tf); overrides the source's.",
    ),
]
ClassOpt = Annotated[
    str | None,
    typer.Option(
        "--class",
        help='Which model in the code: a class or function name, a call like "ResNet(Bottleneck, [3, 4, 6, 3])" '
        "or, for Keras, the variable holding the model.",
    ),
]
ArgsOpt = Annotated[str | None, typer.Option("--args", help='Constructor arguments, e.g. "num_classes=10, ngpu=1".')]
FromTorchOpt = Annotated[
    str | None,
    typer.Option(
        "--from-torch",
        help="Plan a live nn.Module: FILE.py:NAME or package.module:NAME (a class, a function returning a "
        "module, or a module). This IMPORTS AND RUNS that code (built on the meta device, one forward pass); "
        "--input is then the whole input tensor, batch first (1x3x224x224). Needs torch.",
    ),
]
FromKerasOpt = Annotated[
    str | None,
    typer.Option(
        "--from-keras",
        help="Plan a Keras model: FILE.keras or FILE.json (read as data, no TensorFlow needed) or FILE.py:NAME "
        "(IMPORTS AND RUNS that code; needs keras). --input, if given, is batch first (1x224x224x3).",
    ),
]
DepthOpt = Annotated[
    int | None,
    typer.Option(
        "--depth", help="Live models: fold the steps below this module depth into one row (as torchinfo's depth)."
    ),
]
ColumnsOpt = Annotated[
    str | None,
    typer.Option(
        "--columns",
        help="Columns, comma-separated, from: #, layer, type, input, output, kernel, padding, params, params %, "
        "trainable, MACs, memory, field, jump (torchinfo's names work too: input_size, num_params, mult_adds...).",
    ),
]


class Framework(str, Enum):
    torch = "torch"
    tf = "tf"
    keras = "keras"


class Macs(str, Enum):
    multiply = "multiply"
    torchinfo = "torchinfo"


FrameworkOpt = Annotated[
    Framework | None,
    typer.Option("--framework", "-f", help="Whose rules and layout: torch, tf or keras (default: the source's)."),
]


class Emit(str, Enum):
    torch = "torch"
    keras = "keras"


class Dtype(str, Enum):
    float32 = "float32"
    float16 = "float16"
    bfloat16 = "bfloat16"
    float64 = "float64"
    int8 = "int8"


def _load(
    spec: Path | None,
    preset: str | None,
    code: str | None,
    input_text: str | None,
    framework: Framework | None,
    cls: str | None = None,
    args: str | None = None,
) -> tuple[Network, tuple[int, ...], str]:
    """(network, input shape, framework) from exactly one of SPEC, --preset, --code."""
    from ..errors import OptionError
    from ..plan.sources import load_network

    given = [x is not None for x in (spec, preset, code)]
    if sum(given) != 1:
        raise OptionError("spec", 'give exactly one of SPEC, --preset NAME or --code "..."')
    fw = framework.value if framework is not None else None
    network = load_network(spec=spec, preset=preset, code=code, framework=fw, cls=cls, args=args)
    fw = fw or network.framework
    shape: tuple[int, ...] | None = (
        parse.shape("--input", input_text) if input_text is not None else network.default_input
    )
    if shape is None:
        example = "224x224x3" if fw in ("tf", "keras") else "3x224x224"
        raise OptionError(
            "--input", f"is needed: the network does not say its input shape (give e.g. --input {example})"
        )
    return network, shape, fw


@app.command()
def plan(
    spec: SpecArg = None,
    preset: PresetOpt = None,
    code: CodeOpt = None,
    input: InputOpt = None,
    framework: FrameworkOpt = None,
    cls: ClassOpt = None,
    args: ArgsOpt = None,
    from_torch: FromTorchOpt = None,
    from_keras: FromKerasOpt = None,
    depth: DepthOpt = None,
    columns: ColumnsOpt = None,
    emit: Annotated[
        Emit | None,
        typer.Option(
            "--emit",
            help="Print the planned network as a runnable model file instead of the table: torch (for torch "
            "plans) or keras (for keras/tf plans).",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="With --emit: write the model file here (else standard output).")
    ] = None,
    dtype: Annotated[
        Dtype | None,
        typer.Option("--dtype", help="Element type for activation memory (default: the spec's dtype, else float32)."),
    ] = None,
    flops: Annotated[
        bool, typer.Option("--flops", help="Show FLOPs (2 x multiply-accumulates) instead of MACs.")
    ] = False,
    macs: Annotated[
        Macs,
        typer.Option(
            "--macs",
            help="multiply: true multiply-accumulates (bias and normalisation excluded, transposed convs by "
            "input positions); torchinfo: torchinfo 1.8's count, to compare with it.",
        ),
    ] = Macs.multiply,
    json: Annotated[
        bool, typer.Option("--json", help="Print JSON: layers, total_params, total_macs, diagnostics.")
    ] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print a Markdown table.")] = False,
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
    verify: Annotated[
        bool,
        typer.Option("--verify", help="Push a random tensor through with convarith.functional and check every shape."),
    ] = False,
    skip_heavy: Annotated[
        float | None,
        typer.Option(
            "--skip-heavy",
            help="With --verify: do not compute layers above this many GMACs (their planned shape is passed on).",
        ),
    ] = None,
    list_presets: Annotated[bool, typer.Option("--list-presets", help="List the built-in networks and exit.")] = False,
    max_memory: MaxMemoryOpt = None,
    max_layers: MaxLayersOpt = None,
) -> None:
    """Shapes, parameters, MACs, memory and receptive field of a network, with diagnostics."""
    from ..errors import OptionError
    from ..plan import PRESETS
    from ..plan.report import to_csv, to_markdown

    if list_presets:
        if json:
            from .output import print_json

            print_json(
                {name: {"input": list(shape), "description": text} for name, (_, shape, text) in PRESETS.items()}
            )
            return
        for name, (_, shape, text) in PRESETS.items():
            typer.echo(f"{name:10} {fmt(shape):>11}  {text}")
        return
    if sum((json, markdown, csv)) > 1:
        raise OptionError("--json", "choose one of --json, --markdown, --csv")
    use_max_memory(max_memory)
    use_max_layers(max_layers)
    if skip_heavy is not None and not (0 <= skip_heavy * 1e9 < float("inf")):
        raise OptionError("--skip-heavy", f"must be a finite number of GMACs >= 0 (below 1e299), got {skip_heavy}")
    if skip_heavy is not None and not verify:
        raise OptionError("--skip-heavy", "only applies with --verify")
    from ..plan.report import COLUMNS, column_names

    chosen = column_names(columns) if columns is not None else COLUMNS
    if from_torch is not None or from_keras is not None:
        if sum(x is not None for x in (spec, preset, code, from_torch, from_keras)) != 1:
            raise OptionError("--from-torch", "give exactly one of SPEC, --preset, --code, --from-torch, --from-keras")
        if verify:
            raise OptionError("--verify", "checks static plans; a live model's plan is already checked against its run")
        if framework is not None or cls is not None:
            raise OptionError("--framework", "a live model is planned in its own framework; --class does not apply")
        import contextlib
        import sys

        with contextlib.redirect_stdout(sys.stderr):  # the model's own prints must not mix with the table or JSON
            result = _plan_live(from_torch, from_keras, args, input, dtype.value if dtype else "float32", macs.value)
    else:
        network, shape, fw = _load(spec, preset, code, input, framework, cls, args)
        element = dtype.value if dtype is not None else (getattr(network, "dtype", None) or "float32")
        result = network.plan(shape, fw, dtype=element, macs=macs.value)
    if depth is not None:
        if not result.module_classes:
            raise OptionError("--depth", "folds the modules of a live model (--from-torch or --from-keras)")
        if depth < 0:
            raise OptionError("--depth", f"must be at least 0, got {depth}")
        result = result.folded(depth)
    if out is not None and emit is None:
        raise OptionError("--out", "writes the file of --emit")
    if emit is not None:
        _emit(result, out, emit.value)
        return
    if verify:
        from ..plan.verify import verify as run_verify

        run_verify(result.layers, result, skip_macs_above=None if skip_heavy is None else skip_heavy * 1e9)
    if json:
        from ..plan.report import to_data
        from .output import print_json

        print_json(to_data(result, flops))
    elif markdown:
        typer.echo(to_markdown(result, flops, chosen))
    elif csv:
        typer.echo(to_csv(result, flops, chosen), nl=False)
    else:
        from ..plan.report import LARGE, after_table, plain_plan, table
        from .output import console, print_table

        con = console()
        if len(result.rows) > LARGE:
            typer.echo(plain_plan(result, flops, chosen))
        else:
            print_table(con, table(result, flops, chosen))
        for line in after_table(result):
            con.print(line, markup=False)
        if verify:
            con.print("verified: a random tensor through convarith.functional gives every planned shape")
    if not result.complete:
        from . import fail

        fail("the plan stopped early: " + next(d for d in result.diagnostics if d.endswith("(planning stops here)")))


def _emit(result: Plan, out: Path | None, target: str) -> None:
    from ..emit import emit_keras, emit_torch

    code = emit_torch(result) if target == "torch" else emit_keras(result)
    if out is None:
        typer.echo(code, nl=False)
        return
    from ..images import write_atomically

    write_atomically(out, lambda temporary: Path(temporary).write_text(code))
    typer.echo(f"wrote {out}")


def _plan_live(
    from_torch: str | None, from_keras: str | None, arguments: str | None, input_text: str | None, dtype: str, macs: str
) -> Plan:
    """Plan a model by running its code (torch) or reading its saved config (keras)."""
    from ..errors import OptionError

    size = parse.shape("--input", input_text) if input_text is not None else None
    if from_torch is not None:
        from ..plan.live_torch import build_module, plan_module

        if size is None:
            raise OptionError("--input", "is needed with --from-torch: the whole input, batch first (1x3x224x224)")
        model, notes = build_module(from_torch, arguments)
        result = plan_module(model, size, dtype, macs)
        result.notes[:0] = notes
        return result
    from ..plan import live_keras

    assert from_keras is not None
    if from_keras.lower().endswith((".keras", ".json")):
        if arguments:
            raise OptionError("--args", "a saved Keras model takes no constructor arguments")
        network = live_keras.network_from_file(from_keras)
    else:
        import sys

        from ..plan.live_torch import load_object, parse_arguments

        obj = load_object(from_keras, "--from-keras")
        positional, keywords = parse_arguments(arguments, sys.modules.get(getattr(obj, "__module__", "") or ""))
        model = obj
        if callable(obj) and not hasattr(obj, "get_config"):  # a function or class that builds the model
            from ..errors import SpecError
            from ..plan.live_torch import failure

            try:
                model = obj(*positional, **keywords)
            except (Exception, SystemExit) as exc:
                raise SpecError("--from-keras", f"building {from_keras} failed: {failure(exc)}") from None
        network = live_keras.network_from_model(model)
    from ..plan.model import plan_keras

    return plan_keras(network, size, dtype, macs)


@app.command()
def rf(
    spec: SpecArg = None,
    preset: PresetOpt = None,
    code: CodeOpt = None,
    input: InputOpt = None,
    framework: FrameworkOpt = None,
    cls: ClassOpt = None,
    args: ArgsOpt = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write a PNG plot of field size and jump per layer.")
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    max_layers: MaxLayersOpt = None,
) -> None:
    """Receptive-field growth per layer: size, jump and where output 0's field starts."""
    use_max_layers(max_layers)

    network, shape, fw = _load(spec, preset, code, input, framework, cls, args)
    result = network.plan(shape, fw)
    rows = [r for r in result.rows if r.field and r.shape is not None]
    data: list[dict[str, Any]] = [  # the JSON objects of --json
        {
            "index": r.index,
            "name": r.name,
            "type": r.type,
            "size": [f.size for f in r.field],
            "jump": [str(f.jump) for f in r.field],
            "start": [f.start for f in r.field],
            "whole_input": all(f.whole_input for f in r.field),
        }
        for r in rows
    ]
    if plot is not None:
        _plot(plot, data)
    if json:
        from .output import print_json

        print_json({"input": list(shape), "layers": data, "diagnostics": result.diagnostics})
        return
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from ..plan.report import LARGE, plain_table
    from .output import console, print_table

    cells = [
        (
            str(d["index"]),
            d["name"],
            d["type"],
            "whole input" if d["whole_input"] else fmt(d["size"]),
            "-" if d["whole_input"] else fmt(d["jump"]),
            "-" if d["whole_input"] else fmt(d["start"]),
        )
        for d in data
    ]
    con = console()
    title, headers = f"receptive field, input {fmt(shape)}", ("#", "layer", "type", "size", "jump", "start")
    if len(cells) > LARGE:
        typer.echo(plain_table(title, headers, cells))
    else:
        table = Table(title=Text(title), title_justify="left", box=box.SIMPLE_HEAD)
        for name in headers:
            table.add_column(name, justify="left" if name in ("layer", "type") else "right", no_wrap=True)
        for row in cells:
            table.add_row(*(Text(cell) for cell in row))
        print_table(con, table)
    for line in result.diagnostics:
        con.print(f"warning: {line}", markup=False)
    if plot is not None:
        con.print(f"wrote {plot}", markup=False)


def _plot(path: Path, data: list[dict[str, Any]]) -> None:
    from fractions import Fraction

    from ..errors import OptionError
    from ..images import write_atomically

    if path.suffix.lower() != ".png":
        raise OptionError("--plot", f"must end in .png, got {path.name!r}")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [d for d in data if not d["whole_input"]]
    fig, left = plt.subplots(figsize=(8, 4))
    x = [d["index"] for d in rows]
    left.plot(x, [d["size"][0] for d in rows], marker="o", color="#268BD2", label="field size (first axis)")
    left.set_xlabel("layer")
    left.set_ylabel("receptive field (input pixels)", color="#268BD2")
    right = left.twinx()
    right.step(x, [float(Fraction(d["jump"][0])) for d in rows], where="post", color="#2AA198", label="jump")
    right.set_ylabel("jump (input pixels)", color="#2AA198")
    fig.tight_layout()
    write_atomically(path, lambda temporary: fig.savefig(temporary, format="png", dpi=120))
    plt.close(fig)
