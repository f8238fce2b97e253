"""MediaPipe Tasks PoseLandmarker: the ONLY module in hipform that imports mediapipe.

Follows one person consistently when several are in view. With ``num_poses=1`` (the
default, and the fastest: ~18 ms a frame here against ~34 ms for 2) MediaPipe's own
region-of-interest tracking keeps the person it first detected (the most confident
detection, in practice the largest/nearest). With ``num_poses>=2`` hipform chooses: the
target is picked on the first frame with a detection (``person="largest"``, or
``"leftmost"`` / ``"rightmost"``), then each frame takes the detection whose bounding box
overlaps the last known box most (IoU), falling back to the nearest centre. If the
target is lost for longer than ``reacquire_ms`` it is chosen again by the same rule.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from typing import Literal

import numpy as np

from hipform.errors import ModelError
from hipform.pose.base import NAN_XYZV, FramePose
from hipform.pose.models import ModelInfo, resolve_model

Mode = Literal["video", "image", "live"]
Person = Literal["largest", "leftmost", "rightmost"]


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[list[str]]:
    """Silence what the native LiteRT/MediaPipe code writes straight to fd 2 (INFO lines
    at every model load and unload) unless HIPFORM_DEBUG is set. Yields a list that
    receives the captured text, for error messages."""
    captured: list[str] = []
    if os.environ.get("HIPFORM_DEBUG"):
        yield captured
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except OSError:  # no real fd 2 (embedded interpreters)
        yield captured
        return
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            captured.append(tmp.read().decode(errors="replace"))


def _bbox(xy: np.ndarray) -> np.ndarray:
    """(33, 2) pixels -> [x0, y0, x1, y1] of the finite points."""
    return np.array([xy[:, 0].min(), xy[:, 1].min(), xy[:, 0].max(), xy[:, 1].max()])


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


class MediaPipePoseEstimator:
    """PoseLandmarker in VIDEO (files), IMAGE or LIVE (webcam) use.

    ``live`` runs the VIDEO running mode synchronously on each captured frame (the
    capture thread drops frames when the model is behind, see hipform.video), which
    gives the same tracking as VIDEO with no callback plumbing.
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | ModelInfo | None = None,
        *,
        mode: Mode = "video",
        num_poses: int = 1,
        person: Person = "largest",
        min_detection_confidence: float = 0.5,
        min_presence_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        reacquire_ms: int = 1000,
        threads: int | None = None,
    ) -> None:
        os.environ.setdefault("GLOG_minloglevel", "2")
        info = model if isinstance(model, ModelInfo) else resolve_model(model)
        self.info = info
        self.name = info.name
        self.sha256 = info.sha256
        self.mode = mode
        self.person = person
        self.reacquire_ms = reacquire_ms
        self._last_box: np.ndarray | None = None
        self._last_seen_ms: int | None = None
        self._last_t: int | None = None
        try:
            import mediapipe as mp
            from mediapipe.tasks.python import BaseOptions, vision
        except ImportError as e:  # pragma: no cover - dependency missing
            raise ModelError(f"mediapipe is not installed ({e})") from e
        import cv2

        self._mp = mp
        self._cv2 = cv2
        running = vision.RunningMode.IMAGE if mode == "image" else vision.RunningMode.VIDEO
        opts = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(info.path)),
            running_mode=running,
            num_poses=num_poses,
            min_pose_detection_confidence=min_detection_confidence,
            min_pose_presence_confidence=min_presence_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )
        self._quiet_fds: tuple[int, int] | None = None
        if not os.environ.get("HIPFORM_DEBUG"):
            try:
                self._quiet_fds = (os.open(os.devnull, os.O_WRONLY), os.dup(2))
            except OSError:
                self._quiet_fds = None
        try:
            with quiet_native_stderr():
                self._lmk = vision.PoseLandmarker.create_from_options(opts)
        except Exception as e:  # noqa: BLE001 - mediapipe raises plain RuntimeError
            raise ModelError(f"{info.path}: mediapipe cannot load this bundle ({e})") from e

    # ---------------------------------------------------------------- tracking
    def _choose(self, cands: list[np.ndarray], t_ms: int) -> int | None:
        if not cands:
            return None
        boxes = [_bbox(c[:, :2]) for c in cands]
        lost = (
            self._last_box is None
            or self._last_seen_ms is None
            or t_ms - self._last_seen_ms > self.reacquire_ms
        )
        if not lost and self._last_box is not None:
            ious = [_iou(b, self._last_box) for b in boxes]
            k = int(np.argmax(ious))
            if ious[k] > 0.05:
                return k
            last_c = (self._last_box[:2] + self._last_box[2:]) / 2
            lb = self._last_box
            size = max(lb[2] - lb[0], lb[3] - lb[1])
            d = [np.linalg.norm((b[:2] + b[2:]) / 2 - last_c) for b in boxes]
            k = int(np.argmin(d))
            return k if d[k] < 0.5 * size else None
        if self.person == "leftmost":
            return int(np.argmin([b[0] + b[2] for b in boxes]))
        if self.person == "rightmost":
            return int(np.argmax([b[0] + b[2] for b in boxes]))
        return int(np.argmax([(b[2] - b[0]) * (b[3] - b[1]) for b in boxes]))

    # ---------------------------------------------------------------- inference
    def process(self, bgr: np.ndarray, t_ms: int) -> FramePose:
        """BGR uint8 (H, W, 3) + timestamp ms -> (xyzv (33,4) px, world (33,3) m | None)."""
        h, w = bgr.shape[:2]
        rgb = self._cv2.cvtColor(bgr, self._cv2.COLOR_BGR2RGB)
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb)
        t = int(t_ms)
        if self._last_t is not None and t <= self._last_t:
            t = self._last_t + 1  # VIDEO mode needs strictly increasing timestamps
        self._last_t = t
        res = self._detect_quietly(image, t)
        cands = []
        for pose in res.pose_landmarks:
            a = np.array(
                [(p.x * w, p.y * h, p.z * w, p.visibility if p.visibility is not None else 1.0)
                 for p in pose],
                dtype=np.float32,
            )
            cands.append(a)
        k = self._choose(cands, int(t_ms))
        if k is None:
            return NAN_XYZV.copy(), None
        self._last_box = _bbox(cands[k][:, :2])
        self._last_seen_ms = int(t_ms)
        world = None
        if res.pose_world_landmarks and k < len(res.pose_world_landmarks):
            world = np.array([(p.x, p.y, p.z) for p in res.pose_world_landmarks[k]], np.float32)
        return cands[k], world

    def _detect_quietly(self, image, t: int):  # noqa: ANN001, ANN202
        """Inference with fd 2 pointed at /dev/null: the native graph logs warnings
        (delegate creation, ROI projection) from inside inference calls, which would
        break the CLI's one-line messages. Two dup2 calls cost microseconds."""
        if self._quiet_fds is None:
            return self._detect(image, t)
        devnull, saved = self._quiet_fds
        sys.stderr.flush()
        os.dup2(devnull, 2)
        try:
            return self._detect(image, t)
        finally:
            os.dup2(saved, 2)

    def _detect(self, image, t: int):  # noqa: ANN001, ANN202
        if self.mode == "image":
            return self._lmk.detect(image)
        return self._lmk.detect_for_video(image, t)

    def close(self) -> None:
        lmk = getattr(self, "_lmk", None)
        if lmk is not None:
            self._lmk = None
            with quiet_native_stderr():
                lmk.close()
        fds = getattr(self, "_quiet_fds", None)
        if fds is not None:
            self._quiet_fds = None
            for fd in fds:
                os.close(fd)

    def __enter__(self) -> MediaPipePoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:  # mediapipe's own __del__ fails at interpreter exit
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass
