# Source: Aurélien Géron, "Hands-On Machine Learning with Scikit-Learn, Keras
#   and TensorFlow" (3rd ed.), notebook 17_autoencoders_gans_and_diffusion_models.ipynb,
#   github ageron/handson-ml3 (commit e3f3f9e66d58cfa1d068a498433063a1d3fba9ef), the convolutional autoencoder (conv_encoder / conv_decoder / conv_ae).
# Licence: Apache License 2.0 (ageron/handson-ml3)
# Trimmed: Fashion-MNIST loading; the "extra code" compile + fit lines and the
#   reconstruction plots. Model code verbatim.
# NO INPUT SHAPE IN THE SOURCE: none of the three Sequentials declares an input;
#   the notebook builds them on fit() with X_train of shape (n, 28, 28)
#   (Fashion-MNIST, not expanded). The file is left as written; the golden
#   generator calls conv_ae.build([None, 28, 28]) and records "build_input".
#   A static reader must be told the input shape [None, 28, 28].
# Model variable: conv_ae (Sequential of two nested Sequentials).
#   Conv2DTranspose here: output_padding left at None, one with padding="valid"
#   (3x3 -> 7x7, stride 2) and two with padding="same" (x2).

import tensorflow as tf

tf.random.set_seed(42)  # extra code – ensures reproducibility on CPU

conv_encoder = tf.keras.Sequential([
    tf.keras.layers.Reshape([28, 28, 1]),
    tf.keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
    tf.keras.layers.MaxPool2D(pool_size=2),  # output: 14 × 14 x 16
    tf.keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
    tf.keras.layers.MaxPool2D(pool_size=2),  # output: 7 × 7 x 32
    tf.keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
    tf.keras.layers.MaxPool2D(pool_size=2),  # output: 3 × 3 x 64
    tf.keras.layers.Conv2D(30, 3, padding="same", activation="relu"),
    tf.keras.layers.GlobalAvgPool2D()  # output: 30
])
conv_decoder = tf.keras.Sequential([
    tf.keras.layers.Dense(3 * 3 * 16),
    tf.keras.layers.Reshape((3, 3, 16)),
    tf.keras.layers.Conv2DTranspose(32, 3, strides=2, activation="relu"),
    tf.keras.layers.Conv2DTranspose(16, 3, strides=2, padding="same",
                                    activation="relu"),
    tf.keras.layers.Conv2DTranspose(1, 3, strides=2, padding="same"),
    tf.keras.layers.Reshape([28, 28])
])
conv_ae = tf.keras.Sequential([conv_encoder, conv_decoder])
