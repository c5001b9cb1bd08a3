"""Keras code, read statically: ``keras.Sequential([...])``, ``Sequential()`` + ``.add(...)`` and
the functional API (``keras.Input``, ``layers.Conv2D(...)(x)``, ``layers.add([a, b])``,
``keras.Model(inputs, outputs)``), with ``keras``/``tf.keras``/``layers`` prefixes.

Shapes are channels-last and follow the shape engine's keras dialect. Layers get Keras's
automatic names (``conv2d``, ``conv2d_1``, ... in creation order), so rows match
``model.summary()``; BatchNormalization's moving statistics are non-trainable parameters.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from ...errors import ConvarithError, ShapeError
from ..model import ACTIVATIONS, Plan, Planner, Shape, check_options, finish
from ..schema import Spec, check_shape, show
from ..signatures import RANKED, Bound, bind
from .interpreter import (
    UNHANDLED,
    Args,
    BoundMethod,
    CodeError,
    Interpreter,
    Kwargs,
    LibRef,
    Node,
    Scope,
    Unhandled,
    Value,
    guarded,
    line_node,
    parse,
)

_CONV = (
    "filters",
    "kernel_size",
    "strides",
    "padding",
    "data_format",
    "dilation_rate",
    "groups",
    "activation",
    "use_bias",
)
_CONV_T = (
    "filters",
    "kernel_size",
    "strides",
    "padding",
    "output_padding",
    "data_format",
    "dilation_rate",
    "activation",
    "use_bias",
)
_SEPARABLE = (
    "filters",
    "kernel_size",
    "strides",
    "padding",
    "data_format",
    "dilation_rate",
    "depth_multiplier",
    "activation",
    "use_bias",
)
_DEPTHWISE = (
    "kernel_size",
    "strides",
    "padding",
    "depth_multiplier",
    "data_format",
    "dilation_rate",
    "activation",
    "use_bias",
)
_POOL = ("pool_size", "strides", "padding", "data_format")
ALIASES = {
    "MaxPool1D": "MaxPooling1D",
    "MaxPool2D": "MaxPooling2D",
    "MaxPool3D": "MaxPooling3D",
    "AvgPool1D": "AveragePooling1D",
    "AvgPool2D": "AveragePooling2D",
    "AvgPool3D": "AveragePooling3D",
    "GlobalAvgPool1D": "GlobalAveragePooling1D",
    "GlobalAvgPool2D": "GlobalAveragePooling2D",
    "GlobalAvgPool3D": "GlobalAveragePooling3D",
    "GlobalMaxPool1D": "GlobalMaxPooling1D",
    "GlobalMaxPool2D": "GlobalMaxPooling2D",
    "GlobalMaxPool3D": "GlobalMaxPooling3D",
    "Convolution1D": "Conv1D",
    "Convolution2D": "Conv2D",
    "Convolution3D": "Conv3D",
    "Convolution2DTranspose": "Conv2DTranspose",
    "SeparableConvolution2D": "SeparableConv2D",
}
SIGNATURES: dict[str, tuple[str, ...]] = {}
for _rank in ("1D", "2D", "3D"):
    SIGNATURES.update(
        {
            f"Conv{_rank}": _CONV,
            f"Conv{_rank}Transpose": _CONV_T,
            f"MaxPooling{_rank}": _POOL,
            f"AveragePooling{_rank}": _POOL,
            f"GlobalAveragePooling{_rank}": ("data_format", "keepdims"),
            f"GlobalMaxPooling{_rank}": ("data_format", "keepdims"),
            f"ZeroPadding{_rank}": ("padding", "data_format"),
            f"Cropping{_rank}": ("cropping", "data_format"),
            f"UpSampling{_rank}": ("size", "data_format", "interpolation"),
            f"SpatialDropout{_rank}": ("rate", "seed"),
        }
    )
SIGNATURES.update(
    {
        "SeparableConv1D": _SEPARABLE,
        "SeparableConv2D": _SEPARABLE,
        "DepthwiseConv1D": _DEPTHWISE,
        "DepthwiseConv2D": _DEPTHWISE,
        "Dense": ("units", "activation", "use_bias"),
        "Flatten": ("data_format",),
        "Reshape": ("target_shape",),
        "Permute": ("dims",),
        "Dropout": ("rate", "noise_shape", "seed"),
        "GaussianNoise": ("stddev", "seed"),
        "GaussianDropout": ("rate", "seed"),
        "AlphaDropout": ("rate", "noise_shape", "seed"),
        "BatchNormalization": ("axis", "momentum", "epsilon", "center", "scale"),
        "LayerNormalization": ("axis", "epsilon", "center", "scale"),
        "GroupNormalization": ("groups", "axis", "epsilon", "center", "scale"),
        "Activation": ("activation",),
        "ReLU": ("max_value", "negative_slope", "threshold"),
        "LeakyReLU": ("negative_slope",),
        "ELU": ("alpha",),
        "Softmax": ("axis",),
        "PReLU": ("alpha_initializer", "alpha_regularizer", "alpha_constraint", "shared_axes"),
        "Rescaling": ("scale", "offset"),
        "Resizing": ("height", "width", "interpolation"),
        "RandomFlip": ("mode", "seed"),
        "RandomRotation": ("factor", "fill_mode", "interpolation", "seed"),
        "RandomZoom": ("height_factor", "width_factor", "fill_mode", "interpolation", "seed"),
        "RandomTranslation": ("height_factor", "width_factor", "fill_mode", "interpolation", "seed"),
        "RandomContrast": ("factor", "seed"),
        "RandomBrightness": ("factor", "value_range", "seed"),
        "Add": (),
        "Subtract": (),
        "Multiply": (),
        "Average": (),
        "Maximum": (),
        "Minimum": (),
        "Concatenate": ("axis",),
        "InputLayer": ("shape", "batch_size", "dtype", "sparse", "batch_shape", "input_tensor", "optional", "name"),
    }
)
MERGES = {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"}
FUNCTIONAL_MERGES = {
    "add": "Add",
    "subtract": "Subtract",
    "multiply": "Multiply",
    "average": "Average",
    "maximum": "Maximum",
    "minimum": "Minimum",
    "concatenate": "Concatenate",
}
ACCEPTED_EVERYWHERE = {
    "name",
    "input_shape",
    "input_dim",
    "dtype",
    "trainable",
    "kernel_initializer",
    "bias_initializer",
    "kernel_regularizer",
    "bias_regularizer",
    "activity_regularizer",
    "kernel_constraint",
    "bias_constraint",
    "depthwise_initializer",
    "pointwise_initializer",
    "depthwise_regularizer",
    "pointwise_regularizer",
    "beta_initializer",
    "gamma_initializer",
    "moving_mean_initializer",
    "moving_variance_initializer",
    "autocast",
    "lora_rank",
    "synchronized",
    "dynamic",
    "seed",
    "batch_input_shape",
    "interpolation",
    "fill_mode",
    "fill_value",
    "data_format",
    "value_range",
}
MODEL_METHODS_IGNORED = {
    "summary",
    "compile",
    "fit",
    "evaluate",
    "predict",
    "save",
    "load_weights",
    "save_weights",
    "count_params",
    "get_config",
}


def snake_case(name: str) -> str:
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


@dataclass(eq=False)
class KLayer:
    """A Keras layer object (layers.Conv2D(...)): its class (aliases resolved) and bound arguments."""

    cls: str
    bound: Bound
    name: str  # Keras's automatic name unless name= was given
    line: int
    calls: int = 0


@dataclass(eq=False)
class KTensor:
    """A symbolic Keras tensor: the graph it belongs to and the row that produced it."""

    graph: Graph
    node: str
    shape: Shape  # without the batch


@dataclass(eq=False)
class Graph:
    """The layers called since one keras.Input, planned as they are called."""

    planner: Planner


@dataclass(eq=False)
class SequentialModel:
    """keras.Sequential: its layers (or nested Sequentials), planned when an input is known."""

    name: str
    layers: list[KLayer | SequentialModel] = field(default_factory=list)
    input_shape: tuple[Value, ...] | None = None  # as the code states it (None for a free axis)


@dataclass(eq=False)
class FunctionalModel:
    """keras.Model(inputs, outputs): already planned along its graph."""

    name: str
    graph: Graph
    outputs: list[KTensor]


class FreeAxis(Exception):
    """keras.Input with a None axis: the input must come from -i."""


class PlanKey(NamedTuple):
    """What a Keras plan depends on (the text is read again for each)."""

    input_shape: tuple[int, ...] | None
    dtype: str
    macs: str
    batch: int


class KerasLibrary:
    """What keras means to the interpreter: layers, Sequential/functional models and tensors."""

    def __init__(self, origin: str, override: tuple[int, ...] | None, dtype: str, macs: str) -> None:
        self.origin, self.override, self.dtype, self.macs = origin, override, dtype, macs
        self.counters: dict[str, int] = {}

    def auto_name(self, prefix: str) -> str:
        n = self.counters.get(prefix, 0)
        self.counters[prefix] = n + 1
        return prefix if n == 0 else f"{prefix}_{n}"

    def unknown_name(self, interp: Interpreter, name: str, node: ast.Name) -> Value:
        defaults = {
            "keras": LibRef("keras"),
            "layers": LibRef("keras.layers"),
            "tf": LibRef("tensorflow"),
            "models": LibRef("keras.models"),
        }
        return defaults.get(name, UNHANDLED)

    @staticmethod
    def keras_name(ref: LibRef) -> tuple[str, str]:
        """(module kind, name): 'layers' for keras.layers.X, 'models' for Sequential/Model/Input, '' otherwise."""
        path = ref.path.lstrip(".")
        path = re.sub(r"^(tensorflow|tf)\.", "", path)
        path = re.sub(r"^(keras\.src|keras)\.", "keras.", path)
        module, _, name = path.rpartition(".")
        if name in ("Sequential", "Model", "Input", "Functional"):
            return "models", "Model" if name == "Functional" else name
        if module.startswith("keras.layers") or module == "layers" or module.startswith("keras.src.layers"):
            return "layers", name
        if module in ("keras.backend", "keras.utils") and name == "clear_session":
            return "session", name
        if module.startswith("keras") and name in ALIASES.keys() | SIGNATURES.keys() | set(FUNCTIONAL_MERGES):
            return "layers", name
        return "", name

    def call(self, interp: Interpreter, func: Value, args: Args, kwargs: Kwargs, node: Node) -> Value:
        if isinstance(func, LibRef):
            path = func.path
            if "initializer" in path or path.endswith(("regularizers.l2", "regularizers.l1", "constraints.max_norm")):
                return "initializer"  # weights' initial values and penalties do not change shapes
            if path.endswith(("image_data_format", "backend.image_data_format")):
                return "channels_last"
            kind, name = self.keras_name(func)
            if kind == "models":
                return self.make_model(interp, name, args, kwargs, node)
            if kind == "session":
                self.counters.clear()
                return None
            if kind == "layers":
                if name in FUNCTIONAL_MERGES:
                    layer = self.make_layer(interp, FUNCTIONAL_MERGES[name], [], kwargs, node)
                    return self.call_layer(interp, layer, args[0], node)
                if name == "Input":
                    return self.make_model(interp, "Input", args, kwargs, node)
                return self.make_layer(interp, name, args, kwargs, node)
            return UNHANDLED
        if isinstance(func, KLayer):
            return self.call_layer(interp, func, args[0] if args else kwargs.get("inputs"), node)
        if isinstance(func, SequentialModel):
            x = args[0]
            for step in func.layers:
                x = self.call(interp, step, [x], {}, node)
            return x
        if isinstance(func, BoundMethod) and isinstance(func.target, SequentialModel):
            return self.sequential_method(interp, func.target, func.name, args, kwargs, node)
        if isinstance(func, BoundMethod) and isinstance(func.target, FunctionalModel):
            if func.name in MODEL_METHODS_IGNORED:
                return None
            raise interp.error(node, f"model.{func.name}() is not modelled")
        return UNHANDLED

    def make_model(
        self, interp: Interpreter, name: str, args: Args, kwargs: Kwargs, node: Node
    ) -> KTensor | SequentialModel | FunctionalModel:
        if name == "Input":
            bound = bind(
                "keras.Input", ("shape", "batch_size", "dtype", "sparse", "batch_shape", "name", "tensor"), args, kwargs
            )
            shape = bound.get("shape")
            if shape is None and bound.get("batch_shape") is not None:
                shape = tuple(bound["batch_shape"])[1:]
            shape = tuple(self.override or interp.known(node, shape, "an input shape"))
            if any(v is None for v in shape):
                raise FreeAxis()
            if "name" not in bound:
                self.auto_name("input_layer")  # Keras numbers input layers too
            planner = Planner(shape, "keras", self.dtype)
            return KTensor(Graph(planner), "input", shape)
        if name == "Sequential":
            bound = bind("keras.Sequential", ("layers", "trainable", "name"), args, kwargs)
            model = SequentialModel(bound.get("name") or self.auto_name("sequential"))
            for layer in interp.iterate(bound.get("layers") or [], node):
                self.sequential_add(interp, model, layer, node)
            return model
        bound = bind("keras.Model", ("inputs", "outputs", "name"), args, kwargs, accepts_any=True)
        inputs = bound.get("inputs")
        inputs = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        if len(inputs) != 1:
            raise interp.error(node, f"a model with {len(inputs)} inputs is not planned (one input only)")
        outputs = bound.get("outputs")
        outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        if not all(isinstance(t, KTensor) for t in [*inputs, *outputs]):
            raise interp.error(node, "keras.Model needs tensors from keras.Input and layer calls")
        return FunctionalModel(bound.get("name") or self.auto_name("functional"), inputs[0].graph, outputs)

    def sequential_add(self, interp: Interpreter, model: SequentialModel, layer: Value, node: Node) -> None:
        if isinstance(layer, KTensor) and layer.node == "input":
            model.input_shape = layer.shape
            return
        if isinstance(layer, KLayer) and layer.cls == "InputLayer":
            stated: Value = layer.bound.get("shape") or layer.bound.get("input_shape")
            if not isinstance(stated, (tuple, list)):
                raise interp.error(node, "InputLayer needs its shape (shape=(H, W, C))")
            model.input_shape = tuple(stated)
            return
        if not isinstance(layer, (KLayer, SequentialModel)):
            raise interp.error(node, f"Sequential gets {type(layer).__name__}, not a layer")
        if not model.layers and isinstance(layer, KLayer) and layer.bound.get("input_shape") is not None:
            model.input_shape = tuple(layer.bound["input_shape"])
        if not model.layers and isinstance(layer, SequentialModel) and layer.input_shape is not None:
            model.input_shape = layer.input_shape
        model.layers.append(layer)

    def sequential_method(
        self, interp: Interpreter, model: SequentialModel, name: str, args: Args, kwargs: Kwargs, node: Node
    ) -> Value:
        if name == "add":
            if len(args) != 1:
                raise interp.error(node, "model.add() takes one layer")
            self.sequential_add(interp, model, args[0], node)
            return None
        if name == "build":
            shape: Value = args[0] if args else kwargs.get("input_shape")
            if not isinstance(shape, (tuple, list)) or not shape:
                raise interp.error(node, "model.build() needs the input shape, batch first: (None, H, W, C)")
            model.input_shape = tuple(shape)[1:]
            return None
        if name == "pop":
            return model.layers.pop()
        if name in MODEL_METHODS_IGNORED:
            return None
        raise interp.error(node, f"Sequential.{name}() is not modelled")

    def make_layer(self, interp: Interpreter, name: str, args: Args, kwargs: Kwargs, node: Node) -> KLayer:
        cls = ALIASES.get(name, name)
        if cls not in SIGNATURES:
            raise interp.error(
                node,
                f"layers.{name} is not a layer convarith knows; known: Conv, ConvTranspose, "
                "SeparableConv, DepthwiseConv, pools, global pools, ZeroPadding, Cropping, "
                "UpSampling, Dense, Flatten, Reshape, Permute, Dropout, normalisation, "
                "activation, Rescaling, Resizing, Random* and merge layers",
            )
        extra = {k: v for k, v in kwargs.items() if k in ACCEPTED_EVERYWHERE and k not in SIGNATURES[cls]}
        bound = bind(
            f"layers.{name}",
            SIGNATURES[cls],
            args,
            {k: v for k, v in kwargs.items() if k not in extra},
            accepts_any=cls.startswith("Random"),
        )
        bound.update(extra)
        layer_name = bound.get("name") or self.auto_name(snake_case(cls))
        return KLayer(cls, bound, layer_name, node.lineno)

    def call_layer(self, interp: Interpreter, layer: KLayer, x: Value, node: Node) -> KTensor:
        inputs = list(x) if isinstance(x, (list, tuple)) else [x]
        if not inputs or not all(isinstance(t, KTensor) for t in inputs):
            raise interp.error(node, f"{layer.name} ({layer.cls}) is called on something that is not a Keras tensor")
        graph = inputs[0].graph
        spec = keras_spec(interp, layer, node)
        spec.update(name=layer.name, inputs=[t.node for t in inputs])
        if layer.calls:
            spec["shared"] = True
        layer.calls += 1
        row = graph.planner.add(spec)
        if row.shape is None:
            raise StopPlanning(graph)
        return KTensor(graph, row.name, row.shape)

    def output_shape(
        self, interp: Interpreter, model: SequentialModel | FunctionalModel, node: Node
    ) -> tuple[int | None, ...]:
        if isinstance(model, FunctionalModel):
            return (None, *model.outputs[-1].shape)
        if model.input_shape is None:
            raise interp.error(node, f"{model.name}.output_shape: the model has no input shape yet")
        x = KTensor(Graph(Planner(tuple(model.input_shape), "keras", self.dtype)), "input", tuple(model.input_shape))
        saved = {id(layer): layer.calls for layer in model.layers if isinstance(layer, KLayer)}
        out = self.call(interp, model, [x], {}, node)
        for layer in model.layers:
            if isinstance(layer, KLayer):
                layer.calls = saved[id(layer)]
        return (None, *out.shape)

    # Interpreter hooks.
    def attribute(self, interp: Interpreter, value: Value, name: str, node: Node) -> Value:
        if isinstance(value, (SequentialModel, FunctionalModel)):
            if name == "layers" and isinstance(value, SequentialModel):
                return list(value.layers)
            if name == "output_shape":
                return self.output_shape(interp, value, node)
            if name == "name":
                return value.name
            return BoundMethod(value, name)
        if isinstance(value, KTensor):
            if name == "shape":
                return (None, *value.shape)
            raise interp.error(node, f"tensor.{name} is not modelled")
        if isinstance(value, KLayer):
            if name in value.bound:
                return value.bound[name]
            if name == "name":
                return value.name
            raise interp.error(node, f"{value.cls}.{name} is not known to convarith")
        return UNHANDLED

    def set_attribute(self, interp: Interpreter, owner: Value, name: str, value: Value, node: Node) -> None:
        if isinstance(owner, KLayer) and name == "trainable":
            return
        raise interp.error(node, f"cannot set attribute {name!r} on {type(owner).__name__}")

    def set_item(self, interp: Interpreter, owner: Value, index: Value, value: Value, node: Node) -> None:
        raise interp.error(node, f"cannot assign into {type(owner).__name__}")

    def subscript(self, interp: Interpreter, value: Value, index: Value, node: Node) -> Value:
        if isinstance(value, KTensor):
            raise interp.error(node, "slicing a Keras tensor is not modelled (use layers.Cropping*)")
        return UNHANDLED

    def truth(self, interp: Interpreter, value: Value, node: Node) -> bool | Unhandled:
        if isinstance(value, (KLayer, SequentialModel, FunctionalModel, KTensor)):
            return True
        return UNHANDLED

    def iterate(self, interp: Interpreter, value: Value, node: Node) -> list[Value] | Unhandled:
        return UNHANDLED

    def length(self, interp: Interpreter, value: Value, node: Node) -> int | Unhandled:
        if isinstance(value, SequentialModel):
            return len(value.layers)
        return UNHANDLED

    def binary(self, interp: Interpreter, op: ast.operator, left: Value, right: Value, node: Node) -> Value:
        if isinstance(left, KTensor) or isinstance(right, KTensor):
            if isinstance(left, KTensor) and isinstance(right, KTensor):
                layer = self.make_layer(interp, "Add", [], {}, node)
                return self.call_layer(interp, layer, [left, right], node)
            return left if isinstance(left, KTensor) else right
        return UNHANDLED

    def unary(self, interp: Interpreter, op: ast.unaryop, value: Value, node: Node) -> Value:
        return value if isinstance(value, KTensor) else UNHANDLED

    def isinstance(self, interp: Interpreter, value: Value, kinds: Value, node: Node) -> bool:
        return False

    def hasattr(self, interp: Interpreter, value: Value, name: str, node: Node) -> bool:
        return hasattr(value, name)

    def super(self, interp: Interpreter, node: Node, *args: Value) -> Value:
        raise interp.error(node, "custom Keras layer classes are not modelled")

    def type_of(self, interp: Interpreter, value: Value, node: Node) -> LibRef:
        return LibRef(type(value).__name__)


class StopPlanning(Exception):
    """The planner stopped on a fatal diagnostic: the rest of the code is not followed."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph


def _pair(value: Value, n: int) -> tuple[Value, ...]:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,) * n


def _spatial_axes(cls: str) -> int:
    """1, 2 or 3 from the class name (Conv1D, MaxPooling3D); 2 for classes without (Dense, Resizing)."""
    match = re.search(r"([123])D", cls)
    return int(match.group(1)) if match else 2


def keras_spec(interp: Interpreter, layer: KLayer, node: Node) -> Spec:
    """A planner layer dict from a Keras layer of the code, by Keras's own rules."""
    for key, value in layer.bound.items():
        if key not in ("activation", "name", "kernel_initializer", "seed"):
            interp.known(node, value, f"the value of {key}")
    return keras_layer_spec(layer.cls, layer.bound, layer.name, lambda message: interp.error(node, message))


def keras_layer_spec(cls: str, bound: Bound, name: str, refuse: Callable[[str], Exception]) -> Spec:
    """A planner layer dict from a Keras layer class (aliases resolved) and its arguments by
    name, by Keras's own rules; shared by the code reader and the reader of live models'
    configs. ``refuse`` makes the error for a layer that is not planned (its message given)."""
    spec = _keras_layer_spec(cls, bound, name, refuse)
    if re.search(r"[123]D", cls) and spec["type"] in RANKED:  # Conv1D on a 2-D map: Keras refuses it
        spec["spatial_dims"] = _spatial_axes(cls)
    activation = bound.get("activation")
    if cls != "Activation" and isinstance(activation, str) and activation != "linear":
        spec["activation"] = activation  # changes no shape; kept so that the network can be written back
    return spec


