"""Motion generators: glute bridge, step-down and single-leg squat, with faults of known size.

Every generator returns a :class:`Motion`: a :class:`~hipform.synth.body.Skeleton`
(T frames, world metres), per-frame phase labels, and the planned reps and faults.

World placement: standing subjects stand at the origin facing world +z (so a camera
at +z sees them from the front; their left is world +x). The bridge subject lies
supine along world x, and the side given by ``side`` faces a camera at +z.

Fault sizes (all degrees) are defined geometrically so they hold exactly in the frontal
(standing) or sagittal (bridge) body plane:

* ``valgus``: 2D frontal-plane projection angle (FPPA) of the stance knee at the bottom,
  + = knee medial. It is produced by swinging the knee medially about the hip-ankle
  axis with the foot planted, i.e. hip adduction + internal rotation.
* ``hip_drop``: pelvis rotation about the antero-posterior axis at the bottom,
  + = the side away from the stance leg drops (contralateral pelvic drop).
* ``lumbar``: bridge top; how far the shoulder-hip-knee angle passes 180 degrees,
  + = hips pushed above the shoulder-knee line.
* ``trunk_lean``: thorax lateral lean at the bottom, + = toward the stance side.
* ``arm_abduction``: arm strategy; both arms leave the hips and abduct by this much.
* ``touchdown_s`` (step-down): the free heel rests on the floor for this long at the
  bottom (0 = the heel stops ``clearance`` metres above the floor).

The truth values of the *measures* (what hipform's core computes from the projected
joints) are in the truth file; with a frontal camera they match these sizes closely.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np

from hipform.synth.body import (
    FRAMES,
    JOINTS,
    BodyShape,
    F,
    J,
    Skeleton,
    frame_from,
    rot_x,
    rot_z,
    two_bone_ik,
)
from hipform.synth.camera import Camera

Exercise = Literal["single_leg_squat", "step_down", "bridge"]
Side = Literal["left", "right"]

EXERCISES: tuple[str, ...] = ("single_leg_squat", "step_down", "bridge")


@dataclass(frozen=True)
class MotionParams:
    """What to perform.

    Attributes:
        exercise: "single_leg_squat", "step_down" or "bridge".
        reps: number of repetitions.
        tempo: (down, hold, up) seconds. For the bridge "up" is the lift (concentric),
            "hold" the top hold and "down" the lowering (eccentric); it is performed
            up -> hold -> down.
        rest: seconds at the start position between reps.
        depth: stance-knee flexion at the bottom, degrees (squat); for the step-down the
            step height in metres; ignored for the bridge.
        side: stance leg (standing) or the side facing the camera (bridge).
        valgus, hip_drop, lumbar, trunk_lean, arm_abduction: fault sizes in degrees
            (see module docstring). 0 = clean.
        touchdown_s: step-down free-heel contact time at the bottom, seconds.
        clearance: step-down free-heel clearance above the floor at a clean bottom, m.
        sway: scale of the natural sway / noise (1 = default, 0 = none).
        quiet_s: seconds of quiet two-legged stance at the start (standing exercises).
        fps: frames per second.
        seed: random seed of the sway/noise.
    """

    exercise: Exercise = "single_leg_squat"
    reps: int = 3
    tempo: tuple[float, float, float] = (1.0, 0.4, 0.9)
    rest: float = 0.35
    depth: float = 60.0
    side: Side = "left"
    valgus: float = 0.0
    hip_drop: float = 0.0
    lumbar: float = 0.0
    trunk_lean: float = 0.0
    arm_abduction: float = 0.0
    touchdown_s: float = 0.0
    clearance: float = 0.02
    sway: float = 1.0
    quiet_s: float = 1.0
    fps: float = 30.0
    seed: int = 0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["tempo"] = list(self.tempo)
        return d


@dataclass
class PlannedRep:
    """One rep as performed (frame indices and milliseconds)."""

    start: int
    bottom: int
    end: int
    down_s: float
    hold_s: float
    up_s: float


@dataclass
class Motion:
    """A generated movement.

    Attributes:
        params: the request.
        shape: the body.
        skeleton: T frames of joints and segment frames (world metres).
        phase: list of T labels: "quiet", "setup", "rest", "down", "hold", "up", "end".
        depth: float64 (T,) movement progress 0 (start position) .. 1 (bottom / bridge top).
        reps: the planned reps.
        quiet: (start, stop) frame range of quiet two-legged stance ((0, 0) if none).
        scene: keyword arguments for :class:`~hipform.synth.render.Scene` (box, mat, focus).
        view: "frontal" or "sagittal": the view the exercise is meant to be filmed in.
        extras: per-frame arrays of the planned fault signals, degrees (T,).
    """

    params: MotionParams
    shape: BodyShape
    skeleton: Skeleton
    phase: list[str]
    depth: np.ndarray
    reps: list[PlannedRep]
    quiet: tuple[int, int]
    scene: dict
    view: str
    extras: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.skeleton)

    @property
    def t_ms(self) -> np.ndarray:
        """int64 (T,) frame timestamps in milliseconds."""
        return np.round(np.arange(len(self)) * 1000.0 / self.params.fps).astype(np.int64)


# --------------------------------------------------------------------------- timeline
def _ease(x: np.ndarray) -> np.ndarray:
    """Smooth 0..1 ramp (cosine)."""
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0))


def _timeline(p: MotionParams, lead_s: float, tail_s: float
              ) -> tuple[int, np.ndarray, list[str], list[PlannedRep]]:
    """Frame count, progress (T,), phase labels and reps.

    Standing: rest -> down -> hold -> up. Bridge: rest -> up -> hold -> down (the
    progress is the lift, so "bottom" of a bridge rep is its top).
    """
    fps = p.fps
    down, hold, up = p.tempo
    first, last = (up, down) if p.exercise == "bridge" else (down, up)
    names = ("up", "hold", "down") if p.exercise == "bridge" else ("down", "hold", "up")
    segs: list[tuple[str, float]] = [("lead", lead_s)]
    for k in range(p.reps):
        segs += [("rest", p.rest if k else p.rest * 0.6), (names[0], first), (names[1], hold),
                 (names[2], last)]
    segs.append(("end", tail_s))
    total = sum(d for _, d in segs)
    T = int(round(total * fps))
    t = np.arange(T) / fps
    prog = np.zeros(T)
    phase = ["rest"] * T
    reps: list[PlannedRep] = []
    t0 = 0.0
    cur: dict[str, int] = {}
    for name, d in segs:
        m = (t >= t0 - 1e-9) & (t < t0 + d - 1e-9)
        idx = np.flatnonzero(m)
        x = (t[m] - t0) / max(d, 1e-9)
        if name == names[0]:
            prog[m] = _ease(x)
            cur = {"start": int(idx[0]) if len(idx) else int(round(t0 * fps))}
        elif name == names[1]:
            prog[m] = 1.0
            cur["bottom"] = int(round((t0 + d / 2) * fps))
        elif name == names[2]:
            prog[m] = 1.0 - _ease(x)
            end = int(round((t0 + d) * fps))
            reps.append(PlannedRep(cur["start"], cur["bottom"], min(end, T - 1),
                                   down, hold, up))
        for i in idx:
            phase[i] = name
        t0 += d
    return T, prog, phase, reps


def _smooth_noise(rng: np.random.Generator, T: int, fps: float, sigma: float,
                  tau_s: float = 0.5) -> np.ndarray:
    """Band-limited noise (T,) with standard deviation ~sigma and correlation time tau."""
    if sigma <= 0 or T == 0:
        return np.zeros(T)
    n = rng.standard_normal(T + 64)
    k = max(int(tau_s * fps), 1)
    w = np.hanning(2 * k + 1)
    w /= w.sum()
    s = np.convolve(n, w, mode="same")[32:32 + T]
    sd = s.std()
    return s / sd * sigma if sd > 0 else s


# --------------------------------------------------------------------------- helpers
def fppa_frontal(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, sigma: float
                 ) -> np.ndarray:
    """FPPA (degrees, (T,)) in the world x-y plane (frontal plane of a subject facing +z).

    ``sigma`` = +1 for the subject's left leg, -1 for the right. + = knee medial to the
    hip-ankle line.
    """
    v1 = knee[..., :2] - hip[..., :2]
    v2 = ankle[..., :2] - knee[..., :2]
    cross = v1[..., 0] * v2[..., 1] - v1[..., 1] * v2[..., 0]
    dot = np.sum(v1 * v2, -1)
    ang = np.degrees(np.arctan2(np.abs(cross), dot))
    dy = ankle[..., 1] - hip[..., 1]
    frac = (knee[..., 1] - hip[..., 1]) / np.where(np.abs(dy) > 1e-9, dy, 1e-9)
    x_line = hip[..., 0] + (ankle[..., 0] - hip[..., 0]) * frac
    medial = (x_line - knee[..., 0]) * sigma
    return ang * np.sign(medial)


def _stance_knee(hip: np.ndarray, ankle: np.ndarray, shape: BodyShape, sigma: float,
                 target_fppa: np.ndarray, camera: Camera | None = None) -> np.ndarray:
    """Knee positions (T, 3) reaching ``ankle`` from ``hip`` with the requested FPPA.

    The knee swivels about the hip-ankle axis (pole = forward turned medially by s, i.e.
    hip adduction + internal rotation with the foot planted); s is found per frame by
    bisection. The FPPA is measured in the image of ``camera`` when given (so a frontal
    camera sees exactly the requested angle, perspective included), else in the world
    x-y plane.
    """
    T = hip.shape[0]
    fwd = np.array([0.0, 0.0, 1.0])
    med = np.array([-sigma, 0.0, 0.0])
    lo = np.full(T, math.radians(-60))
    hi = np.full(T, math.radians(80))

    def knee_at(s: np.ndarray) -> np.ndarray:
        pole = np.cos(s)[:, None] * fwd + np.sin(s)[:, None] * med
        k, _ = two_bone_ik(hip, ankle, shape.thigh, shape.shank, pole)
        return k

    if camera is not None:
        def flat(x: np.ndarray) -> np.ndarray:
            uv = camera.project(x)
            return np.stack([uv[..., 0], -uv[..., 1]], -1)

        h2, a2 = flat(hip), flat(ankle)

        def fppa(k: np.ndarray) -> np.ndarray:
            return fppa_frontal(h2, flat(k), a2, sigma)
    else:
        def fppa(k: np.ndarray) -> np.ndarray:
            return fppa_frontal(hip, k, ankle, sigma)

    for _ in range(40):
        mid = 0.5 * (lo + hi)
        f = fppa(knee_at(mid))
        up = f < target_fppa
        lo = np.where(up, mid, lo)
        hi = np.where(up, hi, mid)
    return knee_at(0.5 * (lo + hi))


def _foot_flat(ankle: np.ndarray, toe_out_deg: float, sigma: float, shape: BodyShape,
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flat foot on its support: frame (T,3,3), heel (T,3), toe (T,3)."""
    T = ankle.shape[0]
    yaw = math.radians(toe_out_deg) * sigma
    fwd = np.array([math.sin(yaw), 0.0, math.cos(yaw)])
    up = np.array([0.0, 1.0, 0.0])
    R = frame_from(np.tile(up, (T, 1)), np.tile(np.cross(up, fwd), (T, 1)))
    return R, *_heel_toe(ankle, R, shape)


