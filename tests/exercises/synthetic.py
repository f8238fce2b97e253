"""Synthetic landmark sequences with exact geometry and known reps, tempo and faults.

Stick figures are built in metres in a body frame, then projected orthographically to
pixels (x right, y down), with ``z`` = depth in the same pixel scale and visibility 0.99:

* standing, frontal view (camera in front; the subject's left appears on the image right):
  single-leg squat and lateral step-down. The stance knee bends by ``depth`` degrees with
  thigh and shank tilting equally (so the hip comes down by ``L (1 - cos(depth/2))``);
  valgus swings the knee medially about the hip-ankle axis (segment lengths and the 3-D
  knee flexion are kept) until the 2D frontal-plane projection angle equals the
  requested angle; hip drop rotates the pelvis about the stance hip; trunk
  lean tilts the trunk toward the stance side.
* lying side-on (camera at the subject's left): glute bridge; the hips are placed so the
  signed shoulder-hip-knee line angle follows the requested profile exactly.
* lying, seen from the feet: glute bridge with knee gap and pelvic tilt faults.

Every movement follows a trapezoid: ``rest`` -> linear ramp over ``down_s`` -> ``hold_s``
-> linear ramp back over ``up_s``. Seeded Gaussian noise (pixels, on x, y and z) is added
last.

``reference_metrics`` computes a :class:`Metrics` from the landmarks with the contract's
definitions (an independent, simple implementation for tests: frontal angles in 2D,
knee/hip flexion in 3D from x, y, z).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from hipform.core.metrics import Metrics, View
from hipform.landmarks import LM, Landmarks

W, H = 1280, 720
SCALE = 330.0          # pixels per metre
CX, FLOOR = 640.0, 690.0
L_THIGH, L_SHANK = 0.45, 0.43
HIP_HALF, SH_HALF, TRUNK = 0.09, 0.19, 0.50
ANKLE_H, STEP_H = 0.08, 0.15


@dataclass
class RepSpec:
    """One repetition. Angles in degrees, times in seconds."""

    down_s: float = 3.0        # away from rest (standing: descent; bridge: lift)
    hold_s: float = 0.5        # at the bottom / top
    up_s: float = 2.0          # back to rest
    rest_s: float = 1.5        # rest after the rep
    depth: float = 70.0        # standing: peak stance knee flexion
    valgus: float = 0.0        # peak FPPA of the stance knee
    hip_drop: float = 0.0      # peak pelvis drop away from the stance leg (< 0: hike)
    lean: float = 0.0          # peak trunk lean toward the stance side
    arms_out: bool = False     # wrists leave the hips (arm strategy)
    touchdown: bool = False    # free foot put down (SLS: on the floor; step-down: rests)
    wobble: float = 0.0        # stance knee side-to-side oscillation, x hip width
    top_line: float = 0.0      # bridge: line angle at the top (+ arch, - incomplete)
    pelvic_tilt: float = 0.0   # bridge from the feet: hip line tilt at the top
    knee_gap: float = 0.0      # bridge from the feet: relative knee gap change at the top


@dataclass
class TrueRep:
    start_ms: float
    bottom_start_ms: float
    bottom_end_ms: float
    end_ms: float
    eccentric_s: float
    hold_s: float
    concentric_s: float
    spec: RepSpec


@dataclass
class Synthetic:
    lm: Landmarks
    metrics: Metrics
    exercise: str
    side: str
    reps: list[TrueRep] = field(default_factory=list)
    p: np.ndarray | None = None


Segs = list[tuple[float, float, float, float]]


def timeline(reps: list[RepSpec], fps: float, lead_s: float = 1.5
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, Segs]:
    """Frame times (ms), progress p in [0, 1] and the owning rep index (-1 at rest)."""
    segs = []
    t = lead_s
    for r in reps:
        segs.append((t, t + r.down_s, t + r.down_s + r.hold_s, t + r.down_s + r.hold_s + r.up_s))
        t = segs[-1][3] + r.rest_s
    total = t
    n = int(round(total * fps)) + 1
    ts = np.arange(n) / fps
    p = np.zeros(n)
    owner = np.full(n, -1)
    for k, (a, b, c, d) in enumerate(segs):
        m = (ts >= a) & (ts <= d)
        owner[m] = k
        up = (ts >= a) & (ts < b)
        p[up] = (ts[up] - a) / (b - a)
        p[(ts >= b) & (ts <= c)] = 1.0
        dn = (ts > c) & (ts <= d)
        p[dn] = 1.0 - (ts[dn] - c) / (d - c)
    return np.round(ts * 1000).astype(np.int64), p, owner, segs


def _rotate(v: np.ndarray, k: np.ndarray, phi: float) -> np.ndarray:
    """Rodrigues rotation of v about unit axis k by phi radians."""
    return v * math.cos(phi) + np.cross(k, v) * math.sin(phi) + k * (k @ v) * (1 - math.cos(phi))


def _fppa2d(h: np.ndarray, k: np.ndarray, a: np.ndarray) -> float:
    u, w = h[:2] - k[:2], a[:2] - k[:2]
    cos = float(u @ w / (np.linalg.norm(u) * np.linalg.norm(w)))
    return 180.0 - math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def _valgus_knee(A: np.ndarray, K0: np.ndarray, Hh: np.ndarray, m: float,
                 target_deg: float) -> np.ndarray:
    """Swing the knee medially about the hip-ankle axis (lengths and 3-D knee flexion kept)
    until the 2D frontal-plane projection angle reaches target_deg (or as far as it can)."""
    if target_deg <= 0:
        return K0
    axis = (Hh - A) / np.linalg.norm(Hh - A)
    v = K0 - A
    sgn = m if np.cross(axis, v)[0] >= 0 else -m
    lo, hi = 0.0, math.radians(80)
    for _ in range(30):
        mid_ = (lo + hi) / 2
        if _fppa2d(Hh, A + _rotate(v, axis, sgn * mid_), A) < target_deg:
            lo = mid_
        else:
            hi = mid_
    return A + _rotate(v, axis, sgn * (lo + hi) / 2)


def _head_arms(P: np.ndarray, sh_mid: np.ndarray, up: np.ndarray, right_dir: np.ndarray,
               wrist_l: np.ndarray, wrist_r: np.ndarray) -> None:
    """Fill face, shoulders' arms and hands (3D, metres) around the shoulders."""
    nose = sh_mid + 0.25 * up + np.array([0, 0, 0.1])
    P[LM.NOSE] = nose
    for i, (l_, r_) in enumerate(((LM.LEFT_EYE_INNER, LM.RIGHT_EYE_INNER),
                                  (LM.LEFT_EYE, LM.RIGHT_EYE),
                                  (LM.LEFT_EYE_OUTER, LM.RIGHT_EYE_OUTER))):
        d = 0.015 * (i + 1)
        P[l_] = nose + 0.04 * up - d * right_dir
        P[r_] = nose + 0.04 * up + d * right_dir
    P[LM.LEFT_EAR] = nose + 0.02 * up - 0.07 * right_dir
    P[LM.RIGHT_EAR] = nose + 0.02 * up + 0.07 * right_dir
    P[LM.MOUTH_LEFT] = nose - 0.04 * up - 0.025 * right_dir
    P[LM.MOUTH_RIGHT] = nose - 0.04 * up + 0.025 * right_dir
    for sh, el, wr, w, hands in (
        (LM.LEFT_SHOULDER, LM.LEFT_ELBOW, LM.LEFT_WRIST, wrist_l,
         (LM.LEFT_PINKY, LM.LEFT_INDEX, LM.LEFT_THUMB)),
        (LM.RIGHT_SHOULDER, LM.RIGHT_ELBOW, LM.RIGHT_WRIST, wrist_r,
         (LM.RIGHT_PINKY, LM.RIGHT_INDEX, LM.RIGHT_THUMB)),
    ):
        P[wr] = w
        out = (P[sh] - sh_mid) / max(1e-9, float(np.linalg.norm(P[sh] - sh_mid)))
        P[el] = (P[sh] + w) / 2 + 0.08 * out
        for j, hidx in enumerate(hands):
            P[hidx] = w + np.array([0.01 * (j - 1), -0.05, 0.01])


