# Source: keras.io code example "Convolutional autoencoder for image denoising"
#   (Santiago L. Valdarrama), https://keras.io/examples/vision/autoencoder/
#   github keras-team/keras-io, examples/vision/autoencoder.py
#   (stored version at commit 28033e1c219da0430c695fdcbee81552b8c5f594)
# Licence: Apache License 2.0 (keras-team/keras-io)
# Trimmed: prose docstrings; preprocess(), noise(), display() helpers; MNIST
#   loading and noising; both fit() calls and the predictions/display. The
#   unused `from tensorflow.keras.datasets import mnist` and matplotlib import
#   dropped. Note the model input is bound to the name `input` (shadows the
#   builtin) exactly as in the original. No data-derived value replaced.
# Model variable: autoencoder (Functional)

import numpy as np
import tensorflow as tf

from tensorflow.keras.models import Model
from tensorflow.keras.layers import Conv2D, MaxPooling2D, Input, UpSampling2D

input = Input(shape=(28, 28, 1))

# Encoder
x = Conv2D(32, (3, 3), activation="relu", padding="same")(input)
x = MaxPooling2D((2, 2), padding="same")(x)
x = Conv2D(32, (3, 3), activation="relu", padding="same")(x)
x = MaxPooling2D((2, 2), padding="same")(x)

# Decoder
x = Conv2D(32, (3, 3), activation="relu", padding="same")(x)
x = UpSampling2D((2, 2))(x)
x = Conv2D(32, (3, 3), activation="relu", padding="same")(x)
x = UpSampling2D((2, 2))(x)
x = Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)

# Autoencoder
autoencoder = Model(input, x)
autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
autoencoder.summary()
