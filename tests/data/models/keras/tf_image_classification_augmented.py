# Source: TensorFlow tutorial "Image classification" (flowers),
#   https://www.tensorflow.org/tutorials/images/classification
#   github tensorflow/docs (commit 7c3650212740204359d4ceae481abc79345541be), site/en/tutorials/images/classification.ipynb
# Licence: Apache License 2.0 (tensorflow/docs)
# Trimmed: dataset download (flower_photos), image_dataset_from_directory,
#   caching/prefetch, the plots, the FIRST model (without augmentation, which
#   was also bound to `model`) with its training, the augmentation
#   visualisation loop, training of this model, and the TFLite part. Kept: the
#   import cell (pathlib/PIL/matplotlib/numpy dropped as unused by the model),
#   the img_height/img_width constants, data_augmentation, and the second model
#   (with data augmentation and Dropout) plus its compile/summary cells.
# Replaced data-derived values by literals:
#   `class_names = train_ds.class_names` / `num_classes = len(class_names)`
#       -> `num_classes = 5` (daisy, dandelion, roses, sunflowers, tulips)
# Model variable: model (Sequential list whose first element is the nested
#   Sequential `data_augmentation` = RandomFlip(input_shape=...),
#   RandomRotation, RandomZoom; then Rescaling, Conv2D/MaxPooling2D, Dropout,
#   Flatten, Dense with name="outputs").

import tensorflow as tf

from tensorflow import keras
from tensorflow.keras import layers
from tensorflow.keras.models import Sequential

batch_size = 32
img_height = 180
img_width = 180

num_classes = 5  # was: num_classes = len(class_names), class_names = train_ds.class_names

data_augmentation = keras.Sequential(
  [
    layers.RandomFlip("horizontal",
                      input_shape=(img_height,
                                  img_width,
                                  3)),
    layers.RandomRotation(0.1),
    layers.RandomZoom(0.1),
  ]
)

model = Sequential([
  data_augmentation,
  layers.Rescaling(1./255),
  layers.Conv2D(16, 3, padding='same', activation='relu'),
  layers.MaxPooling2D(),
  layers.Conv2D(32, 3, padding='same', activation='relu'),
  layers.MaxPooling2D(),
  layers.Conv2D(64, 3, padding='same', activation='relu'),
  layers.MaxPooling2D(),
  layers.Dropout(0.2),
  layers.Flatten(),
  layers.Dense(128, activation='relu'),
  layers.Dense(num_classes, name="outputs")
])

model.compile(optimizer='adam',
              loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=['accuracy'])

model.summary()
