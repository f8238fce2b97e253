"""Fixtures of the batch tests: small clip folders (good, corrupt, empty, not a video)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.helpers import make_video

ROOT = Path(__file__).resolve().parents[2]
FAKE = ["--analyze-fn", "tests.batch.fakes:fake_analyze",
        "--estimator-fn", "tests.batch.fakes:open_fake_estimator"]


def add_bad_files(folder: Path) -> dict[str, str]:
    """A corrupt file, an empty file and a text file, all with video suffixes.
    Returns {relative path: expected error type}."""
    (folder / "bad").mkdir(exist_ok=True)
    (folder / "bad" / "corrupt.mp4").write_bytes(bytes(range(256)) * 64)
    (folder / "bad" / "empty.mp4").write_bytes(b"")
    (folder / "bad" / "notes.mov").write_text("this is not a video\n" * 20)
    return {"bad/corrupt.mp4": "NotAVideoError", "bad/empty.mp4": "EmptyVideoError",
            "bad/notes.mov": "NotAVideoError"}


@pytest.fixture
def clip_folder(tmp_path: Path) -> Path:
    """Six tiny generated clips in two subfolders (content differs per clip)."""
    d = tmp_path / "clips"
    for sub, n in (("s1", 3), ("s2", 3)):
        (d / sub).mkdir(parents=True)
        for i in range(n):
            make_video(d / sub / f"c{i}.avi", 12 + 5 * i + (sub == "s2"))
    return d


def cli_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def hipform_cmd() -> list[str]:
    return [sys.executable, "-m", "hipform.cli"]
