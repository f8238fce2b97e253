"""Glute bridge engine (lying; side-on view, or frontal view from the feet).

Drive signal:
  * side-on (sagittal): the signed shoulder-hip-knee line angle (degrees, 0 = hips on the
    shoulder-knee line, + = above it); it rises as the hips lift.
  * from the feet (frontal): hip rise above the shoulders (image y, mid-points) in % of
    the resting hip width.
The mode is fixed from the first frame where the body axis can be measured: body axis
(shoulders -> knees) closer to the image horizontal = side-on, else from the feet.

Phases: rest -> lift -> top (hold) -> lower. The lift is the concentric part.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from hipform.core.metrics import View
from hipform.exercises.base import EngineBase, Measures, med3, nanmax, signed_peak, smooth5
from hipform.exercises.geometry import LEG, Points, dist, line_angle
from hipform.exercises.segment import Excursion
from hipform.exercises.types import Fault, FrameMetrics, Rep

__all__ = ["Bridge", "bridge_grade"]


def bridge_grade(total: float) -> str:
    """hipform bridge score: 0 good, 1-2 fair, >= 3 poor."""
    if not math.isfinite(total):
        return "unknown"
    return "good" if total == 0 else ("fair" if total <= 2 else "poor")


class Bridge(EngineBase):
    """Glute bridge, double- or single-leg (``side`` = stance leg, or "both")."""

    name: ClassVar[str] = "bridge"
    views: ClassVar[tuple[int, ...]] = (
        int(View.SAGITTAL_LEFT), int(View.SAGITTAL_RIGHT), int(View.LYING), int(View.FRONTAL),
    )
    wrong_view_cue: ClassVar[str] = "turn_side_on"
    phase_names: ClassVar[dict[str, str]] = {
        "rest": "rest", "out": "lift", "hold": "top", "back": "lower"
    }
    out_is_eccentric: ClassVar[bool] = False
    rep_cue_codes: ClassVar[tuple[str, ...]] = (
        "incomplete_extension", "short_hold", "fast_descent",
    )

    def __init__(self, *a: Any, **kw: Any) -> None:
        self.mode: str | None = None  # "sagittal" or "frontal", fixed on the first frame
        super().__init__(*a, **kw)

    def segmentation_settings(self) -> dict[str, float]:
        sb = self.profile.section("segmentation_bridge")
        if self.mode == "frontal":
            return {"enter": sb["enter_frontal"], "exit": sb["exit_frontal"],
                    "min_excursion": sb["min_excursion_frontal"]}
        return {"enter": sb["enter"], "exit": sb["exit"], "min_excursion": sb["min_excursion"]}

    def cue_thresholds(self) -> dict[str, tuple[float, ...]]:
        le, pt = self.th("lumbar_extension"), self.th("pelvic_tilt")
        cfg = self.profile.section("bridge")
        return {
            "lumbar_arch": (le[0], le[2], le[1]),
            "pelvic_tilt": (pt[0], pt[2], pt[1]),
            "knee_cave": (cfg["knee_cave"], 0.03),
            "knee_drift": (cfg["knee_drift"], 0.03),
        }

    def key_visible(self, row: np.ndarray) -> bool:
        names = ("shoulder", "hip", "knee", "ankle")
        return any(all(row[LEG[s][n], 3] >= self.vmin for n in names) for s in ("left", "right"))

    def _avg(self, row: np.ndarray, name: str, pt: Points | None = None) -> np.ndarray:
        pt = pt or Points(row, self.vmin)
        pts = [pt(LEG[s][name]) for s in ("left", "right")]
        ok = [p for p in pts if np.all(np.isfinite(p))]
        return np.mean(ok, axis=0) if ok else np.array([np.nan, np.nan])

    def _set_mode(self, row: np.ndarray) -> None:
        sh, kn = self._avg(row, "shoulder"), self._avg(row, "knee")
        d = kn - sh
        if not np.all(np.isfinite(d)):
            return
        self.mode = "sagittal" if abs(d[0]) >= abs(d[1]) else "frontal"
        seg = self.segmentation_settings()
        self.seg.enter, self.seg.exit = seg["enter"], seg["exit"]
        self.seg.min_excursion = seg["min_excursion"]

    @property
    def single_leg(self) -> bool:
        return self.side in ("left", "right")

    def measure(self, row: np.ndarray, fm: FrameMetrics) -> Measures:
        if self.mode is None:
            self._set_mode(row)
        pt = Points(row, self.vmin)
        sh, hip, kn = (self._avg(row, n, pt) for n in ("shoulder", "hip", "knee"))
        hl, hr = pt(LEG["left"]["hip"]), pt(LEG["right"]["hip"])
        kl, kr = pt(LEG["left"]["knee"]), pt(LEG["right"]["knee"])
        al, ar = pt(LEG["left"]["ankle"]), pt(LEG["right"]["ankle"])
        line = line_angle(sh, hip, kn)
        lumbar = fm.lumbar_extension if math.isfinite(fm.lumbar_extension) else float("nan")
        nan = float("nan")
        if self.mode == "frontal":
            hw = dist(hl, hr)
            hw_ref = self.rest_reference("hw")
            if not hw_ref > 0:
                hw_ref = hw
            # hips rise relative to the shoulders (on the floor), in % of the hip width
            drive = (sh[1] - hip[1]) / hw_ref * 100.0 if hw_ref > 0 else nan
            obl = fm.pelvic_obliquity
            if not math.isfinite(obl) and np.all(np.isfinite([*hl, *hr])):
                # + = subject's left hip lower (larger image y), same as the metric
                obl = math.degrees(math.atan2(hl[1] - hr[1], abs(hl[0] - hr[0])))
            ad = dist(al, ar)
            gap = dist(kl, kr) / ad if ad > 0 else nan
        else:
            drive = line
            if not math.isfinite(lumbar):
                lumbar = line
            obl, gap = fm.pelvic_obliquity, nan
        return {"drive": drive, "lumbar": lumbar, "obl": obl, "gap": gap,
                "hw": hw if self.mode == "frontal" else nan}

    def frame_faults(self, meas: Measures) -> dict[str, tuple[float, str | None]]:
        side = self.side if self.single_leg else None
        obl_rest = self.rest_reference("obl")
        gap_rest = self.rest_reference("gap")
        out: dict[str, tuple[float, str | None]] = {
            "lumbar_arch": (meas["lumbar"], None),
            "pelvic_tilt": (abs(meas["obl"] - obl_rest), side),
        }
        if not self.single_leg and gap_rest > 0:
            rel = meas["gap"] / gap_rest - 1.0
            out["knee_cave"] = (-rel, None)
            out["knee_drift"] = (rel, None)
        return out

    def score_rep(self, exc: Excursion, rep: Rep) -> None:
        cfg = self.profile.section("bridge")
        side = self.side if self.single_leg else None
        rep.side = self.side or "both"
        drive = med3(exc.s[exc.start_pos :])
        amp = exc.excursion
        top = drive >= exc.peak - max(3.0, 0.1 * amp)
        lumbar = smooth5(self.sample_array(exc, "lumbar"))
        rep.peak_lumbar_extension = nanmax(lumbar[top]) if top.any() else nanmax(lumbar)
        faults: list[Fault | None] = [
            self.graded("lumbar_arch", rep.peak_lumbar_extension, "lumbar_extension", None)
        ]
        spine_pt = {None: 0, "mild": 1, "severe": 2}[faults[0].severity if faults[0] else None]
        ext_pt = 0
        if math.isfinite(rep.peak_lumbar_extension):
            deficit = -rep.peak_lumbar_extension
            if deficit > cfg["incomplete_extension"]:
                ext_pt = 1
                sev = "severe" if deficit > 2 * cfg["incomplete_extension"] else "mild"
                faults.append(Fault("incomplete_extension", None, deficit, sev))
        # pelvis level (frontal view): tilt of the hip line from its resting angle
        obl = smooth5(self.sample_array(exc, "obl"))
        obl_rest = self.sample_array(exc, "obl", rest=True)
        pelvis_pt = 0
        if np.isfinite(obl_rest).any() and np.isfinite(obl).any():
            tilt = signed_peak(obl - float(np.nanmedian(obl_rest)))
            rep.peak_hip_drop = tilt
            f = self.graded("pelvic_tilt", abs(tilt), "pelvic_tilt", side)
            if f is not None:
                pelvis_pt = 1 if f.severity == "mild" else 2
                faults.append(f)
        # knees (frontal, double-leg): knee gap at the top vs at rest
        knees_pt = 0
        gap = self.sample_array(exc, "gap")
        gap_rest = self.sample_array(exc, "gap", rest=True)
        if not self.single_leg and np.isfinite(gap[top]).any() and np.isfinite(gap_rest).any():
            rel = float(np.nanmedian(gap[top]) / np.nanmedian(gap_rest) - 1.0)
            if rel <= -cfg["knee_cave"]:
                knees_pt = 1
                faults.append(Fault("knee_cave", None, -rel, "mild"))
            elif rel >= cfg["knee_drift"]:
                knees_pt = 1
                faults.append(Fault("knee_drift", None, rel, "mild"))
        hold_pt = 0
        if math.isfinite(rep.hold_s) and rep.hold_s < cfg["hold_min_s"]:
            hold_pt = 1
            faults.append(Fault("short_hold", side, rep.hold_s, "mild"))
        faults.append(self.tempo_fault(rep))
        rep.faults.extend(f for f in faults if f is not None)
        total = spine_pt + ext_pt + pelvis_pt + knees_pt + hold_pt
        rep.rubric = {
            "spine": spine_pt, "extension": ext_pt, "pelvis": pelvis_pt, "knees": knees_pt,
            "hold": hold_pt, "total": total, "grade": bridge_grade(total),
        }

    def rubric_summary(self, reps: list[Rep]) -> dict[str, Any]:
        if not reps:
            return {"scale": "hipform_bridge", "total": None, "grade": None}
        totals = sorted(r.rubric["total"] for r in reps)
        med = totals[len(totals) // 2]
        return {
            "scale": "hipform_bridge", "total": med, "mean_total": float(np.mean(totals)),
            "grade": bridge_grade(med),
            "mean_hold_s": float(np.nanmean([r.hold_s for r in reps])),
        }
