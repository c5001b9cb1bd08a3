"""Search: which layer configurations turn a given input size into a wanted output size.

Every candidate is checked by the shape engine itself, so the answers are exact by
construction; the search only decides what to try and in which order to show it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice, product
from typing import Any

from . import limits
from .arithmetic import AxisArithmetic
from .axes import check_spatial, is_int
from .dialects.common import fmt
from .errors import LimitError, ShapeError
from .layers import FRAMEWORKS, Layer, make_layer

Extra = dict[str, Any]  # output_padding or ceil_mode, passed to the layer as keywords


MAX_COMBINATIONS = 20_000  # kernels x strides x dilations x output_padding or ceil_mode settings
MAX_CANDIDATES = 50_000  # configurations checked by the shape engine and ranked


@dataclass(frozen=True)
class Solution:
    """One configuration: its arguments (as the layer takes them), the layer and its arithmetic."""

    params: dict[str, Any]
    layer: Layer
    axes: tuple[AxisArithmetic, ...]

    @property
    def uses_all_input(self) -> bool:
        return all(a.unread == 0 for a in self.axes)

    def __str__(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.params.items())


def _as_sizes(name: str, value: object) -> tuple[int, ...]:
    return check_spatial(name, value)


def _choices(name: str, fixed: object, upto: int) -> Sequence[int]:
    if fixed is None:
        if upto > MAX_COMBINATIONS:  # before range(): its len() overflows past 2**63
            raise LimitError(
                f"max_{name.split('_')[0]}",
                f"searching {limits.count_text(upto)} values of {name} is over {MAX_COMBINATIONS:,} combinations",
                f"fix {name} or lower max_{name.split('_')[0]}",
            )
        return range(1, int(upto) + 1)
    if not is_int(fixed) or fixed < 1:
        raise ShapeError(name, f"must be a positive integer, got {fixed!r}")
    return (int(fixed),)


def _int_range(lo: int, hi: int, limit: int = 8) -> list[int]:
    return list(range(lo, min(hi, lo + limit - 1) + 1))


def _axis_paddings(op: str, i: int, o: int, k: int, s: int, d: int, extra: Extra) -> list[int]:
    """Symmetric PyTorch paddings that can map i to o on one axis, found arithmetically."""
    k_eff = d * (k - 1) + 1
    if op == "conv_transpose":
        twice = (i - 1) * s + k_eff + extra.get("output_padding", 0) - o
        return [twice // 2] if twice >= 0 and twice % 2 == 0 else []
    # floor((i + 2p - k_eff + slack) / s) + 1 == o  <=>  (o-1)s <= i + 2p - k_eff + slack < o*s
    slack = s - 1 if extra.get("ceil_mode") else 0
    last = o + 1 if extra.get("ceil_mode") else o  # ceil_mode may drop one window again
    lo = -(-((o - 1) * s + k_eff - i - slack) // 2)
    hi = (last * s + k_eff - i - slack - 1) // 2
    cap = k // 2 if op.endswith("pool") else k_eff - 1
    return _int_range(max(lo, 0), min(hi, cap))


def _paddings(
    op: str, framework: str, sizes_in: tuple[int, ...], sizes_out: tuple[int, ...], k: int, s: int, d: int, extra: Extra
) -> list[Any]:
    """Padding values to try: words for tf/Keras, computed integers for PyTorch."""
    nd = len(sizes_in)
    if framework == "tf":
        return ["SAME", "VALID"]
    if framework == "keras":
        return ["same", "valid", "causal"] if op == "conv" and nd == 1 else ["same", "valid"]
    per_axis = [_axis_paddings(op, i, o, k, s, d, extra) for i, o in zip(sizes_in, sizes_out, strict=True)]
    if any(not c for c in per_axis):
        return []
    combos = list(product(*per_axis))[:16]
    return [c[0] if len(set(c)) == 1 else c for c in combos]


def _extras(op: str, framework: str, s: int, d: int) -> list[Extra]:
    """Extra knobs: output_padding for transposed layers, ceil_mode for torch pools."""
    if op == "conv_transpose" and framework == "torch":
        return [{"output_padding": a} for a in range(min(max(s, d), 64)) if a < s or a < d]
    if op == "conv_transpose" and framework == "keras":
        return [{"output_padding": None}] + [{"output_padding": a} for a in range(min(s, 64))]
    if op in ("max_pool", "avg_pool") and framework == "torch":
        return [{}, {"ceil_mode": True}]
    return [{}]


def _rank(solution: Solution, op: str) -> tuple[Any, ...]:
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


def solve(
    input: int | Sequence[int],
    output: int | Sequence[int],
    op: str = "conv",
    framework: str = "torch",
    kernel_size: int | None = None,
    stride: int | None = None,
    dilation: int | None = None,
    max_kernel: int = 7,
    max_stride: int = 4,
    max_dilation: int = 1,
    limit: int | None = 20,
) -> list[Solution]:
    """Configurations of ``op`` mapping spatial ``input`` to ``output``, simplest first.

    Kernel, stride and dilation are shared by all axes (fix any of them to narrow the
    search); padding is searched per framework ('same'/'valid' for tf and keras).
    """
    sizes_in, sizes_out = _as_sizes("input", input), _as_sizes("output", output)
    if len(sizes_in) != len(sizes_out):
        raise ShapeError("output", f"has {len(sizes_out)} axes but the input has {len(sizes_in)}")
    if not isinstance(op, str):
        raise ShapeError("op", f"solve handles conv, conv_transpose, max_pool and avg_pool, not {op!r}")
    op = op.replace("-", "_")
    if op not in ("conv", "conv_transpose", "max_pool", "avg_pool"):
        raise ShapeError("op", f"solve handles conv, conv_transpose, max_pool and avg_pool, not {op!r}")
    for name, value in (("max_kernel", max_kernel), ("max_stride", max_stride), ("max_dilation", max_dilation)):
        if not is_int(value) or value < 1:
            raise ShapeError(name, f"must be a positive integer, got {value!r}")
    if limit is not None and (not is_int(limit) or limit < 0):
        raise ShapeError("limit", f"must be a whole number (0 or None: all), got {limit!r}")
    if not isinstance(framework, str) or framework not in FRAMEWORKS:
        raise ShapeError("framework", f"must be one of {', '.join(FRAMEWORKS)}; got {framework!r}")
    pools = op.endswith("pool")
    fixed_dilation = pools and framework != "torch" or op == "avg_pool"
    kernels = _choices("kernel_size", kernel_size, max_kernel)
    strides = _choices("stride", stride, max_stride)
    dilations = (1,) if fixed_dilation else _choices("dilation", dilation, max_dilation)
    settings = [
        (s, d, extra) for s, d in _pairs(strides, dilations, len(kernels)) for extra in _extras(op, framework, s, d)
    ]
    if len(kernels) * len(settings) > MAX_COMBINATIONS:
        raise LimitError(
            "max_kernel",
            f"searching {len(kernels):,} kernels x {len(settings):,} stride, dilation and "
            f"extra settings is over {MAX_COMBINATIONS:,} combinations",
            "fix kernel_size, stride or dilation, or lower max_kernel, max_stride or max_dilation",
        )
    candidates = list(
        islice(
            (
                (k, s, d, extra, padding)
                for k in kernels
                for s, d, extra in settings
                for padding in _paddings(op, framework, sizes_in, sizes_out, k, s, d, extra)
            ),
            MAX_CANDIDATES + 1,
        )
    )
    if len(candidates) > MAX_CANDIDATES:
        raise LimitError(
            "max_kernel",
            f"over {MAX_CANDIDATES:,} configurations map {fmt(sizes_in)} to {fmt(sizes_out)} within the search ranges",
            "fix kernel_size, stride or dilation, or narrow "
            "the ranges (max_kernel, max_stride, max_dilation) to rank them",
        )
    call = {"output_size": sizes_out} if op == "conv_transpose" and framework == "tf" else {}
    found = []
    for k, s, d, extra, padding in candidates:
        params = {
            "kernel_size": k,
            "stride": s,
            "padding": padding,
            **({} if pools and d == 1 else {"dilation": d}),
            **extra,
        }
        solution = _try(op, framework, params, sizes_in, sizes_out, call)
        if solution and not (extra.get("ceil_mode") and _same_without_ceil(op, framework, params, sizes_in, sizes_out)):
            found.append(solution)
    found.sort(key=lambda sol: _rank(sol, op))
    return found[:limit] if limit else found


def _pairs(strides: Sequence[int], dilations: Sequence[int], kernels: int) -> list[tuple[int, int]]:
    """(stride, dilation) pairs, refused before listing when they alone are too many."""
    if len(strides) * len(dilations) * kernels > MAX_COMBINATIONS:
        raise LimitError(
            "max_kernel",
            f"searching {kernels:,} kernels x {len(strides):,} strides x {len(dilations):,} "
            f"dilations is over {MAX_COMBINATIONS:,} combinations",
            "fix kernel_size, stride or dilation, or lower max_kernel, max_stride or max_dilation",
        )
    return list(product(strides, dilations))


def _try(
    op: str,
    framework: str,
    params: dict[str, Any],
    sizes_in: tuple[int, ...],
    sizes_out: tuple[int, ...],
    call: dict[str, Any],
) -> Solution | None:
    try:
        layer = make_layer(op, framework=framework, **params)
        axes = layer.arithmetic(sizes_in, **call)
    except ShapeError:
        return None
    return Solution(params, layer, axes) if tuple(a.output for a in axes) == sizes_out else None


def _same_without_ceil(
    op: str, framework: str, params: dict[str, Any], sizes_in: tuple[int, ...], sizes_out: tuple[int, ...]
) -> bool:
    """A ceil_mode answer is only worth listing when plain rounding gives a different size."""
    plain = {k: v for k, v in params.items() if k != "ceil_mode"}
    return _try(op, framework, plain, sizes_in, sizes_out, {}) is not None
