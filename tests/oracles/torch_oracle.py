"""Ground-truth oracle: ask real PyTorch for the output shape of a layer.

Only ``run_case`` needs torch (imported lazily); ``random_cases`` and
``call_string`` are pure Python so tests can use them without torch.

A *case* follows the golden-data schema::

    {"id": "conv2d-00017", "framework": "torch", "op": "conv",
     "layer": {...}, "input": [N, C, *spatial], "output_size": null | [...],
     "call": "torch.nn.Conv2d(...)", "expect": {"shape": [...]} | {"error": "..."}}

``random_cases`` returns cases without ``expect``; ``run_case`` computes it.
"""

from __future__ import annotations

import random
import warnings

OPS = ("conv", "conv_transpose", "max_pool", "avg_pool", "adaptive_avg_pool", "adaptive_max_pool")

_CLASS = {
    "conv": "Conv{n}d",
    "conv_transpose": "ConvTranspose{n}d",
    "max_pool": "MaxPool{n}d",
    "avg_pool": "AvgPool{n}d",
    "adaptive_avg_pool": "AdaptiveAvgPool{n}d",
    "adaptive_max_pool": "AdaptiveMaxPool{n}d",
}

# keyword order used when calling the torch constructor (after positional channels)
_KW_ORDER = {
    "conv": ("kernel_size", "stride", "padding", "dilation", "groups"),
    "conv_transpose": ("kernel_size", "stride", "padding", "output_padding", "groups", "dilation"),
    "max_pool": ("kernel_size", "stride", "padding", "dilation", "ceil_mode"),
    "avg_pool": ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"),
    "adaptive_avg_pool": ("output_size",),
    "adaptive_max_pool": ("output_size",),
}

MAX_ERROR_LEN = 300


# --------------------------------------------------------------------------
# building the torch call
# --------------------------------------------------------------------------


def _ndim(case: dict) -> int:
    return len(case["input"]) - 2


def _to_torch(v):
    """JSON value -> python value passed to torch (lists become tuples)."""
    if isinstance(v, list):
        return tuple(v)
    return v


def _args(case: dict):
    """(class name, positional args, keyword args) for the torch constructor."""
    op = case["op"]
    layer = case["layer"]
    name = _CLASS[op].format(n=_ndim(case))
    pos = []
    if op in ("conv", "conv_transpose"):
        pos = [layer["in_channels"], layer["out_channels"]]
    kw = {}
    for k in _KW_ORDER[op]:
        if k in layer:
            kw[k] = _to_torch(layer[k])
    extra = set(layer) - set(_KW_ORDER[op]) - {"in_channels", "out_channels"}
    if extra:
        raise KeyError(f"unexpected layer keys for {op}: {sorted(extra)}")
    return name, pos, kw


def call_string(case: dict) -> str:
    """Human-readable rendering of exactly what run_case calls."""
    name, pos, kw = _args(case)
    parts = [repr(p) for p in pos] + [f"{k}={v!r}" for k, v in kw.items()]
    s = f"torch.nn.{name}({', '.join(parts)})"
    if case.get("output_size") is not None:
        s += f"(x, output_size={list(case['output_size'])!r})"
    return s


def _format_error(e: BaseException) -> str:
    msg = str(e).strip()
    first = next((ln.strip() for ln in msg.splitlines() if ln.strip()), "")
    return f"{type(e).__name__}: {first}"[:MAX_ERROR_LEN]


def run_case(case: dict) -> dict:
    """Build the real torch module and run it forward on zeros(case["input"])."""
    import torch

    try:
        name, pos, kw = _args(case)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module = getattr(torch.nn, name)(*pos, **kw)
            x = torch.zeros(case["input"], dtype=torch.float32)
            with torch.no_grad():
                if case.get("output_size") is not None:
                    y = module(x, output_size=list(case["output_size"]))
                else:
                    y = module(x)
    except Exception as e:  # noqa: BLE001 - any framework rejection is data
        return {"error": _format_error(e)}
    shape = list(y.shape)
    if any(d == 0 for d in shape) and not name.startswith("Adaptive"):  # see docs/shapes.md
        return {"error": f"EmptyOutput: torch returned an empty tensor of shape {shape}"[:MAX_ERROR_LEN]}
    return {"shape": shape}


# --------------------------------------------------------------------------
# random case generation (pure python)
# --------------------------------------------------------------------------

_MAX_SIZE = {1: 64, 2: 40, 3: 14}
_MAX_K = {1: 9, 2: 6, 3: 4}


def _pack(rng: random.Random, vals: list, p_scalar: float = 0.5):
    """Scalar if all equal (with prob p_scalar), else per-axis list."""
    if all(v == vals[0] for v in vals) and rng.random() < p_scalar:
        return vals[0]
    return list(vals)


def _axis_vals(rng: random.Random, ndim: int, lo: int, hi: int, p_same: float = 0.5) -> list:
    if rng.random() < p_same:
        return [rng.randint(lo, hi)] * ndim
    return [rng.randint(lo, hi) for _ in range(ndim)]


def _as_list(v, ndim):
    return list(v) if isinstance(v, list) else [v] * ndim


def pool_len(i: int, k: int, s: int, p: int, d: int, ceil: bool) -> int:
    """PyTorch pooling output length (including the ceil_mode drop-last-window rule)."""
    eff = d * (k - 1) + 1
    num = i + 2 * p - eff
    if ceil:
        o = -(-num // s) + 1
        if (o - 1) * s >= i + p:
            o -= 1
    else:
        o = num // s + 1
    return o


def _p_axis(p_case: float, ndim: int) -> float:
    """Per-axis probability giving probability p_case that at least one axis is hit."""
    return 1.0 - (1.0 - p_case) ** (1.0 / ndim)


def _spatial(rng: random.Random, ndim: int, need: list, p_small: float = 0.06, p_zero: float = 0.008) -> list:
    """Input spatial sizes; mostly >= need (per axis).

    With probability p_small (per case) one axis may be smaller than need
    (i.e. smaller than the effective kernel), with p_zero one axis is 0.
    """
    S = _MAX_SIZE[ndim]
    out = []
    for a in range(ndim):
        lo = max(1, min(need[a], S))
        if rng.random() < 0.35:
            out.append(rng.randint(lo, min(S, lo + 4)))  # near the limit
        else:
            out.append(rng.randint(lo, S))
    r = rng.random()
    if r < p_zero:
        out[rng.randrange(ndim)] = 0
    elif r < p_zero + p_small:
        a = rng.randrange(ndim)
        out[a] = rng.randint(1, max(1, need[a]))  # maybe smaller than needed
    return out


def _channels_groups(rng: random.Random):
    g = rng.choice([1, 1, 1, 1, 2, 2, 3, 4])
    cin = g * rng.randint(1, 3)
    cout = g * rng.randint(1, 3)
    r = rng.random()
    if r < 0.03:
        cin += 1  # groups does not divide in_channels (if g > 1)
    elif r < 0.06:
        cout += 1  # groups does not divide out_channels (if g > 1)
    return g, cin, cout


def _input_channels(rng: random.Random, cin: int) -> int:
    if rng.random() < 0.05:
        return cin + rng.choice([1, -1]) if cin > 1 else cin + 1
    return cin


def _gen_conv(rng: random.Random, ndim: int) -> tuple[dict, list, None]:
    g, cin, cout = _channels_groups(rng)
    k = _axis_vals(rng, ndim, 1, _MAX_K[ndim])
    d = [1] * ndim if rng.random() < 0.7 else _axis_vals(rng, ndim, 1, 3)
    s = [1] * ndim if rng.random() < 0.35 else _axis_vals(rng, ndim, 1, 3)
    eff = [dd * (kk - 1) + 1 for kk, dd in zip(k, d, strict=True)]
    r = rng.random()
    if r < 0.15:
        padding = "same"
        if rng.random() < 0.8:
            s = [1] * ndim  # 'same' with stride > 1 is rejected; keep some
    elif r < 0.25:
        padding = "valid"
    else:
        p = []
        same_p = rng.random() < 0.5
        base = rng.randint(0, max(0, eff[0] // 2 + 1))
        for a in range(ndim):
            p.append(base if same_p else rng.randint(0, max(0, eff[a] // 2 + 1)))
        if rng.random() < 0.01:
            p[rng.randrange(ndim)] = -1
        padding = _pack(rng, p)
    pl = [0] * ndim if isinstance(padding, str) else _as_list(padding, ndim)
    need = [max(1, e - 2 * max(pp, 0)) for e, pp in zip(eff, pl, strict=True)]
    if padding == "same":
        need = [1] * ndim
    layer = {
        "in_channels": cin,
        "out_channels": cout,
        "kernel_size": _pack(rng, k),
        "stride": _pack(rng, s),
        "padding": padding,
        "dilation": _pack(rng, d),
        "groups": g,
    }
    x = [rng.randint(1, 2), _input_channels(rng, cin)] + _spatial(rng, ndim, need, p_small=0.15)
    return layer, x, None


def _gen_conv_transpose(rng: random.Random, ndim: int) -> tuple[dict, list, list | None]:
    g, cin, cout = _channels_groups(rng)
    k = _axis_vals(rng, ndim, 1, _MAX_K[ndim])
    d = [1] * ndim if rng.random() < 0.7 else _axis_vals(rng, ndim, 1, 3)
    s = [1] * ndim if rng.random() < 0.3 else _axis_vals(rng, ndim, 1, 3)
    S = _MAX_SIZE[ndim]
    i = [rng.randint(1, max(1, S // max(1, s[a]))) for a in range(ndim)]
    if rng.random() < 0.005:
        i[rng.randrange(ndim)] = 0
    # padding: mostly within (k-1)*d/2-ish, sometimes larger (output can go <= 0)
    if rng.random() < 0.02:
        padding = rng.choice(["same", "valid"])
        pl = [0] * ndim
    else:
        pl = []
        for a in range(ndim):
            hi = (d[a] * (k[a] - 1)) // 2 + (1 if rng.random() < 0.4 else 0)
            pl.append(rng.randint(0, max(0, hi)))
        if rng.random() < 0.5:
            pl = [pl[0]] * ndim
        padding = _pack(rng, pl)
    # output_padding: mostly valid (< max(stride, dilation)), sometimes not
    op = []
    q_bad = _p_axis(0.07, ndim)
    for a in range(ndim):
        lim = max(s[a], d[a])
        r = rng.random()
        if r < q_bad:
            op.append(lim + rng.randint(0, 1))
        elif r < 0.45:
            op.append(rng.randint(0, lim - 1))
        else:
            op.append(0)
    if rng.random() < 0.6:
        op = [op[0]] * ndim
    minsize = [(i[a] - 1) * s[a] - 2 * pl[a] + d[a] * (k[a] - 1) + 1 for a in range(ndim)]
    output_size = None
    if rng.random() < 0.3:
        output_size = []
        q_out = _p_axis(0.3, ndim)
        for a in range(ndim):
            r = rng.random()
            if r < q_out / 2:
                output_size.append(minsize[a] + s[a] + rng.randint(0, 1))  # above range
            elif r < q_out:
                output_size.append(minsize[a] - rng.randint(1, 2))  # below range
            else:
                output_size.append(minsize[a] + rng.randint(0, s[a] - 1))
    layer = {
        "in_channels": cin,
        "out_channels": cout,
        "kernel_size": _pack(rng, k),
        "stride": _pack(rng, s),
        "padding": padding,
        "output_padding": _pack(rng, op),
        "groups": g,
        "dilation": _pack(rng, d),
    }
    x = [rng.randint(1, 2), _input_channels(rng, cin)] + i
    return layer, x, output_size


def _gen_pool(rng: random.Random, ndim: int, avg: bool) -> tuple[dict, list, None]:
    S = _MAX_SIZE[ndim]
    k = _axis_vals(rng, ndim, 1, _MAX_K[ndim])
    d = [1] * ndim if (avg or rng.random() < 0.75) else _axis_vals(rng, ndim, 1, 3)
    stride_none = rng.random() < 0.25
    s = list(k) if stride_none else _axis_vals(rng, ndim, 1, 3)
    p = []
    q_pad = _p_axis(0.10, ndim)
    for a in range(ndim):
        r = rng.random()
        if r < q_pad:
            p.append(k[a] // 2 + 1)  # over the half-kernel limit
        else:
            p.append(rng.randint(0, k[a] // 2))
    if rng.random() < 0.5:
        p = [p[0]] * ndim if all(p[0] <= kk // 2 for kk in k) or rng.random() < 0.3 else p
    ceil = rng.random() < 0.5
    eff = [dd * (kk - 1) + 1 for kk, dd in zip(k, d, strict=True)]
    need = [max(1, e - 2 * pp) for e, pp in zip(eff, p, strict=True)]
    if avg and ndim == 3 and rng.random() < 0.85:
        # avg_pool3d additionally requires the *unpadded* input to be >= kernel
        need = [max(n_, kk) for n_, kk in zip(need, k, strict=True)]
    x_sp = _spatial(rng, ndim, need, p_small=0.20)
    # target the ceil_mode "drop last window" rule on some axes
    if ceil and rng.random() < 0.4:
        for a in range(ndim):
            if p[a] >= 1 and s[a] >= 2 and p[a] <= k[a] // 2:
                cands = [
                    i
                    for i in range(1, S + 1)
                    if pool_len(i, k[a], s[a], p[a], d[a], True) < -(-(i + 2 * p[a] - eff[a]) // s[a]) + 1
                ]
                if cands:
                    x_sp[a] = rng.choice(cands)
    layer = {"kernel_size": _pack(rng, k), "stride": None if stride_none else _pack(rng, s), "padding": _pack(rng, p)}
    if avg:
        layer["ceil_mode"] = ceil
        layer["count_include_pad"] = rng.random() < 0.5
    else:
        layer["dilation"] = _pack(rng, d)
        layer["ceil_mode"] = ceil
    x = [rng.randint(1, 2), rng.randint(1, 4)] + x_sp
    return layer, x, None


def _gen_adaptive(rng: random.Random, ndim: int) -> tuple[dict, list, None]:
    S = _MAX_SIZE[ndim]
    x_sp = [rng.randint(1, S) for _ in range(ndim)]
    if rng.random() < 0.03:
        x_sp[rng.randrange(ndim)] = 0
    o = []
    for a in range(ndim):
        r = rng.random()
        if r < 0.12 and ndim > 1:
            o.append(None)  # keep input size (not supported by the 1d modules)
        elif r < 0.18:
            o.append(rng.choice([0, 0, -1]))
        elif r < 0.3:
            o.append(rng.randint(x_sp[a] + 1, x_sp[a] + 5))  # larger than input
        else:
            o.append(rng.randint(1, max(1, x_sp[a])))
    if rng.random() < 0.4 and o[0] is not None:
        o = [o[0]] * ndim
    out = o[0] if (len(set(map(str, o))) == 1 and o[0] is not None and rng.random() < 0.5) else list(o)
    layer = {"output_size": out}
    x = [rng.randint(1, 2), rng.randint(1, 4)] + x_sp
    return layer, x, None


def random_cases(seed: int, n: int, op: str, ndim: int) -> list[dict]:
    """n random cases (without "expect") for op/ndim, deterministic in seed."""
    if op not in OPS:
        raise ValueError(f"unknown op {op!r}")
    if ndim not in (1, 2, 3):
        raise ValueError(f"ndim must be 1, 2 or 3, got {ndim}")
    rng = random.Random(seed)
    cases = []
    for idx in range(n):
        if op == "conv":
            layer, x, osz = _gen_conv(rng, ndim)
        elif op == "conv_transpose":
            layer, x, osz = _gen_conv_transpose(rng, ndim)
        elif op in ("max_pool", "avg_pool"):
            layer, x, osz = _gen_pool(rng, ndim, avg=(op == "avg_pool"))
        else:
            layer, x, osz = _gen_adaptive(rng, ndim)
        case = {
            "id": f"{op}{ndim}d-{idx:05d}",
            "framework": "torch",
            "op": op,
            "layer": layer,
            "input": x,
            "output_size": osz,
        }
        case["call"] = call_string(case)
        cases.append(case)
    return cases