def _heel_toe(ankle: np.ndarray, R: np.ndarray, shape: BodyShape
              ) -> tuple[np.ndarray, np.ndarray]:
    s = shape.height_m / 1.72
    heel_l = np.array([0.0, -(shape.ankle_h - 0.006 * s), -0.055 * s])
    toe_l = np.array([0.0, -(shape.ankle_h - 0.012 * s), shape.foot_len - 0.055 * s])
    heel = ankle + np.einsum("tij,j->ti", R, heel_l)
    toe = ankle + np.einsum("tij,j->ti", R, toe_l)
    return heel, toe


def _foot_hanging(knee: np.ndarray, ankle: np.ndarray, left: np.ndarray, plantar_deg: float,
                  shape: BodyShape) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Foot at ~90 degrees to the shank (plus plantarflexion): frame, heel, toe."""
    R = frame_from(knee - ankle, left)
    R = R @ rot_x(-math.radians(plantar_deg))
    return R, *_heel_toe(ankle, R, shape)


def _upper_body(shape: BodyShape, pelvis: np.ndarray, R_p: np.ndarray, R_t: np.ndarray,
                R_h: np.ndarray, wrist_t: np.ndarray, elbow_pole: np.ndarray,
                neck: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Spine, head and arms. wrist_t, elbow_pole: (T, 2, 3) for (left, right).

    ``neck`` (T, 3) pins the neck base (the waist then sits between pelvis and neck).
    """
    s = shape.height_m / 1.72
    R_a = frame_from(R_p[:, :, 1] + R_t[:, :, 1], R_p[:, :, 0] + R_t[:, :, 0])
    if neck is None:
        waist = pelvis + R_p[:, :, 1] * shape.lumbar * 0.5 + R_a[:, :, 1] * shape.lumbar * 0.5
        neck = waist + R_t[:, :, 1] * shape.thoracic
    else:
        waist = pelvis + (neck - pelvis) * (shape.lumbar / (shape.lumbar + shape.thoracic))
    head = neck + R_t[:, :, 1] * 0.045 * s + R_h[:, :, 1] * 0.068 * s + R_h[:, :, 2] * 0.01 * s
    out = {"waist": waist, "neck": neck, "head": head, "R_a": R_a}
    for k, (side, sg) in enumerate((("l", 1.0), ("r", -1.0))):
        sh = neck + np.einsum("tij,j->ti", R_t,
                              np.array([sg * shape.shoulder_half, -0.028 * s, -0.01 * s]))
        el, wr = two_bone_ik(sh, wrist_t[:, k], shape.upper_arm, shape.forearm,
                             elbow_pole[:, k])
        out[f"{side}_shoulder"], out[f"{side}_elbow"], out[f"{side}_wrist"] = sh, el, wr
    return out


