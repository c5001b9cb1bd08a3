"""A small static evaluator for model-building Python: never executes or imports the code.

It walks the ``ast`` of the pasted text and evaluates only what a model definition needs:
literals and arithmetic on them, names bound to such values (module constants, defaults,
arguments), tuples/lists/dicts, comprehensions, ``for`` over values it knows, ``if`` on
conditions it can decide, calls of functions and classes defined in the same text, and
calls into a *library* (PyTorch or Keras, supplied by the reader) that builds layers and
plans tensors. Anything else is refused with the line, the construct and what to write
instead. Work is bounded: a step budget and size limits on the values it builds.
"""

from __future__ import annotations

import ast
import enum
import math
import operator
import re
import string
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple, Protocol, TypeAlias

from ...errors import ConvarithError, SpecError

MAX_STEPS = 1_000_000  # evaluation steps for one text (DenseNet-121 takes about 11,000)
MAX_ITEMS = 100_000  # elements of one list, tuple, string or range it builds
MAX_INT_BITS = 4096
WORK_LIMIT = 10 * MAX_ITEMS  # element operations of one native comparison or sort
WORK_PER_STEP = 25  # element operations that cost one step (walking them to count costs too)
MAX_DEPTH = 50  # nested calls (real models nest a dozen deep; Python's own stack must not run out first)

# A value of the code being read: an int, str, tuple, list, dict, slice or None; or one of the
# evaluator's own values below (Opaque, LibRef, Function, ClassValue, Partial, Builtin,
# BoundMethod); or a library's (a torch Tensor or Module, a Keras layer or model). What a name
# holds is only known when the text is read, so it is dynamic by nature.
Value: TypeAlias = Any
# Where a value comes from (an expression or a statement): errors name its line.
Node: TypeAlias = ast.expr | ast.stmt
Args: TypeAlias = list[Value]  # a call's positional arguments, evaluated
Kwargs: TypeAlias = dict[str, Value]  # a call's keyword arguments, evaluated


class CodeError(SpecError):
    """Code the reader cannot follow: names the line, the construct and what to write instead."""

    def __init__(self, origin: str, line: int | None, message: str):
        self.line = line
        super().__init__("code", f"{origin}: line {line}: {message}" if line else f"{origin}: {message}")


def parse(text: str, origin: str) -> ast.Module:
    """``ast.parse`` whose every failure, nesting too deep included, is a CodeError."""
    try:
        with guarded(origin):
            return ast.parse(text, filename=origin)
    except CodeError:
        raise
    except SyntaxError as exc:
        message = exc.msg
        if "integer string conversion" in message:
            message = "an integer literal of over 4300 digits (sizes are at most 10^100)"
        raise CodeError(origin, exc.lineno, " ".join(message.split())[:300]) from None
    except (ValueError, MemoryError) as exc:
        raise CodeError(origin, None, f"cannot be parsed: {exc}") from None


@contextmanager
def guarded(origin: str) -> Iterator[None]:
    """Code nested deeper than Python's own stack (a 50,000-term sum, endless recursion) is refused."""
    try:
        yield
    except RecursionError:
        raise CodeError(origin, None, "nests too deeply to read (expressions or calls inside each other)") from None


def line_node(line: int) -> ast.Pass:
    """A statement standing for a line, where a call has no node of its own."""
    return ast.Pass(lineno=line)


class StepLimit(CodeError):
    """The step budget is spent: fatal, so later statements are not blamed for it."""


class _Return(Exception):
    def __init__(self, value: Value):
        self.value = value


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


@dataclass
class Opaque:
    """A value the reader could not compute; using it is an error that says why."""

    why: str


@dataclass(frozen=True)
class LibRef:
    """A name imported from a library (``torch.nn.Conv2d``); resolved when used."""

    path: str

    def attr(self, name: str) -> LibRef:
        return LibRef(f"{self.path}.{name}")


@dataclass(eq=False)
class Function:
    """A ``def`` or ``lambda`` of the text, with the scope it was defined in."""

    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
    scope: Scope
    bound: Value = None  # self, for methods
    owner: ClassValue | None = None  # the class the method was found in (for super())


class Found(NamedTuple):
    """A class attribute and the class (in the method resolution order) that defines it."""

    owner: ClassValue | None
    value: Value


@dataclass(eq=False)
class ClassValue:
    """A ``class`` of the text: its bases (ClassValue or LibRef) and its class-level names."""

    node: ast.ClassDef
    scope: Scope
    bases: list[Value] = field(default_factory=list)
    body: dict[str, Value] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.node.name

    def mro(self) -> list[ClassValue]:
        seen = [self]
        for base in self.bases:
            if isinstance(base, ClassValue):
                seen += [c for c in base.mro() if c not in seen]
        return seen

    def lookup(self, name: str) -> Found:
        for cls in self.mro():
            if name in cls.body:
                return Found(cls, cls.body[name])
        return Found(None, None)

    def library_bases(self) -> list[str]:
        out: list[str] = []
        for cls in self.mro():
            out += [b.path for b in cls.bases if isinstance(b, LibRef)]
        return out


@dataclass
class Partial:
    """``functools.partial(func, *args, **kwargs)``."""

    func: Value
    args: tuple[Value, ...]
    kwargs: dict[str, Value]


@dataclass
class Builtin:
    """A Python builtin the reader models; ``fn`` takes the call's node first."""

    name: str
    fn: Callable[..., Value]


@dataclass
class BoundMethod:
    """``target.name`` of a plain value or a library value, called later."""

    target: Value
    name: str


class Scope:
    """Names bound by a module, a class body, a call or a comprehension; ``parent`` encloses it."""

    def __init__(self, parent: Scope | None = None):
        self.vars: dict[str, Value] = {}
        self.parent = parent

    def get(self, name: str) -> Value:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.vars:
                return scope.vars[name]
            scope = scope.parent
        raise KeyError(name)


