"""Append-only row buffers for per-frame results of unknown length (bounded overhead).

Rows go into fixed-size chunks; :meth:`RowBuffer.take` builds the contiguous array once,
freeing each chunk as it is copied, so the peak is the data plus one chunk, never two
copies of a long clip's rows (a doubling buffer holds up to 2x, then copies again).
"""

from __future__ import annotations

from typing import Any

import numpy as np


class RowBuffer:
    """Rows of shape ``row_shape`` and ``dtype`` appended one at a time.

    ``chunk_rows``: rows per chunk (4096 rows of 33x4 float32 = 2.1 MB).
    ``capacity``: expected number of rows (e.g. a video's frame count): the first chunk
    is that big, so when the guess holds :meth:`take` returns it without copying (its
    untouched tail costs address space, not memory).
    """

    def __init__(self, row_shape: tuple[int, ...], dtype: Any = np.float32,
                 chunk_rows: int = 4096, capacity: int = 0) -> None:
        if chunk_rows < 1:
            raise ValueError(f"chunk_rows must be >= 1, got {chunk_rows}")
        self.row_shape = tuple(row_shape)
        self.dtype = np.dtype(dtype)
        self.chunk_rows = int(chunk_rows)
        self.capacity = max(int(capacity), 0)
        self._chunks: list[np.ndarray] = []
        self._fill = 0  # rows used in the last chunk
        self.n = 0

    def __len__(self) -> int:
        return self.n

    def append(self, row: Any) -> None:
        if not self._chunks or self._fill == len(self._chunks[-1]):
            rows = self.capacity if not self._chunks and self.capacity else self.chunk_rows
            self._chunks.append(np.empty((rows, *self.row_shape), self.dtype))
            self._fill = 0
        self._chunks[-1][self._fill] = row
        self._fill += 1
        self.n += 1

    def take(self) -> np.ndarray:
        """The rows as one contiguous ``(n, *row_shape)`` array; empties the buffer."""
        if len(self._chunks) == 1:  # no copy: a view of the one chunk
            out = self._chunks[0][: self.n]
            self._chunks, self.n, self._fill = [], 0, 0
            return out
        out = np.empty((self.n, *self.row_shape), self.dtype)
        pos = 0
        chunks, self._chunks = self._chunks, []
        chunks.reverse()
        while chunks:
            c = chunks.pop()
            k = min(len(c), self.n - pos)
            out[pos:pos + k] = c[:k]
            pos += k
            del c
        self.n, self._fill = 0, 0
        return out