def _pack(T: int, parts: dict[str, np.ndarray], frames: dict[str, np.ndarray]) -> Skeleton:
    joints = np.zeros((T, len(JOINTS), 3))
    for n in JOINTS:
        joints[:, J[n]] = parts[n]
    fr = np.zeros((T, len(FRAMES), 3, 3))
    for n in FRAMES:
        fr[:, F[n]] = frames[n]
    return Skeleton(joints, fr)


def _level_head(R_t: np.ndarray, keep: float = 0.35) -> np.ndarray:
    up = np.array([0.0, 1.0, 0.0]) * (1 - keep) + R_t[:, :, 1] * keep
    return frame_from(up, R_t[:, :, 0])


# --------------------------------------------------------------------------- standing
def _standing(p: MotionParams, shape: BodyShape, camera: Camera | None) -> Motion:
    rng = np.random.default_rng(p.seed)
    fps = p.fps
    sig = 1.0 if p.side == "left" else -1.0
    s = shape.height_m / 1.72
    step_down = p.exercise == "step_down"
    base = float(p.depth) if step_down else 0.0   # step height (m) for the step-down
    setup_s = 0.7
    T, prog, phase, reps = _timeline(p, p.quiet_s + setup_s, 0.4)
    nq = int(round(p.quiet_s * fps))
    ns = int(round(setup_s * fps))
    for i in range(min(nq, T)):
        phase[i] = "quiet"
    for i in range(nq, min(nq + ns, T)):
        phase[i] = "setup"
    t = np.arange(T) / fps
    # weight shift / free-leg lift during setup: 0 in quiet stance, 1 from then on
    lift = _ease((t - p.quiet_s) / setup_s)
    sway = p.sway
    nx = _smooth_noise(rng, T, fps, 0.004 * sway, 0.8) + 0.003 * sway * np.sin(2 * np.pi * 0.3 * t)
    nz = _smooth_noise(rng, T, fps, 0.004 * sway, 0.8)
    n_drop = _smooth_noise(rng, T, fps, 0.25 * sway, 0.4)
    n_trunk = _smooth_noise(rng, T, fps, 0.6 * sway, 0.6)
    n_valg = _smooth_noise(rng, T, fps, 0.25 * sway, 0.4)

    foot_x = 0.078 * s if step_down else shape.hip_half * 1.05
    A_st = np.zeros((T, 3))
    A_st[:, 0] = sig * foot_x
    A_st[:, 1] = base + shape.ankle_h
    A_fr_q = A_st.copy()
    A_fr_q[:, 0] = -sig * foot_x

    # ---- stance-leg sagittal plan: knee flexion -> hip position
    if step_down:
        kf_bottom = _stepdown_depth(p, shape, foot_x, sig)
    else:
        kf_bottom = math.radians(p.depth)
    kf = math.radians(3.0) + prog * (kf_bottom - math.radians(3.0))
    a_s = 0.48 * kf
    a_t = kf - a_s
    hip_st = A_st.copy()
    hip_st[:, 1] += shape.shank * np.cos(a_s) + shape.thigh * np.cos(a_t)
    hip_st[:, 2] += shape.shank * np.sin(a_s) - shape.thigh * np.sin(a_t)
    shift = 0.75 * shape.hip_half * lift          # pelvis moves over the stance foot
    drop = np.radians(p.hip_drop * prog + n_drop * lift)
    tilt = 0.25 * kf
    R_p = rot_z(sig * drop) @ rot_x(tilt)
    # pelvis centre from the stance hip (rotation about the stance hip)
    hip_off = np.einsum("tij,j->ti", R_p, np.array([sig * shape.hip_half, 0.0, 0.0]))
    hip_st[:, 0] += sig * shift + nx
    hip_st[:, 2] += nz
    pelvis = hip_st - hip_off
    hip_fr = pelvis - hip_off
    # ---- stance knee with the requested FPPA
    target = (p.valgus * prog + n_valg * prog) if p.valgus else (0.8 * prog + n_valg * prog)
    knee_st = _stance_knee(hip_st, A_st, shape, sig, target, camera)
    R_fst, heel_st, toe_st = _foot_flat(A_st, 8.0, sig, shape)
    # ---- free leg
    left_ax = np.tile(np.array([1.0, 0.0, 0.0]), (T, 1))
    if step_down:
        ankle_fr, knee_fr, R_ffr, heel_fr, toe_fr, touch = _stepdown_free_leg(
            p, shape, hip_fr, A_fr_q, lift, prog, phase, sig, left_ax)
    else:
        touch = np.zeros(T, bool)
        hf = np.radians(32.0) * lift
        kfree = np.radians(3.0 + 77.0 * lift)
        ab = np.radians(6.0) * lift
        thigh = np.stack([-sig * np.sin(ab), -np.cos(hf) * np.cos(ab), np.sin(hf)], -1)
        sh_ang = hf - kfree
        shank = np.stack([-sig * 0.5 * np.sin(ab), -np.cos(sh_ang), np.sin(sh_ang)], -1)
        knee_q, ankle_q = two_bone_ik(hip_fr, A_fr_q, shape.thigh, shape.shank,
                                      np.tile([0.0, 0.0, 1.0], (T, 1)))
        knee_l = hip_fr + thigh * shape.thigh
        ankle_l = knee_l + shank * shape.shank
        w = (lift > 0)[:, None]
        knee_fr = np.where(w, knee_l, knee_q)
        ankle_fr = np.where(w, ankle_l, ankle_q)
        R_fq, heel_q, toe_q = _foot_flat(ankle_fr, 8.0, -sig, shape)
        R_fl, heel_l, toe_l = _foot_hanging(knee_fr, ankle_fr, left_ax, 25.0, shape)
        R_ffr = np.where(w[..., None], R_fl, R_fq)
        heel_fr = np.where(w, heel_l, heel_q)
        toe_fr = np.where(w, toe_l, toe_q)
    # ---- trunk, head, arms
    lean = np.radians(p.trunk_lean * prog + n_trunk * 0.5)
    flex = np.radians(3.0) + 0.42 * kf + np.radians(n_trunk * 0.5)
    R_t = rot_z(-sig * lean) @ rot_x(flex)
    R_h = _level_head(R_t)
    arm_w = (_ease(prog * 1.4) if p.arm_abduction > 0 else np.zeros(T))
    wrist_t = np.zeros((T, 2, 3))
    pole = np.zeros((T, 2, 3))
    pel_top = pelvis + R_p[:, :, 1] * 0.085 * s
    arm_len = shape.upper_arm + shape.forearm
    R_tq = rot_x(flex)
    for k, sg in enumerate((1.0, -1.0)):
        on_hip = pel_top + np.einsum("tij,j->ti", R_p,
                                     np.array([sg * (0.165 * shape.hip_width * s * shape.girth
                                                     + 0.04 * s), 0.0, 0.015 * s]))
        shoulder_guess = pelvis + R_t[:, :, 1] * (shape.lumbar + shape.thoracic - 0.03 * s)
        ab = math.radians(max(p.arm_abduction, 1.0))
        out = shoulder_guess + np.einsum(
            "tij,j->ti", R_tq, arm_len * 0.97 * np.array([sg * math.sin(ab), -math.cos(ab), 0.1]))
        out[:, 0] += sg * shape.shoulder_half
        wrist_t[:, k] = on_hip + (out - on_hip) * arm_w[:, None]
        pole_hip = np.einsum("tij,j->ti", R_p, np.array([sg * 1.0, -0.1, -0.9]))
        pole_out = np.einsum("tij,j->ti", R_tq, np.array([0.0, 0.0, -1.0]))
        pole[:, k] = pole_hip * (1 - arm_w[:, None]) + pole_out * arm_w[:, None]
    ub = _upper_body(shape, pelvis, R_p, R_t, R_h, wrist_t, pole)
    parts = dict(ub)
    L, R = ("l", "r") if sig > 0 else ("r", "l")
    parts.update({
        "pelvis": pelvis,
        f"{L}_hip": hip_st, f"{R}_hip": hip_fr,
        f"{L}_knee": knee_st, f"{R}_knee": knee_fr,
        f"{L}_ankle": A_st, f"{R}_ankle": ankle_fr,
        f"{L}_heel": heel_st, f"{R}_heel": heel_fr,
        f"{L}_toe": toe_st, f"{R}_toe": toe_fr,
    })
    frames = {"pelvis": R_p, "abdomen": ub["R_a"], "thorax": R_t, "head": R_h,
              f"{L}_foot": R_fst, f"{R}_foot": R_ffr}
    sk = _pack(T, parts, frames)
    scene: dict = {"focus": focus_for(p)}
    if step_down:
        edge = -sig * (foot_x + 0.055 * s)
        far = sig * 0.42
        scene["box"] = ((min(edge, far), 0.0, -0.22), (max(edge, far), base, 0.24))
    extras = {
        "planned_valgus": target.astype(np.float32),
        "planned_hip_drop": np.degrees(drop).astype(np.float32),
        "planned_trunk_lean": np.degrees(lean).astype(np.float32),
        "arm_out": arm_w.astype(np.float32),
        "free_heel_contact": touch,
    }
    return Motion(p, shape, sk, phase, prog, reps, (0, nq), scene, "frontal", extras)


