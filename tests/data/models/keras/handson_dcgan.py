# Source: Aurélien Géron, "Hands-On Machine Learning with Scikit-Learn, Keras
#   and TensorFlow" (3rd ed.), notebook 17_autoencoders_gans_and_diffusion_models.ipynb,
#   github ageron/handson-ml3 (commit e3f3f9e66d58cfa1d068a498433063a1d3fba9ef), the DCGAN (generator / discriminator / gan).
# Licence: Apache License 2.0 (ageron/handson-ml3)
# Trimmed: dataset preparation, the compile lines ("extra code"),
#   discriminator.trainable = False, train_gan(...) and plots. Model code verbatim.
# NO INPUT SHAPE IN THE SOURCE: the Sequentials declare no input; in the book
#   they are built on the first batch of codings of shape [batch_size,
#   codings_size] = [32, 100]. The file is left as written; the golden
#   generator calls .build([None, 100]) on the recorded variable
#   ("build_input"). A static reader must be told the input shape [None, 100]
#   (codings_size).
# Model variables: generator (Sequential; Dense, Reshape, BatchNormalization,
#   Conv2DTranspose with padding="same", strides=2, output_padding None) and
#   gan (Sequential of the two nested Sequentials generator, discriminator).
#   The discriminator's Conv2D use activation=tf.keras.layers.LeakyReLU(0.2)
#   (a layer object as the activation: not a separate layer in model.layers).

import tensorflow as tf

tf.random.set_seed(42)  # extra code – ensures reproducibility on CPU

codings_size = 100

generator = tf.keras.Sequential([
    tf.keras.layers.Dense(7 * 7 * 128),
    tf.keras.layers.Reshape([7, 7, 128]),
    tf.keras.layers.BatchNormalization(),
    tf.keras.layers.Conv2DTranspose(64, kernel_size=5, strides=2,
                                    padding="same", activation="relu"),
    tf.keras.layers.BatchNormalization(),
    tf.keras.layers.Conv2DTranspose(1, kernel_size=5, strides=2,
                                    padding="same", activation="tanh"),
])
discriminator = tf.keras.Sequential([
    tf.keras.layers.Conv2D(64, kernel_size=5, strides=2, padding="same",
                        activation=tf.keras.layers.LeakyReLU(0.2)),
    tf.keras.layers.Dropout(0.4),
    tf.keras.layers.Conv2D(128, kernel_size=5, strides=2, padding="same",
                        activation=tf.keras.layers.LeakyReLU(0.2)),
    tf.keras.layers.Dropout(0.4),
    tf.keras.layers.Flatten(),
    tf.keras.layers.Dense(1, activation="sigmoid")
])
gan = tf.keras.Sequential([generator, discriminator])
