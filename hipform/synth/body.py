"""Articulated human figure: proportions, clothing, skeleton poses and shape primitives.

Body-local axes (used for every segment frame): +x = the subject's LEFT, +y = up
(toward the head), +z = forward (anterior). Frames are float64 (3, 3) rotation
matrices whose columns are those axes in world coordinates.

A :class:`Skeleton` holds T frames of joint centres (world metres) and segment frames;
:func:`primitives` turns one frame into shaded capsules and ellipsoids for the
renderer.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

#: Joint names, in the order of ``Skeleton.joints[:, k]``.
JOINTS: tuple[str, ...] = (
    "pelvis", "l_hip", "r_hip", "waist", "neck",
    "l_shoulder", "r_shoulder", "l_elbow", "r_elbow", "l_wrist", "r_wrist",
    "head",
    "l_knee", "r_knee", "l_ankle", "r_ankle", "l_heel", "r_heel", "l_toe", "r_toe",
)
J = {n: i for i, n in enumerate(JOINTS)}

#: Segment frames held by a skeleton.
FRAMES: tuple[str, ...] = ("pelvis", "abdomen", "thorax", "head", "l_foot", "r_foot")
F = {n: i for i, n in enumerate(FRAMES)}

Color = tuple[int, int, int]  # BGR 0..255


@dataclass(frozen=True)
class Outfit:
    """Colours (BGR uint8 triples) of skin, clothing, hair and shoes."""

    skin: Color = (140, 170, 215)
    shirt: Color = (170, 80, 30)      # blue top
    shorts: Color = (40, 40, 45)      # dark shorts
    waistband: Color = (200, 200, 200)
    shoes: Color = (235, 235, 235)
    hair: Color = (30, 40, 60)
    socks: Color = (230, 230, 230)
    lips: Color = (90, 90, 170)
    eyes: Color = (40, 30, 30)


@dataclass(frozen=True)
class BodyShape:
    """Body proportions. Lengths scale with ``height_m``; ``girth`` scales widths/radii.

    Ratios follow Drillis & Contini style anthropometry (segment length / stature).
    """

    height_m: float = 1.72
    girth: float = 1.0
    shoulder_width: float = 1.0   # multiplier on the shoulder-joint spacing
    hip_width: float = 1.0        # multiplier on the hip-joint spacing
    outfit: Outfit = field(default_factory=Outfit)

    # lengths (metres)
    @property
    def thigh(self) -> float:
        return 0.245 * self.height_m

    @property
    def shank(self) -> float:
        return 0.246 * self.height_m

    @property
    def ankle_h(self) -> float:
        """Ankle joint centre height above the sole."""
        return 0.039 * self.height_m

    @property
    def foot_len(self) -> float:
        return 0.150 * self.height_m

    @property
    def hip_half(self) -> float:
        """Half the distance between the hip joint centres."""
        return 0.052 * self.height_m * self.hip_width

    @property
    def shoulder_half(self) -> float:
        return 0.105 * self.height_m * self.shoulder_width

    @property
    def lumbar(self) -> float:
        """Hip-centre to waist (lumbar segment)."""
        return 0.125 * self.height_m

    @property
    def thoracic(self) -> float:
        """Waist to neck base."""
        return 0.205 * self.height_m

    @property
    def upper_arm(self) -> float:
        return 0.180 * self.height_m

    @property
    def forearm(self) -> float:
        return 0.150 * self.height_m

    @property
    def leg(self) -> float:
        """Hip joint centre to sole, straight leg."""
        return self.thigh + self.shank + self.ankle_h

    def scaled(self, s: float) -> float:
        """A radius ``s`` (metres, for a 1.72 m figure) scaled to this body and girth."""
        return s * self.height_m / 1.72 * self.girth


def rot_x(a: np.ndarray | float) -> np.ndarray:
    """(…, 3, 3) rotation about +x by ``a`` radians (positive tilts +y toward +z)."""
    a = np.asarray(a, float)
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([o, z, z], -1), np.stack([z, c, -s], -1),
                     np.stack([z, s, c], -1)], -2)


def rot_y(a: np.ndarray | float) -> np.ndarray:
    """(…, 3, 3) rotation about +y by ``a`` radians (positive turns +z toward +x)."""
    a = np.asarray(a, float)
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1),
                     np.stack([-s, z, c], -1)], -2)


def rot_z(a: np.ndarray | float) -> np.ndarray:
    """(…, 3, 3) rotation about +z by ``a`` radians (positive turns +x toward +y)."""
    a = np.asarray(a, float)
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, -s, z], -1), np.stack([s, c, z], -1),
                     np.stack([z, z, o], -1)], -2)


def frame_from(up: np.ndarray, left_hint: np.ndarray) -> np.ndarray:
    """(…, 3, 3) frame with +y along ``up`` and +x as close as possible to ``left_hint``."""
    y = up / np.linalg.norm(up, axis=-1, keepdims=True)
    x = left_hint - np.sum(left_hint * y, -1, keepdims=True) * y
    x = x / np.linalg.norm(x, axis=-1, keepdims=True)
    z = np.cross(x, y)
    return np.stack([x, y, z], axis=-1)


def two_bone_ik(root: np.ndarray, target: np.ndarray, l1: float, l2: float,
                pole: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Analytic two-bone IK, vectorised over leading axes.

    Args:
        root, target: (…, 3) metres. pole: (…, 3) direction the middle joint bends toward.
        l1, l2: bone lengths (metres).

    Returns:
        (mid, end): (…, 3) metres. ``end`` equals ``target`` unless out of reach.
    """
    d_vec = target - root
    d = np.linalg.norm(d_vec, axis=-1, keepdims=True)
    u = d_vec / np.maximum(d, 1e-9)
    d = np.clip(d, abs(l1 - l2) + 1e-4, l1 + l2 - 1e-6)
    a = (l1 * l1 - l2 * l2 + d * d) / (2 * d)
    h = np.sqrt(np.maximum(l1 * l1 - a * a, 0.0))
    p = pole - np.sum(pole * u, -1, keepdims=True) * u
    p = p / np.maximum(np.linalg.norm(p, axis=-1, keepdims=True), 1e-9)
    mid = root + a * u + h * p
    end = root + d * u
    return mid, end