def standing_pose(p: float, spec: RepSpec, side: str, exercise: str, t_s: float,
                  free_rest: bool = False) -> np.ndarray:
    """(33, 3) body-frame metres (X = subject's left, Y up, Z toward the camera)."""
    P = np.zeros((33, 3))
    sgn = 1.0 if side == "left" else -1.0        # stance hip X sign
    m = -sgn                                     # medial direction (toward the midline)
    xs = sgn * HIP_HALF
    ya = ANKLE_H + (STEP_H if exercise == "step_down" else 0.0)
    theta = math.radians(spec.depth * p)
    a = b = theta / 2
    h1, h2 = L_THIGH * math.cos(b), L_SHANK * math.cos(a)
    A = np.array([xs, ya, 0.0])
    K = A + np.array([0.0, h2, L_SHANK * math.sin(a)])
    Hs = np.array([xs, K[1] + h1, K[2] - L_THIGH * math.sin(b)])
    K = _valgus_knee(A, K, Hs, m, spec.valgus * p)
    if spec.wobble and p > 0.02:
        K = K + np.array([m * spec.wobble * 2 * HIP_HALF * math.sin(2 * math.pi * 3.0 * t_s),
                          0.0, 0.0])
    d = math.radians(spec.hip_drop * p)
    Hf = Hs + np.array([m * 2 * HIP_HALF * math.cos(d), -2 * HIP_HALF * math.sin(d), 0.0])
    mh = (Hs + Hf) / 2
    lam = math.radians(spec.lean * p)
    up = np.array([-m * math.sin(lam), math.cos(lam), 0.0])
    right_dir = np.array([-up[1], up[0], 0.0])   # perpendicular, toward the subject's right
    if right_dir[0] > 0:
        right_dir = -right_dir
    sh_mid = mh + TRUNK * up
    stance, free = ("LEFT", "RIGHT") if side == "left" else ("RIGHT", "LEFT")
    P[LM[f"{stance}_HIP"]], P[LM[f"{free}_HIP"]] = Hs, Hf
    P[LM[f"{stance}_KNEE"]], P[LM[f"{stance}_ANKLE"]] = K, A
    P[LM[f"{stance}_HEEL"]] = A + np.array([0, -0.05, -0.06])
    P[LM[f"{stance}_FOOT_INDEX"]] = A + np.array([0, -0.07, 0.16])
    # free leg
    if exercise == "single_leg_squat":
        fa_y = Hf[1] - 0.7 * (L_THIGH + L_SHANK)
        if spec.touchdown and p > 0.95:
            fa_y = ANKLE_H
        Fa = np.array([Hf[0], max(fa_y, ANKLE_H), 0.2])
        Fk = np.array([Hf[0], (Hf[1] + Fa[1]) / 2, 0.35])
    else:
        fa_y = Hf[1] - 0.98 * (L_THIGH + L_SHANK)
        Fa = np.array([Hf[0] + m * 0.02, max(fa_y, ANKLE_H), 0.05])
        Fk = np.array([Hf[0] + m * 0.01, (Hf[1] + Fa[1]) / 2, 0.08])
    P[LM[f"{free}_KNEE"]], P[LM[f"{free}_ANKLE"]] = Fk, Fa
    P[LM[f"{free}_HEEL"]] = Fa + np.array([0, -0.05, -0.06])
    P[LM[f"{free}_FOOT_INDEX"]] = Fa + np.array([0, -0.05, 0.16])
    P[LM.LEFT_SHOULDER] = sh_mid - SH_HALF * right_dir
    P[LM.RIGHT_SHOULDER] = sh_mid + SH_HALF * right_dir
    hl, hr = P[LM.LEFT_HIP], P[LM.RIGHT_HIP]
    wl = hl + np.array([0.07, 0.08, 0.02])
    wr = hr + np.array([-0.07, 0.08, 0.02])
    if spec.arms_out:
        wl = wl + p * np.array([0.45, 0.45, 0.0])
        wr = wr + p * np.array([-0.45, 0.45, 0.0])
    _head_arms(P, sh_mid, up, right_dir, wl, wr)
    return P


