"""Engines for the standing single-leg exercises (frontal view): step-down and single-leg squat.

Drive signal (degrees): the stance knee's flexion from the metrics (3-D when world
landmarks exist). Where that is NaN (a frontal view without world landmarks: a 2-D knee
angle hardly changes when the knee bends toward the camera) the engine uses the 3-D
angle from pixel x, y and BlazePose z; while z has shown no depth at all (a source
without z), the larger of that and an estimate
from how far the stance hip has come down toward the stance ankle,
``2 * acos(h / h_rest)`` (exact when thigh and shank tilt by the same angle; 3-frame
running median, because it is very noisy near a straight knee). The stance ankle is held
to at most ``ANKLE_SLACK`` leg lengths above its rest position (the foot is planted; the
pose model lifts it when the free foot leaves the floor).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from hipform.core.metrics import View
from hipform.exercises.base import (
    EngineBase,
    Measures,
    med3,
    median_of,
    nanmax,
    signed_peak,
    smooth5,
)
from hipform.exercises.geometry import LEG, Points, dist, medial_sign, mid, other_side
from hipform.exercises.segment import Excursion
from hipform.exercises.types import SIDES, Fault, FrameMetrics, Rep

__all__ = ["SingleLegSquat", "StepDown", "StandingEngine", "crossley_rating", "piva_grade"]

_RATING_POINTS = {"good": 0, "fair": 1, "poor": 2}
#: how far (leg lengths) the stance ankle may read above its rest position
ANKLE_SLACK = 0.01


def piva_grade(total: float) -> str:
    """Lateral step-down total (Piva et al. 2006): 0-1 good, 2-3 medium, >= 4 poor."""
    if not math.isfinite(total):
        return "unknown"
    return "good" if total <= 1 else ("medium" if total <= 3 else "poor")


def crossley_rating(value: float, flag: float, severe: float) -> str:
    """good below ``flag``, fair below ``severe``, poor otherwise (NaN -> good: not seen)."""
    if not math.isfinite(value) or value < flag:
        return "good"
    return "fair" if value < severe else "poor"


def _flexion_xyz(row: np.ndarray, leg: dict[str, int], vmin: float) -> float:
    """Knee flexion (deg) from the pixel x, y and BlazePose z of hip, knee and ankle;
    NaN if a point is missing."""
    idx = [leg["hip"], leg["knee"], leg["ankle"]]
    if not np.all(row[idx, 3] >= vmin):
        return float("nan")
    p = row[idx, :3].astype(np.float64)
    if not np.all(np.isfinite(p)):
        return float("nan")
    u, w = p[0] - p[1], p[2] - p[1]
    nu, nw = np.linalg.norm(u), np.linalg.norm(w)
    if not (nu > 0 and nw > 0):
        return float("nan")
    c = float(np.clip(u @ w / (nu * nw), -1.0, 1.0))
    return 180.0 - math.degrees(math.acos(c))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of True in a bool array."""
    out: list[tuple[int, int]] = []
    start = None
    for j, m in enumerate(mask):
        if m and start is None:
            start = j
        elif not m and start is not None:
            out.append((start, j))
            start = None
    if start is not None:
        out.append((start, len(mask)))
    return out


