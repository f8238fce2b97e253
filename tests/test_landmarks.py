"""The Landmarks container: contract validation, empty container, .npz round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hipform.errors import LandmarksError
from hipform.landmarks import LM, Landmarks


def _lm(t: int = 5, world: bool = True) -> Landmarks:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 600, (t, 33, 4)).astype(np.float32)
    x[2] = np.nan  # a frame with no person
    w = rng.normal(size=(t, 33, 3)).astype(np.float32) if world else None
    return Landmarks(x, np.arange(t) * 33, 640, 360, w, {"source": {"path": "a.mp4"}})


def test_shapes_are_validated() -> None:
    with pytest.raises(LandmarksError, match=r"\(T, 33, 4\)"):
        Landmarks(np.zeros((4, 32, 4)), np.arange(4), 10, 10)
    with pytest.raises(LandmarksError, match="t_ms"):
        Landmarks(np.zeros((4, 33, 4)), np.arange(3), 10, 10)
    with pytest.raises(LandmarksError, match="world"):
        Landmarks(np.zeros((4, 33, 4)), np.arange(4), 10, 10, np.zeros((4, 33, 2)))
    with pytest.raises(LandmarksError, match="frame size"):
        Landmarks(np.zeros((4, 33, 4)), np.arange(4), 0, 10)
    assert issubclass(LandmarksError, ValueError)


def test_dtypes_and_views() -> None:
    lm = _lm()
    assert lm.xyzv.dtype == np.float32 and lm.t_ms.dtype == np.int64
    assert lm.xy.shape == (5, 33, 2) and lm.visibility.shape == (5, 33)
    assert lm.detected.tolist() == [True, True, False, True, True]
    assert LM.LEFT_HIP == 23 and LM.RIGHT_FOOT_INDEX == 32


def test_empty_not_none() -> None:
    e = Landmarks.empty()
    assert len(e) == 0 and e.xyzv.shape == (0, 33, 4)


def test_npz_round_trip(tmp_path: Path) -> None:
    lm = _lm()
    p = tmp_path / "lm.npz"
    lm.save(p)
    back = Landmarks.load(p)
    np.testing.assert_array_equal(back.xyzv, lm.xyzv)
    np.testing.assert_array_equal(back.world, lm.world)
    np.testing.assert_array_equal(back.t_ms, lm.t_ms)
    assert (back.width, back.height, back.meta) == (640, 360, lm.meta)
    assert not list(tmp_path.glob("*.part"))


def test_npz_without_world(tmp_path: Path) -> None:
    p = tmp_path / "lm.npz"
    _lm(world=False).save(p)
    assert Landmarks.load(p).world is None


def test_bad_files_name_the_path(tmp_path: Path) -> None:
    with pytest.raises(LandmarksError, match="missing.npz"):
        Landmarks.load(tmp_path / "missing.npz")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"garbage")
    with pytest.raises(LandmarksError, match="junk.npz"):
        Landmarks.load(junk)
    other = tmp_path / "other.npz"
    np.savez(other, a=np.zeros(3))
    with pytest.raises(LandmarksError, match="not a hipform landmarks file"):
        Landmarks.load(other)


def test_slice_and_concatenate() -> None:
    lm = _lm(6)
    a, b = lm.slice(0, 2), lm.slice(2, 6)
    j = Landmarks.concatenate([a, b])
    np.testing.assert_array_equal(j.xyzv, lm.xyzv)
    np.testing.assert_array_equal(j.t_ms, lm.t_ms)
