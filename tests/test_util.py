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


def test_write_text_replacing_writes_sets_mode_and_keeps_newlines(tmp_path):
    from hipform.util import write_text_replacing

    dest = tmp_path / "a" / "b" / "out.csv"
    write_text_replacing(dest, "x\r\ny\n", newline="", mode=0o644)
    assert dest.read_bytes() == b"x\r\ny\n"
    assert dest.stat().st_mode & 0o777 == 0o644
    write_text_replacing(dest, "new")
    assert dest.read_text() == "new"
    assert sorted(p.name for p in dest.parent.iterdir()) == ["out.csv"]


def test_write_text_replacing_failure_keeps_old_file_and_no_temp(tmp_path):
    from hipform.util import write_text_replacing

    dest = tmp_path / "report.html"
    dest.write_text("old")
    with pytest.raises(UnicodeEncodeError):
        write_text_replacing(dest, "bad \udc80 surrogate")
    assert dest.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_write_text_replacing_raises_oserror_for_unwritable_parent(tmp_path):
    from hipform.util import write_text_replacing

    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OSError):
        write_text_replacing(blocker / "out.txt", "x")
