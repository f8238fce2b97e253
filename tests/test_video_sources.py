"""Frame sources: container timestamps, image folders, and every bad-input case."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hipform.errors import (
    EmptyVideoError,
    HipformError,
    NotAVideoError,
    TruncatedVideoError,
    VideoNotFoundError,
    VideoOpenError,
)
from hipform.video import ImageFolderSource, VideoFileSource, open_source
from tests.helpers import make_video


def test_timestamps_come_from_the_container(tmp_path: Path) -> None:
    v = make_video(tmp_path / "v25.avi", 20, fps=25)
    frames = list(VideoFileSource(v))
    assert [f.index for f in frames] == list(range(20))
    assert [f.t_ms for f in frames] == [40 * i for i in range(20)]
    assert frames[0].bgr.shape == (120, 160, 3) and frames[0].bgr.dtype == np.uint8


def test_timestamps_follow_a_different_rate(tmp_path: Path) -> None:
    v = make_video(tmp_path / "v10.mp4", 5, fps=10)
    assert [f.t_ms for f in VideoFileSource(v)] == [0, 100, 200, 300, 400]


def test_info(tiny_video: Path) -> None:
    s = VideoFileSource(tiny_video)
    n = sum(1 for _ in s)
    assert n == 50
    assert s.info == {"path": str(tiny_video), "fps": 25.0, "frames": 50, "width": 160,
                      "height": 120, "frames_lost": 0}


def test_missing_file(tmp_path: Path) -> None:
    p = tmp_path / "nope.mp4"
    with pytest.raises(VideoNotFoundError, match="nope.mp4") as ei:
        open_source(p)
    assert isinstance(ei.value, FileNotFoundError)
    assert isinstance(ei.value, HipformError)


def test_not_a_video(tmp_path: Path) -> None:
    p = tmp_path / "notes.mp4"
    p.write_text("this is not a video\n" * 50)
    with pytest.raises(NotAVideoError, match="notes.mp4") as ei:
        open_source(p)
    assert isinstance(ei.value, OSError)


def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.mp4"
    p.write_bytes(b"")
    with pytest.raises(EmptyVideoError, match="empty.mp4"):
        open_source(p)


def test_zero_frame_video(tmp_path: Path) -> None:
    p = make_video(tmp_path / "zero.avi", 0)
    assert p.stat().st_size > 0
    with pytest.raises(EmptyVideoError, match="zero.avi"):
        open_source(p)  # found at open, before any model is loaded


def test_truncated_video_keeps_decoded_frames_and_counts_losses(tmp_path: Path) -> None:
    full = make_video(tmp_path / "full.avi", 50)
    data = full.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])
    src = VideoFileSource(cut)
    frames = list(src)
    assert 5 < len(frames) < 50
    assert src.frames_lost == 50 - len(frames)
    assert src.info["frames_lost"] == src.frames_lost
    # frames that decoded are the real first frames, in order, with their timestamps
    assert [f.t_ms for f in frames] == [40 * i for i in range(len(frames))]
    strict = VideoFileSource(cut, strict=True)
    with pytest.raises(TruncatedVideoError, match="cut.avi") as ei:
        list(strict)
    assert ei.value.frames_read == len(frames) and ei.value.frames_lost == 50 - len(frames)


def test_truncated_mp4_without_index_is_not_decodable(tmp_path: Path) -> None:
    full = make_video(tmp_path / "full.mp4", 30)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(full.read_bytes()[:2000])
    with pytest.raises(NotAVideoError, match="cut.mp4"):
        open_source(cut)


def test_image_folder_natural_order_and_fps(tmp_path: Path) -> None:
    import cv2

    d = tmp_path / "imgs"
    d.mkdir()
    for i in (1, 2, 10):
        img = np.full((40, 60, 3), i, np.uint8)
        cv2.imwrite(str(d / f"frame_{i}.png"), img)
    (d / "readme.txt").write_text("not an image")
    src = open_source(d, fps=10)
    assert isinstance(src, ImageFolderSource)
    frames = list(src)
    assert [int(f.bgr[0, 0, 0]) for f in frames] == [1, 2, 10]
    assert [f.t_ms for f in frames] == [0, 100, 200]
    assert src.info["width"] == 60 and src.info["height"] == 40


def test_empty_image_folder(tmp_path: Path) -> None:
    d = tmp_path / "none"
    d.mkdir()
    with pytest.raises(EmptyVideoError, match="none"):
        open_source(d)


def test_single_image_is_refused(tmp_path: Path) -> None:
    import cv2

    p = tmp_path / "one.png"
    cv2.imwrite(str(p), np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(NotAVideoError, match="one.png"):
        open_source(p)


def test_all_errors_are_video_open_errors() -> None:
    for cls in (VideoNotFoundError, NotAVideoError, EmptyVideoError, TruncatedVideoError):
        assert issubclass(cls, VideoOpenError) and issubclass(cls, OSError)


def test_single_thread_decoding_gives_the_same_frames() -> None:
    """The offline reader decodes with one FFmpeg thread (less CPU, the other core left
    to the model): the same frames and timestamps as FFmpeg's default threading."""
    from tests.conftest import SAMPLES

    clip = SAMPLES / "sls_faulty.mp4"
    a = list(VideoFileSource(clip))
    b = list(open_source(clip, threads=1))
    assert len(a) == len(b) > 100
    for fa, fb in zip(a, b, strict=True):
        assert fa.t_ms == fb.t_ms
        np.testing.assert_array_equal(fa.bgr, fb.bgr)
