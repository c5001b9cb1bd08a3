"""``pad`` in PyTorch's conventions (pad pairs listed from the last axis backwards)."""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError

MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}
PADDING_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


def torch_pairs(pad, ndim: int) -> list[tuple[int, int]]:
    """PyTorch's flat pad tuple -> (before, after) per axis, first axis first, for ``ndim`` axes."""
    pad = tuple(pad)
    if len(pad) % 2 or not pad or any(not isinstance(p, (int, np.integer)) or isinstance(p, bool) for p in pad):
        raise ShapeError("pad", f"must be an even-length sequence of ints (last axis first), got {pad!r}")
    if len(pad) // 2 > ndim:
        raise ShapeError("pad", f"pads {len(pad) // 2} axes but the input has only {ndim}")
    pairs = [(int(pad[2 * i]), int(pad[2 * i + 1])) for i in range(len(pad) // 2)]
    return [(0, 0)] * (ndim - len(pairs)) + pairs[::-1]


def pad(input, pad, mode: str = "constant", value: float = 0.0):
    """Pad like ``torch.nn.functional.pad``: constant (negative crops), reflect, replicate, circular."""
    x = np.asarray(input)
    if mode not in MODES:
        raise ShapeError("mode", f"must be one of {', '.join(MODES)}, got {mode!r}")
    pairs = torch_pairs(pad, x.ndim)
    axes = len(tuple(pad)) // 2
    if mode != "constant" and (axes > 3 or x.ndim not in (axes + 1, axes + 2)):
        raise ShapeError(
            "pad",
            f"{mode} padding pads the last 1-3 axes of a (C, ...) or (N, C, ...) input: "
            f"{axes} padded axes do not fit an input of {x.ndim} axes",
        )
    return pad_pairs(x, pairs, mode, value)


def pad_pairs(x: np.ndarray, pairs, mode: str = "constant", value: float = 0.0) -> np.ndarray:
    """Pad with (before, after) per axis. Negative values crop first, in every mode, as PyTorch does."""
    crop = tuple(slice(max(0, -b), x.shape[i] - max(0, -a)) for i, (b, a) in enumerate(pairs))
    if any(sl.stop - sl.start < 0 for sl in crop):
        raise ShapeError("pad", "negative padding removes more than the whole axis")
    x = x[crop]
    grow = [(max(0, b), max(0, a)) for b, a in pairs]
    if mode != "constant":
        for axis, (before, after) in enumerate(grow):
            size = x.shape[axis]
            if mode == "reflect" and max(before, after) >= size and (before or after):
                raise ShapeError("pad", f"reflect padding must be smaller than the input size: {(before, after)} on an axis of {size}")
            if mode == "circular" and max(before, after) > size:
                raise ShapeError("pad", f"circular padding must be at most the input size: {(before, after)} on an axis of {size}")
            if mode == "replicate" and size == 0 and (before or after):
                raise ShapeError("pad", "cannot replicate an empty axis")
        return np.pad(x, grow, mode=MODES[mode])
    if not any(b or a for b, a in grow):
        return x.copy()
    out = np.full(tuple(s + b + a for s, (b, a) in zip(x.shape, grow)), value, dtype=x.dtype)
    out[tuple(slice(b, b + s) for s, (b, _) in zip(x.shape, grow))] = x
    return out
