"""The planner's Python API under odd input: every refusal a ShapeError naming the field, every
total an exact integer, the layer budget checked before repeats expand, --verify's memory
computed before any array; plus hypothesis fuzzing of the spec normaliser and of plan()."""

from __future__ import annotations

import contextlib
import json
import math
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convarith import limits
from convarith.errors import ConvarithError, LimitError
from convarith.plan import from_code, from_spec_text, plan
from convarith.plan.report import _bytes, plain_plan, to_json
from convarith.plan.sources import from_spec_data, load_network, read_spec
from convarith.plan.verify import verify

CONV = {"type": "conv", "out_channels": 4, "kernel_size": 3}


def strict_json(text):
    return json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))


# --- 4. the Python API: odd input is a ShapeError, never TypeError/KeyError/AttributeError ---


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda: plan("conv", (3, 8, 8)), "layers: must be a list"),
        (lambda: plan(None, (3, 8, 8)), "layers: must be a list"),
        (lambda: plan([3], (3, 8, 8)), r"layers\[0\]: must be a dict"),
        (lambda: plan([{}], (3, 8, 8)), r"layers\[0\].type"),
        (lambda: plan([{"type": ["conv"]}], (3, 8, 8)), r"layers\[0\].type"),
        (lambda: plan([{"type": "conv"}], (3, 8, 8)), "conv needs out_channels, kernel_size"),
        (lambda: plan([{**CONV, "groups": 0}], (3, 8, 8)), r"layers\[0\].groups"),
        (lambda: plan([{**CONV, "padding": None}], (3, 8, 8)), r"layers\[0\].padding"),
        (lambda: plan([{**CONV, "stride": [1, "2"]}], (3, 8, 8)), r"layers\[0\].stride\[1\]"),
        (lambda: plan([{**CONV, "bias": "no"}], (3, 8, 8)), r"layers\[0\].bias"),
        (lambda: plan([{"type": "linear", "out_features": -2}], (4,)), r"layers\[0\].out_features"),
        (lambda: plan([{"type": "linear", "out_features": 2.5}], (4,)), r"layers\[0\].out_features"),
        (
            lambda: plan([{"type": "upsample", "scale_factor": float("nan")}], (1, 4, 4)),
            "scale_factor: must be a finite",
        ),
        (lambda: plan([{"type": "upsample", "scale_factor": [2, math.inf]}], (1, 4, 4)), r"scale_factor\[1\]"),
        (lambda: plan([{"type": "dropout", "p": 2}], (4,)), r"\.p: must be a number >= 0 and <= 1"),
        (lambda: plan([{"type": "relu", "inputs": []}], (4,)), r"layers\[0\].inputs"),
        (lambda: plan([{"type": "relu", "name": 3}], (4,)), r"layers\[0\].name"),
        (lambda: plan([{"type": "relu"}], None), "input"),
        (lambda: plan([{"type": "relu"}], "3x8"), "input"),
        (lambda: plan([{"type": "relu"}], (3, None)), r"input\[1\]"),
        (lambda: plan([{"type": "relu"}], (3, 10**101)), r"input\[1\]: must be at most 10\^100"),
        (lambda: plan([{"type": "relu"}], (3, True)), r"input\[1\]"),
        (lambda: plan([{"type": "relu"}], (3, 8), dtype=["float32"]), "dtype"),
        (lambda: plan([{"type": "relu"}], (3, 8), macs=None), "macs"),
        (lambda: plan([{"type": "relu"}], (3, 8), batch=True), "batch"),
        (lambda: plan([{"type": "relu"}], (3, 8), batch=0), "batch"),
        (lambda: plan([{"type": "relu"}], (3, 8), framework=None), "framework"),
        (lambda: plan([{"type": "relu"}], (3, 8), framework="caffe"), "framework"),
        (lambda: load_network(), "exactly one"),
        (lambda: load_network(spec=3), "spec: must be a file path"),
        (lambda: load_network(spec="/nonexistent/x.json"), "does not exist"),
        (lambda: load_network(spec="/"), "directory"),
        (lambda: load_network(preset=["lenet5"]), "preset"),
        (lambda: load_network(preset="lenet6"), "unknown preset 'lenet6'; known: lenet5"),
        (lambda: load_network(preset="lenet5", framework="caffe"), "framework"),
        (lambda: load_network(code=b"nn.ReLU()"), "code: must be the text"),
        (lambda: load_network(code="nn.ReLU()", cls=3), "cls"),
        (lambda: load_network(preset="lenet5").plan((1, 32, 32), "torch", "float16", "flops"), "macs"),
        (lambda: load_network(preset="lenet5").plan({"a": 1}), "input"),
        (lambda: from_code(None), "code: must be the text"),
        (lambda: from_code("nn.Conv2d(3, 8, 3)\x00"), "NUL"),
        (lambda: from_code("nn.ReLU(), " * 100_000), "over 1,000,000"),
        (lambda: load_network(code="nn.ReLU(), " * 100_000), "over 1,000,000"),
        (lambda: from_spec_text(None), "expected the text of a spec"),
        (lambda: from_spec_text("{}", kind="yaml"), "kind"),
        (lambda: from_spec_text(""), "empty"),
        (lambda: from_spec_data([1], "s"), "top level"),
        (lambda: from_spec_data({"layers": [], "blocks": {"b": 3}}, "s"), "blocks.b"),
        (
            lambda: from_spec_data({"layers": [{"block": ["b"]}], "blocks": {"b": {"layers": []}}}, "s"),
            r"layers\[0\].block",
        ),
        (lambda: from_spec_data({"layers": [{"type": "conv", "out_channels": 2, "kernel_size": 3, 4: 1}]}, "s"), "4"),
        (lambda: from_spec_data({"layers": [], "input": {"c": 3}}, "s"), "input"),
        (lambda: from_spec_data({"layers": [], "dtype": "float128"}, "s"), "dtype"),
        (
            lambda: from_spec_data({"layers": [{"type": "relu"}], "blocks": {"b": {"layers": [{"block": "b"}]}}}, "s"),
            "cannot refer to a block",
        ),
    ],
)
def test_odd_api_input_is_a_shape_error(call, fragment):
    with pytest.raises(ConvarithError, match=fragment):
        call()