def _line_offset(e_deg: float, a: float, b: float) -> float:
    """Perpendicular hip offset p giving a signed line angle e for segments a, b."""
    s = 1.0 if e_deg >= 0 else -1.0
    tgt = math.radians(abs(e_deg))
    lo, hi = 0.0, 2.0
    for _ in range(60):
        mid_ = (lo + hi) / 2
        if math.atan(mid_ / a) + math.atan(mid_ / b) < tgt:
            lo = mid_
        else:
            hi = mid_
    return s * (lo + hi) / 2


BRIDGE_REST_LINE = -40.0


def bridge_side_pose(p: float, spec: RepSpec, side: str) -> np.ndarray:
    """(33, 3) lying side-on: X along the body (head -> feet), Y up, Z toward the camera
    (the subject's left side faces the camera). ``side`` = stance leg or "both"."""
    P = np.zeros((33, 3))
    S = np.array([0.0, 0.10])
    K = np.array([0.85, 0.48])
    A = np.array([0.95, ANKLE_H])
    e = BRIDGE_REST_LINE + (spec.top_line - BRIDGE_REST_LINE) * p
    D = float(np.linalg.norm(K - S))
    u = (K - S) / D
    nrm = np.array([-u[1], u[0]])  # points up (positive y) for a left->right line
    f = 0.55
    off = _line_offset(e, f * D, (1 - f) * D)
    Hh = S + f * D * u + off * nrm
    for s_name, z in (("LEFT", 0.1), ("RIGHT", -0.1)):
        P[LM[f"{s_name}_SHOULDER"]] = [S[0], S[1], z]
        P[LM[f"{s_name}_HIP"]] = [Hh[0], Hh[1], z * 0.9]
        free = side in ("left", "right") and s_name.lower() != side
        if free:
            # straight free leg held up in line with the thigh of the stance leg
            d = K - Hh
            d = d / np.linalg.norm(d)
            kk = Hh + L_THIGH * d
            aa = kk + L_SHANK * d
            P[LM[f"{s_name}_KNEE"]] = [kk[0], kk[1], z]
            P[LM[f"{s_name}_ANKLE"]] = [aa[0], aa[1], z]
            P[LM[f"{s_name}_HEEL"]] = [aa[0] + 0.02, aa[1] - 0.05, z]
            P[LM[f"{s_name}_FOOT_INDEX"]] = [aa[0] + 0.05, aa[1] + 0.12, z]
        else:
            P[LM[f"{s_name}_KNEE"]] = [K[0], K[1], z]
            P[LM[f"{s_name}_ANKLE"]] = [A[0], A[1], z]
            P[LM[f"{s_name}_HEEL"]] = [A[0] - 0.04, A[1] - 0.05, z]
            P[LM[f"{s_name}_FOOT_INDEX"]] = [A[0] + 0.16, A[1] - 0.06, z]
        P[LM[f"{s_name}_WRIST"]] = [0.45, 0.04, z * 2]
    sh_mid = np.array([S[0], S[1], 0.0])
    up = np.array([-1.0, 0.0, 0.0])          # toward the head
    right_dir = np.array([0.0, 0.0, -1.0])
    wl, wr = P[LM.LEFT_WRIST].copy(), P[LM.RIGHT_WRIST].copy()
    _head_arms(P, sh_mid, up, right_dir, wl, wr)
    return P


