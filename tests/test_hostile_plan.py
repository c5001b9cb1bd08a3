"""Hostile command lines for ``convarith plan`` and ``convarith rf``: spec files, code and options
that once ended in tracebacks, invalid JSON, silent misreadings or minutes of work. Each runs in
a subprocess under a time and an address-space limit (tests/hostile.py) and must end in exit 0
or 2 with one ``error:`` line (naming what is wrong: ``FRAGMENTS``), strict JSON and no stray files."""

from __future__ import annotations

import json

import pytest
from hostile import Case, problems, report, run_all

BIG = "10000000000000000000"  # 10**19
GOOGOL = "1" + "0" * 100


def spec(data) -> bytes:
    return json.dumps(data).encode()


def relu_spec(**top) -> bytes:
    return spec({"input": [1, 8, 8], "layers": [{"type": "relu"}], **top})


def layer_spec(layer, shape=(3, 8, 8)) -> bytes:
    return spec({"input": list(shape), "layers": [layer]})


def toml_repeat(repeat: str, block_layers: int = 1) -> bytes:
    body = ", ".join(['{type = "relu"}'] * block_layers)
    return f'input = [1, 8, 8]\n[blocks.b]\nlayers = [{body}]\n[[layers]]\nblock = "b"\nrepeat = {repeat}\n'.encode()


DEEP = 100_000
CONV = {"type": "conv", "out_channels": 4, "kernel_size": 3}

# name -> (Case, fragment the one error line must contain; None: exit 0 expected)
FOLDED_HUGE = b"""Net(
  (blocks): ModuleList(
    (0-99999999999): 100000000000 x Sequential(
      (0): Conv2d(8, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
    )
  )
)
"""