def test_verify_refuses_odd_arguments():
    result = plan([CONV], (3, 8, 8))
    for layers, p, skip in [
        (None, result, None),
        (result.layers, "plan", None),
        (result.layers, result, float("nan")),
        (result.layers, result, -1),
        (result.layers[:0], result, None),
        (result.layers, result, "1"),
    ]:
        with pytest.raises(ConvarithError):
            verify(layers, p, skip)


# --- 1. counts and budgets before expansion ---


def test_layer_budget_is_checked_before_repeats_expand(monkeypatch):
    data = {
        "input": [1, 8],
        "blocks": {"b": {"layers": [{"type": "relu"}] * 3}},
        "layers": [{"block": "b", "repeat": 10**300}],
    }
    start = time.perf_counter()
    with pytest.raises(LimitError, match=f"over the limit of {limits.layers:,}"):
        read_spec(data, "s")
    assert time.perf_counter() - start < 0.5
    monkeypatch.setattr(limits, "layers", 10)
    data["layers"] = [{"block": "b", "repeat": 3}, {"type": "relu"}, {"block": "b", "repeat": 0}]
    assert len(read_spec(data, "s")["layers"]) == 10
    data["layers"].append({"type": "relu"})
    with pytest.raises(LimitError, match="11 layers"):
        read_spec(data, "s")
    with pytest.raises(LimitError, match="layers"):
        plan([{"type": "relu"}] * 11, (1, 8))


@pytest.mark.parametrize("repeat", ["3", 2.0, -1, True, None, float("nan"), 1e300, [2]])
def test_repeat_must_be_a_count(repeat):
    data = {
        "input": [1, 8],
        "blocks": {"b": {"layers": [{"type": "relu"}]}},
        "layers": [{"block": "b", "repeat": repeat}],
    }
    with pytest.raises(ConvarithError, match=r"layers\[0\].repeat"):
        read_spec(data, "s")


