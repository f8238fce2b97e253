"""Incremental rep/phase segmentation with hysteresis, and tempo measurement.

The drive signal ``s`` (degrees: stance knee flexion for standing exercises, hip lift for
bridges) is fed one frame at a time. The segmenter is at *rest* until ``s`` rises
``enter`` above the rest baseline (lower quartile of the last ``rest_window_ms`` of rest
frames, robust to the first frames of a slow descent;
rest frames more than ``exit`` above the baseline are kept out of it, so a slow descent
cannot drag the baseline along, and a posture held between exit and enter for twice the
window becomes the new rest level). It then follows the excursion (phases ``out`` ->
``hold`` -> ``back``) until ``s`` falls below ``baseline + exit``. The excursion counts
as a rep only if its peak (3-frame mean) reached ``min_excursion`` above the baseline,
so noise around a threshold can start an excursion but never completes a rep, and a dip
during the return cannot double-count (re-entering needs ``enter`` again from a fresh
baseline). The finished excursion is handed over once its tail has fallen below 10 % of
the excursion (or ``close_ms`` after the exit), so the tempo fit sees the whole return.
A counted excursion may also come back to a new level (e.g. a one-leg stance that reads
higher than the two-legged start): once it has fallen from the peak by
``max(min_excursion, 0.5 x excursion)`` it ends at the valley when the drive rises
``enter`` again, or after ``settle_ms`` near the valley (:meth:`RepSegmenter.flush` does
the same at the end of the frames).

Tempo (:func:`measure_tempo`) fits the way out and the way back, each as a
constant-speed or a smooth (raised-cosine, bell-shaped speed) ramp, whichever fits
better, over the part between 10 % and 90 % of the excursion, and extends them to the
rest level and the peak. The time out, the hold and the time back are exact for either
shape and do not depend on where the enter/exit thresholds lie.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Excursion", "RepSegmenter", "Tempo", "measure_tempo"]

REST, OUT, HOLD, BACK = "rest", "out", "hold", "back"
#: ramps are fitted between LO and 1 - LO of the excursion
LO = 0.1


@dataclass(frozen=True)
class Tempo:
    """Times (ms, frame clock) where the movement left rest (t0), reached the peak (t1),
    left the peak (t2) and was back at rest (t3); durations in seconds."""

    t0: float
    t1: float
    t2: float
    t3: float
    peak_ms: float

    @property
    def out_s(self) -> float:
        return (self.t1 - self.t0) / 1000.0

    @property
    def hold_s(self) -> float:
        return (self.t2 - self.t1) / 1000.0

    @property
    def back_s(self) -> float:
        return (self.t3 - self.t2) / 1000.0


@dataclass
class Excursion:
    """One movement away from rest and back. Arrays cover the pre-roll (rest frames
    before the start, for baselines) and the excursion itself: ``i`` int64 frame indices,
    ``t`` float64 ms, ``s`` float64 drive; ``payload`` one object per sample;
    ``start_pos`` is the position in these arrays where the excursion began."""

    counted: bool
    base: float
    peak: float
    i: np.ndarray
    t: np.ndarray
    s: np.ndarray
    payload: list[Any]
    start_pos: int
    tempo: Tempo | None = None
    #: level the drive came back to when that was a new rest level (see
    #: :class:`RepSegmenter`, "return to a new level"); None = back at ``base``
    base_end: float | None = None

    @property
    def excursion(self) -> float:
        return self.peak - self.base


def lower_quartile(vals: list[float]) -> float:
    """``np.percentile(vals, 25)`` (linear interpolation), bit for bit, for a non-empty
    list of finite Python floats, without numpy's per-call overhead (it is taken on every
    rest frame). Same arithmetic as numpy's ``_quantile``/``_lerp``."""
    a = sorted(vals)
    n = len(a)
    vi = (n - 1) * 0.25
    if vi >= n - 1:  # n == 1: numpy takes the last value with weight 1
        b = a[-1]
        return float(b - (b - b) * 0.0)
    lo = math.floor(vi)
    g = vi - lo
    x, y = a[lo], a[lo + 1]
    d = y - x
    return float(y - d * (1.0 - g)) if g >= 0.5 else float(x + d * g)


def _smooth3(s: np.ndarray) -> np.ndarray:
    if len(s) < 3:
        return s.copy()
    out = s.copy()
    out[1:-1] = (s[:-2] + s[1:-1] + s[2:]) / 3.0
    return out


