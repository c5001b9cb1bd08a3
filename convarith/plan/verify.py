"""--verify: push a random tensor through the planned network with convarith.functional."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from numbers import Real
from types import ModuleType
from typing import TYPE_CHECKING

from .. import limits
from ..dialects.common import fmt
from ..errors import ShapeError
from .model import SHAPE_KEEPING, Plan, Row, Shape
from .schema import Spec, show

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Array = NDArray[np.float32]

FLOAT32 = 4
COMPUTED = (
    {
        "conv",
        "conv_transpose",
        "max_pool",
        "avg_pool",
        "adaptive_avg_pool",
        "adaptive_max_pool",
        "linear",
        "flatten",
        "upsample",
        "add",
        "concat",
        "crop",
        "pad",
        "relu",
    }
    | SHAPE_KEEPING
    | {"batch_norm"}
)


@dataclass(frozen=True)
class Verified:
    """What --verify computed: every planned shape was checked, these layers by computing them."""

    computed: tuple[str, ...]  # names of the layers computed
    skipped: tuple[str, ...]  # names of the layers above skip_macs_above, given zeros of their planned shape


def _valid_skip(value: object) -> bool:
    if value is None:
        return True
    return not isinstance(value, bool) and isinstance(value, Real) and math.isfinite(value) and not value < 0


def _heavy(row: Row, skip_macs_above: float | None) -> bool:
    return skip_macs_above is not None and row.macs > skip_macs_above


def _shape(row: Row) -> Shape:
    """A planned row's shape (every row has one in a plan that did not stop)."""
    if row.shape is None:
        raise ShapeError("verify", "the plan stopped early (see its diagnostics): fix it before verifying")
    return row.shape


def _check(layers: object, plan: object, skip_macs_above: float | None) -> list[list[str]]:
    """Refuse, before any array exists, what cannot be verified or would not fit the budgets.

    The arrays alive at once (each layer's output is kept until the last layer that reads it)
    must fit ``limits.output_bytes``; one layer's random weights must fit ``temporary_bytes``.
    Returns, per layer, the names whose arrays can be dropped after it.
    """
    if not isinstance(plan, Plan):
        raise ShapeError("plan", f"must be a Plan from convarith.plan.plan(...), got {show(plan)}")
    if not isinstance(layers, (list, tuple)) or len(layers) != len(plan.rows):
        raise ShapeError(
            "layers", f"must be the plan's layer list ({len(plan.rows)} layers: plan.layers), got {show(layers)}"
        )
    if not _valid_skip(skip_macs_above):
        raise ShapeError("skip_macs_above", f"must be a finite number >= 0 or None, got {show(skip_macs_above)}")
    if not plan.complete or any(r.shape is None for r in plan.rows):
        raise ShapeError("verify", "the plan stopped early (see its diagnostics): fix it before verifying")
    last_use, previous = {"input": -1}, "input"
    for i, (spec, row) in enumerate(zip(layers, plan.rows, strict=True)):
        if (
            not isinstance(spec, dict)
            or spec.get("type") not in COMPUTED
            or spec.get("axis") not in (None, 0)
            or plan.layout != "channels_first"
        ):
            kind = spec.get("type") if isinstance(spec, dict) else show(spec)
            raise ShapeError(
                "verify",
                f"{row.name}: --verify computes torch-layout conv, pool, linear, flatten, "
                f"upsample, add, concat and crop/pad layers, not {kind}",
            )
        for name in spec.get("inputs") or [previous]:
            last_use[name] = i
        last_use.setdefault(row.name, i)
        previous = row.name
    last_use[previous] = len(layers)  # the output is kept to the end
    sizes = {"input": limits.product(plan.input_shape) * FLOAT32}
    live = peak = sizes["input"]
    drops: list[list[str]] = [[] for _ in layers]
    for name, at in last_use.items():
        if 0 <= at < len(layers):
            drops[at].append(name)
    weights, heaviest = 0, ""
    for i, (spec, row) in enumerate(zip(layers, plan.rows, strict=True)):
        sizes[row.name] = limits.product(_shape(row)) * FLOAT32
        live += sizes[row.name]
        peak = max(peak, live)
        live -= sum(sizes[n] for n in drops[i] if n in sizes)
        if not _heavy(row, skip_macs_above):
            held = _weight_elements(spec, row, plan) * FLOAT32
            if held > weights:
                weights, heaviest = held, row.name
    limits.check_bytes(
        "--verify",
        f"verifying this plan with input {fmt(plan.input_shape)} (the float32 activations alive at once)",
        peak,
        "output_bytes",
    )
    limits.check_bytes("--verify", f"the random weights of {heaviest}", weights, "temporary_bytes")
    return drops