def test_deep_nesting_and_long_literals_are_one_error():
    with pytest.raises(ConvarithError, match="nests too deeply"):
        from_spec_text('{"layers": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(ConvarithError, match="nests too deeply"):
        from_spec_text("layers = " + "[" * 50_000 + "]" * 50_000)
    with pytest.raises(ConvarithError, match="too long"):
        from_spec_text('{"input": [' + "9" * 5000 + '], "layers": []}')
    with pytest.raises(ConvarithError, match="NaN is not a JSON number"):
        from_spec_text('{"input": [1, 8], "layers": [{"type": "dropout", "p": NaN}]}')


# --- 2/3. exact totals, the spec's dtype used, numbers.Integral accepted ---


def test_totals_are_exact_integers_from_numpy_integers():
    layers = [
        {"type": "conv", "out_channels": np.int64(4), "kernel_size": np.int32(3), "bias": True},
        {"type": "flatten"},
        {"type": "linear", "out_features": np.int64(5)},
    ]
    result = plan(layers, (np.int64(3), 8, 8))
    conv_params, conv_macs = 4 * 3 * 9 + 4, 6 * 6 * 4 * 3 * 9
    linear_params, linear_macs = 144 * 5 + 5, 144 * 5
    assert (result.total_params, result.total_macs) == (conv_params + linear_params, conv_macs + linear_macs)
    assert all(type(v) is int for r in result.rows for v in (r.params, r.macs, r.memory, *r.shape))


def test_huge_sizes_stay_exact_and_json_strict():
    n = 10**40
    result = plan([{"type": "conv", "out_channels": 10**30, "kernel_size": 3, "bias": False}], (2, n))
    assert result.rows[0].shape == (10**30, n - 2)
    assert result.total_params == 10**30 * 2 * 3 and result.total_macs == (n - 2) * 10**30 * 2 * 3
    data = strict_json(to_json(result))
    assert data["total_memory_bytes"] == 10**30 * (n - 2) * 4
    assert "about 10^" in plain_plan(result)  # the memory column in words, not a float overflow
    str(result)


def test_sizes_that_grow_past_a_googol_stop_the_plan():
    result = plan([{"type": "upsample", "scale_factor": 10**60}] * 2, (1, 10**50))
    assert not result.complete and "10^100" in result.diagnostics[-1]


def test_bytes_column_is_integer_arithmetic():
    assert _bytes(1023) == "1023 B" and _bytes(1536) == "1.5 KiB" and _bytes(3 * 2**30) == "3.0 GiB"
    assert _bytes(2**41) == "2.0 TiB" and _bytes(10**400).startswith("about 10^400")


def test_spec_dtype_sets_the_memory_column(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"input": [3, 8, 8], "dtype": "float16", "layers": [CONV]}))
    network = load_network(spec=str(path))
    assert network.plan((3, 8, 8)).rows[0].memory == 4 * 6 * 6 * 2
    assert network.plan((3, 8, 8), dtype="float64").rows[0].memory == 4 * 6 * 6 * 8


def test_booleans_in_specs_are_booleans():
    layers, _, _ = from_spec_data({"layers": [{**CONV, "bias": False}]}, "s")
    assert plan(layers, (3, 8, 8)).total_params == 4 * 3 * 9
    for value in ("no", 0, 1, None, "false"):
        with pytest.raises(ConvarithError, match=r"layers\[0\].bias"):
            from_spec_data({"layers": [{**CONV, "bias": value}]}, "s")


def test_spec_concat_dim_counts_the_batch_as_torch_does():
    base = [{"type": "relu", "name": "a"}]
    by_channel, _, _ = from_spec_data({"layers": base + [{"type": "concat", "dim": 1, "inputs": ["input", "a"]}]}, "s")
    by_width, _, _ = from_spec_data({"layers": base + [{"type": "concat", "dim": -1, "inputs": ["input", "a"]}]}, "s")
    assert plan(by_channel, (3, 4, 5)).output_shape == (6, 4, 5)
    assert plan(by_width, (3, 4, 5)).output_shape == (3, 4, 10)


def test_unknown_keys_name_the_known_ones():
    with pytest.raises(ConvarithError, match="expected input, framework, dtype, layers, blocks"):
        from_spec_data({"layers": [], "inptu": [3]}, "s")
    with pytest.raises(ConvarithError, match="no parameter 'strides'; it takes .*stride"):
        from_spec_data({"layers": [{**CONV, "strides": 2}]}, "s")