def _fit_line(t: np.ndarray, s: np.ndarray, lo: int, hi: int) -> tuple[float, float] | None:
    """Least-squares line s = a + b t over samples lo..hi (inclusive); None if degenerate."""
    if hi - lo + 1 < 2:
        return None
    tt, ss = t[lo : hi + 1], s[lo : hi + 1]
    tm = tt.mean()
    den = float(((tt - tm) ** 2).sum())
    if den <= 0:
        return None
    b = float(((tt - tm) * (ss - ss.mean())).sum() / den)
    if b == 0 or not math.isfinite(b):
        return None
    return float(ss.mean() - b * tm), b


_SHAPES = ("linear", "cosine")


# np.minimum(np.maximum(x, lo), hi) is np.clip(x, lo, hi) for the finite values used here
# (it only selects), without np.clip's per-call overhead (these run ~1000 times per rep)
def _ease(u: np.ndarray, shape: str) -> np.ndarray:
    u = np.minimum(np.maximum(u, 0.0), 1.0)
    return u if shape == "linear" else 0.5 - 0.5 * np.cos(np.pi * u)


def _ease_inv(f: np.ndarray, shape: str) -> np.ndarray:
    f = np.minimum(np.maximum(f, 1e-3), 1.0 - 1e-3)
    return f if shape == "linear" else np.arccos(1.0 - 2.0 * f) / np.pi


@dataclass(frozen=True)
class _Ramp:
    ta: float      # time (ms) the ramp leaves its start level
    tb: float      # time it reaches its end level
    shape: str


