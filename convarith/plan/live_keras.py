"""A built Keras model, read from its config: ``model.get_config()``, ``model.to_json()`` or the
config.json inside a saved ``.keras`` archive.

Keras serialises a Sequential as its list of layers and a functional model as its layers with
the calls between them (``inbound_nodes``, whose tensors name the layer, call and output they
come from). Each layer goes through the same mapping as the static reader of Keras code
(:func:`..readers.keras_code.keras_layer_spec`), so a model planned from its config and from its
code gives the same rows. Nested models (a Sequential used as a layer) are planned inline under
their inner layers' names, as ``model.summary(expand_nested=True)`` lists them.

Nothing here imports Keras or TensorFlow: a saved model is planned from its files alone, and a
live model is only asked for ``get_config()`` and its input shape.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from .. import limits
from ..errors import InputFileError, SpecError
from .readers.keras_code import ALIASES, SIGNATURES, keras_layer_spec, snake_case
from .schema import Spec, show
from .sources import _path, _read_text, display, parse_spec_text

MAX_CONFIG_BYTES = 4 * 2**20  # config.json of a .keras archive, or a to_json() file: MobileNet's is 130 KB
MODELS = {"Sequential", "Functional", "Model"}  # Keras 3 writes Functional; tf.keras 2 wrote Model too
SUBCLASSED = "a subclassed keras.Model has no layer graph; plan it from its code or build it functionally"
OPS_MODULES = ("keras.src.ops", "keras.ops")  # where Keras 3 writes the operations of a functional graph
OP_MERGES = {"Add", "Subtract", "Multiply", "Maximum", "Minimum"}
OP_ACTIVATIONS = {
    "Relu": "relu",
    "Relu6": "relu6",
    "LeakyRelu": "leaky_relu",
    "Elu": "elu",
    "Selu": "selu",
    "Gelu": "gelu",
    "Silu": "silu",
    "Sigmoid": "sigmoid",
    "HardSigmoid": "hardsigmoid",
    "HardSilu": "hardswish",
    "Tanh": "tanh",
    "Softplus": "softplus",
    "Softsign": "softsign",
    "Mish": "mish",
    "Softmax": "softmax",
}
GIVEN_INPUT = "planned on the input shape given"  # the input notes end so (only shown once one is given)
TensorKey = tuple[str, int, int]  # (layer name, call, output) as keras_history and input_layers write it


class Call(NamedTuple):
    """One call of a layer in a functional graph: the layer's config, which call (as keras_history
    numbers them) and the tensors it reads."""

    entry: Mapping[str, object]
    number: int
    reads: list[TensorKey]


class KerasNetwork(NamedTuple):
    """Planner layer dicts (named as Keras names the layers, with ``inputs``), the input shape
    of one sample (channels last, no batch; None when the model fixes none) and the reader's notes."""

    layers: list[Spec]
    input_shape: tuple[int, ...] | None
    notes: list[str]


def network_from_config(config: Mapping[str, object], origin: str) -> KerasNetwork:
    """The network of ``model.get_config()``, or of the ``{"class_name": ..., "config": ...}``
    that ``model.to_json()`` and a ``.keras`` archive's config.json hold."""
    if not isinstance(config, Mapping):
        raise SpecError("model", f"{origin}: a Keras model config is a JSON object, got {show(config)}")
    reader = _ConfigReader(origin)
    try:
        return reader.read_model(config)
    except RecursionError:
        raise SpecError("model", f"{origin}: models nest too deeply to read") from None


def network_from_file(path: str | os.PathLike[str]) -> KerasNetwork:
    """The network of a saved ``.keras`` archive (its config.json, read with zipfile; the weights
    are not read) or of a ``.json`` file holding ``model.to_json()``."""
    checked = _path("model", path)
    shown = display(checked)
    try:
        with open(checked, "rb") as stream:
            magic = stream.read(4)
    except OSError as exc:
        raise InputFileError("model", f"{shown}: cannot read it ({exc.strerror or type(exc).__name__})") from None
    if magic.startswith(b"\x89HDF"):
        raise InputFileError(
            "model",
            f"{shown} is a legacy HDF5 (.h5) model: save it as .keras (model.save('model.keras')) "
            "or write model.to_json() to a .json file",
        )
    if checked.suffix.lower() == ".keras" or magic == b"PK\x03\x04":
        text = _archive_config(checked, shown)
    else:
        text = _read_text(checked, MAX_CONFIG_BYTES)
    data = parse_spec_text(text, shown, kind="json")
    if not isinstance(data, dict):
        raise SpecError("model", f"{shown}: a Keras model config is a JSON object, got {show(data)}")
    return network_from_config(data, shown)


