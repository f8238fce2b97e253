"""hipform.util.finite_float: the number coercion shared by report, store and batch summary."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hipform.util import finite_float


@pytest.mark.parametrize(
    "x, expected",
    [
        (3, 3.0),
        (-2.5, -2.5),
        ("4.25", 4.25),
        (np.float32(1.5), 1.5),
        (np.int64(7), 7.0),
        (0, 0.0),
    ],
)
def test_finite_values_become_floats(x, expected):
    out = finite_float(x)
    assert isinstance(out, float)
    assert out == expected


@pytest.mark.parametrize(
    "x", [None, True, False, math.nan, math.inf, -math.inf, "nan", "abc", "", [1.0], {}]
)
def test_non_finite_and_non_numbers_give_none(x):
    assert finite_float(x) is None


def test_modules_share_the_one_helper():
    from hipform import store
    from hipform.batch import summary
    from hipform.report import html

    assert html._num is summary._num is store._num is finite_float
