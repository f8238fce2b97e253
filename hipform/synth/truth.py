"""Ground truth of a synthetic clip: BlazePose-order landmarks, measures, reps and faults.

The truth measures are hipform's own: the projected joint centres are arranged as a
BlazePose-order :class:`~hipform.landmarks.Landmarks` (visibility 1) and passed to
``hipform.core.metrics.compute_metrics``, so the truth uses exactly hipform's
definitions and sign conventions.

Truth file (``<clip>.truth.json``, schema ``hipform.synth.truth/1``)::

    {
      "schema": "hipform.synth.truth/1",
      "clip": "sls_faulty.mp4", "exercise": "single_leg_squat", "view": "frontal",
      "stance_side": "left", "fps": 30.0, "width": 640, "height": 480, "n_frames": T,
      "params": {...MotionParams...}, "body": {...}, "camera": {...},
      "tempo": {"down_s": 1.0, "hold_s": 0.4, "up_s": 0.9},
      "quiet_frames": [0, 30], "baseline_obliquity_deg": 0.12,
      "reps": [{"index": 0, "start_ms", "bottom_ms", "end_ms", "start_frame", "bottom_frame",
                "end_frame", "eccentric_s", "hold_s", "concentric_s",
                "peak": {"knee_valgus": {"left":..,"right":..}, "hip_drop": {...},
                         "lumbar_extension": .., "trunk_lean_frontal": {...}},
                "faults": [{"code": "knee_valgus", "side": "left", "size": 15.0,
                            "unit": "deg"}, ...]}],
      "frames": {
        "t_ms": [T], "phase": [T],
        "joints_3d": {"l_hip": [[x,y,z],...], ...}      (world metres, 3 decimals)
        "joints_2d": {"pelvis": [[u,v],...], ...}        (pixels, 1 decimal; only joints
                                                          that are not landmarks)
        "joint_landmark": {"l_hip": 23, ...}             (joint -> landmarks_2d index)
        "landmarks_2d": [[[u, v] x 33] x T]              (BlazePose order, pixels)
        "view": [T]                                      (View code of the true landmarks)
        "metrics": {"knee_valgus": {"left": [T], "right": [T]}, "hip_drop": {...},
                    "pelvic_obliquity": [T], "lumbar_extension": [T], ...}  (0.01 deg)
      }
    }
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from hipform.landmarks import LM, N_LANDMARKS, Landmarks
from hipform.synth.body import JOINTS, J, face_points
from hipform.synth.camera import Camera
from hipform.synth.motion import Motion

SCHEMA = "hipform.synth.truth/1"

#: Measures written per frame (Metrics field names) and whether they have (left, right).
MEASURES: dict[str, bool] = {
    "knee_valgus": True,
    "pelvic_obliquity": False,
    "hip_drop": True,
    "lumbar_extension": False,
    "trunk_lean_frontal": True,
    "trunk_lean_sagittal": False,
    "knee_flexion": True,
    "hip_flexion": True,
}

#: Fault codes used in truth files.
FAULT_CODES = ("knee_valgus", "hip_drop", "lumbar_arch", "trunk_lean", "arm_strategy",
               "foot_touchdown")


#: Joints whose centre is a BlazePose landmark -> landmark index.
JOINT_LANDMARK: dict[str, int] = {
    f"{s}_{j}": int(LM[f"{side}_{name}"])
    for s, side in (("l", "LEFT"), ("r", "RIGHT"))
    for j, name in (("shoulder", "SHOULDER"), ("elbow", "ELBOW"), ("wrist", "WRIST"),
                    ("hip", "HIP"), ("knee", "KNEE"), ("ankle", "ANKLE"), ("heel", "HEEL"),
                    ("toe", "FOOT_INDEX"))
}


def joint_2d(truth: dict, name: str) -> np.ndarray:
    """float32 (T, 2) pixel track of joint ``name`` from a truth dict."""
    fr = truth["frames"]
    if name in fr["joints_2d"]:
        return np.asarray(fr["joints_2d"][name], np.float32)
    k = fr["joint_landmark"][name]
    return np.asarray(fr["landmarks_2d"], np.float32)[:, k]


def landmarks_world(m: Motion) -> np.ndarray:
    """float64 (T, 33, 3) world metres of every BlazePose landmark (BlazePose order).

    Body landmarks are the figure's joint centres; face points come from the head frame;
    hand points (pinky, index, thumb) are approximated from the wrist and forearm.
    """
    sk = m.skeleton
    T = len(sk)
    out = np.zeros((T, N_LANDMARKS, 3))
    fp = face_points(sk.j("head"), sk.fr("head"), m.shape)
    out[:, LM.NOSE] = fp["nose"]
    out[:, LM.LEFT_EYE_INNER] = fp["l_eye_inner"]
    out[:, LM.LEFT_EYE] = fp["l_eye"]
    out[:, LM.LEFT_EYE_OUTER] = fp["l_eye_outer"]
    out[:, LM.RIGHT_EYE_INNER] = fp["r_eye_inner"]
    out[:, LM.RIGHT_EYE] = fp["r_eye"]
    out[:, LM.RIGHT_EYE_OUTER] = fp["r_eye_outer"]
    out[:, LM.LEFT_EAR] = fp["l_ear"]
    out[:, LM.RIGHT_EAR] = fp["r_ear"]
    out[:, LM.MOUTH_LEFT] = fp["mouth_l"]
    out[:, LM.MOUTH_RIGHT] = fp["mouth_r"]
    s = m.shape.height_m / 1.72
    lat = sk.fr("pelvis")[:, :, 0]
    for side, sg, pre in (("l", 1.0, "LEFT"), ("r", -1.0, "RIGHT")):
        out[:, LM[f"{pre}_SHOULDER"]] = sk.j(f"{side}_shoulder")
        out[:, LM[f"{pre}_ELBOW"]] = sk.j(f"{side}_elbow")
        wr = sk.j(f"{side}_wrist")
        out[:, LM[f"{pre}_WRIST"]] = wr
        d = wr - sk.j(f"{side}_elbow")
        d /= np.maximum(np.linalg.norm(d, axis=-1, keepdims=True), 1e-9)
        out[:, LM[f"{pre}_INDEX"]] = wr + d * 0.085 * s + lat * sg * 0.0
        out[:, LM[f"{pre}_PINKY"]] = wr + d * 0.075 * s
        out[:, LM[f"{pre}_THUMB"]] = wr + d * 0.05 * s
        out[:, LM[f"{pre}_HIP"]] = sk.j(f"{side}_hip")
        out[:, LM[f"{pre}_KNEE"]] = sk.j(f"{side}_knee")
        out[:, LM[f"{pre}_ANKLE"]] = sk.j(f"{side}_ankle")
        out[:, LM[f"{pre}_HEEL"]] = sk.j(f"{side}_heel")
        out[:, LM[f"{pre}_FOOT_INDEX"]] = sk.j(f"{side}_toe")
    return out


def true_landmarks(m: Motion, camera: Camera) -> Landmarks:
    """The figure's joints projected by ``camera`` as a BlazePose-order Landmarks.

    x, y pixels; z = depth relative to the hip midpoint, in pixels (f * dz / z_hip);
    visibility 1. ``world`` is hip-centred metres in the camera's axes (x right, y down).
    """
    W = landmarks_world(m)
    uvz = camera.project(W)
    T = W.shape[0]
    xyzv = np.ones((T, N_LANDMARKS, 4), np.float32)
    xyzv[..., :2] = uvz[..., :2]
    zh = 0.5 * (uvz[:, LM.LEFT_HIP, 2] + uvz[:, LM.RIGHT_HIP, 2])
    xyzv[..., 2] = camera.focal_px * (uvz[..., 2] - zh[:, None]) / zh[:, None]
    pc = camera.to_camera(W)
    hip_c = 0.5 * (pc[:, LM.LEFT_HIP] + pc[:, LM.RIGHT_HIP])
    world = (pc - hip_c[:, None]).astype(np.float32)
    return Landmarks(xyzv, m.t_ms, camera.width, camera.height, world,
                     {"source": "hipform.synth truth"})


def compute_truth_metrics(lm: Landmarks, quiet: tuple[int, int]) -> tuple[Any, float | None]:
    """hipform's own measures on the true landmarks.

    Calls ``hipform.core.metrics.compute_metrics`` with ``view_gating=False`` (the truth
    holds the geometric value in every frame; the view it would be gated by is stored
    separately). The hip-drop baseline is the mean true pelvic obliquity over the
    quiet-stance frames ``quiet`` = (start, stop); 0 when there are none (bridge).

    Returns:
        (Metrics, baseline degrees or None).
    """
    from hipform.core.metrics import compute_metrics  # the integrator's core

    a, b = quiet
    base = None
    if b > a:
        m0 = compute_metrics(lm, baseline_obliquity=0.0, view_gating=False, reasons=False)
        base = float(np.nanmean(np.asarray(m0.pelvic_obliquity[a:b], np.float64)))
    m = compute_metrics(lm, baseline_obliquity=0.0 if base is None else base,
                        view_gating=False, reasons=False)
    return m, base


def _r(a: np.ndarray, nd: int) -> list:
    a = np.asarray(a, dtype=np.float64)
    out = np.round(a, nd)
    return [None if not np.isfinite(v) else float(v) for v in out.ravel()] if out.ndim == 1 \
        else [_r(x, nd) for x in out]


def _col(arr: np.ndarray, paired: bool, nd: int = 2) -> Any:
    if paired:
        return {"left": _r(arr[:, 0], nd), "right": _r(arr[:, 1], nd)}
    return _r(arr, nd)


def _peak(v: np.ndarray, sl: slice) -> float | None:
    x = np.asarray(v[sl], np.float64)
    if not np.any(np.isfinite(x)):
        return None
    return round(float(np.nanmax(x)), 2)


def build_truth(m: Motion, camera: Camera, clip_name: str, *, metrics: Any = None,
                with_metrics: bool = True) -> dict:
    """The truth dictionary (see module docstring) for motion ``m`` seen by ``camera``.

    ``metrics``: precomputed Metrics of the true landmarks; computed here when None and
    ``with_metrics``.
    """
    p = m.params
    lm = true_landmarks(m, camera)
    base = None
    if metrics is None and with_metrics:
        metrics, base = compute_truth_metrics(lm, m.quiet)
    sk = m.skeleton
    uv = camera.project(sk.joints)[..., :2]
    t_ms = m.t_ms
    frames: dict[str, Any] = {
        "t_ms": [int(x) for x in t_ms],
        "phase": list(m.phase),
        "joints_3d": {n: _r(sk.joints[:, J[n]], 3) for n in JOINTS},
        # joints that are BlazePose landmarks: their 2-D is landmarks_2d[:, index]
        "joints_2d": {n: _r(uv[:, J[n]], 1) for n in JOINTS if n not in JOINT_LANDMARK},
        "joint_landmark": JOINT_LANDMARK,
        "landmarks_2d": _r(lm.xy, 1),
    }
    if metrics is not None:
        frames["metrics"] = {k: _col(np.asarray(getattr(metrics, k)), paired)
                             for k, paired in MEASURES.items() if hasattr(metrics, k)}
        frames["view"] = [int(v) for v in np.asarray(metrics.view)]
    stance = p.side if m.view == "frontal" else None
    reps = []
    for i, r in enumerate(m.reps):
        sl = slice(r.start, r.end + 1)
        peak: dict[str, Any] = {}
        if metrics is not None:
            for k, paired in MEASURES.items():
                if not hasattr(metrics, k):
                    continue
                v = np.asarray(getattr(metrics, k))
                peak[k] = ({"left": _peak(v[:, 0], sl), "right": _peak(v[:, 1], sl)}
                           if paired else _peak(v, sl))
        bridge = p.exercise == "bridge"
        rep = {
            "index": i,
            "start_frame": r.start, "bottom_frame": r.bottom, "end_frame": r.end,
            "start_ms": int(t_ms[r.start]), "bottom_ms": int(t_ms[r.bottom]),
            "end_ms": int(t_ms[min(r.end, len(t_ms) - 1)]),
            # eccentric = lowering; for the bridge that is the "down" after the top hold
            "eccentric_s": r.down_s, "hold_s": r.hold_s, "concentric_s": r.up_s,
            "peak": peak,
            "faults": rep_faults(m, bridge),
        }
        reps.append(rep)
    return {
        "schema": SCHEMA,
        "clip": clip_name,
        "exercise": p.exercise,
        "view": m.view,
        "stance_side": stance,
        "side": p.side,
        "fps": p.fps,
        "width": camera.width,
        "height": camera.height,
        "n_frames": len(m),
        "params": p.to_dict(),
        "body": {"height_m": m.shape.height_m, "girth": m.shape.girth,
                 "shoulder_width": m.shape.shoulder_width, "hip_width": m.shape.hip_width},
        "camera": camera.to_dict(),
        "tempo": {"down_s": p.tempo[0], "hold_s": p.tempo[1], "up_s": p.tempo[2]},
        "quiet_frames": list(m.quiet),
        "baseline_obliquity_deg": None if base is None else round(base, 3),
        "n_reps": len(reps),
        "reps": reps,
        "faults": sorted({f["code"] for f in rep_faults(m, p.exercise == "bridge")}),
        "frames": frames,
    }


def rep_faults(m: Motion, bridge: bool) -> list[dict]:
    """The planned faults of each rep (the same for every rep of a clip)."""
    p = m.params
    out: list[dict] = []
    side = p.side
    if bridge:
        if p.lumbar > 0:
            out.append({"code": "lumbar_arch", "side": None, "size": p.lumbar,
                        "unit": "deg"})
        return out
    if p.valgus > 0:
        out.append({"code": "knee_valgus", "side": side, "size": p.valgus, "unit": "deg"})
    if p.hip_drop > 0:
        drop_side = "right" if side == "left" else "left"
        out.append({"code": "hip_drop", "side": side, "drop_side": drop_side,
                    "size": p.hip_drop, "unit": "deg"})
    if p.trunk_lean > 0:
        out.append({"code": "trunk_lean", "side": side, "size": p.trunk_lean, "unit": "deg"})
    if p.arm_abduction > 0:
        out.append({"code": "arm_strategy", "side": None, "size": p.arm_abduction,
                    "unit": "deg"})
    if p.exercise == "step_down" and p.touchdown_s > 0:
        out.append({"code": "foot_touchdown", "side": "right" if side == "left" else "left",
                    "size": p.touchdown_s, "unit": "s"})
    return out


def write_truth(truth: dict, path: str | Path) -> None:
    """Write compact JSON (atomic: temp file + rename)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(truth, separators=(",", ":")))
    tmp.replace(path)


def load_truth(path: str | Path) -> dict:
    """Read a truth file; LandmarksError naming the file if it is not one."""
    from hipform.errors import LandmarksError

    path = Path(path)
    try:
        d = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise LandmarksError(f"{path}: cannot read truth file ({e})") from e
    if d.get("schema") != SCHEMA:
        raise LandmarksError(f"{path}: not a hipform synth truth file "
                             f"(schema {d.get('schema')!r})")
    return d


def truth_landmarks(truth: dict) -> Landmarks:
    """Landmarks (visibility 1) rebuilt from a truth dict's ``landmarks_2d``."""
    xy = np.asarray(truth["frames"]["landmarks_2d"], np.float32)
    T = xy.shape[0]
    xyzv = np.ones((T, N_LANDMARKS, 4), np.float32)
    xyzv[..., :2] = xy
    xyzv[..., 2] = 0.0
    return Landmarks(xyzv, np.asarray(truth["frames"]["t_ms"], np.int64), truth["width"],
                     truth["height"])