class StandingEngine(EngineBase):
    """Shared measures and faults of the frontal single-leg exercises."""

    def __init__(self, *a: Any, **kw: Any) -> None:
        super().__init__(*a, **kw)
        self._eq_hist: list[float] = []
        self._z_seen = False
        self._knee_source = str(self.profile.get("segmentation.knee_source"))
        # the hip-descent drive is blind near a straight knee: time it with the shoulder
        # descent as well (the 3-D metric drive needs no help)
        self.timing_key = "timing" if self._knee_source == "descent" else None

    views: ClassVar[tuple[int, ...]] = (int(View.FRONTAL),)
    wrong_view_cue: ClassVar[str] = "face_camera"
    phase_names: ClassVar[dict[str, str]] = {
        "rest": "rest", "out": "descent", "hold": "bottom", "back": "ascent"
    }
    out_is_eccentric: ClassVar[bool] = True
    rep_cue_codes: ClassVar[tuple[str, ...]] = ("fast_descent",)

    def cue_thresholds(self) -> dict[str, tuple[float, ...]]:
        kv, hd, tl = self.th("knee_valgus"), self.th("hip_drop"), self.th("trunk_lean")
        return {
            "knee_valgus": (kv[0], kv[2], kv[1]),
            "hip_drop": (hd[0], hd[2], hd[1]),
            "hip_hike": (hd[0], hd[2], hd[1]),
            "trunk_lean": (tl[0], tl[2], tl[1]),
        }

    # ------------------------------------------------------------ per frame
    def measure(self, row: np.ndarray, fm: FrameMetrics) -> Measures:
        side = self.side or "left"
        k = SIDES[side]
        leg, free = LEG[side], LEG[other_side(side)]
        v = self.vmin
        pt = Points(row, v)
        hip, knee, ankle = (pt(leg[n]) for n in ("hip", "knee", "ankle"))
        toe = pt(leg["toe"])
        hip_o, ankle_f = pt(free["hip"]), pt(free["ankle"])
        sh = mid(pt(LEG["left"]["shoulder"]), pt(LEG["right"]["shoulder"]))
        mhip = mid(hip, hip_o)
        ankle_y = float(ankle[1])
        ref = self.rest_reference("leg_len")
        ay_ref = self.rest_reference("ankle_y")
        if math.isfinite(ay_ref) and math.isfinite(ref) and math.isfinite(ankle_y):
            # the stance foot stays planted: its ankle is held to within ANKLE_SLACK leg
            # lengths above its rest position. When the free foot lifts, the model's stance
            # ankle rises by up to 6 px (4 % of the leg) and falls back later (accuracy
            # grid, severe-left-y10-B), which read as a 20-30 deg knee bend on both
            # descent signals
            ankle = np.array([ankle[0], max(ankle_y, ay_ref - ANKLE_SLACK * ref)])
        leg_len = dist(hip, ankle)
        if not math.isfinite(ref):
            ref = leg_len
        eq = float("nan")
        if math.isfinite(leg_len) and ref > 0:
            eq = 2.0 * math.degrees(math.acos(min(1.0, leg_len / ref)))
        # 3-frame running median of the landmark estimate (it is noisy near 0 deg)
        self._eq_hist.append(eq)
        if len(self._eq_hist) > 3:
            self._eq_hist.pop(0)
        fin = [x for x in self._eq_hist if math.isfinite(x)]
        eq_med = median_of(fin) if fin and math.isfinite(eq) else float("nan")
        if self._knee_source == "descent" and math.isfinite(eq_med):
            drive = eq_med
        else:
            kf = float(fm.knee_flexion[k])
            if not math.isfinite(kf):
                kf = _flexion_xyz(row, leg, v)
                z = row[[leg["hip"], leg["knee"], leg["ankle"]], 2]
                self._z_seen = self._z_seen or bool(np.ptp(z) > 1e-3)
                if not self._z_seen and math.isfinite(eq_med):
                    # no depth channel: the 2-D angle misses a knee bending toward the camera
                    kf = max(kf, eq_med) if math.isfinite(kf) else eq_med
            drive = kf if math.isfinite(kf) else eq_med
        # timing signal: the same hip-descent angle estimate, with the descent read from
        # the shoulders (BlazePose's hip landmarks lag the first centimetres of a descent
        # while the free leg moves; the shoulders follow it). Used for tempo only.
        sh_h = ankle[1] - sh[1]
        sh_ref = self.rest_reference("sh_h")
        timing = float("nan")
        if math.isfinite(sh_h) and math.isfinite(sh_ref) and ref > 0:
            timing = 2.0 * math.degrees(math.acos(min(1.0, max(-1.0, 1.0 - (sh_ref - sh_h)
                                                                / ref))))
        hw = dist(hip, hip_o)
        ms = medial_sign(row, side, v)
        trunk = dist(sh, mhip)
        wr = [pt(LEG[s]["wrist"]) for s in ("left", "right")]
        arm = max((dist(w, mhip) / trunk for w in wr if np.all(np.isfinite(w))),
                  default=float("nan")) if trunk > 0 else float("nan")
        ok_hw = hw > 0 and math.isfinite(ms)
        # hip drop from the pelvis level of the stance at the start of the rep (median of
        # the last second at rest), not from the double-leg quiet stance: lifting the free
        # leg shifts BlazePose's hip landmarks (about 3 px, 4 deg at 640x480) while the
        # true pelvis stays level, and that shift would otherwise sit in every rep.
        drop_abs = float(fm.hip_drop[k])
        drop_ref = self.rest_reference("hip_drop_abs")
        drop = drop_abs - drop_ref if math.isfinite(drop_ref) else drop_abs
        return {
            "drive": drive,
            "leg_len": leg_len,
            "ankle_y": ankle_y,
            "sh_h": sh_h,
            "timing": timing,
            "valgus": float(fm.knee_valgus[k]),
            "hip_drop_abs": drop_abs,
            "hip_drop": drop,
            "lean": float(fm.trunk_lean_frontal[k]),
            "knee_toe": (knee[0] - toe[0]) * ms / hw if ok_hw else float("nan"),
            "knee_x": (knee[0] - ankle[0]) * ms / hw if ok_hw else float("nan"),
            "hip_add": math.degrees(math.atan2((knee[0] - hip[0]) * ms, knee[1] - hip[1]))
            if math.isfinite(ms) else float("nan"),
            "arm": arm,
            "free_h": (ankle[1] - ankle_f[1]) / ref if ref > 0 else float("nan"),
        }

    def frame_faults(self, meas: Measures) -> dict[str, tuple[float, str | None]]:
        s = self.side
        return {
            "knee_valgus": (meas["valgus"], s),
            "hip_drop": (meas["hip_drop"], s),
            "hip_hike": (-meas["hip_drop"], s),
            # the sided text says "leaning over your <stance> leg": only when it does
            "trunk_lean": (abs(meas["lean"]), s if meas["lean"] > 0 else None),
        }

    # ------------------------------------------------------------ per rep
    def score_common(self, exc: Excursion, rep: Rep) -> dict[str, float]:
        """Peaks and the faults shared by both standing exercises; returns the peaks."""
        valgus = smooth5(self.sample_array(exc, "valgus"))
        drop = smooth5(self.sample_array(exc, "hip_drop"))
        lean = smooth5(self.sample_array(exc, "lean"))
        rep.peak_knee_flexion = exc.peak
        rep.peak_knee_valgus = nanmax(valgus)
        rep.peak_hip_drop = signed_peak(drop)
        rep.trunk_lean = signed_peak(lean)
        s = rep.side
        max_drop, max_hike = nanmax(drop), nanmax(-drop)
        faults = [
            self.graded("knee_valgus", rep.peak_knee_valgus, "knee_valgus", s),
            self.graded("hip_drop", max_drop, "hip_drop", s),
            self.graded("hip_hike", max_hike, "hip_drop", s),
            self.graded("trunk_lean", abs(rep.trunk_lean), "trunk_lean", s),
            self.tempo_fault(rep),
        ]
        rep.faults.extend(f for f in faults if f is not None)
        return {
            "valgus": rep.peak_knee_valgus,
            "pelvis": max(max_drop, max_hike) if np.isfinite([max_drop, max_hike]).any()
            else float("nan"),
            "lean": abs(rep.trunk_lean),
            "hip_add": nanmax(smooth5(self.sample_array(exc, "hip_add"))),
        }

    def rubric_summary(self, reps: list[Rep]) -> dict[str, Any]:
        raise NotImplementedError


