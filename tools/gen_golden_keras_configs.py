"""Record the configs of the Keras model corpus as Keras itself writes them.

Run (needs TensorFlow + Keras 3; no network, nothing is downloaded)::

    /tmp/venv-tf/bin/python tools/gen_golden_keras_configs.py

For every entry of ``MODELS`` in tools/gen_golden_models_keras.py, the model is built
exactly as that generator builds it (``clear_session()``, the corpus file executed in a
fresh namespace, ``model.build(build_input)`` where the source declares no input), and

* ``tests/data/keras_configs/<name>.json`` gets ``model.to_json()``, re-indented with
  sorted keys so that it is deterministic and reviewable;
* ``SAVED`` models are also written with ``model.save()`` as ``<name>.keras`` (a zip of
  config.json, metadata.json and the weights; each kept under 500 KB; member times and the
  save date fixed, so that the bytes change only with the model).

With tf_keras installed (``pip install --no-deps tf-keras``), the script then runs itself again
with ``TF_USE_LEGACY_KERAS=1`` so that ``tensorflow.keras`` is Keras 2, and writes the
``LEGACY`` models' ``to_json()`` (Keras 2's own format: ``[[name, call, output, kwargs]]``
inbound nodes, ``batch_input_shape``) under ``tests/data/keras_configs/tf_keras2/``, after
checking that Keras 2 gives every layer the name, output shape and parameter count that
golden_models_keras.json records from Keras 3 (so one golden file serves both).

tests/test_plan_keras_live.py reads these files without TensorFlow and compares the plans
with tests/data/golden_models_keras.json (recorded by the other generator from the same
models), so the configs and the golden shapes come from one Keras version.
"""

import io
import json
import os
import re
import subprocess
import sys
import warnings
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_golden_models_keras as corpus  # noqa: E402  (imports keras and tensorflow)
import keras  # noqa: E402

OUT = os.path.join(corpus.DATA, "keras_configs")
LEGACY_OUT = os.path.join(OUT, "tf_keras2")
LEGACY = (  # corpus models written against tensorflow.keras, so Keras 2 builds them unchanged
    "mnist_convnet",
    "image_classification_from_scratch",
    "denoising_autoencoder",
    "handson_conv_autoencoder",
    "tf_pix2pix_generator",
)
SAVED = ("mnist_convnet", "denoising_autoencoder")  # one Sequential, one functional graph; both small
MAX_SAVED_BYTES = 500_000


def build(rel, variable, opts, clear_session=keras.utils.clear_session):
    """The corpus model, built the way gen_golden_models_keras.record builds it."""
    clear_session()
    path = os.path.join(corpus.CORPUS, rel)
    with open(path, encoding="utf-8") as f:
        src = f.read()
    namespace = {"__name__": "__corpus__", "__file__": path}
    old_stdout = sys.stdout
    sys.stdout = io.StringIO()  # model.summary() calls inside the corpus files
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(src, path, "exec"), namespace)
            model = namespace[variable]
            if "build_input" in opts:
                model.build(tuple(opts["build_input"]))
    finally:
        sys.stdout = old_stdout
    return model


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, rel, variable, opts in corpus.MODELS:
        model = build(rel, variable, opts)
        config = json.loads(model.to_json())
        target = os.path.join(OUT, f"{name}.json")
        write_json(config, target)
        print(f"{name:36s} {len(model.layers):4d} layers  {os.path.getsize(target):8,d} bytes")
        if name in SAVED:
            keras.utils.set_random_seed(0)  # the same initial weights each run
            model = build(rel, variable, opts)
            saved = os.path.join(OUT, f"{name}.keras")
            model.save(saved)
            reproducible(saved)
            size = os.path.getsize(saved)
            assert size < MAX_SAVED_BYTES, (saved, size)
            print(f"{'':36s} saved {os.path.relpath(saved, corpus.ROOT)} ({size:,} bytes)")

    try:
        import tf_keras  # noqa: F401
    except ImportError:
        print("tf_keras is not installed: no Keras 2 configs written")
        return
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1"}
    subprocess.run([sys.executable, os.path.abspath(__file__), "--legacy"], env=env, check=True)


def reproducible(path):
    """The archive rewritten with fixed member times and save date, so that a new run of this
    script changes its bytes only when the model changes."""
    with zipfile.ZipFile(path) as archive:
        members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members:
            if name == "metadata.json":
                metadata = json.loads(data)
                metadata["date_saved"] = "1980-01-01@00:00:00"
                data = json.dumps(metadata).encode()
            if name == "config.json":
                data = renumbered(data)
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)


def renumbered(config_bytes):
    """shared_object_id is id() of a Python object: numbered in order of appearance instead."""
    numbers = {}

    def number(match):
        return b'"shared_object_id": %d' % numbers.setdefault(match[1], len(numbers) + 1)

    return re.sub(rb'"shared_object_id": (\d+)', number, config_bytes)


def write_json(config, target):
    with open(target, "w", encoding="utf-8") as f:
        json.dump(config, f, indent=1, sort_keys=True, ensure_ascii=False)
        f.write("\n")


def legacy():
    """Keras 2 (tensorflow.keras under TF_USE_LEGACY_KERAS=1): the LEGACY models' to_json()."""
    import tensorflow as tf

    with open(corpus.OUT, encoding="utf-8") as f:
        golden = {m["name"]: m for m in json.load(f)["models"]}
    os.makedirs(LEGACY_OUT, exist_ok=True)
    for name, rel, variable, opts in corpus.MODELS:
        if name not in LEGACY:
            continue
        model = build(rel, variable, opts, clear_session=tf.keras.backend.clear_session)
        assert model.count_params() == golden[name]["total_params"], name
        found = {layer.name: layer for layer in leaves(model)}
        for layer in leaves_recorded(golden[name]["layers"]):
            ours = found[layer["name"]]  # Keras 2 names the layers as Keras 3 does
            assert ours.count_params() == layer["params"], (name, layer["name"])
            assert [None if d is None else int(d) for d in ours.output_shape] == layer["output"], (name, layer["name"])
        config = json.loads(model.to_json())
        assert config["keras_version"].startswith("2."), config["keras_version"]  # tf_keras, not Keras 3
        target = os.path.join(LEGACY_OUT, f"{name}.json")
        write_json(config, target)
        print(f"{name:36s} Keras {config['keras_version']}  {os.path.getsize(target):8,d} bytes")


def leaves(model):
    for layer in model.layers:
        if hasattr(layer, "layers"):
            yield from leaves(layer)
        else:
            yield layer


def leaves_recorded(layers):
    for layer in layers:
        if layer.get("inner"):
            yield from leaves_recorded(layer["inner"])
        elif layer["type"] != "InputLayer":
            yield layer


if __name__ == "__main__":
    legacy() if sys.argv[1:] == ["--legacy"] else main()
