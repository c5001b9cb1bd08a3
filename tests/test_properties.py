"""Hypothesis properties: the engine against brute-force enumeration of windows."""

from hypothesis import given, settings
from hypothesis import strategies as st

import convarith
from convarith.arithmetic import read_by_windows

small = st.integers(1, 40)
kernels = st.integers(1, 7)
strides = st.integers(1, 5)
dilations = st.integers(1, 4)


def window_starts(padded, k_eff, s):
    """Every start position whose window lies inside the padded input."""
    return [x for x in range(padded) if x % s == 0 and x + k_eff <= padded]


def read_cells(starts, k, d):
    return {x + t * d for x in starts for t in range(k)}


@settings(max_examples=400, deadline=None)
@given(i=small, k=kernels, s=strides, d=dilations, p=st.integers(0, 6))
def test_torch_conv_counts_windows(i, k, s, d, p):
    k_eff = d * (k - 1) + 1
    starts = window_starts(i + 2 * p, k_eff, s)
    layer = convarith.Conv(k, stride=s, padding=p, dilation=d)
    if not starts:
        try:
            layer.output_shape((i,))
        except convarith.ShapeError:
            return
        raise AssertionError("no window fits, yet no ShapeError")
    (ax,) = layer.arithmetic((i,))
    assert ax.output == len(starts)
    read = read_cells(starts, k, d)
    assert ax.unread == sum(1 for x in range(p, p + i) if x not in read)
    assert ax.unread_padding == sum(1 for x in list(range(p)) + list(range(p + i, i + 2 * p)) if x not in read)


