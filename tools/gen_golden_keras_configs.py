"""Record the configs of the Keras model corpus as Keras itself writes them.

Run (needs TensorFlow + Keras 3; no network, nothing is downloaded)::

    /tmp/venv-tf/bin/python tools/gen_golden_keras_configs.py

For every entry of ``MODELS`` in tools/gen_golden_models_keras.py, the model is built
exactly as that generator builds it (``clear_session()``, the corpus file executed in a
fresh namespace, ``model.build(build_input)`` where the source declares no input), and

* ``tests/data/keras_configs/<name>.json`` gets ``model.to_json()``, re-indented with
  sorted keys so that it is deterministic and reviewable;
* ``SAVED`` models are also written with ``model.save()`` as ``<name>.keras`` (a zip of
  config.json, metadata.json and the weights; each kept under 500 KB).

tests/test_plan_keras_live.py reads these files without TensorFlow and compares the plans
with tests/data/golden_models_keras.json (recorded by the other generator from the same
models), so the configs and the golden shapes come from one Keras version.
"""

import io
import json
import os
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_golden_models_keras as corpus  # noqa: E402  (imports keras and tensorflow)
import keras  # noqa: E402

OUT = os.path.join(corpus.DATA, "keras_configs")
SAVED = ("mnist_convnet", "denoising_autoencoder")  # one Sequential, one functional graph; both small
MAX_SAVED_BYTES = 500_000


def build(rel, variable, opts):
    """The corpus model, built the way gen_golden_models_keras.record builds it."""
    keras.utils.clear_session()
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
        with open(target, "w", encoding="utf-8") as f:
            json.dump(config, f, indent=1, sort_keys=True, ensure_ascii=False)
            f.write("\n")
        print(f"{name:36s} {len(model.layers):4d} layers  {os.path.getsize(target):8,d} bytes")
        if name in SAVED:
            saved = os.path.join(OUT, f"{name}.keras")
            model.save(saved)
            size = os.path.getsize(saved)
            assert size < MAX_SAVED_BYTES, (saved, size)
            print(f"{'':36s} saved {os.path.relpath(saved, corpus.ROOT)} ({size:,} bytes)")


if __name__ == "__main__":
    main()