@dataclass
class Skeleton:
    """T frames of a figure.

    Attributes:
        joints: float64 (T, len(JOINTS), 3) world metres, order :data:`JOINTS`.
        frames: float64 (T, len(FRAMES), 3, 3) segment frames, order :data:`FRAMES`.
    """

    joints: np.ndarray
    frames: np.ndarray

    def __len__(self) -> int:
        return int(self.joints.shape[0])

    def j(self, name: str) -> np.ndarray:
        """(T, 3) trajectory of one joint."""
        return self.joints[:, J[name]]

    def fr(self, name: str) -> np.ndarray:
        """(T, 3, 3) one segment frame."""
        return self.frames[:, F[name]]


# --------------------------------------------------------------------------- primitives
@dataclass(frozen=True)
class Capsule:
    """Segment a-b (world metres, (3,)) swept by a sphere of radius r (metres)."""

    a: np.ndarray
    b: np.ndarray
    r: float
    color: Color


@dataclass(frozen=True)
class Ellipsoid:
    """Ellipsoid with centre c (3,), frame R (3, 3) (columns = axes), radii (3,) metres."""

    c: np.ndarray
    R: np.ndarray
    radii: tuple[float, float, float]
    color: Color


Primitive = Capsule | Ellipsoid


def _mix(c1: Color, c2: Color, w: float) -> Color:
    return tuple(int(round(a * (1 - w) + b * w)) for a, b in zip(c1, c2, strict=True))  # type: ignore[return-value]


