"""The text of ``print(model)``: the module tree with each layer's constructor arguments.

``forward`` is not in it, so the plan runs the layers once each in the printed order, and
says so. Where a Linear layer is fed a feature map whose size equals its in_features, a
flatten is assumed (and noted); a custom layer the text cannot describe is assumed to keep
its input's shape (and noted). ModuleList's folded repeats (``(0-2): 3 x Block(``) are
expanded.
"""

from __future__ import annotations

import ast
import re

from ...errors import ShapeError
from ..signatures import TORCH
from .interpreter import UNHANDLED, CodeError, Interpreter, Scope
from .torch_code import Container, Leaf, TorchLibrary, TorchModel, name_tree

LINE = re.compile(r"^(?P<indent>\s*)\((?P<key>[\w.-]+)\): (?:(?P<count>\d+) x )?(?P<body>.*)$")
OPEN = re.compile(r"^(?P<cls>[A-Za-z_][\w.]*)\($")


class ReprLibrary(TorchLibrary):
    """Bare words in reprs (``padding_mode=reflect``) are strings."""

    def unknown_name(self, interp, name, node):
        found = super().unknown_name(interp, name, node)
        return name if found is UNHANDLED else found


def read_repr(text: str, origin: str) -> TorchModel:
    library = ReprLibrary(origin)
    library.repr_mode = True
    interp = Interpreter(origin, library)
    lines = [(n, line.rstrip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines or not OPEN.match(lines[0][1].strip()):
        raise CodeError(origin, lines[0][0] if lines else None, "expected print(model) text starting with 'Name('")
    notes = ["print(model) has no forward: the layers run once each, in the printed order"]
    root = Container("Sequential", {})
    stack = [(root, -1)]

    for number, line in lines[1:]:
        if line.strip() == ")":
            if len(stack) == 1:
                continue
            stack.pop()
            continue
        match = LINE.match(line)
        if match is None:
            raise CodeError(origin, number, f"expected '(name): Layer(...)' or ')', got {line.strip()[:60]!r}")
        parent = stack[-1][0]
        key, body, count = match["key"], match["body"].strip(), int(match["count"] or 1)
        opened = OPEN.match(body)
        if opened:
            module = Container("Sequential", {})
            module.display = opened["cls"]
            stack.append((module, len(match["indent"])))
        else:
            module = _leaf(interp, body, number, origin, notes)
        _attach(parent, key, module, count)
    model = TorchModel(root, interp, library, "print(model)", notes)
    name_tree(root)
    return model


def _attach(parent, key, module, count):
    if count == 1:
        parent.children[key] = module
        return
    first, _, last = key.partition("-")
    for i in range(int(first), int(last or first) + 1):
        parent.children[str(i)] = module if i == int(first) else _copy(module)


def _copy(module):
    if isinstance(module, Leaf):
        return Leaf(module.cls, module.bound, dict(module.layer), module.line, module.dims)
    copy = Container(module.kind, {k: _copy(v) for k, v in module.children.items()})
    copy.display = getattr(module, "display", module.kind)
    return copy


def _leaf(interp, body, number, origin, notes):
    try:
        node = ast.parse(body[:2000], mode="eval").body
    except (SyntaxError, RecursionError, ValueError, MemoryError):
        raise CodeError(origin, number, f"cannot read the layer {body[:60]!r}") from None
    if not isinstance(node, ast.Call) or not isinstance(node.func, (ast.Name, ast.Attribute)):
        raise CodeError(origin, number, f"expected a layer like Conv2d(...), got {body[:60]!r}")
    for n in ast.walk(node):
        n.lineno = number
    cls = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
    if cls not in TORCH:
        notes.append(f"line {number}: {cls} is not a layer convarith knows: assumed to keep its input's shape")
        return Leaf("Identity", {}, {"type": "identity", "describe": cls}, number, None)
    try:
        return interp.eval(node, Scope())
    except ShapeError as exc:
        raise CodeError(origin, number, exc.rule.split(": ", 2)[-1]) from None