def _keras_layer_spec(cls: str, bound: Bound, name: str, refuse: Callable[[str], Exception]) -> Spec:
    axes = _spatial_axes(cls)
    if bound.get("data_format") == "channels_first":
        raise refuse(f"{name}: data_format='channels_first' is not planned (channels last only)")
    if cls.startswith(("Conv", "SeparableConv", "DepthwiseConv")):
        spec = {
            "kernel_size": bound["kernel_size"],
            "stride": bound.get("strides", 1),
            "padding": bound.get("padding", "valid"),
            "dilation": bound.get("dilation_rate", 1),
            "bias": bound.get("use_bias", True),
        }
        if cls.startswith("SeparableConv"):
            return {
                **spec,
                "type": "separable_conv",
                "out_channels": bound["filters"],
                "depth_multiplier": bound.get("depth_multiplier", 1),
            }
        if cls.startswith("DepthwiseConv"):
            return {**spec, "type": "depthwise_conv", "depth_multiplier": bound.get("depth_multiplier", 1)}
        if cls.endswith("Transpose"):
            return {
                **spec,
                "type": "conv_transpose",
                "out_channels": bound["filters"],
                "output_padding": bound.get("output_padding"),
            }
        return {**spec, "type": "conv", "out_channels": bound["filters"], "groups": bound.get("groups", 1)}
    if cls.startswith(("MaxPooling", "AveragePooling")):
        size = bound.get("pool_size", 2)
        return {
            "type": "max_pool" if cls.startswith("Max") else "avg_pool",
            "kernel_size": size,
            "stride": bound.get("strides") if bound.get("strides") is not None else size,
            "padding": bound.get("padding", "valid"),
        }
    if cls.startswith(("GlobalAveragePooling", "GlobalMaxPooling")):
        if bound.get("keepdims"):
            return {
                "type": "adaptive_avg_pool" if "Average" in cls else "adaptive_max_pool",
                "output_size": (1,) * axes,
            }
        return {"type": "global_pool", "how": "max" if "Max" in cls else "average"}
    if cls.startswith("ZeroPadding"):
        pads = _keras_pairs(bound.get("padding", 1), axes)
        return {"type": "border_pad", "pads": pads, "mode": "constant", "describe": cls}
    if cls.startswith("Cropping"):
        crops = _keras_pairs(bound.get("cropping", 1 if axes == 1 else 0), axes)
        return {"type": "border_pad", "pads": tuple((-a, -c) for a, c in crops), "mode": "constant", "describe": cls}
    if cls.startswith("UpSampling"):
        return {
            "type": "upsample",
            "scale_factor": _pair(bound.get("size", 2), axes),
            "mode": "nearest" if bound.get("interpolation", "nearest") == "nearest" else "bilinear",
        }
    if cls == "Resizing":
        return {"type": "upsample", "size": (bound["height"], bound["width"]), "mode": "bilinear"}
    if cls == "Dense":
        return {"type": "linear", "out_features": bound["units"], "bias": bound.get("use_bias", True)}
    if cls == "Flatten":
        return {"type": "flatten"}
    if cls == "Reshape":
        return {"type": "reshape", "shape": tuple(bound["target_shape"])}
    if cls == "Permute":
        return {"type": "permute", "dims": tuple(d - 1 for d in bound["dims"])}
    if cls == "BatchNormalization":
        return {
            "type": "batch_norm",
            "moving_statistics": True,
            "affine_terms": int(bound.get("center", True)) + int(bound.get("scale", True)),
        }
    if cls == "LayerNormalization":
        return {
            "type": "layer_norm",
            "normalized_shape": None,
            "affine_terms": int(bound.get("center", True)) + int(bound.get("scale", True)),
        }
    if cls == "GroupNormalization":
        return {"type": "group_norm", "num_groups": bound.get("groups", 32)}
    if cls in MERGES:
        axis = bound.get("axis", -1)
        return {"type": "concat" if cls == "Concatenate" else "add", "axis": axis - 1 if axis > 0 else axis}
    if cls == "PReLU":
        return {"type": "prelu", "per_element": not bound.get("shared_axes")}
    if cls == "Rescaling":
        return {"type": "rescale"}
    if cls.startswith("Random"):
        return {"type": "augment"}
    if "Dropout" in cls or cls.startswith("Gaussian"):
        return {"type": "dropout"}
    activation = bound.get("activation") if cls == "Activation" else snake_case(cls).replace("re_lu", "relu")
    kind = activation if isinstance(activation, str) and activation in ACTIVATIONS else "identity"
    return {"type": kind, "describe": activation if isinstance(activation, str) else cls}


