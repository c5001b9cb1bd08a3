"""The worked examples of the course material the project grew from (shared notes, section 4)."""

import convarith
from convarith import Conv, MaxPool


def test_single_layers():
    assert Conv(5).output_shape((32, 32)) == (28, 28)
    assert Conv(3).output_shape((7, 7)) == (5, 5)
    assert Conv(3, stride=2).output_shape((7, 7)) == (3, 3)
    assert Conv(3).output_shape((512, 512)) == (510, 510)


def test_filter_through_all_channels():
    # A 7x7x3 input and one 3x3x3 filter: a 2-D convolution over 3 channels.
    assert Conv(3, in_channels=3, out_channels=1).tensor_shape((1, 3, 7, 7)) == (1, 1, 5, 5)


def test_two_5x5_layers_of_ten_filters():
    x = Conv(5, in_channels=3, out_channels=10).tensor_shape((1, 3, 32, 32))
    assert x == (1, 10, 28, 28)
    assert Conv(5, in_channels=10, out_channels=10).tensor_shape(x) == (1, 10, 24, 24)


def test_conv_then_max_pool_on_256():
    x = Conv(3, stride=2, padding=1).output_shape((256, 256))
    assert MaxPool(4, stride=1).output_shape(x) == (125, 125)


def test_pool_halves_vgg_block():
    assert MaxPool(2).tensor_shape((1, 64, 224, 224)) == (1, 64, 112, 112)


def alexnet(size):
    layers = [
        Conv(11, stride=4, in_channels=3, out_channels=96),
        MaxPool(3, stride=2),
        Conv(5, padding=2, in_channels=96, out_channels=256),
        MaxPool(3, stride=2),
        Conv(3, padding=1, in_channels=256, out_channels=384),
        Conv(3, padding=1, in_channels=384, out_channels=384),
        Conv(3, padding=1, in_channels=384, out_channels=256),
        MaxPool(3, stride=2),
    ]
    shapes, x = [], (1, 3, size, size)
    for layer in layers:
        x = layer.tensor_shape(x)
        shapes.append(x[1:])
    return layers, shapes


def test_alexnet_as_taught():
    _, shapes = alexnet(227)
    assert shapes[0] == (96, 55, 55)
    assert shapes[1] == (96, 27, 27)
    assert shapes[2] == (256, 27, 27)
    assert shapes[3] == (256, 13, 13)
    assert shapes[6] == (256, 13, 13)
    assert shapes[7] == (256, 6, 6)
    assert 256 * 6 * 6 == 9216


def test_alexnet_at_224_leaves_input_unread():
    layers, _ = alexnet(224)
    first = layers[0].arithmetic((224, 224))
    assert [a.unread for a in first] == [1, 1]  # (224 - 11) % 4 == 1
    assert all(a.unread == 0 for a in layers[0].arithmetic((227, 227)))


def test_vgg16_shapes_stay_same_then_halve():
    x = (1, 3, 224, 224)
    channels = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
    for c in channels:
        x = (
            MaxPool(2).tensor_shape(x)
            if c == "M"
            else Conv(3, padding=1, in_channels=x[1], out_channels=c).tensor_shape(x)
        )
    assert x == (1, 512, 7, 7)
    assert 512 * 7 * 7 * 4096 == 102_760_448  # the first FC layer's weights, from the notes


def test_mnist_keras_lab():
    x = (1, 28, 28, 1)
    x = Conv(3, in_channels=1, out_channels=32, framework="keras").tensor_shape(x)
    assert x == (1, 26, 26, 32)
    x = Conv(3, in_channels=32, out_channels=64, framework="keras").tensor_shape(x)
    assert x == (1, 24, 24, 64)
    x = MaxPool(2, framework="keras").tensor_shape(x)
    assert x == (1, 12, 12, 64)
    assert x[1] * x[2] * x[3] == 9216


def test_receptive_field_examples_as_shapes():
    # Two stacked 3x3 convolutions see 5x5: a 5x5 input shrinks to one cell; four see 9x9.
    x = (5, 5)
    for _ in range(2):
        x = Conv(3).output_shape(x)
    assert x == (1, 1)
    x = (9, 9)
    for _ in range(4):
        x = Conv(3).output_shape(x)
    assert x == (1, 1)
    # A 3x3 kernel with dilation 2 covers 5x5.
    assert [a.effective_kernel for a in Conv(3, dilation=2).arithmetic((5, 5))] == [5, 5]


def test_strided_same_differs_between_frameworks():
    tf_axis = convarith.Conv(3, stride=2, padding="SAME", framework="tf").arithmetic((224,))[0]
    torch_axis = convarith.Conv(3, stride=2, padding=1).arithmetic((224,))[0]
    assert tf_axis.output == torch_axis.output == 112
    assert tf_axis.padding == (0, 1) and torch_axis.padding == (1, 1)
