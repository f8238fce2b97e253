"""Pinhole camera for the synthetic studio.

World frame: metres, +y up, floor at y = 0. Camera frame (OpenCV): +x right, +y down,
+z forward (depth). A camera with yaw = pitch = roll = 0 looks along world -z, with
world +x on the image right.

Angles (degrees): ``yaw`` turns the camera about world +y (positive = counter-clockwise
seen from above, i.e. the view swings toward world -x); ``pitch`` positive looks up;
``roll`` positive turns the image clockwise about the optical axis as seen by the viewer
(the camera's +x axis toward its +y).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hipform.synth.body import rot_x, rot_y, rot_z

#: Columns: camera +x, +y, +z expressed in world axes for yaw = pitch = roll = 0.
_C0 = np.array([[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]]).T


@dataclass(frozen=True)
class Camera:
    """A pinhole camera.

    Attributes:
        position: world position of the optical centre, metres, tuple of 3 floats
            (its y is the camera height above the floor).
        yaw, pitch, roll: orientation in degrees (see module docstring).
        focal_px: focal length in pixels (square pixels, no skew, no distortion).
        width, height: image size in pixels; the principal point is the image centre.
    """

    position: tuple[float, float, float] = (0.0, 1.0, 3.2)
    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    focal_px: float = 560.0
    width: int = 640
    height: int = 480

    # ------------------------------------------------------------------ construction
    @classmethod
    def look_at(
        cls,
        eye: tuple[float, float, float],
        target: tuple[float, float, float],
        *,
        roll: float = 0.0,
        focal_px: float = 560.0,
        width: int = 640,
        height: int = 480,
    ) -> Camera:
        """A camera at ``eye`` (metres) aimed at ``target`` (metres)."""
        d = np.asarray(target, float) - np.asarray(eye, float)
        yaw = math.degrees(math.atan2(-d[0], -d[2]))
        pitch = math.degrees(math.atan2(d[1], math.hypot(d[0], d[2])))
        pos = (float(eye[0]), float(eye[1]), float(eye[2]))
        return cls(pos, yaw, pitch, roll, focal_px, width, height)

    @classmethod
    def orbit(
        cls,
        target: tuple[float, float, float],
        distance: float,
        cam_height: float,
        azimuth: float = 0.0,
        *,
        roll: float = 0.0,
        focal_px: float = 560.0,
        width: int = 640,
        height: int = 480,
    ) -> Camera:
        """A camera on a circle around ``target`` looking at it.

        ``azimuth`` (degrees) 0 puts the camera on world +z of the target (in front of a
        subject facing +z); positive moves it toward world +x (the subject's left).
        ``distance`` is the horizontal distance in metres, ``cam_height`` the camera height
        above the floor in metres; ``width``/``height`` the image size in pixels.
        """
        a = math.radians(azimuth)
        eye = (
            target[0] + distance * math.sin(a),
            cam_height,
            target[2] + distance * math.cos(a),
        )
        return cls.look_at(eye, target, roll=roll, focal_px=focal_px, width=width,
                           height=height)

    # ------------------------------------------------------------------ geometry
    @property
    def rotation(self) -> np.ndarray:
        """float64 (3, 3) camera-to-world rotation; columns are the camera axes in world."""
        return (
            rot_y(math.radians(self.yaw))
            @ rot_x(math.radians(self.pitch))
            @ _C0
            @ rot_z(math.radians(self.roll))
        )

    @property
    def center(self) -> np.ndarray:
        """float64 (3,) optical centre in world metres."""
        return np.asarray(self.position, dtype=np.float64)

    @property
    def principal_point(self) -> tuple[float, float]:
        """(cx, cy) in pixels: the image centre."""
        return self.width / 2.0, self.height / 2.0

    def to_camera(self, pts: np.ndarray) -> np.ndarray:
        """World points (..., 3) metres -> camera-frame points (..., 3) metres (float64)."""
        p = np.asarray(pts, dtype=np.float64) - self.center
        return p @ self.rotation  # == (R^T p^T)^T

    def project(self, pts: np.ndarray) -> np.ndarray:
        """World points (..., 3) metres -> (..., 3) float64: u, v pixels and depth z metres.

        u = f x / z + cx, v = f y / z + cy with (x, y, z) in the camera frame. Points
        behind the camera (z <= 0) come out as NaN.
        """
        pc = self.to_camera(pts)
        z = pc[..., 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            zz = np.where(z > 1e-6, z, np.nan)
            cx, cy = self.principal_point
            u = self.focal_px * pc[..., 0] / zz + cx
            v = self.focal_px * pc[..., 1] / zz + cy
        return np.stack([u, v, zz], axis=-1)

    def pixel_rays(self) -> np.ndarray:
        """float32 (H, W, 3) camera-frame ray directions through pixel centres, with z = 1.

        A point at parameter t along a ray is at depth t, so ray parameters are depths.
        """
        cx, cy = self.principal_point
        u = (np.arange(self.width, dtype=np.float32) + 0.5 - cx) / self.focal_px
        v = (np.arange(self.height, dtype=np.float32) + 0.5 - cy) / self.focal_px
        d = np.empty((self.height, self.width, 3), np.float32)
        d[..., 0] = u[None, :]
        d[..., 1] = v[:, None]
        d[..., 2] = 1.0
        return d

    def to_dict(self) -> dict:
        """JSON-friendly description."""
        return {
            "position": [round(float(v), 4) for v in self.position],
            "yaw": round(self.yaw, 3),
            "pitch": round(self.pitch, 3),
            "roll": round(self.roll, 3),
            "focal_px": round(self.focal_px, 3),
            "width": self.width,
            "height": self.height,
        }