def face_points(head_c: np.ndarray, head_R: np.ndarray, shape: BodyShape) -> dict[str, np.ndarray]:
    """Face landmark positions (world metres, (…, 3)) from the head centre and frame.

    Keys: nose, l_eye, r_eye, l_eye_inner, l_eye_outer, r_eye_inner, r_eye_outer,
    l_ear, r_ear, mouth_l, mouth_r (subject's left/right).
    """
    s = shape.height_m / 1.72
    local = {
        "nose": (0.0, -0.012, 0.107),
        "l_eye": (0.031, 0.018, 0.083), "r_eye": (-0.031, 0.018, 0.083),
        "l_eye_inner": (0.019, 0.018, 0.088), "r_eye_inner": (-0.019, 0.018, 0.088),
        "l_eye_outer": (0.044, 0.018, 0.075), "r_eye_outer": (-0.044, 0.018, 0.075),
        "l_ear": (0.074, 0.005, 0.0), "r_ear": (-0.074, 0.005, 0.0),
        "mouth_l": (0.021, -0.048, 0.083), "mouth_r": (-0.021, -0.048, 0.083),
    }
    out = {}
    for k, v in local.items():
        out[k] = head_c + s * np.einsum("...ij,j->...i", head_R, np.asarray(v))
    return out


