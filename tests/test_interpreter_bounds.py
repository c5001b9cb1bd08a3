"""The code interpreter refuses, quickly and in little memory, every expression whose result or
native work would pass its limits, and turns every failure of a math function or builtin into
one error line (never a raw Python exception)."""

import resource
import time

import pytest

import convarith
from convarith.plan.readers.interpreter import CodeError
from convarith.plan.readers.torch_code import read_torch
from convarith.plan.sources import from_code, load_network


def _code(body: str) -> str:
    """A module whose __init__ runs ``body`` (statements, k the out_features of its layer)."""
    lines = "".join(f"        {line}\n" for line in body.splitlines())
    return (
        "import math\nimport torch.nn as nn\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        k = 4\n"
        f"{lines}"
        "        self.fc = nn.Linear(3, k)\n"
        "    def forward(self, x):\n"
        "        return self.fc(x)\n"
    )


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _refused(expression: str) -> str:
    before_mb, start = _peak_mb(), time.perf_counter()
    with pytest.raises(convarith.ConvarithError) as info:
        load_network(code=_code(f"x = {expression}"))
    assert time.perf_counter() - start < 2.0, expression
    assert _peak_mb() - before_mb < 200, expression
    message = str(info.value)
    assert "\n" not in message and "line 7:" in message, message  # the line of the expression
    return message


def test_code_error_is_a_spec_error():
    assert issubclass(CodeError, convarith.SpecError) and issubclass(CodeError, convarith.ConvarithError)


HUGE = [
    # math.prod and friends take numbers only: a string or list would be repeated natively
    "math.prod(['ab', 4*10**9])",
    "math.prod([[0], 10**9])",
    "math.prod([2] * 5000)",  # through the checked multiplication: over 4096 bits
    "math.prod(['a'], start=3)",
    # str methods whose result size is known before building it
    "('a'*90000).replace('a', 'a'*60000)",
    "('a'*50000).replace('', 'bb')",
    "'-'.join(['a'*99999]*99999)",
    "('{}'*50000).format(*['a'*99999]*50000)",
    "('{:99999}'*10000).format(1)",
    "'{:{}}'.format(1, 10**9)",
    "('%s'*50000) % tuple(['a'*99999]*50000)",
    "('%99999s'*10000) % ('a',)",
    "'%*d' % (10**9, 1)",
    "str([['a'*99999]*99999])",
    "f\"{'a'*99999}{'a'*99999}\"",
    "f\"{[['a'*99999]*99999]}\"",
    # quadratic native work escapes the step budget
    "sum([[0]*99999]*99999, [])",
    "sum([(0,)*99999]*99999, ())",
    "sorted([[0]*99999]*99999)",
    "max([[0]*99999]*99999)",
    "[0]*99999 in [[0]*99999]*99999",
    "[[0]*99999]*999 == [[0]*99999]*999",
    "([[0]*99999]*99999).count([0]*99999)",
]


@pytest.mark.parametrize("expression", HUGE)
def test_huge_results_and_quadratic_work_are_refused_before_building(expression):
    _refused(expression)


STATEMENTS = {
    "a = [0] * 60000\na.extend(a)": "100,000",  # refused before extending
    "a = [0] * 60000\na.extend('x' * 99999)": "159,999",
    "a = [0]\nfor i in range(60):\n    a.extend(a)": "100,000",
    "d = {}\nfor i in range(2000):\n    for j in range(2000):\n        d[i, j] = i": "steps",
    "a = [0] * 99999\nfor i in range(99999):\n    b = a + []": "steps",  # each copy costs steps
    "a = [[0] * 99999] * 3\nfor i in range(99999):\n    b = a == [[0] * 99999] * 3": "steps",
}


@pytest.mark.parametrize("body", list(STATEMENTS))
def test_growing_and_repeated_native_work_is_bounded(body):
    start = time.perf_counter()
    with pytest.raises(convarith.ConvarithError, match=STATEMENTS[body]):
        load_network(code=_code(body))
    assert time.perf_counter() - start < 5.0