class Unhandled(enum.Enum):
    """What a library hook returns for a value it does not own (NotImplemented, typed)."""

    UNHANDLED = enum.auto()


UNHANDLED: Final = Unhandled.UNHANDLED


class Library(Protocol):
    """What a framework means to the interpreter. Each hook returns UNHANDLED for the values
    it does not own (the interpreter then applies Python's rules)."""

    def unknown_name(self, interp: Interpreter, name: str, node: ast.Name) -> Value: ...
    def call(self, interp: Interpreter, func: Value, args: Args, kwargs: Kwargs, node: Node) -> Value: ...
    def attribute(self, interp: Interpreter, value: Value, name: str, node: Node) -> Value: ...
    def set_attribute(self, interp: Interpreter, owner: Value, name: str, value: Value, node: Node) -> None: ...
    def set_item(self, interp: Interpreter, owner: Value, index: Value, value: Value, node: Node) -> None: ...
    def subscript(self, interp: Interpreter, value: Value, index: Value, node: Node) -> Value: ...
    def binary(self, interp: Interpreter, op: ast.operator, left: Value, right: Value, node: Node) -> Value: ...
    def unary(self, interp: Interpreter, op: ast.unaryop, value: Value, node: Node) -> Value: ...
    def truth(self, interp: Interpreter, value: Value, node: Node) -> bool | Unhandled: ...
    def length(self, interp: Interpreter, value: Value, node: Node) -> int | Unhandled: ...
    def iterate(self, interp: Interpreter, value: Value, node: Node) -> list[Value] | Unhandled: ...
    def isinstance(self, interp: Interpreter, value: Value, kinds: Value, node: Node) -> bool: ...
    def hasattr(self, interp: Interpreter, value: Value, name: str, node: Node) -> bool: ...
    def super(self, interp: Interpreter, node: Node, *args: Value) -> Value: ...
    def type_of(self, interp: Interpreter, value: Value, node: Node) -> Value: ...


_BINARY: dict[type[ast.operator], Callable[[Value, Value], Value]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Value, Value], Value]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_EXTEND: Callable[[Value, Value], Value] = operator.iadd  # list += iterable
_UNARY: dict[type[ast.unaryop], Callable[[Value], Value]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Invert: operator.invert,
}
PLAIN = (int, float, str, bool, type(None), tuple, list, dict, range)
LIST_METHODS = {"append", "extend", "insert", "pop", "index", "count", "copy", "reverse"}
DICT_METHODS = {"items", "keys", "values", "get", "update", "copy", "pop", "setdefault"}
STR_METHODS = {"format", "join", "split", "upper", "lower", "startswith", "endswith", "replace", "strip"}
_DICT_VIEWS: tuple[type[Any], ...] = (type({}.items()), type({}.keys()), type({}.values()))


def _size_of(value: Value) -> int:
    return len(value) if isinstance(value, (str, tuple, list, dict, range)) else 0


