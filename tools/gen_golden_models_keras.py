"""Record golden data for the Keras model corpus in tests/data/models/keras/.

Run (needs TensorFlow + Keras 3; no network, nothing is downloaded)::

    /tmp/venv-tf/bin/python tools/gen_golden_models_keras.py

(from the repository root; the paths below are relative to this file, so the
working directory does not matter).

For every entry of MODELS (name, file, variable[, build_input, probe_input]):

* ``keras.utils.clear_session()`` so that automatic layer names restart
  (``conv2d``, ``conv2d_1``, ...; ``sequential``, ``sequential_1``, ...);
* exec the corpus file in a fresh namespace (``__name__ = "__corpus__"``) and
  take the model bound to ``variable``;
* if the source declares no input (Géron's Sequentials that are built on
  fit()), call ``model.build(build_input)`` -- recorded as ``"build_input"``;
* record ``model.layers`` in order -- Keras 3 lists the InputLayer(s) in
  ``model.layers`` of a Functional model (first, type "InputLayer", 0 params;
  the pix2pix discriminator has two) but NOT in ``model.layers`` of a
  Sequential model (not even when the source has ``keras.Input(...)`` or
  ``InputLayer(...)`` in the Sequential list) -- each with name, class name, output shape (a list,
  None for the batch and any free axis), ``count_params()``, trainable and
  non-trainable parameter counts.  A nested model (a Sequential used as a
  layer) appears as one row with its own output shape and counts, and its
  inner layers are recorded under ``"inner"`` the same way (recursively);
* capture ``model.summary(line_length=120)`` via ``print_fn`` (rich renders
  it; COLUMNS is set to 120 so the table is not cut at rich's 80-column
  default);
* run a zero tensor of the input shape (batch 1; a free axis such as the
  time axis of ``[None, None, 5]`` gets the length from ``probe_input``)
  through the model once and assert the output shape equals the recorded one;
* self-checks: total_params == sum of the layers' params (and trainable /
  non-trainable likewise); published totals where known (mnist_convnet 34,826
  from keras.io; ct_3d_image_classification 1,352,897 from the keras.io
  rendered example).

Writes tests/data/golden_models_keras.json (json.dump(..., indent=1),
deterministic: no timestamps, models in table order).
"""

import io
import json
import os
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ["COLUMNS"] = "120"  # rich console width for model.summary capture

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data")
CORPUS = os.path.join(DATA, "models")
OUT = os.path.join(DATA, "golden_models_keras.json")

# name, file (relative to tests/data/models), variable, extra options
MODELS = [
    ("mnist_convnet", "keras/mnist_convnet.py", "model", {}),
    ("image_classification_from_scratch", "keras/image_classification_from_scratch.py", "model", {}),
    ("oxford_pets_unet", "keras/oxford_pets_image_segmentation.py", "model", {}),
    ("timeseries_fcn", "keras/timeseries_classification_from_scratch.py", "model", {}),
    ("ct_3d_image_classification", "keras/ct_3d_image_classification.py", "model", {}),
    ("denoising_autoencoder", "keras/denoising_autoencoder.py", "autoencoder", {}),
    ("handson_wavenet", "keras/handson_wavenet.py", "wavenet_model", {"probe_input": [1, 112, 5]}),
    ("handson_cnn_partial", "keras/handson_cnn_partial.py", "model", {}),
    ("handson_conv_autoencoder", "keras/handson_conv_autoencoder.py", "conv_ae", {"build_input": [None, 28, 28]}),
    ("handson_dcgan_generator", "keras/handson_dcgan.py", "generator", {"build_input": [None, 100]}),
    ("handson_dcgan_gan", "keras/handson_dcgan.py", "gan", {"build_input": [None, 100]}),
    ("tf_dcgan_generator", "keras/tf_dcgan_generator.py", "generator", {}),
    ("tf_cnn_cifar10", "keras/tf_cnn_cifar10.py", "model", {}),
    ("tf_image_classification_augmented", "keras/tf_image_classification_augmented.py", "model", {}),
    ("tf_pix2pix_generator", "keras/tf_pix2pix.py", "generator", {}),
    ("tf_pix2pix_discriminator", "keras/tf_pix2pix.py", "discriminator", {}),
    ("keras_mobilenet_025_128", "keras/keras_applications_mobilenet.py", "model", {}),
    ("keras_mobilenet_050_96_notop_max", "keras/keras_applications_mobilenet.py", "model_notop", {}),
]

PUBLISHED_TOTALS = {
    "mnist_convnet": 34826,  # keras.io "Simple MNIST convnet" summary
    "ct_3d_image_classification": 1352897,  # keras.io rendered example
}