def network_from_model(model: object) -> KerasNetwork:
    """The network of a live ``keras.Model`` (duck-typed: ``get_config()``, and the input shape
    from ``model.inputs`` or ``model.input_shape`` when the model has them)."""
    kind = type(model).__name__
    get_config = getattr(model, "get_config", None)
    if not callable(get_config):
        raise SpecError("model", f"expected a keras.Model (something with get_config()), got {show(model)}")
    try:
        config = get_config()
    except (NotImplementedError, TypeError, ValueError, AttributeError) as exc:  # Keras refuses for subclasses
        raise SpecError("model", f"{kind}: {SUBCLASSED} (get_config() failed: {type(exc).__name__})") from None
    if not isinstance(config, Mapping):
        raise SpecError("model", f"{kind}.get_config() gave {show(config)}, not a dict")
    network = network_from_config({"class_name": kind, "config": config}, kind)
    live = _live_input(model)
    if live is not None and live != network.input_shape:
        notes = [note for note in network.notes if not note.endswith(GIVEN_INPUT)]
        network = network._replace(input_shape=live, notes=notes)
    return network


def _live_input(model: object) -> tuple[int, ...] | None:
    """One sample's input shape from a built model (None when unbuilt, free or several inputs)."""
    shapes: list[object] = []
    try:
        inputs = model.inputs  # type: ignore[attr-defined]
        if isinstance(inputs, (list, tuple)):
            shapes = [tuple(t.shape) for t in inputs]
        if not shapes:
            shapes = [tuple(model.input_shape)]  # type: ignore[attr-defined]
    except (AttributeError, ValueError, TypeError, RuntimeError):  # an unbuilt model has neither
        return None
    if len(shapes) != 1:
        return None
    return _fixed(shapes[0])


def _fixed(batch_shape: object) -> tuple[int, ...] | None:
    """A batch-first shape without its batch, if every other axis has a size."""
    if not isinstance(batch_shape, (list, tuple)) or len(batch_shape) < 2:
        return None
    sample = tuple(batch_shape[1:])
    if all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in sample):
        return sample
    return None


def _archive_config(path: os.PathLike[str], shown: str) -> str:
    """config.json of a .keras archive (a zip), read within MAX_CONFIG_BYTES whatever its header says."""
    try:
        with zipfile.ZipFile(path) as archive:
            try:
                info = archive.getinfo("config.json")
            except KeyError:
                names = ", ".join(archive.namelist()[:5]) or "nothing"
                raise InputFileError(
                    "model", f"{shown}: not a Keras archive: it has no config.json (it holds {names[:200]})"
                ) from None
            if info.file_size > MAX_CONFIG_BYTES:
                raise InputFileError(
                    "model",
                    f"{shown}: config.json is {info.file_size:,} bytes; configs over {MAX_CONFIG_BYTES:,} are refused",
                )
            with archive.open(info) as stream:
                data = stream.read(MAX_CONFIG_BYTES + 1)  # the header's size may lie
    except zipfile.BadZipFile:
        raise InputFileError("model", f"{shown}: not a .keras archive (not a zip file)") from None
    except (OSError, EOFError, zlib.error, NotImplementedError, RuntimeError) as exc:  # damaged, encrypted
        raise InputFileError("model", f"{shown}: cannot read its config.json ({type(exc).__name__})") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise InputFileError("model", f"{shown}: config.json is over {MAX_CONFIG_BYTES:,} bytes; refused")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError("model", f"{shown}: config.json is not UTF-8 text (byte {exc.start})") from None