FAILING = {
    "math.ceil(float('inf'))": "math.ceil(float('inf')) fails: cannot convert float infinity to integer",
    "math.floor(float('nan'))": "fails: cannot convert float NaN to integer",
    "math.sqrt(-1)": "math.sqrt(-1) fails: math domain error",
    "math.log(0)": "math.log(0) fails: math domain error",
    "math.log(2, 1)": "math.log(2, 1) fails",
    "math.sqrt(10 ** 400)": "fails: int too large to convert to float",
    "math.ceil('a')": "math.ceil takes numbers, not str",
    "math.gcd(1.5, 2)": "math.gcd(1.5, 2) fails",
    "math.isqrt(-4)": "math.isqrt(-4) fails",
    "math.log2(-1)": "math.log2(-1) fails",
    "math.floor(None)": "math.floor takes numbers",
    "math.ceil(1, 2)": "math.ceil(1, 2) fails",
    "math.ceil(x=1)": "fails",
    "pow(2, 3, 0)": "pow(2, 3, 0) fails",
    "pow(2, -1, 4)": "pow(2, -1, 4) fails",
    "pow(2.0, 3, 5)": "integers only",
    "pow(2, 10 ** 5000, 7)": "4096 bits",
    "len()": "len() fails",
    "len(1, 2)": "len(1, 2) fails",
    "enumerate([1], 'a')": "fails",
    "isinstance(1)": "isinstance(1) fails",
    "sum(['a', 'b'], '')": "can't sum strings",
    "sum([1, 'a'])": "sum(",
    "round(float('inf'))": "round()",
    "'{0}'.format()": "fails",
    "'{'.format(1)": "format fails",
    "'a'.join([1, 2])": "fails",
    "[1].index(2)": "fails",
    "'%d' % 'a'": "%",
    "str(b'a', 'ascii')": "str(",
}


@pytest.mark.parametrize("expression", list(FAILING))
def test_failing_calls_are_one_error_line(expression):
    assert FAILING[expression] in _refused(expression)


def test_pow_with_a_modulus_plans_its_kernel():
    text = "import torch.nn as nn\nnn.Conv2d(3, 8, kernel_size=pow(3, 2, 5))\n"
    layers, _ = from_code(text)
    assert layers[0]["kernel_size"] == 4
    plan = read_torch(text, "<code>").plan((1, 3, 16, 16))
    out, in_, k = 8, 3, 4
    assert plan.total_params == out * in_ * k * k + out  # torch: weight out*in*k*k, bias out
    assert list(plan.output_shape) == [8, 13, 13]


LEGAL = {
    "pow(3, 2, 5)": 4,
    "pow(3, 2)": 9,
    "pow(2, 10, mod=1000)": 24,
    "math.prod([2, 3, 4])": 24,
    "math.prod([2, 3], start=2)": 12,
    "math.floor(7.5) + math.gcd(12, 18) + int(math.log2(8)) + math.isqrt(17)": 7 + 6 + 3 + 4,
    "math.ceil(math.sqrt(10))": 4,
    "sum([1, 2, 3], 10)": 16,
    "len(sum([[1], [2, 3]], []))": 3,
    "len('-'.join(['ab', 'cd']))": 5,
    "len('abc'.replace('b', 'xxx'))": 5,
    "len('{}-{:>5}'.format('a', 3))": 7,
    "len('%s_%03d' % ('x', 7))": 5,
    "len(str([1, 'ab', (2, 3)]))": 17,
    "len(f'{3:>8}')": 8,
    "int([1, 2] < [1, 3])": 1,
    "sorted([3, 1, 2])[0]": 1,
    "len(sorted(range(99999)))": 99999,
}


@pytest.mark.parametrize("expression", list(LEGAL))
def test_legal_expressions_give_python_values(expression):
    assert eval(expression, {"math": __import__("math")}) == LEGAL[expression]  # the table itself is right
    model = load_network(code=_code(f"k = {expression}"))
    assert model.plan((1, 3)).output_shape == (LEGAL[expression],)
