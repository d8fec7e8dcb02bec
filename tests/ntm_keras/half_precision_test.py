"""The one rule for where half precision gives way to float32."""

import numpy as np
import pytest

from ntm_keras.layers.half_precision import float32_if_half


@pytest.mark.parametrize(
    "dtype, expected",
    [
        ("float16", "float32"),
        ("bfloat16", "float32"),
        (np.float16, "float32"),
        ("float32", "float32"),
        ("float64", "float64"),
    ],
)
def test_half_precision_becomes_float32_and_the_rest_stays(dtype, expected):
    assert float32_if_half(dtype) == expected
