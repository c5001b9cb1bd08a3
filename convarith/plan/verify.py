"""--verify: push a random tensor through the planned network with convarith.functional."""

from __future__ import annotations

from ..errors import ShapeError
from .model import SHAPE_KEEPING


def verify(layers, plan, skip_macs_above=None, seed=0):
    """Compute every layer (batch 1, float32) and check its shape against the plan.

    Layers whose MACs exceed ``skip_macs_above`` are not computed: their planned shape is
    filled with zeros so the layers after them are still checked.
    """
    import numpy as np

    from .. import functional as F

    if plan.rows and plan.rows[-1].shape is None:
        raise ShapeError("verify", "the plan stopped early (see its diagnostics): fix it before verifying")
    rng = np.random.default_rng(seed)
    values = {"input": rng.standard_normal((1, *plan.input_shape), dtype=np.float32)}
    previous = "input"
    computed = {"conv", "conv_transpose", "max_pool", "avg_pool", "adaptive_avg_pool", "adaptive_max_pool", "linear",
                "flatten", "upsample", "add", "concat", "crop", "pad", "relu"} | SHAPE_KEEPING | {"batch_norm"}
    for spec, row in zip(layers, plan.rows, strict=True):
        if spec["type"] not in computed or spec.get("axis") not in (None, 0) or plan.layout != "channels_first":
            raise ShapeError("verify", f"{row.name}: --verify computes torch-layout conv, pool, linear, flatten, "
                                       f"upsample, add, concat and crop/pad layers, not {spec['type']}")
        inputs = [values[n] for n in spec.get("inputs", [previous])]
        if skip_macs_above is not None and row.macs > skip_macs_above:
            out = np.zeros((1, *row.shape), dtype=np.float32)
        else:
            out = _compute(spec, inputs, plan, row, values, rng, F, np)
        if tuple(out.shape[1:]) != tuple(row.shape):
            raise ShapeError("verify", f"{row.name}: functional gives {out.shape[1:]}, the plan says {row.shape}")
        values[row.name] = out
        previous = row.name
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
        return F.conv_transpose(x, w, groups=groups, output_padding=spec.get("output_padding") or 0,
                                output_size=spec.get("output_size"), framework=plan.framework, **window)
    if t == "max_pool":
        return F.max_pool(x, spec["kernel_size"], ceil_mode=spec.get("ceil_mode", False), framework=plan.framework, **window)
    if t == "avg_pool":
        window.pop("dilation", None)
        return F.avg_pool(x, spec["kernel_size"], ceil_mode=spec.get("ceil_mode", False), framework=plan.framework, **window)
    if t in ("adaptive_avg_pool", "adaptive_max_pool"):
        return _adaptive(x, row.shape[1:], np.mean if t == "adaptive_avg_pool" else np.max, np)
    if t == "linear":
        flat = x.reshape(1, -1)
        return flat @ rng.standard_normal((flat.shape[1], spec["out_features"]), dtype=np.float32)
    if t == "flatten":
        return x.reshape(1, -1)
    if t == "upsample":
        index = [np.minimum((np.arange(o) * i) // o, i - 1) for i, o in zip(x.shape[2:], row.shape[1:])]
        return x[(slice(None), slice(None)) + tuple(np.ix_(*index))]
    if t == "add":
        return sum(inputs[1:], inputs[0])
    if t == "concat":
        return np.concatenate(inputs, axis=1)
    if t == "crop":
        target = row.shape[1:]
        start = [(s - c) // 2 for s, c in zip(x.shape[2:], target)]
        return x[(slice(None), slice(None)) + tuple(slice(a, a + c) for a, c in zip(start, target))]
    if t == "pad":
        grow = [(t_ - s) for s, t_ in zip(x.shape[2:], row.shape[1:])]
        return np.pad(x, [(0, 0), (0, 0)] + [(g // 2, g - g // 2) for g in grow])
    return np.maximum(x, 0) if t == "relu" else x  # shape-keeping layers


def _kernel(spec, x):
    k = spec["kernel_size"]
    return tuple(k) if isinstance(k, (tuple, list)) else (k,) * (x.ndim - 2)


def _adaptive(x, out_sizes, reduce, np):
    out = np.empty((*x.shape[:2], *out_sizes), dtype=x.dtype)
    import itertools

    for index in itertools.product(*(range(o) for o in out_sizes)):
        window = tuple(slice((j * i) // o, -(-((j + 1) * i) // o)) for j, i, o in zip(index, x.shape[2:], out_sizes))
        out[(slice(None), slice(None)) + index] = reduce(x[(slice(None), slice(None)) + window], axis=tuple(range(2, x.ndim)))
    return out