def _free_hip_reach(p: MotionParams, shape: BodyShape, foot_x: float, sig: float,
                    kf: float) -> float:
    """Height of the free heel target that a straight free leg reaches at knee flexion kf."""
    a_s = 0.48 * kf
    a_t = kf - a_s
    base = float(p.depth)
    hip_y = base + shape.ankle_h + shape.shank * math.cos(a_s) + shape.thigh * math.cos(a_t)
    drop = math.radians(p.hip_drop)
    hip_y -= 2 * shape.hip_half * math.sin(drop)
    free_hip_x = sig * (foot_x + 0.75 * shape.hip_half) - sig * 2 * shape.hip_half
    heel_x = -sig * (foot_x + 0.16 * shape.height_m / 1.72)
    dx = abs(heel_x - free_hip_x)
    reach = shape.thigh + shape.shank + shape.ankle_h - 0.006
    return hip_y - math.sqrt(max(reach * reach - dx * dx - 0.05**2, 0.0))


def _stepdown_depth(p: MotionParams, shape: BodyShape, foot_x: float, sig: float) -> float:
    """Stance knee flexion (rad) at which the free heel just reaches the floor."""
    want = 0.0 if p.touchdown_s > 0 else p.clearance
    lo, hi = math.radians(5), math.radians(110)
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        if _free_hip_reach(p, shape, foot_x, sig, mid) > want:
            lo = mid
        else:
            hi = mid
    extra = math.radians(4.0) if p.touchdown_s > 0 else 0.0
    return 0.5 * (lo + hi) + extra


