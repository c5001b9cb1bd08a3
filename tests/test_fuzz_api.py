"""The pure-Python API under random types and magnitudes: a result or a ConvarithError, never
another exception, and never slow (work is bounded by the answer, not by the numbers given)."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convarith
from convarith.receptive import receptive_field

np = pytest.importorskip("numpy")

# Integers of every magnitude and type, and the wrong types a careless caller passes.
integers = st.one_of(
    st.integers(-3, 12),
    st.integers(-(10**30), 10**30),
    st.sampled_from([0, 1, 2, 10**12, 10**100]),
    st.integers(-5, 40).map(np.int64),
    st.integers(0, 40).map(np.uint8),
)
oddities = st.sampled_from(
    [
        None,
        True,
        False,
        2.0,
        1.5,
        math.nan,
        math.inf,
        -math.inf,
        "3",
        "same",
        "SAME",
        "valid",
        "causal",
        "full",
        "",
        b"3",
        [],
        (),
        {},
        {"a": 1},
        object(),
        Fraction(3, 1),
        3 + 0j,
        np.float64(2.0),
        np.bool_(True),
        np.array(3),
        np.array([2, 2]),
        [None],
        [[1, 2]],
        ((0, 1), (1, 0)),
        [(0, 1)],
        [1, [2]],
        range(3),
    ]
)
scalar = st.one_of(integers, oddities)
per_axis = st.one_of(
    scalar,
    st.lists(st.one_of(integers, oddities), min_size=0, max_size=4).map(tuple),
    st.lists(integers, min_size=1, max_size=3),
)
framework = st.one_of(st.sampled_from(["torch", "tf", "keras", "pytorch", "TensorFlow", "caffe", ""]), oddities)
spatial = st.one_of(per_axis, st.lists(st.integers(1, 10**20), min_size=1, max_size=3).map(tuple))


def refuses_cleanly(call):
    try:
        return call()
    except convarith.ConvarithError as exc:
        assert isinstance(exc.parameter, str) and exc.rule and "\n" not in str(exc)
        return None


LAYERS = [
    ("conv", lambda k, s, p, d, g, f: convarith.Conv(k, stride=s, padding=p, dilation=d, groups=g, framework=f)),
    (
        "conv_transpose",
        lambda k, s, p, d, g, f: convarith.ConvTranspose(
            k, stride=s, padding=p, output_padding=g, dilation=d, framework=f
        ),
    ),
    (
        "max_pool",
        lambda k, s, p, d, g, f: convarith.MaxPool(k, stride=s, padding=p, dilation=d, ceil_mode=g, framework=f),
    ),
    (
        "avg_pool",
        lambda k, s, p, d, g, f: convarith.AvgPool(
            k, stride=s, padding=p, ceil_mode=d, count_include_pad=g, framework=f
        ),
    ),
    ("adaptive", lambda k, s, p, d, g, f: convarith.AdaptiveAvgPool(k)),
]


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    which=st.sampled_from(LAYERS),
    k=per_axis,
    s=per_axis,
    p=per_axis,
    d=per_axis,
    g=scalar,
    f=framework,
    size=spatial,
    output_size=st.one_of(st.none(), per_axis),
)
def test_layers_answer_or_refuse(which, k, s, p, d, g, f, size, output_size):
    layer = refuses_cleanly(lambda: which[1](k, s, p, d, g, f))
    if layer is None:
        return
    repr(layer)
    kwargs = {"output_size": output_size} if output_size is not None and layer.op == "conv_transpose" else {}
    axes = refuses_cleanly(lambda: layer.arithmetic(size, **kwargs))
    if axes is None:
        return
    for ax in axes:
        assert type(ax.output) is int and ax.output >= 0  # Python ints: exact at any size
    fields = refuses_cleanly(lambda: receptive_field([layer], size))
    if fields is not None:
        assert len(fields[0]) == len(axes)
    refuses_cleanly(lambda: layer.tensor_shape(size))


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    size_in=spatial,
    size_out=spatial,
    op=st.one_of(st.sampled_from(["conv", "conv-transpose", "max_pool", "avg_pool", "adaptive_avg_pool"]), oddities),
    f=framework,
    k=st.one_of(st.none(), scalar),
    s=st.one_of(st.none(), scalar),
    max_kernel=st.one_of(st.integers(-1, 30), st.integers(10**5, 10**30), oddities),
    limit=st.one_of(st.integers(-1, 5), oddities),
)
def test_solve_answers_or_refuses(size_in, size_out, op, f, k, s, max_kernel, limit):
    found = refuses_cleanly(
        lambda: convarith.solve(
            size_in,
            size_out,
            op=op,
            framework=f,
            kernel_size=k,
            stride=s,
            max_kernel=max_kernel,
            max_stride=3,
            limit=limit,
        )
    )
    for solution in found or ():
        wanted = tuple(size_out) if isinstance(size_out, (tuple, list)) else (size_out,)
        assert tuple(a.output for a in solution.axes) == wanted


@pytest.mark.parametrize(
    "call",
    [
        lambda: convarith.Conv(3, padding=None),
        lambda: convarith.Conv(None),
        lambda: convarith.ConvTranspose(3, output_padding=[1, None]),
        lambda: convarith.MaxPool(3, stride=0.5),
        lambda: convarith.Conv(3, groups=0),
        lambda: convarith.solve(8, 4, max_kernel=7.5),
        lambda: convarith.solve(224, 112, max_kernel=2**63),
        lambda: convarith.solve(224, 112, kernel_size=3, max_stride=10**30),
        lambda: convarith.solve(8, 4, limit="all"),
        lambda: convarith.Conv(3).output_shape(None),
        lambda: convarith.Conv(3).output_shape("224"),
        lambda: convarith.Conv(3).tensor_shape((1, 3, math.nan)),
        lambda: receptive_field([convarith.Conv(3), "conv"], (8,)),
        lambda: receptive_field(None, (8,)),
        lambda: convarith.Conv(3, framework=None),
    ],
)
def test_named_refusals(call):
    with pytest.raises(convarith.ShapeError):
        call()


def test_numpy_integers_are_integers():
    layer = convarith.Conv(np.int64(3), stride=np.int32(2), padding=(np.int64(1), np.uint16(1)))
    assert layer.output_shape((np.int64(224), 224)) == (112, 112)
    assert type(layer.stride) is int
    with pytest.raises(convarith.ShapeError):
        convarith.Conv(3, stride=np.bool_(True))


def test_errors_survive_pickling():
    import pickle

    for exc in (
        convarith.ShapeError("stride", "must be positive"),
        convarith.LimitError("frames", "would have 10 frames", "pass --force"),
    ):
        back = pickle.loads(pickle.dumps(exc))
        assert type(back) is type(exc) and str(back) == str(exc) and back.parameter == exc.parameter


def test_make_layer_names_a_missing_argument():
    from convarith.layers import make_layer

    with pytest.raises(convarith.ShapeError, match="kernel_size: is required for conv"):
        make_layer("conv", stride=2)


def test_command_line_budgets_last_for_one_command():
    from typer.testing import CliRunner

    from convarith import limits
    from convarith.cli import app

    before = (limits.output_bytes, limits.layers)
    result = CliRunner().invoke(app, ["plan", "--preset", "vgg16", "--max-memory", "1G", "--max-layers", "50"])
    assert result.exit_code == 0, result.output
    assert (limits.output_bytes, limits.layers) == before


@pytest.mark.parametrize("layer", [convarith.AdaptiveAvgPool(3), convarith.AdaptiveMaxPool((2, 2)), "conv", None, 3])
def test_only_drawable_layers_are_drawn(layer):
    from convarith import render

    with pytest.raises(convarith.ShapeError, match="layer: only conv"):
        render.scene(layer, (7, 7))


def test_render_api_refuses_what_it_cannot_use(tmp_path):
    from convarith import render

    scene = render.scene(convarith.Conv(3), (5, 5))
    calls = [
        lambda: render.scene(convarith.Conv(3), (5, 5), force="no"),
        lambda: render.scene(convarith.Conv(3), (5, 5), labels="no"),
        lambda: render.save(None, tmp_path / "g.gif"),
        lambda: render.save(scene, b"c.svg"),
        lambda: render.save(scene, 3),
        lambda: render.save(scene, str(tmp_path / "a\x00b.gif")),
        lambda: render.save(scene, tmp_path / "s.png", sheet="yes"),
    ]
    for call in calls:
        with pytest.raises(convarith.ShapeError):
            call()
    assert list(tmp_path.iterdir()) == []
