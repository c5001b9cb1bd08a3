# Source: keras.io code example "3D image classification from CT scans"
#   (Hasib Zunair), https://keras.io/examples/vision/3D_image_classification/
#   github keras-team/keras-io, examples/vision/md/3D_image_classification.md
#   (the rendered example; the revision with get_model(width=128, height=128,
#   depth=64), GlobalAveragePooling3D and Dense(512). The stored
#   examples/vision/3D_image_classification.py is an older revision with
#   get_model(img_size, num_classes) and Flatten.)
# Licence: Apache License 2.0 (keras-team/keras-io)
# Trimmed: prose; dataset download and unzip; nibabel/scipy/cv2 scan loading
#   and resizing; augmentation (scipy.ndimage rotate) and tf.data pipelines;
#   slice plotting; training (lr schedule kept in compile, callbacks and fit
#   dropped); the history plots and prediction. Imports reduced to those of the
#   Setup cell used by the model (os/zipfile/numpy kept as written).
#   No data-derived value needed replacing (the call uses literal arguments).
# Model variable: model (Functional, name="3dcnn")

import os
import zipfile
import numpy as np
import tensorflow as tf

from tensorflow import keras
from tensorflow.keras import layers


def get_model(width=128, height=128, depth=64):
    """build a 3D convolutional neural network model"""

    inputs = keras.Input((width, height, depth, 1))

    x = layers.Conv3D(filters=64, kernel_size=3, activation="relu")(inputs)
    x = layers.MaxPool3D(pool_size=2)(x)
    x = layers.BatchNormalization()(x)

    x = layers.Conv3D(filters=64, kernel_size=3, activation="relu")(x)
    x = layers.MaxPool3D(pool_size=2)(x)
    x = layers.BatchNormalization()(x)

    x = layers.Conv3D(filters=128, kernel_size=3, activation="relu")(x)
    x = layers.MaxPool3D(pool_size=2)(x)
    x = layers.BatchNormalization()(x)

    x = layers.Conv3D(filters=256, kernel_size=3, activation="relu")(x)
    x = layers.MaxPool3D(pool_size=2)(x)
    x = layers.BatchNormalization()(x)

    x = layers.GlobalAveragePooling3D()(x)
    x = layers.Dense(units=512, activation="relu")(x)
    x = layers.Dropout(0.3)(x)

    outputs = layers.Dense(units=1, activation="sigmoid")(x)

    # Define the model.
    model = keras.Model(inputs, outputs, name="3dcnn")
    return model


# Build model.
model = get_model(width=128, height=128, depth=64)
model.summary()

# Compile model.
initial_learning_rate = 0.0001
lr_schedule = keras.optimizers.schedules.ExponentialDecay(
    initial_learning_rate, decay_steps=100000, decay_rate=0.96, staircase=True
)
model.compile(
    loss="binary_crossentropy",
    optimizer=keras.optimizers.Adam(learning_rate=lr_schedule),
    metrics=["acc"],
)
