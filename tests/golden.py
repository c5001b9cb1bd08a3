"""Loading golden cases and asking convarith the same question the framework was asked."""

from __future__ import annotations

import json
import re
from pathlib import Path

import convarith

DATA = Path(__file__).parent / "data"

LAYERS = {
    "conv": convarith.Conv,
    "conv_transpose": convarith.ConvTranspose,
    "max_pool": convarith.MaxPool,
    "avg_pool": convarith.AvgPool,
    "adaptive_avg_pool": convarith.AdaptiveAvgPool,
    "adaptive_max_pool": convarith.AdaptiveMaxPool,
}


def load(name: str) -> list[dict]:
    lines = (DATA / name).read_text().splitlines()
    cases = [json.loads(line) for line in lines if line.strip()]
    return [c for c in cases if not c.get("header")]


def _plain(value):
    """JSON lists -> tuples (nested for explicit padding pairs)."""
    if isinstance(value, list):
        return tuple(_plain(v) for v in value)
    return value


def ask_convarith(case: dict) -> dict:
    """convarith's answer in the golden schema: {"shape": [...]} or {"error": "..."}."""
    kwargs = {k: _plain(v) for k, v in case["layer"].items()}
    cls = LAYERS[case["op"]]
    if not case["op"].startswith("adaptive"):
        kwargs["framework"] = case["framework"]
    try:
        layer = cls(**kwargs)
        if case["op"] == "conv_transpose":
            shape = layer.tensor_shape(tuple(case["input"]), output_size=_plain(case.get("output_size")))
        else:
            shape = layer.tensor_shape(tuple(case["input"]))
    except convarith.ShapeError as exc:
        return {"error": f"ShapeError: {exc}"}
    return {"shape": list(shape)}


# Older golden records stored torch's empty results as errors; the shape is in the message.
_EMPTY = re.compile(r"EmptyOutput: torch returned an empty tensor of shape (\[[0-9, ]*\])")


def agrees(expected: dict, got: dict) -> bool:
    if "error" in expected:
        empty = _EMPTY.fullmatch(expected["error"])
        if empty and "shape" in got:  # docs/shapes.md: adaptive pools follow torch's empty results
            return got.get("shape") == json.loads(empty.group(1))
        return "error" in got
    return got.get("shape") == expected["shape"]