def _stepdown_free_leg(p: MotionParams, shape: BodyShape, hip_fr: np.ndarray,
                       A_q: np.ndarray, lift: np.ndarray, prog: np.ndarray, phase: list[str],
                       sig: float, left_ax: np.ndarray):
    """Free leg of the lateral step-down: off the side of the step, heel lowered to the floor."""
    T = hip_fr.shape[0]
    s = shape.height_m / 1.72
    base = float(p.depth)
    heel_x = -sig * (abs(A_q[0, 0]) + 0.16 * s)
    # heel target: quiet (on the step) -> hanging beside the step -> floor at the bottom
    hang_y = base - 0.03
    floor_y = 0.0 if p.touchdown_s > 0 else p.clearance
    tgt = np.zeros((T, 3))
    tgt[:, 0] = A_q[:, 0] + (heel_x - A_q[:, 0]) * lift
    tgt[:, 2] = 0.05 * s * lift
    heel_y = hang_y + (floor_y - hang_y) * prog
    tgt[:, 1] = np.where(lift < 1, (base + 0.006 * s) * (1 - lift) + hang_y * lift, heel_y)
    # touch-down: the heel rests on the floor through the hold
    touch = np.zeros(T, bool)
    if p.touchdown_s > 0:
        touch = np.array([ph == "hold" for ph in phase]) & (prog > 0.999)
        tgt[touch, 1] = 0.0
    # quiet stance: flat foot on the step
    heel_local = np.array([0.0, -(shape.ankle_h - 0.006 * s), -0.055 * s])
    ankle_tgt = tgt - heel_local      # ankle above the heel target (foot ~level)
    lift_up = np.clip(lift * 3, 0, 1)[:, None]
    ankle_tgt[:, 1] += 0.02 * lift_up[:, 0] * (1 - prog)
    pole = np.tile(np.array([0.0, 0.0, 1.0]), (T, 1))
    knee, ankle = two_bone_ik(hip_fr, ankle_tgt, shape.thigh, shape.shank, pole)
    R_q, heel_q, toe_q = _foot_flat(ankle, 8.0, -sig, shape)
    R_h, heel_h, toe_h = _foot_hanging(knee, ankle, left_ax, 12.0, shape)
    w = np.clip(lift * 2, 0, 1)
    # blend the foot frame (quiet flat -> slightly plantarflexed hanging)
    Rf = np.where((w > 0.5)[:, None, None], R_h, R_q)
    heel = np.where((w > 0.5)[:, None], heel_h, heel_q)
    toe = np.where((w > 0.5)[:, None], toe_h, toe_q)
    return ankle, knee, Rf, heel, toe, touch


