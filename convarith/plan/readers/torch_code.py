"""PyTorch model code, read statically: ``nn.Module`` classes whose ``forward`` is followed, or
bare layer expressions (``nn.Conv2d(3, 64, 7, 2, 3), nn.ReLU()``).

``__init__`` is evaluated to build the module tree (attributes, Sequential/ModuleList/
ModuleDict, loops, helper methods, sub-module classes); names follow ``named_modules()``.
Then ``forward`` is evaluated on a symbolic tensor: every module call, residual ``+``,
``torch.cat``, functional pool/pad/interpolate, flatten/view/reshape/mean and slicing becomes
a planned row, in call order, so a module used twice is planned twice (its parameters
counted once). The model is in eval mode (``self.training`` is False).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from math import prod
from typing import Any, NoReturn

from ...errors import ConvarithError, ShapeError
from ..model import SHAPE_KEEPING, Plan, Planner, Shape, check_options, finish
from ..schema import Spec, check_shape, show
from ..signatures import TORCH, Bound, bind, functional_pads, torch_layer
from .interpreter import (
    UNHANDLED,
    Args,
    BoundMethod,
    ClassValue,
    CodeError,
    Function,
    Interpreter,
    Kwargs,
    LibRef,
    Node,
    Partial,
    Scope,
    Unhandled,
    Value,
    guarded,
    line_node,
    parse,
)


class Module:
    """Any nn.Module value; ``name`` is its qualified name once the tree is named."""

    name: str | None = None
    calls: int = 0


@dataclass(eq=False)
class Leaf(Module):
    """A torch layer (nn.Conv2d(...)): its bound arguments and the planner's layer dict for it."""

    cls: str
    bound: Bound
    layer: Spec
    line: int
    dims: int | None = None  # spatial axes it takes, when its class fixes them
    name: str | None = None
    calls: int = 0
    wrappers: list[str] = field(default_factory=list)  # weight_norm / spectral_norm


@dataclass(eq=False)
class Container(Module):
    """nn.Sequential, nn.ModuleList or nn.ModuleDict."""

    kind: str  # Sequential, ModuleList, ModuleDict
    children: dict[str, Value]  # modules, unless the code put something else in (append, [key] = ...)
    name: str | None = None
    calls: int = 0


@dataclass(eq=False)
class Instance(Module):
    """An instance of a module class of the text: its attributes as __init__ set them."""

    cls: ClassValue
    attrs: dict[str, Value] = field(default_factory=dict)
    name: str | None = None
    calls: int = 0
    leaf: Leaf | None = None  # for a subclass of a torch layer (class Conv3DSimple(nn.Conv3d))

    @property
    def children(self) -> dict[str, Module]:
        return {k: v for k, v in self.attrs.items() if isinstance(v, Module)}


@dataclass(frozen=True)
class Tensor:
    """A tensor in forward: the row that produced it and its shape."""

    node: str  # the planner row that produced it ("input" for the network input)
    shape: Shape  # with the batch dimension


@dataclass
class Super:
    """super() in a method: the instance, and the class whose successors in the MRO are searched."""

    instance: Instance
    after: ClassValue


@dataclass(frozen=True)
class Weights:
    """A tensor made in __init__ (torch.ones(dim, 1, 1) * scale); a parameter once wrapped in nn.Parameter."""

    shape: tuple[int, ...]
    parameter: bool = False

    @property
    def count(self) -> int:
        return prod(self.shape)


class Ignored:
    """Weight initialisation and other calls that cannot change shapes."""

    def __repr__(self) -> str:
        return "Ignored"


IGNORED = Ignored()
CONTAINERS = ("Sequential", "ModuleList", "ModuleDict")
CONTAINER_BASES = {f"torch.nn.{kind}" for kind in CONTAINERS}
MODULE_BASES = {"torch.nn.Module", *CONTAINER_BASES}
NO_EFFECT_METHODS = {
    "modules",
    "named_modules",
    "parameters",
    "named_parameters",
    "children",
    "named_children",
    "apply",
    "register_buffer",
    "register_parameter",
    "train",
    "eval",
    "to",
    "cuda",
    "cpu",
    "float",
    "double",
    "half",
    "zero_grad",
    "requires_grad_",
    "state_dict",
    "load_state_dict",
    "buffers",
    "named_buffers",
    "register_forward_hook",
    "initialize_weights",
    "_initialize_weights",
    "init_weights",
    "_init_weights",
    "reset_parameters",
}
ELEMENTWISE = {
    "relu",
    "relu_",
    "relu6",
    "sigmoid",
    "tanh",
    "gelu",
    "silu",
    "elu",
    "selu",
    "celu",
    "leaky_relu",
    "leaky_relu_",
    "hardswish",
    "hardsigmoid",
    "hardtanh",
    "mish",
    "softmax",
    "log_softmax",
    "softmin",
    "softplus",
    "softsign",
    "logsigmoid",
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "alpha_dropout",
    "feature_alpha_dropout",
    "normalize",
    "clamp",
    "clip",
    "abs",
    "exp",
    "sqrt",
    "rsqrt",
    "neg",
    "sign",
    "square",
    "contiguous",
    "clone",
    "detach",
    "float",
    "double",
    "half",
    "to",
    "cpu",
    "cuda",
    "type",
    "type_as",
    "requires_grad_",
    "sigmoid_",
    "tanh_",
    "local_response_norm",
    "layer_norm",
    "batch_norm",
    "instance_norm",
    "group_norm",
    "prelu",
    "rrelu",
    "threshold",
    "log",
    "hardshrink",
    "softshrink",
    "tanhshrink",
    "add_",
    "mul_",
    "clamp_",
    "pow",
    "reciprocal",
    "erf",
    "sin",
    "cos",
}
NO_EFFECT_FUNCTIONS = {
    "_log_api_usage_once",
    "_initialize_weights",
    "init_weights",
    "_init_weights",
    "weights_init",
    "initialize_weights",
}
MERGING = {"add", "mul", "sub", "div", "maximum", "minimum", "multiply", "subtract"}


def _library_path(ref: LibRef) -> str:
    """torch.nn.Conv2d, nn.Conv2d and a bare Conv2d imported from torch.nn all read the same."""
    path = ref.path.lstrip(".")
    for prefix, full in (
        ("nn.functional.", "torch.nn.functional."),
        ("nn.", "torch.nn."),
        ("F.", "torch.nn.functional."),
    ):
        if path.startswith(prefix):
            return full + path[len(prefix) :]
    return path


def _torch_bases(cls: ClassValue) -> list[str]:
    """The library classes a class of the text derives from, as full paths (torch.nn.Module)."""
    return [_library_path(LibRef(path)) for path in cls.library_bases()]


# isinstance(value, kind) for Python and typing kinds, by name.
PYTHON_KINDS: dict[str, type | tuple[type, ...]] = {
    "int": int,
    "float": float,
    "str": str,
    "tuple": tuple,
    "list": list,
    "dict": dict,
    "bool": bool,
    "Sequence": (list, tuple, str),
    "List": list,
    "Tuple": tuple,
    "Iterable": (list, tuple, str, dict),
    "Mapping": dict,
    "Dict": dict,
    "Callable": (Function, ClassValue, Partial, LibRef, Module),
}


class TorchLibrary:
    """What torch means to the interpreter: building modules, and planning tensors in forward."""

    repr_mode = False  # print(model) text: a Linear fed a feature map gets an assumed flatten

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.planner: Planner | None = None
        self.notes: list[str] = []

    # Defaults for pasted snippets without imports.
    def unknown_name(self, interp: Interpreter, name: str, node: ast.Name) -> Value:
        defaults = {
            "nn": LibRef("torch.nn"),
            "F": LibRef("torch.nn.functional"),
            "torch": LibRef("torch"),
            "functools": LibRef("functools"),
            "OrderedDict": LibRef("collections.OrderedDict"),
            "partial": LibRef("functools.partial"),
        }
        if name in defaults:
            return defaults[name]
        if name in TORCH or name in CONTAINERS:
            return LibRef(f"torch.nn.{name}")
        return UNHANDLED

    # Building modules.
    def make_leaf(self, interp: Interpreter, cls: str, args: Args, kwargs: Kwargs, node: Node) -> Leaf:
        sig = TORCH[cls]
        where = ""
        accepts_any = cls == "Identity"
        try:
            bound = bind(f"nn.{cls}", sig.params, args, kwargs, sig.required, where, accepts_any=accepts_any)
        except ConvarithError as exc:
            raise interp.error(node, exc.rule) from None
        for key, value in bound.items():
            if key not in ("device", "dtype"):
                interp.known(node, value, f"the value of {key}")
        try:
            layer = torch_layer(cls, bound)
        except ConvarithError as exc:
            raise interp.error(node, f"nn.{cls}: {exc}") from None
        return Leaf(cls, bound, layer, node.lineno, sig.dims)

    def make_container(self, interp: Interpreter, kind: str, args: Args, kwargs: Kwargs, node: Node) -> Container:
        children: dict[str, Value] = {}
        if kind == "Sequential":
            if len(args) == 1 and isinstance(args[0], dict):
                children = dict(args[0])
            else:
                children = {str(i): m for i, m in enumerate(args)}
        elif kind == "ModuleList":
            items = interp.iterate(args[0], node) if args else []
            children = {str(i): m for i, m in enumerate(items)}
        else:
            source = args[0] if args else {}
            pairs = source.items() if isinstance(source, dict) else interp.iterate(source, node)
            children = {str(k): m for k, m in pairs}
        for key, child in children.items():
            if not isinstance(child, Module):
                raise interp.error(node, f"nn.{kind} gets {type(child).__name__} at {key!r}, not a module")
        return Container(kind, children)

    def instantiate(self, interp: Interpreter, cls: ClassValue, args: Args, kwargs: Kwargs, node: Node) -> Module:
        instance = Instance(cls)
        owner, init = cls.lookup("__init__")
        if init is not None:
            interp.call_function(Function(init.node, init.scope, owner=owner), args, kwargs, node, bound_self=instance)
        elif args or kwargs or self.layer_base(cls):
            self.library_init(interp, instance, cls, args, kwargs, node)
        if instance.leaf is not None and cls.lookup("forward").value is None:
            return instance.leaf
        return instance

    def layer_base(self, cls: ClassValue) -> str | None:
        """The torch layer a class of the text subclasses (class Conv3DSimple(nn.Conv3d): Conv3d), if any."""
        return next(
            (
                p.rsplit(".", 1)[-1]
                for p in _torch_bases(cls)
                if p.startswith("torch.nn.") and p.rsplit(".", 1)[-1] in TORCH
            ),
            None,
        )

    def library_init(
        self, interp: Interpreter, instance: Instance, cls: ClassValue, args: Args, kwargs: Kwargs, node: Node
    ) -> None:
        layer = self.layer_base(cls)
        if layer is not None:
            instance.leaf = self.make_leaf(interp, layer, args, kwargs, node)
            return
        kind = self.container_base(cls)
        if kind is None:
            return
        container = self.make_container(interp, kind, args, kwargs, node)
        for key, child in container.children.items():
            instance.attrs[key] = child

    def is_module_class(self, cls: ClassValue) -> bool:
        return any(p in MODULE_BASES for p in _torch_bases(cls))

    # Interpreter hooks.
    def call(self, interp: Interpreter, func: Value, args: Args, kwargs: Kwargs, node: Node) -> Value:
        if isinstance(func, LibRef):
            return self.call_library(interp, _library_path(func), args, kwargs, node)
        if isinstance(func, ClassValue):
            return self.instantiate(interp, func, args, kwargs, node)
        if isinstance(func, Module):
            return self.call_module(interp, func, args, kwargs, node)
        if isinstance(func, BoundMethod):
            return self.call_method(interp, func, args, kwargs, node)
        if isinstance(func, Ignored):
            return IGNORED
        if isinstance(func, Function) and getattr(func.node, "name", "") in NO_EFFECT_FUNCTIONS:
            return IGNORED
        return UNHANDLED

    def call_library(self, interp: Interpreter, path: str, args: Args, kwargs: Kwargs, node: Node) -> Value:
        module, _, name = path.rpartition(".")
        if module == "torch.nn" and name in TORCH:
            return self.make_leaf(interp, name, args, kwargs, node)
        if module == "torch.nn" and name in CONTAINERS:
            return self.make_container(interp, name, args, kwargs, node)
        if name in ("weight_norm", "spectral_norm") and module.startswith("torch.nn.utils"):
            target = args[0] if args else kwargs.get("module")
            if not isinstance(target, Leaf):
                raise interp.error(node, f"{name} wraps {type(target).__name__}; convarith models it on one layer")
            if name == "weight_norm" and target.layer["type"] in ("conv", "conv_transpose", "linear"):
                target.layer = {**target.layer, "weight_norm": True}
            target.wrappers.append(name)
            return target
        if path in ("torch.nn.Parameter", "torch.nn.parameter.Parameter"):
            value = args[0] if args else kwargs.get("data")
            if not isinstance(value, Weights):
                raise interp.error(node, "nn.Parameter of something other than torch.ones/zeros/empty/randn(sizes)")
            return Weights(value.shape, parameter=True)
        if module == "torch.nn" and name[:1].isupper():
            raise interp.error(
                node,
                f"nn.{name} is not a layer convarith knows; known: Conv/ConvTranspose/pools/"
                "adaptive pools 1-3d, pads, PixelShuffle, Upsample, norms, activations, Dropout, "
                "Flatten/Unflatten, Identity, Linear/Bilinear (plan the rest as a spec file)",
            )
        if module.startswith("torch.nn.init") or name in ("_log_api_usage_once", "manual_seed"):
            return IGNORED
        if (
            module == "torch"
            and name in ("ones", "zeros", "empty", "randn", "rand")
            and not any(isinstance(a, Tensor) for a in args)
        ):
            return self.made_tensor(interp, name, args, node)
        if module in ("torch", "torch.nn.functional"):
            return self.call_tensor_function(interp, name, args, kwargs, node)
        if path in ("torch.jit.is_scripting", "torch.jit.is_tracing", "torch._assert", "torch.fx.wrap"):
            return False
        if path in ("torch.Size",):
            return tuple(args[0]) if args else ()
        return UNHANDLED

    def made_tensor(self, interp: Interpreter, name: str, args: Args, node: Node) -> Weights:
        sizes = tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else tuple(args)
        sizes = tuple(interp.known(node, v, "the sizes") for v in sizes)
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in sizes):
            raise interp.error(node, f"torch.{name} needs sizes, got {show(sizes)}")
        return Weights(sizes)

    def call_module(self, interp: Interpreter, module: Module, args: Args, kwargs: Kwargs, node: Node) -> Value:
        tensors = [
            a
            for a in args
            if isinstance(a, Tensor) or isinstance(a, (list, tuple)) and a and all(isinstance(t, Tensor) for t in a)
        ]
        if not tensors:
            raise interp.error(node, f"calls module {module.name or type(module).__name__} without a tensor")
        if isinstance(module, Leaf):
            return self.plan_leaf(interp, module, args, node)
        if isinstance(module, Container):
            if module.kind != "Sequential":
                raise interp.error(node, f"nn.{module.kind} cannot be called; iterate over it in forward")
            module.calls += 1
            x = args[0]
            flatten_at = self.assumed_flattens(module) if self.repr_mode else {}
            for i, child in enumerate(module.children.values()):
                if i in flatten_at and len(x.shape) > 2 and prod(x.shape[1:]) == flatten_at[i].layer.get("in_features"):
                    self.notes.append(
                        f"{flatten_at[i].name}: a flatten of {'x'.join(map(str, x.shape[1:]))} is assumed before it"
                    )
                    x = self.add(interp, {"type": "flatten", "name": f"flatten>{flatten_at[i].name}"}, [x], node)
                x = self.call_module(interp, child, [x], {}, node)
            return x
        assert isinstance(module, Instance), module  # Leaf, Container and Instance are the only modules
        owner, forward = module.cls.lookup("forward")
        module.calls += 1
        if forward is not None and not module.children:
            return self.call_leaf_instance(
                interp, module, Function(forward.node, forward.scope, owner=owner), args, kwargs, node
            )
        if forward is None:
            if "torch.nn.Sequential" in _torch_bases(module.cls):
                x = args[0]
                for child in module.children.values():
                    x = self.call_module(interp, child, [x], {}, node)
                return x
            raise interp.error(node, f"{module.cls.name} has no forward method")
        return interp.call_function(
            Function(forward.node, forward.scope, owner=owner), args, kwargs, node, bound_self=module
        )

    @staticmethod
    def assumed_flattens(container: Container) -> dict[int, Leaf]:
        """print(model) text: a Linear's flatten goes before the dropouts and activations leading to it."""
        children = list(container.children.values())
        found: dict[int, Leaf] = {}
        for i, child in enumerate(children):
            if isinstance(child, Leaf) and child.layer["type"] == "linear":
                j = i
                while j > 0 and isinstance(children[j - 1], Leaf) and children[j - 1].layer["type"] in SHAPE_KEEPING:
                    j -= 1
                found[j] = child
        return found

    def call_leaf_instance(
        self, interp: Interpreter, module: Instance, forward: Function, args: Args, kwargs: Kwargs, node: Node
    ) -> Value:
        """A user module without sub-modules is a leaf to torch (and torchinfo): its rows carry its name."""
        planner = self.planning
        first = len(planner.rows)
        out = interp.call_function(forward, args, kwargs, node, bound_self=module)
        made = planner.rows[first:]
        label = module.name or module.cls.name
        if not made and isinstance(out, Tensor):
            spec: Spec = {"type": "identity", "name": label, "describe": module.cls.name}
            if module.calls > 1:
                spec["shared"] = True
            return self.add(interp, spec, [out], node)
        if made and isinstance(out, Tensor) and out.node == made[-1].name:
            *inner, last = made
            for row in inner:
                planner.rename(row, f"{label}/{row.name}")
            planner.rename(last, label)
            last.description = f"{module.cls.name}: {last.description}".rstrip(": ")
            if module.leaf is not None:  # a torch layer subclassed with its own forward: its parameters
                params = declared_params(module.leaf)
                last.params += params
                last.torchinfo_macs += planner.batch * params
            return Tensor(last.name, out.shape)
        if module.leaf is not None:
            raise interp.error(node, f"{module.cls.name}'s forward returns no tensor the reader can follow")
        for row in made:
            planner.rename(row, f"{label}/{row.name}")
        return out

    def call_method(self, interp: Interpreter, method: BoundMethod, args: Args, kwargs: Kwargs, node: Node) -> Value:
        target, name = method.target, method.name
        if isinstance(target, Tensor):
            return self.tensor_method(interp, target, name, args, kwargs, node)
        if isinstance(target, Super):
            return self.call_super(interp, target, name, args, kwargs, node)
        if isinstance(target, (Instance, Container)):
            return self.module_method(interp, target, name, args, kwargs, node)
        return UNHANDLED

    def module_method(
        self, interp: Interpreter, target: Instance | Container, name: str, args: Args, kwargs: Kwargs, node: Node
    ) -> Value:
        children = target.attrs if isinstance(target, Instance) else target.children
        if name in ("add_module", "register_module"):
            key = interp.known(node, args[0] if args else kwargs.get("name"), "a module name")
            children[str(key)] = args[1] if len(args) > 1 else kwargs.get("module")
            return None
        if name == "append":
            children[str(len(children))] = args[0]
            return target
        if name == "extend":
            for m in interp.iterate(args[0], node):
                children[str(len(children))] = m
            return target
        if name == "insert" and isinstance(target, Container):
            items = list(children.values())
            items.insert(args[0], args[1])
            target.children = {str(i): m for i, m in enumerate(items)}
            return None
        if name in ("items", "named_children"):
            return [(k, v) for k, v in children.items() if isinstance(v, Module)]
        if name == "keys":
            return list(children)
        if name == "values":
            return list(children.values())
        if name in ("children",):
            return [m for m in children.values() if isinstance(m, Module)]
        if name in NO_EFFECT_METHODS:
            return IGNORED
        if name == "forward":
            return self.call_module(interp, target, args, kwargs, node)
        raise interp.error(node, f"module method {name}() is not modelled")

    def call_super(self, interp: Interpreter, proxy: Super, name: str, args: Args, kwargs: Kwargs, node: Node) -> Value:
        mro = proxy.instance.cls.mro()
        after = mro[mro.index(proxy.after) + 1 :] if proxy.after in mro else []
        for cls in after:
            if name in cls.body and isinstance(cls.body[name], Function):
                method = cls.body[name]
                return interp.call_function(
                    Function(method.node, method.scope, owner=cls), args, kwargs, node, bound_self=proxy.instance
                )
        if name == "__init__":
            self.library_init(interp, proxy.instance, proxy.after, args, kwargs, node)
            return None
        if name == "forward":
            x = args[0]
            for child in proxy.instance.children.values():
                x = self.call_module(interp, child, [x], {}, node)
            return x
        raise interp.error(node, f"super().{name}() is not modelled")

    def super(self, interp: Interpreter, node: Node, *args: Value) -> Super:
        if len(args) == 2:
            return Super(args[1], args[0])
        frame = interp.frames[-1] if interp.frames else None
        if frame is None or "__class__" not in frame.vars:
            raise interp.error(node, "super() outside a method")
        return Super(frame.vars["__self__"], frame.vars["__class__"])

    def type_of(self, interp: Interpreter, value: Value, node: Node) -> ClassValue | LibRef:
        if isinstance(value, Partial):
            return LibRef("functools.partial")
        if isinstance(value, Instance):
            return value.cls
        if isinstance(value, Leaf):
            return LibRef(f"torch.nn.{value.cls}")
        return LibRef(type(value).__name__)

    def attribute(self, interp: Interpreter, value: Value, name: str, node: Node) -> Value:
        if isinstance(value, Instance):
            if name in value.attrs:
                return value.attrs[name]
            if name == "__class__":
                return value.cls
            if value.leaf is not None and name not in ("forward",) and value.cls.lookup(name).value is None:
                return self.leaf_attribute(interp, value.leaf, name, node)
            owner, found = value.cls.lookup(name)
            if isinstance(found, Function):
                return Function(found.node, found.scope, bound=value, owner=owner)
            if found is not None:
                return found
            if name == "training":
                return False
            if name in NO_EFFECT_METHODS or name in (
                "add_module",
                "register_module",
                "forward",
                "items",
                "keys",
                "values",
                "append",
                "extend",
            ):
                return BoundMethod(value, name)
            raise interp.error(
                node, f"{value.cls.name} has no attribute {name!r} at this point (assign it in __init__ before use)"
            )
        if isinstance(value, Container):
            return BoundMethod(value, name)
        if isinstance(value, Leaf):
            return self.leaf_attribute(interp, value, name, node)
        if isinstance(value, Super):
            return BoundMethod(value, name)
        if isinstance(value, Tensor):
            if name == "shape":
                return value.shape
            if name == "ndim":
                return len(value.shape)
            if name in ("T", "mT"):
                raise interp.error(node, f"tensor.{name} is not modelled")
            return BoundMethod(value, name)
        if isinstance(value, Ignored):
            return IGNORED
        return UNHANDLED

    def leaf_attribute(self, interp: Interpreter, leaf: Leaf, name: str, node: Node) -> Value:
        if name in ("weight", "bias", "running_mean", "running_var", "weight_g", "weight_v"):
            return IGNORED
        if name in leaf.bound:
            value = leaf.bound[name]
            if (
                name in ("kernel_size", "stride", "padding", "dilation", "output_padding")
                and isinstance(value, int)
                and leaf.dims
                and leaf.layer["type"] in ("conv", "conv_transpose")
            ):
                return (value,) * leaf.dims
            return value
        defaults = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "inplace": False}
        if name in defaults:
            return defaults[name]
        if name == "training":
            return False
        if name in NO_EFFECT_METHODS:
            return IGNORED
        raise interp.error(node, f"nn.{leaf.cls}.{name} is not known to convarith")

    def set_attribute(self, interp: Interpreter, owner: Value, name: str, value: Value, node: Node) -> None:
        if isinstance(owner, Instance):
            owner.attrs[name] = value
            return
        if isinstance(owner, (Leaf, Ignored)):
            return  # e.g. m.weight.data = ..., conv.inplace = True
        raise interp.error(node, f"cannot set attribute {name!r} on {type(owner).__name__}")

    def set_item(self, interp: Interpreter, owner: Value, index: Value, value: Value, node: Node) -> None:
        if isinstance(owner, Container):
            owner.children[str(index)] = value
            return
        raise interp.error(node, f"cannot assign into {type(owner).__name__}")

    def subscript(self, interp: Interpreter, value: Value, index: Value, node: Node) -> Value:
        if isinstance(value, Container):
            items = list(value.children.items())
            if isinstance(index, slice):
                return Container(value.kind, dict(items[index]))
            if value.kind == "ModuleDict":
                return value.children[index]
            if isinstance(index, int):
                try:
                    return items[index][1]
                except IndexError:
                    raise interp.error(
                        node, f"index {index} out of range for nn.{value.kind} of {len(items)}"
                    ) from None
        if isinstance(value, Tensor):
            return self.slice_tensor(interp, value, index, node)
        return UNHANDLED

    def truth(self, interp: Interpreter, value: Value, node: Node) -> bool | Unhandled:
        if isinstance(value, Module):
            return True
        if isinstance(value, Tensor):
            raise interp.error(node, "branches on a tensor's values, which a static plan cannot know")
        if isinstance(value, Ignored):
            return False
        return UNHANDLED

    def container_base(self, cls: ClassValue) -> str | None:
        """The torch container a class of the text subclasses (Sequential, ModuleList, ModuleDict), if any."""
        return next((p.rsplit(".", 1)[-1] for p in _torch_bases(cls) if p in CONTAINER_BASES), None)

    def length(self, interp: Interpreter, value: Value, node: Node) -> int | Unhandled:
        if isinstance(value, Container) or isinstance(value, Instance) and self.container_base(value.cls):
            return len(value.children)
        if isinstance(value, Tensor):
            return value.shape[0]
        return UNHANDLED

    def iterate(self, interp: Interpreter, value: Value, node: Node) -> list[Value] | Unhandled:
        if isinstance(value, Container):
            return list(value.children) if value.kind == "ModuleDict" else list(value.children.values())
        kind = self.container_base(value.cls) if isinstance(value, Instance) else None
        if isinstance(value, Instance) and kind:
            return list(value.children) if kind == "ModuleDict" else list(value.children.values())
        if isinstance(value, Ignored):
            return []
        if isinstance(value, Tensor):
            raise interp.error(node, "iterates over a tensor, which a static plan cannot follow")
        return UNHANDLED

    def binary(self, interp: Interpreter, op: ast.operator, left: Value, right: Value, node: Node) -> Value:
        if not isinstance(left, Tensor) and not isinstance(right, Tensor):
            if isinstance(left, Weights) or isinstance(right, Weights):
                weights = left if isinstance(left, Weights) else right
                other = right if weights is left else left
                if isinstance(other, (int, float)) and not isinstance(other, bool):
                    return weights  # scaling keeps the shape
                raise interp.error(node, "arithmetic between made-up tensors is not modelled")
            return UNHANDLED
        if isinstance(left, Tensor) and isinstance(right, Tensor):
            return self.merge(interp, [left, right], node, type(op).__name__.lower())
        return left if isinstance(left, Tensor) else right

    def unary(self, interp: Interpreter, op: ast.unaryop, value: Value, node: Node) -> Value:
        return value if isinstance(value, Tensor) else UNHANDLED

    def isinstance(self, interp: Interpreter, value: Value, kinds: Value, node: Node) -> bool:
        kinds = kinds if isinstance(kinds, (tuple, list)) else (kinds,)
        for kind in kinds:
            matched = self.instance_of(value, kind)
            if matched is None:
                shown = kind.path if isinstance(kind, LibRef) else getattr(kind, "name", type(kind).__name__)
                raise interp.error(node, f"isinstance(..., {shown}) is not modelled")
            if matched:
                return True
        return False

    @staticmethod
    def instance_of(value: Value, kind: Value) -> bool | None:
        """Whether value is a kind; None for a kind the reader does not know."""
        if isinstance(kind, ClassValue):
            return isinstance(value, Instance) and kind in value.cls.mro()
        if not isinstance(kind, LibRef):
            name = getattr(kind, "name", None)  # builtins such as int are Builtin values
            return isinstance(value, PYTHON_KINDS[name]) if name in PYTHON_KINDS else None
        path = _library_path(kind)
        module, _, name = path.rpartition(".")
        if path == "torch.nn.Module":
            return isinstance(value, Module)
        if path == "torch.Tensor":
            return isinstance(value, Tensor)
        if module == "torch.nn" and (name in TORCH or name in CONTAINERS):
            if isinstance(value, Leaf):
                return value.cls == name
            if isinstance(value, Container):
                return value.kind == name
            if isinstance(value, Instance):
                return path in _torch_bases(value.cls)
            return False
        if path.endswith("functools.partial"):
            return isinstance(value, Partial)
        if module in ("typing", "collections.abc", "builtins", "") and name in PYTHON_KINDS:
            return isinstance(value, PYTHON_KINDS[name])
        return None

    def hasattr(self, interp: Interpreter, value: Value, name: str, node: Node) -> bool:
        if isinstance(value, Instance):
            return name in value.attrs or value.cls.lookup(name).value is not None
        if isinstance(value, Leaf):
            return name in value.bound or name in ("weight", "bias")
        return hasattr(value, name)

    # Forward: planning tensors.
    def start(self, shape_with_batch: Shape, framework: str, dtype: str, batch: int) -> Tensor:
        self.planner = Planner(shape_with_batch[1:], framework, dtype, batch)
        return Tensor("input", tuple(shape_with_batch))

    @property
    def planning(self) -> Planner:
        """The planner of the forward being followed."""
        if self.planner is None:
            raise RuntimeError("no input is being planned (TorchModel.plan starts one)")
        return self.planner

    def add(self, interp: Interpreter, spec: Spec, inputs: list[Tensor], node: Node) -> Tensor:
        row = self.planning.add({**spec, "inputs": [t.node for t in inputs]})
        if row.shape is None:
            raise StopPlanning()
        return Tensor(row.name, (inputs[0].shape[0], *row.shape))

    def plan_leaf(self, interp: Interpreter, leaf: Leaf, args: Args, node: Node) -> Tensor:
        x = args[0]
        if not isinstance(x, Tensor):
            raise interp.error(node, f"{leaf.name or leaf.cls} is called on {type(x).__name__}, not a tensor")
        if (
            leaf.dims is not None
            and leaf.layer["type"] not in ("batch_norm", "instance_norm")
            and len(x.shape) != leaf.dims + 2
        ):
            raise interp.error(
                node,
                f"{leaf.name or leaf.cls} (nn.{leaf.cls}) gets a {len(x.shape)}-D tensor "
                f"{'x'.join(map(str, x.shape))}; it takes {leaf.dims + 2}-D (N, C, ...)",
            )
        spec = {**leaf.layer, "name": leaf.name or leaf.cls.lower()}
        if leaf.calls:
            spec["shared"] = True
        leaf.calls += 1
        inputs = [x]
        if leaf.layer["type"] == "bilinear":
            inputs = [x, args[1]]
        return self.add(interp, spec, inputs, node)

    def op_name(self, name: str, node: Node) -> str:
        return f"{name}@{node.lineno}"

    def merge(self, interp: Interpreter, tensors: list[Tensor], node: Node, label: str) -> Tensor:
        return self.add(interp, {"type": "add", "name": self.op_name(label, node)}, tensors, node)

    def concat(self, interp: Interpreter, tensors: Value, dim: Value, node: Node, label: str) -> Tensor:
        items = interp.iterate(tensors, node)
        inputs = [t for t in items if isinstance(t, Tensor)]
        if len(inputs) != len(items):
            raise interp.error(node, f"{label} gets something that is not a tensor")
        rank = len(inputs[0].shape)
        axis = _axis(interp, node, interp.known(node, dim), rank)
        if axis == 0:
            raise interp.error(node, f"{label} along the batch dimension is not planned")
        if len(inputs) == 1:
            return inputs[0]
        return self.add(interp, {"type": "concat", "axis": axis - 1, "name": self.op_name(label, node)}, inputs, node)

    def call_tensor_function(self, interp: Interpreter, name: str, args: Args, kwargs: Kwargs, node: Node) -> Value:
        if name in ("cat", "concat", "concatenate"):
            return self.concat(
                interp,
                args[0] if args else kwargs["tensors"],
                args[1] if len(args) > 1 else kwargs.get("dim", 0),
                node,
                "cat",
            )
        if name == "stack":
            raise interp.error(node, "torch.stack is not modelled (use torch.cat)")
        if not args or not isinstance(args[0], Tensor):
            if name in ("zeros", "ones", "randn", "rand", "empty", "tensor", "arange", "zeros_like", "ones_like"):
                raise interp.error(
                    node, f"torch.{name} creates a new tensor; convarith plans only what flows from the input"
                )
            return UNHANDLED
        x = args[0]
        if name in MERGING and len(args) > 1 and isinstance(args[1], Tensor):
            return self.merge(interp, [x, args[1]], node, name)
        if name in MERGING:
            return x
        if name in ELEMENTWISE:
            return x
        return self.tensor_method(interp, x, name, args[1:], kwargs, node, functional=True)

    def window(self, interp: Interpreter, kind: str, x: Tensor, bound: Bound, node: Node, label: str) -> Tensor:
        if kind in ("max_pool", "avg_pool"):
            spec = {"type": kind, "kernel_size": bound["kernel_size"]}
            for key in ("stride", "padding", "dilation", "ceil_mode"):
                if bound.get(key) not in (None, ()) and not (key == "stride" and bound[key] == []):
                    spec[key] = bound[key]
        else:
            spec = {"type": kind, "output_size": bound["output_size"]}
        return self.add(interp, {**spec, "name": self.op_name(label, node)}, [x], node)

    def tensor_method(
        self,
        interp: Interpreter,
        x: Tensor,
        name: str,
        args: Args,
        kwargs: Kwargs,
        node: Node,
        functional: bool = False,
    ) -> Value:
        rank = len(x.shape)
        if name in ELEMENTWISE:
            return x
        if name in MERGING:
            other = args[0] if args else kwargs.get("other")
            return self.merge(interp, [x, other], node, name) if isinstance(other, Tensor) else x
        if name == "size":
            dim = args[0] if args else kwargs.get("dim")
            return x.shape if dim is None else x.shape[interp.known(node, dim)]
        if name == "dim":
            return rank
        if name == "numel":
            return prod(x.shape)
        if name in ("view", "reshape"):
            shape: Value = (
                args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args or kwargs.get("shape")
            )
            if not isinstance(shape, (tuple, list)) or not shape:
                raise interp.error(node, f"tensor.{name}() needs the new shape")
            return self.reshape(interp, x, list(shape), node, name)
        if name in ("view_as", "reshape_as", "expand_as"):
            return self.reshape(interp, x, list(args[0].shape), node, name) if name != "expand_as" else args[0]
        if name == "flatten":
            bound = bind("flatten", ("start_dim", "end_dim"), args, kwargs)
            start = bound.get("start_dim", 0)
            spec = {"type": "flatten", "start_dim": start, "end_dim": bound.get("end_dim", -1)}
            return self.add(interp, {**spec, "name": self.op_name("flatten", node)}, [x], node)
        if name in ("mean", "sum", "amax", "amin", "max", "min", "std", "var", "logsumexp", "norm"):
            bound = bind(name, ("dim", "keepdim"), args, kwargs, accepts_any=True)
            dims = bound.get("dim")
            if dims is None:
                raise interp.error(node, f"{name}() over every dimension gives a scalar per batch; give dim=")
            if name in ("max", "min") and isinstance(dims, int):
                raise interp.error(node, f"{name}(dim) returns values and indices; use amax/amin")
            dims = (dims,) if isinstance(dims, int) else tuple(dims)
            dims = tuple(_axis(interp, node, d, rank) for d in dims)
            if 0 in dims:
                raise interp.error(node, f"{name}() over the batch dimension is not planned")
            spec = {
                "type": "reduce",
                "axes": tuple(d - 1 for d in dims),
                "keepdim": bool(bound.get("keepdim", False)),
                "how": name,
            }
            return self.add(interp, {**spec, "name": self.op_name(name, node)}, [x], node)
        if name in ("permute",):
            order = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args or kwargs.get("dims")
            order = [_axis(interp, node, d, rank) for d in (order or ())]
            if sorted(order) != list(range(rank)):
                raise interp.error(node, f"permute needs each of the {rank} dimensions once, got {show(order)}")
            if order[0] != 0:
                raise interp.error(node, "permute moves the batch dimension, which is not planned")
            return self.add(
                interp,
                {"type": "permute", "dims": tuple(d - 1 for d in order[1:]), "name": self.op_name(name, node)},
                [x],
                node,
            )
        if name in ("transpose", "swapaxes"):
            if len(args) < 2:
                raise interp.error(node, f"{name} needs two dimensions")
            first, second = (_axis(interp, node, d, rank) for d in args[:2])
            order = list(range(rank))
            order[first], order[second] = order[second], order[first]
            if order[0] != 0:
                raise interp.error(node, "transpose moves the batch dimension, which is not planned")
            return self.add(
                interp,
                {"type": "permute", "dims": tuple(d - 1 for d in order[1:]), "name": self.op_name(name, node)},
                [x],
                node,
            )
        if name in ("unsqueeze", "squeeze"):
            dim = args[0] if args else kwargs.get("dim")
            shape = list(x.shape)
            if name == "unsqueeze":
                shape.insert(_axis(interp, node, dim, rank + 1), 1)
            else:
                dims = range(rank) if dim is None else [_axis(interp, node, dim, rank)]
                shape = [s for i, s in enumerate(shape) if not (i in dims and s == 1 and i > 0)]
            return self.reshape(interp, x, shape, node, name)
        if name in ("max_pool1d", "max_pool2d", "max_pool3d"):
            bound = bind(
                f"F.{name}",
                ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"),
                args,
                kwargs,
                ("kernel_size",),
            )
            return self.window(interp, "max_pool", x, bound, node, name)
        if name in ("avg_pool1d", "avg_pool2d", "avg_pool3d"):
            bound = bind(
                f"F.{name}",
                ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"),
                args,
                kwargs,
                ("kernel_size",),
            )
            return self.window(interp, "avg_pool", x, bound, node, name)
        if name.startswith("adaptive_") and name[:-2] in ("adaptive_avg_pool", "adaptive_max_pool"):
            bound = bind(f"F.{name}", ("output_size", "return_indices"), args, kwargs, ("output_size",))
            return self.window(interp, name[:-2], x, bound, node, name)
        if name in ("interpolate", "upsample", "upsample_nearest", "upsample_bilinear"):
            bound = bind(
                f"F.{name}",
                ("size", "scale_factor", "mode", "align_corners", "recompute_scale_factor", "antialias"),
                args,
                kwargs,
            )
            mode = {"upsample_nearest": "nearest", "upsample_bilinear": "bilinear"}.get(
                name, bound.get("mode", "nearest")
            )
            spec = {
                "type": "upsample",
                "size": bound.get("size"),
                "scale_factor": bound.get("scale_factor"),
                "mode": mode,
            }
            if spec["size"] is None and spec["scale_factor"] is None:
                raise interp.error(node, f"F.{name} needs size or scale_factor")
            return self.add(interp, {**spec, "name": self.op_name(name, node)}, [x], node)
        if name == "pad":
            bound = bind("F.pad", ("pad", "mode", "value"), args, kwargs, ("pad",))
            pads = functional_pads(bound["pad"], "")
            if len(pads) > rank - 2:
                raise interp.error(node, "F.pad pads the batch or channel dimension, which is not planned")
            mode = bound.get("mode", "constant")
            return self.add(
                interp,
                {
                    "type": "border_pad",
                    "pads": pads,
                    "mode": mode,
                    "describe": "F.pad",
                    "name": self.op_name("pad", node),
                },
                [x],
                node,
            )
        if name in ("pixel_shuffle", "pixel_unshuffle"):
            return self.add(
                interp,
                {
                    "type": name,
                    "factor": args[0]
                    if args
                    else kwargs["upscale_factor" if name == "pixel_shuffle" else "downscale_factor"],
                    "name": self.op_name(name, node),
                },
                [x],
                node,
            )
        if name == "chunk":
            return self.chunk(interp, x, args, kwargs, node)
        if name in (
            "split",
            "unbind",
            "expand",
            "repeat",
            "gather",
            "index_select",
            "masked_fill",
            "matmul",
            "bmm",
            "einsum",
        ):
            raise interp.error(node, f"tensor.{name}() is not modelled")
        return UNHANDLED if functional else self._unknown_method(interp, name, node)

    def chunk(self, interp: Interpreter, x: Tensor, args: Args, kwargs: Kwargs, node: Node) -> tuple[Tensor, ...]:
        bound = bind("chunk", ("chunks", "dim"), args, kwargs, ("chunks",))
        dim = _axis(interp, node, bound.get("dim", 0), len(x.shape))
        if dim == 0:
            raise interp.error(node, "chunk along the batch dimension is not planned")
        size = x.shape[dim]
        step = -(-size // bound["chunks"])
        pieces = []
        for start in range(0, size, step):
            index = [slice(None)] * len(x.shape)
            index[dim] = slice(start, min(start + step, size))
            pieces.append(self.slice_tensor(interp, x, tuple(index), node))
        return tuple(pieces)

    def _unknown_method(self, interp: Interpreter, name: str, node: Node) -> NoReturn:
        raise interp.error(node, f"tensor.{name}() is not modelled")

    def reshape(self, interp: Interpreter, x: Tensor, shape: list[Value], node: Node, label: str) -> Tensor:
        shape = [interp.known(node, v, "the target shape") for v in shape]
        batch, per_sample = x.shape[0], prod(x.shape[1:])
        if shape.count(-1) > 1:
            raise interp.error(node, f"{label}{tuple(shape)} has more than one -1")
        if -1 in shape:
            known = prod(v for v in shape if v != -1)
            if known == 0 or (batch * per_sample) % known:
                raise interp.error(
                    node, f"{label}{tuple(shape)}: {batch * per_sample} elements do not divide into rows of {known}"
                )
            shape[shape.index(-1)] = batch * per_sample // known
        if prod(shape) != batch * per_sample:
            raise interp.error(
                node,
                f"{label}{tuple(shape)}: the tensor {'x'.join(map(str, x.shape))} has "
                f"{batch * per_sample} elements, the target {prod(shape)}",
            )
        if shape[0] != batch:
            raise interp.error(
                node,
                f"{label}{tuple(shape)} mixes the batch into the features: the first dimension is "
                f"{shape[0]}, not the batch {batch}; each sample has {per_sample} values "
                f"(write x.view(x.size(0), -1), or nn.Linear({per_sample}, ...))",
            )
        if tuple(shape) == x.shape:
            return x
        spec = {"type": "reshape", "shape": tuple(shape[1:]), "name": self.op_name(label, node)}
        if len(shape) == 2:
            spec = {"type": "flatten", "name": self.op_name(label, node)}
        return self.add(interp, spec, [x], node)

    def slice_tensor(self, interp: Interpreter, x: Tensor, index: Value, node: Node) -> Tensor:
        index = index if isinstance(index, tuple) else (index,)
        if any(i is Ellipsis for i in index):
            at = index.index(Ellipsis)
            index = index[:at] + (slice(None),) * (len(x.shape) - len(index) + 1) + index[at + 1 :]
        if len(index) > len(x.shape):
            raise interp.error(node, "indexes more dimensions than the tensor has")
        index = index + (slice(None),) * (len(x.shape) - len(index))
        if index[0] != slice(None):
            raise interp.error(node, "indexing the batch dimension is not planned")
        ranges, drop = [], []
        for axis, (size, i) in enumerate(zip(x.shape[1:], index[1:], strict=True)):
            if isinstance(i, slice):
                if i.step not in (None, 1):
                    raise interp.error(node, "strided slicing is not modelled")
                start, stop, _ = i.indices(size)
                ranges.append((start, max(stop, start)))
            elif isinstance(i, int) and not isinstance(i, bool):
                if not -size <= i < size:
                    raise interp.error(node, f"index {i} is out of range for size {size}")
                ranges.append((i % size, i % size + 1))
                drop.append(axis)
            else:
                raise interp.error(node, f"indexing a tensor with {type(i).__name__} is not modelled (use slices)")
        if all(r == (0, s) for r, s in zip(ranges, x.shape[1:], strict=True)) and not drop:
            return x
        return self.add(
            interp,
            {"type": "slice", "ranges": tuple(ranges), "drop": tuple(drop), "name": self.op_name("slice", node)},
            [x],
            node,
        )


class StopPlanning(Exception):
    """The planner stopped on a fatal diagnostic: the rest of forward is not followed."""


def declared_params(leaf: Leaf) -> int:
    """Parameters of a torch layer from its constructor arguments (for layers subclassed with a new forward)."""
    bound, kind = leaf.bound, leaf.layer["type"]
    params: int  # from arguments torch_layer has checked
    if kind == "layer_norm":
        shape = bound["normalized_shape"]
        features = prod(shape) if isinstance(shape, (tuple, list)) else shape
        params = features * (1 + bool(bound.get("bias", True))) if bound.get("elementwise_affine", True) else 0
        return params
    if kind in ("batch_norm", "instance_norm"):
        params = bound.get("num_features", 0) * leaf.layer["affine_terms"]
        return params
    if kind == "group_norm":
        params = 2 * bound["num_channels"] if bound.get("affine", True) else 0
        return params
    if kind == "linear" and "in_features" in bound:
        params = bound["in_features"] * bound["out_features"] + (
            bound["out_features"] if bound.get("bias", True) else 0
        )
        return params
    if kind in ("conv", "conv_transpose") and "in_channels" in bound:
        kernel = bound["kernel_size"]
        taps = prod(kernel) if isinstance(kernel, (tuple, list)) else kernel ** (leaf.dims or 1)
        weights = bound["in_channels"] * bound["out_channels"] // bound.get("groups", 1) * taps
        params = weights + (bound["out_channels"] if bound.get("bias", True) else 0)
        return params
    if kind in ("identity", "dropout", "flatten") or kind in SHAPE_KEEPING:
        return 0
    raise ShapeError("code", f"nn.{leaf.cls} subclassed with its own forward: its parameters are not known")


# Reading a text.
def has_module_classes(tree: ast.Module) -> bool:
    return any(isinstance(n, ast.ClassDef) and n.bases for n in tree.body)


@dataclass
class TorchModel:
    """A module tree built from the text, ready to be planned on an input."""

    top: Module
    interp: Interpreter
    library: TorchLibrary
    label: str
    notes: list[str] = field(default_factory=list)
    framework: str = "torch"
    default_input: tuple[int, ...] | None = None

    def leaves(self) -> list[Leaf]:
        return [m for _, m in walk(self.top) if isinstance(m, Leaf)]

    def first_dims(self) -> tuple[int | None, str]:
        """Spatial axes of the first registered leaf, if it fixes them (Conv2d: 2)."""
        for name, module in walk(self.top):
            if isinstance(module, Instance) and module.cls.lookup("forward").value is not None and not module.children:
                return None, ""  # a custom leaf such as Lambda may reshape the input first
            if isinstance(module, Leaf):
                if module.dims is not None and module.layer["type"] not in ("batch_norm", "instance_norm"):
                    return module.dims, f"{name} (nn.{module.cls})"
                return None, ""
        return None, ""

    def plan(
        self, input_shape: Value, framework: str = "torch", dtype: str = "float32", macs: str = "multiply"
    ) -> Plan:
        with guarded(self.interp.origin):
            return self._plan(input_shape, framework, dtype, macs)

    def _plan(self, input_shape: Value, framework: str, dtype: str, macs: str) -> Plan:
        if framework != "torch":
            raise ShapeError("--framework", f"PyTorch code is planned with torch's rules, not {show(framework)}")
        check_options(dtype, macs)
        input_shape = check_shape(input_shape, "input")
        self.library.planner = None
        for _, module in walk(self.top):
            module.calls = 0
        full, batch = torch_input(tuple(input_shape), *self.first_dims())
        x = self.library.start(full, "torch", dtype, batch)
        self.library.notes = []
        notes = self.notes
        try:
            out = self.library.call_module(self.interp, self.top, [x], {}, line_node(1))
            outputs = [o for o in (out if isinstance(out, (tuple, list)) else [out]) if isinstance(o, Tensor)]
            if not outputs:
                raise self.interp.error(None, f"{self.label}'s forward returns no tensor")
            rows = self.library.planning.rows
            last = rows[-1].name if rows else "input"
            if outputs[0].node != last:
                notes.append(f"forward returns {outputs[0].node}, not the last row {last}")
            if len(outputs) > 1:
                notes.append(
                    "forward returns "
                    + ", ".join(f"{o.node} ({'x'.join(map(str, o.shape))})" for o in outputs)
                    + "; the table's output is the first"
                )
        except StopPlanning:
            pass
        except CodeError as exc:
            self.library.planning.stop(str(exc.rule))
        loose = {
            f"{name}.{key}" if name else key: value.count
            for name, module in walk(self.top)
            if isinstance(module, Instance)
            for key, value in module.attrs.items()
            if isinstance(value, Weights) and value.parameter
        }
        if loose:
            notes.append(
                f"{sum(loose.values()):,} parameters held outside layers (nn.Parameter): "
                + ", ".join(f"{k} {v:,}" for k, v in list(loose.items())[:3])
                + (", ..." if len(loose) > 3 else "")
            )
        if self.library.planning.stopped and self.library.repr_mode:
            notes.append(
                "print(model) does not show forward's functional calls (F.max_pool2d, torch.flatten, "
                "torch.cat, +): plan the class code for an exact plan"
            )
        plan = finish(self.library.planning, [*notes, *self.library.notes], macs)
        plan.loose_params = loose
        return plan


def walk(module: Module, prefix: str = "") -> Iterator[tuple[str, Module]]:
    """(qualified name, module) in registration order, each module once (named_modules())."""
    seen: set[int] = set()

    def visit(m: Module, name: str) -> Iterator[tuple[str, Module]]:
        if id(m) in seen:
            return
        seen.add(id(m))
        yield name, m
        children = m.children if isinstance(m, (Container, Instance)) else {}
        for key, child in children.items():
            if isinstance(child, Module):
                yield from visit(child, f"{name}.{key}" if name else key)

    yield from visit(module, prefix)


def name_tree(top: Module) -> None:
    for name, module in walk(top):
        if module.name is None:
            module.name = name or "model"


def torch_input(shape: Shape, dims: int | None, first: str) -> tuple[Shape, int]:
    """(N, C, *spatial) and N from -i given with or without the batch."""
    if dims is None:
        return (shape if len(shape) > 1 else (1, *shape)), (shape[0] if len(shape) > 1 else 1)
    if len(shape) == dims + 2:
        return shape, shape[0]
    if len(shape) == dims + 1:
        return (1, *shape), 1
    raise ShapeError(
        "input",
        f"has {len(shape)} dimensions ({'x'.join(map(str, shape))}), but the first layer "
        f"{first} takes {dims + 1} (C x {' x '.join(['size'] * dims)}) or {dims + 2} with the "
        "batch first",
    )


def read_torch(text: str, origin: str, cls: str | None = None, args: str | None = None) -> TorchModel:
    with guarded(origin):
        return _read_torch(parse(text, origin), origin, cls, args)


def _read_torch(tree: ast.Module, origin: str, cls: str | None, args: str | None) -> TorchModel:
    library = TorchLibrary(origin)
    interp = Interpreter(origin, library)
    scope = Scope()
    classes = has_module_classes(tree)
    if not classes and cls is None:
        return _read_expressions(tree, origin, interp, library, scope)
    interp.run_module(tree, scope)
    build, label = _build_expression(tree, scope, library, origin, cls, args)
    top = interp.eval(build, scope)
    if not isinstance(top, Module):
        raise CodeError(origin, None, f"{label} does not give an nn.Module (got {type(top).__name__})")
    name_tree(top)
    return TorchModel(top, interp, library, label)


def _build_expression(
    tree: ast.Module, scope: Scope, library: TorchLibrary, origin: str, cls: str | None, args: str | None
) -> tuple[ast.expr, str]:
    """The expression that builds the model: --class, else the one module class no other uses."""
    keywords = _parse_args(args, origin) if args else []
    if cls is not None:
        node = _parse_option("--class", cls, "", "is not a class name or a call like Net(num_classes=10)")
        if isinstance(node, ast.Name) and isinstance(scope.vars.get(node.id), Module) and not keywords:
            _set_lines(node, 1)
            return node, node.id
        if isinstance(node, ast.Name):
            node = ast.Call(func=node, args=[], keywords=keywords)
        elif isinstance(node, ast.Call):
            node.keywords += keywords
        else:
            raise ShapeError("--class", f"{show(cls)} is not a class name or a call like Net(num_classes=10)")
        ast.fix_missing_locations(ast.copy_location(node, tree.body[0] if tree.body else node))
        _set_lines(node, 1)
        value = scope.vars.get(node.func.id) if isinstance(node.func, ast.Name) else None
        if value is None and isinstance(node.func, ast.Name):
            known = [n for n, v in scope.vars.items() if isinstance(v, (ClassValue, Function))]
            raise ShapeError(
                "--class", f"{node.func.id!r} is not defined in {origin}; defined: {', '.join(known) or 'none'}"
            )
        return node, ast.unparse(node)
    modules = {n: v for n, v in scope.vars.items() if isinstance(v, ClassValue) and library.is_module_class(v)}
    if not modules:
        raise CodeError(origin, None, "no nn.Module class found (a class whose base is nn.Module)")
    used = set()
    for name, value in modules.items():
        for n in ast.walk(value.node):
            if isinstance(n, ast.Name) and n.id in modules and n.id != name:
                used.add(n.id)
    for n in tree.body:
        if isinstance(n, (ast.FunctionDef,)):
            for inner in ast.walk(n):
                if isinstance(inner, ast.Name) and inner.id in modules:
                    used.add(inner.id)
    top = [n for n in modules if n not in used]
    if len(top) != 1:
        raise CodeError(
            origin,
            None,
            f"{'several' if top else 'no'} top-level module classes ({', '.join(top or modules)}): "
            'choose one with --class NAME (or --class "NAME(args)")',
        )
    node = ast.Call(func=ast.Name(id=top[0], ctx=ast.Load()), args=[], keywords=keywords)
    _set_lines(node, modules[top[0]].node.lineno)
    return node, top[0]


def _set_lines(node: ast.AST, line: int) -> None:
    """Every node of an expression made from an option gets the line, as if the text had it there."""
    for walked in ast.walk(node):
        n: Any = walked  # operator and context nodes too, which typeshed gives no positions
        n.lineno = getattr(n, "lineno", None) or line
        n.end_lineno = line
        n.col_offset = getattr(n, "col_offset", 0) or 0
        n.end_col_offset = 0


def _parse_args(text: str, origin: str) -> list[ast.keyword]:
    call = _parse_option("--args", text, "f", "is not a list of name=value pairs")
    if not isinstance(call, ast.Call) or call.args:
        raise ShapeError("--args", f"give names: name=value, got {show(text)}")
    return call.keywords


def _axis(interp: Interpreter, node: Node, d: Value, rank: int) -> int:
    """A tensor dimension in [-rank, rank), as torch checks it (IndexError: Dimension out of range)."""
    if isinstance(d, bool) or not isinstance(d, int):
        raise interp.error(node, f"a dimension must be an integer, got {show(d)}")
    if not -rank <= d < rank:
        raise interp.error(
            node, f"dimension {show(d)} is out of range for a {rank}-D tensor (expected {-rank} to {rank - 1})"
        )
    return d % rank


def _parse_option(option: str, text: Value, wrap: str, rule: str) -> ast.expr:
    """An option holding a Python expression (--class, --args): any failure to parse is one ShapeError."""
    if not isinstance(text, str) or len(text) > 10_000:
        raise ShapeError(option, f"{rule}: got {show(text)}")
    try:
        return ast.parse(f"{wrap}({text})" if wrap else text, mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise ShapeError(option, f"{show(text)} {rule}") from None


def _read_expressions(
    tree: ast.Module, origin: str, interp: Interpreter, library: TorchLibrary, scope: Scope
) -> TorchModel:
    """Bare layer code: expressions and assignments of layers, chained in order."""
    layers: list[Module] = []
    for statement in tree.body:
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            interp.exec_statement(statement, scope)
            continue
        if isinstance(statement, ast.Assign):
            value = interp.eval(statement.value, scope)
            for target in statement.targets:
                if isinstance(target, ast.Name):  # self.stem = ... in a pasted fragment only names the layer
                    interp.assign(target, value, scope)
            name = statement.targets[0]
            label = name.attr if isinstance(name, ast.Attribute) else getattr(name, "id", None)
        elif isinstance(statement, ast.Expr):
            value, label = interp.eval(statement.value, scope), None
        else:
            raise CodeError(origin, statement.lineno, "expected layer calls, assignments of them, or nn.Module classes")
        found = _modules_in(value)
        if not found and not isinstance(value, (int, float, str, tuple)):
            raise CodeError(origin, statement.lineno, f"expected a layer, got {ast.unparse(statement)[:40]!r}")
        if label and len(found) == 1 and found[0].name is None:
            found[0].name = label
        layers += found
    if not layers:
        raise CodeError(origin, None, "no layers found (expected calls like nn.Conv2d(3, 64, 3))")
    top = Container("Sequential", {str(i): m for i, m in enumerate(layers)})
    for i, m in enumerate(layers):
        if m.name is None and isinstance(m, Leaf):
            m.name = f"{m.layer['type']}{i}"
    name_tree(top)
    return TorchModel(top, interp, library, "the layers")


def _modules_in(value: Value) -> list[Module]:
    if isinstance(value, Module):
        return [value]
    if isinstance(value, (list, tuple)):
        return [m for v in value for m in _modules_in(v)]
    return []