def _weight_elements(spec: Spec, row: Row, plan: Plan) -> int:
    if spec["type"] not in ("conv", "conv_transpose", "linear"):
        return 0
    groups: int = spec.get("groups", 1)
    if spec["type"] == "linear":
        out_features: int = spec["out_features"]
        return limits.product(_input_shape(spec, row, plan)) * out_features
    kernel = limits.product(_kernel_sizes(spec, len(_shape(row)) - 1))
    in_channels, out_channels = _input_shape(spec, row, plan)[0], int(spec["out_channels"])
    if spec["type"] == "conv":
        return out_channels * (in_channels // groups) * kernel
    return in_channels * (out_channels // groups) * kernel  # conv_transpose


def _kernel_sizes(spec: Spec, spatial_axes: int) -> tuple[int, ...]:
    k = spec["kernel_size"]
    return tuple(k) if isinstance(k, (tuple, list)) else (k,) * spatial_axes


def _input_shape(spec: Spec, row: Row, plan: Plan) -> Shape:
    names = spec.get("inputs")
    if names:
        by_name = {r.name: r for r in plan.rows}
        return plan.input_shape if names[0] == "input" else _shape(by_name[names[0]])
    return plan.input_shape if row.index == 0 else _shape(plan.rows[row.index - 1])


def verify(layers: Sequence[Spec], plan: Plan, skip_macs_above: float | None = None, seed: int = 0) -> Verified:
    """Compute every layer (one sample, float32, whatever the plan's batch) and check its shape against the plan.

    Layers whose MACs exceed ``skip_macs_above`` are not computed: their planned shape is
    filled with zeros so the layers after them are still checked. The memory this needs is
    computed from the planned shapes first and refused (LimitError) past the budgets.
    Returns the names of the layers computed and skipped; a wrong shape raises ShapeError.
    """
    drops = _check(layers, plan, skip_macs_above)
    import numpy as np

    rng = np.random.default_rng(seed)
    values = {"input": rng.standard_normal((1, *plan.input_shape), dtype=np.float32)}
    previous = "input"
    computed, skipped = [], []
    for i, (spec, row) in enumerate(zip(layers, plan.rows, strict=True)):
        inputs = [values[n] for n in spec.get("inputs") or [previous]]
        planned = _shape(row)
        if _heavy(row, skip_macs_above):
            out: Array = np.zeros((1, *planned), dtype=np.float32)
            skipped.append(row.name)
        else:
            out = _compute(spec, inputs, plan, planned, rng)
            computed.append(row.name)
        if tuple(out.shape[1:]) != planned:
            raise ShapeError("verify", f"{row.name}: functional gives {out.shape[1:]}, the plan says {row.shape}")
        values[row.name] = out
        previous = row.name
        for name in drops[i]:
            if name != row.name or i < len(layers) - 1:
                values.pop(name, None)
    return Verified(tuple(computed), tuple(skipped))


def _compute(spec: Spec, inputs: list[Array], plan: Plan, planned: Shape, rng: np.random.Generator) -> Array:
    """One layer's output (batch 1) from its inputs, with random weights."""
    import numpy as np

    from .. import functional as F

    t = spec["type"]
    x = inputs[0]
    window = {k: spec[k] for k in ("stride", "padding", "dilation") if k in spec}
    if t == "conv":
        groups = spec.get("groups", 1)
        w = rng.standard_normal((spec["out_channels"], x.shape[1] // groups, *_kernel(spec, x)), dtype=np.float32)
        return F.conv(x, w, groups=groups, framework=plan.framework, **window)
    if t == "conv_transpose":
        groups = spec.get("groups", 1)
        w = rng.standard_normal((x.shape[1], spec["out_channels"] // groups, *_kernel(spec, x)), dtype=np.float32)
        return F.conv_transpose(
            x,
            w,
            groups=groups,
            output_padding=spec.get("output_padding") or 0,
            output_size=spec.get("output_size"),
            framework=plan.framework,
            **window,
        )
    if t == "max_pool":
        pooled: Array = F.max_pool(  # (window's keys are never return_indices: one overload, mypy cannot tell)
            x, spec["kernel_size"], ceil_mode=spec.get("ceil_mode", False), framework=plan.framework, **window
        )
        return pooled
    if t == "avg_pool":
        window.pop("dilation", None)
        return F.avg_pool(
            x, spec["kernel_size"], ceil_mode=spec.get("ceil_mode", False), framework=plan.framework, **window
        )
    if t in ("adaptive_avg_pool", "adaptive_max_pool"):
        return _adaptive(x, planned[1:], np.mean if t == "adaptive_avg_pool" else np.max, np)
    if t == "linear":
        flat = x.reshape(1, -1)
        return flat @ rng.standard_normal((flat.shape[1], spec["out_features"]), dtype=np.float32)
    if t == "flatten":
        return x.reshape(1, -1)
    if t == "upsample":
        index = [np.minimum((np.arange(o) * i) // o, i - 1) for i, o in zip(x.shape[2:], planned[1:], strict=True)]
        return x[(slice(None), slice(None)) + tuple(np.ix_(*index))]
    if t == "add":
        return sum(inputs[1:], inputs[0])
    if t == "concat":
        return np.concatenate(inputs, axis=1)
    if t == "crop":
        target = planned[1:]
        start = [(s - c) // 2 for s, c in zip(x.shape[2:], target, strict=True)]
        return x[(slice(None), slice(None)) + tuple(slice(a, a + c) for a, c in zip(start, target, strict=True))]
    if t == "pad":
        grow = [(t_ - s) for s, t_ in zip(x.shape[2:], planned[1:], strict=True)]
        return np.pad(x, [(0, 0), (0, 0)] + [(g // 2, g - g // 2) for g in grow])
    return np.maximum(x, 0) if t == "relu" else x  # shape-keeping layers


def _kernel(spec: Spec, x: Array) -> tuple[int, ...]:
    return _kernel_sizes(spec, x.ndim - 2)


def _adaptive(x: Array, out_sizes: Sequence[int], reduce: Callable[..., Array], np: ModuleType) -> Array:
    """Adaptive pooling one spatial axis at a time (a mean or max over a box is a mean or max of
    per-axis means or maxes: the windows along one axis have the same length for every index
    of the others), so the Python loop runs sum(out_sizes) times, not prod(out_sizes).
    ``np`` is numpy, imported by the caller (convarith imports it only to compute)."""
    axes = sorted(enumerate(out_sizes, start=2), key=lambda a: a[1] > x.shape[a[0]])  # shrink first: no
    for axis, o in axes:  # intermediate array is larger than both the input and the output
        i = x.shape[axis]
        pieces = []
        for j in range(o):
            start, stop = (j * i) // o, -(-((j + 1) * i) // o)
            pieces.append(reduce(np.take(x, np.arange(start, stop), axis=axis), axis=axis, keepdims=True))
        x = np.concatenate(pieces, axis=axis)
    return x