# --------------------------------------------------------------------------- bridge
def _bridge(p: MotionParams, shape: BodyShape) -> Motion:
    rng = np.random.default_rng(p.seed)
    fps = p.fps
    s = shape.height_m / 1.72
    T, prog, phase, reps = _timeline(p, 0.6, 0.4)
    # sagittal coordinates: a = along the body from the shoulders toward the feet, y = up
    trunk = shape.lumbar + shape.thoracic - 0.028 * s
    sh_y = 0.075 * s * shape.girth
    hip_rest_y = 0.095 * s * shape.girth
    ank = np.array([trunk + 0.46 * s, shape.ankle_h])

    def geometry(alpha: np.ndarray):
        hip = np.stack([trunk * np.cos(alpha), sh_y + trunk * np.sin(alpha)], -1)
        hip3 = np.concatenate([hip, np.zeros(hip.shape[:-1] + (1,))], -1)
        an3 = np.concatenate([np.broadcast_to(ank, hip.shape), np.zeros(hip.shape[:-1] + (1,))],
                             -1)
        pole = np.broadcast_to(np.array([0.3, 1.0, 0.0]), hip3.shape)
        knee, _ = two_bone_ik(hip3, an3, shape.thigh, shape.shank, pole)
        return hip, knee[..., :2]

    def ext_of(alpha: np.ndarray) -> np.ndarray:
        hip, knee = geometry(alpha)
        S = np.array([0.0, sh_y])
        v1 = S - hip
        v2 = knee - hip
        ang = np.degrees(np.arccos(np.clip(
            np.sum(v1 * v2, -1) / (np.linalg.norm(v1, axis=-1) * np.linalg.norm(v2, axis=-1)),
            -1, 1)))
        # + when the hip is above the shoulder-knee line
        d = knee - S
        cross = d[..., 0] * (hip[..., 1] - S[1]) - d[..., 1] * (hip[..., 0] - S[0])
        return np.where(cross > 0, 180.0 - ang, ang - 180.0)

    alpha_rest = math.asin((hip_rest_y - sh_y) / trunk)
    lo, hi = alpha_rest, math.radians(70)
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        if ext_of(np.array(mid)) < p.lumbar:
            lo = mid
        else:
            hi = mid
    alpha_top = 0.5 * (lo + hi)
    n = _smooth_noise(rng, T, fps, 0.004 * p.sway, 0.6)
    alpha = alpha_rest + prog * (alpha_top - alpha_rest) + n * prog
    hip2, knee2 = geometry(alpha)
    # map sagittal (a, y) + lateral offset into world. head toward -x for side="right"
    # (subject's right side toward a camera at +z), toward +x for side="left".
    dirx = 1.0 if p.side == "right" else -1.0
    up_body = np.array([-dirx, 0.0, 0.0])          # head direction
    fwd_body = np.array([0.0, 1.0, 0.0])           # face up
    left_body = np.cross(up_body, fwd_body)        # subject's left in world
    x0 = -dirx * (trunk + 0.23 * s) * 0.5

    def W(a: np.ndarray, y: np.ndarray, lat: float | np.ndarray) -> np.ndarray:
        a = np.asarray(a, float)
        out = np.zeros(np.broadcast(a, y).shape + (3,))
        out[..., 0] = x0 + dirx * a
        out[..., 1] = y
        return out + np.multiply.outer(np.asarray(lat, float), left_body) if np.ndim(lat) \
            else out + lat * left_body

    hh, kk = shape.hip_half, shape.hip_half + 0.015 * s
    sh_mid = W(np.zeros(T), np.full(T, sh_y), 0.0)
    hip_mid = W(hip2[:, 0], hip2[:, 1], 0.0)
    parts: dict[str, np.ndarray] = {}
    for side, sg in (("l", 1.0), ("r", -1.0)):
        parts[f"{side}_hip"] = W(hip2[:, 0], hip2[:, 1], sg * hh)
        parts[f"{side}_knee"] = W(knee2[:, 0], knee2[:, 1], sg * kk)
        parts[f"{side}_ankle"] = W(np.full(T, ank[0]), np.full(T, ank[1]), sg * kk)
    # trunk frames: thorax along the shoulder->hip line (headward = up), face up
    trunk_up = sh_mid - hip_mid
    R_p = frame_from(trunk_up, np.tile(left_body, (T, 1)))
    ext = ext_of(alpha)
    # lumbar extension shows as the pelvis tilting anteriorly relative to the thorax
    R_t = R_p
    R_p = R_p @ rot_x(np.radians(np.clip(ext, 0, None)) * 0.6)
    pelvis = hip_mid
    # head lying on the floor, looking up
    head_up = np.tile(up_body, (T, 1))
    R_h = frame_from(head_up, np.tile(left_body, (T, 1)))
    wrist_t = np.zeros((T, 2, 3))
    pole = np.zeros((T, 2, 3))
    for k, sg in enumerate((1.0, -1.0)):
        wrist_t[:, k] = W(np.full(T, 0.52 * s), np.full(T, 0.035 * s),
                          sg * (shape.shoulder_half + 0.08 * s))
        pole[:, k] = np.tile(sg * left_body - np.array([0.0, 0.3, 0.0]), (T, 1))
    neck = sh_mid - np.einsum("tij,j->ti", R_t, np.array([0.0, -0.028 * s, -0.01 * s]))
    ub = _upper_body(shape, pelvis, R_p, R_t, R_h, wrist_t, pole, neck=neck)
    parts.update(ub)
    parts["pelvis"] = pelvis
    # head: lying on the floor behind the shoulders
    head_c = neck + up_body * 0.105 * s
    head_c[:, 1] = 0.098 * s
    parts["head"] = head_c
    foot_frames = {}
    for side in ("l", "r"):
        toe_dir = np.array([dirx, 0.0, 0.0])
        Rf = frame_from(np.tile([0.0, 1.0, 0.0], (T, 1)),
                        np.tile(np.cross([0.0, 1.0, 0.0], toe_dir), (T, 1)))
        heel, toe = _heel_toe(parts[f"{side}_ankle"], Rf, shape)
        parts[f"{side}_heel"], parts[f"{side}_toe"] = heel, toe
        foot_frames[f"{side}_foot"] = Rf
    frames = {"pelvis": R_p, "abdomen": ub["R_a"], "thorax": R_t, "head": R_h, **foot_frames}
    sk = _pack(T, parts, frames)
    centre = (sh_mid[0] + hip_mid[0] + parts["l_ankle"][0]) / 3
    scene = {"focus": (float(centre[0]), 0.25, 0.0),
             "mat": ((float(centre[0]) - 1.0, -0.45), (float(centre[0]) + 1.0, 0.45))}
    extras = {"planned_lumbar": ext.astype(np.float32)}
    return Motion(p, shape, sk, phase, prog, reps, (0, 0), scene, "sagittal", extras)


def focus_for(params: MotionParams) -> tuple[float, float, float]:
    """World point (metres) a camera should aim at for a standing exercise."""
    base = float(params.depth) if params.exercise == "step_down" else 0.0
    return (0.0, 0.85 + base, 0.0)


def generate(params: MotionParams, shape: BodyShape | None = None,
             calib_camera: Camera | None = None) -> Motion:
    """Generate the movement described by ``params`` for the body ``shape``.

    ``calib_camera``: for standing exercises, the frontal camera in whose image the knee
    valgus (FPPA) is calibrated to the requested size; None = orthographic frontal plane.
    """
    shape = shape or BodyShape()
    if params.exercise == "bridge":
        return _bridge(params, shape)
    if params.exercise in ("single_leg_squat", "step_down"):
        return _standing(params, shape, calib_camera)
    from hipform.errors import ConfigError

    raise ConfigError(f"unknown exercise {params.exercise!r}; expected one of {EXERCISES}")