def _keras_pairs(value: Value, n: int) -> tuple[Value, ...]:
    """Keras padding/cropping: an int, a per-axis int, or per-axis (before, after)."""
    if isinstance(value, int):
        return ((value, value),) * n
    value = tuple(value)
    if n == 1 and len(value) == 2 and all(isinstance(v, int) for v in value):
        return (value,)
    return tuple((v, v) if isinstance(v, int) else tuple(v) for v in value)


@dataclass
class KerasModel:
    """Keras code; planned by reading it again with the input chosen."""

    tree: ast.Module
    origin: str
    variable: str | None  # --class: the variable holding the model
    framework: str = "keras"
    default_input: tuple[int, ...] | None = None
    plans: dict[PlanKey, Plan] = field(default_factory=dict)  # each costs a reading of the text

    def plan(
        self, input_shape: Value = None, framework: str = "keras", dtype: str = "float32", macs: str = "multiply"
    ) -> Plan:
        if not isinstance(framework, str) or framework not in ("keras", "tf"):
            raise ShapeError("--framework", f"Keras code is planned with Keras's rules, not {show(framework)}")
        check_options(dtype, macs)
        override = None
        batch = 1
        if input_shape is not None:
            override = check_shape(input_shape, "input")
            if self.default_input is not None and len(override) == len(self.default_input) + 1:
                batch, override = override[0], override[1:]
        return self._run(override, dtype, macs, batch)

    def _run(self, override: tuple[int, ...] | None, dtype: str, macs: str, batch: int = 1) -> Plan:
        key = PlanKey(override or self.default_input, dtype, macs, batch)
        if key not in self.plans:
            with guarded(self.origin):
                self.plans[key] = self._interpret(override, dtype, macs, batch)
        return self.plans[key]

    def _interpret(self, override: tuple[int, ...] | None, dtype: str, macs: str, batch: int) -> Plan:
        library = KerasLibrary(self.origin, override, dtype, macs)
        interp = Interpreter(self.origin, library)
        scope = Scope()
        try:
            interp.run_module(self.tree, scope, strict=False)
        except StopPlanning as stop:
            return finish(stop.graph.planner, macs=macs)
        model = _select(scope, self.variable, self.origin)
        if isinstance(model, FunctionalModel):
            planner = model.graph.planner
            notes: list[str] = []
            if len(model.outputs) > 1:
                notes.append(f"the model has {len(model.outputs)} outputs; the table's output is the last row")
            planner.batch = batch
            return _rescale(finish(planner, notes, macs), batch)
        shape = override or model.input_shape
        if shape is None:
            raise ShapeError("--input", f"{model.name} does not say its input shape: give -i (H x W x C)")
        if any(v is None for v in shape):
            raise ShapeError("--input", f"{model.name}'s input {tuple(shape)} has a free axis: give -i with every size")
        planner = Planner(tuple(shape), "keras", dtype, batch)
        graph = Graph(planner)
        x = KTensor(graph, "input", tuple(shape))
        try:
            library.call(interp, model, [x], {}, line_node(1))
        except StopPlanning:
            pass
        except CodeError as exc:
            planner.stop(exc.rule)
        return finish(planner, macs=macs)