TABLE: list[tuple[Case, str | None]] = [
    # 1. nesting deeper than any spec: one line, not a RecursionError
    (
        Case(
            "deep-json-lists",
            ["plan", "s.json"],
            files={"s.json": b'{"layers": ' + b"[" * DEEP + b"]" * DEEP + b"}"},
            expect=2,
        ),
        "nests too deeply",
    ),
    (
        Case(
            "deep-json-objects",
            ["rf", "s.json"],
            files={"s.json": b'{"layers": [' + b'{"a":' * DEEP + b"1" + b"}" * DEEP + b"]}"},
            expect=2,
        ),
        "nests too deeply",
    ),
    (
        Case(
            "deep-toml-arrays",
            ["plan", "s.toml"],
            files={"s.toml": b"layers = " + b"[" * 50_000 + b"]" * 50_000 + b"\n"},
            expect=2,
        ),
        "nests too deeply",
    ),
    (
        Case(
            "deep-toml-tables",
            ["plan", "s.toml"],
            files={"s.toml": b"x = " + b"{a=" * 20_000 + b"1" + b"}" * 20_000},
            expect=2,
        ),
        "s.toml",
    ),
    (
        Case(
            "deep-code-unary",
            ["plan", "m.py", "-i", "3x8x8"],
            files={"m.py": b"x = " + b"-" * 100_000 + b"1\n"},
            expect=2,
        ),
        "m.py",
    ),
    (Case("deep-code-calls", ["plan", "--code", "f(" * 180 + ")" * 180, "-i", "3x8x8"], expect=2), "--code"),
    (
        Case(
            "deep-class-option",
            ["plan", "m.py", "-i", "3x8x8", "--class", "N(" * 300 + ")" * 300],
            files={"m.py": b"import torch.nn as nn\nx = nn.Conv2d(3, 8, 3)\n"},
            expect=2,
        ),
        "--class",
    ),
    # 1. literals too long to convert
    (
        Case(
            "json-5000-digits",
            ["plan", "s.json"],
            files={"s.json": layer_spec({"type": "linear", "out_features": 0}).replace(b": 0", b": " + b"7" * 5000)},
            expect=2,
        ),
        "too long",
    ),
    (
        Case(
            "toml-6000-digits",
            ["plan", "s.toml"],
            files={
                "s.toml": b"input = [1, 8, 8]\n[[layers]]\ntype = 'conv'\n"
                b"out_channels = " + b"3" * 6000 + b"\nkernel_size = 3\n"
            },
            expect=2,
        ),
        "too long",
    ),
    (
        Case(
            "json-4000-digits",
            ["plan", "s.json", "--json"],
            files={
                "s.json": b'{"input": [3, 8, 8], "layers": [{"type": "conv", "out_channels": '
                + b"9" * 4000
                + b', "kernel_size": 3}]}'
            },
            expect=2,
        ),
        "layers[0].out_channels: must be at most 10^100",
    ),
    (
        Case("code-5000-digits", ["plan", "--code", f"nn.Conv2d(3, {'5' * 5000}, 3)", "-i", "3x8x8"], expect=2),
        "4300 digits",
    ),
    (
        Case("code-googol-channels", ["plan", "--code", "nn.Conv2d(3, 10**150, 3)", "-i", "3x8x8"], expect=2),
        "out_channels: must be at most 10^100",
    ),
    # 1. files that are not UTF-8 text specs
    (
        Case(
            "latin1-spec", ["plan", "s.toml"], files={"s.toml": "# café\ninput = [1, 8]\n".encode("latin-1")}, expect=2
        ),
        "not UTF-8",
    ),
    (
        Case("utf16-json", ["plan", "s.json"], files={"s.json": relu_spec().decode().encode("utf-16")}, expect=2),
        "s.json",
    ),
    (Case("bom-json", ["plan", "s.json", "--json"], files={"s.json": b"\xef\xbb\xbf" + relu_spec()}), None),
    (Case("nul-spec", ["rf", "s.toml"], files={"s.toml": b"input = [1, 8]\x00\n"}, expect=2), "NUL"),
    (Case("empty-json", ["plan", "s.json"], files={"s.json": b""}, expect=2), "empty"),
    (Case("blank-code", ["plan", "m.py", "-i", "3x8x8"], files={"m.py": b"\n   \n"}, expect=2), "empty"),
    (Case("directory", ["plan", "."], expect=2), "directory"),
    (Case("missing-file", ["rf", "nothere.json"], expect=2), "does not exist"),
    (Case("newline-name", ["plan", "a\nb.json"], files={"a\nb.json": b'{"layers": 3}'}, expect=2), "'a\\nb.json'"),
    (Case("binary-as-py", ["plan", "m.py", "-i", "3x8x8"], files={"m.py": bytes(range(256))}, expect=2), "m.py"),
    # 1. values of the wrong type or range, named by their path
    (
        Case("groups-zero", ["plan", "s.json"], files={"s.json": layer_spec({**CONV, "groups": 0})}, expect=2),
        "layers[0].groups: must be a positive integer",
    ),
    (
        Case(
            "stride-list-zero", ["plan", "s.json"], files={"s.json": layer_spec({**CONV, "stride": [1, 0]})}, expect=2
        ),
        "layers[0].stride[1]",
    ),
    (Case("blocks-string", ["plan", "s.json"], files={"s.json": relu_spec(blocks="b")}, expect=2), "blocks"),
    (
        Case(
            "block-layer-bad",
            ["plan", "s.json"],
            files={
                "s.json": spec(
                    {
                        "input": [3, 8, 8],
                        "blocks": {"b": {"layers": [{"type": "relu"}, {**CONV, "dilation": -2}]}},
                        "layers": [{"block": "b", "repeat": 2}],
                    }
                )
            },
            expect=2,
        ),
        "blocks.b.layers[1].dilation",
    ),
    (
        Case("name-int", ["plan", "s.json"], files={"s.json": layer_spec({"type": "relu", "name": 7})}, expect=2),
        "layers[0].name: must be a string",
    ),
    (Case("repeat-string", ["plan", "s.toml"], files={"s.toml": toml_repeat('"3"')}, expect=2), "repeat"),
    (Case("repeat-nan", ["plan", "s.toml"], files={"s.toml": toml_repeat("nan")}, expect=2), "repeat"),
    (Case("repeat-float", ["plan", "s.toml"], files={"s.toml": toml_repeat("2.0")}, expect=2), "repeat"),
    (Case("repeat-negative", ["plan", "s.toml"], files={"s.toml": toml_repeat("-1")}, expect=2), "repeat"),
    (Case("repeat-1e300", ["plan", "s.toml"], files={"s.toml": toml_repeat("1e300")}, expect=2), "repeat"),
    (Case("repeat-bool", ["plan", "s.toml"], files={"s.toml": toml_repeat("true")}, expect=2), "repeat"),
    (
        Case("repeat-million", ["plan", "s.toml", "--json"], files={"s.toml": toml_repeat("1000000")}, expect=2),
        "over the limit of 10,000; raise it with --max-layers",
    ),
    (Case("repeat-10-to-300", ["rf", "s.toml"], files={"s.toml": toml_repeat("1" + "0" * 300, 3)}, expect=2), "layers"),
    (
        Case("repeat-times-layers", ["plan", "s.toml"], files={"s.toml": toml_repeat("400", 300)}, expect=2),
        "120,000 layers",
    ),
    (
        Case(
            "empty-inputs", ["plan", "s.json"], files={"s.json": layer_spec({"type": "relu", "inputs": []})}, expect=2
        ),
        "layers[0].inputs",
    ),
    (
        Case(
            "inputs-string",
            ["plan", "s.json"],
            files={"s.json": layer_spec({"type": "add", "inputs": "input"})},
            expect=2,
        ),
        "layers[0].inputs",
    ),
    (
        Case(
            "empty-input-shape",
            ["plan", "s.json"],
            files={"s.json": spec({"input": [], "layers": [{"type": "relu"}]})},
            expect=2,
        ),
        "input",
    ),
    (
        Case(
            "null-size",
            ["plan", "s.json"],
            files={"s.json": spec({"input": [1, None, 8], "layers": [{"type": "relu"}]})},
            expect=2,
        ),
        "input[1]",
    ),
    (
        Case("null-kernel", ["plan", "s.json"], files={"s.json": layer_spec({**CONV, "kernel_size": None})}, expect=2),
        "needs kernel_size",
    ),
    (
        Case("padding-none-code", ["plan", "--code", "nn.Conv2d(3, 8, 3, padding=None)", "-i", "3x8x8"], expect=2),
        "padding",
    ),
    (
        Case(
            "torch-class-bad-arg",
            ["plan", "s.json"],
            files={"s.json": layer_spec({"type": "PixelShuffle", "upscale_factor": "2"})},
            expect=2,
        ),
        "upscale_factor",
    ),
    # 2. no NaN/Infinity in, none out; no negative or fractional counts
    (
        Case(
            "json-nan",
            ["plan", "s.json", "--json"],
            files={"s.json": b'{"input": [1, 8, 8], "layers": [{"type": "upsample", "scale_factor": NaN}]}'},
            expect=2,
        ),
        "NaN is not a JSON number",
    ),
    (
        Case(
            "json-infinity",
            ["plan", "s.json", "--json"],
            files={"s.json": b'{"input": [1, 8, 8], "layers": [{"type": "dropout", "p": -Infinity}]}'},
            expect=2,
        ),
        "Infinity",
    ),
    (
        Case(
            "toml-nan-scale",
            ["plan", "s.toml", "--json"],
            files={"s.toml": b"input = [1, 8, 8]\n[[layers]]\ntype = 'upsample'\nscale_factor = nan\n"},
            expect=2,
        ),
        "layers[0].scale_factor: must be a finite number",
    ),
    (
        Case(
            "toml-inf-scale-list",
            ["plan", "s.toml", "--json"],
            files={"s.toml": b"input = [1, 8, 8]\n[[layers]]\ntype = 'upsample'\nscale_factor = [2, inf]\n"},
            expect=2,
        ),
        "scale_factor[1]",
    ),
    (
        Case(
            "code-nan-scale",
            ["plan", "--code", "nn.Upsample(scale_factor=float('nan'))", "-i", "3x8x8", "--json"],
            expect=2,
        ),
        "finite",
    ),
    (
        Case(
            "negative-out-features",
            ["plan", "s.json", "--json"],
            files={"s.json": spec({"input": [4], "layers": [{"type": "linear", "out_features": -3}]})},
            expect=2,
        ),
        "out_features",
    ),
    (
        Case("fractional-out-features", ["plan", "--code", "nn.Linear(3, 4.5)", "-i", "3", "--json"], expect=2),
        "out_features",
    ),
    (
        Case(
            "fractional-num-features",
            ["plan", "s.json"],
            files={"s.json": layer_spec({"type": "batch_norm", "num_features": 2.5})},
            expect=2,
        ),
        "num_features",
    ),
    (
        Case(
            "keras-negative-dense",
            [
                "plan",
                "--code",
                "from tensorflow import keras\nmodel = keras.Sequential("
                "[keras.Input((8, 8, 3)), keras.layers.Dense(-5)])",
                "--json",
            ],
            expect=2,
        ),
        "out_features",
    ),
    (
        Case(
            "repr-zero-stride",
            ["plan", "m.txt", "-i", "3x8x8"],
            files={"m.txt": b"Sequential(\n  (0): Conv2d(3, 64, kernel_size=(7, 7), stride=(0, 0))\n)\n"},
            expect=2,
        ),
        "stride",
    ),
    (Case("huge-input-json", ["plan", "--preset", "resnet18", "-i", f"3x{BIG}x{BIG}", "--json"]), None),
    (Case("huge-input-table", ["plan", "--preset", "vgg16", "-i", f"3x{BIG}x{BIG}", "--flops"]), None),
    (Case("googol-input-refused", ["plan", "--preset", "lenet5", "-i", f"1x{GOOGOL}0x8"], expect=2), "--input"),
    (
        Case(
            "sizes-grow-past-googol",
            ["plan", "s.json", "--json"],
            files={
                "s.json": spec(
                    {
                        "input": [1, 10**99],
                        "layers": [{"type": "conv_transpose", "out_channels": 1, "kernel_size": 1, "stride": 10**99}],
                    }
                )
            },
            expect=2,
        ),
        "10^100",
    ),
    # 3. consistency
    (Case("framework-caffe-cli", ["plan", "-f", "caffe", "--preset", "lenet5"], expect=2), "caffe"),
    (Case("framework-caffe-rf", ["rf", "-f", "caffe", "--preset", "lenet5"], expect=2), "caffe"),
    (
        Case("framework-caffe-spec", ["plan", "s.json"], files={"s.json": relu_spec(framework="caffe")}, expect=2),
        "framework: must be one of torch, tf, keras",
    ),
    (Case("framework-number-spec", ["rf", "s.json"], files={"s.json": relu_spec(framework=3)}, expect=2), "framework"),
    (Case("dtype-unknown", ["plan", "s.json"], files={"s.json": relu_spec(dtype="complex64")}, expect=2), "dtype"),
    (
        Case("bias-no", ["plan", "s.json"], files={"s.json": layer_spec({**CONV, "bias": "no"})}, expect=2),
        "layers[0].bias: must be true or false",
    ),
    (Case("bias-zero", ["plan", "s.json"], files={"s.json": layer_spec({**CONV, "bias": 0})}, expect=2), "bias"),
    (
        Case(
            "ceil-mode-string",
            ["plan", "s.json"],
            files={"s.json": layer_spec({"type": "max_pool", "kernel_size": 2, "ceil_mode": "yes"})},
            expect=2,
        ),
        "ceil_mode",
    ),
    (
        Case("unknown-top-key", ["plan", "s.json"], files={"s.json": relu_spec(inptu=[1, 8])}, expect=2),
        "expected input, framework, dtype, layers, blocks",
    ),
    (
        Case("unknown-layer-key", ["plan", "s.json"], files={"s.json": layer_spec({**CONV, "strides": 2})}, expect=2),
        "it takes",
    ),
    (
        Case(
            "unknown-key-beside-block",
            ["plan", "s.toml"],
            files={"s.toml": toml_repeat("2") + b'name = "x"\n'},
            expect=2,
        ),
        "block reference",
    ),
    (
        Case(
            "concat-batch-dim",
            ["plan", "s.json"],
            files={
                "s.json": spec(
                    {
                        "input": [3, 8, 8],
                        "layers": [
                            {"type": "relu", "name": "a"},
                            {"type": "concat", "dim": 0, "inputs": ["input", "a"]},
                        ],
                    }
                )
            },
            expect=2,
        ),
        "batch",
    ),
    (
        Case(
            "markup-names",
            ["plan", "s.json"],
            files={
                "s.json": spec(
                    {
                        "input": [1, 8, 8],
                        "layers": [{"type": "relu", "name": "[/x]"}, {**CONV, "in_channels": 5, "name": "[bold]y"}],
                    }
                )
            },
        ),
        None,
    ),
    (
        Case(
            "markup-names-rf",
            ["rf", "s.json"],
            files={
                "s.json": spec(
                    {"input": [1, 8, 8], "layers": [{"type": "relu", "name": "[/x]"}, {**CONV, "name": "[red]"}]}
                )
            },
        ),
        None,
    ),
    # 5. work and memory
    (
        Case(
            "huge-kernel-spec",
            ["rf", "s.json", "--json"],
            files={
                "s.json": spec(
                    {
                        "input": [1, 10**15],
                        "layers": [
                            {
                                "type": "conv",
                                "out_channels": 1,
                                "kernel_size": 10**12,
                                "dilation": 10**3,
                                "stride": 10**9,
                            }
                        ],
                    }
                )
            },
        ),
        None,
    ),
    (Case("many-layers-table", ["plan", "s.toml"], files={"s.toml": toml_repeat("3000")}), None),
    (
        Case("verify-huge-input", ["plan", "--preset", "vgg16", "-i", "3x100000x100000", "--verify"], expect=2),
        "--max-memory",
    ),
    (
        Case("verify-max-memory", ["plan", "--preset", "lenet5", "--verify", "--max-memory", "16K"], expect=2),
        "--max-memory",
    ),
    (
        Case("verify-bad-max-memory", ["plan", "--preset", "lenet5", "--verify", "--max-memory", "lots"], expect=2),
        "--max-memory",
    ),
    (
        Case("skip-heavy-nan", ["plan", "--preset", "lenet5", "--verify", "--skip-heavy", "nan"], expect=2),
        "--skip-heavy",
    ),
    (
        Case("skip-heavy-negative", ["plan", "--preset", "lenet5", "--verify", "--skip-heavy", "-1"], expect=2),
        "--skip-heavy",
    ),
    (
        Case(
            "code-endless-loop",
            ["plan", "m.py", "-i", "3x8x8"],
            files={
                "m.py": b"import torch.nn as nn\nclass N(nn.Module):\n"
                b"    def __init__(self):\n        super().__init__()\n"
                b"        while True:\n            pass\n"
                b"    def forward(self, x):\n        return x\n"
            },
            expect=2,
        ),
        "steps",
    ),
    (
        Case(
            "code-huge-list",
            ["plan", "--code", "nn.Sequential(*[nn.ReLU() for _ in range(10**7)])", "-i", "3x8x8"],
            expect=2,
        ),
        "--code",
    ),
    (
        Case("code-too-big", ["plan", "m.py", "-i", "3x8x8"], files={"m.py": b"x = 1\n" * 800_000}, expect=2),
        "over 1,000,000",
    ),
    (Case("list-presets-json", ["plan", "--list-presets", "--json"], expect=0), None),
    (
        Case("skip-heavy-past-float", ["plan", "--preset", "vgg16", "--verify", "--skip-heavy", "1e308"], expect=2),
        "--skip-heavy",
    ),
    (
        Case("print-model-folded-billions", ["plan", "m.txt", "-i", "8x16x16"], files={"m.txt": FOLDED_HUGE}, expect=2),
        "copies",
    ),
]
CASES = [case for case, _ in TABLE]
FRAGMENTS = {case.name: fragment for case, fragment in TABLE}
for _case in CASES:
    object.__setattr__(_case, "timeout", 8.0)