def bridge_feet_pose(p: float, spec: RepSpec, side: str) -> np.ndarray:
    """(33, 3) lying seen from the feet: X = subject's left (image right), Y = height."""
    P = np.zeros((33, 3))
    hip_h = 0.10 + 0.33 * p
    tilt = math.radians(spec.pelvic_tilt * p)
    gap = 1.0 + spec.knee_gap * p
    for s_name, sg in (("LEFT", 1.0), ("RIGHT", -1.0)):
        P[LM[f"{s_name}_SHOULDER"]] = [sg * SH_HALF, 0.10, 0.0]
        # + tilt = the subject's left hip lower
        P[LM[f"{s_name}_HIP"]] = [sg * HIP_HALF * math.cos(tilt),
                                  hip_h - sg * HIP_HALF * math.sin(tilt), 0.5]
        P[LM[f"{s_name}_KNEE"]] = [sg * 0.12 * gap, 0.48, 0.9]
        P[LM[f"{s_name}_ANKLE"]] = [sg * 0.12, ANKLE_H, 1.0]
        P[LM[f"{s_name}_HEEL"]] = [sg * 0.12, ANKLE_H - 0.05, 0.97]
        P[LM[f"{s_name}_FOOT_INDEX"]] = [sg * 0.13, ANKLE_H + 0.02, 1.15]
        P[LM[f"{s_name}_WRIST"]] = [sg * 0.3, 0.05, 0.45]
    sh_mid = np.array([0.0, 0.10, 0.0])
    _head_arms(P, sh_mid, np.array([0.0, 0.0, -1.0]), np.array([-1.0, 0.0, 0.0]),
               P[LM.LEFT_WRIST].copy(), P[LM.RIGHT_WRIST].copy())
    P[LM.NOSE] = [0.0, 0.18, -0.2]
    return P