# --- 5. --verify: the memory it needs is computed from the plan first ---


def test_verify_memory_is_checked_before_arrays(monkeypatch):
    from convarith.plan import verify as verifying

    result = plan([CONV, {"type": "relu"}], (3, 64, 64))
    # While the conv runs: its input and output; then the input is dropped; the relu: its input and output.
    peak = max(3 * 64 * 64 + 4 * 62 * 62, 2 * 4 * 62 * 62) * 4
    monkeypatch.setattr(limits, "output_bytes", peak)
    verifying._check(result.layers, result, None)
    monkeypatch.setattr(limits, "output_bytes", peak - 1)
    with pytest.raises(LimitError, match="--max-memory"):
        verify(result.layers, result)
    monkeypatch.setattr(limits, "output_bytes", 4 * limits.GiB)
    big = plan([{"type": "flatten"}, {"type": "linear", "out_features": 10**6}], (1, 1000, 1000))
    with pytest.raises(LimitError, match="random weights of linear1"):
        verify(big.layers, big)


# --- 6. fuzz: random JSON-like trees through the spec normaliser and plan() ---

KEYS = [
    "type",
    "name",
    "inputs",
    "out_channels",
    "kernel_size",
    "stride",
    "padding",
    "dilation",
    "groups",
    "bias",
    "in_channels",
    "out_features",
    "in_features",
    "scale_factor",
    "size",
    "mode",
    "output_size",
    "like",
    "dim",
    "num_features",
    "p",
    "start_dim",
    "end_dim",
    "output_padding",
    "ceil_mode",
    "repeat",
    "block",
    "layers",
    "input",
    "framework",
    "blocks",
    "dtype",
    "upscale_factor",
    "num_groups",
    "num_channels",
    "padding_mode",
]
TYPES = [
    "conv",
    "conv_transpose",
    "max_pool",
    "avg_pool",
    "adaptive_avg_pool",
    "linear",
    "flatten",
    "batch_norm",
    "dropout",
    "upsample",
    "add",
    "concat",
    "crop",
    "pad",
    "relu",
    "Conv2d",
    "ZeroPad2d",
    "PixelShuffle",
    "GroupNorm",
    "LayerNorm",
    "Unflatten",
    "PReLU",
    "Upsample",
    "nope",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 10),
    st.integers(-(10**120), 10**120),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(TYPES + ["same", "b", "input", "a"]),
    st.text(max_size=5),
)
trees = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)),
    max_leaves=25,
)
small = st.one_of(st.integers(1, 4), st.lists(st.integers(1, 3), min_size=1, max_size=3), scalars)
layer = st.fixed_dictionaries(
    {"type": st.sampled_from(TYPES)},
    optional={k: small for k in KEYS if k not in ("type", "layers", "blocks", "input")},
)
good_layer = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("conv"), "out_channels": st.integers(1, 4), "kernel_size": st.integers(1, 3)},
        optional={
            "stride": st.integers(1, 3),
            "padding": st.integers(0, 2),
            "dilation": st.integers(1, 2),
            "bias": st.booleans(),
        },
    ),
    st.fixed_dictionaries({"type": st.sampled_from(["relu", "tanh", "dropout", "batch_norm", "flatten"])}),
    st.fixed_dictionaries(
        {"type": st.just("max_pool"), "kernel_size": st.integers(1, 3)},
        optional={"stride": st.integers(1, 3), "ceil_mode": st.booleans()},
    ),
    st.fixed_dictionaries({"type": st.just("linear"), "out_features": st.integers(1, 5)}),
    st.fixed_dictionaries({"type": st.just("upsample"), "scale_factor": st.sampled_from([2, 0.5, 1.5, 10**30])}),
)
valid_input = st.sampled_from([[3, 8, 8], [3, 16], [4], [2, 10**19, 7]])
specs = st.fixed_dictionaries(
    {
        "layers": st.lists(st.one_of(good_layer, good_layer, layer, trees), max_size=6),
        "input": st.one_of(valid_input, valid_input, valid_input, trees),
    },
    optional={
        "blocks": st.one_of(
            st.fixed_dictionaries({"b": st.fixed_dictionaries({"layers": st.lists(good_layer, max_size=3)})}), trees
        ),
        "framework": st.one_of(st.sampled_from(["torch", "tf", "keras"]), scalars),
        "dtype": st.one_of(st.sampled_from(["float16", "int8"]), scalars),
    },
)