class Interpreter:
    """Evaluates statements and expressions; ``library`` handles everything framework-specific
    (see :class:`Library`)."""

    def __init__(self, origin: str, library: Library, max_steps: int = MAX_STEPS):
        self.origin = origin
        self.library = library
        self.steps = 0
        self.max_steps = max_steps
        self.depth = 0
        self.line: int | None = None
        self.frames: list[Scope] = []  # the local scopes of the calls in progress (for super())
        self.builtins = self._builtins()

    # Errors and budget.
    def error(self, node: Node | None, message: str) -> CodeError:
        return CodeError(self.origin, getattr(node, "lineno", None) or self.line, message)

    def tick(self, node: Node | None) -> None:
        self.steps += 1
        if self.steps > self.max_steps:
            raise StepLimit(
                self.origin,
                getattr(node, "lineno", None) or self.line,
                f"evaluating this code takes over {self.max_steps:,} steps; convarith reads model "
                "definitions, not programs (simplify the loops, or plan a spec file)",
            )

    def charge(self, node: Node | None, cost: int, what: str) -> None:
        """Native work of ``cost`` element operations: refused past WORK_LIMIT, and a step per
        WORK_PER_STEP of it, so that a loop repeating it cannot escape the step budget."""
        if cost > WORK_LIMIT:
            raise self.error(node, f"{what} compares or copies over {WORK_LIMIT:,} elements at once")
        if cost >= WORK_PER_STEP:
            self.steps += cost // WORK_PER_STEP - 1
            self.tick(node)

    def check_size(self, node: Node | None, value: Value, work: int | None = None) -> Value:
        """``value`` within the size limits; building it charged ``work`` steps (its size, unless
        it grew in place)."""
        self.charge(node, min(_size_of(value) if work is None else work, WORK_LIMIT), "building a value")
        if _size_of(value) > MAX_ITEMS:
            raise self.error(node, f"builds a value of {_size_of(value):,} elements (limit {MAX_ITEMS:,})")
        if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
            raise self.error(node, f"computes an integer of {value.bit_length():,} bits (limit {MAX_INT_BITS})")
        return value

    def known(self, node: Node | None, value: Value, what: str = "a value") -> Value:
        """A computed value, or an error saying why it is not known (an Opaque)."""
        if isinstance(value, Opaque):
            raise self.error(node, f"needs {what}, but {value.why}")
        return value

    # Modules (the whole text).
    def run_module(self, tree: ast.Module, scope: Scope, strict: bool = False) -> None:
        """Bind imports, functions, classes and constants. Statements it cannot evaluate bind
        their names to Opaque values (an error only if a model uses them) unless ``strict``."""
        for statement in tree.body:
            try:
                self.exec_statement(statement, scope)
            except CodeError as exc:
                if strict or isinstance(exc, StepLimit):
                    raise
                for name in _assigned_names(statement):
                    scope.vars[name] = Opaque(
                        f"{name} (line {statement.lineno}) could not be computed: {exc.rule.split(': ', 2)[-1]}"
                    )
            except (_Return, _Break, _Continue):
                raise self.error(statement, "return/break/continue outside a function or loop") from None

    # Statements.
    def exec_block(self, statements: Sequence[ast.stmt], scope: Scope) -> None:
        for statement in statements:
            self.exec_statement(statement, scope)

    def exec_statement(self, node: ast.stmt, scope: Scope) -> None:
        self.tick(node)
        self.line = getattr(node, "lineno", self.line)
        if isinstance(node, ast.Expr):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                return  # a docstring
            self.eval(node.value, scope)
        elif isinstance(node, ast.Assign):
            value = self.eval(node.value, scope)
            for target in node.targets:
                self.assign(target, value, scope)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self.assign(node.target, self.eval(node.value, scope), scope)
        elif isinstance(node, ast.AugAssign):
            current = self.eval(node.target, scope)
            value = self.binary(node.op, current, self.eval(node.value, scope), node, inplace=True)
            self.assign(node.target, value, scope)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            self.import_names(node, scope)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            scope.vars[node.name] = Function(node, scope)
        elif isinstance(node, ast.ClassDef):
            self.define_class(node, scope)
        elif isinstance(node, ast.Return):
            raise _Return(None if node.value is None else self.eval(node.value, scope))
        elif isinstance(node, ast.If):
            branch = node.body if self.truth(self.eval(node.test, scope), node.test) else node.orelse
            self.exec_block(branch, scope)
        elif isinstance(node, ast.For):
            self.exec_for(node, scope)
        elif isinstance(node, ast.While):
            self.exec_while(node, scope)
        elif isinstance(node, ast.With):
            for item in node.items:
                self.eval(item.context_expr, scope)
            self.exec_block(node.body, scope)
        elif isinstance(node, ast.Pass):
            return
        elif isinstance(node, ast.Break):
            raise _Break()
        elif isinstance(node, ast.Continue):
            raise _Continue()
        elif isinstance(node, ast.Assert):
            test = self.eval(node.test, scope)
            if not isinstance(test, Opaque) and not self.library_truth(test, node.test):
                message = self.eval(node.msg, scope) if node.msg is not None else ast.unparse(node.test)
                raise self.error(node, f"assertion fails: {message}")
        elif isinstance(node, ast.Raise):
            raise self.error(node, f"the code raises here: {ast.unparse(node.exc)[:80] if node.exc else 'raise'}")
        elif isinstance(node, (ast.Delete, ast.Global, ast.Nonlocal)):
            return
        else:
            raise self.error(
                node,
                f"{type(node).__name__} statements are not read (only assignments, calls, "
                "if, for, with, def and class)",
            )

    def exec_for(self, node: ast.For, scope: Scope) -> None:
        items = self.iterate(self.eval(node.iter, scope), node.iter)
        finished = True
        for item in items:
            self.tick(node)
            self.assign(node.target, item, scope)
            try:
                self.exec_block(node.body, scope)
            except _Break:
                finished = False
                break
            except _Continue:
                continue
        if finished:
            self.exec_block(node.orelse, scope)

    def exec_while(self, node: ast.While, scope: Scope) -> None:
        while self.truth(self.eval(node.test, scope), node.test):
            self.tick(node)
            try:
                self.exec_block(node.body, scope)
            except _Break:
                return
            except _Continue:
                continue
        self.exec_block(node.orelse, scope)

    def define_class(self, node: ast.ClassDef, scope: Scope) -> None:
        bases = [self.eval(b, scope) for b in node.bases]
        cls = ClassValue(node, scope, bases)
        body_scope = Scope(scope)
        for statement in node.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                cls.body[statement.name] = Function(statement, scope, owner=cls)
            elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
                try:
                    self.exec_statement(statement, body_scope)
                except CodeError:
                    continue
        for name, value in body_scope.vars.items():
            cls.body.setdefault(name, value)
        scope.vars[node.name] = cls

    def import_names(self, node: ast.Import | ast.ImportFrom, scope: Scope) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    scope.vars[alias.asname] = LibRef(alias.name)
                else:
                    top = alias.name.split(".")[0]
                    scope.vars[top] = LibRef(top)
            return
        module = "." * node.level + (node.module or "")
        for alias in node.names:
            if alias.name == "*":
                continue
            scope.vars[alias.asname or alias.name] = LibRef(f"{module}.{alias.name}")

    def assign(self, target: ast.expr, value: Value, scope: Scope) -> None:
        if isinstance(target, ast.Name):
            scope.vars[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = list(self.iterate(value, target))
            starred = [i for i, t in enumerate(target.elts) if isinstance(t, ast.Starred)]
            parts: list[Value]
            targets: list[ast.expr]
            if starred:
                i = starred[0]
                after = len(target.elts) - i - 1
                parts = items[:i] + [list(items[i : len(items) - after])] + items[len(items) - after :]
                targets = [t.value if isinstance(t, ast.Starred) else t for t in target.elts]
            else:
                parts, targets = items, target.elts
            if len(parts) != len(targets):
                raise self.error(target, f"unpacks {len(items)} values into {len(target.elts)} names")
            for t, v in zip(targets, parts, strict=True):
                self.assign(t, v, scope)
        elif isinstance(target, ast.Attribute):
            owner = self.eval(target.value, scope)
            self.library.set_attribute(self, owner, target.attr, value, target)
        elif isinstance(target, ast.Subscript):
            owner = self.eval(target.value, scope)
            index = self.eval(target.slice, scope)
            if isinstance(owner, (list, dict)):
                owner[index] = value
            else:
                self.library.set_item(self, owner, index, value, target)
        elif isinstance(target, ast.Starred):
            self.assign(target.value, value, scope)
        else:
            raise self.error(target, f"cannot assign to {ast.unparse(target)[:40]}")

    # Expressions.
    def eval(self, node: ast.expr, scope: Scope) -> Value:
        self.tick(node)
        method: Callable[[Any, Scope], Value] | None = getattr(self, f"eval_{type(node).__name__}", None)
        if method is None:
            raise self.error(node, f"{type(node).__name__} expressions ({ast.unparse(node)[:40]!r}) are not read")
        return method(node, scope)

    def eval_Constant(self, node: ast.Constant, scope: Scope) -> Value:
        return node.value

    def eval_Name(self, node: ast.Name, scope: Scope) -> Value:
        try:
            return scope.get(node.id)
        except KeyError:
            pass
        if node.id in self.builtins:
            return self.builtins[node.id]
        fallback = self.library.unknown_name(self, node.id, node)
        if fallback is not UNHANDLED:
            return fallback
        raise self.error(node, f"{node.id!r} is not defined in the text (define it, or pass it with --args)")

    def eval_Tuple(self, node: ast.Tuple, scope: Scope) -> Value:
        return tuple(self._elements(node.elts, scope))

    def eval_List(self, node: ast.List, scope: Scope) -> Value:
        return self._elements(node.elts, scope)

    def eval_Set(self, node: ast.Set, scope: Scope) -> Value:
        return self._elements(node.elts, scope)

    def _elements(self, elements: list[ast.expr], scope: Scope) -> list[Value]:
        out: list[Value] = []
        for e in elements:
            if isinstance(e, ast.Starred):
                out += list(self.iterate(self.eval(e.value, scope), e))
            else:
                out.append(self.eval(e, scope))
        self.check_size(elements[0] if elements else None, out)
        return out

    def eval_Dict(self, node: ast.Dict, scope: Scope) -> Value:
        out = {}
        for k, v in zip(node.keys, node.values, strict=True):
            if k is None:
                out.update(self.known(v, self.eval(v, scope), "a dict to unpack"))
            else:
                out[self.eval(k, scope)] = self.eval(v, scope)
        return out

    def eval_JoinedStr(self, node: ast.JoinedStr, scope: Scope) -> Value:
        parts = []
        total = 0
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                v = self.known(value, self.eval(value.value, scope))
                spec = self.eval(value.format_spec, scope) if value.format_spec is not None else ""
                _check_format(self, node, spec)
                _check_text(self, node, total + _spec_size(str(spec)) + _text_size(v))
                parts.append(format(v if isinstance(v, PLAIN) else str(v), spec))
            elif isinstance(value, ast.Constant):
                parts.append(str(value.value))
            total += len(parts[-1]) if parts else 0
            _check_text(self, node, total)
        return self.check_size(node, "".join(parts))

    def eval_FormattedValue(self, node: ast.FormattedValue, scope: Scope) -> Value:
        return str(self.eval(node.value, scope))

    def eval_BinOp(self, node: ast.BinOp, scope: Scope) -> Value:
        return self.binary(node.op, self.eval(node.left, scope), self.eval(node.right, scope), node)

    def binary(self, op: ast.operator, left: Value, right: Value, node: Node, inplace: bool = False) -> Value:
        handled = self.library.binary(self, op, left, right, node)
        if handled is not UNHANDLED:
            return handled
        left, right = self.known(node, left), self.known(node, right)
        if not isinstance(left, PLAIN) or not isinstance(right, PLAIN):
            raise self.error(node, f"cannot compute {type(left).__name__} {type(op).__name__} {type(right).__name__}")
        if isinstance(op, ast.Mult):
            for seq, count in ((left, right), (right, left)):
                if (
                    isinstance(seq, (str, list, tuple))
                    and isinstance(count, int)
                    and len(seq) * max(count, 0) > MAX_ITEMS
                ):
                    raise self.error(node, f"builds a sequence of {len(seq) * count:,} elements (limit {MAX_ITEMS:,})")
        if (
            isinstance(op, ast.Pow)
            and isinstance(left, int)
            and isinstance(right, int)
            and right > 0
            and abs(left) > 1
            and right * max(abs(left).bit_length(), 1) > MAX_INT_BITS
        ):
            raise self.error(node, f"computes {left} ** {right}, an integer over {MAX_INT_BITS} bits")
        if isinstance(op, ast.LShift) and isinstance(right, int) and right > MAX_INT_BITS:
            raise self.error(node, f"shifts by {right} bits")
        if isinstance(op, ast.Mod) and isinstance(left, str):
            _check_format(self, node, left)
            conversions = _PERCENT.findall(left)
            if any("*" in c for c in conversions):
                raise self.error(node, "formats with a width or precision taken from the arguments (%*)")
            _check_text(
                self,
                node,
                len(left) + sum(_spec_size(c) for c in conversions) + len(conversions) * _text_size(right),
            )
        try:
            if inplace and isinstance(left, list) and isinstance(op, ast.Add):
                result = _EXTEND(left, right)  # in place: aliases see the change
            else:
                result = _BINARY[type(op)](left, right)
        except (ArithmeticError, TypeError, ValueError) as exc:
            raise self.error(node, f"{ast.unparse(node)[:60]}: {exc}") from None
        return self.check_size(node, result, _size_of(right) if result is left else None)

    def eval_UnaryOp(self, node: ast.UnaryOp, scope: Scope) -> Value:
        value = self.eval(node.operand, scope)
        if isinstance(node.op, ast.Not):
            return not self.truth(value, node.operand)
        handled = self.library.unary(self, node.op, value, node)
        if handled is not UNHANDLED:
            return handled
        value = self.known(node, value)
        try:
            return _UNARY[type(node.op)](value)
        except TypeError as exc:
            raise self.error(node, str(exc)) from None

    def eval_BoolOp(self, node: ast.BoolOp, scope: Scope) -> Value:
        is_and = isinstance(node.op, ast.And)
        value = None
        for operand in node.values:
            value = self.eval(operand, scope)
            if self.truth(value, operand) != is_and:
                return value
        return value

    def eval_Compare(self, node: ast.Compare, scope: Scope) -> Value:
        left = self.eval(node.left, scope)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.eval(right_node, scope)
            if isinstance(op, (ast.Is, ast.IsNot)):
                result = (
                    (left is right) or (left is None and right is None) or (left == right and isinstance(left, bool))
                )
                result = result if isinstance(op, ast.Is) else not result
                if isinstance(left, Opaque) or isinstance(right, Opaque):
                    self.known(node, left if isinstance(left, Opaque) else right)
            else:
                self.known(node, left), self.known(node, right)
                self.charge(node, _compare_cost(left) + _compare_cost(right), "a comparison")
                try:
                    result = _COMPARE[type(op)](left, right)
                except TypeError as exc:
                    raise self.error(node, str(exc)) from None
            if not result:
                return False
            left = right
        return True

    def eval_IfExp(self, node: ast.IfExp, scope: Scope) -> Value:
        return self.eval(node.body if self.truth(self.eval(node.test, scope), node.test) else node.orelse, scope)

    def eval_Attribute(self, node: ast.Attribute, scope: Scope) -> Value:
        value = self.eval(node.value, scope)
        return self.attribute(value, node.attr, node)

    def attribute(self, value: Value, name: str, node: Node) -> Value:
        handled = self.library.attribute(self, value, name, node)
        if handled is not UNHANDLED:
            return handled
        if isinstance(value, LibRef):
            return self.attribute_of_standard_library(value.attr(name))
        if isinstance(value, ClassValue):
            found = value.lookup(name).value
            if found is not None:
                return found
            if name == "__name__":
                return value.name
        if isinstance(value, Partial) and name in ("func", "args", "keywords"):
            return {"func": value.func, "args": value.args, "keywords": value.kwargs}[name]
        if (
            isinstance(value, list)
            and name in LIST_METHODS
            or isinstance(value, dict)
            and name in DICT_METHODS
            or isinstance(value, str)
            and name in STR_METHODS
            or isinstance(value, tuple)
            and name in ("index", "count")
        ):
            return BoundMethod(value, name)
        self.known(node, value)
        raise self.error(node, f"{ast.unparse(node)[:60]!r}: attribute {name!r} of {type(value).__name__} is not known")

    def eval_Subscript(self, node: ast.Subscript, scope: Scope) -> Value:
        value = self.eval(node.value, scope)
        index = self.eval(node.slice, scope)
        handled = self.library.subscript(self, value, index, node)
        if handled is not UNHANDLED:
            return handled
        self.known(node, value)
        if isinstance(value, LibRef):  # typing annotations such as Optional[int]
            return value
        try:
            return value[index]
        except (IndexError, KeyError, TypeError) as exc:
            raise self.error(node, f"{ast.unparse(node)[:60]}: {type(exc).__name__} {exc}") from None

    def eval_Slice(self, node: ast.Slice, scope: Scope) -> Value:
        parts = [None if p is None else self.known(p, self.eval(p, scope)) for p in (node.lower, node.upper, node.step)]
        return slice(*parts)

    def eval_Starred(self, node: ast.Starred, scope: Scope) -> Value:
        return self.eval(node.value, scope)

    def eval_Lambda(self, node: ast.Lambda, scope: Scope) -> Value:
        return Function(node, scope)

    def eval_ListComp(self, node: ast.ListComp | ast.GeneratorExp | ast.SetComp, scope: Scope) -> Value:
        return self.check_size(node, self._comprehension(node, scope, lambda s: self.eval(node.elt, s)))

    eval_GeneratorExp = eval_ListComp
    eval_SetComp = eval_ListComp

    def eval_DictComp(self, node: ast.DictComp, scope: Scope) -> Value:
        pairs = self._comprehension(node, scope, lambda s: (self.eval(node.key, s), self.eval(node.value, s)))
        return dict(pairs)

    def _comprehension(
        self,
        node: ast.ListComp | ast.GeneratorExp | ast.SetComp | ast.DictComp,
        scope: Scope,
        make: Callable[[Scope], Value],
    ) -> list[Value]:
        out: list[Value] = []
        inner = Scope(scope)

        def walk(i: int) -> None:
            if i == len(node.generators):
                out.append(make(inner))
                return
            generator = node.generators[i]
            for item in self.iterate(self.eval(generator.iter, inner), generator.iter):
                self.tick(node)
                self.assign(generator.target, item, inner)
                if all(self.truth(self.eval(cond, inner), cond) for cond in generator.ifs):
                    walk(i + 1)

        walk(0)
        return out

    def truth(self, value: Value, node: Node) -> bool:
        return self.library_truth(value, node)

    def library_truth(self, value: Value, node: Node) -> bool:
        handled = self.library.truth(self, value, node)
        if handled is not UNHANDLED:
            return handled
        self.known(node, value, "a value it can decide")
        return bool(value)

    def length(self, value: Value, node: Node) -> int:
        handled = self.library.length(self, value, node)
        if handled is not UNHANDLED:
            return handled
        self.known(node, value)
        try:
            return len(value)
        except TypeError as exc:
            raise self.error(node, f"len(): {exc}") from None

    def iterate(self, value: Value, node: Node) -> list[Value]:
        handled = self.library.iterate(self, value, node)
        if handled is not UNHANDLED:
            return handled
        self.known(node, value, "something to iterate over")
        if isinstance(value, dict):
            return list(value)
        if isinstance(value, (list, tuple, str, range)):
            if len(value) > MAX_ITEMS:
                raise self.error(node, f"iterates over {len(value):,} items (limit {MAX_ITEMS:,})")
            return list(value)
        raise self.error(node, f"cannot iterate over {type(value).__name__}")

    # Calls.
    def eval_Call(self, node: ast.Call, scope: Scope) -> Value:
        func = self.eval(node.func, scope)
        args: list[Value] = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                args += list(self.iterate(self.eval(a.value, scope), a))
            else:
                args.append(self.eval(a, scope))
        kwargs: dict[str, Value] = {}
        for k in node.keywords:
            if k.arg is None:
                value = self.known(k.value, self.eval(k.value, scope), "keyword arguments to unpack")
                if not isinstance(value, dict):
                    raise self.error(node, f"**{ast.unparse(k.value)} is not a dict")
                kwargs.update(value)
            else:
                kwargs[k.arg] = self.eval(k.value, scope)
        return self.call(func, args, kwargs, node)

    def call(self, func: Value, args: Args, kwargs: Kwargs, node: Node) -> Value:
        self.tick(node)
        if isinstance(func, Partial):
            return self.call(func.func, [*func.args, *args], {**func.kwargs, **kwargs}, node)
        handled = self.library.call(self, func, args, kwargs, node)
        if handled is not UNHANDLED:
            return handled
        if isinstance(func, Function):
            return self.call_function(func, args, kwargs, node)
        try:
            if isinstance(func, LibRef):
                return self.call_standard_library(func, args, kwargs, node)
            if isinstance(func, Builtin):
                return func.fn(node, *args, **kwargs)
            if isinstance(func, BoundMethod):
                return self.call_plain_method(func, args, kwargs, node)
        except ConvarithError:  # the interpreter's own errors (CodeError, StepLimit) pass as they are
            raise
        except (ArithmeticError, LookupError, ValueError, TypeError) as exc:  # raised by the callee itself
            shown = ast.unparse(node)[:60] if isinstance(node, ast.Call) else _callee_name(func)
            message = _PYTHON_NAME.sub(f"{_callee_name(func)}()", str(exc))
            raise self.error(node, f"{shown} fails: {message}") from None
        self.known(node, func, "a function to call")
        callee = ast.unparse(node.func)[:40] if isinstance(node, ast.Call) else type(func).__name__
        raise self.error(node, f"{callee!r} is not something convarith can call")

    def call_standard_library(self, func: LibRef, args: Args, kwargs: Kwargs, node: Node) -> Value:
        """functools.partial, collections.OrderedDict, math and typing: the rest is the library's."""
        module, _, name = func.path.lstrip(".").rpartition(".")
        if func.path.endswith("functools.partial") or func.path == "partial":
            return Partial(args[0], tuple(args[1:]), kwargs)
        if name == "OrderedDict" and module in ("collections", "typing", ""):
            pairs = self.iterate(args[0], node) if args else []
            return {k: v for k, v in pairs}
        if module == "math" and name in MATH and callable(MATH[name]):
            return self.call_math(name, args, kwargs, node)
        if module == "typing" and name == "cast":
            return args[1]
        raise self.error(node, f"calls {func.path.lstrip('.')}, which convarith does not model")

    def call_math(self, name: str, args: Args, kwargs: Kwargs, node: Node) -> Value:
        """math functions take numbers only (a string or list would make math.prod build it natively);
        math.prod multiplies through the checked arithmetic, a step per factor."""
        if name == "prod":
            if len(args) != 1 or set(kwargs) - {"start"}:
                raise TypeError("math.prod takes one iterable (and start=)")
            result = self.number(node, kwargs.get("start", 1), "math.prod")
            for factor in self.iterate(args[0], node):
                self.tick(node)
                result = self.binary(ast.Mult(), result, self.number(node, factor, "math.prod"), node)
            return result
        if kwargs:
            raise TypeError(f"math.{name}() takes no keyword arguments")
        numbers = [self.number(node, a, f"math.{name}") for a in args]
        return self.check_size(node, MATH[name](*numbers))

    def number(self, node: Node, value: Value, what: str) -> int | float:
        """An int, bool or float argument (known, at most MAX_INT_BITS), or an error naming ``what``."""
        value = self.known(node, value, f"a number for {what}")
        if not isinstance(value, (int, float)):
            raise self.error(node, f"{what} takes numbers, not {type(value).__name__}")
        return self.check_size(node, value)  # type: ignore[no-any-return]

    def attribute_of_standard_library(self, ref: LibRef) -> Value:
        module, _, name = ref.path.rpartition(".")
        if module == "math" and name in MATH and not callable(MATH[name]):
            return MATH[name]
        return ref

    def call_function(self, func: Function, args: Args, kwargs: Kwargs, node: Node, bound_self: Value = None) -> Value:
        if self.depth >= MAX_DEPTH:
            raise self.error(node, f"calls nest deeper than {MAX_DEPTH} levels")
        local = Scope(func.scope)
        self_value = bound_self if bound_self is not None else func.bound
        if self_value is not None and not _is_static(func.node):
            args = [self_value, *args]
        self.bind_arguments(func, args, kwargs, local, node)
        if func.owner is not None:
            local.vars["__class__"] = func.owner
            local.vars["__self__"] = args[0] if args else None
        self.depth += 1
        self.frames.append(local)
        try:
            if isinstance(func.node, ast.Lambda):
                return self.eval(func.node.body, local)
            self.exec_block(func.node.body, local)
        except _Return as ret:
            return ret.value
        finally:
            self.depth -= 1
            self.frames.pop()
        return None

    def bind_arguments(self, func: Function, args: Args, kwargs: Kwargs, local: Scope, node: Node) -> None:
        spec = func.node.args
        name = getattr(func.node, "name", "lambda")
        positional = [*spec.posonlyargs, *spec.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(spec.defaults)) + list(spec.defaults)
        for i, parameter in enumerate(positional):
            default = defaults[i]
            if i < len(args):
                if parameter.arg in kwargs:
                    raise self.error(node, f"{name}() got {parameter.arg!r} twice")
                local.vars[parameter.arg] = args[i]
            elif parameter.arg in kwargs:
                local.vars[parameter.arg] = kwargs.pop(parameter.arg)
            elif default is not None:
                local.vars[parameter.arg] = self.eval(default, func.scope)
            else:
                raise self.error(
                    node,
                    f'{name}() needs its argument {parameter.arg!r} (give it, e.g. with --args "{parameter.arg}=...")',
                )
        extra = list(args[len(positional) :])
        if spec.vararg is not None:
            local.vars[spec.vararg.arg] = tuple(extra)
        elif extra:
            raise self.error(node, f"{name}() takes {len(positional)} positional arguments, got {len(args)}")
        for parameter, kw_default in zip(spec.kwonlyargs, spec.kw_defaults, strict=True):
            if parameter.arg in kwargs:
                local.vars[parameter.arg] = kwargs.pop(parameter.arg)
            elif kw_default is not None:
                local.vars[parameter.arg] = self.eval(kw_default, func.scope)
            else:
                raise self.error(node, f"{name}() needs its keyword argument {parameter.arg!r}")
        if spec.kwarg is not None:
            local.vars[spec.kwarg.arg] = dict(kwargs)
        elif kwargs:
            raise self.error(node, f"{name}() has no argument {next(iter(kwargs))!r}")

    def call_plain_method(self, method: BoundMethod, args: Args, kwargs: Kwargs, node: Node) -> Value:
        target, name = method.target, method.name
        args = [self.known(node, a) if not isinstance(target, list) else a for a in args]
        self.predict_method(target, name, args, kwargs, node)
        if name in ("index", "count"):
            self.charge(node, _compare_cost(target) + _compare_cost(args), f"{name}()")
        result = getattr(target, name)(*args, **kwargs)
        if isinstance(result, _DICT_VIEWS):
            result = list(result)
        if isinstance(target, (list, dict)):
            grown = _size_of(args[0]) if args and name in ("extend", "update") else 1
            self.check_size(node, target, grown)  # append/insert/update grow the target in place
        return self.check_size(node, result)

    def predict_method(self, target: Value, name: str, args: Args, kwargs: Kwargs, node: Node) -> None:
        """Refuse a str/list method whose result would pass MAX_ITEMS before Python builds it."""
        size: int | None = None
        if isinstance(target, str) and name == "format":
            size = _format_size(self, node, target, [*args, *kwargs.values()])
        elif isinstance(target, str) and name == "replace" and len(args) >= 2:
            old, new = args[0], args[1]
            if isinstance(old, str) and isinstance(new, str):
                count = target.count(old) if old else len(target) + 1
                if len(args) > 2 and isinstance(args[2], int) and args[2] >= 0:
                    count = min(count, args[2])
                size = len(target) + count * (len(new) - len(old))
        elif isinstance(target, str) and name == "join" and args:
            items = self.iterate(args[0], node)
            args[0] = items
            size = sum(len(i) if isinstance(i, str) else 0 for i in items) + len(target) * max(len(items) - 1, 0)
        elif isinstance(target, list) and name == "extend" and args:
            args[0] = self.iterate(args[0], node)
            size = len(target) + len(args[0])
        if size is not None and size > MAX_ITEMS:
            raise self.error(node, f"builds a value of {size:,} elements (limit {MAX_ITEMS:,})")

    def _pow(self, node: Node, base: Value, exp: Value, mod: Value = None) -> Value:
        if mod is None:
            return self.binary(ast.Pow(), base, exp, node)
        numbers = [self.known(node, v) for v in (base, exp, mod)]
        if not all(isinstance(v, int) for v in numbers):
            raise self.error(node, "pow() with a modulus takes integers only")
        for v in numbers:
            self.check_size(node, v)
        return pow(*numbers)  # the result is below the modulus; modular powers take a step per exponent bit

    def _sum(self, node: Node, items: Value, start: Value = 0) -> Value:
        """sum() through the checked addition, a step per item (summing lists copies them each time)."""
        if isinstance(start, str):
            raise TypeError("sum() can't sum strings [use ''.join(seq) instead]")
        total = start
        for item in self.iterate(items, node):
            self.tick(node)
            total = self.binary(ast.Add(), total, item, node)
        return total

    def _str(self, node: Node, *args: Value) -> Value:
        if len(args) > 1:
            raise TypeError("str() with an encoding is not read")
        value = self.known(node, args[0]) if args else ""
        _check_text(self, node, _text_size(value))
        return self.check_size(node, str(value))

    def _builtins(self) -> dict[str, Value]:
        def plain(fn: Callable[..., Value], name: str) -> Builtin:
            def run(node: Node, *args: Value, **kwargs: Value) -> Value:
                for a in [*args, *kwargs.values()]:
                    self.known(node, a)
                if name in ("sorted", "max", "min") and len(args) == 1:
                    self.charge(node, _compare_cost(args[0]), f"{name}()")
                try:
                    result = fn(*args, **kwargs)
                except (TypeError, ValueError, ArithmeticError) as exc:
                    raise self.error(node, f"{name}(): {exc}") from None
                return self.check_size(node, result)

            return Builtin(name, run)

        def bounded_range(*args: int) -> range:
            r = range(*args)
            if len(r) > MAX_ITEMS:
                raise ValueError(f"range of {len(r):,} items (limit {MAX_ITEMS:,})")
            return r

        python: dict[str, Callable[..., Value]] = {
            "int": int,
            "float": float,
            "round": round,
            "abs": abs,
            "max": max,
            "min": min,
            "tuple": tuple,
            "list": list,
            "dict": dict,
            "bool": bool,
            "sorted": sorted,
            "range": bounded_range,
            "any": any,
            "all": all,
            "divmod": divmod,
            "set": list,
        }
        table: dict[str, Value] = {name: plain(fn, name) for name, fn in python.items()}
        table["len"] = Builtin("len", lambda node, value: self.length(value, node))
        table["pow"] = Builtin("pow", self._pow)
        table["sum"] = Builtin("sum", self._sum)
        table["str"] = Builtin("str", self._str)
        table["enumerate"] = Builtin(
            "enumerate", lambda node, items, start=0: [(start + i, v) for i, v in enumerate(self.iterate(items, node))]
        )
        table["zip"] = Builtin(
            "zip", lambda node, *items, strict=False: list(zip(*[self.iterate(i, node) for i in items], strict=False))
        )  # as read: lax
        table["reversed"] = Builtin("reversed", lambda node, items: list(reversed(self.iterate(items, node))))
        table["print"] = Builtin("print", lambda node, *a, **k: None)
        table["isinstance"] = Builtin(
            "isinstance", lambda node, value, kinds: self.library.isinstance(self, value, kinds, node)
        )
        table["hasattr"] = Builtin("hasattr", lambda node, value, name: self.library.hasattr(self, value, name, node))
        table["getattr"] = Builtin("getattr", lambda node, value, name, *default: self.attribute(value, name, node))
        table["super"] = Builtin("super", lambda node, *a: self.library.super(self, node, *a))
        table["setattr"] = Builtin(
            "setattr", lambda node, target, name, value: self.library.set_attribute(self, target, name, value, node)
        )
        table["type"] = Builtin("type", lambda node, value: self.library.type_of(self, value, node))
        table["math"] = LibRef("math")
        return table


_WIDE = re.compile(r"\d{6,}")


def _check_format(interp: Interpreter, node: Node, text: Value) -> None:
    """A format width of a million or more would build the string before any size check."""
    wide = _WIDE.search(text) if isinstance(text, str) else None
    if wide is not None:
        raise interp.error(node, f"formats with a width of {wide.group()} characters")


_PYTHON_NAME = re.compile(r"\S*(<lambda>|Interpreter\.\w+)\(\)")  # the evaluator's own function names
_PERCENT = re.compile(r"%[^a-zA-Z%]*[a-zA-Z%]")
_NUMBER = re.compile(r"\d+")
_FLOAT_TEXT = 330  # the longest float, formatted with "f" (1e308 has 309 digits)
_OTHER_TEXT = 200  # a value of the evaluator's or the library's own


def _spec_size(spec: str) -> int:
    """An upper bound on what a format spec's widths and precisions add (``>20.3f``: 23)."""
    return sum(int(n) for n in _NUMBER.findall(spec))


def _text_size(value: Value, limit: int = MAX_ITEMS) -> int:
    """An upper bound on ``len(str(value))``, or a number past ``limit`` once it is sure to pass it.
    Walks nested containers without recursion and stops early, so a list of long lists costs
    at most about ``limit`` visits."""
    if isinstance(value, str):
        return len(value)  # quoted only inside a container
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item) + 2
        elif isinstance(item, bool) or item is None:
            total += 5
        elif isinstance(item, int):
            total += item.bit_length() + 10  # binary formatting is the longest
        elif isinstance(item, float):
            total += _FLOAT_TEXT
        elif isinstance(item, dict):
            total += 2 + 4 * len(item)
            if len(item) > limit:
                return limit + 1
            stack += [*item.keys(), *item.values()]
        elif isinstance(item, (list, tuple, range)):
            total += 2 + 2 * len(item)
            if isinstance(item, range) or len(item) > limit:
                total += 20 if isinstance(item, range) else limit + 1
            else:
                stack += item
        else:
            total += _OTHER_TEXT
        if total > limit:
            return total
    return total


