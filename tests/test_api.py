"""The public API: errors name their parameter, per-axis values, layouts, N-D inputs."""

import pytest

import convarith
from convarith import AvgPool, Conv, ConvTranspose, MaxPool, ShapeError


def raises(parameter, fn, *args, **kwargs):
    with pytest.raises(ShapeError) as info:
        fn(*args, **kwargs)
    assert isinstance(info.value, ValueError)
    assert info.value.parameter == parameter, str(info.value)
    assert str(info.value).startswith(f"{parameter}: ")
    return str(info.value)


def test_errors_name_the_parameter_and_the_rule():
    assert "strided" in raises("padding", Conv, 3, stride=2, padding="same")
    assert "positive" in raises("stride", Conv, 3, stride=0)
    assert "divisible" in raises("out_channels", Conv, 3, groups=2, in_channels=4, out_channels=3)
    assert "case-sensitive" in raises("padding", Conv, 3, padding="SAME")
    assert "larger than the padded input" in raises("kernel_size", Conv(5).output_shape, (3, 3))
    assert "stride or dilation" in raises(
        "output_padding", ConvTranspose(3, stride=2, output_padding=2).output_shape, (4,)
    )
    assert "half" in raises("padding", MaxPool(2, padding=2).output_shape, (8,))
    assert "framework" in raises("framework", Conv, 3, framework="caffe")
    assert "bool" not in raises("kernel_size", Conv, "3")


def test_per_axis_values_must_agree():
    raises("kernel_size", Conv, (3, 3), stride=(1, 1, 1))
    assert "3 spatial axes" in raises("input", Conv((3, 3)).output_shape, (5, 5, 5))
    raises("input", Conv(3).output_shape, (5, 0))
    raises("input", Conv(3).output_shape, ())


def test_any_number_of_spatial_axes():
    assert Conv(3, padding=1).output_shape((8,)) == (8,)
    assert Conv(3, stride=2).output_shape((9, 9, 9, 9)) == (4, 4, 4, 4)
    assert Conv((3, 1), stride=(2, 1)).output_shape((9, 5)) == (4, 5)


def test_tensor_shape_layouts_and_channels():
    assert Conv(3, in_channels=3, out_channels=8).tensor_shape((2, 3, 32, 32)) == (2, 8, 30, 30)
    assert Conv(3, in_channels=3, out_channels=8, framework="keras").tensor_shape((2, 32, 32, 3)) == (2, 30, 30, 8)
    assert "expects in_channels=4" in raises(
        "in_channels", Conv(3, in_channels=4, out_channels=8).tensor_shape, (1, 3, 8, 8)
    )
    raises("out_channels", Conv(3).tensor_shape, (1, 3, 8, 8))
    assert MaxPool(2).tensor_shape((1, 5, 8, 8)) == (1, 5, 4, 4)


def test_torch_output_size_range_for_transposed():
    layer = ConvTranspose(3, stride=2, padding=1)
    assert layer.output_shape((13,)) == (25,)
    assert layer.output_shape((13,), output_size=(26,)) == (26,)
    assert "25 to 26" in raises("output_size", layer.output_shape, (13,), output_size=(27,))


def test_keras_output_padding_none_is_not_zero():
    none = ConvTranspose(4, stride=2, padding="valid", framework="keras")
    zero = ConvTranspose(4, stride=2, padding="valid", output_padding=0, framework="keras")
    assert none.output_shape((5,)) == (12,)  # in*s + max(k - s, 0)
    assert zero.output_shape((5,)) == (12,)  # (in-1)*s + k
    assert ConvTranspose(1, stride=3, padding="valid", framework="keras").output_shape((5,)) == (15,)
    assert ConvTranspose(1, stride=3, padding="valid", output_padding=0, framework="keras").output_shape((5,)) == (13,)


def test_keras_and_tf_specific_rules():
    assert "even on different axes" in raises(
        "dilation", Conv, (3, 3), stride=(2, 1), dilation=(1, 2), framework="keras"
    )
    assert Conv(3, dilation=2, padding="causal", framework="keras").arithmetic((10,))[0].padding == (4, 0)
    assert "1-D" in raises("padding", Conv(3, padding="causal", framework="keras").output_shape, (10, 10))
    explicit = Conv(3, padding=((0, 1), (2, 0)), framework="tf").arithmetic((5, 5))
    assert [a.padding for a in explicit] == [(0, 1), (2, 0)]
    raises("padding", Conv(3, padding=((0, 1),), framework="tf").output_shape, (5,))
    raises("ceil_mode", MaxPool, 2, ceil_mode=True, framework="tf")


def test_tf_conv_transpose_output_size():
    layer = ConvTranspose(4, stride=2, padding="SAME", framework="tf")
    assert layer.output_shape((13,), output_size=(26,)) == (26,)
    assert layer.output_shape((13,), output_size=(25,)) == (25,)
    raises("output_size", layer.output_shape, (13,), output_size=(27,))


def test_avg_pool_and_adaptive():
    assert AvgPool(3, stride=2, padding=1, ceil_mode=True).output_shape((6,)) == (4,)
    assert convarith.AdaptiveAvgPool((1, None)).output_shape((7, 9)) == (1, 9)
    raises("output_size", convarith.AdaptiveMaxPool, -1)
    # torch: AdaptiveMaxPool2d((0, 3)) on (1, 2, 5, 6) gives an empty (1, 2, 0, 3) tensor
    assert convarith.AdaptiveMaxPool((0, 3)).tensor_shape((1, 2, 5, 6)) == (1, 2, 0, 3)


def test_arithmetic_of_a_transposed_layer_is_its_equivalent_convolution():
    (ax,) = ConvTranspose(3, stride=2, padding=1, output_padding=1).arithmetic((3,))
    eq = ax.transposed
    assert (eq.zeros_between, eq.stretched_input, eq.padding, eq.extra) == (1, 5, (1, 2), 1)
    assert eq.stretched_input + sum(eq.padding) - 3 + 1 == ax.output == 6


def test_repr_round_trips():
    layer = ConvTranspose(4, stride=2, padding=1, in_channels=8, out_channels=4)
    again = eval(repr(layer), {"ConvTranspose": ConvTranspose})
    assert again.tensor_shape((1, 8, 7, 7)) == layer.tensor_shape((1, 8, 7, 7)) == (1, 4, 14, 14)
