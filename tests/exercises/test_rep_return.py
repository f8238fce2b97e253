"""Rep segmentation when a movement comes back to a different rest level, and at the end
of the frames (the accuracy grid's standing under-counts: reps that return to a one-leg
stance level 10-35 deg above the two-legged start, and a last rep still closing when the
clip ends). Drive signals in degrees at 30 fps, fed straight into :class:`RepSegmenter`."""

from __future__ import annotations

import numpy as np
import pytest

from hipform.exercises.segment import RepSegmenter

FPS = 30.0


def _ramp(a: float, b: float, secs: float) -> np.ndarray:
    """Smooth (raised-cosine) move from a to b; float64 (n,) degrees."""
    u = np.linspace(0.0, 1.0, int(round(secs * FPS)), endpoint=False)
    return a + (b - a) * (0.5 - 0.5 * np.cos(np.pi * u))


def _hold(v: float, secs: float) -> np.ndarray:
    return np.full(int(round(secs * FPS)), v)


def _run(s: np.ndarray, seed: int = 0, noise: float = 1.5) -> list:
    """Feed s (+ seeded Gaussian noise, deg) frame by frame; returns the counted
    excursions including the one flushed at the end."""
    rng = np.random.default_rng(seed)
    s = s + rng.normal(0.0, noise, len(s))
    seg = RepSegmenter(enter=15.0, exit=5.0, min_excursion=30.0, rest_window_ms=1500.0)
    out = []
    for i, v in enumerate(s):
        exc = seg.update(i, i * 1000.0 / FPS, float(v))
        if exc is not None and exc.counted:
            out.append(exc)
    exc = seg.flush()
    if exc is not None and exc.counted:
        out.append(exc)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("level", [12.0, 28.0, 35.0])
def test_reps_back_to_a_new_level_count(seed: int, level: float) -> None:
    """Two-legged rest at 0, then a shift to `level` right before each rep, back to
    `level` between reps (0.6 s) and at the end: two reps, the first timed on its way
    back to the new level."""
    s = np.concatenate([
        _hold(0.0, 1.0), _ramp(0.0, level, 0.3),
        _ramp(level, 70.0, 2.2), _hold(70.0, 0.25), _ramp(70.0, level, 1.0),
        _hold(level, 0.6),
        _ramp(level, 72.0, 2.2), _hold(72.0, 0.25), _ramp(72.0, level, 1.0), _hold(level, 0.4),
    ])
    reps = _run(s, seed)
    assert len(reps) == 2
    tp = reps[0].tempo
    assert tp is not None
    # the way back takes 1.0 s to the new level (hold 0.25 s is absorbed at the peak)
    assert abs(tp.back_s - 1.0) < 0.35


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shift_and_sway_count_nothing(seed: int) -> None:
    """A one-off shift of 28 deg held to the end, then a sway of +-12 deg around it:
    it rises by less than min_excursion and never falls by it, so no rep."""
    t = np.arange(int(6 * FPS)) / FPS
    s = np.concatenate([_hold(0.0, 1.0), _ramp(0.0, 28.0, 0.3), 28.0 + 12.0 * np.sin(t)])
    assert _run(s, seed) == []


def test_last_rep_closing_at_the_end_counts() -> None:
    """The clip ends 3 frames after the drive came back below rest + exit: counted."""
    s = np.concatenate([_hold(0.0, 1.0), _ramp(0.0, 65.0, 1.5), _ramp(65.0, 0.0, 1.0),
                        _hold(0.0, 0.1)])
    assert len(_run(s, noise=0.0)) == 1


def test_movement_not_back_counts_nothing_at_the_end() -> None:
    """Down to 65 deg and only a little way back when the frames end: no rep."""
    s = np.concatenate([_hold(0.0, 1.0), _ramp(0.0, 65.0, 1.5), _ramp(65.0, 50.0, 0.5)])
    assert _run(s, noise=0.0) == []