def _check_text(interp: Interpreter, node: Node, size: int) -> None:
    if size > MAX_ITEMS:
        raise interp.error(node, f"builds a string of over {MAX_ITEMS:,} characters (limit {MAX_ITEMS:,})")


def _format_size(interp: Interpreter, node: Node, template: str, args: list[Value]) -> int:
    """An upper bound on the length of ``template.format(*args)``: each field is at most its
    spec's widths plus the text of every argument."""
    _check_format(interp, node, template)
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise interp.error(node, f"{template[:40]!r}.format fails: {exc}") from None
    text = _text_size(args)
    size = 0
    for literal, name, spec, _conversion in fields:
        size += len(literal)
        if name is not None:
            if spec and "{" in spec:
                raise interp.error(node, "formats with a width taken from the arguments ({:{}})")
            size += _spec_size(spec or "") + text
        if size > MAX_ITEMS:
            break
    return size


_CONTAINERS = (list, tuple, dict)
_CONTAINER_TYPES = frozenset(_CONTAINERS)


def _compare_cost(value: Value, limit: int = WORK_LIMIT) -> int:
    """An upper bound on the element operations of comparing (or hashing) ``value``: the elements
    of it and of every container inside it, counted again for each time a container is repeated
    (``[[0] * 99999] * 99999`` costs 10^10). Stops past ``limit``, and past MAX_ITEMS containers
    (a list that contains itself)."""
    if not isinstance(value, _CONTAINERS):
        return 1
    total = 0
    visits = 0
    stack: list[Value] = [value]
    while stack:
        item = stack.pop()
        visits += 1
        items = [*item.keys(), *item.values()] if isinstance(item, dict) else item
        total += len(items) + 1
        if total > limit or visits > MAX_ITEMS:
            return limit + 1
        if not _CONTAINER_TYPES.isdisjoint(map(type, items)):  # a scan at C speed first
            stack += [i for i in items if isinstance(i, _CONTAINERS)]
    return total


def _callee_name(func: Value) -> str:
    if isinstance(func, LibRef):
        return func.path.lstrip(".")
    if isinstance(func, Builtin):
        return func.name
    if isinstance(func, BoundMethod):
        return f"{type(func.target).__name__}.{func.name}"
    return type(func).__name__


def _is_static(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in getattr(node, "decorator_list", ()))


def _assigned_names(statement: ast.stmt) -> list[str]:
    if isinstance(statement, ast.Assign):
        return [n.id for t in statement.targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    if isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
        return [n.id for n in ast.walk(statement.target) if isinstance(n, ast.Name)]
    return []


MATH: dict[str, Value] = {
    "ceil": math.ceil,
    "floor": math.floor,
    "sqrt": math.sqrt,
    "log2": math.log2,
    "log": math.log,
    "prod": math.prod,
    "gcd": math.gcd,
    "pi": math.pi,
    "inf": math.inf,
    "isqrt": math.isqrt,
    "e": math.e,
}
