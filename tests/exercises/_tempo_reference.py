"""Reference: measure_tempo as it was before the tempo fit was made cheaper (commit
e69f925, hipform/exercises/segment.py), kept verbatim so tests can check that the fast
version gives exactly the same tempo."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hipform.exercises.segment import LO, Tempo, _smooth3

__all__ = ["measure_tempo_reference"]


_SHAPES = ("linear", "cosine")


def _ease(u: np.ndarray, shape: str) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    return u if shape == "linear" else 0.5 - 0.5 * np.cos(np.pi * u)


def _ease_inv(f: np.ndarray, shape: str) -> np.ndarray:
    f = np.clip(f, 1e-3, 1.0 - 1e-3)
    return f if shape == "linear" else np.arccos(1.0 - 2.0 * f) / np.pi


@dataclass(frozen=True)
class _Ramp:
    ta: float      # time (ms) the ramp leaves its start level
    tb: float      # time it reaches its end level
    shape: str


def _fit_ramp(t: np.ndarray, s: np.ndarray, base: float, peak: float, idx: np.ndarray,
              rising: bool, shape: str) -> _Ramp | None:
    """Fit one ramp of the given shape ("linear": constant speed; "cosine": smooth,
    bell-shaped speed) between ``base`` and ``peak`` on samples ``idx``: a straight line
    through the eased progress, extended to 0 and 1."""
    if len(idx) < 2 or peak <= base:
        return None
    tt = t[idx]
    u = _ease_inv((s[idx] - base) / (peak - base), shape)
    v = u if rising else 1.0 - u          # fraction of the ramp's time elapsed
    tm = tt.mean()
    den = float(((tt - tm) ** 2).sum())
    if den <= 0:
        return None
    b = float(((tt - tm) * (v - v.mean())).sum() / den)
    if not b > 0:
        return None
    a = float(v.mean() - b * tm)
    return _Ramp(-a / b, (1.0 - a) / b, shape)


def _model(t: np.ndarray, base: float, peak: float, up: _Ramp, dn: _Ramp,
           base_end: float | None = None) -> np.ndarray:
    be = base if base_end is None else base_end
    rise = base + (peak - base) * _ease((t - up.ta) / max(up.tb - up.ta, 1e-6), up.shape)
    fall = be + (peak - be) * _ease(1.0 - (t - dn.ta) / max(dn.tb - dn.ta, 1e-6), dn.shape)
    return np.minimum(rise, fall)


def measure_tempo_reference(t: np.ndarray, s: np.ndarray, base: float,
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

    def search(b0: float, shapes: tuple[str, ...]) -> tuple[float, float, _Ramp, _Ramp] | None:
        """Least-squares peak level (coarse then fine grid) and ramp shapes."""
        best = None
        a0 = peak0 - b0
        lo, hi = b0 + 0.85 * a0, peak0 + 0.05 * a0
        e0 = b0 if base_end is None else be
        for _ in range(2):
            for p in np.linspace(lo, hi, 13):
                ups = [_fit_ramp(t, s, b0, float(p), iu, True, sh) for sh in shapes]
                dns = [_fit_ramp(t, s, e0, float(p), idn, False, sh) for sh in shapes]
                # each ramp's shape is chosen on the whole excursion, corners included
                for up in ups:
                    for dn in dns:
                        if up is None or dn is None:
                            continue
                        m = _model(t[core], b0, float(p), up, dn, e0)
                        rss = float(((s[core] - m) ** 2).sum())
                        if best is None or rss < best[0]:
                            best = (rss, float(p), up, dn)
            if best is None:
                return None
            step = (hi - lo) / 12
            lo, hi = best[1] - step, best[1] + step
        return best

    def fit(b0: float) -> tuple[float, float, _Ramp, _Ramp] | None:
        lin = search(b0, ("linear",))
        anyshape = search(b0, _SHAPES)
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
