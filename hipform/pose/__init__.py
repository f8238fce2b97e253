"""Pose estimation. Only :mod:`hipform.pose.mediapipe_estimator` imports mediapipe,
and only when an estimator is created (nothing heavy happens at import time)."""

from __future__ import annotations

import os
from typing import Any

from hipform.pose.base import FramePose, PoseEstimator, ReplayEstimator
from hipform.pose.models import (
    KNOWN_MODELS,
    ModelInfo,
    download_model,
    list_models,
    resolve_model,
    verify_bundle,
)


def open_estimator(model: str | os.PathLike[str] | ModelInfo | None = None, **kw: Any) -> Any:
    """Create the MediaPipe estimator (see MediaPipePoseEstimator for keyword options)."""
    from hipform.pose.mediapipe_estimator import MediaPipePoseEstimator

    return MediaPipePoseEstimator(model, **kw)


__all__ = [
    "KNOWN_MODELS",
    "FramePose",
    "ModelInfo",
    "PoseEstimator",
    "ReplayEstimator",
    "download_model",
    "list_models",
    "open_estimator",
    "resolve_model",
    "verify_bundle",
]
