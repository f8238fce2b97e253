"""Landmark filters: a causal One Euro filter for live use, a zero-phase Butterworth
low-pass for offline analysis, and short-gap interpolation.

None of them mutates its input: every function returns new arrays / a new Landmarks.
Arrays are time-first: ``values`` has shape (T, ...) and is filtered along axis 0, each
other element (landmark coordinate) independently. NaN marks a missing sample.

Defaults and why:

* One Euro (Casiez, Roussel & Vogel 2012): ``min_cutoff = 1.0 Hz`` (a still landmark is
  smoothed hard, so the overlay does not shimmer), ``beta = 0.02`` per px/s (at 300 px/s
  the cut-off rises to 7 Hz, so a moving limb lags little), ``d_cutoff = 1.0 Hz``. The
  cut-off adapts to each landmark's image speed (x, y jointly), so x, y and z of one
  landmark share one cut-off and the direction of motion is not distorted.
* Zero-phase low-pass: 2nd-order Butterworth run forward and backward
  (``scipy.signal.sosfiltfilt``: 4th-order magnitude, zero phase), cut-off **6 Hz**, the
  usual choice for human-movement landmark data. The cut-off is clamped to 0.8 x Nyquist
  on low frame rates. Each finite run of samples is filtered separately (no smearing
  across gaps); runs shorter than 4 samples are left as they are, short runs use a
  shorter edge padding.
* Gap interpolation: a gap whose missing frames last at most ``max_gap_ms`` (120 ms:
  3 frames at 30 fps) is filled linearly in time; longer gaps, and gaps at the start or
  end, stay NaN. Missing duration = (time of next sample - time of previous sample) -
  one median frame interval.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "OneEuroFilter",
    "one_euro_landmarks",
    "lowpass_zero_phase",
    "lowpass_landmarks",
    "interpolate_gaps",
    "interpolate_landmark_gaps",
    "DEFAULT_CUTOFF_HZ",
    "DEFAULT_MAX_GAP_MS",
]

DEFAULT_CUTOFF_HZ = 6.0
DEFAULT_MAX_GAP_MS = 120.0


# ------------------------------------------------------------------------- One Euro
class OneEuroFilter:
    """Streaming One Euro filter for all landmarks of a frame at once.

    ``f(xyzv_row, t_ms)`` takes one frame, float32 (33, 4) [x, y px, z, visibility],
    and returns the filtered frame (new float32 (33, 4) array; visibility passes through).
    A landmark that is NaN gives NaN and restarts from its next finite sample. A frame
    whose timestamp does not advance is treated as 1 ms later.
    """

    def __init__(self, min_cutoff: float = 1.0, beta: float = 0.02, d_cutoff: float = 1.0,
                 n_landmarks: int = 33) -> None:
        if min_cutoff <= 0 or d_cutoff <= 0 or beta < 0:
            from hipform.errors import ConfigError

            raise ConfigError(
                f"One Euro parameters must be min_cutoff>0, d_cutoff>0, beta>=0; got "
                f"min_cutoff={min_cutoff}, beta={beta}, d_cutoff={d_cutoff}"
            )
        self.min_cutoff = float(min_cutoff)
        self.beta = float(beta)
        self.d_cutoff = float(d_cutoff)
        self.n = int(n_landmarks)
        self.reset()

    def reset(self) -> None:
        """Forget the history (next frame passes through unchanged)."""
        self._x = np.full((self.n, 3), np.nan)      # last filtered position
        self._dx = np.zeros((self.n, 3))            # last filtered velocity (units/s)
        self._t: float | None = None

    @staticmethod
    def _alpha(dt: float, cutoff):
        tau = 1.0 / (2.0 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / dt)

    def __call__(self, xyzv_row: np.ndarray, t_ms: float) -> np.ndarray:
        row = np.asarray(xyzv_row, dtype=np.float32)
        if row.shape != (self.n, 4):
            from hipform.errors import LandmarksError

            raise LandmarksError(f"OneEuroFilter expects a ({self.n}, 4) row, got {row.shape}")
        p = row[:, :3].astype(np.float64)
        t = float(t_ms)
        out = row.copy()
        if self._t is None:
            self._x = p.copy()
            self._dx[:] = 0.0
            self._t = t
            return out
        dt = max((t - self._t) / 1000.0, 1e-3)
        self._t = t
        prev = self._x
        with np.errstate(invalid="ignore"):
            dx = (p - prev) / dt
            a_d = self._alpha(dt, self.d_cutoff)
            dx_hat = a_d * dx + (1.0 - a_d) * self._dx
            speed = np.hypot(dx_hat[:, 0], dx_hat[:, 1])[:, None]
            a = self._alpha(dt, self.min_cutoff + self.beta * speed)
            x_hat = a * p + (1.0 - a) * prev
        fresh = np.isnan(prev) & ~np.isnan(p)  # (re)starting landmarks pass through
        x_hat = np.where(fresh, p, x_hat)
        dx_hat = np.where(fresh | np.isnan(dx_hat), 0.0, dx_hat)
        self._x = x_hat  # NaN where the input was NaN -> restart later
        self._dx = dx_hat
        out[:, :3] = x_hat
        return out


def one_euro_landmarks(lm, **params):
    """Run :class:`OneEuroFilter` causally over a clip (the live filter, replayed).

    Returns a new Landmarks; ``params`` go to OneEuroFilter.
    """
    from hipform.landmarks import Landmarks

    f = OneEuroFilter(**params)
    out = np.empty_like(lm.xyzv)
    for i in range(len(lm)):  # a recursive filter: inherently sequential
        out[i] = f(lm.xyzv[i], lm.t_ms[i])
    return Landmarks(out, lm.t_ms.copy(), lm.width, lm.height,
                     None if lm.world is None else lm.world.copy(), dict(lm.meta))


# ------------------------------------------------------------------------ helpers
def _fs_from(t_ms: np.ndarray | None, fs: float | None) -> float:
    if fs is not None:
        return float(fs)
    if t_ms is None or len(t_ms) < 2:
        from hipform.errors import ConfigError

        raise ConfigError("need fs or at least two timestamps to know the sample rate")
    dt = float(np.median(np.diff(np.asarray(t_ms, dtype=np.float64))))
    if not dt > 0:
        from hipform.errors import ConfigError

        raise ConfigError(f"timestamps do not increase (median step {dt} ms)")
    return 1000.0 / dt


def _column_groups(finite: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Group the columns of a (T, C) finite-mask by identical masks: [(mask, cols)]."""
    if finite.shape[1] == 0:
        return []
    packed = np.packbits(finite, axis=0).T  # (C, ceil(T/8))
    _, first, inv = np.unique(packed, axis=0, return_index=True, return_inverse=True)
    inv = inv.reshape(-1)
    return [(finite[:, c0], np.flatnonzero(inv == g))
            for g, c0 in enumerate(first)]


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of True."""
    d = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(),
                    strict=True))


# ----------------------------------------------------------------------- low-pass
def lowpass_zero_phase(values: np.ndarray, *, t_ms: np.ndarray | None = None,
                       fs: float | None = None, cutoff_hz: float = DEFAULT_CUTOFF_HZ,
                       order: int = 2) -> np.ndarray:
    """Zero-phase Butterworth low-pass along time (axis 0), NaN-gap aware.

    Args:
        values: float (T, ...) samples (e.g. xyzv[..., :3] in pixels).
        t_ms: int (T,) timestamps (sample rate = 1000 / median step), or give ``fs`` Hz.
        cutoff_hz: -3 dB cut-off of each pass (default 6 Hz); clamped to 0.8 x Nyquist.
        order: Butterworth order per pass (the forward-backward result has twice this).
    Returns:
        new array, same shape and dtype; NaN where the input is NaN. The filter runs in
        float64 whatever the input dtype.
    """
    a = np.asarray(values)
    dtype = a.dtype if np.issubdtype(a.dtype, np.floating) else np.float64
    out = np.array(a, dtype=dtype, copy=True)
    n = out.shape[0]
    if n:
        _lowpass_inplace(out.reshape(n, -1), None, rate=_fs_from(t_ms, fs),
                         cutoff_hz=cutoff_hz, order=order)
    return out


#: columns filtered at a time: the float64 working copies (and sosfiltfilt's padded
#: temporaries) stay a few MB whatever the clip length (memory does not grow with T).
_LOWPASS_COLUMNS = 8


def _lowpass_inplace(flat: np.ndarray, columns: np.ndarray | None, *, rate: float,
                     cutoff_hz: float, order: int) -> None:
    """Filter the ``columns`` (all if None) of a (T, C) float array in place.

    Each column's finite runs of >= 4 samples are filtered separately (NaN stays NaN).
    Columns are processed a few at a time in float64; the result is rounded to
    ``flat``'s dtype. Column by column, so the result does not depend on the batching.
    """
    from scipy.signal import butter, sosfiltfilt

    nyq = rate / 2.0
    wn = min(float(cutoff_hz), 0.8 * nyq) / nyq
    sos = butter(int(order), wn, output="sos")
    pad_default = 3 * (2 * sos.shape[0] + 1)
    sel = np.arange(flat.shape[1]) if columns is None else np.asarray(columns)
    finite = np.empty((flat.shape[0], len(sel)), bool)
    for c0 in range(0, len(sel), _LOWPASS_COLUMNS):  # no float copy of all columns
        finite[:, c0:c0 + _LOWPASS_COLUMNS] = np.isfinite(flat[:, sel[c0:c0 + _LOWPASS_COLUMNS]])
    for mask, grp in _column_groups(finite):
        cols = sel[grp]
        for s, e in _runs(mask):
            if e - s < 4:
                continue
            pad = min(pad_default, e - s - 1)
            for c0 in range(0, len(cols), _LOWPASS_COLUMNS):
                cc = cols[c0:c0 + _LOWPASS_COLUMNS]
                blk = flat[s:e, cc].astype(np.float64)
                flat[s:e, cc] = sosfiltfilt(sos, blk, axis=0, padlen=pad)


def lowpass_landmarks(lm, *, cutoff_hz: float = DEFAULT_CUTOFF_HZ, order: int = 2,
                      copy: bool = True):
    """:func:`lowpass_zero_phase` on x, y, z (and world) of a Landmarks; visibility kept.

    Returns a new Landmarks (a clip shorter than 4 frames comes back unchanged). Works a
    few columns at a time (bounded extra memory); with ``copy=False`` it filters ``lm``'s
    own arrays in place (the offline path: no second copy of a long clip's landmarks).
    """
    from hipform.landmarks import Landmarks

    xyzv = lm.xyzv.copy() if copy else lm.xyzv
    world = None if lm.world is None else (lm.world.copy() if copy else lm.world)
    n = len(lm)
    if n >= 4:
        rate = _fs_from(lm.t_ms, None)
        flat = xyzv.reshape(n, -1)
        xyz_cols = np.flatnonzero(np.arange(flat.shape[1]) % 4 != 3)  # not visibility
        _lowpass_inplace(flat, xyz_cols, rate=rate, cutoff_hz=cutoff_hz, order=order)
        if world is not None:
            _lowpass_inplace(world.reshape(n, -1), None, rate=rate, cutoff_hz=cutoff_hz,
                             order=order)
    return Landmarks(xyzv, lm.t_ms.copy(), lm.width, lm.height, world, dict(lm.meta))


# -------------------------------------------------------------------- gap filling
def interpolate_gaps(values: np.ndarray, t_ms: np.ndarray,
                     max_gap_ms: float = DEFAULT_MAX_GAP_MS, *, copy: bool = True) -> np.ndarray:
    """Fill short NaN gaps by linear interpolation in time.

    Args:
        values: float (T, ...) samples; t_ms: (T,) timestamps in ms, increasing.
        max_gap_ms: longest missing stretch filled (see module docstring for how it is
            measured). Longer gaps and leading/trailing gaps stay NaN.
        copy: False fills ``values`` itself (a writeable C-contiguous array) and returns it.
    Returns:
        array, same shape and dtype (new unless ``copy=False``).
    """
    a = np.asarray(values)
    if copy or not (a.flags.writeable and a.flags.c_contiguous):
        out = np.array(a, copy=True)
    else:
        out = a
    n = out.shape[0]
    if n < 3:
        return out
    t = np.asarray(t_ms, dtype=np.float64)
    dt = float(np.median(np.diff(t)))
    flat = out.reshape(n, -1)
    idx = np.arange(n)
    for mask, cols in _column_groups(np.isfinite(flat)):
        if mask.all() or not mask.any():
            continue
        prev = np.maximum.accumulate(np.where(mask, idx, -1))
        nxt = np.minimum.accumulate(np.where(mask, idx, n)[::-1])[::-1]
        fill = ~mask & (prev >= 0) & (nxt < n)
        if not fill.any():
            continue
        rows = np.flatnonzero(fill)
        p, q = prev[rows], nxt[rows]
        gap = t[q] - t[p] - dt
        ok = gap <= max_gap_ms + 1e-6
        rows, p, q = rows[ok], p[ok], q[ok]
        if rows.size == 0:
            continue
        wgt = ((t[rows] - t[p]) / (t[q] - t[p]))[:, None]
        xp = flat[p][:, cols].astype(np.float64)
        xq = flat[q][:, cols].astype(np.float64)
        flat[np.ix_(rows, cols)] = xp + wgt * (xq - xp)
    return out


def interpolate_landmark_gaps(lm, max_gap_ms: float = DEFAULT_MAX_GAP_MS, *,
                              copy: bool = True):
    """:func:`interpolate_gaps` on every column of a Landmarks (x, y, z, visibility and
    world): a frame or landmark lost for <= ``max_gap_ms`` gets interpolated values.
    Returns a new Landmarks; with ``copy=False`` its arrays are ``lm``'s own, filled in
    place."""
    from hipform.landmarks import Landmarks

    world = None if lm.world is None else interpolate_gaps(lm.world, lm.t_ms, max_gap_ms,
                                                           copy=copy)
    return Landmarks(interpolate_gaps(lm.xyzv, lm.t_ms, max_gap_ms, copy=copy),
                     lm.t_ms.copy(), lm.width, lm.height, world, dict(lm.meta))
