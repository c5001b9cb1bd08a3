"""Which layer configurations turn a given input size into a wanted output size.

Every candidate is checked by the shape engine itself, so the answers are exact by
construction; the search only decides what to try and in which order to show it.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

from .axes import check_spatial, is_int
from .errors import ShapeError
from .layers import FRAMEWORKS, make_layer


@dataclass(frozen=True)
class Solution:
    params: dict
    layer: object
    axes: tuple

    @property
    def uses_all_input(self) -> bool:
        return all(a.unread == 0 for a in self.axes)

    def __str__(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.params.items())


def _as_sizes(name, value):
    return check_spatial(name, (value,) if is_int(value) else tuple(value))


def _choices(name, fixed, upto):
    if fixed is None:
        return range(1, upto + 1)
    if not is_int(fixed) or fixed < 1:
        raise ShapeError(name, f"must be a positive integer, got {fixed!r}")
    return (fixed,)


def _paddings(op, framework, nd, k, s, d):
    """Padding choices per framework, as values the layer accepts (per-axis variety later)."""
    k_eff = d * (k - 1) + 1
    if framework == "tf":
        return ["SAME", "VALID"]
    if framework == "keras":
        words = ["same", "valid"]
        return words + ["causal"] if op == "conv" and nd == 1 else words
    if op in ("max_pool", "avg_pool"):
        return list(range(0, k // 2 + 1))
    return list(range(0, k_eff))


def _extras(op, framework, k, s, d):
    """Extra knobs: output_padding for transposed layers, ceil_mode for torch pools."""
    if op == "conv_transpose" and framework == "torch":
        return [{"output_padding": a} for a in range(max(s, d)) if a < s or a < d]
    if op == "conv_transpose" and framework == "keras":
        return [{"output_padding": None}] + [{"output_padding": a} for a in range(s)]
    if op in ("max_pool", "avg_pool") and framework == "torch":
        return [{}, {"ceil_mode": True}]
    return [{}]


def _rank(solution: Solution, op: str):
    p = solution.params
    axes = solution.axes
    k, s, d = p["kernel_size"], p.get("stride", 1), p.get("dilation", 1)
    asym = any(a.asymmetric for a in axes)
    pad = sum(sum(a.padding) for a in axes)
    if op == "conv_transpose":
        # k divisible by s spreads every input evenly: no checkerboard (Odena et al., 2016).
        extra = p.get("output_padding") or 0
        return (d > 1, extra > 0, k % s != 0, asym, not solution.uses_all_input, k, pad)
    return (d > 1, not solution.uses_all_input, k % 2 == 0, asym, bool(p.get("ceil_mode")), k, s, pad)


def solve(input, output, op="conv", framework="torch", kernel_size=None, stride=None, dilation=None,
          max_kernel=7, max_stride=4, max_dilation=1, limit=20) -> list[Solution]:
    """Configurations of ``op`` mapping spatial ``input`` to ``output``, simplest first.

    Kernel, stride and dilation are shared by all axes (fix any of them to narrow the
    search); padding is searched per framework ('same'/'valid' for tf and keras).
    """
    sizes_in, sizes_out = _as_sizes("input", input), _as_sizes("output", output)
    if len(sizes_in) != len(sizes_out):
        raise ShapeError("output", f"has {len(sizes_out)} axes but the input has {len(sizes_in)}")
    op = op.replace("-", "_")
    if op not in ("conv", "conv_transpose", "max_pool", "avg_pool"):
        raise ShapeError("op", f"solve handles conv, conv_transpose, max_pool and avg_pool, not {op!r}")
    if framework not in FRAMEWORKS:
        raise ShapeError("framework", f"must be one of {', '.join(FRAMEWORKS)}; got {framework!r}")
    pools = op.endswith("pool")
    dilations = (1,) if pools and framework != "torch" or op == "avg_pool" else _choices("dilation", dilation, max_dilation)
    found = []
    nd = len(sizes_in)
    for k, s, d in product(_choices("kernel_size", kernel_size, max_kernel), _choices("stride", stride, max_stride), dilations):
        for padding, extra in product(_paddings(op, framework, nd, k, s, d), _extras(op, framework, k, s, d)):
            params = {"kernel_size": k, "stride": s, "padding": padding, **({"dilation": d} if not (pools and d == 1) else {}), **extra}
            try:
                layer = make_layer(op, framework=framework, **params)
                call = {"output_size": sizes_out} if op == "conv_transpose" and framework == "tf" else {}
                axes = layer.arithmetic(sizes_in, **call)
            except ShapeError:
                continue
            if tuple(a.output for a in axes) == sizes_out:
                if extra.get("ceil_mode") and _same_without_ceil(op, framework, params, sizes_in):
                    continue
                found.append(Solution(params, layer, axes))
    found.sort(key=lambda sol: _rank(sol, op))
    return found[:limit] if limit else found


def _same_without_ceil(op, framework, params, sizes):
    plain = {k: v for k, v in params.items() if k != "ceil_mode"}
    try:
        return make_layer(op, framework=framework, **plain).output_shape(sizes) is not None
    except ShapeError:
        return False
