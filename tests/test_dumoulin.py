"""Relationships 1-15 of Dumoulin & Visin, 'A guide to convolution arithmetic' (arXiv:1603.07285).

Each relationship is stated in the paper's own terms (i, k, s, p, o) and checked over a
range of sizes; transposed relationships are checked through PyTorch-style ConvTranspose.
"""

import itertools

import pytest

import convarith

SIZES = range(1, 25)
KERNELS = range(1, 8)


def conv(i, k, s=1, p=0, d=1):
    return convarith.Conv(k, stride=s, padding=p, dilation=d).output_shape((i,))[0]


def tconv(i, k, s=1, p=0, a=0):
    return convarith.ConvTranspose(k, stride=s, padding=p, output_padding=a).output_shape((i,))[0]


def cases(condition):
    found = [(i, k) for i, k in itertools.product(SIZES, KERNELS) if condition(i, k)]
    assert found
    return found


def test_relationship_1_no_padding_unit_strides():
    for i, k in cases(lambda i, k: k <= i):
        assert conv(i, k) == (i - k) + 1


def test_relationship_2_zero_padding_unit_strides():
    for (i, k), p in itertools.product(cases(lambda i, k: True), range(0, 5)):
        if i + 2 * p >= k:
            assert conv(i, k, p=p) == (i - k) + 2 * p + 1


def test_relationship_3_half_padding():
    for i, k in cases(lambda i, k: k % 2 == 1):
        assert conv(i, k, p=k // 2) == i
        assert convarith.Conv(k, padding="same").output_shape((i,)) == (i,)


def test_relationship_4_full_padding():
    for i, k in cases(lambda i, k: True):
        assert conv(i, k, p=k - 1) == i + (k - 1)


def test_relationship_5_no_padding_non_unit_strides():
    for (i, k), s in itertools.product(cases(lambda i, k: k <= i), range(1, 5)):
        assert conv(i, k, s=s) == (i - k) // s + 1


def test_relationship_6_general():
    for (i, k), s, p in itertools.product(cases(lambda i, k: True), range(1, 5), range(0, 4)):
        if i + 2 * p >= k:
            assert conv(i, k, s=s, p=p) == (i + 2 * p - k) // s + 1


def transposes(i, k, s, p):
    """The transposed layer of conv(i, k, s, p) maps its output o back to i."""
    o = conv(i, k, s=s, p=p)
    return o, (i + 2 * p - k) % s


def test_relationship_7_and_8_transpose_of_unpadded_unit_stride():
    for i, k in cases(lambda i, k: k <= i):
        o, _ = transposes(i, k, 1, 0)
        assert tconv(o, k) == o + (k - 1) == i
        (ax,) = convarith.ConvTranspose(k).arithmetic((o,))
        assert ax.transposed.padding == (k - 1, k - 1) and ax.transposed.zeros_between == 0


def test_relationship_9_transpose_of_padded_unit_stride():
    for (i, k), p in itertools.product(cases(lambda i, k: True), range(0, 4)):
        if i + 2 * p >= k:
            o, _ = transposes(i, k, 1, p)
            if o + (k - 1) - 2 * p >= 1:
                assert tconv(o, k, p=p) == o + (k - 1) - 2 * p == i
                (ax,) = convarith.ConvTranspose(k, padding=p).arithmetic((o,))
                assert ax.transposed.padding == (k - p - 1, k - p - 1)


def test_relationship_10_transpose_of_half_padding():
    for i, k in cases(lambda i, k: k % 2 == 1):
        assert tconv(i, k, p=k // 2) == i


def test_relationship_11_transpose_of_full_padding():
    for i, k in cases(lambda i, k: i > k - 1):
        assert tconv(i, k, p=k - 1) == i - (k - 1)
        (ax,) = convarith.ConvTranspose(k, padding=k - 1).arithmetic((i,))
        assert ax.transposed.padding == (0, 0)


def test_relationship_12_transpose_of_strided_unpadded():
    for (i, k), s in itertools.product(cases(lambda i, k: k <= i), range(2, 5)):
        if (i - k) % s == 0:
            o, _ = transposes(i, k, s, 0)
            assert tconv(o, k, s=s) == s * (o - 1) + k == i
            (ax,) = convarith.ConvTranspose(k, stride=s).arithmetic((o,))
            assert ax.transposed.zeros_between == s - 1
            assert ax.transposed.stretched_input == o + (o - 1) * (s - 1)
            assert ax.transposed.padding == (k - 1, k - 1)


def test_relationship_13_transpose_of_strided_padded():
    for (i, k), s, p in itertools.product(cases(lambda i, k: True), range(2, 5), range(0, 4)):
        if i + 2 * p >= k and (i + 2 * p - k) % s == 0:
            o, _ = transposes(i, k, s, p)
            if s * (o - 1) + k - 2 * p >= 1:
                assert tconv(o, k, s=s, p=p) == s * (o - 1) + k - 2 * p == i


def test_relationship_14_transpose_with_output_padding():
    for (i, k), s, p in itertools.product(cases(lambda i, k: True), range(2, 5), range(0, 4)):
        if i + 2 * p >= k:
            o, a = transposes(i, k, s, p)
            if s * (o - 1) + a + k - 2 * p >= 1:
                assert tconv(o, k, s=s, p=p, a=a) == s * (o - 1) + a + k - 2 * p == i
                (ax,) = convarith.ConvTranspose(k, stride=s, padding=p, output_padding=a).arithmetic((o,))
                assert ax.transposed.extra == a
                assert ax.transposed.padding == (k - p - 1, k - p - 1 + a)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_relationship_15_dilation(d):
    for (i, k), s, p in itertools.product(cases(lambda i, k: True), range(1, 4), range(0, 3)):
        if i + 2 * p >= k + (k - 1) * (d - 1):
            assert conv(i, k, s=s, p=p, d=d) == (i + 2 * p - k - (k - 1) * (d - 1)) // s + 1


@pytest.mark.parametrize(
    "name,i,k,s,p,d,o",
    [
        ("no_padding_no_strides", 4, 3, 1, 0, 1, 2),
        ("arbitrary_padding_no_strides", 5, 4, 1, 2, 1, 6),
        ("same_padding_no_strides", 5, 3, 1, 1, 1, 5),
        ("full_padding_no_strides", 5, 3, 1, 2, 1, 7),
        ("no_padding_strides", 5, 3, 2, 0, 1, 2),
        ("padding_strides", 5, 3, 2, 1, 1, 3),
        ("padding_strides_odd", 6, 3, 2, 1, 1, 3),
        ("dilation", 7, 3, 1, 0, 2, 3),
    ],
)
def test_the_papers_animations(name, i, k, s, p, d, o):
    assert convarith.Conv(k, stride=s, padding=p, dilation=d).output_shape((i, i)) == (o, o)
    if d == 1:
        a = (i + 2 * p - k) % s
        assert convarith.ConvTranspose(k, stride=s, padding=p, output_padding=a).output_shape((o, o)) == (i, i)
