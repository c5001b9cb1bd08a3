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
from dataclasses import dataclass, field

from ...errors import ShapeError
from ..model import ACTIVATIONS, Plan, Planner, check_options, finish
from ..schema import check_shape, show
from ..signatures import bind
from .interpreter import UNHANDLED, BoundMethod, CodeError, Interpreter, LibRef, Scope, guarded, parse

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
for _dims in ("1D", "2D", "3D"):
    SIGNATURES.update(
        {
            f"Conv{_dims}": _CONV,
            f"Conv{_dims}Transpose": _CONV_T,
            f"MaxPooling{_dims}": _POOL,
            f"AveragePooling{_dims}": _POOL,
            f"GlobalAveragePooling{_dims}": ("data_format", "keepdims"),
            f"GlobalMaxPooling{_dims}": ("data_format", "keepdims"),
            f"ZeroPadding{_dims}": ("padding", "data_format"),
            f"Cropping{_dims}": ("cropping", "data_format"),
            f"UpSampling{_dims}": ("size", "data_format", "interpolation"),
            f"SpatialDropout{_dims}": ("rate", "seed"),
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
    cls: str
    bound: dict
    name: str
    line: int
    calls: int = 0


@dataclass(eq=False)
class KTensor:
    graph: Graph
    node: str
    shape: tuple  # without the batch


@dataclass(eq=False)
class Graph:
    planner: Planner


@dataclass(eq=False)
class SequentialModel:
    name: str
    layers: list = field(default_factory=list)
    input_shape: tuple | None = None


@dataclass(eq=False)
class FunctionalModel:
    name: str
    graph: Graph
    outputs: list


class FreeAxis(Exception):
    pass


class KerasLibrary:
    def __init__(self, origin: str, override: tuple | None, dtype: str, macs: str):
        self.origin, self.override, self.dtype, self.macs = origin, override, dtype, macs
        self.counters: dict[str, int] = {}

    def auto_name(self, prefix: str) -> str:
        n = self.counters.get(prefix, 0)
        self.counters[prefix] = n + 1
        return prefix if n == 0 else f"{prefix}_{n}"

    def unknown_name(self, interp, name, node):
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

    def call(self, interp, func, args, kwargs, node):
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
            for layer in func.layers:
                x = self.call(interp, layer, [x], {}, node)
            return x
        if isinstance(func, BoundMethod) and isinstance(func.target, SequentialModel):
            return self.sequential_method(interp, func.target, func.name, args, kwargs, node)
        if isinstance(func, BoundMethod) and isinstance(func.target, FunctionalModel):
            if func.name in MODEL_METHODS_IGNORED:
                return None
            raise interp.error(node, f"model.{func.name}() is not modelled")
        return UNHANDLED

    def make_model(self, interp, name, args, kwargs, node):
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
            self.auto_name("input_layer") if "name" not in bound else None
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

    def sequential_add(self, interp, model, layer, node):
        if isinstance(layer, KTensor) and layer.node == "input":
            model.input_shape = layer.shape
            return
        if isinstance(layer, KLayer) and layer.cls == "InputLayer":
            model.input_shape = tuple(layer.bound.get("shape") or layer.bound.get("input_shape"))
            return
        if not isinstance(layer, (KLayer, SequentialModel)):
            raise interp.error(node, f"Sequential gets {type(layer).__name__}, not a layer")
        if not model.layers and isinstance(layer, KLayer) and layer.bound.get("input_shape") is not None:
            model.input_shape = tuple(layer.bound["input_shape"])
        if not model.layers and isinstance(layer, SequentialModel) and layer.input_shape is not None:
            model.input_shape = layer.input_shape
        model.layers.append(layer)

    def sequential_method(self, interp, model, name, args, kwargs, node):
        if name == "add":
            self.sequential_add(interp, model, args[0], node)
            return None
        if name == "build":
            shape = args[0] if args else kwargs.get("input_shape")
            model.input_shape = tuple(shape)[1:]
            return None
        if name == "pop":
            return model.layers.pop()
        if name in MODEL_METHODS_IGNORED:
            return None
        raise interp.error(node, f"Sequential.{name}() is not modelled")

    def make_layer(self, interp, name, args, kwargs, node):
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

    def call_layer(self, interp, layer, x, node):
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

    def output_shape(self, interp, model, node):
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
    def attribute(self, interp, value, name, node):
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

    def set_attribute(self, interp, owner, name, value, node):
        if isinstance(owner, KLayer) and name == "trainable":
            return
        raise interp.error(node, f"cannot set attribute {name!r} on {type(owner).__name__}")

    def set_item(self, interp, owner, index, value, node):
        raise interp.error(node, f"cannot assign into {type(owner).__name__}")

    def subscript(self, interp, value, index, node):
        if isinstance(value, KTensor):
            raise interp.error(node, "slicing a Keras tensor is not modelled (use layers.Cropping*)")
        return UNHANDLED

    def truth(self, interp, value, node):
        if isinstance(value, (KLayer, SequentialModel, FunctionalModel, KTensor)):
            return True
        return UNHANDLED

    def iterate(self, interp, value, node):
        return UNHANDLED

    def length(self, interp, value, node):
        if isinstance(value, SequentialModel):
            return len(value.layers)
        return UNHANDLED

    def binary(self, interp, op, left, right, node):
        if isinstance(left, KTensor) or isinstance(right, KTensor):
            if isinstance(left, KTensor) and isinstance(right, KTensor):
                layer = self.make_layer(interp, "Add", [], {}, node)
                return self.call_layer(interp, layer, [left, right], node)
            return left if isinstance(left, KTensor) else right
        return UNHANDLED

    def unary(self, interp, op, value, node):
        return value if isinstance(value, KTensor) else UNHANDLED

    def isinstance(self, interp, value, kinds, node):
        return False

    def hasattr(self, interp, value, name, node):
        return hasattr(value, name)

    def super(self, interp, node, *args):
        raise interp.error(node, "custom Keras layer classes are not modelled")

    def type_of(self, interp, value, node):
        return LibRef(type(value).__name__)


class StopPlanning(Exception):
    def __init__(self, graph):
        self.graph = graph


def _pair(value, n):
    return tuple(value) if isinstance(value, (list, tuple)) else (value,) * n


def _dims(cls: str) -> int:
    match = re.search(r"([123])D", cls)
    return int(match.group(1)) if match else 2


def keras_spec(interp, layer: KLayer, node) -> dict:
    """A planner layer dict from a Keras layer, by Keras's own rules."""
    cls, b = layer.cls, layer.bound
    for key, value in b.items():
        if key not in ("activation", "name", "kernel_initializer", "seed"):
            interp.known(node, value, f"the value of {key}")
    n = _dims(cls)
    if b.get("data_format") == "channels_first":
        raise interp.error(node, f"{layer.name}: data_format='channels_first' is not planned (channels last only)")
    if cls.startswith(("Conv", "SeparableConv", "DepthwiseConv")):
        spec = {
            "kernel_size": b["kernel_size"],
            "stride": b.get("strides", 1),
            "padding": b.get("padding", "valid"),
            "dilation": b.get("dilation_rate", 1),
            "bias": b.get("use_bias", True),
        }
        if cls.startswith("SeparableConv"):
            return {
                **spec,
                "type": "separable_conv",
                "out_channels": b["filters"],
                "depth_multiplier": b.get("depth_multiplier", 1),
            }
        if cls.startswith("DepthwiseConv"):
            return {**spec, "type": "depthwise_conv", "depth_multiplier": b.get("depth_multiplier", 1)}
        if cls.endswith("Transpose"):
            return {
                **spec,
                "type": "conv_transpose",
                "out_channels": b["filters"],
                "output_padding": b.get("output_padding"),
            }
        return {**spec, "type": "conv", "out_channels": b["filters"], "groups": b.get("groups", 1)}
    if cls.startswith(("MaxPooling", "AveragePooling")):
        size = b.get("pool_size", 2)
        return {
            "type": "max_pool" if cls.startswith("Max") else "avg_pool",
            "kernel_size": size,
            "stride": b.get("strides") if b.get("strides") is not None else size,
            "padding": b.get("padding", "valid"),
        }
    if cls.startswith(("GlobalAveragePooling", "GlobalMaxPooling")):
        if b.get("keepdims"):
            return {"type": "adaptive_avg_pool" if "Average" in cls else "adaptive_max_pool", "output_size": (1,) * n}
        return {"type": "global_pool"}
    if cls.startswith("ZeroPadding"):
        pads = _keras_pairs(b.get("padding", 1), n)
        return {"type": "border_pad", "pads": pads, "mode": "constant", "describe": cls}
    if cls.startswith("Cropping"):
        crops = _keras_pairs(b.get("cropping", 1 if n == 1 else 0), n)
        return {"type": "border_pad", "pads": tuple((-a, -c) for a, c in crops), "mode": "constant", "describe": cls}
    if cls.startswith("UpSampling"):
        return {
            "type": "upsample",
            "scale_factor": _pair(b.get("size", 2), n),
            "mode": "nearest" if b.get("interpolation", "nearest") == "nearest" else "bilinear",
        }
    if cls == "Resizing":
        return {"type": "upsample", "size": (b["height"], b["width"]), "mode": "bilinear"}
    if cls == "Dense":
        return {"type": "linear", "out_features": b["units"], "bias": b.get("use_bias", True)}
    if cls == "Flatten":
        return {"type": "flatten"}
    if cls == "Reshape":
        return {"type": "reshape", "shape": tuple(b["target_shape"])}
    if cls == "Permute":
        return {"type": "permute", "dims": tuple(d - 1 for d in b["dims"])}
    if cls == "BatchNormalization":
        return {
            "type": "batch_norm",
            "moving_statistics": True,
            "affine_terms": int(b.get("center", True)) + int(b.get("scale", True)),
        }
    if cls == "LayerNormalization":
        return {
            "type": "layer_norm",
            "normalized_shape": None,
            "affine_terms": int(b.get("center", True)) + int(b.get("scale", True)),
        }
    if cls == "GroupNormalization":
        return {"type": "group_norm", "num_groups": b.get("groups", 32)}
    if cls in MERGES:
        axis = b.get("axis", -1)
        return {"type": "concat" if cls == "Concatenate" else "add", "axis": axis - 1 if axis > 0 else axis}
    if cls == "PReLU":
        return {"type": "prelu", "per_element": not b.get("shared_axes")}
    if cls == "Rescaling":
        return {"type": "rescale"}
    if cls.startswith("Random"):
        return {"type": "augment"}
    if "Dropout" in cls or cls.startswith("Gaussian"):
        return {"type": "dropout"}
    activation = b.get("activation") if cls == "Activation" else snake_case(cls).replace("re_lu", "relu")
    kind = activation if isinstance(activation, str) and activation in ACTIVATIONS else "identity"
    return {"type": kind, "describe": activation if isinstance(activation, str) else cls}


def _keras_pairs(value, n):
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

    text: str
    tree: ast.Module
    origin: str
    variable: str | None
    framework: str = "keras"
    default_input: tuple | None = None
    plans: dict = field(default_factory=dict)  # (input, dtype, macs, batch) -> Plan: reading the input costs a run

    def plan(self, input_shape=None, framework="keras", dtype="float32", macs="multiply") -> Plan:
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

    def _run(self, override, dtype, macs, batch=1) -> Plan:
        key = (override or self.default_input, dtype, macs, batch)
        if key not in self.plans:
            with guarded(self.origin):
                self.plans[key] = self._interpret(override, dtype, macs, batch)
        return self.plans[key]

    def _interpret(self, override, dtype, macs, batch) -> Plan:
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
            notes = []
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
            library.call(interp, model, [x], {}, _node(1))
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


def _node(line):
    node = ast.Pass()
    node.lineno = line
    return node


def _select(scope: Scope, variable: str | None, origin: str):
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
    model = KerasModel(text, parse(text, origin), origin, variable)
    try:
        probe = model._run(None, "float32", "multiply")
        model.default_input = probe.input_shape
        model.plans[(probe.input_shape, "float32", "multiply", 1)] = probe
    except FreeAxis:
        model.default_input = None
    except ShapeError as exc:
        if exc.parameter != "--input":  # a model without a stated input is planned once -i is given
            raise
        model.default_input = None
    return model
