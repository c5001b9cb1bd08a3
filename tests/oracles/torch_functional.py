"""Ground-truth oracle for ``convarith.functional``: ask real PyTorch for the *values*.

Importable without torch: ``random_case`` and ``call_string`` are pure Python + NumPy;
``run_torch`` imports torch lazily.  ``tools/gen_golden_functional.py`` and
``tests/test_functional_live.py`` both use this module, so the golden data and the live
test run exactly the same torch calls.

A case is ``(arrays, kwargs)``:

* ``arrays``: ``{"input": ndarray, "weight": ndarray, "bias": ndarray}`` (weight/bias only
  for conv ops, bias optional);
* ``kwargs``: the keyword arguments of the ``convarith.functional`` call, as JSON values
  (tuples as lists, ``None`` for ``stride=None``).  Keys equal to the default may be
  absent.

``run_torch(op, arrays, kwargs)`` returns ``{"output": ndarray}`` plus ``"indices"``
(int64, flat index into the *unpadded* input's spatial dims, per sample and channel) for
``max_pool`` with ``return_indices=True``.

Torch calls used (float64 when the arrays are float64):

* conv, ``padding_mode="zeros"``: ``torch.nn.functional.conv{n}d``; ``flip=True`` flips
  the kernel along every spatial axis first (true convolution);
* conv, other padding modes: ``torch.nn.Conv{n}d(..., padding_mode=...)`` with weight and
  bias copied in (it pads with ``F.pad(mode=padding_mode)`` using
  ``_reversed_padding_repeated_twice`` then convolves with padding 0);
* conv_transpose: ``torch.nn.functional.conv_transpose{n}d`` (with ``output_padding``);
  with ``output_size``: ``torch.nn.ConvTranspose{n}d(...)(x, output_size=...)`` with the
  same weight/bias;
* max_pool / avg_pool: ``torch.nn.functional.max_pool{n}d`` / ``avg_pool{n}d``
  (``avg_pool1d`` has no ``divisor_override``, so 1-D cases never set it);
* pad: ``torch.nn.functional.pad``.
"""

from __future__ import annotations

import warnings

import numpy as np

OPS = ("conv", "conv_transpose", "max_pool", "avg_pool", "pad")

# size limits (also keep the golden npz small)
MAX_SIZE = {1: 20, 2: 12, 3: 7}
MAX_K = {1: 5, 2: 4, 3: 3}
MAX_CH = 6

DEFAULTS = {
    "conv": {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "padding_mode": "zeros", "flip": False},
    "conv_transpose": {"stride": 1, "padding": 0, "output_padding": 0, "groups": 1, "dilation": 1, "output_size": None},
    "max_pool": {"stride": None, "padding": 0, "dilation": 1, "ceil_mode": False, "return_indices": False},
    "avg_pool": {"stride": None, "padding": 0, "ceil_mode": False, "count_include_pad": True, "divisor_override": None},
    "pad": {"mode": "constant", "value": 0.0},
}


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _torchval(v):
    return tuple(v) if isinstance(v, list) else v


def _spatial_ndim(op: str, arrays: dict, kwargs: dict) -> int:
    if op in ("conv", "conv_transpose"):
        return arrays["weight"].ndim - 2
    if op == "pad":
        return len(kwargs["pad"]) // 2
    k = kwargs["kernel_size"]
    if isinstance(k, (list, tuple)):
        return len(k)
    # int kernel: batched input assumed (random_case always batches pools)
    return arrays["input"].ndim - 2


def conv_len(i: int, k: int, s: int, p_total: int, d: int) -> int:
    return (i + p_total - d * (k - 1) - 1) // s + 1