def measure_tempo(t: np.ndarray, s: np.ndarray, base: float,
                  base_end: float | None = None) -> Tempo | None:
    """Tempo of one excursion (see module docstring).

    The way out and the way back are each fitted over the samples between 10 % and 90 %
    of the excursion, as a constant-speed (linear) or a smooth (raised-cosine) ramp,
    whichever fits better, and extended to the rest level and the peak. The peak level is
    chosen by least squares of the whole model ``min(rise(t), fall(t))`` over the
    excursion (which also handles a V-shaped turn with no hold); the rest level is then
    re-estimated from the samples just before the movement and the fit repeated.

    Args:
        t: float64 (N,) ms; s: float64 (N,) drive (degrees); samples from before the
            movement started until after it returned below 10-20 % of the excursion.
        base: rest level of ``s`` (the segmenter's baseline).
        base_end: level the way back returns to, when it differs from ``base`` (the
            movement came back to a new rest level, e.g. settled on one leg after a
            two-legged start); None = ``base``.
    Returns:
        A :class:`Tempo`, or None if the excursion is too short to measure.
    """
    ok = np.isfinite(s)
    t, s = t[ok], s[ok]
    if len(s) < 4:
        return None
    sm = _smooth3(s)
    ip = int(np.argmax(sm))
    peak0 = float(sm[ip])
    amp0 = peak0 - base
    if amp0 <= 0:
        return None
    be = base if base_end is None or not base_end < peak0 else float(base_end)
    l_lo, l_hi = base + LO * amp0, base + (1 - LO) * amp0
    e_lo, e_hi = be + LO * (peak0 - be), be + (1 - LO) * (peak0 - be)
    below = np.nonzero(s[: ip + 1] < l_lo)[0]
    i_lo_d = int(below[-1]) if len(below) else 0
    above = np.nonzero(s[i_lo_d : ip + 1] >= l_hi)[0]
    i_hi_d = i_lo_d + int(above[0]) if len(above) else ip
    above_u = np.nonzero(s[ip:] >= e_hi)[0]
    i_hi_u = ip + int(above_u[-1]) if len(above_u) else ip
    below_u = np.nonzero(s[i_hi_u:] < e_lo)[0]
    i_lo_u = i_hi_u + int(below_u[0]) if len(below_u) else len(s) - 1

    def window(lo: int, hi: int) -> np.ndarray:
        # interior samples of the ramp when there are enough, else include the ends
        return np.arange(lo + 1, hi) if hi - lo >= 4 else np.arange(lo, hi + 1)

    iu, idn = window(i_lo_d, i_hi_d), window(i_hi_u, i_lo_u)
    core = np.arange(i_lo_d, i_lo_u + 1)

    tc, sc = t[core], s[core]
    n_grid = 13

    class _Side:
        """One ramp of a given shape ("linear": constant speed; "cosine": smooth,
        bell-shaped speed) from ``start`` to each peak level of a grid, fitted on samples
        ``idx``: a straight line through the eased progress, extended to 0 and 1. All grid
        points at once (row per point; each row's arithmetic is the one-point fit's)."""

        def __init__(self, idx: np.ndarray, start: float, rising: bool) -> None:
            self.start, self.rising = start, rising
            self.ok = len(idx) >= 2
            if self.ok:
                tt = t[idx]
                self.tm = tt.mean()
                self.dt = tt - self.tm
                self.den = float((self.dt ** 2).sum())
                self.num = s[idx] - start
                self.ok = self.den > 0

        def fit(self, peaks: np.ndarray, shape: str) -> tuple[np.ndarray, np.ndarray,
                                                              np.ndarray]:
            """(ok, ta, tb) per peak level: bool (G,), float64 (G,) ms (ta/tb junk where
            not ok)."""
            if not self.ok:
                return np.zeros(len(peaks), bool), peaks, peaks
            valid = ~(peaks <= self.start)
            u = _ease_inv(self.num[None, :] / (peaks - self.start)[:, None], shape)
            v = u if self.rising else 1.0 - u
            vm = v.sum(axis=1) / v.shape[1]
            b = (self.dt[None, :] * (v - vm[:, None])).sum(axis=1) / self.den
            ok = valid & (b > 0)
            a = vm - b * self.tm
            return ok, -a / b, (1.0 - a) / b

    def fit(b0: float) -> tuple[float, float, _Ramp, _Ramp] | None:
        e0 = b0 if base_end is None else be
        up_side, dn_side = _Side(iu, b0, True), _Side(idn, e0, False)
        grids: dict[tuple[float, float], dict[Any, Any]] = {}

        def evaluate(lo: float, hi: float) -> dict[Any, Any]:
            """Ramps of both shapes and the squared error of the model
            min(rise(t), fall(t)) over the excursion for each shape pair, at the grid
            points linspace(lo, hi, 13) (shared by the linear-only and the any-shape
            search: their first grids are the same points)."""
            if (lo, hi) in grids:
                return grids[(lo, hi)]
            peaks = np.linspace(lo, hi, n_grid)
            g: dict[Any, Any] = {"p": peaks}
            rise, fall = {}, {}
            for sh in _SHAPES:
                ok_u, ta_u, tb_u = up_side.fit(peaks, sh)
                ok_d, ta_d, tb_d = dn_side.fit(peaks, sh)
                g[True, sh], g[False, sh] = (ok_u, ta_u, tb_u), (ok_d, ta_d, tb_d)
                rise[sh] = b0 + (peaks - b0)[:, None] * _ease(
                    (tc[None, :] - ta_u[:, None]) / np.maximum(tb_u - ta_u, 1e-6)[:, None], sh)
                fall[sh] = e0 + (peaks - e0)[:, None] * _ease(
                    1.0 - (tc[None, :] - ta_d[:, None])
                    / np.maximum(tb_d - ta_d, 1e-6)[:, None], sh)
            for su in _SHAPES:
                for sd in _SHAPES:
                    g["rss", su, sd] = ((sc[None, :] - np.minimum(rise[su], fall[sd])) ** 2
                                        ).sum(axis=1)
            grids[(lo, hi)] = g
            return g

        def search(shapes: tuple[str, ...]) -> tuple[float, float, _Ramp, _Ramp] | None:
            """Least-squares peak level (coarse then fine grid) and ramp shapes."""
            best = None
            a0 = peak0 - b0
            lo, hi = b0 + 0.85 * a0, peak0 + 0.05 * a0
            for _ in range(2):
                g = evaluate(lo, hi)
                for j in range(n_grid):
                    # each ramp's shape is chosen on the whole excursion, corners included
                    for su in shapes:
                        ok_u, ta_u, tb_u = g[True, su]
                        if not ok_u[j]:
                            continue
                        for sd in shapes:
                            ok_d, ta_d, tb_d = g[False, sd]
                            if not ok_d[j]:
                                continue
                            r = float(g["rss", su, sd][j])
                            if best is None or r < best[0]:
                                best = (r, float(g["p"][j]),
                                        _Ramp(float(ta_u[j]), float(tb_u[j]), su),
                                        _Ramp(float(ta_d[j]), float(tb_d[j]), sd))
                if best is None:
                    return None
                step = (hi - lo) / 12
                lo, hi = best[1] - step, best[1] + step
            return best

        with np.errstate(all="ignore"):  # grid points without a ramp give junk rows
            lin = search(("linear",))
            anyshape = search(_SHAPES)
        # a smooth ramp must explain the data clearly better (>= 10 % less squared error)
        # than constant speed; on short, noisy excursions the two are easily confused
        best = lin if (anyshape is None or (lin is not None and anyshape[0] > 0.9 * lin[0])) \
            else anyshape
        return None if best is None else (b0, best[1], best[2], best[3])

    res = fit(base)
    if res is not None:
        pre = t < res[2].ta - 100.0
        if pre.sum() >= 5:
            res = fit(float(np.median(s[pre][-15:]))) or res
    if res is None:
        t0, t1 = float(t[i_lo_d]), float(t[i_hi_d])
        t2, t3 = float(t[i_hi_u]), float(t[i_lo_u])
    else:
        _, _, up, dn = res
        t0, t1, t2, t3 = up.ta, up.tb, dn.ta, dn.tb
        if t2 < t1:
            # the ramps overlap: no hold (a V-shaped turn); turn where they cross
            lo_t, hi_t = t2, t1
            for _ in range(40):
                mid_t = 0.5 * (lo_t + hi_t)
                tm = np.array([mid_t])
                rise = _ease((tm - up.ta) / max(up.tb - up.ta, 1e-6), up.shape)[0]
                fall = _ease(1.0 - (tm - dn.ta) / max(dn.tb - dn.ta, 1e-6), dn.shape)[0]
                if rise < fall:
                    lo_t = mid_t
                else:
                    hi_t = mid_t
            t1 = t2 = 0.5 * (lo_t + hi_t)
    t1 = max(t1, t0)
    t2 = max(t2, t1)
    t3 = max(t3, t2)
    return Tempo(t0, t1, t2, t3, float(t[ip]))


