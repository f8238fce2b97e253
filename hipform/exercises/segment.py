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
baseline).

Tempo (:func:`measure_tempo`) fits straight lines to the parts of the way out and the way
back that lie between 20 % and 80 % of the excursion, and extrapolates them to the
baseline and the peak: the time out, the hold at the peak and the time back are exact
for constant-speed movements and do not depend on where the enter/exit thresholds lie.
For smooth (bell-shaped velocity) movements the extrapolation under-reads the time out
and back (about 0.7 x for a pure half-cosine profile) and over-reads the hold.
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

    @property
    def excursion(self) -> float:
        return self.peak - self.base


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


def measure_tempo(t: np.ndarray, s: np.ndarray, base: float) -> Tempo | None:
    """Tempo of one excursion (see module docstring).

    The way out and the way back are each fitted by a straight line over the samples
    between 20 % and 80 % of the excursion. The peak level P is then the least-squares fit
    of the trapezoid ``min(line_out(t), P, line_back(t))`` to the samples above 80 %
    (P = where the lines meet for a V-shaped turn), and the rest level the median of the
    samples just before the movement.

    Args:
        t: float64 (N,) ms; s: float64 (N,) drive (degrees); samples from before the
            movement started until after it returned below 20 % of the excursion.
        base: rest level of ``s`` (the segmenter's baseline).
    Returns:
        A :class:`Tempo`, or None if the excursion is too short to measure.
    """
    ok = np.isfinite(s)
    t, s = t[ok], s[ok]
    if len(s) < 4:
        return None
    sm = _smooth3(s)
    ip = int(np.argmax(sm))
    peak = float(sm[ip])
    amp = peak - base
    if amp <= 0:
        return None
    l20, l80 = base + LO * amp, base + (1 - LO) * amp
    below = np.nonzero(s[: ip + 1] < l20)[0]
    i20d = int(below[-1]) if len(below) else 0
    above = np.nonzero(s[i20d : ip + 1] >= l80)[0]
    i80d = i20d + int(above[0]) if len(above) else ip
    above_u = np.nonzero(s[ip:] >= l80)[0]
    i80u = ip + int(above_u[-1]) if len(above_u) else ip
    below_u = np.nonzero(s[i80u:] < l20)[0]
    i20u = i80u + int(below_u[0]) if len(below_u) else len(s) - 1

    def ramp(lo: int, hi: int) -> tuple[float, float] | None:
        # interior samples of the ramp when there are enough, else include the ends
        line = _fit_line(t, s, lo + 1, hi - 1) if hi - lo >= 4 else None
        return line if line is not None else _fit_line(t, s, lo, hi)

    up, down = ramp(i20d, i80d), ramp(i80u, i20u)
    if up is None or down is None or up[1] <= 0 or down[1] >= 0:
        t0, t1 = float(t[i20d]), float(t[i80d])
        t2, t3 = float(t[i80u]), float(t[i20u])
    else:
        def at(line: tuple[float, float], level: float) -> float:
            return (level - line[0]) / line[1]

        # refine the peak level: least-squares fit of min(up(t), P, down(t)) to the
        # samples above 80 %, P between 80 % and where the two ramps meet
        tx = (down[0] - up[0]) / (up[1] - down[1])
        apex = up[0] + up[1] * tx
        win = (t >= at(up, l80)) & (t <= at(down, l80))
        if win.sum() >= 3 and apex > l80:
            tw, sw = t[win], s[win]
            env = np.minimum(up[0] + up[1] * tw, down[0] + down[1] * tw)
            cands = np.linspace(l80, apex, 241)
            err = ((sw[None, :] - np.minimum(env[None, :], cands[:, None])) ** 2).sum(axis=1)
            peak = float(cands[int(np.argmin(err))])
        # refine the rest level from the samples before the movement
        pre = t < at(up, base)
        if pre.sum() >= 5:
            base = float(np.median(s[pre][-15:]))
        t0, t1 = at(up, base), at(up, peak)
        t2, t3 = at(down, peak), at(down, base)
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
            is dropped and the baseline relearnt (the person settled in a new posture).
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

    @property
    def baseline(self) -> float:
        """Current rest baseline (NaN before any rest frame)."""
        if self.phase != REST:
            return self._base
        if not self._rest:
            return float("nan")
        return float(np.percentile([v for _, v in self._rest], 25))

    @property
    def peak(self) -> float:
        return self._peak

    def reset(self) -> None:
        self.phase = REST
        self._rest.clear()
        self._pre.clear()
        self._act = []
        self._base = self._peak = float("nan")

    def _smoothed_last(self) -> float:
        vals = [x.s for x in self._act[-3:]]
        return float(np.mean(vals))

    def update(self, i: int, t_ms: float, s: float, payload: Any = None) -> Excursion | None:
        """Feed one frame. Returns a finished :class:`Excursion` (counted or not) or None.

        A NaN drive (landmarks missing) is ignored: no state change.
        """
        if s is None or not math.isfinite(s):
            return None
        smp = _Sample(int(i), float(t_ms), float(s), payload)
        if self.phase == REST:
            base = self.baseline
            if math.isfinite(base) and s > base + self.enter:
                self._base = base
                self._act = list(self._pre) + [smp]
                self._start_pos = len(self._pre)
                self._start_t = float(t_ms)
                self._peak = float(s)
                self.phase = OUT
                return None
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
            return None

        self._act.append(smp)
        self._peak = max(self._peak, self._smoothed_last())
        amp = self._peak - self._base
        if s < self._base + self.exit:
            return self._finish()
        if amp < self.min_excursion and t_ms - self._start_t > self.max_stuck_ms:
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

    def _finish(self) -> Excursion:
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
        if counted:
            exc.tempo = measure_tempo(arr_t, arr_s, self._base)
        # back to rest: the frames after the excursion build a fresh baseline
        last = samples[-1]
        self.phase = REST
        self._rest.clear()
        self._pre.clear()
        self._rest.append((last.t, last.s))
        self._last_accept = last.t
        self._pre.append(last)
        self._act = []
        self._peak = float("nan")
        return exc