def pool_len(i: int, k: int, s: int, p: int, d: int, ceil: bool) -> int:
    """torch's pooling output length (pooling_output_shape)."""
    num = i + 2 * p - d * (k - 1) - 1
    if ceil:
        o = -(-num // s) + 1
        if (o - 1) * s >= i + p:
            o -= 1
    else:
        o = num // s + 1
    return o


def _empty_window(i: int, k: int, s: int, p: int, d: int, ceil: bool) -> bool:
    """Whether some pooling window reads no input cell (only possible with dilation > 1)."""
    for o in range(pool_len(i, k, s, p, d, ceil)):
        start = o * s - p
        if not any(0 <= start + j * d < i for j in range(k)):
            return True
    return False


def conv_transpose_len(i: int, k: int, s: int, p: int, d: int, op: int) -> int:
    return (i - 1) * s - 2 * p + d * (k - 1) + op + 1


# --------------------------------------------------------------------------
# the torch calls
# --------------------------------------------------------------------------


def run_torch(op: str, arrays: dict, kwargs: dict) -> dict:
    """Run real PyTorch on the case; returns {"output": ndarray[, "indices": ndarray]}."""
    import torch
    import torch.nn.functional as TF

    kw = dict(DEFAULTS[op])
    unknown = set(kwargs) - set(kw) - ({"kernel_size"} if "pool" in op else set()) - ({"pad"} if op == "pad" else set())
    if unknown:
        raise KeyError(f"unexpected kwargs for {op}: {sorted(unknown)}")
    kw.update(kwargs)
    n = _spatial_ndim(op, arrays, kwargs)
    x = torch.from_numpy(np.ascontiguousarray(arrays["input"]))
    out: dict = {}

    with torch.no_grad(), warnings.catch_warnings():
        # 'same' with an even kernel warns about a padded copy: expected, not interesting
        warnings.simplefilter("ignore", UserWarning)
        if op == "conv":
            w = torch.from_numpy(np.ascontiguousarray(arrays["weight"]))
            b = arrays.get("bias")
            b = None if b is None else torch.from_numpy(np.ascontiguousarray(b))
            if kw["flip"]:
                w = w.flip(dims=tuple(range(2, 2 + n)))
            stride, padding, dilation = (_torchval(kw[k]) for k in ("stride", "padding", "dilation"))
            groups = kw["groups"]
            if kw["padding_mode"] == "zeros":
                fn = getattr(TF, f"conv{n}d")
                y = fn(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
            else:
                cls = getattr(torch.nn, f"Conv{n}d")
                m = cls(
                    w.shape[1] * groups,
                    w.shape[0],
                    tuple(w.shape[2:]),
                    stride=stride,
                    padding=padding,
                    dilation=dilation,
                    groups=groups,
                    bias=b is not None,
                    padding_mode=kw["padding_mode"],
                    dtype=w.dtype,
                )
                m.weight.copy_(w)
                if b is not None:
                    m.bias.copy_(b)
                y = m(x)
            out["output"] = y
        elif op == "conv_transpose":
            w = torch.from_numpy(np.ascontiguousarray(arrays["weight"]))
            b = arrays.get("bias")
            b = None if b is None else torch.from_numpy(np.ascontiguousarray(b))
            stride, padding, output_padding, dilation = (
                _torchval(kw[k]) for k in ("stride", "padding", "output_padding", "dilation")
            )
            groups = kw["groups"]
            if kw["output_size"] is None:
                fn = getattr(TF, f"conv_transpose{n}d")
                y = fn(
                    x,
                    w,
                    b,
                    stride=stride,
                    padding=padding,
                    output_padding=output_padding,
                    groups=groups,
                    dilation=dilation,
                )
            else:
                cls = getattr(torch.nn, f"ConvTranspose{n}d")
                m = cls(
                    w.shape[0],
                    w.shape[1] * groups,
                    tuple(w.shape[2:]),
                    stride=stride,
                    padding=padding,
                    output_padding=output_padding,
                    groups=groups,
                    bias=b is not None,
                    dilation=dilation,
                    dtype=w.dtype,
                )
                m.weight.copy_(w)
                if b is not None:
                    m.bias.copy_(b)
                y = m(x, output_size=list(kw["output_size"]))
            out["output"] = y
        elif op == "max_pool":
            fn = getattr(TF, f"max_pool{n}d")
            res = fn(
                x,
                _torchval(kw["kernel_size"]),
                stride=_torchval(kw["stride"]),
                padding=_torchval(kw["padding"]),
                dilation=_torchval(kw["dilation"]),
                ceil_mode=kw["ceil_mode"],
                return_indices=kw["return_indices"],
            )
            if kw["return_indices"]:
                out["output"], out["indices"] = res
            else:
                out["output"] = res
        elif op == "avg_pool":
            fn = getattr(TF, f"avg_pool{n}d")
            extra = {}
            if kw["divisor_override"] is not None:
                extra["divisor_override"] = kw["divisor_override"]  # 2-D/3-D only in torch
            out["output"] = fn(
                x,
                _torchval(kw["kernel_size"]),
                stride=_torchval(kw["stride"]),
                padding=_torchval(kw["padding"]),
                ceil_mode=kw["ceil_mode"],
                count_include_pad=kw["count_include_pad"],
                **extra,
            )
        elif op == "pad":
            if kw["mode"] == "constant":
                y = TF.pad(x, tuple(kw["pad"]), mode="constant", value=kw["value"])
            else:
                y = TF.pad(x, tuple(kw["pad"]), mode=kw["mode"])
            out["output"] = y
        else:
            raise ValueError(f"unknown op {op!r}")
    return {k: v.detach().numpy().copy() for k, v in out.items()}


def call_string(op: str, arrays: dict, kwargs: dict) -> str:
    """Human-readable rendering of the torch call ``run_torch`` makes."""
    kw = dict(DEFAULTS[op])
    kw.update(kwargs)
    n = _spatial_ndim(op, arrays, kwargs)
    shp = lambda a: "x".join(map(str, a.shape))  # noqa: E731
    r = lambda v: repr(_torchval(v))  # noqa: E731
    if op == "conv":
        w = arrays["weight"]
        wname = f"weight[{shp(w)}]" + (".flip(spatial)" if kw["flip"] else "")
        bname = f"bias[{shp(arrays['bias'])}]" if "bias" in arrays else "None"
        common = (
            f"stride={r(kw['stride'])}, padding={r(kw['padding'])}, dilation={r(kw['dilation'])}, groups={kw['groups']}"
        )
        if kw["padding_mode"] == "zeros":
            return f"F.conv{n}d(input[{shp(arrays['input'])}], {wname}, {bname}, {common})"
        return (
            f"nn.Conv{n}d({w.shape[1] * kw['groups']}, {w.shape[0]}, {tuple(w.shape[2:])}, "
            f"{common}, bias={'bias' in arrays}, padding_mode={kw['padding_mode']!r}) "
            f"with weight={wname}, bias={bname}; applied to input[{shp(arrays['input'])}]"
        )
    if op == "conv_transpose":
        w = arrays["weight"]
        bname = f"bias[{shp(arrays['bias'])}]" if "bias" in arrays else "None"
        if kw["output_size"] is None:
            return (
                f"F.conv_transpose{n}d(input[{shp(arrays['input'])}], weight[{shp(w)}], "
                f"{bname}, stride={r(kw['stride'])}, padding={r(kw['padding'])}, "
                f"output_padding={r(kw['output_padding'])}, groups={kw['groups']}, "
                f"dilation={r(kw['dilation'])})"
            )
        return (
            f"nn.ConvTranspose{n}d({w.shape[0]}, {w.shape[1] * kw['groups']}, "
            f"{tuple(w.shape[2:])}, stride={r(kw['stride'])}, padding={r(kw['padding'])}, "
            f"output_padding={r(kw['output_padding'])}, groups={kw['groups']}, "
            f"bias={'bias' in arrays}, dilation={r(kw['dilation'])}) with weight[{shp(w)}], "
            f"bias={bname}; called (input[{shp(arrays['input'])}], "
            f"output_size={list(kw['output_size'])})"
        )
    if op == "max_pool":
        return (
            f"F.max_pool{n}d(input[{shp(arrays['input'])}], {r(kwargs['kernel_size'])}, "
            f"stride={r(kw['stride'])}, padding={r(kw['padding'])}, "
            f"dilation={r(kw['dilation'])}, ceil_mode={kw['ceil_mode']}, "
            f"return_indices={kw['return_indices']})"
        )
    if op == "avg_pool":
        s = (
            f"F.avg_pool{n}d(input[{shp(arrays['input'])}], {r(kwargs['kernel_size'])}, "
            f"stride={r(kw['stride'])}, padding={r(kw['padding'])}, "
            f"ceil_mode={kw['ceil_mode']}, count_include_pad={kw['count_include_pad']}"
        )
        if kw["divisor_override"] is not None:
            s += f", divisor_override={kw['divisor_override']}"
        return s + ")"
    if op == "pad":
        s = f"F.pad(input[{shp(arrays['input'])}], {tuple(kw['pad'])}, mode={kw['mode']!r}"
        if kw["mode"] == "constant":
            s += f", value={kw['value']!r}"
        return s + ")"
    raise ValueError(f"unknown op {op!r}")


# --------------------------------------------------------------------------
# random valid configurations (pure Python + NumPy)
# --------------------------------------------------------------------------


def _values(rng: np.random.Generator, shape) -> np.ndarray:
    """Multiples of 1/8 in [-4, 4]: exact in float32 and float64, compress well."""
    return rng.integers(-32, 33, size=tuple(shape)).astype(np.float64) / 8.0


def _distinct_values(rng: np.random.Generator, shape) -> np.ndarray:
    """Pairwise distinct values (no ties, so max_pool indices are unambiguous)."""
    size = int(np.prod(shape))
    return ((rng.permutation(size) - size // 2) / 8.0).reshape(shape).astype(np.float64)


def _pack(rng: np.random.Generator, vals, p_scalar: float = 0.5):
    """Per-axis list, or a bare int when all axes agree (sometimes still a list)."""
    vals = [int(v) for v in vals]
    if all(v == vals[0] for v in vals) and rng.random() < p_scalar:
        return vals[0]
    return vals


def _axis(rng: np.random.Generator, ndim: int, lo: int, hi: int, p_same: float = 0.5) -> list:
    if rng.random() < p_same:
        return [int(rng.integers(lo, hi + 1))] * ndim
    return [int(rng.integers(lo, hi + 1)) for _ in range(ndim)]


def _small_ones(rng, ndim, hi, p_one):
    """Mostly 1, sometimes 2..hi (per axis)."""
    if rng.random() < p_one:
        return [1] * ndim
    return _axis(rng, ndim, 1, hi)


def _drop_defaults(rng: np.random.Generator, op: str, kwargs: dict, p: float = 0.3) -> dict:
    """Randomly omit keys equal to the default, to exercise the defaults."""
    out = {}
    for k, v in kwargs.items():
        if k in DEFAULTS[op] and v == DEFAULTS[op][k] and rng.random() < p:
            continue
        out[k] = v
    return out


def _channels(rng: np.random.Generator):
    """(c_in, c_out, groups): plain, grouped, or depthwise."""
    r = rng.random()
    if r < 0.5:
        return int(rng.integers(1, 5)), int(rng.integers(1, 5)), 1
    if r < 0.75:  # grouped
        g = int(rng.integers(2, 4))
        cin = g * int(rng.integers(1, MAX_CH // g + 1))
        cout = g * int(rng.integers(1, MAX_CH // g + 1))
        return cin, cout, g
    # depthwise: groups = in_channels, out = multiplier * in
    cin = int(rng.integers(1, 5))
    mult = int(rng.integers(1, MAX_CH // cin + 1))
    return cin, cin * mult, cin


def _batch(rng):
    return int(rng.integers(1, 3))


def _sizes_for(rng, ndim, need, hi=None):
    hi = MAX_SIZE[ndim] if hi is None else hi
    return [int(rng.integers(min(max(1, nd), hi), hi + 1)) for nd in need]


def _random_conv(rng, ndim):
    S = MAX_SIZE[ndim]
    cin, cout, groups = _channels(rng)
    k = _axis(rng, ndim, 1, MAX_K[ndim])
    d = _small_ones(rng, ndim, 3 if ndim < 3 else 2, 0.6)
    r = rng.random()
    mode = "zeros" if rng.random() < 0.45 else str(rng.choice(["reflect", "replicate", "circular"]))
    if r < 0.15:
        s = [1] * ndim
        padding = "same"
        pads = [(dd * (kk - 1) // 2, dd * (kk - 1) - dd * (kk - 1) // 2) for kk, dd in zip(k, d, strict=True)]
    else:
        s = _small_ones(rng, ndim, 3, 0.4)
        if r < 0.3:
            padding = "valid"
            p = [0] * ndim
        else:
            p = [int(rng.integers(0, max(1, (dd * (kk - 1)) // 2 + 1) + 1)) for kk, dd in zip(k, d, strict=True)]
            padding = _pack(rng, p)
        pads = [(pp, pp) for pp in (p if not isinstance(padding, str) else [0] * ndim)]
    eff = [dd * (kk - 1) + 1 for kk, dd in zip(k, d, strict=True)]
    need = []
    for e, (pb, pa) in zip(eff, pads, strict=True):
        nd_ = max(1, e - pb - pa)
        if mode == "reflect":
            nd_ = max(nd_, pb + 1, pa + 1)
        elif mode == "circular":
            nd_ = max(nd_, pb, pa)
        need.append(nd_)
    if any(nd_ > S for nd_ in need):  # too big for the size limit: retry smaller
        return _random_conv(rng, ndim)
    sp = _sizes_for(rng, ndim, need)
    unbatched = rng.random() < 0.08
    shape = ([] if unbatched else [_batch(rng)]) + [cin] + sp
    arrays = {"input": _values(rng, shape), "weight": _values(rng, [cout, cin // groups] + k)}
    if rng.random() < 0.6:
        arrays["bias"] = _values(rng, [cout])
    kwargs = {
        "stride": _pack(rng, s),
        "padding": padding,
        "dilation": _pack(rng, d),
        "groups": groups,
        "padding_mode": mode,
        "flip": bool(rng.random() < 0.1),
    }
    return arrays, _drop_defaults(rng, "conv", kwargs)


def _random_conv_transpose(rng, ndim):
    S = MAX_SIZE[ndim]
    cin, cout, groups = _channels(rng)
    k = _axis(rng, ndim, 1, MAX_K[ndim])
    s = _small_ones(rng, ndim, 3, 0.3)
    d = _small_ones(rng, ndim, 3 if ndim < 3 else 2, 0.6)
    sp = [int(rng.integers(1, min(S, 8 if ndim < 3 else 4) + 1)) for _ in range(ndim)]
    p, op = [], []
    for a in range(ndim):
        lim = max(s[a], d[a])  # output_padding < max(stride, dilation)
        oa = int(rng.integers(0, lim)) if rng.random() < 0.7 else 0
        full = conv_transpose_len(sp[a], k[a], s[a], 0, d[a], oa)
        # padding: keep the output >= 1 and within reason
        pmax = min((full - 1) // 2, d[a] * (k[a] - 1) + 1)
        pa = int(rng.integers(0, pmax + 1)) if pmax > 0 else 0
        p.append(pa)
        op.append(oa)
    # keep outputs within the size limit
    out = [conv_transpose_len(i, kk, ss, pp, dd, oo) for i, kk, ss, pp, dd, oo in zip(sp, k, s, p, d, op, strict=True)]
    if any(o > 2 * S or o < 1 for o in out):
        return _random_conv_transpose(rng, ndim)
    arrays = {"input": _values(rng, [_batch(rng), cin] + sp), "weight": _values(rng, [cin, cout // groups] + k)}
    if rng.random() < 0.6:
        arrays["bias"] = _values(rng, [cout])
    kwargs = {"stride": _pack(rng, s), "padding": _pack(rng, p), "groups": groups, "dilation": _pack(rng, d)}
    base = [conv_transpose_len(i, kk, ss, pp, dd, 0) for i, kk, ss, pp, dd in zip(sp, k, s, p, d, strict=True)]
    if rng.random() < 0.2 and min(base) >= 1:
        # output_size in [min, min + stride - 1]; torch derives output_padding from it
        kwargs["output_size"] = [b + int(rng.integers(0, ss)) for b, ss in zip(base, s, strict=True)]
    else:
        kwargs["output_padding"] = _pack(rng, op)
    return arrays, _drop_defaults(rng, "conv_transpose", kwargs)


def _random_pool(rng, ndim, avg):
    S = MAX_SIZE[ndim]
    k = _axis(rng, ndim, 1, MAX_K[ndim] if ndim < 3 else 3)
    d = [1] * ndim if (avg or rng.random() < 0.6) else _axis(rng, ndim, 1, 3 if ndim < 3 else 2)
    stride_none = rng.random() < 0.25
    s = list(k) if stride_none else _axis(rng, ndim, 1, 3)
    p = [int(rng.integers(0, kk // 2 + 1)) for kk in k]  # torch: pad <= kernel_size / 2
    if rng.random() < 0.5 and all(p[0] <= kk // 2 for kk in k):
        p = [p[0]] * ndim
    ceil = bool(rng.random() < 0.5)
    eff = [dd * (kk - 1) + 1 for kk, dd in zip(k, d, strict=True)]
    need = [max(1, e - 2 * pp) for e, pp in zip(eff, p, strict=True)]
    if avg and ndim == 3:
        need = [max(n_, kk) for n_, kk in zip(need, k, strict=True)]  # avg_pool3d: unpadded input >= kernel
    if any(n_ > S for n_ in need):
        return _random_pool(rng, ndim, avg)
    sp = _sizes_for(rng, ndim, need)
    # target the ceil_mode "drop the last window" rule on some axes
    if ceil and rng.random() < 0.4:
        for a in range(ndim):
            if p[a] >= 1 and s[a] >= 2:
                cands = [
                    i
                    for i in range(max(1, need[a]), S + 1)
                    if pool_len(i, k[a], s[a], p[a], d[a], True) < -(-(i + 2 * p[a] - eff[a]) // s[a]) + 1
                ]
                if cands:
                    sp[a] = int(rng.choice(cands))
    if any(pool_len(i, kk, ss, pp, dd, ceil) < 1 for i, kk, ss, pp, dd in zip(sp, k, s, p, d, strict=True)):
        return _random_pool(rng, ndim, avg)
    if any(_empty_window(i, kk, ss, pp, dd, ceil) for i, kk, ss, pp, dd in zip(sp, k, s, p, d, strict=True)):
        # a dilated window whose taps all land in padding: torch gives -inf and an index
        # outside the input; not a meaningful case to mirror
        return _random_pool(rng, ndim, avg)
    shape = [_batch(rng), int(rng.integers(1, 5))] + sp
    kwargs = {
        "kernel_size": _pack(rng, k),
        "stride": None if stride_none else _pack(rng, s),
        "padding": _pack(rng, p),
        "ceil_mode": ceil,
    }
    if avg:
        arrays = {"input": _values(rng, shape)}
        kwargs["count_include_pad"] = bool(rng.random() < 0.5)
        if ndim >= 2 and rng.random() < 0.2:  # avg_pool1d has no divisor_override
            kwargs["divisor_override"] = int(rng.integers(1, 10))
        return arrays, _drop_defaults(rng, "avg_pool", kwargs)
    arrays = {"input": _distinct_values(rng, shape)}
    kwargs["dilation"] = _pack(rng, d)
    kwargs["return_indices"] = bool(rng.random() < 0.5)
    return arrays, _drop_defaults(rng, "max_pool", kwargs)


def _random_pad(rng, ndim):
    S = MAX_SIZE[ndim]
    mode = str(rng.choice(["constant", "reflect", "replicate", "circular"]))
    sp = [int(rng.integers(1, min(S, 10) + 1)) for _ in range(ndim)]
    pad = []
    # torch order: last spatial dim first, (before, after) each
    for a in reversed(range(ndim)):
        n = sp[a]
        if mode == "reflect":
            hi = n - 1  # reflect: pad < size
        elif mode == "circular":
            hi = n  # circular: pad <= size
        else:
            hi = 4
        hi = min(hi, 4)
        pb = int(rng.integers(0, hi + 1))
        pa = int(rng.integers(0, hi + 1))
        if mode == "constant" and rng.random() < 0.1 and n >= 3:
            pb = -int(rng.integers(1, 2))  # negative padding crops (constant mode)
        pad += [pb, pa]
    unbatched = mode != "constant" and rng.random() < 0.1
    shape = ([] if unbatched else [_batch(rng)]) + [int(rng.integers(1, 4))] + sp
    kwargs = {"pad": pad, "mode": mode}
    if mode == "constant" and rng.random() < 0.5:
        kwargs["value"] = float(rng.integers(-16, 17) / 4)
    return {"input": _values(rng, shape)}, _drop_defaults(rng, "pad", kwargs)


def random_case(rng: np.random.Generator, op: str, ndim: int):
    """A random *valid* (arrays, kwargs) for ``op`` with ``ndim`` spatial dims."""
    if op == "conv":
        return _random_conv(rng, ndim)
    if op == "conv_transpose":
        return _random_conv_transpose(rng, ndim)
    if op == "max_pool":
        return _random_pool(rng, ndim, avg=False)
    if op == "avg_pool":
        return _random_pool(rng, ndim, avg=True)
    if op == "pad":
        return _random_pad(rng, ndim)
    raise ValueError(f"unknown op {op!r}")