def _planned(layers, shape, framework="torch"):
    result = plan(layers, shape, framework)
    data = strict_json(to_json(result))
    assert isinstance(data["total_params"], int) and isinstance(data["total_macs"], int)
    assert all(type(r.params) is int and type(r.macs) is int and r.params >= 0 and r.macs >= 0 for r in result.rows)
    str(result)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(trees, specs))
def test_fuzz_spec_normaliser(data):
    start = time.perf_counter()
    try:
        spec = read_spec(data, "fuzz")
    except ConvarithError:
        return
    finally:
        assert time.perf_counter() - start < 2
    assert len(spec["layers"]) <= limits.layers
    if spec["input"] is not None:
        with contextlib.suppress(ConvarithError):
            _planned(spec["layers"], spec["input"], spec["framework"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(good_layer, layer, trees), max_size=5), st.one_of(st.just((3, 8, 8)), st.just((4,)), trees))
def test_fuzz_plan_api(layers, shape):
    with contextlib.suppress(ConvarithError):
        _planned(layers, shape)


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 4),
    st.integers(1, 10**20),
    st.lists(st.tuples(st.integers(1, 5), st.integers(1, 4), st.integers(1, 3), st.booleans()), min_size=1, max_size=4),
)
def test_conv_chain_totals_match_a_direct_count(channels, size, convs):
    """Parameters and MACs of a chain of 1-D convolutions, counted directly from torch's formulas."""
    layers = [{"type": "conv", "out_channels": o, "kernel_size": k, "stride": s, "bias": b} for o, k, s, b in convs]
    params = macs = 0
    c, n = channels, size
    for o, k, s, b in convs:
        if n < k:
            return
        out = (n - k) // s + 1
        params += o * c * k + (o if b else 0)
        macs += out * o * c * k
        c, n = o, out
    result = plan(layers, (channels, size))
    assert result.complete and (result.total_params, result.total_macs) == (params, macs)
    assert result.output_shape == (c, n)
    assert result.total_memory == sum(4 * r.shape[0] * r.shape[1] for r in result.rows)


def test_spec_input_is_channels_first_for_every_framework(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"framework": "tf", "input": [3, 8, 8], "layers": [CONV]}))
    network = load_network(spec=str(path))
    assert network.default_input == (8, 8, 3)
    result = network.plan(network.default_input)
    assert result.output_shape == (6, 6, 4) and result.total_params == 4 * 3 * 9 + 4
    torch_view = load_network(spec=str(path), framework="torch")
    assert torch_view.default_input == (3, 8, 8) and torch_view.plan((3, 8, 8)).output_shape == (4, 6, 6)


@pytest.mark.parametrize(
    "layer, fragment",
    [
        ({"type": "upsample", "scale_factor": 2, "mode": "cubic"}, r"layers\[0\].mode: must be one of nearest"),
        ({"type": "upsample", "scale_factor": None}, "needs size or scale_factor"),
        ({"type": "conv", "out_channels": 2, "kernel_size": 3, "padding_mode": "mirror"}, "padding_mode"),
        ({"type": "gelu", "approximate": "fast"}, "approximate"),
    ],
)
def test_mode_strings_are_checked(layer, fragment):
    with pytest.raises(ConvarithError, match=fragment):
        from_spec_data({"layers": [layer]}, "s")


