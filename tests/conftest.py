"""Shared fixtures: repository paths and tiny generated videos (no big data)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import make_video

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos"
REAL_SAMPLE = SAMPLES / "real_sports2d_demo.mp4"
ARTIFACTS = ROOT / "test-artifacts"

os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
os.environ.setdefault("GLOG_minloglevel", "2")


@pytest.fixture
def tiny_video(tmp_path: Path) -> Path:
    return make_video(tmp_path / "tiny.avi", 50)


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
