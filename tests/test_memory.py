"""Offline memory: filtering a long clip works in place, a few columns at a time, so its
working memory is a fraction of the landmarks (it was 5x them: float64 copies of every
column at once). tracemalloc counts numpy's allocations; no timing involved."""

import tracemalloc

import numpy as np

from hipform.core.filters import lowpass_landmarks
from hipform.landmarks import N_LANDMARKS, Landmarks


def _clip(n: int) -> Landmarks:
    rng = np.random.default_rng(1)
    t = np.arange(n) * 1000 // 30
    x = rng.normal(300, 20, (n, N_LANDMARKS, 4)).astype(np.float32)
    x[::50] = np.nan  # gaps: several runs per column group
    w = rng.normal(0, 0.3, (n, N_LANDMARKS, 3)).astype(np.float32)
    return Landmarks(x, t, 1280, 720, w)


def test_lowpass_in_place_needs_a_fraction_of_the_landmarks_memory():
    import scipy.signal  # noqa: F401  (import outside the traced window)

    peaks = {}
    for n in (2_000, 20_000):
        lm = _clip(n)
        data = lm.xyzv.nbytes + lm.world.nbytes
        ref = lowpass_landmarks(lm)  # copying variant, for the equality check below
        tracemalloc.start()
        out = lowpass_landmarks(lm, copy=False)
        peaks[n] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert out.xyzv is lm.xyzv  # filtered in place
        np.testing.assert_array_equal(out.xyzv, ref.xyzv)
        np.testing.assert_array_equal(out.world, ref.world)
        assert peaks[n] < 0.5 * data, (n, peaks[n], data)


def test_saving_landmarks_makes_no_copy_of_them(tmp_path):
    lm = _clip(20_000)
    data = lm.xyzv.nbytes + lm.world.nbytes
    tracemalloc.start()
    lm.save(tmp_path / "l.npz")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 0.25 * data, (peak, data)  # np.savez_compressed: ~1x (16 MB slices)
    back = Landmarks.load(tmp_path / "l.npz")
    np.testing.assert_array_equal(back.xyzv, lm.xyzv)
    np.testing.assert_array_equal(back.world, lm.world)
    np.testing.assert_array_equal(back.t_ms, lm.t_ms)
