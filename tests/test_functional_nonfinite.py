"""conv_transpose with inf or NaN in the weight: only real (input cell, tap) pairs are multiplied,
as PyTorch and TensorFlow do, so padding never turns an inf into NaN (0 * inf)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convarith import ConvTranspose
from convarith import functional as F
from convarith.functional.conv import _scatter_taps


def _scatter_loop(x, w, stride, padding, dilation, output_padding, groups):
    """PyTorch's definition, one product at a time: input p, tap t land on p * s - padding + t * d."""
    nd = x.ndim - 2
    cg, og = w.shape[0] // groups, w.shape[1]
    sizes = [
        (n - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1
        for n, k in zip(x.shape[2:], w.shape[2:], strict=True)
    ]
    out = np.zeros((x.shape[0], og * groups, *sizes))
    for n, c in np.ndindex(*x.shape[:2]):
        g = c // cg
        for p in np.ndindex(*x.shape[2:]):
            for o in range(og):
                for t in np.ndindex(*w.shape[2:]):
                    y = [pi * stride - padding + ti * dilation for pi, ti in zip(p, t, strict=True)]
                    if all(0 <= yi < si for yi, si in zip(y, sizes, strict=True)):
                        out[(n, g * og + o, *y)] += x[(n, c, *p)] * w[(c, o, *t)]
    assert nd == len(sizes)
    return out


geometry = st.fixed_dictionaries(
    {
        "nd": st.integers(1, 2),
        "groups": st.integers(1, 2),
        "stride": st.integers(1, 3),
        "padding": st.integers(0, 2),
        "dilation": st.integers(1, 2),
        "k": st.integers(1, 3),
        "size": st.integers(1, 4),
        "seed": st.integers(0, 2**16),
        "special": st.sampled_from([np.inf, -np.inf, np.nan]),
    }
)


@settings(max_examples=80, deadline=None)
@given(geometry, st.integers(0, 2))
def test_non_finite_weights_multiply_only_real_pairs(geo, output_padding):
    nd, groups, s, p, d, k = geo["nd"], geo["groups"], geo["stride"], geo["padding"], geo["dilation"], geo["k"]
    if output_padding >= max(s, d) or (geo["size"] - 1) * s - 2 * p + d * (k - 1) + output_padding + 1 < 1:
        return
    rng = np.random.default_rng(geo["seed"])
    x = rng.standard_normal((2, 2 * groups) + (geo["size"],) * nd)
    w = rng.standard_normal((2 * groups, 2) + (k,) * nd)
    w[(1, 0) + (k - 1,) * nd] = geo["special"]
    kwargs = {"stride": s, "padding": p, "dilation": d, "output_padding": output_padding, "groups": groups}
    with np.errstate(invalid="ignore"):
        expected = _scatter_loop(x, w, s, p, d, output_padding, groups)
        got = F.conv_transpose(x, w, **kwargs)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)  # NaN and inf where, and only where, expected


@settings(max_examples=60, deadline=None)
@given(geometry, st.sampled_from(["torch", "tf"]))
def test_the_scatter_equals_the_correlation_paths_on_finite_weights(geo, framework):
    nd, groups, s, d, k = geo["nd"], geo["groups"], geo["stride"], geo["dilation"], geo["k"]
    padding: int | str = geo["padding"] if framework == "torch" else ("SAME" if geo["padding"] else "VALID")
    rng = np.random.default_rng(geo["seed"])
    x = rng.standard_normal((2, 2 * groups) + (geo["size"],) * nd)
    w = rng.standard_normal((2 * groups, 3) + (k,) * nd)
    layer = ConvTranspose(k, stride=s, padding=padding, dilation=d, groups=groups, framework=framework)
    try:
        axes = layer.arithmetic(x.shape[2:])
    except ValueError:
        return  # a configuration the framework refuses
    expected = F.conv_transpose(x, w, stride=s, padding=padding, dilation=d, groups=groups, framework=framework)
    got = np.full(expected.shape, np.nan)
    _scatter_taps(x, w, groups, axes, got)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


def test_matches_torch_with_inf_and_nan_weights():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 20, 5, 6))
    for special in (np.inf, np.nan):
        w = rng.standard_normal((20, 3, 4, 4))
        w[0, 0, 1, 3] = special
        with np.errstate(invalid="ignore"):
            got = F.conv_transpose(x, w, stride=2, padding=1)
        expected = torch.nn.functional.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w), stride=2, padding=1)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(expected.numpy()))
        np.testing.assert_allclose(got, expected.numpy(), rtol=1e-10, atol=1e-10)
