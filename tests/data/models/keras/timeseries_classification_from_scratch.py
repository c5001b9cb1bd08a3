# Source: keras.io code example "Timeseries classification from scratch"
#   (hfawaz), https://keras.io/examples/timeseries/timeseries_classification_from_scratch/
#   github keras-team/keras-io, examples/timeseries/timeseries_classification_from_scratch.py
#   (stored version at commit 02cfaa2fc681064105deb460bde3a5f5e4e0e817)
# Licence: Apache License 2.0 (keras-team/keras-io)
# Trimmed: prose docstrings; readucr() and the FordA download; plotting;
#   reshaping/shuffling/relabelling of x_train/y_train; keras.utils.plot_model;
#   training (callbacks, fit), load_model, evaluation and plots; the unused
#   `from sklearn.metrics import accuracy_score` and matplotlib imports.
# Replaced data-derived values by literals:
#   `num_classes = len(np.unique(y_train))`  ->  `num_classes = 2`
#       (FordA labels are -1/1, relabelled 0/1)
#   `make_model(input_shape=x_train.shape[1:])`  ->  `make_model(input_shape=(500, 1))`
#       (FordA series have 500 time steps; x_train is reshaped to (n, 500, 1))
# Model variable: model (Functional, built by make_model(input_shape))

import tensorflow as tf
from tensorflow import keras
import numpy as np

num_classes = 2  # was: len(np.unique(y_train))


def make_model(input_shape):
    input_layer = keras.layers.Input(input_shape)

    conv1 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(input_layer)
    conv1 = keras.layers.BatchNormalization()(conv1)
    conv1 = keras.layers.ReLU()(conv1)

    conv2 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv1)
    conv2 = keras.layers.BatchNormalization()(conv2)
    conv2 = keras.layers.ReLU()(conv2)

    conv3 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv2)
    conv3 = keras.layers.BatchNormalization()(conv3)
    conv3 = keras.layers.ReLU()(conv3)

    gap = keras.layers.GlobalAveragePooling1D()(conv3)

    output_layer = keras.layers.Dense(num_classes, activation="softmax")(gap)

    return keras.models.Model(inputs=input_layer, outputs=output_layer)


model = make_model(input_shape=(500, 1))  # was: input_shape=x_train.shape[1:]

model.compile(
    optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
)
