"""Internal: the compact, coordinate-major landmark block the metric kernel works on.

``gather(xyzv)`` picks the 11 BlazePose landmarks the core needs and lays them out as a
contiguous float32 array ``(4, K, n)``: axis 0 = (x, y, z, visibility), axis 1 = the
landmark slot below, axis 2 = time. Left/right pairs sit next to each other so one slice
(e.g. ``x[HIPS]``, shape ``(2, n)``) carries both legs (row 0 = subject's left).

:class:`Gatherer` does the same chunk by chunk into buffers it reuses (the clip path of
``compute_metrics``). Moving whole landmarks as 16-byte units first and splitting them
into coordinates second is about twice as fast as transposing float32 values directly:
a transposed copy costs about the same per element whatever the element size.
"""

from __future__ import annotations

import numpy as np

#: BlazePose indices gathered, in slot order.
IDX = np.array([11, 12, 23, 24, 25, 26, 27, 28, 7, 8, 0], dtype=np.intp)
K = int(IDX.size)

L_SH, R_SH, L_HIP, R_HIP, L_KNEE, R_KNEE, L_ANK, R_ANK = range(8)
L_EAR, R_EAR, NOSE = range(8, 11)

SHOULDERS = slice(0, 2)
HIPS = slice(2, 4)
KNEES = slice(4, 6)
ANKLES = slice(6, 8)
#: left slots / right slots of (shoulder, hip, knee, ankle, ear), for visibility asymmetry.
LEFTS = slice(0, 10, 2)
RIGHTS = slice(1, 10, 2)
#: slots whose visibility masks the measures need (shoulders, hips, knees, ankles).
N_VIS = 8
#: slots whose depth z (shoulders, hips) / visibility value (all but the nose) is read.
N_Z = 4
N_V = 10


def gather(xyzv: np.ndarray, start: int = 0, stop: int | None = None) -> np.ndarray:
    """float32 (T, 33, 4) -> contiguous float32 (4, K, n) for frames [start, stop)."""
    sub = xyzv[start:stop].take(IDX, axis=1)
    return np.ascontiguousarray(sub.transpose(2, 1, 0), dtype=np.float32)


def gather_world(world: np.ndarray, start: int = 0, stop: int | None = None) -> np.ndarray:
    """float32 (T, 33, 3) metres -> contiguous float32 (3, 8, n): shoulders..ankles."""
    sub = world[start:stop].take(IDX[:8], axis=1)
    return np.ascontiguousarray(sub.transpose(2, 1, 0), dtype=np.float32)


class Gatherer:
    """Chunked :func:`gather` into reused buffers.

    xyzv: float32 (T, 33, 4); cap: the largest chunk (frames) that will be asked for.
    ``gatherer(start, stop)`` returns a (4, K, stop - start) float32 view of an internal
    buffer, valid until the next call, with the values of ``gather(xyzv, start, stop)``
    except that only the rows the kernel reads are filled: ``z[:N_Z]`` and ``v[:N_V]``
    (the rest of z and v is undefined).
    """

    def __init__(self, xyzv: np.ndarray, cap: int) -> None:
        self._xyzv = xyzv
        fast = (xyzv.dtype == np.float32 and xyzv.ndim == 3 and xyzv.shape[1:] == (33, 4)
                and xyzv.strides[2] == 4 and xyzv.strides[1] == 16
                and xyzv.ctypes.data % 16 == 0 and xyzv.strides[0] % 16 == 0)
        # whole landmarks as 16-byte units (raw copies only: the bits are never changed)
        self._units = xyzv.view(np.complex128)[..., 0] if fast else None
        self._tmp = np.empty((cap, K), np.complex128)
        self._lm = np.empty((K, cap), np.complex128)       # landmark-major, xyzv per slot
        self._lm4 = self._lm.view(np.float32).reshape(K, cap, 4)
        self._blk = np.empty((4, K, cap), np.float32)

    def __call__(self, start: int, stop: int) -> np.ndarray:
        n = stop - start
        if self._units is None:
            return gather(self._xyzv, start, stop)
        # mode="clip": the indices are constant and valid; skips the bounds check
        # (with out=, mode="raise" also copies through a buffer), ~30 % faster
        np.take(self._units[start:stop], IDX, axis=1, out=self._tmp[:n], mode="clip")
        np.copyto(self._lm[:, :n], self._tmp[:n].T)
        blk = self._blk[:, :, :n]
        for c, rows in ((0, K), (1, K), (2, N_Z), (3, N_V)):
            np.copyto(blk[c, :rows], self._lm4[:rows, :n, c])
        return blk