def project(P: np.ndarray, mirror: bool = False, x0: float = CX) -> np.ndarray:
    """Body metres (T, 33, 3) -> pixel x, y and z (same scale), orthographic."""
    out = np.empty(P.shape[:-1] + (4,), np.float32)
    out[..., 0] = x0 + SCALE * P[..., 0] * (-1.0 if mirror else 1.0)
    out[..., 1] = FLOOR - SCALE * P[..., 1]
    out[..., 2] = -SCALE * P[..., 2]
    out[..., 3] = 0.99
    return out


def make(
    exercise: str,
    reps: list[RepSpec],
    side: str = "left",
    fps: float = 30.0,
    noise_px: float = 1.0,
    seed: int = 0,
    view: str = "default",
    lead_s: float = 1.5,
) -> Synthetic:
    """A synthetic clip of ``exercise`` ("single_leg_squat", "step_down", "bridge")."""
    t_ms, p, owner, segs = timeline(reps, fps, lead_s)
    frames = []
    for j in range(len(t_ms)):
        spec = reps[owner[j]] if owner[j] >= 0 else RepSpec()
        if exercise == "bridge":
            if view == "feet":
                P = bridge_feet_pose(p[j], spec, side)
            else:
                P = bridge_side_pose(p[j], spec, side)
        else:
            P = standing_pose(p[j], spec, side, exercise, t_ms[j] / 1000.0)
        frames.append(P)
    P3 = np.stack(frames)
    if exercise == "bridge" and view != "feet":
        xyzv = project(P3, x0=300.0)
    else:
        xyzv = project(P3)
    rng = np.random.default_rng(seed)
    if noise_px > 0:
        xyzv[..., :3] += rng.normal(0.0, noise_px, xyzv[..., :3].shape).astype(np.float32)
    lm = Landmarks(xyzv, t_ms, W, H)
    true = []
    for (a, b, c, d), r in zip(segs, reps, strict=True):
        true.append(TrueRep(a * 1000, b * 1000, c * 1000, d * 1000,
                            r.down_s if exercise != "bridge" else r.up_s, r.hold_s,
                            r.up_s if exercise != "bridge" else r.down_s, r))
    if exercise == "bridge":
        vcode = View.LYING if view == "feet" else View.SAGITTAL_LEFT
    else:
        vcode = View.FRONTAL
    return Synthetic(lm, reference_metrics(lm, vcode, lying=exercise == "bridge"),
                     exercise, side, true, p)


def still(exercise: str = "single_leg_squat", seconds: float = 8.0, **kw: object) -> Synthetic:
    """Standing still on one leg (no reps)."""
    return make(exercise, [], lead_s=seconds, **kw)  # type: ignore[arg-type]


def hover(seconds: float = 10.0, level: float = 15.0, amp: float = 6.0, noise_px: float = 1.0,
          seed: int = 1, side: str = "left") -> Synthetic:
    """Single-leg stance whose knee flexion hovers around the enter threshold: no reps."""
    fps = 30.0
    n = int(seconds * fps)
    ts = np.arange(n) / fps
    depth = np.where(ts < 2.0, 0.0, level + amp * np.sin(2 * math.pi * 0.5 * (ts - 2.0)))
    depth = np.where(ts > seconds - 2.0, 0.0, depth)
    P3 = np.stack([standing_pose(1.0, RepSpec(depth=float(d)), side, "single_leg_squat", t)
                   for d, t in zip(depth, ts, strict=True)])
    xyzv = project(P3)
    rng = np.random.default_rng(seed)
    xyzv[..., :3] += rng.normal(0.0, noise_px, xyzv[..., :3].shape).astype(np.float32)
    lm = Landmarks(xyzv, np.round(ts * 1000).astype(np.int64), W, H)
    return Synthetic(lm, reference_metrics(lm, View.FRONTAL), "single_leg_squat", side, [])