class SingleLegSquat(StandingEngine):
    """Single-leg squat, frontal view; per-rep ratings on Crossley et al. 2011 criteria."""

    name: ClassVar[str] = "single_leg_squat"
    rep_cue_codes: ClassVar[tuple[str, ...]] = ("fast_descent", "insufficient_depth")

    def cue_thresholds(self) -> dict[str, tuple[float, ...]]:
        th = dict(super().cue_thresholds())
        th["unsteady"] = (0.0, 0.01)
        return th

    def frame_faults(self, meas: Measures) -> dict[str, tuple[float, str | None]]:
        out = super().frame_faults(meas)
        thr = float(self.profile.get("steady.touchdown_height"))
        out["unsteady"] = (thr - meas["free_h"], self.side)
        return out

    def score_rep(self, exc: Excursion, rep: Rep) -> None:
        pk = self.score_common(exc, rep)
        cfg = self.profile.section("single_leg_squat")
        if rep.peak_knee_flexion < cfg["depth_target"]:
            sev = "severe" if rep.peak_knee_flexion < cfg["depth_fair"] else "mild"
            rep.faults.append(Fault("insufficient_depth", rep.side, rep.peak_knee_flexion, sev))
        free_h = med3(self.sample_array(exc, "free_h"))
        thr = float(self.profile.get("steady.touchdown_height"))
        touch = np.nan_to_num(free_h, nan=np.inf) <= thr
        touched = any(b - a >= 3 for a, b in _runs(touch))
        if touched:
            rep.faults.append(Fault("unsteady", rep.side, float(np.nanmin(free_h)), "severe"))
        ratings = {
            "trunk": crossley_rating(pk["lean"], *self.th("trunk_lean")[:2]),
            "pelvis": crossley_rating(pk["pelvis"], *self.th("hip_drop")[:2]),
            "hip": crossley_rating(pk["hip_add"], *self.th("hip_adduction")[:2]),
            "knee": crossley_rating(pk["valgus"], *self.th("knee_valgus")[:2]),
        }
        codes = {f.code for f in rep.faults}
        n_poor = sum(r == "poor" for r in ratings.values())
        if touched or n_poor >= 2 or rep.peak_knee_flexion < cfg["depth_fair"]:
            overall = "poor"
        elif n_poor or any(r == "fair" for r in ratings.values()) or (
            codes & {"fast_descent", "insufficient_depth"}
        ):
            overall = "fair"
        else:
            overall = "good"
        rubric: dict[str, Any] = {"overall": overall, **ratings}
        rubric["total"] = sum(_RATING_POINTS[r] for r in (overall, *ratings.values()))
        rubric["grade"] = overall
        rep.rubric = rubric

    def rubric_summary(self, reps: list[Rep]) -> dict[str, Any]:
        if not reps:
            return {"scale": "crossley2011", "total": None, "grade": None}
        pts = [_RATING_POINTS[r.rubric["overall"]] for r in reps]
        worst_median = sorted(pts)[len(pts) // 2]  # upper median: ties go to the worse
        grade = {0: "good", 1: "fair", 2: "poor"}[worst_median]
        items = ("overall", "trunk", "pelvis", "hip", "knee")
        return {
            "scale": "crossley2011",
            "total": float(np.mean([r.rubric["total"] for r in reps])),
            "grade": grade,
            "items": {k: max((r.rubric[k] for r in reps), key=_RATING_POINTS.__getitem__)
                      for k in items},
        }


class StepDown(StandingEngine):
    """Lateral step-down, frontal view; scored as Piva et al. 2006 (0-6)."""

    name: ClassVar[str] = "step_down"
    rep_cue_codes: ClassVar[tuple[str, ...]] = ("fast_descent", "unsteady")

    def cue_thresholds(self) -> dict[str, tuple[float, ...]]:
        th = dict(super().cue_thresholds())
        th["knee_medial"] = (0.0, 0.02, 0.0)
        th["arm_strategy"] = (float(self.profile.get("step_down.arm_strategy")), 0.05)
        return th

    def frame_faults(self, meas: Measures) -> dict[str, tuple[float, str | None]]:
        out = super().frame_faults(meas)
        border = float(self.profile.get("knee_position.medial_border"))
        out["knee_medial"] = (meas["knee_toe"] - border, self.side)
        out["arm_strategy"] = (meas["arm"] - self.rest_reference("arm"), None)
        return out

    def score_rep(self, exc: Excursion, rep: Rep) -> None:
        pk = self.score_common(exc, rep)
        cfg = self.profile.section("step_down")
        kp = self.profile.section("knee_position")
        s = rep.side
        # arm strategy: a wrist moved away from its resting place (hands-on-hips)
        arm_rest = self.sample_array(exc, "arm", rest=True)
        arm_ref = float(np.nanmedian(arm_rest)) if np.isfinite(arm_rest).any() else float("nan")
        arm_dev = nanmax(smooth5(self.sample_array(exc, "arm"))) - arm_ref
        arm_pt = int(math.isfinite(arm_dev) and arm_dev >= cfg["arm_strategy"])
        if arm_pt:
            rep.faults.append(Fault("arm_strategy", None, arm_dev, "mild"))
        # knee position: medial of the 2nd toe = 1, medial of the foot's medial border = 2
        knee_toe = nanmax(smooth5(self.sample_array(exc, "knee_toe")))
        knee_pt = 0
        if math.isfinite(knee_toe):
            knee_pt = 2 if knee_toe >= kp["medial_border"] else int(knee_toe >= kp["toe_margin"])
        if knee_pt:
            rep.faults.append(
                Fault("knee_medial", s, knee_toe, "severe" if knee_pt == 2 else "mild")
            )
        # steady stance: free foot resting at its lowest (stepping down) or knee wavering
        steady_pt, why = 0, float("nan")
        free_h = smooth5(self.sample_array(exc, "free_h"))
        fin = np.isfinite(free_h)
        if fin.sum() >= 3:
            dt = float(np.median(np.diff(exc.t))) if len(exc.t) > 1 else 33.3
            lo = float(np.nanmin(free_h))
            tol = max(0.01, 0.1 * (float(np.nanmax(free_h)) - lo))
            near = np.nan_to_num(free_h, nan=np.inf) <= lo + tol
            # close gaps of up to 2 frames (landmark noise) before measuring the rest
            for a, b in _runs(~near):
                if b - a <= 2 and a > 0 and b < len(near):
                    near[a:b] = True
            rest_runs = _runs(near)
            longest = max((b - a for a, b in rest_runs), default=0) * dt / 1000.0
            if longest > cfg["touchdown_max_s"]:
                steady_pt, why = 1, longest
        kx = self.sample_array(exc, "knee_x")
        if steady_pt == 0 and np.isfinite(kx).sum() >= 10:
            k3 = np.convolve(np.nan_to_num(kx, nan=float(np.nanmean(kx))), np.ones(3) / 3, "same")
            w = max(3, int(round(500.0 / (float(np.median(np.diff(exc.t))) or 33.3))))
            w = min(w, len(k3))  # np.convolve 'same' returns max(len) samples
            trend = np.convolve(k3, np.ones(w) / w, "same")
            core = slice(w, len(k3) - w) if len(k3) > 2 * w + 3 else slice(0, len(k3))
            wob = float(np.std((k3 - trend)[core]))
            if wob > cfg["wobble"]:
                steady_pt, why = 1, wob
        if steady_pt:
            rep.faults.append(Fault("unsteady", s, why, "mild"))
        trunk_pt = int(math.isfinite(pk["lean"]) and pk["lean"] >= self.th("trunk_lean")[0])
        pelvis_pt = int(math.isfinite(pk["pelvis"]) and pk["pelvis"] >= self.th("hip_drop")[0])
        total = arm_pt + trunk_pt + pelvis_pt + knee_pt + steady_pt
        rep.rubric = {
            "arm_strategy": arm_pt,
            "trunk_alignment": trunk_pt,
            "pelvic_plane": pelvis_pt,
            "knee_position": knee_pt,
            "steady_stance": steady_pt,
            "total": total,
            "grade": piva_grade(total),
        }

    def rubric_summary(self, reps: list[Rep]) -> dict[str, Any]:
        if not reps:
            return {"scale": "piva2006", "total": None, "grade": None}
        totals = sorted(r.rubric["total"] for r in reps)
        med = totals[len(totals) // 2]
        return {
            "scale": "piva2006",
            "total": med,
            "mean_total": float(np.mean(totals)),
            "grade": piva_grade(med),
        }