@settings(max_examples=300, deadline=None)
@given(i=small, k=kernels, s=strides, d=dilations)
def test_tf_same_keeps_ceil_and_counts_windows(i, k, s, d):
    (ax,) = convarith.Conv(k, stride=s, dilation=d, padding="SAME", framework="tf").arithmetic((i,))
    assert ax.output == -(-i // s)
    assert ax.padding[1] - ax.padding[0] in (0, 1)
    assert ax.output == len(window_starts(ax.padded_input, ax.effective_kernel, s))


@settings(max_examples=300, deadline=None)
@given(i=small, k=kernels, s=strides, p=st.integers(0, 3), ceil=st.booleans())
def test_torch_pool_counts_windows(i, k, s, p, ceil):
    """A window counts if it starts in the input or left padding and, with ceil_mode,
    may run off the end by less than a stride."""
    padded = i + 2 * p
    slack = s - 1 if ceil else 0
    starts = [x for x in range(0, padded + s, s) if x + k <= padded + slack and (not ceil or x < i + p)]
    layer = convarith.MaxPool(k, stride=s, padding=p, ceil_mode=ceil)
    if p > k // 2 or not starts:
        try:
            layer.output_shape((i,))
        except convarith.ShapeError:
            return
        raise AssertionError("expected a ShapeError")
    assert layer.output_shape((i,)) == (len(starts),)


@settings(max_examples=300, deadline=None)
@given(i=st.integers(1, 20), k=kernels, s=strides, d=dilations, p=st.integers(0, 4), a=st.integers(0, 4))
def test_transposed_scatter_size_and_round_trip(i, k, s, d, p, a):
    """Scatter every input cell's kernel onto the output line; crop p each side; add a."""
    if a >= s and a >= d:
        return
    touched = {m * s + t * d for m in range(i) for t in range(k)}
    full = max(touched) + 1
    expected = full - 2 * p + a
    layer = convarith.ConvTranspose(k, stride=s, padding=p, output_padding=a, dilation=d)
    if expected < 1:
        try:
            layer.output_shape((i,))
        except convarith.ShapeError:
            return
        raise AssertionError("expected a ShapeError")
    (ax,) = layer.arithmetic((i,))
    assert ax.output == expected
    kept = {m for m in range(i) if any(0 <= m * s + t * d - p < expected for t in range(k))}
    assert ax.unread == i - len(kept)
    eq = ax.transposed
    assert eq.stretched_input + eq.padding[0] + eq.padding[1] - ax.effective_kernel + 1 == expected
    if a < s and ax.valid_outputs[0] <= expected <= ax.valid_outputs[1]:
        # The forward convolution with the same parameters gives the input back.
        assert convarith.Conv(k, stride=s, padding=p, dilation=d).output_shape((expected,)) == (i,)


@settings(max_examples=200, deadline=None)
@given(i=st.integers(1, 30), k=kernels, s=strides, explicit=st.tuples(st.integers(0, 3), st.integers(0, 3)))
def test_tf_conv_transpose_accepts_exactly_the_sizes_that_invert(i, k, s, explicit):
    for padding in ("SAME", "VALID", (explicit,)):
        layer = convarith.ConvTranspose(k, stride=s, padding=padding, framework="tf")
        for o in range(1, i * s + k + 4):
            try:
                forward = convarith.Conv(k, stride=s, padding=padding, framework="tf").output_shape((o,))
            except convarith.ShapeError:
                forward = None
            accepted = True
            try:
                layer.output_shape((i,), output_size=(o,))
            except convarith.ShapeError:
                accepted = False
            if padding == "SAME" or padding == "VALID":
                assert accepted == (forward == (i,)), (padding, i, k, s, o)


@settings(max_examples=300, deadline=None)
@given(i=st.integers(1, 60), o=st.integers(1, 60))
def test_adaptive_widest_window(i, o):
    widths = [-(-((j + 1) * i) // o) - (j * i) // o for j in range(o)]
    (ax,) = convarith.AdaptiveAvgPool(o).arithmetic((i,))
    assert ax.output == o and ax.kernel_size == max(widths)


@settings(max_examples=200, deadline=None)
@given(first=st.integers(0, 30), span=st.integers(0, 30), o=st.integers(1, 12), k=kernels, s=strides, d=dilations)
def test_read_by_windows_matches_enumeration(first, span, o, k, s, d):
    last = first + span
    read = {j * s + t * d for j in range(o) for t in range(k)}
    assert read_by_windows(first, last, o, k, s, d) == sum(1 for x in range(first, last + 1) if x in read)


@settings(max_examples=100, deadline=None)
@given(i=st.integers(4, 60), o=st.integers(1, 60), transposed=st.booleans())
def test_every_solution_solves(i, o, transposed):
    op = "conv_transpose" if transposed else "conv"
    for framework in convarith.FRAMEWORKS:
        for solution in convarith.solve(i, o, op=op, framework=framework, limit=5):
            if transposed and framework == "tf":
                assert solution.layer.output_shape((i,), output_size=(o,)) == (o,)
            else:
                assert solution.layer.output_shape((i,)) == (o,)


@settings(max_examples=300, deadline=None)
@given(i=st.integers(1, 25), k=kernels, s=strides, d=dilations, p=st.integers(0, 8))
def test_transposed_unread_matches_enumeration_when_cropping_hard(i, k, s, d, p):
    layer = convarith.ConvTranspose(k, stride=s, padding=p, dilation=d)
    try:
        (ax,) = layer.arithmetic((i,))
    except convarith.ShapeError:
        return
    kept = {m for m in range(i) if any(0 <= m * s + t * d - p < ax.output for t in range(k))}
    assert ax.unread == i - len(kept)


def test_huge_sizes_answer_at_once():
    """Closed forms, not loops over cells or taps: these must not hang."""
    (ax,) = convarith.Conv(10**9, stride=7, dilation=3).arithmetic((10**12,))
    assert ax.output == (10**12 - 3 * (10**9 - 1) - 1) // 7 + 1
    # Reads land on 7j + 3t: the six numbers 7j + 3t cannot make (1, 2, 4, 5, 8, 11) at the
    # start, their mirror images below the last window's last tap, and the 6 cells past it.
    assert ax.unread == 18 and ax.unread_padding == 0
    (ax,) = convarith.ConvTranspose(10**8, stride=10**6, padding=5).arithmetic((10**9,))
    assert ax.output == (10**9 - 1) * 10**6 + 10**8 - 10
    # 999,999,000 windows of 10**6 cells with a gap of one between them: the gaps and the
    # tail past the last window are what is left of 10**15
    (ax,) = convarith.Conv(10**6, stride=10**6 + 1).arithmetic((10**15,))
    assert ax.output == 999_999_000 and ax.unread == 10**15 - 999_999_000 * 10**6
    (ax,) = convarith.Conv(10**6, stride=10**6 + 1, dilation=2).arithmetic((10**15,))
    assert ax.unread is None  # 10**6 tap lattices: reported as not analysed
    assert convarith.MaxPool(10**7, stride=10**7).output_shape((10**9,)) == (100,)