def _rescale(plan: Plan, batch: int) -> Plan:
    if batch != 1:
        for row in plan.rows:
            row.memory *= batch
            row.macs *= batch
            row.torchinfo_macs *= batch
    return plan


def _select(scope: Scope, variable: str | None, origin: str) -> SequentialModel | FunctionalModel:
    models = {k: v for k, v in scope.vars.items() if isinstance(v, (SequentialModel, FunctionalModel))}
    if variable is not None:
        value = scope.vars.get(variable)
        if isinstance(value, (SequentialModel, FunctionalModel)):
            return value
        why = getattr(value, "why", None)
        if why:
            raise ShapeError("--class", f"{variable} in {origin} could not be built: {why}")
        raise ShapeError(
            "--class", f"{variable!r} is not a Keras model in {origin}; models: {', '.join(models) or 'none'}"
        )
    if "model" in models:
        return models["model"]
    if len(models) == 1:
        return next(iter(models.values()))
    failed = [f"{k}: {v.why}" for k, v in scope.vars.items() if hasattr(v, "why")]
    if not models and failed:
        raise ShapeError("code", f"{origin}: no model could be built; {failed[-1]}")
    if not models:
        raise ShapeError(
            "code",
            f"{origin}: no Keras model is built (keras.Sequential(...) or keras.Model(inputs, "
            "outputs) assigned to a name)",
        )
    raise ShapeError(
        "--class",
        f"{origin} defines {len(models)} models ({', '.join(models) or 'none'}): name one with --class VARIABLE",
    )


def read_keras(text: str, origin: str, variable: str | None = None, args: str | None = None) -> KerasModel:
    if args:
        raise ShapeError("--args", "Keras code takes its values from the text; edit the call that builds the model")
    model = KerasModel(parse(text, origin), origin, variable)
    try:
        probe = model._run(None, "float32", "multiply")
        model.default_input = probe.input_shape
        model.plans[PlanKey(probe.input_shape, "float32", "multiply", 1)] = probe
    except FreeAxis:
        model.default_input = None
    except ConvarithError as exc:
        if exc.parameter != "--input":  # a model without a stated input is planned once -i is given
            raise
        model.default_input = None
    return model
