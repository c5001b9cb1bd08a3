"""Planning a live ``torch.nn.Module``: its ``forward`` runs once, and every step is recorded.

The model runs on the ``meta`` device (parameters and activations have shapes but no
memory), so a ResNet-152 plans in about a second and a few MB whatever its size. Module
calls are seen by forward hooks; what ``forward`` does between them (``x + y``,
``torch.cat``, ``F.max_pool2d``, ``x.view(...)``, slicing) by a ``TorchFunctionMode``.

Each recorded step becomes a planner layer dict, planned by convarith's own engine. The
shape torch produced checks the planned one: a disagreement is a bug in convarith and shows
as an error that stops the plan, never a silently different table. Steps convarith does not
model (attention, ``matmul``, custom modules) become ``traced`` rows that carry torch's
shape, so the plan always follows what ``forward`` really did.

torch is imported only inside these functions: ``pip install 'convarith[torch]'``.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import math
import os
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConvarithError, InputFileError, ShapeError, SpecError
from .schema import Spec, check_shape

if TYPE_CHECKING:
    from .model import Plan
from .signatures import TORCH, torch_layer

INSTALL = "needs PyTorch: pip install 'convarith[torch]' (or pip install torch)"
Shape = tuple[int, ...]

# Modules planned as one step although they have children: their forward does not call them.
FUSED = {"MultiheadAttention"}
# Tensor functions that never change what flows (no row, the value passes through).
PASS_THROUGH = {
    "contiguous",
    "clone",
    "detach",
    "to",
    "float",
    "double",
    "half",
    "bfloat16",
    "type",
    "type_as",
    "requires_grad_",
    "cpu",
    "cuda",
}
ELEMENTWISE_BINARY = {
    "add",
    "sub",
    "mul",
    "div",
    "true_divide",
    "maximum",
    "minimum",
    "where",
    "addcmul",
    "pow",
    "rsub",
}
MAC_FUNCTIONS = {"matmul", "bmm", "mm", "linear", "scaled_dot_product_attention", "baddbmm", "addmm", "einsum"}


def import_torch(parameter: str = "model") -> Any:
    try:
        import torch
    except ImportError:
        raise SpecError(parameter, INSTALL) from None
    return torch


def is_torch_module(model: object) -> bool:
    """True for an nn.Module, told without importing torch (it is imported if the object is one)."""
    return any(c.__name__ == "Module" and c.__module__ == "torch.nn.modules.module" for c in type(model).__mro__)


@dataclass
class Step:
    """One recorded step of forward: a module call or a function between module calls."""

    spec: Spec
    output: Shape  # as torch computed it, without the batch
    module: str  # module path of the call, or of the module whose forward made the function call
    layer_class: str  # "Conv2d", "cat", ...
    module_object: Any = None  # the called module (None for functions)
    first_call: bool = True
    mapped: bool = True  # planned by the shape engine (checked against torch), not copied from the trace
    functional_weights: bool = False  # a functional conv: its weights are counted where they live


@dataclass
class Trace:
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    loose_params: dict[str, int] = field(default_factory=dict)
    frozen: dict[int, int] = field(default_factory=dict)  # step index -> parameters with requires_grad False
    frozen_loose: int = 0  # loose parameters with requires_grad False
    module_classes: dict[str, str] = field(default_factory=dict)  # module path -> class name
    output: Shape | None = None
    batch: int = 1


def _torch_class(module: Any) -> str | None:
    """The nn class convarith knows that this module is (or subclasses without a new forward)."""
    for cls in type(module).__mro__:
        if cls.__module__.startswith("torch.nn.modules.") and cls.__name__ in TORCH:
            return cls.__name__ if type(module).forward is getattr(cls, "forward", None) else None
    return None


def _is_unit(module: Any) -> bool:
    """A module planned as one row: a leaf, a class convarith knows, or a fused module."""
    children = [name for name, _ in module.named_children()]
    if not children or all(name == "parametrizations" for name in children):
        return True
    return _torch_class(module) is not None or type(module).__name__ in FUSED


def _value(v: Any) -> Any:
    """A module attribute as a spec value: tuples of ints, numbers, strings."""
    if isinstance(v, (list, tuple)):
        return tuple(_value(x) for x in v)
    if hasattr(v, "item") and hasattr(v, "numel"):  # a 0-d tensor attribute
        return v.item()
    return v


def module_spec(module: Any, cls: str) -> Spec:
    """The planner layer dict of a known nn class, from the module's own attributes."""
    bound: dict[str, Any] = {}
    for p in TORCH[cls].params:
        if p in ("device", "dtype") or not hasattr(module, p):
            continue
        v = getattr(module, p)
        if p == "bias" and not isinstance(v, bool):
            v = v is not None
        bound[p] = _value(v)
    if cls.startswith("Upsampl") and bound.get("size") is not None:
        bound["scale_factor"] = None
    spec = torch_layer(cls, bound)
    parametrized = getattr(module, "parametrizations", None)
    if hasattr(module, "weight_g") or (parametrized is not None and "weight" in parametrized):
        spec["weight_norm"] = True  # weight_norm adds a magnitude per output channel
    return spec