@dataclass
class _Sample:
    i: int
    t: float
    s: float
    payload: Any


@dataclass
class RepSegmenter:
    """Frame-by-frame rep segmentation (see module docstring).

    Args:
        enter, exit, min_excursion: drive thresholds (degrees above the rest baseline).
        rest_window_ms: rest baseline = lower quartile of the drive over this much of
            recent rest.
        preroll_ms: rest frames kept before an excursion (for tempo and rest baselines).
        max_stuck_ms: an excursion that has not reached ``min_excursion`` after this long
            is dropped and the baseline relearnt (the person settled in a new posture);
            sooner, after ``settle_ms``, if the drive has stayed within ``exit`` degrees
            over that time (e.g. shifting onto one leg raised the drive for good).
    """

    enter: float
    exit: float
    min_excursion: float
    rest_window_ms: float = 1000.0
    preroll_ms: float = 1500.0
    max_stuck_ms: float = 20000.0
    phase: str = REST
    _rest: deque[tuple[float, float]] = field(default_factory=deque)
    _pre: deque[_Sample] = field(default_factory=deque)
    _act: list[_Sample] = field(default_factory=list)
    _base: float = float("nan")
    _peak: float = float("nan")
    _start_pos: int = 0
    _start_t: float = 0.0
    _last_accept: float = 0.0
    close_ms: float = 500.0
    settle_ms: float = 600.0
    _closing: bool = False
    _closing_t: float = 0.0
    _valley: float = float("nan")
    _valley_pos: int = -1
    _valley_t: float = 0.0

    @property
    def baseline(self) -> float:
        """Current rest baseline (NaN before any rest frame)."""
        if self.phase != REST:
            return self._base
        if not self._rest:
            return float("nan")
        return lower_quartile([v for _, v in self._rest])

    @property
    def peak(self) -> float:
        return self._peak

    def reset(self) -> None:
        self._closing = False
        self.phase = REST
        self._rest.clear()
        self._pre.clear()
        self._act = []
        self._base = self._peak = float("nan")
        self._valley, self._valley_pos = float("nan"), -1

    def _rest_step(self, smp: _Sample) -> None:
        """One frame at rest: maybe start an excursion, else update the rest baseline."""
        t_ms, s = smp.t, smp.s
        base = self.baseline
        if math.isfinite(base) and s > base + self.enter:
            self._base = base
            self._act = list(self._pre) + [smp]
            self._start_pos = len(self._pre)
            self._start_t = float(t_ms)
            self._peak = float(s)
            self._valley, self._valley_pos = float("nan"), -1
            self.phase = OUT
            return
        if not math.isfinite(base) or s <= base + self.exit:
            self._rest.append((float(t_ms), float(s)))
            self._last_accept = float(t_ms)
        elif t_ms - self._last_accept > 2.0 * self.rest_window_ms:
            # settled between exit and enter for a while: this is the new rest level
            self._rest.clear()
            self._rest.append((float(t_ms), float(s)))
            self._last_accept = float(t_ms)
        while self._rest and self._rest[0][0] < t_ms - self.rest_window_ms:
            self._rest.popleft()
        self._pre.append(smp)
        while self._pre and self._pre[0].t < t_ms - self.preroll_ms:
            self._pre.popleft()

    @property
    def closing(self) -> bool:
        """True while the tail of a finished movement is still being recorded."""
        return self._closing

    def _smoothed_last(self) -> float:
        # = float(np.mean(vals)) (numpy sums 1-3 values left to right)
        a = self._act
        if len(a) >= 3:
            return float((a[-3].s + a[-2].s + a[-1].s) / 3.0)
        if len(a) == 2:
            return float((a[-2].s + a[-1].s) / 2.0)
        return float(a[-1].s / 1.0)

    def update(self, i: int, t_ms: float, s: float, payload: Any = None) -> Excursion | None:
        """Feed one frame. Returns a finished :class:`Excursion` (counted or not) or None.

        A NaN drive (landmarks missing) is ignored: no state change.
        """
        if s is None or not math.isfinite(s):
            return None
        smp = _Sample(int(i), float(t_ms), float(s), payload)
        if self._closing:
            if s >= self._base + self.exit:
                # moving again before the tail was recorded: close without this frame
                exc = self._finish()
                self._rest_step(smp)
                return exc
            self._act.append(smp)
            if (s < self._base + LO * (self._peak - self._base)
                    or t_ms - self._closing_t >= self.close_ms):
                return self._finish()
            return None
        if self.phase == REST:
            self._rest_step(smp)
            return None

        self._act.append(smp)
        sm_last = self._smoothed_last()
        if sm_last > self._peak:
            self._peak = sm_last
            self._valley, self._valley_pos = float("nan"), -1
        amp = self._peak - self._base
        if amp >= self.min_excursion and not s < self._base + self.exit:
            exc = self._return_to_new_level(smp, sm_last, amp)
            if exc is not None:
                return exc
        if s < self._base + self.exit:
            if s < self._base + LO * amp:
                return self._finish()
            # back at rest; keep recording the tail (down to 10 % of the excursion, at
            # most close_ms) so the tempo fit sees the whole return
            self._closing, self._closing_t = True, float(t_ms)
            self.phase = REST
            return None
        settled = False
        if amp < self.min_excursion and t_ms - self._start_t > self.settle_ms:
            # (only then: the scan covers the whole excursion so far)
            recent = [x.s for x in self._act if x.t >= t_ms - self.settle_ms]
            settled = len(recent) >= 5 and max(recent) - min(recent) < self.exit
        if settled or (amp < self.min_excursion and t_ms - self._start_t > self.max_stuck_ms):
            # settled into a new posture: drop it and relearn the baseline
            self.reset()
            self._rest.append((float(t_ms), float(s)))
            self._last_accept = float(t_ms)
            self._pre.append(smp)
            return None
        band = max(3.0, 0.1 * amp)
        if s < self._peak - band:
            self.phase = BACK
        else:
            k = next((j for j in range(len(self._act) - 1, -1, -1)
                      if self._act[j].t <= t_ms - 300.0), None)
            vel = (
                (s - self._act[k].s) / ((t_ms - self._act[k].t) / 1000.0)
                if k is not None and t_ms > self._act[k].t else 0.0
            )
            vthr = max(5.0, 0.1 * amp)
            # phase labels with hysteresis on the speed (for the overlay only)
            if self.phase == OUT and vel < vthr:
                self.phase = HOLD
            elif self.phase in (HOLD, BACK) and vel > 2.0 * vthr and s > self._peak - band / 2:
                self.phase = OUT
        return None

    def _return_to_new_level(self, smp: _Sample, sm_last: float, amp: float) -> Excursion | None:
        """A counted excursion that came back down to a level other than its start.

        After the peak the lowest 3-frame mean (the valley) is tracked. Once the drive
        has fallen from the peak by at least ``max(min_excursion, 0.5 x excursion)``,
        the movement is over when either the drive rises again by ``enter`` above the
        valley (the next movement starts: the rep is closed at the valley and the next
        excursion starts from it) or it has stayed within ``enter`` of the valley for
        ``settle_ms`` (a new rest level). Noise, sway or a one-off shift cannot fall by
        ``min_excursion`` after rising by it, so this adds no rep that the ordinary
        "back below rest + exit" rule would not count, it only ends reps that come back
        to a different level (a descent estimate read off a stance that changed)."""
        n = len(self._act) - 1
        if not sm_last >= self._valley:   # also True while the valley is NaN
            self._valley, self._valley_pos, self._valley_t = sm_last, n, smp.t
        fall = self._peak - self._valley
        if not fall >= max(self.min_excursion, 0.5 * amp):
            return None
        if sm_last > self._valley + self.enter:
            # the next movement has started: close the rep at the valley
            vp = self._valley_pos
            tail = self._act[vp + 1:]
            self._act = self._act[: vp + 1]
            valley = self._valley
            exc = self._finish(base_end=valley)
            # the next excursion starts from the valley (its pre-roll is the valley frame)
            self._base = valley
            self._act = list(self._pre) + tail
            self._start_pos = len(self._pre)
            self._start_t = tail[0].t if tail else smp.t
            self._peak = float(np.max(_smooth3(np.array([x.s for x in tail]))))
            self._valley, self._valley_pos = float("nan"), -1
            self.phase = OUT
            return exc
        if smp.t - self._valley_t >= self.settle_ms:
            recent = [x.s for x in self._act[self._valley_pos:]]
            if max(recent) < self._valley + self.enter:
                return self._finish(base_end=self._valley)
        return None

    def flush(self) -> Excursion | None:
        """End of the stream: the rep whose tail is being recorded, or one that has come
        back down by ``max(min_excursion, 0.5 x excursion)`` to another level, is
        finished and returned; anything else (still moving) is dropped. None if none."""
        if self._closing:
            return self._finish()
        if self.phase == REST or not self._act:
            return None
        amp = self._peak - self._base
        # the last frames are not yet in the running median: take the valley on the
        # 3-frame mean after the peak
        sm = _smooth3(np.array([x.s for x in self._act[self._start_pos:]], np.float64))
        ip = int(np.argmax(sm))
        vp = ip + int(np.argmin(sm[ip:]))
        valley = float(sm[vp])
        if amp >= self.min_excursion and self._peak - valley >= max(self.min_excursion,
                                                                    0.5 * amp):
            self._act = self._act[: self._start_pos + vp + 1]
            return self._finish(base_end=valley)
        return None

    def _finish(self, base_end: float | None = None) -> Excursion:
        samples = self._act
        arr_i = np.array([x.i for x in samples], np.int64)
        arr_t = np.array([x.t for x in samples], np.float64)
        arr_s = np.array([x.s for x in samples], np.float64)
        sm = _smooth3(arr_s[self._start_pos :])
        peak = float(np.max(sm)) if len(sm) else self._peak
        counted = (peak - self._base) >= self.min_excursion
        exc = Excursion(
            counted, self._base, peak, arr_i, arr_t, arr_s, [x.payload for x in samples],
            self._start_pos,
        )
        if base_end is not None and base_end > self._base + self.exit:
            exc.base_end = float(base_end)
        if counted:
            exc.tempo = measure_tempo(arr_t, arr_s, self._base, exc.base_end)
        # back to rest: the frames after the excursion build a fresh baseline
        last = samples[-1]
        self._closing = False
        self.phase = REST
        self._rest.clear()
        self._pre.clear()
        self._rest.append((last.t, last.s))
        self._last_accept = last.t
        self._pre.append(last)
        self._act = []
        self._peak = float("nan")
        self._valley, self._valley_pos = float("nan"), -1
        return exc