def primitives(sk: Skeleton, t: int, shape: BodyShape) -> list[Primitive]:
    """Shape primitives of frame ``t`` (world metres) for the renderer."""
    o = shape.outfit
    jt = sk.joints[t]
    fr = sk.frames[t]

    def P(n: str) -> np.ndarray:
        return jt[J[n]]

    sc = shape.scaled
    s = shape.height_m / 1.72
    prims: list[Primitive] = []

    R_p, R_a, R_t, R_h = fr[F["pelvis"]], fr[F["abdomen"]], fr[F["thorax"]], fr[F["head"]]
    pel = P("pelvis")
    # pelvis / shorts, with a waistband that tilts with the pelvis
    hw = shape.hip_width
    prims.append(Ellipsoid(pel + R_p @ np.array([0, 0.015 * s, -0.012 * s]), R_p,
                           (sc(0.170) * hw, sc(0.135), sc(0.105)), o.shorts))
    prims.append(Ellipsoid(pel + R_p @ np.array([0, 0.118 * s, -0.008 * s]), R_p,
                           (sc(0.142) * hw, sc(0.024), sc(0.094)), o.waistband))
    # abdomen (shirt, tapering to the waist) and chest
    waist = P("waist")
    prims.append(Ellipsoid(waist + R_a @ np.array([0, 0.03 * s, 0.0]), R_a,
                           (sc(0.125), sc(0.11), sc(0.09)), o.shirt))
    neck = P("neck")
    chest_c = neck + R_t @ np.array([0, -0.15 * s, 0.005 * s])
    prims.append(Ellipsoid(chest_c, R_t,
                           (sc(0.150) * shape.shoulder_width, sc(0.165), sc(0.105)), o.shirt))
    # shoulders (sleeve caps)
    for side in ("l", "r"):
        prims.append(Ellipsoid(P(f"{side}_shoulder"), R_t, (sc(0.058), sc(0.055), sc(0.058)),
                               o.shirt))
    # neck and head
    head = P("head")
    prims.append(Capsule(neck - R_t[:, 1] * 0.02 * s, head - R_h[:, 1] * 0.04 * s, sc(0.048),
                         o.skin))
    prims.append(Ellipsoid(head, R_h, (0.077 * s, 0.108 * s, 0.098 * s), o.skin))
    # hair: a cap shifted up and back so the face stays bare
    prims.append(Ellipsoid(head + R_h @ np.array([0, 0.028, -0.022]) * s, R_h,
                           (0.081 * s, 0.096 * s, 0.094 * s), o.hair))
    fp = face_points(head, R_h, shape)
    white = (235, 240, 245)
    for side in ("l", "r"):
        prims.append(Ellipsoid(fp[f"{side}_eye"] - R_h[:, 2] * 0.004 * s, R_h,
                               (0.015 * s, 0.009 * s, 0.008 * s), white))
        prims.append(Ellipsoid(fp[f"{side}_eye"] + R_h[:, 2] * 0.002 * s, R_h,
                               (0.0065 * s, 0.0065 * s, 0.006 * s), o.eyes))
        brow = fp[f"{side}_eye"] + R_h @ np.array([0, 0.02, 0.004]) * s
        prims.append(Ellipsoid(brow, R_h, (0.018 * s, 0.004 * s, 0.006 * s), o.hair))
        prims.append(Ellipsoid(fp[f"{side}_ear"], R_h, (0.012 * s, 0.030 * s, 0.020 * s),
                               _mix(o.skin, (0, 0, 0), 0.12)))
    prims.append(Ellipsoid(fp["nose"] - R_h[:, 2] * 0.012 * s + R_h[:, 1] * 0.01 * s, R_h,
                           (0.014 * s, 0.026 * s, 0.016 * s), _mix(o.skin, (0, 0, 0), 0.05)))
    mouth_c = (fp["mouth_l"] + fp["mouth_r"]) / 2 - R_h[:, 2] * 0.004 * s
    prims.append(Ellipsoid(mouth_c, R_h, (0.024 * s, 0.006 * s, 0.008 * s), o.lips))
    # arms: sleeve on the upper arm, skin forearm, hand
    for side in ("l", "r"):
        sh, el, wr = P(f"{side}_shoulder"), P(f"{side}_elbow"), P(f"{side}_wrist")
        mid = sh + 0.55 * (el - sh)
        prims.append(Capsule(sh, mid, sc(0.050), o.shirt))
        prims.append(Capsule(mid, el, sc(0.042), o.skin))
        prims.append(Capsule(el, wr, sc(0.034), o.skin))
        d = wr - el
        d = d / max(np.linalg.norm(d), 1e-9)
        prims.append(Capsule(wr + d * 0.02 * s, wr + d * 0.075 * s, sc(0.032),
                             _mix(o.skin, (0, 0, 0), 0.05)))
    # legs: shorts on the upper thigh, skin below, socks and shoes
    for side in ("l", "r"):
        hip, kn, an = P(f"{side}_hip"), P(f"{side}_knee"), P(f"{side}_ankle")
        heel, toe = P(f"{side}_heel"), P(f"{side}_toe")
        short_end = hip + 0.45 * (kn - hip)
        prims.append(Capsule(hip, short_end, sc(0.083), o.shorts))
        prims.append(Capsule(short_end, kn, sc(0.064), o.skin))
        prims.append(Ellipsoid(kn, frame_from(hip - kn, R_p[:, 0]),
                               (sc(0.052), sc(0.055), sc(0.055)), o.skin))
        calf_mid = kn + 0.35 * (an - kn)
        prims.append(Capsule(kn, calf_mid, sc(0.054), o.skin))
        prims.append(Capsule(calf_mid, an, sc(0.040), o.skin))
        prims.append(Capsule(an + (kn - an) * 0.12, an, sc(0.036), o.socks))
        R_f = fr[F[f"{side}_foot"]]
        fdir = toe - heel
        flen = np.linalg.norm(fdir)
        fdir = fdir / max(flen, 1e-9)
        up = R_f[:, 1]
        r_foot = sc(0.036)
        prims.append(Capsule(heel + fdir * r_foot + up * r_foot * 0.9,
                             toe - fdir * r_foot * 0.8 + up * r_foot * 0.7, r_foot, o.shoes))
        prims.append(Ellipsoid(an - up * 0.01 * s, R_f, (sc(0.042), sc(0.045), sc(0.06)),
                               o.shoes))
    return prims


def with_outfit(shape: BodyShape, **colors: Color) -> BodyShape:
    """A copy of ``shape`` with some outfit colours replaced."""
    return replace(shape, outfit=replace(shape.outfit, **colors))