# ---------------------------------------------------------------- reference metrics
def _angle3(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    ba, bc = a - b, c - b
    cos = (ba * bc).sum(-1) / (np.linalg.norm(ba, axis=-1) * np.linalg.norm(bc, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


def reference_metrics(lm: Landmarks, view: View, lying: bool = False) -> Metrics:
    """Metrics per the contract, computed simply from the landmarks (test reference)."""
    xy = lm.xyzv[..., :2].astype(np.float64)
    xyz = lm.xyzv[..., :3].astype(np.float64)
    T = len(lm)
    hip = {0: xy[:, LM.LEFT_HIP], 1: xy[:, LM.RIGHT_HIP]}
    knee = {0: xy[:, LM.LEFT_KNEE], 1: xy[:, LM.RIGHT_KNEE]}
    ank = {0: xy[:, LM.LEFT_ANKLE], 1: xy[:, LM.RIGHT_ANKLE]}
    valgus = np.zeros((T, 2))
    for k in (0, 1):
        dev = 180.0 - _angle3(hip[k], knee[k], ank[k])
        frac = (knee[k][:, 1] - hip[k][:, 1]) / (ank[k][:, 1] - hip[k][:, 1])
        x_line = hip[k][:, 0] + (ank[k][:, 0] - hip[k][:, 0]) * frac
        medial = np.sign(hip[1 - k][:, 0] - hip[k][:, 0])
        valgus[:, k] = np.where((knee[k][:, 0] - x_line) * medial > 0, dev, -dev)
    obl = np.degrees(np.arctan2(hip[0][:, 1] - hip[1][:, 1], np.abs(hip[0][:, 0] - hip[1][:, 0])))
    rel = obl - obl[0]
    hip_drop = np.stack([-rel, rel], axis=1)
    mh = (hip[0] + hip[1]) / 2
    ms = (xy[:, LM.LEFT_SHOULDER] + xy[:, LM.RIGHT_SHOULDER]) / 2
    d = ms - mh
    lean = np.zeros((T, 2))
    for k in (0, 1):
        dir_k = np.sign(hip[k][:, 0] - mh[:, 0])
        lean[:, k] = np.degrees(np.arctan2(d[:, 0] * dir_k, -d[:, 1]))
    kf = np.zeros((T, 2))
    hf = np.zeros((T, 2))
    for k, (h_, k_, a_, s_) in enumerate(((LM.LEFT_HIP, LM.LEFT_KNEE, LM.LEFT_ANKLE,
                                           LM.LEFT_SHOULDER),
                                          (LM.RIGHT_HIP, LM.RIGHT_KNEE, LM.RIGHT_ANKLE,
                                           LM.RIGHT_SHOULDER))):
        kf[:, k] = 180.0 - _angle3(xyz[:, h_], xyz[:, k_], xyz[:, a_])
        hf[:, k] = 180.0 - _angle3(xyz[:, s_], xyz[:, h_], xyz[:, k_])
    lumbar = np.full(T, np.nan)
    if lying and view != View.LYING:
        mk = (knee[0] + knee[1]) / 2
        dev = 180.0 - _angle3(ms, mh, mk)
        cross = (mk[:, 0] - ms[:, 0]) * (mh[:, 1] - ms[:, 1]) - (mk[:, 1] - ms[:, 1]) * (
            mh[:, 0] - ms[:, 0])
        lumbar = np.where(cross < 0, dev, -dev)
        valgus[:] = np.nan
        hip_drop[:] = np.nan
        lean[:] = np.nan
        obl[:] = np.nan
    if lying and view == View.LYING:
        valgus[:] = np.nan
        lean[:] = np.nan
    f32 = np.float32
    return Metrics(
        t_ms=lm.t_ms.copy(),
        knee_valgus=valgus.astype(f32),
        pelvic_obliquity=obl.astype(f32),
        hip_drop=hip_drop.astype(f32),
        lumbar_extension=lumbar.astype(f32),
        trunk_lean_frontal=lean.astype(f32),
        trunk_lean_sagittal=np.full(T, np.nan, f32),
        knee_flexion=kf.astype(f32),
        hip_flexion=hf.astype(f32),
        view=np.full(T, int(view), np.int8),
        view_confidence=np.full(T, 0.9, f32),
    )
