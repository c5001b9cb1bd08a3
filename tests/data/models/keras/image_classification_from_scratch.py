# Source: keras.io code example "Image classification from scratch" (fchollet),
#   https://keras.io/examples/vision/image_classification_from_scratch/
#   github keras-team/keras-io, examples/vision/image_classification_from_scratch.py
#   (stored version at commit 0e918412690b44285f82f699ce19d919fb14cee2; this
#   version's make_model has a 32- then 64-filter entry block and
#   `for size in [128, 256, 512, 728]`; the rendered .md of another revision has
#   a single 128-filter entry conv and [256, 512, 728]).
# Licence: Apache License 2.0 (keras-team/keras-io)
# Trimmed: prose docstrings; the dataset download/filtering (os.listdir loop),
#   image_dataset_from_directory, plotting, the data_augmentation visualisation
#   loop, dataset .map/.prefetch, keras.utils.plot_model(...), training
#   (callbacks, fit) and inference. `data_augmentation` is kept verbatim
#   although in this revision it is applied to the dataset (option 2), NOT
#   inside make_model, so it is not part of `model`.
#   No data-derived value needed replacing (image_size = (180, 180) is a literal
#   in the original; num_classes=2 is a literal argument).
# Model variable: model (Functional)

import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

image_size = (180, 180)
batch_size = 128

data_augmentation = keras.Sequential(
    [
        layers.RandomFlip("horizontal"),
        layers.RandomRotation(0.1),
    ]
)


def make_model(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)

    # Entry block
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Conv2D(32, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    x = layers.Conv2D(64, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    previous_block_activation = x  # Set aside residual

    for size in [128, 256, 512, 728]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)

        # Project residual
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(
            previous_block_activation
        )
        x = layers.add([x, residual])  # Add back residual
        previous_block_activation = x  # Set aside next residual

    x = layers.SeparableConv2D(1024, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    x = layers.GlobalAveragePooling2D()(x)
    if num_classes == 2:
        activation = "sigmoid"
        units = 1
    else:
        activation = "softmax"
        units = num_classes

    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(units, activation=activation)(x)
    return keras.Model(inputs, outputs)


model = make_model(input_shape=image_size + (3,), num_classes=2)

model.compile(
    optimizer=keras.optimizers.Adam(1e-3),
    loss="binary_crossentropy",
    metrics=["accuracy"],
    jit_compile=True,  # Enable XLA compilation for faster execution
)
