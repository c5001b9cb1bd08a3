# Source: keras.io code example "Simple MNIST convnet" (fchollet),
#   https://keras.io/examples/vision/mnist_convnet/
#   github keras-team/keras-io, examples/vision/mnist_convnet.py
#   (stored version at commit 02cfe8063b505adc073986c91729f22039f77ad0)
# Licence: Apache License 2.0 (keras-team/keras-io)
# Trimmed: the title docstring and prose docstrings; data loading and
#   preprocessing (keras.datasets.mnist.load_data(), astype, expand_dims, the
#   prints, to_categorical); training (batch_size/epochs constants, model.fit)
#   and evaluation. Model code, imports and constants are verbatim.
#   No data-derived value needed replacing (num_classes and input_shape are
#   literals in the original).
# Model variable: model (Sequential, starts with keras.Input)

import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

# Model / data parameters
num_classes = 10
input_shape = (28, 28, 1)

model = keras.Sequential(
    [
        keras.Input(shape=input_shape),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ]
)

model.summary()

model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
