"""NaN-aware planar (and 3-D) geometry helpers, in **pixel space**.

All angles are in degrees (float32 in, float32 out; float64 stays float64). Image
coordinates: x grows to the right, **y grows downward**. Never feed normalised (0..1)
coordinates: on a non-square frame normalised x and y have different scales and every
angle comes out wrong (see ``tests/core/test_geometry.py::test_16_9_frame``).

NaN in any input component gives NaN out; a zero-length vector also gives NaN (the
angle is undefined), never a silent 0.

Two flavours of each helper:

* vector form, arrays of shape ``(..., 2)`` (or ``(..., 3)`` for :func:`angle_between`);
* component form (``*_xy``), separate ``x`` / ``y`` arrays of any broadcastable shape;
  this is what the vectorised metric kernel uses (no stacking / temporaries).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "angle_between",
    "angle_between_xy",
    "signed_angle",
    "signed_angle_xy",
    "joint_angle",
    "deviation_from_straight",
    "height_tilt",
    "angle_from_vertical_xy",
]

_NAN = np.float32(np.nan)


def _defined(c: np.ndarray, d: np.ndarray, ang: np.ndarray) -> np.ndarray:
    """NaN where both cross and dot are 0 (a zero-length vector): the angle is undefined."""
    return np.where((c * c + d * d) > 0, ang, _NAN).astype(ang.dtype, copy=False)


def signed_angle_xy(ux, uy, vx, vy) -> np.ndarray:
    """Signed angle from vector u to vector v, degrees in (-180, 180].

    Args: component arrays (any broadcastable shapes), pixels.
    Returns: array of the broadcast shape. Sign: with image y growing downward, + means
    v is rotated **clockwise on screen** from u. NaN if u or v is zero or NaN.
    """
    c = ux * vy - uy * vx
    d = ux * vx + uy * vy
    return _defined(c, d, np.degrees(np.arctan2(c, d)))


def angle_between_xy(ux, uy, vx, vy) -> np.ndarray:
    """Unsigned angle between 2-D vectors u and v, degrees in [0, 180]; NaN if undefined."""
    c = ux * vy - uy * vx
    d = ux * vx + uy * vy
    return _defined(c, d, np.degrees(np.arctan2(np.abs(c), d)))


def signed_angle(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Signed angle from u to v; u, v: ``(..., 2)`` pixels. Returns ``(...)`` degrees,
    + = clockwise on screen (image y down). See :func:`signed_angle_xy`."""
    u = np.asarray(u)
    v = np.asarray(v)
    return signed_angle_xy(u[..., 0], u[..., 1], v[..., 0], v[..., 1])


def angle_between(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Unsigned angle between u and v, ``(..., 2)`` or ``(..., 3)``; ``(...)`` degrees
    in [0, 180], NaN if either vector is zero or has a NaN component.

    Uses ``atan2(|u x v|, u . v)``, accurate near 0 and 180 degrees (unlike ``acos``).
    """
    u = np.asarray(u)
    v = np.asarray(v)
    if u.shape[-1] == 2:
        return angle_between_xy(u[..., 0], u[..., 1], v[..., 0], v[..., 1])
    cr = np.cross(u, v)
    c = np.sqrt(np.sum(cr * cr, axis=-1))
    d = np.sum(u * v, axis=-1)
    return _defined(c, d, np.degrees(np.arctan2(c, d)))


def joint_angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Interior angle a-b-c at vertex b (degrees, [0, 180]; 180 = straight).

    a, b, c: ``(..., 2)`` or ``(..., 3)`` points. Returns ``(...)``.
    """
    a = np.asarray(a)
    b = np.asarray(b)
    c = np.asarray(c)
    return angle_between(a - b, c - b)


def deviation_from_straight(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``180 - joint_angle(a, b, c)``: 0 when a, b, c are collinear (a straight limb).

    Equals the unsigned angle between the a->b and b->c lines.
    """
    a = np.asarray(a)
    b = np.asarray(b)
    c = np.asarray(c)
    return angle_between(b - a, c - b)


def height_tilt(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Tilt of the line p-q from the image horizontal, degrees in [-90, 90].

    + = p is **lower** in the image than q (larger y; image y grows downward),
    whichever of the two is on the left. p, q: ``(..., 2)`` pixels.
    """
    p = np.asarray(p)
    q = np.asarray(q)
    dy = p[..., 1] - q[..., 1]
    dx = np.abs(q[..., 0] - p[..., 0])
    return _defined(dy, dx, np.degrees(np.arctan2(dy, dx)))


def angle_from_vertical_xy(vx, vy, toward_x) -> np.ndarray:
    """Signed angle of vector v from image-up (0, -1), degrees in (-180, 180].

    ``toward_x`` (+1 / -1 per element, or NaN when undefined) says which image-x
    direction counts as positive: + = v leans toward ``toward_x``.
    """
    return _defined(vx, vy, np.degrees(np.arctan2(vx * toward_x, -vy)))