class _ConfigReader:
    """Walks a model config, appending planner layer dicts; one per layer call."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.layers: list[Spec] = []
        self.names: set[str] = {"input"}  # the planner calls the network's input "input"
        self.calls: dict[int, int] = {}  # id of a layer's config -> times called so far
        self.notes: list[str] = []
        self.path: list[str] = []  # the nested models being read, outermost first

    def error(self, message: str) -> SpecError:
        return SpecError("model", f"{self.origin}: {message}")

    # The whole model.
    def read_model(self, config: Mapping[str, object]) -> KerasNetwork:
        cls, body, build_shape = _unwrap(config)
        if not isinstance(body, Mapping):
            raise self.error(f"the model's config is {show(body)}, not an object")
        kind = self.model_kind(cls, body)
        stated: tuple[object, ...] | None
        if kind == "Sequential":
            stated = self.sequential_input(body, build_shape)
            self.sequential(body, "input")
        else:
            entries = self.entry_list(body)
            inputs = _tensor_keys(body.get("input_layers"))
            if len(inputs) != 1:
                raise self.error(f"a model with {len(inputs)} inputs is not planned (one input only)")
            entry = next((e for e in entries if _entry_name(e) == inputs[0][0]), None)
            stated = _batch_shape(entry) if entry is not None else None
            outputs = self.functional(body, ["input"])
            if len(outputs) > 1:
                self.notes.append(f"the model has {len(outputs)} outputs; the table's output is the last row")
        input_shape = _fixed(stated)
        if stated is None:
            self.notes.append(f"the model does not fix its input shape; {GIVEN_INPUT}")
        elif input_shape is None:
            self.notes.append(f"the model's input {_shown_shape(stated)} leaves an axis free; {GIVEN_INPUT}")
        return KerasNetwork(self.layers, input_shape, self.notes)

    def model_kind(self, cls: object, body: Mapping[str, object]) -> str:
        if cls == "Sequential" or (cls not in MODELS and "layers" in body and "input_layers" not in body):
            return "Sequential"
        if "input_layers" in body and "layers" in body:
            return "Functional"
        raise self.error(SUBCLASSED if cls == self.origin or not isinstance(cls, str) else f"{cls}: {SUBCLASSED}")

    def sequential_input(self, body: Mapping[str, object], build_shape: object) -> tuple[object, ...] | None:
        """The batch-first input shape a Sequential states: its InputLayer, the shape it was
        built on, or its first layer's batch_input_shape (tf.keras 2's input_shape=)."""
        for entry in self.entry_list(body)[:1]:
            stated = _batch_shape(entry)
            if stated is not None:
                return stated
        for candidate in (body.get("build_input_shape"), build_shape):
            if isinstance(candidate, (list, tuple)) and candidate:
                return tuple(candidate)
        return None

    def entry_list(self, body: Mapping[str, object]) -> list[Mapping[str, object]]:
        entries = body.get("layers")
        if not isinstance(entries, (list, tuple)):
            raise self.error(f"a model's 'layers' is a list of layer configs, got {show(entries)}")
        for i, entry in enumerate(entries):
            if not isinstance(entry, Mapping) or not isinstance(entry.get("class_name"), str):
                raise self.error(f"layers[{i}] is not a layer config with a class_name: {show(entry)}")
        return list(entries)

    # Models: each returns the planner names of its outputs.
    def sequential(self, body: Mapping[str, object], source: str) -> list[str]:
        for entry in self.entry_list(body):
            if entry["class_name"] == "InputLayer":
                continue
            source = self.call(entry, [source])
        return [source]

    def functional(self, body: Mapping[str, object], sources: Sequence[str]) -> list[str]:
        """Follow the calls of a functional graph from its inputs; each call once every tensor it
        reads is known (a shared layer's later call may read layers listed after it)."""
        entries = self.entry_list(body)
        by_name = {_entry_name(entry): entry for entry in entries}
        input_keys = _tensor_keys(body.get("input_layers"))
        output_keys = _tensor_keys(body.get("output_layers"))
        if len(input_keys) != len(sources):
            raise self.error(f"a nested model with {len(input_keys)} inputs is called on {len(sources)}")
        known: dict[TensorKey, str] = dict(zip(input_keys, sources, strict=True))
        waiting: dict[TensorKey, list[Call]] = {}  # a tensor not made yet -> the calls that wait for it
        for entry in entries:
            if entry["class_name"] == "InputLayer":
                continue
            nodes = entry.get("inbound_nodes")
            if not isinstance(nodes, (list, tuple)):
                raise self.error(f"{_entry_name(entry)}: inbound_nodes is {show(nodes)}, not a list")
            first = _first_call(entry, nodes)
            for index, node in enumerate(nodes):
                ready = [Call(entry, first + index, self.node_inputs(entry, node))]
                while ready:
                    pending = ready.pop()
                    missing = next((key for key in pending.reads if key not in known), None)
                    if missing is not None:
                        if missing[0] not in by_name:
                            raise self.error(f"{_entry_name(pending.entry)} reads {missing[0]!r}, which is not a layer")
                        waiting.setdefault(missing, []).append(pending)
                        continue
                    made = (_entry_name(pending.entry), pending.number, 0)
                    known[made] = self.call(pending.entry, [known[key] for key in pending.reads])
                    ready.extend(reversed(waiting.pop(made, [])))
        outputs = []
        for key in output_keys:
            if key not in known:
                raise self.error(f"the model's output {key[0]!r} is not reached from its input")
            outputs.append(known[key])
        if not outputs:
            raise self.error("the model names no output_layers")
        return outputs

    def node_inputs(self, entry: Mapping[str, object], node: object) -> list[TensorKey]:
        """The tensors one call reads: Keras 3 writes {"args": [...], "kwargs": {...}} with
        __keras_tensor__ objects; tf.keras 2 wrote [[name, call, output, kwargs], ...]."""
        keys: list[TensorKey] = []
        if isinstance(node, Mapping):
            _collect_tensors(node.get("args"), keys)
            _collect_tensors(node.get("kwargs"), keys)
        elif isinstance(node, (list, tuple)):
            for item in node:
                key = _tensor_key(item[:3]) if isinstance(item, (list, tuple)) else None
                if key is None:
                    raise self.error(f"{_entry_name(entry)}: an inbound node reads {show(item)}")
                keys.append(key)
        if not keys:
            raise self.error(f"{_entry_name(entry)}: a call that reads no tensor ({show(node)})")
        for name, _, output in keys:
            if output != 0:
                raise self.error(
                    f"{_entry_name(entry)} reads output {output} of {name}: layers with several outputs are not planned"
                )
        return keys

    # One call of a layer or nested model; returns the planner name of its output.
    def call(self, entry: Mapping[str, object], sources: list[str]) -> str:
        cls = str(entry["class_name"])
        body = entry.get("config")
        if not isinstance(body, Mapping):
            raise self.error(f"{_entry_name(entry)} ({cls}): its config is {show(body)}, not an object")
        if cls in MODELS or "layers" in body:
            kind = self.model_kind(cls, body)
            self.path.append(_entry_name(entry))
            if kind == "Sequential":
                if len(sources) != 1:
                    raise self.error(f"{_entry_name(entry)} (Sequential) is called on {len(sources)} tensors")
                outputs = self.sequential(body, sources[0])[-1:]
            else:
                outputs = self.functional(body, sources)
            self.path.pop()
            if len(outputs) != 1:
                raise self.error(f"{_entry_name(entry)}: a nested model with {len(outputs)} outputs is not planned")
            return outputs[0]
        return self.layer(entry, cls, body, sources)

    def layer(self, entry: Mapping[str, object], cls: str, body: Mapping[str, object], sources: list[str]) -> str:
        name = _entry_name(entry)
        module = entry.get("module")
        if isinstance(module, str) and not module.startswith(("keras", "tf_keras", "tensorflow")):
            raise self.error(f"{name} is a custom layer class {cls} (module {module[:100]}): its shape is not known")
        if isinstance(module, str) and module.startswith(OPS_MODULES):
            return self.append(entry, body, self.op_spec(name, cls, sources), name, sources)
        cls = ALIASES.get(cls, cls)
        if cls not in SIGNATURES or cls == "InputLayer":
            raise self.error(
                f"{name} is a {cls[:100]} layer, which convarith does not plan; known: Conv, ConvTranspose, "
                "SeparableConv, DepthwiseConv, pools, global pools, ZeroPadding, Cropping, UpSampling, Dense, "
                "Flatten, Reshape, Permute, Dropout, normalisation, activation, Rescaling, Resizing, Random* "
                "and merge layers"
            )
        bound = {key: value for key, value in body.items() if isinstance(key, str)}
        try:
            spec = keras_layer_spec(cls, bound, name, lambda message: self.error(message))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            if isinstance(exc, SpecError):
                raise
            missing = f"has no {exc.args[0]!r}" if isinstance(exc, KeyError) else f"is malformed ({type(exc).__name__})"
            raise self.error(f"{name} ({cls}): its config {missing}") from None
        return self.append(entry, body, spec, name, sources)

    def op_spec(self, name: str, cls: str, sources: list[str]) -> Spec:
        """A keras.ops call in a functional graph (``x + y``, ``keras.ops.relu(x)``): Keras keeps
        its arguments in the call, not the config, so only the ops whose shape needs none are planned."""
        if cls in OP_MERGES and len(sources) >= 2:
            return {"type": "add", "describe": f"keras.ops.{snake_case(cls)}"}
        if cls in OP_MERGES:  # x + 1.0: a tensor and a constant
            return {"type": "identity", "describe": f"keras.ops.{snake_case(cls)} with a constant"}
        if cls in OP_ACTIVATIONS and len(sources) == 1:
            return {"type": OP_ACTIVATIONS[cls], "describe": f"keras.ops.{snake_case(cls)}"}
        raise self.error(
            f"{name} is a keras.ops call ({cls[:100]}), which convarith does not plan; use the matching "
            "layer (layers.Add, layers.Activation, layers.Reshape, ...)"
        )

    def append(
        self, entry: Mapping[str, object], body: Mapping[str, object], spec: Spec, name: str, sources: list[str]
    ) -> str:
        calls = self.calls.get(id(entry), 0)
        self.calls[id(entry)] = calls + 1
        if calls:
            spec["shared"] = True
        elif body.get("trainable") is False:
            spec["frozen"] = True  # all its parameters are non-trainable, as Keras counts them
        path = [*self.path, name]
        spec.update(
            name=self.unique(name),
            inputs=list(sources),
            layer_class=str(entry["class_name"]),
            module=".".join(path),  # nested models' names, then the layer's, as Keras's summary nests them
            depth=len(path),
        )
        if len(self.layers) >= limits.layers:
            limits.check("layers", f"{self.origin}: the network", len(self.layers) + 1, "layers", unit="layers")
        self.layers.append(spec)
        return str(spec["name"])

    def unique(self, name: str) -> str:
        """The name the planner keeps: a second call of a layer becomes name#row, as the planner writes it."""
        unique = name
        while unique in self.names:
            unique = f"{unique}#{len(self.layers)}"
        self.names.add(unique)
        return unique


def _unwrap(config: Mapping[str, object]) -> tuple[object, object, object]:
    """(class name or None, the model's own config, build_config's input_shape) of either form."""
    if "class_name" in config and isinstance(config.get("config"), Mapping):
        build = config.get("build_config")
        build_shape = build.get("input_shape") if isinstance(build, Mapping) else None
        return config["class_name"], config["config"], build_shape
    if "class_name" in config:
        return config["class_name"], config.get("config"), None
    return None, config, None


def _first_call(entry: Mapping[str, object], nodes: Sequence[object]) -> int:
    """How tf.keras 2 numbers a layer's calls in keras_history: a nested model that starts
    with an InputLayer was called once when it was built, a call its config leaves out, so the
    calls written count from 1. Keras 3 (calls written as {"args": ...}) counts from 0."""
    body = entry.get("config")
    if not nodes or not isinstance(nodes[0], (list, tuple)) or not isinstance(body, Mapping):
        return 0
    if "input_layers" in body:
        return 1
    inner = body.get("layers")
    first = inner[0] if isinstance(inner, (list, tuple)) and inner else None
    return 1 if isinstance(first, Mapping) and first.get("class_name") == "InputLayer" else 0


def _entry_name(entry: Mapping[str, object]) -> str:
    body = entry.get("config")
    name = body.get("name") if isinstance(body, Mapping) else None
    name = name if isinstance(name, str) else entry.get("name")
    if isinstance(name, str) and name:
        return name[:200]
    return snake_case(str(entry.get("class_name", "layer")))[:200]


def _batch_shape(entry: Mapping[str, object]) -> tuple[object, ...] | None:
    """The batch-first shape an InputLayer (or a first layer given input_shape=) states."""
    body = entry.get("config")
    if not isinstance(body, Mapping):
        return None
    for key in ("batch_shape", "batch_input_shape"):
        value = body.get(key)
        if isinstance(value, (list, tuple)) and value:
            return tuple(value)
    return None


def _shown_shape(shape: Sequence[object]) -> str:
    return "(" + ", ".join(str(v) for v in shape) + ")"


def _tensor_key(value: object) -> TensorKey | None:
    if (
        isinstance(value, (list, tuple))
        and len(value) == 3
        and isinstance(value[0], str)
        and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value[1:])
    ):
        return (value[0], int(value[1]), int(value[2]))
    return None


def _tensor_keys(value: object) -> list[TensorKey]:
    """input_layers / output_layers: one [name, call, output] (Keras 3, one tensor) or a list of them."""
    single = _tensor_key(value)
    if single is not None:
        return [single]
    if isinstance(value, (list, tuple)):
        keys = [_tensor_key(item) for item in value]
        return [key for key in keys if key is not None] if all(keys) else []
    return []


def _collect_tensors(value: object, keys: list[TensorKey]) -> None:
    """Every __keras_tensor__ inside a call's arguments (a merge layer gets a list of them)."""
    if isinstance(value, Mapping):
        if value.get("class_name") == "__keras_tensor__":
            body = value.get("config")
            key = _tensor_key(body.get("keras_history")) if isinstance(body, Mapping) else None
            if key is None:
                raise SpecError("model", f"a tensor without its keras_history: {show(value)}")
            keys.append(key)
            return
        for item in value.values():
            _collect_tensors(item, keys)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _collect_tensors(item, keys)
