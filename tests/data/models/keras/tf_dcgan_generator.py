# Source: TensorFlow tutorial "Deep Convolutional Generative Adversarial Network",
#   https://www.tensorflow.org/tutorials/generative/dcgan
#   github tensorflow/docs (commit 7c3650212740204359d4ceae481abc79345541be), site/en/tutorials/generative/dcgan.ipynb, make_generator_model().
# Licence: Apache License 2.0 (tensorflow/docs)
# Trimmed: the notebook's other cells (MNIST loading, the discriminator, losses,
#   training loop, image generation/plots). From the generator cell, the call
#   `generator = make_generator_model()` is kept; the following test lines
#   (tf.random.normal noise, generator(noise, training=False), plt.imshow) are
#   dropped. Imports reduced to `import tensorflow as tf` and
#   `from tensorflow.keras import layers` as in the notebook's import cell.
#   No data-derived value replaced (input_shape=(100,) is a literal).
# Model variable: generator (Sequential() + .add inside a function, with
#   `assert model.output_shape == ...` lines, LeakyReLU layers, use_bias=False
#   Conv2DTranspose with output_padding None).

import tensorflow as tf
from tensorflow.keras import layers


def make_generator_model():
    model = tf.keras.Sequential()
    model.add(layers.Dense(7*7*256, use_bias=False, input_shape=(100,)))
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())

    model.add(layers.Reshape((7, 7, 256)))
    assert model.output_shape == (None, 7, 7, 256)  # Note: None is the batch size

    model.add(layers.Conv2DTranspose(128, (5, 5), strides=(1, 1), padding='same', use_bias=False))
    assert model.output_shape == (None, 7, 7, 128)
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())

    model.add(layers.Conv2DTranspose(64, (5, 5), strides=(2, 2), padding='same', use_bias=False))
    assert model.output_shape == (None, 14, 14, 64)
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())

    model.add(layers.Conv2DTranspose(1, (5, 5), strides=(2, 2), padding='same', use_bias=False, activation='tanh'))
    assert model.output_shape == (None, 28, 28, 1)

    return model


generator = make_generator_model()
