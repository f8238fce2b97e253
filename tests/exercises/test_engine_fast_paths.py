"""The engine's cheap per-frame and per-rep paths give exactly what the plain numpy code
gave: the rest-baseline quartile and the rest-reference median (numpy-free), and the tempo
fit (shared grid points, hoisted sums) against a verbatim copy of the old fit."""

from __future__ import annotations

import numpy as np
import pytest

from hipform.exercises.base import median_of
from hipform.exercises.segment import lower_quartile, measure_tempo
from tests.exercises._tempo_reference import measure_tempo_reference


def _same(a: float, b: float) -> bool:
    # equal values; the sign of a zero result may differ (numpy's partition order of
    # tied -0.0/+0.0), which no comparison or sum downstream can see
    return a == b


@pytest.mark.parametrize("seed", range(4))
def test_lower_quartile_and_median_match_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for n in range(1, 70):
        for vals in (
            [float(x) for x in rng.normal(0.0, 10.0, n)],
            [float(x) for x in rng.integers(-3, 4, n) * 0.1],  # ties
            list(rng.normal(5.0, 1.0, n)),  # numpy float64 scalars
        ):
            assert _same(lower_quartile(vals), float(np.percentile(vals, 25))), vals
            assert _same(median_of(vals), float(np.median(vals))), vals


def test_median_of_other_dtypes_and_empty() -> None:
    vals32 = list(np.array([1.1, 2.2, 3.3, 4.4], np.float32))
    assert median_of(vals32) == float(np.median(vals32))
    assert np.isnan(median_of([]))


def _excursion(rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
    n = int(rng.integers(3, 120))
    t = np.cumsum(rng.uniform(25.0, 40.0, n))
    ph = np.linspace(0.0, 1.0, n)
    shift, speed, power = rng.uniform(0.0, 0.3), rng.uniform(1.0, 2.0), rng.uniform(0.5, 2.0)
    s = rng.uniform(5.0, 60.0) * np.sin(np.pi * np.clip((ph - shift) * speed, 0.0, 1.0)) ** power
    s = s + rng.normal(0.0, rng.uniform(0.0, 3.0), n)
    if k % 7 == 0:
        s[rng.integers(0, n, 3)] = np.nan
    return t, s


@pytest.mark.parametrize("seed", range(3))
def test_measure_tempo_identical_to_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    measured = 0
    for k in range(60):
        t, s = _excursion(rng, k)
        base = float(rng.uniform(-2.0, 2.0))
        base_end = None if k % 2 else float(rng.uniform(-5.0, 20.0))
        want = measure_tempo_reference(t, s, base, base_end)
        got = measure_tempo(t, s, base, base_end)
        assert repr(got) == repr(want), (seed, k)
        measured += want is not None
    assert measured > 30  # the comparison covered real fits, not just early returns


@pytest.mark.parametrize("seed", range(3))
def test_detect_quantiles_match_numpy(seed: int) -> None:
    from hipform.exercises.detect import _nanmedian, _quantile_sorted, _range

    rng = np.random.default_rng(seed)
    for k in range(300):
        n = int(rng.integers(1, 120))
        x = rng.normal(0.0, 1.0, n) if k % 2 else np.round(rng.normal(0.0, 1.0, n), 1)
        if k % 3 == 0:
            x[rng.integers(0, n, max(1, n // 4))] = np.nan
        fin = x[np.isfinite(x)]
        if len(fin) == 0:
            continue
        assert _nanmedian(x) == float(np.nanmedian(x))
        for q in (5, 25, 50, 95):
            assert _quantile_sorted(np.sort(fin), q / 100) == float(np.percentile(fin, q))
        if len(fin) >= 2:
            assert _range(x) == float(np.percentile(fin, 95) - np.percentile(fin, 5))


def test_rest_reference_tracks_the_rest_frames() -> None:
    """The incrementally sorted rest values give np.median over the last second of rest
    frames, for float64 and float32 measures, with NaN and missing keys."""
    from hipform.exercises.standing import SingleLegSquat

    eng = SingleLegSquat(side="left")
    rng = np.random.default_rng(0)
    for k in range(200):
        meas = {"a": float(rng.normal()), "b": np.float32(rng.normal()),
                "c": float("nan") if k % 4 == 0 else float(rng.integers(0, 3))}
        if k % 5 == 0:
            del meas["a"]
        if k % 3 == 0:  # ask before and after the push, as measure() and frame_faults do
            eng.rest_reference("a")
        eng._rest_push(33.0 * k, meas)
        for key in ("a", "b", "c", "d"):
            vals = [m.get(key, np.nan) for _, m in eng._rest_meas]
            vals = [v for v in vals if np.isfinite(v)]
            want = float(np.median(vals)) if vals else float("nan")
            got = eng.rest_reference(key)
            assert got == want or (np.isnan(got) and np.isnan(want)), (k, key)
        if k == 120:
            eng.set_side("left")  # clears the rest frames
            assert np.isnan(eng.rest_reference("a"))
