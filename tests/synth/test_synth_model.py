"""The real pose model on the bundled synthetic clips: the figure is detected and the
landmarks land on its joints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hipform.landmarks import LM
from hipform.synth.samples import SAMPLES
from hipform.synth.truth import load_truth

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIR = ROOT / "sample_videos"
MODEL = ROOT / "models" / "pose_landmarker_full.task"
LEG = [LM.LEFT_HIP, LM.RIGHT_HIP, LM.LEFT_KNEE, LM.RIGHT_KNEE, LM.LEFT_ANKLE, LM.RIGHT_ANKLE]


def _run_model(video: Path, t_ms: list[int]) -> np.ndarray:
    """float32 (T, 33, 4) estimated landmarks (NaN rows where nobody was found)."""
    import cv2

    from hipform.pose import open_estimator

    cap = cv2.VideoCapture(str(video))
    out = []
    est = open_estimator(MODEL, num_poses=1)
    try:
        for t in t_ms:
            ok, img = cap.read()
            if not ok:
                break
            xyzv, _ = est.process(img, int(t))
            out.append(xyzv)
    finally:
        est.close()
        cap.release()
    return np.asarray(out, np.float32)


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_model_finds_figure_and_its_joints(name: str) -> None:
    video = SAMPLE_DIR / f"{name}.mp4"
    if not video.exists() or not MODEL.exists():
        pytest.skip(f"needs {video.name} and {MODEL.name}")
    truth = load_truth(SAMPLE_DIR / f"{name}.truth.json")
    est = _run_model(video, truth["frames"]["t_ms"])
    assert len(est) == truth["n_frames"]
    found = np.isfinite(est[:, 0, 0])
    rate = found.mean()
    gt = np.asarray(truth["frames"]["landmarks_2d"], np.float32)
    err = np.linalg.norm(est[found][:, LEG, :2] - gt[found][:, LEG], axis=-1)
    mean_px = float(err.mean())
    print(f"{name}: detected {found.sum()}/{len(found)} frames ({rate:.1%}); "
          f"hip/knee/ankle 2-D error mean {mean_px:.1f} px, p95 {np.percentile(err, 95):.1f} px")
    assert rate >= 0.98
    assert mean_px < 10.0
