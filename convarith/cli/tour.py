"""``convarith tour``: the questions people ask most, answered on built-in examples."""

from __future__ import annotations

from typing import Any

from . import app

EXAMPLES: list[tuple[str, dict[str, Any], tuple[int, ...], str]] = [
    (
        "conv",
        dict(kernel_size=3, stride=2, padding=1, out_channels=64),
        (1, 3, 224, 224),
        "A strided 3x3 conv in PyTorch: the size halves.",
    ),
    (
        "conv",
        dict(kernel_size=3, stride=2, padding="SAME", out_channels=64, framework="tf"),
        (1, 224, 224, 3),
        "TensorFlow SAME: the same size, but padded (0, 1), not (1, 1).",
    ),
    (
        "conv_transpose",
        dict(kernel_size=4, stride=2, padding=1),
        (13, 13),
        "Decoder one pixel short? A transposed conv 13 -> 26 and its valid sizes.",
    ),
    (
        "max_pool",
        dict(kernel_size=2, stride=2, padding=1, ceil_mode=True),
        (5, 5),
        "ceil_mode drops a last window that would start in the right padding.",
    ),
    (
        "conv",
        dict(kernel_size=11, stride=4, in_channels=3, out_channels=96),
        (1, 3, 224, 224),
        "AlexNet's first layer at 224, not 227: input left unread.",
    ),
    ("conv", dict(kernel_size=3, dilation=2), (7, 7), "A dilated 3x3 kernel covers 5x5."),
]


@app.command()
def tour() -> None:
    """Answer a handful of classic shape questions, with the arithmetic shown."""
    from ..explain import formula, warnings
    from ..layers import make_layer, split_tensor
    from . import output

    con = output.console()
    for op, params, shape, question in EXAMPLES:
        layer = make_layer(op, **params)
        spatial = shape if len(shape) <= 2 else split_tensor(shape, layer.framework)[2]
        axes = layer.arithmetic(spatial)
        full_out = layer.tensor_shape(shape) if len(shape) > 2 else None
        con.rule(question, align="left", style="bold")
        output.print_table(
            con,
            output.arithmetic_table(
                layer, axes, output.title(layer, spatial, axes, shape if full_out else None, full_out)
            ),
        )
        con.print(f"{formula(layer, axes[-1])}")
        for note in warnings(layer, axes):
            con.print(f"note: {note}")
        con.print()
    con.print(
        "Next: convarith shape --help, convarith solve --help; to see a layer move:\n"
        "convarith animate conv -i 5x5 -k 3 -s 2 -p 1 -o padding_strides.gif\n"
        "or point at its cells in a browser (offline): ... -o padding_strides.html"
    )