def test_dimensions_out_of_range_are_refused_not_wrapped():
    base = [{"type": "relu", "name": "a"}]
    result = plan(base + [{"type": "concat", "axis": 5, "inputs": ["input", "a"]}], (3, 4, 5))
    assert not result.complete and "out of range" in result.diagnostics[-1]
    result = plan([{"type": "flatten", "start_dim": 1, "end_dim": 7}], (3, 4, 5))
    assert not result.complete and "end_dim" in result.diagnostics[-1]
    result = plan([{"type": "permute", "dims": (0, 0, 1)}], (3, 4, 5))
    assert not result.complete and "each of the 3 dimensions once" in result.diagnostics[-1]
    code = (
        "import torch.nn as nn\nclass N(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "    def forward(self, x):\n        return x.permute(0, 10**9, 1, 2)\n"
    )
    network = load_network(code=code)
    result = network.plan((1, 3, 8, 8), "torch")
    assert not result.complete and "out of range for a 4-D tensor" in result.diagnostics[-1]


@pytest.mark.parametrize("shape, out", [((1, 2, 7, 9), (3, 4)), ((1, 1, 3, 12), (7, 2)), ((2, 3, 4, 5, 6), (2, 3, 4))])
def test_verify_adaptive_pooling_matches_the_window_definition(shape, out):
    """verify's separable adaptive pooling against torch's window per output position, element by element."""
    import itertools

    from convarith.plan.verify import _adaptive

    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    for reduce in (np.mean, np.max):
        expected = np.empty((*shape[:2], *out), dtype=np.float32)
        for index in itertools.product(*(range(o) for o in out)):
            window = tuple(
                slice((j * i) // o, -(-((j + 1) * i) // o)) for j, i, o in zip(index, shape[2:], out, strict=True)
            )
            expected[(slice(None), slice(None)) + index] = reduce(
                x[(slice(None), slice(None)) + window], axis=tuple(range(2, x.ndim))
            )
        np.testing.assert_allclose(_adaptive(x, out, reduce, np), expected, rtol=1e-6, atol=1e-6)


# Measured with torch 2.13.0: F.interpolate(torch.zeros(1, 1, size), scale_factor=f).shape[-1]
TORCH_UPSAMPLED = [
    (9, 0.3333333333, 2),
    (9, 1 / 3, 3),
    (10, 0.29, 2),
    (7, 1.15, 8),
    (100, 0.07, 7),
    (9, 3.0, 27),
    (12, 0.16666666666666666, 2),
    (25, 2.48, 62),
    (15, 0.6666666666666666, 10),
    (49, 1.8254897059155157, 89),
    (38, 3.783819247437993, 143),
    (57, 0.73, 41),
]


@pytest.mark.parametrize("size, factor, expected", TORCH_UPSAMPLED)
def test_upsampled_sizes_are_torchs(size, factor, expected):
    assert plan([{"type": "upsample", "scale_factor": factor}], (1, size)).output_shape == (1, expected)


READER_CODE = {
    "layers": "nn.Conv2d(3, 8, 3), nn.ReLU()",
    "module": (
        "import torch.nn as nn\nclass N(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.c = nn.Conv2d(3, 8, 3)\n    def forward(self, x):\n        return self.c(x)\n"
    ),
    "keras": "from tensorflow import keras\n"
    "model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3)])",
    "repr": "Sequential(\n  (0): Conv2d(3, 64, kernel_size=(3, 3), stride=(1, 1))\n)",
}


@pytest.mark.parametrize("form", READER_CODE)
@pytest.mark.parametrize(
    "shape, framework, dtype, macs",
    [
        ((), None, "float32", "multiply"),
        (3, None, "float32", "multiply"),
        ("3x8x8", None, "float32", "multiply"),
        ((3, -8, 8), None, "float32", "multiply"),
        ((3, 8.0, 8), None, "float32", "multiply"),
        ({"a": 1}, None, "float32", "multiply"),
        ((1, 3, 8, 8), ["torch"], "float32", "multiply"),
        ((1, 3, 8, 8), None, ["float32"], "multiply"),
        ((1, 3, 8, 8), None, "float32", ["multiply"]),
        ((1, 3, 8, 8), None, "complex", "multiply"),
        ((1, 3, 8, 8), None, "float32", "flops"),
    ],
)
def test_reader_networks_refuse_odd_plan_arguments(form, shape, framework, dtype, macs):
    network = load_network(code=READER_CODE[form])
    framework = framework or network.framework
    with pytest.raises(ConvarithError):
        network.plan(shape, framework, dtype, macs)