@pytest.fixture(scope="module")
def outcomes():
    return run_all(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile(case, outcomes):
    outcome = outcomes[case.name]
    assert not problems(case, outcome), report(case, outcome)
    fragment = FRAGMENTS[case.name]
    if fragment is None:
        assert outcome.code == 0, report(case, outcome)
    else:
        assert fragment in outcome.stderr, report(case, outcome)
    assert outcome.seconds < 5, report(case, outcome)
    assert outcome.peak_bytes < 600 * 2**20, report(case, outcome)


def test_markup_names_are_printed_as_written(outcomes):
    assert "[/x]" in outcomes["markup-names"].stdout and "[bold]y" in outcomes["markup-names"].stdout


def test_bom_spec_is_read(outcomes):
    data = json.loads(outcomes["bom-json"].stdout)
    assert data["output"] == [1, 8, 8]


def test_huge_input_totals_are_exact(outcomes):
    data = json.loads(outcomes["huge-input-json"].stdout)
    n = 10**19
    # resnet18's stem: 7x7 stride 2 pad 3 -> (n + 6 - 7) // 2 + 1 per side, 64 channels, no bias.
    side = (n + 6 - 7) // 2 + 1
    stem = data["layers"][0]
    assert stem["output"] == [64, side, side] and stem["params"] == 64 * 3 * 49
    assert stem["macs"] == side * side * 64 * 3 * 49 and stem["memory_bytes"] == 64 * side * side * 4


def test_many_layers_are_all_printed(outcomes):
    lines = outcomes["many-layers-table"].stdout.splitlines()
    assert sum(1 for line in lines if line.strip().startswith(("2999 ", "0 "))) == 2
