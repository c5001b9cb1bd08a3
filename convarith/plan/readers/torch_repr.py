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
from typing import Any, NamedTuple

from ... import limits
from ...errors import ConvarithError, LimitError
from ..signatures import TORCH
from .interpreter import UNHANDLED, CodeError, Interpreter, Scope, Value
from .torch_code import Container, Leaf, TorchLibrary, TorchModel, name_tree

LINE = re.compile(r"^(?P<indent>\s*)\((?P<key>[\w.-]+)\): (?:(?P<count>\d+) x )?(?P<body>.*)$")
OPEN = re.compile(r"^(?P<cls>[A-Za-z_][\w.]*)\($")


class ReprLibrary(TorchLibrary):
    """Bare words in reprs (``padding_mode=reflect``) are strings."""

    def unknown_name(self, interp: Interpreter, name: str, node: ast.Name) -> Value:
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
    stack = [_Open(root, root, "", 1, 0)]  # the containers open at this line

    for number, line in lines[1:]:
        if line.strip() == ")":
            if len(stack) == 1:
                continue
            opened = stack.pop()  # attached now, complete: a folded repeat copies its children too
            _attach(opened.parent, opened.key, opened.module, opened.copies, origin, opened.line)
            continue
        match = LINE.match(line)
        if match is None:
            raise CodeError(origin, number, f"expected '(name): Layer(...)' or ')', got {line.strip()[:60]!r}")
        parent = stack[-1].module
        key, body = match["key"], match["body"].strip()
        count = int(match["count"][:12] or 1) if match["count"] else 1
        if OPEN.match(body):
            stack.append(_Open(Container("Sequential", {}), parent, key, count, number))
        else:
            _attach(parent, key, _leaf(interp, body, number, origin, notes), count, origin, number)
    model = TorchModel(root, interp, library, "print(model)", notes)
    name_tree(root)
    return model


class _Open(NamedTuple):
    """A container whose lines are being read, and where it goes once its ')' closes it."""

    module: Container
    parent: Container
    key: str
    copies: int
    line: int


def _attach(parent: Container, key: str, module: Leaf | Container, count: int, origin: str, line: int) -> None:
    """Module under key; a folded repeat ('0-2' with count 3) as copies under '0', '1', '2'.

    The copies are counted against ``limits.layers`` before any is made."""
    if count == 1:
        parent.children[key] = module
        return
    layers = count * _leaf_count(module)
    if layers > limits.layers:
        raise LimitError(
            "code",
            f"{origin}: line {line}: {count:,} copies of {layers // count:,} layer(s) would be "
            f"{limits.count_text(layers)} layers, over the limit of {limits.layers:,}",
            limits.LIFT["layers"],
        )
    first = key.partition("-")[0]
    start = int(first) if first.isdigit() else 0
    for i in range(count):
        parent.children[str(start + i)] = module if i == 0 else _copy(module)


def _leaf_count(module: Leaf | Container) -> int:
    if isinstance(module, Leaf):
        return 1
    return max(1, sum(_leaf_count(child) for child in module.children.values() if isinstance(child, (Leaf, Container))))


def _copy(module: Leaf | Container) -> Leaf | Container:
    if isinstance(module, Leaf):
        return Leaf(module.cls, module.bound, dict(module.layer), module.line, module.dims)
    return Container(module.kind, {k: _copy(v) for k, v in module.children.items()})


def _leaf(interp: Interpreter, body: str, number: int, origin: str, notes: list[str]) -> Leaf:
    """The layer one line of the text constructs (a class convarith does not know keeps its input's shape)."""
    try:
        node = ast.parse(body[:2000], mode="eval").body
    except (SyntaxError, RecursionError, ValueError, MemoryError):
        raise CodeError(origin, number, f"cannot read the layer {body[:60]!r}") from None
    if not isinstance(node, ast.Call) or not isinstance(node.func, (ast.Name, ast.Attribute)):
        raise CodeError(origin, number, f"expected a layer like Conv2d(...), got {body[:60]!r}")
    for walked in ast.walk(node):
        n: Any = walked  # operator and context nodes too, which typeshed gives no positions
        n.lineno = number
    cls = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
    if cls not in TORCH:
        notes.append(f"line {number}: {cls} is not a layer convarith knows: assumed to keep its input's shape")
        return Leaf("Identity", {}, {"type": "identity", "describe": cls}, number, None)
    try:
        layer: Leaf = interp.eval(node, Scope())  # a class in TORCH: make_leaf builds it
        return layer
    except ConvarithError as exc:
        raise CodeError(origin, number, exc.rule.split(": ", 2)[-1]) from None
