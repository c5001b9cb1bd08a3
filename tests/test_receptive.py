"""Receptive fields against brute force: the set of input positions each output depends on."""

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

import convarith
from convarith.receptive import receptive_field

# One layer as (kind, k, s, d, p, output_padding); brute force works on an unbounded line,
# where padding positions are positions like any other (the convention fields use).
layer_st = st.tuples(
    st.sampled_from(["conv", "pool", "tconv"]),
    st.integers(1, 4),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(0, 2),
    st.integers(0, 2),
)


def deps(kind, k, s, d, p, y):
    """Layer-input positions that layer output y reads."""
    if kind == "tconv":
        return {
            m
            for m in range((y + p - (k - 1) * d) // s - 1, (y + p) // s + 2)
            for t in range(k)
            if m * s + t * d - p == y
        }
    step = 1 if kind == "pool" else d
    return {y * s - p + t * step for t in range(k)}


def brute(stack, outputs):
    """Field (as a set of network-input positions) of each of the first outputs."""
    memo = {}

    def field(level, y):
        if level == 0:
            return {y}
        key = (level, y)
        if key not in memo:
            kind, k, s, d, p, a = stack[level - 1]
            memo[key] = set().union(*(field(level - 1, m) for m in deps(kind, k, s, d, p, y)))
        return memo[key]

    return [field(len(stack), y) for y in range(outputs)]


def build(stack):
    layers = []
    for kind, k, s, d, p, a in stack:
        if kind == "conv":
            layers.append(convarith.Conv(k, stride=s, padding=p, dilation=d))
        elif kind == "pool":
            layers.append(convarith.MaxPool(k, stride=s, padding=min(p, k // 2)))
        else:
            layers.append(
                convarith.ConvTranspose(k, stride=s, padding=p, dilation=d, output_padding=a if a < s or a < d else 0)
            )
    return layers


def fields_of(stack):
    stack = [(kind, k, s, d, min(p, k // 2) if kind == "pool" else p, a) for kind, k, s, d, p, a in stack]
    try:
        return stack, receptive_field(build(stack), (60,))[-1][0]
    except convarith.ShapeError:
        return stack, None


@settings(max_examples=400, deadline=None)
@given(stack=st.lists(layer_st, min_size=1, max_size=5))
def test_fields_match_brute_force_exactly(stack):
    """Dilated, strided, pooled and transposed stacks: every output's field, exactly."""
    stack, final = fields_of(stack)
    if final is None:
        return
    outputs = 2 * final.period + 3
    for y, positions in enumerate(brute(stack, outputs)):
        assert final.at(y) == ((min(positions), max(positions)) if positions else None)
    assert final.size == max((max(p) - min(p) + 1 for p in brute(stack, final.period) if p), default=0)


def test_course_examples():
    two = receptive_field([convarith.Conv(3), convarith.Conv(3)], (32, 32))
    assert two[-1][0].size == 5
    four = receptive_field([convarith.Conv(3)] * 4, (32,))
    assert four[-1][0].size == 9
    (dilated,) = receptive_field([convarith.Conv(3, dilation=2)], (32,))
    assert dilated[0].size == 5


def test_tf_same_padding_moves_the_start():
    tf = receptive_field([convarith.Conv(3, stride=2, padding="SAME", framework="tf")], (224,))[0][0]
    torch = receptive_field([convarith.Conv(3, stride=2, padding=1)], (224,))[0][0]
    assert (tf.start, torch.start) == (0, -1)
    assert tf.size == torch.size == 3 and tf.jump == torch.jump == 2
    assert tf.centre == 1 and torch.centre == 0


def test_transposed_jump_is_fractional():
    fields = receptive_field(
        [convarith.Conv(3, stride=2, padding=1), convarith.ConvTranspose(4, stride=2, padding=1)], (16,)
    )
    assert fields[-1][0].jump == Fraction(1)
    up = receptive_field([convarith.ConvTranspose(4, stride=2, padding=1)], (8,))[0][0]
    assert up.jump == Fraction(1, 2) and up.size == 2 and up.period == 2
    assert (up.at(0), up.at(1), up.at(2)) == ((-1, 0), (0, 1), (0, 1))


# Wider kernels, strides and dilations than periods: the closed form's cycle truncation
# (the first and last period's worth of taps) is exercised, not bypassed.
wide_layer_st = st.tuples(
    st.sampled_from(["conv", "pool", "tconv"]),
    st.integers(1, 12),
    st.integers(1, 5),
    st.integers(1, 5),
    st.integers(0, 6),
    st.integers(0, 4),
)


@settings(max_examples=300, deadline=None)
@given(stack=st.lists(wide_layer_st, min_size=1, max_size=4))
def test_wide_windows_after_upsampling_match_brute_force(stack):
    stack, final = fields_of(stack)
    if final is None:
        return
    for y, positions in enumerate(brute(stack, 2 * final.period + 3)):
        assert final.at(y) == ((min(positions), max(positions)) if positions else None)


@settings(max_examples=200, deadline=None)
@given(size_in=st.integers(1, 40), size_out=st.integers(1, 40), up=st.integers(1, 3))
def test_adaptive_pool_after_upsampling_matches_brute_force(size_in, size_out, up):
    from math import ceil, floor

    stack = [("tconv", up, up, 1, 0, 0)]
    first = receptive_field(build(stack), (size_in,))
    size_mid = first[0][0].period and convarith.ConvTranspose(up, stride=up).output_shape((size_in,))[0]
    final = receptive_field([*build(stack), convarith.AdaptiveAvgPool(size_out)], (size_in,))[-1][0]
    mid = brute(stack, size_mid)
    for j in range(size_out):
        window = range(floor(j * size_mid / size_out), ceil((j + 1) * size_mid / size_out))
        positions = set().union(*(mid[m] for m in window))
        assert final.at(j) == (min(positions), max(positions))


def test_huge_kernels_and_inputs_cost_nothing():
    """Closed form: a kernel of 10**9 or an input of 10**19 is as quick as a small one."""
    import time

    start = time.perf_counter()
    (field,) = receptive_field([convarith.Conv(10**9, dilation=10**6)], (10**18,))[0]
    assert field.size == (10**9 - 1) * 10**6 + 1 and field.jump == 1
    up = [convarith.ConvTranspose(3, stride=2), convarith.Conv(10**12, dilation=7, stride=10**12)]
    last = receptive_field(up, (10**19,))[-1][0]
    assert last.jump == Fraction(10**12, 2)
    pooled = receptive_field([convarith.Conv(3, stride=2), convarith.AdaptiveAvgPool(1)], (10**19,))[-1][0]
    # stride 2 on an even size leaves the last cell unread: (5 * 10**18 - 2) * 2 + 2 is the last one seen
    assert pooled.at(0) == (0, 10**19 - 2)
    assert time.perf_counter() - start < 10.0  # walking the taps would take centuries
