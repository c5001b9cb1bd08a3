# Source: TensorFlow tutorial "Convolutional Neural Network (CNN)",
#   https://www.tensorflow.org/tutorials/images/cnn
#   github tensorflow/docs (commit 7c3650212740204359d4ceae481abc79345541be), site/en/tutorials/images/cnn.ipynb
# Licence: Apache License 2.0 (tensorflow/docs)
# Trimmed: CIFAR-10 download and normalisation, the image plot, training
#   (compile/fit), evaluation and plots. The two model cells (the convolutional
#   base, model.summary(), then the Dense head added to the same model) are
#   concatenated verbatim; the intermediate model.summary() is kept.
#   No data-derived value replaced (input_shape=(32, 32, 3) is a literal).
# Model variable: model (Sequential() + .add, layers added in two groups).

import tensorflow as tf

from tensorflow.keras import datasets, layers, models

model = models.Sequential()
model.add(layers.Conv2D(32, (3, 3), activation='relu', input_shape=(32, 32, 3)))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(64, (3, 3), activation='relu'))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(64, (3, 3), activation='relu'))

model.summary()

model.add(layers.Flatten())
model.add(layers.Dense(64, activation='relu'))
model.add(layers.Dense(10))

model.summary()
