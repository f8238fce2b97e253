"""`hipform samples`: writes the clip and its truth, deterministically."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest
from typer.testing import CliRunner

from hipform.cli import app
from hipform.synth.truth import load_truth


@pytest.mark.slow
def test_samples_only_one_clip(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["samples", "--out", str(tmp_path), "--only", "bridge_arching"])
    assert r.exit_code == 0, r.output
    video = tmp_path / "bridge_arching.mp4"
    truth = load_truth(tmp_path / "bridge_arching.truth.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bridge_arching.mp4",
                                                          "bridge_arching.truth.json"]
    cap = cv2.VideoCapture(str(video))
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    fps = cap.get(cv2.CAP_PROP_FPS)
    cap.release()
    assert (n, size, round(fps)) == (truth["n_frames"], (640, 480), 30)
    assert n / fps <= 10.0
    assert video.stat().st_size < 1_000_000
    assert truth["faults"] == ["lumbar_arch"] and truth["n_reps"] == 2
    # the same bytes as the bundled truth (generation is deterministic)
    bundled = Path(__file__).resolve().parents[2] / "sample_videos" / "bridge_arching.truth.json"
    if bundled.exists():
        assert load_truth(bundled)["reps"] == truth["reps"]


def test_samples_unknown_name(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["samples", "--out", str(tmp_path), "--only", "nope"])
    assert r.exit_code != 0
    assert "nope" in str(r.exception) + r.output
