import numpy as np
import pytest

from hipform.rows import RowBuffer


@pytest.mark.parametrize("n", [0, 1, 4, 5, 12, 13])
def test_rows_come_back_in_order(n):
    buf = RowBuffer((3, 2), np.float32, chunk_rows=4)
    rows = np.arange(n * 6, dtype=np.float32).reshape(n, 3, 2)
    for r in rows:
        buf.append(r)
    assert len(buf) == n
    out = buf.take()
    assert out.shape == (n, 3, 2) and out.dtype == np.float32
    np.testing.assert_array_equal(out, rows)
    assert len(buf) == 0 and buf.take().shape == (0, 3, 2)


def test_scalar_rows_and_reuse():
    buf = RowBuffer((), np.int64, chunk_rows=2)
    for v in (5, 6, 7):
        buf.append(v)
    np.testing.assert_array_equal(buf.take(), [5, 6, 7])
    buf.append(9)
    np.testing.assert_array_equal(buf.take(), [9])


def test_bad_chunk_size():
    with pytest.raises(ValueError, match="chunk_rows"):
        RowBuffer((2,), chunk_rows=0)


@pytest.mark.parametrize("n", [0, 3, 8, 9, 20])
def test_capacity_hint_exact_short_and_exceeded(n):
    buf = RowBuffer((2,), np.float32, chunk_rows=4, capacity=8)
    rows = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    for r in rows:
        buf.append(r)
    out = buf.take()
    np.testing.assert_array_equal(out, rows)
    assert out.shape == (n, 2)


def test_one_chunk_is_returned_without_a_copy():
    buf = RowBuffer((2,), np.float32, capacity=10)
    for i in range(7):
        buf.append([i, i])
    out = buf.take()
    assert out.base is not None and out.base.shape == (10, 2)  # a view of the chunk
