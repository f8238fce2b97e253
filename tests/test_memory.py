"""Offline memory: filtering a long clip works in place, a few columns at a time, so its
working memory is a fraction of the landmarks (it was 5x them: float64 copies of every
column at once). tracemalloc counts numpy's allocations; no timing involved."""

import json
import tracemalloc

import numpy as np

from hipform.core.filters import lowpass_landmarks
from hipform.exercises.types import clean
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


def _moving(n: int) -> Landmarks:
    """A person bobbing up and down (a squat-like y motion) with short and long gaps."""
    rng = np.random.default_rng(5)
    t = np.arange(n) * 1000 // 30
    base = np.stack([rng.uniform(200, 440, N_LANDMARKS), rng.uniform(40, 440, N_LANDMARKS)], -1)
    x = np.zeros((n, N_LANDMARKS, 4), np.float32)
    x[..., :2] = base + rng.normal(0, 1.5, (n, N_LANDMARKS, 2))
    x[:, 11:, 1] += (40 * np.sin(np.arange(n) / 30 * 2 * np.pi / 3))[:, None]
    x[..., 3] = 0.95
    x[100:102] = np.nan  # a short gap (filled) ...
    x[400:460] = np.nan  # ... and a long one (kept)
    w = (x[..., :3] / 400).astype(np.float32)
    return Landmarks(x, t, 640, 480, w)


def test_in_place_scoring_gives_the_same_analysis_without_a_landmark_copy():
    """analyze scores its own landmarks in place (after saving them raw): the same
    analysis.json as scoring a copy, and one copy of the landmarks less at the peak."""
    from hipform.pipeline import AnalyzeOptions, score_landmarks

    opts = AnalyzeOptions()
    lm = _moving(3_000)
    data = lm.xyzv.nbytes + lm.world.nbytes
    score_landmarks(_moving(300), opts)  # imports and caches outside the traced window
    peaks = {}
    for in_place in (False, True):
        mine = Landmarks(lm.xyzv.copy(), lm.t_ms.copy(), lm.width, lm.height,
                         lm.world.copy(), {})
        tracemalloc.start()
        sc = score_landmarks(mine, opts, in_place=in_place)
        peaks[in_place] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        if in_place:
            assert sc.raw is None and sc.smooth.xyzv is mine.xyzv
            np.testing.assert_array_equal(sc.detected, lm.detected)  # the raw ones
        else:
            ref = sc.analysis
    assert json.dumps(clean(sc.analysis)) == json.dumps(clean(ref))
    assert peaks[False] - peaks[True] > 0.9 * data, (peaks, data)


def test_analyze_saves_raw_landmarks_when_it_scores_in_place(tmp_path):
    """finish_analysis(consume=True) writes landmarks.npz before smoothing: the file holds
    the raw landmarks (gaps and all), and analysis.json is the copying path's."""
    from hipform.pipeline import AnalyzeOptions, finish_analysis

    lm = _moving(600)
    opts = AnalyzeOptions(write_report=False)
    mine = Landmarks(lm.xyzv.copy(), lm.t_ms.copy(), lm.width, lm.height, lm.world.copy(), {})
    a, _ = finish_analysis(mine, tmp_path / "in_place", opts, consume=True)
    b, _ = finish_analysis(lm, tmp_path / "copy", opts)
    for d in ("in_place", "copy"):
        back = Landmarks.load(tmp_path / d / "landmarks.npz")
        np.testing.assert_array_equal(back.xyzv, lm.xyzv)
        np.testing.assert_array_equal(back.world, lm.world)
    assert (tmp_path / "in_place" / "analysis.json").read_bytes() == \
        (tmp_path / "copy" / "analysis.json").read_bytes()
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_writing_analysis_json_shares_plain_series_instead_of_copying():
    """clean(share=True), used to write analysis.json: lists of plain values are not
    copied (a 10-minute clip's per-frame series are ~10 MB as Python lists); lists that
    need cleaning still are."""
    plain = [1.5, None, 2, "x", True]
    dirty = [1.5, float("nan"), np.float32(2.0)]
    out = clean({"a": plain, "b": dirty, "c": [plain]}, share=True)
    assert out["a"] is plain and out["c"][0] is plain
    assert out["b"] == [1.5, None, 2.0] and out["b"] is not dirty
    assert clean({"a": plain})["a"] is not plain  # the default still copies
    assert clean([float("inf")], share=True) == [None]
