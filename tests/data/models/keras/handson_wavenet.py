# Source: Aurélien Géron, "Hands-On Machine Learning with Scikit-Learn, Keras
#   and TensorFlow" (3rd ed.), notebook 15_processing_sequences_using_rnns_and_cnns.ipynb,
#   github ageron/handson-ml3 (commit e3f3f9e66d58cfa1d068a498433063a1d3fba9ef), the WaveNet-style Sequential model (code cell "wavenet_model").
# Licence: Apache License 2.0 (ageron/handson-ml3)
# Trimmed: everything except `import tensorflow as tf` and the cell that builds
#   wavenet_model: the Ridership data loading, to_seq2seq_dataset/longer_train,
#   fit_and_evaluate(...) training. The `tf.random.set_seed(42)` line of the
#   cell is kept. No data-derived value replaced (the input shape [None, 5] is a
#   literal of the original; the time axis is None = any length).
# Model variable: wavenet_model (Sequential() + .add in a loop over
#   `(1, 2, 4, 8) * 2`, causal dilated Conv1D). Note: Keras 3 accepts the
#   legacy `InputLayer(input_shape=...)` keyword with a deprecation warning.

import tensorflow as tf

tf.random.set_seed(42)  # extra code – ensures reproducibility
wavenet_model = tf.keras.Sequential()
wavenet_model.add(tf.keras.layers.InputLayer(input_shape=[None, 5]))
for rate in (1, 2, 4, 8) * 2:
    wavenet_model.add(tf.keras.layers.Conv1D(
        filters=32, kernel_size=2, padding="causal", activation="relu",
        dilation_rate=rate))
wavenet_model.add(tf.keras.layers.Conv1D(filters=14, kernel_size=1))
