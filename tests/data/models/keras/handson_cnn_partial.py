# Source: Aurélien Géron, "Hands-On Machine Learning with Scikit-Learn, Keras
#   and TensorFlow" (3rd ed.), notebook 14_deep_computer_vision_with_cnns.ipynb,
#   github ageron/handson-ml3 (commit e3f3f9e66d58cfa1d068a498433063a1d3fba9ef), the Fashion-MNIST CNN built with
#   `DefaultConv2D = partial(tf.keras.layers.Conv2D, ...)`.
# Licence: Apache License 2.0 (ageron/handson-ml3)
# Trimmed: the Fashion-MNIST loading/splitting cell and the compile/fit/
#   evaluate/predict cell ("extra code"). The model-building cell is verbatim
#   (with its tf.random.set_seed line). No data-derived value replaced
#   (input_shape=[28, 28, 1] is a literal in the original).
# Model variable: model (Sequential list; first layer gets input_shape=...,
#   which Keras 3 accepts on layers with a warning).

import tensorflow as tf

from functools import partial

tf.random.set_seed(42)  # extra code – ensures reproducibility
DefaultConv2D = partial(tf.keras.layers.Conv2D, kernel_size=3, padding="same",
                        activation="relu", kernel_initializer="he_normal")
model = tf.keras.Sequential([
    DefaultConv2D(filters=64, kernel_size=7, input_shape=[28, 28, 1]),
    tf.keras.layers.MaxPool2D(),
    DefaultConv2D(filters=128),
    DefaultConv2D(filters=128),
    tf.keras.layers.MaxPool2D(),
    DefaultConv2D(filters=256),
    DefaultConv2D(filters=256),
    tf.keras.layers.MaxPool2D(),
    tf.keras.layers.Flatten(),
    tf.keras.layers.Dense(units=128, activation="relu",
                          kernel_initializer="he_normal"),
    tf.keras.layers.Dropout(0.5),
    tf.keras.layers.Dense(units=64, activation="relu",
                          kernel_initializer="he_normal"),
    tf.keras.layers.Dropout(0.5),
    tf.keras.layers.Dense(units=10, activation="softmax")
])