def shape_list(shape):
    return [None if d is None else int(d) for d in shape]


def weight_count(weights):
    return int(sum(int(np.prod(w.shape)) for w in weights))


def layer_record(layer):
    out = layer.output
    oshape = [shape_list(o.shape) for o in out] if isinstance(out, (list, tuple)) else shape_list(out.shape)
    rec = {
        "name": layer.name,
        "type": layer.__class__.__name__,
        "output": oshape,
        "params": int(layer.count_params()),
        "trainable": weight_count(layer.trainable_weights),
        "non_trainable": weight_count(layer.non_trainable_weights),
    }
    assert rec["params"] == rec["trainable"] + rec["non_trainable"], rec
    if isinstance(layer, keras.Model):
        rec["kind"] = layer.__class__.__name__
        rec["inner"] = [layer_record(inner) for inner in layer.layers]
        assert rec["params"] == sum(r["params"] for r in rec["inner"]), rec["name"]
    return rec


def io_shapes(tensors):
    if isinstance(tensors, (list, tuple)):
        shapes = [shape_list(t.shape) for t in tensors]
        return shapes[0] if len(shapes) == 1 else shapes
    return shape_list(tensors.shape)


def concrete(shape, probe):
    if probe is not None:
        return list(probe)
    assert all(d is not None for d in shape[1:]), f"free axis in {shape!r}: give probe_input"
    return [1] + list(shape[1:])


def record(name, rel, variable, opts):
    keras.utils.clear_session()
    path = os.path.join(CORPUS, rel)
    with open(path, encoding="utf-8") as f:
        src = f.read()
    ns = {"__name__": "__corpus__", "__file__": path}
    sink = io.StringIO()
    old_stdout = sys.stdout
    sys.stdout = sink  # model.summary() calls inside the corpus files
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(src, path, "exec"), ns)
            model = ns[variable]
            if "build_input" in opts:
                model.build(tuple(opts["build_input"]))
    finally:
        sys.stdout = old_stdout

    kind = "Sequential" if isinstance(model, keras.Sequential) else "Functional"
    in_shape = io_shapes(model.inputs)
    out_shape = io_shapes(model.outputs)
    layers = [layer_record(inner) for inner in model.layers]

    lines = []
    model.summary(line_length=120, print_fn=lambda s, **kw: lines.append(s))
    summary = "\n".join(lines)

    total = int(model.count_params())
    trainable = weight_count(model.trainable_weights)
    non_trainable = weight_count(model.non_trainable_weights)
    assert total == trainable + non_trainable, name
    assert total == sum(r["params"] for r in layers), name
    assert trainable == sum(r["trainable"] for r in layers), name
    assert non_trainable == sum(r["non_trainable"] for r in layers), name
    if name in PUBLISHED_TOTALS:
        assert total == PUBLISHED_TOTALS[name], (name, total)

    # Zero tensor(s) of the input shape, batch 1, through the model once.
    probe = opts.get("probe_input")
    if isinstance(in_shape[0], list):  # several inputs
        xs = [np.zeros(concrete(s, None), "float32") for s in in_shape]
        y = model(xs, training=False)
        probe_shapes = [concrete(s, None) for s in in_shape]
    else:
        probe_shapes = concrete(in_shape, probe)
        y = model(np.zeros(probe_shapes, "float32"), training=False)
    got = shape_list(y.shape)
    want = [1] + out_shape[1:]
    if probe is not None:  # free axes follow the probe length
        want = [got[i] if d is None else d for i, d in enumerate(want)]
    assert got == want, (name, got, want)

    entry = {
        "name": name,
        "file": rel,
        "variable": variable,
        "kind": kind,
        "model_name": model.name,
        "input": in_shape,
        "output": out_shape,
    }
    if "build_input" in opts:
        entry["build_input"] = opts["build_input"]
    entry["probe_input"] = probe_shapes
    entry["probe_output"] = got
    entry.update(
        {
            "layers": layers,
            "total_params": total,
            "trainable_params": trainable,
            "non_trainable_params": non_trainable,
            "summary": summary,
        }
    )
    return entry


def main():
    models = []
    for name, rel, variable, opts in MODELS:
        entry = record(name, rel, variable, opts)
        print(
            "%-36s %-10s in=%s out=%s params=%d layers=%d"
            % (name, entry["kind"], entry["input"], entry["output"], entry["total_params"], len(entry["layers"]))
        )
        models.append(entry)
    doc = {
        "generator": "tools/gen_golden_models_keras.py",
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "backend": keras.backend.backend(),
        "input_layer_in_layers": {"Sequential": False, "Functional": True},
        "models": models,
    }
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("wrote", os.path.relpath(OUT, ROOT))


if __name__ == "__main__":
    main()
