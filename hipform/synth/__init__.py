"""Synthetic movement studio: rendered people-like figures performing glute bridges,
step-downs and single-leg squats with faults of known size, plus ground truth.

numpy/OpenCV only. Typical use::

    from hipform.synth import ClipSpec, MotionParams, write_clip
    write_clip(ClipSpec("demo", MotionParams("single_leg_squat", valgus=15)), "out/")
"""

from __future__ import annotations

from hipform.synth.body import BodyShape, Outfit, Skeleton
from hipform.synth.camera import Camera
from hipform.synth.clip import ClipRenderer, ClipSpec, camera_for, write_clip
from hipform.synth.motion import EXERCISES, Motion, MotionParams, generate
from hipform.synth.render import Renderer, Scene
from hipform.synth.truth import (
    SCHEMA,
    build_truth,
    load_truth,
    true_landmarks,
    truth_landmarks,
    write_truth,
)

__all__ = [
    "EXERCISES",
    "SCHEMA",
    "BodyShape",
    "Camera",
    "ClipRenderer",
    "ClipSpec",
    "Motion",
    "MotionParams",
    "Outfit",
    "Renderer",
    "Scene",
    "Skeleton",
    "build_truth",
    "camera_for",
    "generate",
    "load_truth",
    "true_landmarks",
    "truth_landmarks",
    "write_clip",
    "write_truth",
]