def _shape(t: Any) -> Shape:
    return tuple(int(v) for v in t.shape)


def _tensors(value: Any, is_tensor: Callable[[Any], bool]) -> Iterator[Any]:
    if is_tensor(value):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _tensors(v, is_tensor)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _tensors(v, is_tensor)


class Tracer:
    """Hooks and a TorchFunctionMode that turn one forward pass into steps."""

    def __init__(self, torch: Any, model: Any, batch: int) -> None:
        self.torch = torch
        self.model = model
        self.batch = batch
        self.trace = Trace(batch=batch)
        self.names: dict[int, str] = {}
        for name, m in model.named_modules(remove_duplicate=False):
            self.names.setdefault(id(m), name)
            self.trace.module_classes.setdefault(name, type(m).__name__)
        self.units = {id(m) for _, m in model.named_modules() if _is_unit(m)}
        self.producer: dict[int, str] = {}  # id(tensor) -> the row name that produced it ("input")
        self.alive: list[Any] = []  # keeps traced tensors alive, so their ids stay theirs
        self.path: list[str] = []  # module paths of the calls in progress
        self.inside_unit = 0
        self.calls: dict[int, int] = {}  # id(module) -> calls so far
        self.counter: dict[str, int] = {}
        self.unmodelled: dict[str, int] = {}
        self.no_macs: dict[str, int] = {}

    # bookkeeping --------------------------------------------------------------
    def is_tensor(self, v: Any) -> bool:
        return isinstance(v, self.torch.Tensor) and not isinstance(v, self.torch.nn.Parameter)

    def source(self, t: Any) -> str | None:
        return self.producer.get(id(t))

    def mark(self, t: Any, name: str) -> None:
        self.producer[id(t)] = name
        self.alive.append(t)

    def unique(self, base: str) -> str:
        n = self.counter.get(base, 0)
        self.counter[base] = n + 1
        return base if n == 0 else f"{base}#{n}"

    def add(self, step: Step, inputs: Sequence[str], outputs: Sequence[Any]) -> None:
        name = self.unique(step.spec.get("name") or step.layer_class)
        step.spec["name"] = name
        step.spec["inputs"] = list(inputs)
        self.trace.steps.append(step)
        for t in outputs:
            self.mark(t, name)

    # module calls -------------------------------------------------------------
    def pre_hook(self, module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.path.append(self.names.get(id(module), type(module).__name__))
        if id(module) in self.units:
            self.inside_unit += 1

    def post_hook(self, module: Any, args: tuple[Any, ...], kwargs: dict[str, Any], output: Any) -> None:
        path = self.path.pop()
        if id(module) not in self.units:
            return
        self.inside_unit -= 1
        if self.inside_unit:
            return
        inputs = [t for t in _tensors((args, kwargs), self.is_tensor) if self.source(t) is not None]
        outputs = list(_tensors(output, self.is_tensor))
        if not inputs or not outputs:  # it reads nothing that flows from the input: a constant
            return
        first = self.calls.get(id(module), 0) == 0
        self.calls[id(module)] = self.calls.get(id(module), 0) + 1
        cls = _torch_class(module)
        out = _shape(outputs[0])
        if out[:1] != (self.batch,):
            self.opaque(module, path, inputs, outputs, first, "its output does not keep the batch first")
            return
        spec: Spec | None = None
        if cls is not None:
            try:
                spec = module_spec(module, cls)
            except (ConvarithError, TypeError, ValueError, KeyError):
                spec = None
        if spec is None:
            self.opaque(module, path, inputs, outputs, first)
            return
        if spec["type"] == "conv_transpose" and (len(args) > 1 or "output_size" in kwargs):
            asked = kwargs.get("output_size", args[1] if len(args) > 1 else None)
            if asked is not None:
                n = len(out) - 2
                spec["output_size"] = tuple(int(v) for v in list(asked)[-n:])
        if not first:
            spec["shared"] = True
        spec["name"] = path or type(module).__name__
        step = Step(spec, out[1:], path, type(module).__name__, module, first)
        sources = [self.source(inputs[0])] + ([self.source(inputs[1])] if spec["type"] == "bilinear" else [])
        self.add(step, [s for s in sources if s is not None], outputs[:1])
        for t in outputs[1:]:  # max-pool indices and the like: same row
            self.mark(t, step.spec["name"])

    def opaque(self, module: Any, path: str, inputs: list[Any], outputs: list[Any], first: bool, why: str = "") -> None:
        cls = type(module).__name__
        out = _shape(outputs[0])
        params = sum(p.numel() for p in module.parameters()) if first else 0
        spec: Spec = {
            "type": "traced",
            "op": cls,
            "shape": out[1:] if out[:1] == (self.batch,) else out,
            "params": params,
            "macs": self.module_macs(module, inputs, outputs),
            "torchinfo_macs": self.torchinfo_macs(module, out),
            "describe": f"shape from torch{f' ({why})' if why else ''}",
            "name": path or cls,
        }
        if not first:
            spec["shared"] = True
        if params and spec["macs"] == 0:
            self.no_macs[cls] = self.no_macs.get(cls, 0) + 1
        self.unmodelled[cls] = self.unmodelled.get(cls, 0) + 1
        sources = list(dict.fromkeys(s for s in (self.source(t) for t in inputs) if s is not None))
        step = Step(spec, tuple(spec["shape"]), path, cls, module, first, mapped=False)
        self.add(step, sources, outputs)

    def module_macs(self, module: Any, inputs: list[Any], outputs: list[Any]) -> int:
        """Multiply-accumulates of the modules convarith does not plan but can count."""
        if type(module).__name__ == "MultiheadAttention" and len(outputs) >= 1:
            out = outputs[0]
            e = int(module.embed_dim)
            kdim, vdim = int(module.kdim), int(module.vdim)
            batch_first = bool(getattr(module, "batch_first", False))
            length = out.shape[1] if batch_first else out.shape[0]
            batch = out.shape[0] if batch_first else out.shape[1]
            keys = inputs[1] if len(inputs) > 1 else inputs[0]
            source = keys.shape[1] if batch_first and keys.dim() == 3 else keys.shape[0]
            projections = length * e * e + source * (kdim + vdim) * e + length * e * e
            attention = 2 * length * source * e
            return int(batch * (projections + attention))
        return 0

    def torchinfo_macs(self, module: Any, out: Shape) -> int:
        """torchinfo 1.8 counts MACs of leaf modules only, from each parameter's size."""
        if any(True for _ in module.children()):
            return 0
        total = 0
        cls = type(module).__name__
        for name, p in module.named_parameters():
            n = p.numel()
            last = name.rsplit(".", 1)[-1]
            if last in ("weight", "bias"):
                total += n * math.prod(out[:1] + out[2:]) if "Conv" in cls else out[0] * n
            elif "weight" in last or "bias" in last:
                total += math.prod(out[:2]) * n
        return int(total)

    # functions between module calls --------------------------------------------
    def function(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any) -> None:
        if self.inside_unit:
            return
        inputs = [t for t in _tensors((args, kwargs), self.is_tensor) if self.source(t) is not None]
        if not inputs:
            return
        outputs = list(_tensors(result, self.is_tensor))
        if not outputs:
            return
        name = getattr(func, "__name__", str(func)).strip("_")
        if name.startswith("i") and name[1:] in ELEMENTWISE_BINARY:  # __iadd__ and friends
            name = name[1:]
        name = name.removeprefix("r") if name in ("radd", "rmul", "rdiv", "rtruediv") else name
        first = inputs[0]
        out = _shape(outputs[0])
        path = self.path[-1] if self.path else ""
        if len(outputs) == 1 and name in PASS_THROUGH | {"dropout", "feature_alpha_dropout", "alpha_dropout"}:
            self.pass_through(first, outputs[0])
            return
        sources = list(dict.fromkeys(s for s in (self.source(t) for t in inputs) if s is not None))
        one_input = len(inputs) == 1 or name not in ELEMENTWISE_BINARY
        if len(outputs) == 1 and len(sources) == 1 and out == _shape(first) and name not in MAC_FUNCTIONS and one_input:
            self.pass_through(first, outputs[0])  # relu, sigmoid, x * 0.5, softmax: nothing to plan
            return
        spec = self.function_spec(name, args, kwargs, inputs, outputs) if out[:1] == (self.batch,) else None
        label = f"{name}@{path}" if path else name
        if spec is not None and spec["type"] == "add":
            sources = [s for s in (self.source(t) for t in inputs) if s is not None]
        if spec is not None and len(outputs) == 1:
            spec["name"] = label
            weights = spec.pop("functional_weights", False)
            step = Step(spec, out[1:], path, name, None, True, True, bool(weights))
            self.add(step, sources, outputs)
            return
        for i, t in enumerate(outputs):  # chunk, split, unbind: a row per piece
            shape = _shape(t)
            traced: Spec = {
                "type": "traced",
                "op": name,
                "shape": shape[1:] if shape[:1] == (self.batch,) and out[:1] == (self.batch,) else shape,
                "macs": self.function_macs(name, inputs, t) if i == 0 else 0,
                "describe": "shape from torch",
                "name": label if len(outputs) == 1 else f"{label}[{i}]",
            }
            if all(_shape(t) != _shape(i) for i in inputs):  # elementwise work keeps a known shape
                self.unmodelled[name] = self.unmodelled.get(name, 0) + 1
            self.add(Step(traced, tuple(traced["shape"]), path, name, None, True, False), sources, [t])

    def pass_through(self, source: Any, result: Any) -> None:
        name = self.source(source)
        if name is not None:
            self.mark(result, name)

    def function_macs(self, name: str, inputs: list[Any], out: Any) -> int:
        if name in ("matmul", "bmm", "mm", "baddbmm", "addmm") and len(inputs) >= 2:
            a = inputs[-2]
            return int(out.numel() * a.shape[-1]) if a.dim() else 0
        if name == "linear":
            return int(out.numel() * inputs[0].shape[-1])
        if name == "scaled_dot_product_attention" and len(inputs) >= 3:
            q, k = inputs[0], inputs[1]
            return int(2 * q.numel() // q.shape[-1] * k.shape[-2] * q.shape[-1])
        return 0

    def function_spec(
        self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], inputs: list[Any], outputs: list[Any]
    ) -> Spec | None:
        """The planner layer dict of a function convarith models, or None (then it is traced)."""
        x = inputs[0]
        out = _shape(outputs[0])

        def arg(i: int, key: str, default: Any = None) -> Any:
            return _value(args[i]) if len(args) > i else _value(kwargs.get(key, default))

        base = name.removesuffix("_with_indices")
        if base in ("max_pool1d", "max_pool2d", "max_pool3d"):
            spec: Spec = {"type": "max_pool", "kernel_size": arg(1, "kernel_size")}
            for i, key in ((2, "stride"), (3, "padding"), (4, "dilation"), (5, "ceil_mode")):
                v = arg(i, key)
                if v not in (None, (), []):
                    spec[key] = v
            return spec
        if base in ("avg_pool1d", "avg_pool2d", "avg_pool3d"):
            spec = {"type": "avg_pool", "kernel_size": arg(1, "kernel_size")}
            for i, key in ((2, "stride"), (3, "padding"), (4, "ceil_mode")):
                v = arg(i, key)
                if v not in (None, (), []):
                    spec[key] = v
            return spec
        if base.startswith("adaptive_") and base[:-2] in ("adaptive_avg_pool", "adaptive_max_pool"):
            return {"type": base[:-2], "output_size": arg(1, "output_size")}
        if name in ("conv1d", "conv2d", "conv3d") and len(inputs) >= 1:
            weight = args[1] if len(args) > 1 else kwargs.get("weight")
            if weight is None:
                return None
            bias = args[2] if len(args) > 2 else kwargs.get("bias")
            return {
                "type": "conv",
                "out_channels": int(weight.shape[0]),
                "kernel_size": tuple(int(v) for v in weight.shape[2:]),
                "stride": arg(3, "stride", 1),
                "padding": arg(4, "padding", 0),
                "dilation": arg(5, "dilation", 1),
                "groups": arg(6, "groups", 1),
                "bias": bias is not None,
                "functional_weights": True,
            }
        if name == "interpolate":
            size, scale = arg(1, "size"), arg(2, "scale_factor")
            if arg(5, "recompute_scale_factor") or (size is None and scale is None):
                return None
            return {"type": "upsample", "size": size, "scale_factor": scale, "mode": arg(3, "mode", "nearest")}
        if name == "pad":
            from .signatures import functional_pads

            pads = functional_pads(arg(1, "pad"), "")
            if len(pads) > x.dim() - 2:
                return None
            mode = arg(2, "mode", "constant")
            return {"type": "border_pad", "pads": pads, "mode": mode, "describe": "F.pad"}
        if name in ("flatten", "view", "reshape", "squeeze", "unsqueeze", "view_as", "reshape_as", "unflatten"):
            return {"type": "reshape", "shape": out[1:]} if math.prod(out) == x.numel() else None
        if name in ("permute", "transpose", "swapaxes", "movedim"):
            return None
        if name in ("cat", "concat", "concatenate"):
            tensors = args[0] if args else kwargs.get("tensors", ())
            dim = arg(1, "dim", 0)
            if len(inputs) != len(list(tensors)) or not isinstance(dim, int):
                return None  # a constant (a class token) joins: traced
            axis = dim % x.dim()
            return {"type": "concat", "axis": axis - 1} if axis > 0 else None
        if name == "getitem" and len(outputs) == 1:
            return _slice_spec(_shape(x), args[1] if len(args) > 1 else None)
        if name in ("add", "sub") and len(inputs) >= 2 and all(_shape(t) == out for t in inputs):
            return {"type": "add"}
        if name == "pixel_shuffle":
            return {"type": "pixel_shuffle", "factor": arg(1, "upscale_factor")}
        if name == "pixel_unshuffle":
            return {"type": "pixel_unshuffle", "factor": arg(1, "downscale_factor")}
        return None


def _slice_spec(shape: Shape, index: Any) -> Spec | None:
    """x[...] with step-1 slices and integers (not on the batch) as a planner slice."""
    items = list(index) if isinstance(index, tuple) else [index]
    if any(i is None for i in items) or sum(i is Ellipsis for i in items) > 1:
        return None
    if Ellipsis in items:
        at = items.index(Ellipsis)
        items[at : at + 1] = [slice(None)] * (len(shape) - len(items) + 1)
    items += [slice(None)] * (len(shape) - len(items))
    if len(items) != len(shape):
        return None
    ranges: list[tuple[int, int]] = []
    drop: list[int] = []
    for axis, (item, size) in enumerate(zip(items, shape, strict=True)):
        if isinstance(item, slice):
            start, stop, step = item.indices(size)
            if step != 1:
                return None
            ranges.append((start, max(start, stop)))
        elif isinstance(item, int) and not isinstance(item, bool):
            i = item % size if -size <= item < size else None
            if i is None:
                return None
            ranges.append((i, i + 1))
            drop.append(axis)
        else:
            return None
    if ranges[0] != (0, shape[0]):
        return None  # the batch is sliced: traced
    spec: Spec = {"type": "slice", "ranges": tuple(ranges[1:])}
    if drop:
        spec["drop"] = tuple(d - 1 for d in drop)
    return spec


def trace(model: Any, input_size: Sequence[int], dtype: str = "float32") -> Trace:
    """Run ``model`` once on a meta tensor of ``input_size`` (batch first) and record every step."""
    torch = import_torch()
    if not isinstance(model, torch.nn.Module):
        raise SpecError("model", f"must be a torch.nn.Module, got {type(model).__name__}")
    shape = check_shape(input_size, "input_size")
    if len(shape) < 2:
        raise ShapeError("input_size", f"is the whole input tensor, batch first (like 1x3x224x224), got {shape}")
    element = getattr(torch, dtype, None)
    if not isinstance(element, torch.dtype):
        raise ShapeError("dtype", f"is not a torch dtype: {dtype!r}")
    try:
        return _run(torch, model, shape, element, "meta")
    except ConvarithError:
        raise
    except (Exception, SystemExit) as first_error:  # the forward does something the meta device cannot (.item(), numpy)
        reason = f"{type(first_error).__name__}: {str(first_error).splitlines()[0][:160] if str(first_error) else ''}"
        if any(p.is_meta for p in model.parameters()):
            raise SpecError(
                "model", f"its forward does not run on the meta device ({reason}); build it on the CPU and plan that"
            ) from None
        try:
            traced = _run(torch, model, shape, element, "cpu")
        except ConvarithError:
            raise
        except (Exception, SystemExit) as exc:
            raise SpecError(
                "model", f"its forward fails on a {'x'.join(map(str, shape))} input: {type(exc).__name__}: {exc}"
            ) from None
        traced.notes.append(f"traced on the CPU with real tensors: the meta device cannot run this forward ({reason})")
        return traced


def _run(torch: Any, model: Any, shape: Shape, element: Any, device: str) -> Trace:
    tracer = Tracer(torch, model, shape[0])
    x = torch.zeros(shape, dtype=element, device=device)
    tracer.mark(x, "input")
    modes = [(m, m.training) for m in model.modules()]
    handles = []
    for m in model.modules():
        handles.append(m.register_forward_pre_hook(tracer.pre_hook, with_kwargs=True))
        handles.append(m.register_forward_hook(tracer.post_hook, with_kwargs=True))

    class Recorder(torch.overrides.TorchFunctionMode):  # type: ignore[misc,unused-ignore]
        def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            kwargs = kwargs or {}
            result = func(*args, **kwargs)
            tracer.function(func, tuple(args), dict(kwargs), result)
            return result

    try:
        model.eval()
        with torch.no_grad():
            if device == "meta" and any(not p.is_meta for p in model.parameters()):
                state = {k: torch.empty_like(v, device="meta") for k, v in model.state_dict(keep_vars=True).items()}
                with Recorder():
                    output = torch.func.functional_call(model, state, (x,))
            else:
                with Recorder():
                    output = model(x)
    finally:
        for h in handles:
            h.remove()
        for m, training in modes:
            m.training = training
    trace_ = tracer.trace
    outs = list(_tensors(output, tracer.is_tensor))
    trace_.output = _shape(outs[0])[1:] if outs else None
    _attribute_parameters(model, trace_)
    if tracer.unmodelled:
        listed = ", ".join(f"{k} ({v})" if v > 1 else k for k, v in tracer.unmodelled.items())
        trace_.notes.append(f"shapes taken from torch, not planned by convarith: {listed}")
    if tracer.no_macs:
        trace_.notes.append(f"MACs not counted for: {', '.join(tracer.no_macs)}")
    return trace_


def _attribute_parameters(model: Any, trace_: Trace) -> None:
    """Parameters of called modules belong to their rows; the rest (a class token, a module
    never called) are listed as loose, so the total is exactly sum(p.numel())."""
    owned: set[int] = set()
    for i, step in enumerate(trace_.steps):
        if step.module_object is None or not step.first_call:
            continue
        frozen = 0
        for p in step.module_object.parameters():
            if id(p) not in owned:
                owned.add(id(p))
                frozen += 0 if p.requires_grad else p.numel()
        if frozen:
            trace_.frozen[i] = frozen
    for name, p in model.named_parameters():
        if id(p) not in owned:
            owned.add(id(p))
            trace_.loose_params[name] = trace_.loose_params.get(name, 0) + p.numel()
            trace_.frozen_loose += 0 if p.requires_grad else p.numel()


def plan_module(model: Any, input_size: Sequence[int], dtype: str = "float32", macs: str = "multiply") -> Plan:
    """The plan of a live nn.Module on an input of ``input_size`` (batch first), every planned
    shape checked against the one torch computed."""
    from ..dialects.common import fmt
    from .model import Planner, check_options, finish

    check_options(dtype, macs)
    traced = trace(model, input_size, dtype)
    shape = check_shape(input_size, "input_size")
    planner = Planner(shape[1:], "torch", dtype, batch=shape[0])
    for i, step in enumerate(traced.steps):
        was_stopped = planner.stopped
        row = planner.add(dict(step.spec))
        row.module, row.layer_class = step.module, step.layer_class
        row.torchinfo_leaf = step.module_object is None or not any(True for _ in step.module_object.children())
        nesting = len(step.module.split(".")) if step.module else 0
        row.depth = nesting if step.module_object is not None else nesting + 1
        if planner.stopped and not was_stopped and step.mapped:
            planner.diagnostics.append(
                f"{row.name}: torch ran this {step.layer_class} and gave {fmt(step.output)}; "
                "convarith disagrees: a bug in convarith, please report it"
            )
        if planner.stopped or row.shape is None:
            continue
        if tuple(row.shape) != step.output:
            planner.stop(
                f"{row.name}: convarith plans {fmt(row.shape)} but torch gives {fmt(step.output)} "
                f"for this {step.layer_class}: a bug in convarith, please report it"
            )
            continue
        if step.functional_weights:
            row.params = 0  # the weight is a parameter of a module: counted there, or as loose
        elif step.module_object is not None and step.first_call and step.mapped:
            real = sum(p.numel() for p in step.module_object.parameters())
            if row.params != real:
                planner.diagnostics.append(
                    f"{row.name}: convarith counts {row.params:,} parameters, torch has {real:,} "
                    "(torch's count is used): a bug in convarith, please report it"
                )
                row.params = real
        row.non_trainable = traced.frozen.get(i, 0)
    if traced.output is not None and planner.rows and not planner.stopped:
        last = planner.rows[-1].shape
        if last is not None and tuple(last) != traced.output:
            traced.notes.append(
                f"the model returns {fmt(traced.output)}, made by steps convarith does not see; "
                f"the last planned step gives {fmt(last)}"
            )
    plan = finish(planner, traced.notes, macs)
    plan.loose_params = dict(traced.loose_params)
    plan.loose_non_trainable = traced.frozen_loose
    plan.module_classes = dict(traced.module_classes)
    return plan


# Loading a model from a file or module -------------------------------------------------


def parse_arguments(text: str | None, namespace: object = None) -> tuple[list[Any], dict[str, Any]]:
    """'Bottleneck, [3, 4, 6, 3], num_classes=10' as values: Python literals, and names (or
    dotted names like nn.BatchNorm2d) looked up in ``namespace`` (the model's module). Nothing
    else is evaluated: no calls, no operators but a sign."""
    if not text or not text.strip():
        return [], {}
    try:
        call = ast.parse(f"f({text})", mode="eval").body
    except SyntaxError:
        raise SpecError("--args", f"expected Python arguments like 'num_classes=10', got {text!r}") from None
    if not isinstance(call, ast.Call) or any(isinstance(a, ast.Starred) for a in call.args):
        raise SpecError("--args", f"expected Python arguments like 'num_classes=10', got {text!r}")
    if any(k.arg is None for k in call.keywords):
        raise SpecError("--args", "**kwargs is not taken: write each argument")

    def value(node: ast.expr) -> Any:
        if isinstance(node, ast.Name):
            if namespace is None or not hasattr(namespace, node.id):
                raise SpecError("--args", f"{node.id!r} is not a name the model's module defines")
            return getattr(namespace, node.id)
        if isinstance(node, ast.Attribute):
            owner = value(node.value)
            if not hasattr(owner, node.attr):
                raise SpecError("--args", f"{ast.unparse(node)!r} does not exist")
            return getattr(owner, node.attr)
        if isinstance(node, (ast.List, ast.Tuple)):
            items = [value(e) for e in node.elts]
            return items if isinstance(node, ast.List) else tuple(items)
        try:
            return ast.literal_eval(node)
        except (ValueError, TypeError, SyntaxError, RecursionError):
            raise SpecError("--args", f"values are Python literals or names, not {ast.unparse(node)!r}") from None

    return [value(a) for a in call.args], {str(k.arg): value(k.value) for k in call.keywords}


FRAMEWORK_PACKAGES = {
    "torch": "pip install 'convarith[torch]'",
    "keras": "pip install 'convarith[keras]'",
    "tensorflow": "pip install 'convarith[keras]'",
}


def failure(exc: BaseException) -> str:
    """What went wrong in the user's code, with the install line when a framework is missing."""
    missing = getattr(exc, "name", None) if isinstance(exc, ImportError) else None
    root = str(missing).split(".")[0] if missing else ""
    if root in FRAMEWORK_PACKAGES:
        return f"it needs {root}, which is not installed: {FRAMEWORK_PACKAGES[root]}"
    return f"{type(exc).__name__}: {exc}"


def load_object(target: str, parameter: str) -> Any:
    """FILE.py:NAME or package.module:NAME -> the object NAME. Runs the user's code."""
    where, sep, name = target.rpartition(":")
    if not sep or not where or not name.isidentifier():
        raise SpecError(parameter, f"expected FILE.py:NAME or package.module:NAME, got {target!r}")
    if where.endswith(".py") or os.sep in where or "/" in where:
        path = Path(where)
        if not path.is_file():
            raise InputFileError(parameter, f"no such file: {where}")
        module_name = f"_convarith_model_{uuid.uuid4().hex}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise InputFileError(parameter, f"cannot import {where}")
        module = importlib.util.module_from_spec(spec)
        folder = str(path.resolve().parent)
        sys.path.insert(0, folder)  # the file's own imports of its neighbours
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except (Exception, SystemExit) as exc:
            raise SpecError(parameter, f"running {where} failed: {failure(exc)}") from None
        finally:
            if folder in sys.path:
                sys.path.remove(folder)
    else:
        try:
            module = importlib.import_module(where)
        except (Exception, SystemExit) as exc:
            raise SpecError(parameter, f"cannot import {where}: {failure(exc)}") from None
    if not hasattr(module, name):
        raise SpecError(parameter, f"{where} has no {name!r}")
    return getattr(module, name)


def _skip_meta_init(torch: Any) -> Any:
    """A mode in which in-place initialisation of meta tensors (nn.init.kaiming_normal_,
    tensor.normal_, ...) does nothing: meta tensors hold no values, and torch's meta path for
    random fills imports its compiler (2 s) on first use."""

    class SkipInit(torch.overrides.TorchFunctionMode):  # type: ignore[misc,unused-ignore]
        def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            kwargs = kwargs or {}
            name = getattr(func, "__name__", "")
            first = args[0] if args else None
            if name.endswith("_") and not name.startswith("__") and getattr(first, "is_meta", False):
                return first
            return func(*args, **kwargs)

    return SkipInit()


def build_module(target: str, arguments: str | None = None) -> tuple[Any, list[str]]:
    """The nn.Module named by ``target``, built on the meta device (no weight memory) when it
    can be; a class or function is called with ``arguments``."""
    torch = import_torch("--from-torch")
    obj = load_object(target, "--from-torch")
    args, kwargs = parse_arguments(arguments, sys.modules.get(getattr(obj, "__module__", "") or ""))
    notes: list[str] = []
    if isinstance(obj, torch.nn.Module):
        if args or kwargs:
            raise SpecError("--args", f"{target} is already a module instance: it takes no arguments")
        return obj, notes
    if not callable(obj):
        raise SpecError("--from-torch", f"{target} is neither an nn.Module, a class nor a function")
    try:
        with torch.device("meta"), _skip_meta_init(torch):
            model = obj(*args, **kwargs)
    except (Exception, SystemExit) as exc:
        try:
            model = obj(*args, **kwargs)
        except (Exception, SystemExit):
            raise SpecError("--from-torch", f"building {target} failed: {type(exc).__name__}: {exc}") from None
        notes.append("built on the CPU: the constructor does not run on the meta device")
    if not isinstance(model, torch.nn.Module):
        raise SpecError("--from-torch", f"{target}(...) returned {type(model).__name__}, not an nn.Module")
    return model, notes
