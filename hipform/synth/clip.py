"""A synthetic clip: motion + body + camera + scene -> frames, mp4 and truth file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from hipform.synth.body import BodyShape, primitives
from hipform.synth.camera import Camera
from hipform.synth.motion import Motion, MotionParams, focus_for, generate
from hipform.synth.render import Renderer, Scene
from hipform.synth.truth import build_truth, write_truth

#: Shadow casters (joint names) for the soft contact shadows.
_SHADOW_JOINTS = ("l_heel", "r_heel", "l_toe", "r_toe", "l_ankle", "r_ankle", "pelvis",
                  "l_knee", "r_knee")


@dataclass(frozen=True)
class ClipSpec:
    """Everything that defines one synthetic clip.

    Attributes:
        name: file stem (``<name>.mp4``, ``<name>.truth.json``).
        motion: the movement.
        body: body proportions and outfit.
        yaw: camera azimuth around the subject, degrees (0 = the exercise's own view:
            straight in front for standing exercises, straight side-on for the bridge).
        distance, cam_height: camera distance (horizontal, m) and height (m); None = the
            exercise default.
        roll: camera roll, degrees.
        focal_px: focal length in pixels; width, height: frame size.
        scene: colours of the room (box/mat/focus come from the motion).
    """

    name: str
    motion: MotionParams
    body: BodyShape = field(default_factory=BodyShape)
    yaw: float = 0.0
    distance: float | None = None
    cam_height: float | None = None
    roll: float = 0.0
    focal_px: float = 560.0
    width: int = 640
    height: int = 480
    scene: Scene = field(default_factory=Scene)


def camera_for(m: Motion, spec: ClipSpec) -> Camera:
    """The camera of ``spec`` aimed at the motion's focus point."""
    return _camera(m.scene.get("focus", (0.0, 0.9, 0.0)), m.view, spec)


def _camera(focus: tuple[float, float, float], view: str, spec: ClipSpec) -> Camera:
    fx, fy, fz = focus
    if view == "sagittal":
        dist = spec.distance or 2.35
        hgt = spec.cam_height if spec.cam_height is not None else 0.75
    else:
        dist = spec.distance or 2.9
        hgt = spec.cam_height if spec.cam_height is not None else 1.0 + (fy - 0.85)
    return Camera.orbit((fx, fy, fz), dist, hgt, spec.yaw, roll=spec.roll,
                        focal_px=spec.focal_px, width=spec.width, height=spec.height)


def scene_for(m: Motion, spec: ClipSpec) -> Scene:
    """The spec's room with the motion's props (step box, mat) and focus point."""
    return replace(spec.scene, **m.scene)


class ClipRenderer:
    """Renders the frames of one clip (lazily) and builds its truth."""

    def __init__(self, spec: ClipSpec) -> None:
        self.spec = spec
        calib = None
        if spec.motion.exercise != "bridge":
            # valgus is calibrated in the image of the same camera placed straight in front
            calib = _camera(focus_for(spec.motion), "frontal", replace(spec, yaw=0.0, roll=0.0))
        self.motion = generate(spec.motion, spec.body, calib)
        self.camera = camera_for(self.motion, spec)
        self.renderer = Renderer(self.camera, scene_for(self.motion, spec))

    def __len__(self) -> int:
        return len(self.motion)

    def frame(self, i: int) -> np.ndarray:
        """uint8 (H, W, 3) BGR frame ``i``."""
        sk = self.motion.skeleton
        from hipform.synth.body import J

        shadows = sk.joints[i, [J[n] for n in _SHADOW_JOINTS]]
        return self.renderer.render(primitives(sk, i, self.motion.shape), shadows)

    def frames(self) -> Iterator[np.ndarray]:
        for i in range(len(self)):
            yield self.frame(i)

    def truth(self, *, with_metrics: bool = True) -> dict:
        return build_truth(self.motion, self.camera, self.spec.name + ".mp4",
                           with_metrics=with_metrics)


def write_clip(spec: ClipSpec, out_dir: str | Path, *, truth: bool = True,
               with_metrics: bool = True,
               on_frame: Callable[[int, int], None] | None = None) -> tuple[Path, Path | None]:
    """Render ``spec`` to ``out_dir/<name>.mp4`` (+ ``<name>.truth.json``).

    Both files are written atomically. ``on_frame(i, n)`` is called after each frame.

    Returns:
        (video path, truth path or None).
    """
    from hipform.errors import OutputError
    from hipform.video.writer import VideoSink

    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{out_dir}: cannot create output folder ({e})") from e
    cr = ClipRenderer(spec)
    video = out_dir / f"{spec.name}.mp4"
    sink = VideoSink(video, spec.motion.fps, (spec.width, spec.height))
    n = len(cr)
    try:
        for i in range(n):
            sink.write(cr.frame(i))
            if on_frame is not None:
                on_frame(i, n)
    except BaseException:
        sink.abort()
        raise
    sink.close()
    tpath = None
    if truth:
        tpath = out_dir / f"{spec.name}.truth.json"
        write_truth(cr.truth(with_metrics=with_metrics), tpath)
    return video, tpath
