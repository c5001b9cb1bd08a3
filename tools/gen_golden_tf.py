#!/usr/bin/env python
"""Generate golden output-shape data from REAL TensorFlow (tf.nn) and Keras 3.

Not run by CI.  Run manually with a Python that has tensorflow(-cpu) installed:

    TF_CPP_MIN_LOG_LEVEL=3 /tmp/venv-tf/bin/python tools/gen_golden_tf.py

Writes
    tests/data/golden_tf.jsonl     framework "tf"    (tf.nn.conv*/conv*_transpose/max_pool*/avg_pool*)
    tests/data/golden_keras.jsonl  framework "keras" (keras.layers.Conv*/Conv*Transpose/MaxPooling*/AveragePooling*)

Each file starts with a header object; every following line is one case:

    {"id", "framework", "op", "layer", "input", "output_size", "call",
     "static", "eager", "expect", ["note"]}

"static" is graph-mode static shape inference (tf.function tracing / keras.Input),
"eager" is eager execution on zeros, "expect" is the policy result (see `policy`).

oneDNN is disabled (TF_ENABLE_ONEDNN_OPTS=0) so that eager results come from TF's
reference CPU kernels: with oneDNN on, an invalid conv returns a bogus shape
instead of an empty tensor and shape errors become opaque "could not create a
primitive descriptor" AbortedErrors.

Everything is deterministic (fixed per-(framework, op, ndim) seeds).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import argparse  # noqa: E402
import collections  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402
import zlib  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")
warnings.filterwarnings("ignore")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT_TF = os.path.join(ROOT, "tests", "data", "golden_tf.jsonl")
OUT_KERAS = os.path.join(ROOT, "tests", "data", "golden_keras.jsonl")

OPS = ("conv", "conv_transpose", "max_pool", "avg_pool")
MAX_I = {1: 64, 2: 40, 3: 12}

# Eager errors that are CPU-kernel limitations, not shape rules.
KERNEL_LIMITATION = re.compile(
    r"(?:do|does) not yet support dilation|currently only supports dilated rates"
    r"|Number of channels in filter \(\d+\) must match last dimension of input"
)

# --------------------------------------------------------------------------- helpers

_ERR_LINE = re.compile(r"^\s*([A-Za-z_][\w.]*(?:Error|Exception|Warning)): (.*)$")


def fmt_err(e):
    """'<ExceptionType>: <first meaningful line of the message, max 300 chars>'."""
    t = type(e).__name__
    msg = str(e)
    m = re.search(r"\x1b\[1m(.*?)\x1b\[0m", msg, re.S)
    if msg.startswith("Exception encountered when calling") and m:
        msg = m.group(1)  # Keras wraps the real error in bold escape codes
    lines = [ln for ln in msg.splitlines() if ln.strip()]
    line = lines[0].strip() if lines else ""
    if line.startswith("in user code:"):
        # tf.function wraps the real error after a traceback; take the innermost one.
        for ln in lines[1:]:
            m = _ERR_LINE.match(ln)
            if m:
                inner_t, inner = m.groups()
                line = inner if inner_t.split(".")[-1] == t else f"{inner_t}: {inner}"
                break
    line = re.sub(r"^\{\{function_node [^}]*\}\}\s*", "", line)
    line = re.sub(r" for '\{\{node [^}]*\}\} = .*?' with input shapes:", " with input shapes:", line)
    line = re.sub(r"\s*name:\s*$", "", line).strip()
    return f"{t}: {line[:300]}"


def per_axis(v, nd):
    return list(v) if isinstance(v, (list, tuple)) else [v] * nd


def compact(vals, rng, p_int=0.5):
    """Per-axis list -> int when all equal (with probability p_int), else list."""
    if all(v == vals[0] for v in vals) and rng.random() < p_int:
        return vals[0]
    return list(vals)


def shape_of(t):
    return [None if d is None else int(d) for d in tuple(t.shape)]


def has_zero(shape):
    return any(d == 0 for d in shape)


def run_static_tf(fn, inp):
    try:
        cf = tf.function(fn).get_concrete_function(tf.TensorSpec(inp, tf.float32))
        return {"shape": shape_of(cf.structured_outputs)}
    except Exception as e:  # noqa: BLE001
        return {"error": fmt_err(e)}


def run_eager_tf(fn, inp):
    try:
        return {"shape": shape_of(fn(tf.zeros(inp, tf.float32)))}
    except Exception as e:  # noqa: BLE001
        return {"error": fmt_err(e)}


# --------------------------------------------------------------------------- tf.nn builders


def tf_padding_arg(pad):
    if isinstance(pad, str):
        return pad
    return [[0, 0]] + [list(p) for p in pad] + [[0, 0]]


def build_tf(op, nd, layer, inp, output_size):
    """Return (call_string, fn(x)) for a tf.nn op."""
    padarg = tf_padding_arg(layer["padding"])
    if op in ("max_pool", "avg_pool"):
        k = [1] + per_axis(layer["kernel_size"], nd) + [1]
        s = [1] + per_axis(layer["stride"], nd) + [1]
        f = getattr(tf.nn, "%s%dd" % (op, nd))
        call = "tf.nn.%s%dd(x, ksize=%s, strides=%s, padding=%r)" % (op, nd, k, s, padarg)
        return call, lambda x: f(x, ksize=k, strides=s, padding=padarg)

    kern = per_axis(layer["kernel_size"], nd)
    s = [1] + per_axis(layer["stride"], nd) + [1]
    d = [1] + per_axis(layer["dilation"], nd) + [1]
    cin, cout = layer["in_channels"], layer["out_channels"]
    if op == "conv":
        g = layer.get("groups", 1)
        filt = kern + [cin // g, cout]
        name = "conv%dd" % nd
        skw = "stride" if nd == 1 else "strides"
        call = f"tf.nn.{name}(x, filters{filt}, {skw}={s}, padding={padarg!r}, dilations={d})"
        f = getattr(tf.nn, name)

        def fn(x):
            w = tf.zeros(filt, tf.float32)
            return f(x, w, **{skw: s}, padding=padarg, dilations=d)

        return call, fn

    # conv_transpose
    filt = kern + [cout, cin]
    oshape = [inp[0]] + list(output_size) + [cout]
    name = "conv%dd_transpose" % nd
    call = f"tf.nn.{name}(x, filters{filt}, output_shape={oshape}, strides={s}, padding={padarg!r}, dilations={d})"
    f = getattr(tf.nn, name)

    def fn(x):
        w = tf.zeros(filt, tf.float32)
        return f(x, w, output_shape=oshape, strides=s, padding=padarg, dilations=d)

    return call, fn


def tf_transpose_rule_check(nd, layer, inp, output_size):
    """TF's rule for conv*_transpose: a forward conv (same filter/strides/padding/
    dilations) of output_shape must give back the input's spatial size.  Used only
    when the eager kernel refused to run (dilation > 1 on CPU).  Returns
    (ok, forward_spatial_or_error)."""
    fwd_layer = dict(layer, in_channels=layer["out_channels"], out_channels=layer["in_channels"], groups=1)
    fwd_in = [inp[0]] + list(output_size) + [layer["out_channels"]]
    _, fn = build_tf("conv", nd, fwd_layer, fwd_in, None)
    st = run_static_tf(fn, fwd_in)
    if "error" in st:
        return False, st["error"]
    return st["shape"][1:-1] == list(inp[1:-1]), st["shape"][1:-1]


# --------------------------------------------------------------------------- keras builders


def _kv(v):
    return tuple(v) if isinstance(v, list) else v


def build_keras(op, nd, layer):
    """Return (call_string, factory() -> fresh layer)."""
    if op in ("max_pool", "avg_pool"):
        cls = "%sPooling%dD" % ("Max" if op == "max_pool" else "Average", nd)
        kw = dict(pool_size=_kv(layer["kernel_size"]), strides=_kv(layer["stride"]), padding=layer["padding"])
    elif op == "conv":
        cls = "Conv%dD" % nd
        kw = dict(
            filters=layer["out_channels"],
            kernel_size=_kv(layer["kernel_size"]),
            strides=_kv(layer["stride"]),
            padding=layer["padding"],
            dilation_rate=_kv(layer["dilation"]),
            groups=layer["groups"],
        )
    else:
        cls = "Conv%dDTranspose" % nd
        kw = dict(
            filters=layer["out_channels"],
            kernel_size=_kv(layer["kernel_size"]),
            strides=_kv(layer["stride"]),
            padding=layer["padding"],
            output_padding=_kv(layer["output_padding"]),
            dilation_rate=_kv(layer["dilation"]),
        )
    call = "keras.layers.{}({})".format(cls, ", ".join("{}={!r}".format(*kv) for kv in kw.items()))
    klass = getattr(keras.layers, cls)
    return call, lambda: klass(**kw)


def run_static_keras(factory, inp):
    try:
        x = keras.Input(shape=tuple(inp[1:]), batch_size=inp[0])
        return {"shape": shape_of(factory()(x))}
    except Exception as e:  # noqa: BLE001
        return {"error": fmt_err(e)}


def run_eager_keras(factory, inp):
    try:
        return {"shape": shape_of(factory()(np.zeros(inp, "float32")))}
    except Exception as e:  # noqa: BLE001
        return {"error": fmt_err(e)}


# --------------------------------------------------------------------------- policy

BRANCHES = collections.Counter()
BRANCH_EXAMPLES = collections.defaultdict(list)
ONEDNN_RERUN = collections.Counter()


def policy(static, eager, fw, op, nd, layer, inp, output_size, dnn_note=None):
    """Return (expect, note, branch).

    static error                      -> error (static's message)
    static shape with a 0 dim         -> error "EmptyOutput: ..."
    eager shape == static shape       -> that shape
    eager shape with a 0 dim          -> error "EmptyOutput: ..."
    eager shape != static shape       -> eager's shape + note
    static shape, eager error:
      CPU-kernel limitation (dilation > 1 unsupported, grouped Conv3D) -> static shape + note
        (conv_transpose: the output size is first verified with a forward conv,
         because TF's static shape for these ops is output_shape, never checked;
         Keras hands its own computed shape to tf.nn.conv_transpose)
      any other eager error (a rule that only the kernel checks, e.g. transpose
        output_shape mismatch, pool padding >= window, zero-size filter)  -> eager's error + note
    `dnn_note` is set when eager comes from the oneDNN re-run (see eager_onednn).
    """
    if "error" in static:
        return {"error": static["error"]}, None, "static_error"
    s = static["shape"]
    if has_zero(s):
        return {"error": f"EmptyOutput: static shape {s} has a zero dimension"}, None, "static_empty"
    if "shape" in eager and eager["shape"] == s:
        return {"shape": s}, None, "agree"
    extra = (f" [{dnn_note}]") if dnn_note else ""
    if "shape" in eager and has_zero(eager["shape"]):
        note = "static shape {} but eager produced empty tensor {}{}".format(s, eager["shape"], extra)
        return (
            {"error": "EmptyOutput: eager output {} has a zero dimension".format(eager["shape"])},
            note,
            "eager_empty",
        )
    if "shape" in eager:
        note = "static shape {} differs from eager shape {}; eager kept".format(s, eager["shape"])
        if fw == "tf" and op == "conv" and nd == 3:
            note += " (TF graph-mode Conv3D shape function swaps the H and W dilations)"
        return {"shape": eager["shape"]}, note + extra, "shape_mismatch"
    err = eager["error"]
    if KERNEL_LIMITATION.search(err):
        if op == "conv_transpose":
            # Keras passes its own computed output shape (= static) and padding.upper()
            # to tf.nn.conv_transpose, so the same TF rule applies.
            if fw == "keras":
                output_size = s[1:-1]
                layer = dict(layer, padding=layer["padding"].upper())
            ok, fwd = tf_transpose_rule_check(nd, layer, inp, output_size)
            if not ok:
                msg = (
                    f"InvalidArgumentError: output_size {output_size} inconsistent with input {inp[1:-1]}: "
                    f"forward conv gives {fwd} "
                    "(checked via forward op; eager CPU kernel refused dilation)"
                )
                note = (
                    f"static shape {s} (the output_shape given to the TF op) is not checked at trace time; "
                    f"eager error (CPU-kernel limitation): {err}{extra}"
                )
                return {"error": msg}, note, "transpose_limitation_rule_error"
            note = (
                "eager error (CPU-kernel limitation; static shape kept, output_size verified via forward "
                f"conv): {err}{extra}"
            )
            return {"shape": s}, note, "eager_limitation"
        note = f"eager error (CPU-kernel limitation; static shape kept): {err}{extra}"
        return {"shape": s}, note, "eager_limitation"
    if fw == "tf" and op == "conv_transpose":
        note = f"static shape {s} is output_shape unchecked; eager kernel rejects it"
    else:
        note = f"static shape {s} not checked at trace time; eager kernel rejects it"
    return {"error": err}, note + extra, "eager_rule_error"


def eager_onednn(items):
    """Re-run eager cases in a subprocess with oneDNN enabled (its kernels support
    dilation > 1 for Conv3D and transposed convs, unlike TF's reference CPU kernels).
    items: list of (fw, op, nd, layer, inp, output_size).  Returns list of results."""
    if not items:
        return []
    import subprocess

    env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS="1", TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--eager-worker"],
        input=json.dumps(items),
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULTS ")][-1]
    return json.loads(line[len("RESULTS ") :])


def eager_worker():
    items = json.loads(sys.stdin.read())
    out = []
    for fw, op, nd, layer, inp, osz in items:
        if fw == "tf":
            out.append(run_eager_tf(build_tf(op, nd, layer, inp, osz)[1], inp))
        else:
            out.append(run_eager_keras(build_keras(op, nd, layer)[1], inp))
    print("RESULTS " + json.dumps(out))


# --------------------------------------------------------------------------- random case generators


def rand_case_letters(rng, word):
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in word)


def rand_size(rng, nd, min_needed, p_fit=0.75):
    """p_fit: probability that the whole case (all nd axes) fits the window."""
    hi = MAX_I[nd]
    if rng.random() < p_fit ** (1.0 / nd):
        return rng.randint(min(max(min_needed, 1), hi), hi)
    # too small for a VALID window (or exactly fitting), sometimes
    return rng.randint(1, min(hi, max(min_needed, 1)))


def rand_kernel(rng, nd):
    return rng.choice([1, 2, 3, 3, 3, 4, 5] if nd == 3 else [1, 2, 3, 3, 3, 4, 5, 7])


def rand_stride(rng):
    return rng.choice([1, 1, 1, 2, 2, 3])


def rand_dilation(rng, nd, p=0.22):
    if rng.random() < p:
        return [rng.choice([1, 2, 2, 3]) for _ in range(nd)]
    return [1] * nd


def gen_tf_case(rng, op, nd):
    layer = {}
    k = [
        rand_kernel(rng, nd) if op in ("conv", "conv_transpose") else rng.choice([1, 2, 2, 3, 3, 4]) for _ in range(nd)
    ]
    s = [rand_stride(rng) for _ in range(nd)] if rng.random() < 0.3 else [rand_stride(rng)] * nd
    d = rand_dilation(rng, nd) if op in ("conv", "conv_transpose") else [1] * nd
    r = rng.random()
    # explicit padding: accepted by conv2d, conv2d_transpose, max_pool1d/2d only
    p_explicit = {"conv": 0.07, "conv_transpose": 0.05, "max_pool": 0.1, "avg_pool": 0.05}[op]
    if nd == 2 and op in ("conv", "conv_transpose"):
        p_explicit = 0.2
    if nd == 3 and op == "max_pool":
        p_explicit = 0.05
    if r < p_explicit:
        pad = [[rng.randint(0, 3), rng.randint(0, 3)] for _ in range(nd)]
        if rng.random() < 0.03:
            pad[0][0] = -1
        if op in ("max_pool", "avg_pool"):  # TF's pool kernels require pad < ksize (eager-only check)
            lim = (lambda kk: max(kk - 1, 0)) if rng.random() < 0.8 else (lambda kk: kk)
            pad = [[min(a, lim(kk)), min(b, lim(kk))] for (a, b), kk in zip(pad, k, strict=True)]
    else:
        word = "SAME" if rng.random() < 0.5 else "VALID"
        pad = word if rng.random() < 0.94 else rand_case_letters(rng, word)
    keff = [(kk - 1) * dd + 1 for kk, dd in zip(k, d, strict=True)]
    need = keff
    if isinstance(pad, list):
        need = [max(1, ke - a - b) for ke, (a, b) in zip(keff, pad, strict=True)]
    elif pad.upper() == "SAME":
        need = [1] * nd
    if op == "conv_transpose":
        i = [rng.randint(1, min(MAX_I[nd], 16 if nd < 3 else 6)) for _ in range(nd)]
    else:
        i = [rand_size(rng, nd, n, 0.72) for n in need]
    N = rng.randint(1, 2)
    layer["kernel_size"] = compact(k, rng)
    layer["stride"] = compact(s, rng)
    layer["padding"] = pad
    output_size = None
    if op in ("conv", "conv_transpose"):
        layer["dilation"] = compact(d, rng, 0.7)
        if op == "conv":
            g = 1
            if rng.random() < 0.1:
                g = rng.choice([2, 3])
            cin = g * rng.randint(1, 2) if g > 1 else rng.randint(1, 4)
            cout = g * rng.randint(1, 2) if g > 1 else rng.randint(1, 4)
            if g > 1 and rng.random() < 0.2:
                cout = g * rng.randint(1, 2) + 1
            layer["groups"] = g
        else:
            cin, cout = rng.randint(1, 4), rng.randint(1, 4)
        layer["in_channels"] = cin
        layer["out_channels"] = cout
        C = cin
        if op == "conv_transpose":
            output_size = tf_transpose_output_size(rng, i, k, s, d, pad)
    else:
        C = rng.randint(1, 4)
    return layer, [N] + i + [C], output_size


def transpose_valid_range(i, k, s, d, pad_axis):
    keff = (k - 1) * d + 1
    if isinstance(pad_axis, str):
        if pad_axis.upper() == "SAME":
            return (i - 1) * s + 1, i * s
        lo = (i - 1) * s + keff
        return lo, lo + s - 1
    a, b = pad_axis
    lo = (i - 1) * s + keff - a - b
    return lo, lo + s - 1


def tf_transpose_output_size(rng, i, k, s, d, pad):
    out = []
    pads = pad if isinstance(pad, list) else [pad] * len(i)
    for ii, kk, ss, dd, pp in zip(i, k, s, d, pads, strict=True):
        lo, hi = transpose_valid_range(ii, kk, ss, dd, pp)
        out.append(rng.randint(max(lo, 1), max(hi, 1)))
    if rng.random() < 0.13:  # make one axis inconsistent
        ax = rng.randrange(len(i))
        lo, hi = transpose_valid_range(i[ax], k[ax], s[ax], d[ax], pads[ax])
        out[ax] = max(0, lo - rng.randint(1, 3)) if rng.random() < 0.5 else hi + rng.randint(1, 3)
    return out


def gen_keras_case(rng, op, nd):
    layer = {}
    pooling = op in ("max_pool", "avg_pool")
    k = [rand_kernel(rng, nd) if not pooling else rng.choice([1, 2, 2, 3, 3, 4]) for _ in range(nd)]
    s = [rand_stride(rng) for _ in range(nd)] if rng.random() < 0.3 else [rand_stride(rng)] * nd
    d = [1] * nd
    if not pooling:
        d = rand_dilation(rng, nd, 0.2)
        # Keras rejects stride > 1 together with dilation > 1: keep that to a few percent
        if max(d) > 1 and max(s) > 1 and rng.random() < 0.75:
            s = [1] * nd
    r = rng.random()
    if op == "conv":
        if nd == 1:
            pad = "valid" if r < 0.4 else ("same" if r < 0.8 else "causal")
        else:
            pad = "valid" if r < 0.48 else ("same" if r < 0.96 else "causal")
    else:
        pad = "valid" if r < 0.5 else "same"
    keff = [(kk - 1) * dd + 1 for kk, dd in zip(k, d, strict=True)]
    need = keff if pad == "valid" else [1] * nd
    if op == "conv_transpose":
        i = [rng.randint(1, min(MAX_I[nd], 16 if nd < 3 else 6)) for _ in range(nd)]
    else:
        i = [rand_size(rng, nd, n, 0.55 if pooling else 0.7) for n in need]
    N = rng.randint(1, 2)
    layer["kernel_size"] = compact(k, rng)
    if pooling and rng.random() < 0.25:
        layer["stride"] = None
    else:
        layer["stride"] = compact(s, rng)
    layer["padding"] = pad
    if pooling:
        C = rng.randint(1, 4)
    else:
        if op == "conv_transpose":
            if rng.random() < 0.5:
                layer["output_padding"] = None
            else:
                op_ = [rng.randint(0, max(ss - 1, 0)) for ss in s]
                if rng.random() < 0.12:
                    ax = rng.randrange(nd)
                    op_[ax] = s[ax] + rng.randint(0, 1)
                layer["output_padding"] = compact(op_, rng)
        layer["dilation"] = compact(d, rng, 0.7)
        if op == "conv":
            g = 1
            if rng.random() < 0.1:
                g = rng.choice([2, 3])
            cin = g * rng.randint(1, 2) if g > 1 else rng.randint(1, 4)
            cout = g * rng.randint(1, 2) if g > 1 else rng.randint(1, 4)
            if g > 1 and rng.random() < 0.25:
                if rng.random() < 0.5:
                    cout += 1
                else:
                    cin += 1
            layer["groups"] = g
        else:
            cin, cout = rng.randint(1, 4), rng.randint(1, 4)
        layer["in_channels"] = cin
        layer["out_channels"] = cout
        C = cin
    return layer, [N] + i + [C], None


# --------------------------------------------------------------------------- hand-written edge cases

# (label, i, k, s, padding-word, d) applied per axis (replicated for every spatial axis)
EDGE_FWD = [
    ("DV i4 k3 s1 valid", 4, 3, 1, "VALID", 1),
    ("DV i5 k3 s1 same", 5, 3, 1, "SAME", 1),
    ("DV i5 k3 s2 valid", 5, 3, 2, "VALID", 1),
    ("DV i5 k3 s2 same", 5, 3, 2, "SAME", 1),
    ("DV i6 k3 s2 same", 6, 3, 2, "SAME", 1),
    ("DV i7 k3 d2 valid", 7, 3, 1, "VALID", 2),
    ("224 k3 s2 same", 224, 3, 2, "SAME", 1),
    ("224 k7 s2 same", 224, 7, 2, "SAME", 1),
    ("225 k3 s2 same", 225, 3, 2, "SAME", 1),
    ("even k2 s1 same", 10, 2, 1, "SAME", 1),
    ("even k4 s1 same", 10, 4, 1, "SAME", 1),
    ("even k2 s2 same", 10, 2, 2, "SAME", 1),
    ("even k4 s2 same", 11, 4, 2, "SAME", 1),
    ("zero out valid", 2, 3, 1, "VALID", 1),
    ("exact one valid", 3, 3, 1, "VALID", 1),
    ("stride > input", 3, 1, 5, "VALID", 1),
    ("kernel > input same", 3, 5, 2, "SAME", 1),
    ("stride+dilation valid", 10, 3, 2, "VALID", 2),
    ("stride+dilation same", 10, 3, 2, "SAME", 2),
    ("dilated zero out", 4, 3, 1, "VALID", 2),
    ("stride 0", 5, 3, 0, "VALID", 1),
    ("kernel 0", 5, 0, 1, "VALID", 1),
    ("lowercase same", 5, 3, 1, "same", 1),
    ("mixed case valid", 5, 3, 1, "Valid", 1),
]


def edge_fits(nd, i):
    return nd < 3 or i <= 12 or (nd == 2 and i <= 225)


def tf_edges(op, nd):
    out = []
    for _label, i, k, s, pad, d in EDGE_FWD:
        if not edge_fits(nd, i):
            continue
        if op not in ("conv",) and d != 1:
            continue
        if op == "conv_transpose":
            continue
        layer = {"kernel_size": k, "stride": s, "padding": pad}
        if op == "conv":
            layer.update(dilation=d, groups=1, in_channels=2, out_channels=3)
        out.append((layer, [1] + [i] * nd + [2], None))
    # explicit paddings (accepted only by some ops: recorded either way)
    for pads, i, k, s in (([1, 1], 5, 3, 2), ([0, 1], 224 if nd < 3 else 12, 3, 2), ([2, 0], 6, 3, 1)):
        if op == "conv_transpose":
            break
        layer = {"kernel_size": k, "stride": s, "padding": [list(pads)] * nd}
        if op == "conv":
            layer.update(dilation=1, groups=1, in_channels=2, out_channels=3)
        out.append((layer, [1] + [i] * nd + [2], None))
    if op == "conv":
        if nd == 3:  # anisotropic dilation: graph-mode Conv3D H/W dilation swap
            for s in (1, 2):
                out.append(
                    (
                        {
                            "kernel_size": 3,
                            "stride": s,
                            "padding": "VALID",
                            "dilation": [1, 2, 3],
                            "groups": 1,
                            "in_channels": 2,
                            "out_channels": 3,
                        },
                        [1, 12, 12, 12, 2],
                        None,
                    )
                )
        # stride and dilation > 1 on different axes
        out.append(
            (
                {
                    "kernel_size": 3,
                    "stride": [2] + [1] * (nd - 1),
                    "padding": "VALID",
                    "dilation": [1] * (nd - 1) + [2],
                    "groups": 1,
                    "in_channels": 2,
                    "out_channels": 3,
                },
                [1] + [9] * nd + [2],
                None,
            )
        )
        # grouped conv valid / output not divisible by groups
        for cout in (4, 3):
            out.append(
                (
                    {
                        "kernel_size": 3,
                        "stride": 1,
                        "padding": "SAME",
                        "dilation": 1,
                        "groups": 2,
                        "in_channels": 4,
                        "out_channels": cout,
                    },
                    [1] + [6] * nd + [4],
                    None,
                )
            )
    if op == "conv_transpose":
        # (i, k, s, pad, d, output_size)
        for i, k, s, pad, d, o in (
            (13, 4, 2, "SAME", 1, 26),
            (13, 4, 2, "SAME", 1, 25),
            (13, 4, 2, "SAME", 1, 27),
            (13, 4, 2, "VALID", 1, 28),
            (13, 4, 2, "VALID", 1, 29),
            (13, 4, 2, "VALID", 1, 26),
            (2, 3, 1, "VALID", 1, 4),
            (5, 3, 1, "SAME", 1, 5),
            (2, 3, 2, "VALID", 1, 5),
            (3, 3, 2, "SAME", 1, 5),
            (3, 3, 2, "SAME", 1, 6),
            (3, 3, 1, "VALID", 2, 7),
            (3, 3, 1, "VALID", 2, 8),
            (4, 3, 2, "VALID", 2, 11),
        ):
            if nd == 3 and o > 12:
                continue
            layer = {"kernel_size": k, "stride": s, "padding": pad, "dilation": d, "in_channels": 2, "out_channels": 3}
            out.append((layer, [1] + [i] * nd + [2], [o] * nd))
        layer = {
            "kernel_size": 3,
            "stride": 2,
            "padding": [[1, 1]] * nd,
            "dilation": 1,
            "in_channels": 2,
            "out_channels": 3,
        }
        out.append((layer, [1] + [3] * nd + [2], [5] * nd))
        out.append((dict(layer, padding="same"), [1] + [3] * nd + [2], [6] * nd))
    return out


def keras_edges(op, nd):
    out = []
    for _label, i, k, s, pad, d in EDGE_FWD:
        if not edge_fits(nd, i):
            continue
        if op != "conv" and d != 1:
            continue
        if op == "conv_transpose":
            continue
        pad = pad.lower()
        layer = {"kernel_size": k, "stride": s, "padding": pad}
        if op == "conv":
            layer.update(dilation=d, groups=1, in_channels=2, out_channels=3)
        out.append((layer, [1] + [i] * nd + [2], None))
    if op == "conv":
        for i, k, s, d in ((7, 3, 1, 1), (7, 3, 2, 1), (7, 3, 1, 2), (2, 3, 1, 1)):
            out.append(
                (
                    {
                        "kernel_size": k,
                        "stride": s,
                        "padding": "causal",
                        "dilation": d,
                        "groups": 1,
                        "in_channels": 2,
                        "out_channels": 3,
                    },
                    [1] + [i] * nd + [2],
                    None,
                )
            )
        out.append(
            (
                {
                    "kernel_size": 3,
                    "stride": [2] + [1] * (nd - 1),
                    "padding": "valid",
                    "dilation": [1] * (nd - 1) + [2],
                    "groups": 1,
                    "in_channels": 2,
                    "out_channels": 3,
                },
                [1] + [9] * nd + [2],
                None,
            )
        )
        for cin, cout in ((4, 4), (4, 3), (3, 4)):
            out.append(
                (
                    {
                        "kernel_size": 3,
                        "stride": 1,
                        "padding": "same",
                        "dilation": 1,
                        "groups": 2,
                        "in_channels": cin,
                        "out_channels": cout,
                    },
                    [1] + [6] * nd + [cin],
                    None,
                )
            )
    if op in ("max_pool", "avg_pool"):
        for i, k, s, pad in (
            (7, 2, None, "valid"),
            (7, 3, None, "same"),
            (1, 2, None, "valid"),
            (2, 3, 1, "same"),
            (5, 3, 2, "valid"),
            (12 if nd == 3 else 224, 3, 2, "same"),
        ):
            out.append(({"kernel_size": k, "stride": s, "padding": pad}, [1] + [i] * nd + [2], None))
    if op == "conv_transpose":
        for i, k, s, pad, opad, d in (
            (13, 4, 2, "same", None, 1),
            (13, 4, 2, "valid", None, 1),
            (5, 3, 2, "same", None, 1),
            (5, 3, 2, "same", 0, 1),
            (5, 3, 2, "same", 1, 1),
            (5, 4, 2, "valid", None, 1),
            (5, 4, 2, "valid", 1, 1),
            (5, 3, 2, "valid", None, 1),
            (5, 3, 2, "same", 2, 1),
            (5, 3, 2, "valid", 3, 1),
            (5, 3, 1, "same", 1, 1),
            (5, 3, 1, "valid", None, 2),
            (5, 3, 1, "same", None, 2),
            (5, 3, 2, "valid", None, 2),
            (1, 1, 1, "valid", None, 1),
            (1, 3, 3, "same", 2, 1),
            (4, 1, 3, "valid", None, 1),
        ):
            if nd == 3 and i > 6:
                i = 6
            layer = {
                "kernel_size": k,
                "stride": s,
                "padding": pad,
                "output_padding": opad,
                "dilation": d,
                "in_channels": 2,
                "out_channels": 3,
            }
            out.append((layer, [1] + [i] * nd + [2], None))
        out.append(
            (
                {
                    "kernel_size": 3,
                    "stride": [2] + [1] * (nd - 1),
                    "padding": "valid",
                    "output_padding": None,
                    "dilation": [1] * (nd - 1) + [2],
                    "in_channels": 2,
                    "out_channels": 3,
                },
                [1] + [5] * nd + [2],
                None,
            )
        )
    return out


# --------------------------------------------------------------------------- driver


def run_case(fw, op, nd, cid, layer, inp, output_size):
    if fw == "tf":
        call, fn = build_tf(op, nd, layer, inp, output_size)
        static = run_static_tf(fn, inp)
        eager = run_eager_tf(fn, inp)
    else:
        call, factory = build_keras(op, nd, layer)
        static = run_static_keras(factory, inp)
        eager = run_eager_keras(factory, inp)
    return {
        "id": cid,
        "framework": fw,
        "op": op,
        "layer": layer,
        "input": inp,
        "output_size": output_size,
        "call": call,
        "static": static,
        "eager": eager,
    }


def finish(records):
    """oneDNN re-run for kernel-limitation eager errors, then apply the policy."""
    redo = [
        r
        for r in records
        if "error" in r["eager"] and "shape" in r["static"] and KERNEL_LIMITATION.search(r["eager"]["error"])
    ]
    dnn = eager_onednn(
        [(r["framework"], r["op"], len(r["input"]) - 2, r["layer"], r["input"], r["output_size"]) for r in redo]
    )
    dnn_notes = {}
    for r, res in zip(redo, dnn, strict=True):
        ONEDNN_RERUN[(r["framework"], "shape" if "shape" in res else "error")] += 1
        if "shape" in res:
            dnn_notes[r["id"]] = "eager via oneDNN kernels; reference CPU kernel said: {}".format(r["eager"]["error"])
            r["eager"] = res
        else:
            dnn_notes[r["id"]] = "oneDNN re-run also failed: {}".format(res["error"])
    for r in records:
        nd = len(r["input"]) - 2
        expect, note, branch = policy(
            r["static"],
            r["eager"],
            r["framework"],
            r["op"],
            nd,
            r["layer"],
            r["input"],
            r["output_size"],
            dnn_notes.get(r["id"]),
        )
        r["expect"] = expect
        if note:
            r["note"] = note
        BRANCHES[(r["framework"], branch)] += 1
        BRANCH_EXAMPLES[(r["framework"], branch)].append(r)
    return records


def generate(fw, n_random, ops, ndims):
    records = []
    for op in ops:
        for nd in ndims:
            edges = tf_edges(op, nd) if fw == "tf" else keras_edges(op, nd)
            for j, (layer, inp, osz) in enumerate(edges):
                records.append(run_case(fw, op, nd, "%s-%s%dd-e%03d" % (fw, op, nd, j), layer, inp, osz))
            rng = random.Random(zlib.crc32(("%s/%s/%d" % (fw, op, nd)).encode()))
            gen = gen_tf_case if fw == "tf" else gen_keras_case
            for j in range(n_random):
                layer, inp, osz = gen(rng, op, nd)
                records.append(run_case(fw, op, nd, "%s-%s%dd-%05d" % (fw, op, nd, j), layer, inp, osz))
            print("  %s %s %dd: %d cases" % (fw, op, nd, len(edges) + n_random), file=sys.stderr, flush=True)
    return finish(records)


def write(path, records):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    header = {
        "header": True,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "generator": "tools/gen_golden_tf.py",
    }
    with open(path, "w") as fh:
        fh.write(json.dumps(header) + "\n")
        for r in records:
            fh.write(json.dumps(r) + "\n")


def error_kind(err):
    k = re.sub(r"\[[^\]]*\]", "[..]", err)
    k = re.sub(r"-?\d+", "N", k)
    k = re.sub(r"'[^']*'", "'..'", k)
    return k[:140]


def summary(records):
    tab = collections.OrderedDict()
    for r in records:
        key = (r["framework"], r["op"], len(r["input"]) - 2)
        t = tab.setdefault(key, [0, 0])
        t[0 if "shape" in r["expect"] else 1] += 1
    print("%-6s %-15s %-5s %6s %8s %8s %7s" % ("fw", "op", "ndim", "total", "valid", "invalid", "valid%"))
    for (fw, op, nd), (v, inv) in tab.items():
        print("%-6s %-15s %-5d %6d %8d %8d %6.1f%%" % (fw, op, nd, v + inv, v, inv, 100.0 * v / (v + inv)))
    tv = sum(v for v, _ in tab.values())
    ti = sum(i for _, i in tab.values())
    print("%-6s %-15s %-5s %6d %8d %8d %6.1f%%" % ("all", "", "", tv + ti, tv, ti, 100.0 * tv / max(1, tv + ti)))
    print("\npolicy branches:")
    for (fw, b), n in sorted(BRANCHES.items()):
        print("  %-6s %-34s %6d" % (fw, b, n))
    print("\noneDNN eager re-runs (reference kernel hit a CPU limitation):")
    for (fw, res), n in sorted(ONEDNN_RERUN.items()):
        print("  %-6s %-34s %6d" % (fw, res, n))
    print("\nexpect error kinds:")
    kinds = collections.Counter()
    for r in records:
        if "error" in r["expect"]:
            kinds[(r["framework"], error_kind(r["expect"]["error"]))] += 1
    for (fw, k), n in sorted(kinds.items(), key=lambda kv: (kv[0][0], -kv[1])):
        print("  %-6s %5d  %s" % (fw, n, k))


def main(argv=None):
    if argv is None and sys.argv[1:] == ["--eager-worker"]:
        return eager_worker()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--n-random", type=int, default=250, help="random cases per op x ndim")
    ap.add_argument("--framework", choices=("tf", "keras", "both"), default="both")
    ap.add_argument("--ops", default=",".join(OPS))
    ap.add_argument("--ndims", default="1,2,3")
    ap.add_argument("--dry-run", action="store_true", help="do not write the jsonl files")
    args = ap.parse_args(argv)
    ops = args.ops.split(",")
    ndims = [int(x) for x in args.ndims.split(",")]
    print(
        "tensorflow {}, keras {} (backend {}), TF_ENABLE_ONEDNN_OPTS={}".format(
            tf.__version__, keras.__version__, keras.config.backend(), os.environ.get("TF_ENABLE_ONEDNN_OPTS")
        )
    )
    all_records = []
    for fw, path in (("tf", OUT_TF), ("keras", OUT_KERAS)):
        if args.framework not in (fw, "both"):
            continue
        recs = generate(fw, args.n_random, ops, ndims)
        all_records += recs
        if not args.dry_run:
            write(path, recs)
            print("wrote %s (%d cases)" % (os.path.relpath(path, ROOT), len(recs)))
    summary(all_records)


if __name__ == "__main__":
    main()
