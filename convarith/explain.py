"""Formulas with the numbers substituted, and the warnings a careful reader would want."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .arithmetic import AxisArithmetic

if TYPE_CHECKING:
    from .layers import Layer


def axis_names(ndim: int) -> list[str]:
    return {1: ["L"], 2: ["H", "W"], 3: ["D", "H", "W"]}.get(ndim, [f"axis {n}" for n in range(ndim)])


def _padding_word(layer: Layer) -> str:
    padding = getattr(layer, "padding", None)
    return padding if isinstance(padding, str) else "explicit"


def formula(layer: Layer, ax: AxisArithmetic) -> str:
    """One line: how this axis's output size comes about."""
    k_eff = f"({ax.dilation}*({ax.kernel_size}-1)+1)" if ax.dilation > 1 else f"{ax.kernel_size}"
    if ax.transposed is not None:
        t = ax.transposed
        return (
            f"({ax.input}-1)*{ax.stride} - ({ax.padding[0]}+{ax.padding[1]}) + {k_eff} + {ax.output_padding} "
            f"= {ax.output}"
            f"   [= stride-1 conv of {ax.input} inputs with {t.zeros_between} zero(s) between them "
            f"({t.stretched_input} cells), padded {t.padding[0]}+{t.padding[1]}]"
        )
    if layer.op.startswith("adaptive"):
        return (
            f"adaptive: window j spans [floor(j*{ax.input}/{ax.output}), ceil((j+1)*{ax.input}/{ax.output})) "
            f"-> {ax.output}"
        )
    padded = f"{ax.input} + {ax.padding[0]} + {ax.padding[1]}"
    if ax.ceil_mode:
        text = f"ceil(({padded} - {k_eff}) / {ax.stride}) + 1"
        rounded_up = -(-(ax.padded_input - ax.effective_kernel) // ax.stride) + 1
        if rounded_up != ax.output:
            text += f" = {rounded_up}, minus a last window that would start in the right padding"
        return f"{text} = {ax.output}"
    text = f"floor(({padded} - {k_eff}) / {ax.stride}) + 1 = {ax.output}"
    if layer.framework in ("tf", "keras") and _padding_word(layer).upper() == "SAME":
        text = (
            f"ceil({ax.input} / {ax.stride}) = {ax.output}; pad total max(0, ({ax.output}-1)*{ax.stride} + "
            f"{ax.effective_kernel} - {ax.input}) = {sum(ax.padding)}, split {ax.padding[0]} before, "
            f"{ax.padding[1]} after"
        )
    return text


def warnings(layer: Layer, axes: Sequence[AxisArithmetic]) -> list[str]:
    """Things that are legal but often not what the user meant."""
    by_text: dict[str, list[str]] = {}
    for name, ax in zip(axis_names(len(axes)), axes, strict=True):
        for text in _axis_warnings(layer, ax):
            by_text.setdefault(text, []).append(name)
    found = [f"{', '.join(names)}: {text}" for text, names in by_text.items()]
    return found + _framework_contrast(layer, axes)


def _axis_warnings(layer: Layer, ax: AxisArithmetic) -> list[str]:
    found = []
    if ax.asymmetric:
        side = "after (right/bottom)" if ax.padding[1] > ax.padding[0] else "before (left/top)"
        found.append(f"asymmetric padding {ax.padding}: the extra cell goes {side}")
    if ax.transposed is not None and min(ax.transposed.padding) < 0:
        found.append(
            f"the equivalent convolution's padding {ax.transposed.padding} is negative: "
            "padding larger than k_eff - 1 crops the scattered output"
        )
    if ax.unread is None:
        found.append("too large to count unread cells (kernel and stride both over 200,000)")
    elif ax.unread and ax.transposed is None:
        found.append(f"{ax.unread} input cell(s) are never read by any window")
    elif ax.unread:
        found.append(f"{ax.unread} input cell(s) contribute only to cropped output")
    if ax.unread_padding and ax.read_padding is not None:
        found.append(
            f"only {ax.read_padding} of the {ax.padding} padding is ever read by a window "
            f"({ax.unread_padding} padding cell(s) unused)"
        )
    padding = getattr(layer, "padding", None)
    if ax.effective_kernel % 2 == 0 and isinstance(padding, str) and padding.lower() == "same":
        found.append(f"even effective kernel {ax.effective_kernel} with 'same' padding cannot pad symmetrically")
    return found + list(ax.notes)


def _framework_contrast(layer: Layer, axes: Sequence[AxisArithmetic]) -> list[str]:
    """PyTorch's usual stand-in for TensorFlow's strided SAME shifts the windows."""
    if layer.op != "conv" or layer.framework != "torch" or isinstance(getattr(layer, "padding", None), str):
        return []
    from .dialects.tf import forward_pads

    sizes = [a.input for a in axes]
    tf_pads = forward_pads(
        "conv", "SAME", sizes, [a.kernel_size for a in axes], [a.stride for a in axes], [a.dilation for a in axes]
    )
    same_size = all(a.output == -(-a.input // a.stride) for a in axes)
    if (
        same_size
        and any(a.stride > 1 for a in axes)
        and any(tuple(p) != a.padding for p, a in zip(tf_pads, axes, strict=True))
    ):
        pads = ", ".join(str(tuple(p)) for p in tf_pads)
        return [f"TensorFlow's SAME gives the same size here but pads {pads}: windows are shifted relative to PyTorch"]
    return []
