"""--verify: push a random tensor through the planned network with convarith.functional."""

from __future__ import annotations

import math
from numbers import Real

from .. import limits
from ..errors import ShapeError
from .model import SHAPE_KEEPING, Plan
from .schema import show

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


def _check(layers, plan, skip_macs_above):
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
    if skip_macs_above is not None and (
        isinstance(skip_macs_above, bool)
        or not isinstance(skip_macs_above, Real)
        or not math.isfinite(skip_macs_above)
        or skip_macs_above < 0
    ):
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
    drops = [[] for _ in layers]
    for name, at in last_use.items():
        if 0 <= at < len(layers):
            drops[at].append(name)
    weights, heaviest = 0, ""
    for i, (spec, row) in enumerate(zip(layers, plan.rows, strict=True)):
        sizes[row.name] = limits.product(row.shape) * FLOAT32
        live += sizes[row.name]
        peak = max(peak, live)
        live -= sum(sizes[n] for n in drops[i] if n in sizes)
        if skip_macs_above is None or row.macs <= skip_macs_above:
            held = _weight_elements(spec, row, plan) * FLOAT32
            if held > weights:
                weights, heaviest = held, row.name
    limits.check_bytes(
        "--verify",
        f"verifying this plan with input {'x'.join(map(str, plan.input_shape))} "
        "(the float32 activations alive at once)",
        peak,
        "output_bytes",
    )
    limits.check_bytes("--verify", f"the random weights of {heaviest}", weights, "temporary_bytes")
    return drops


def _weight_elements(spec, row, plan) -> int:
    kernel = limits.product(a_k for a_k in _kernel_sizes(spec, row))
    if spec["type"] == "conv":
        return spec["out_channels"] * (_in_channels(spec, row, plan) // spec.get("groups", 1)) * kernel
    if spec["type"] == "conv_transpose":
        return _in_channels(spec, row, plan) * (spec["out_channels"] // spec.get("groups", 1)) * kernel
    if spec["type"] == "linear":
        return limits.product(_input_shape(spec, row, plan)) * spec["out_features"]
    return 0


def _kernel_sizes(spec, row):
    if spec["type"] not in ("conv", "conv_transpose"):
        return ()
    k = spec["kernel_size"]
    return tuple(k) if isinstance(k, (tuple, list)) else (k,) * (len(row.shape) - 1)


def _input_shape(spec, row, plan):
    names = spec.get("inputs")
    if names:
        by_name = {r.name: r for r in plan.rows}
        return plan.input_shape if names[0] == "input" else by_name[names[0]].shape
    return plan.input_shape if row.index == 0 else plan.rows[row.index - 1].shape


def _in_channels(spec, row, plan):
    return _input_shape(spec, row, plan)[0]


def verify(layers, plan, skip_macs_above=None, seed=0):
    """Compute every layer (one sample, float32, whatever the plan's batch) and check its shape against the plan.

    Layers whose MACs exceed ``skip_macs_above`` are not computed: their planned shape is
    filled with zeros so the layers after them are still checked. The memory this needs is
    computed from the planned shapes first and refused (LimitError) past the budgets.
    """
    drops = _check(layers, plan, skip_macs_above)
    import numpy as np

    from .. import functional as F

    rng = np.random.default_rng(seed)
    values = {"input": rng.standard_normal((1, *plan.input_shape), dtype=np.float32)}
    previous = "input"
    for i, (spec, row) in enumerate(zip(layers, plan.rows, strict=True)):
        inputs = [values[n] for n in spec.get("inputs") or [previous]]
        if skip_macs_above is not None and row.macs > skip_macs_above:
            out = np.zeros((1, *row.shape), dtype=np.float32)
        else:
            out = _compute(spec, inputs, plan, row, values, rng, F, np)
        if tuple(out.shape[1:]) != tuple(row.shape):
            raise ShapeError("verify", f"{row.name}: functional gives {out.shape[1:]}, the plan says {row.shape}")
        values[row.name] = out
        previous = row.name
        for name in drops[i]:
            if name != row.name or i < len(layers) - 1:
                values.pop(name, None)
    return True


def _compute(spec, inputs, plan, row, values, rng, F, np):
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
        return F.max_pool(
            x, spec["kernel_size"], ceil_mode=spec.get("ceil_mode", False), framework=plan.framework, **window
        )
    if t == "avg_pool":
        window.pop("dilation", None)
        return F.avg_pool(
            x, spec["kernel_size"], ceil_mode=spec.get("ceil_mode", False), framework=plan.framework, **window
        )
    if t in ("adaptive_avg_pool", "adaptive_max_pool"):
        return _adaptive(x, row.shape[1:], np.mean if t == "adaptive_avg_pool" else np.max, np)
    if t == "linear":
        flat = x.reshape(1, -1)
        return flat @ rng.standard_normal((flat.shape[1], spec["out_features"]), dtype=np.float32)
    if t == "flatten":
        return x.reshape(1, -1)
    if t == "upsample":
        index = [np.minimum((np.arange(o) * i) // o, i - 1) for i, o in zip(x.shape[2:], row.shape[1:], strict=True)]
        return x[(slice(None), slice(None)) + tuple(np.ix_(*index))]
    if t == "add":
        return sum(inputs[1:], inputs[0])
    if t == "concat":
        return np.concatenate(inputs, axis=1)
    if t == "crop":
        target = row.shape[1:]
        start = [(s - c) // 2 for s, c in zip(x.shape[2:], target, strict=True)]
        return x[(slice(None), slice(None)) + tuple(slice(a, a + c) for a, c in zip(start, target, strict=True))]
    if t == "pad":
        grow = [(t_ - s) for s, t_ in zip(x.shape[2:], row.shape[1:], strict=True)]
        return np.pad(x, [(0, 0), (0, 0)] + [(g // 2, g - g // 2) for g in grow])
    return np.maximum(x, 0) if t == "relu" else x  # shape-keeping layers


def _kernel(spec, x):
    k = spec["kernel_size"]
    return tuple(k) if isinstance(k, (tuple, list)) else (k,) * (x.ndim - 2)


def _adaptive(x, out_sizes, reduce, np):
    """Adaptive pooling one spatial axis at a time (a mean or max over a box is a mean or max of
    per-axis means or maxes: the windows along one axis have the same length for every index
    of the others), so the Python loop runs sum(out_sizes) times, not prod(out_sizes)."""
    axes = sorted(enumerate(out_sizes, start=2), key=lambda a: a[1] > x.shape[a[0]])  # shrink first: no
    for axis, o in axes:  # intermediate array is larger than both the input and the output
        i = x.shape[axis]
        pieces = []
        for j in range(o):
            start, stop = (j * i) // o, -(-((j + 1) * i) // o)
            pieces.append(reduce(np.take(x, np.arange(start, stop), axis=axis), axis=axis, keepdims=True))
        x = np.concatenate(pieces, axis=axis)
    return x
