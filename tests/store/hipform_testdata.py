"""Hand-made ``hipform.analysis/1`` fixtures (shared by tests/store and tests/report).

The per-frame series are synthetic: a single-leg squat of ``n_reps`` reps at 30 fps whose
knee valgus peaks at ``valgus_peak`` degrees on the stance (left) side, with a few lost
frames (``None``) like a real clip.
"""

from __future__ import annotations

import math
from typing import Any


def make_analysis(
    *,
    subject: str | None = "ana",
    session: str | None = "week 0",
    created: str = "2026-11-02T09:30:00+00:00",
    exercise: str | None = "single_leg_squat",
    side: str | None = "left",
    valgus_peak: float = 16.0,
    hip_drop_peak: float = 6.0,
    n_reps: int = 4,
    fps: float = 30.0,
    rep_s: float = 2.4,
) -> dict[str, Any]:
    """A complete, plausible analysis dict (JSON-compatible: NaN written as None)."""
    rest_s = 0.8
    T = int(round((rest_s + n_reps * rep_s + rest_s) * fps))
    t_ms = [int(round(i * 1000.0 / fps)) for i in range(T)]

    def phase(i: int) -> tuple[int, float]:
        """(rep number or -1, 0..1..0 depth) of frame i."""
        t = i / fps - rest_s
        if t < 0 or t >= n_reps * rep_s:
            return -1, 0.0
        k = int(t // rep_s)
        u = (t - k * rep_s) / rep_s
        return k, math.sin(math.pi * u) ** 2

    depth = [phase(i)[1] for i in range(T)]
    lost = set(range(40, 44))  # four frames with no person

    def series(f) -> list[float | None]:
        return [None if i in lost else round(f(i, depth[i]), 3) for i in range(T)]

    # each rep a little different, so the rep table is not uniform
    def rep_scale(i: int) -> float:
        k = phase(i)[0]
        return 1.0 if k < 0 else (0.85 + 0.1 * ((k * 7) % 4))

    vl = series(lambda i, d: 2.0 + (valgus_peak - 2.0) * d * rep_scale(i) / 1.15)
    vr = series(lambda i, d: 1.0 + 3.0 * d)
    hdl = series(lambda i, d: 0.5 + (hip_drop_peak - 0.5) * d * rep_scale(i) / 1.15)
    hdr = series(lambda i, d: 0.0)
    lum = series(lambda i, d: 3.0 + 4.0 * d)
    tlf_l = series(lambda i, d: 1.0 + 8.0 * d)
    tlf_r = series(lambda i, d: -1.0 - 8.0 * d)
    tls = series(lambda i, d: 5.0 + 20.0 * d)
    kfl = series(lambda i, d: 5.0 + 70.0 * d)
    kfr = series(lambda i, d: 40.0)
    hfl = series(lambda i, d: 5.0 + 60.0 * d)
    hfr = series(lambda i, d: 35.0)
    obl = series(lambda i, d: -0.5 - (hip_drop_peak - 0.5) * d)

    reps = []
    for k in range(n_reps):
        i0 = int(round((rest_s + k * rep_s) * fps))
        i1 = int(round((rest_s + (k + 1) * rep_s) * fps)) - 1
        ib = (i0 + i1) // 2
        seg = [v for v in vl[i0:i1 + 1] if v is not None]
        pk_v = max(seg)
        pk_h = max(v for v in hdl[i0:i1 + 1] if v is not None)
        faults = []
        if pk_v >= 10:
            faults.append({"code": "knee_valgus", "side": "left", "value": round(pk_v, 2),
                           "severity": "severe" if pk_v >= 15 else "flag"})
        if pk_h >= 5:
            faults.append({"code": "hip_drop", "side": "left", "value": round(pk_h, 2),
                           "severity": "flag"})
        reps.append({
            "index": k,
            "start_ms": t_ms[i0], "bottom_ms": t_ms[ib], "end_ms": t_ms[i1],
            "eccentric_s": round((ib - i0) / fps, 3), "hold_s": 0.1,
            "concentric_s": round((i1 - ib) / fps, 3),
            "peak_knee_valgus": round(pk_v, 2),
            "peak_hip_drop": round(pk_h, 2),
            "peak_lumbar_extension": 7.0,
            "trunk_lean": {"frontal": 9.0, "sagittal": 25.0},
            "faults": faults,
            "rubric": {"overall": 1, "trunk": 0, "pelvis": int(pk_h >= 5), "hip": 0,
                       "knee": int(pk_v >= 10), "total": 1 + int(pk_h >= 5) + int(pk_v >= 10)},
        })
    cues = []
    for r in reps:
        for f in r["faults"]:
            if f["code"] == "knee_valgus":
                cues.append({"t_ms": r["bottom_ms"], "code": "knee_valgus", "side": "left",
                             "value": f["value"],
                             "message": "Push your left knee out over your little toe"})
    n_faults = sum(len(r["faults"]) for r in reps)
    return {
        "schema": "hipform.analysis/1",
        "created": created,
        "subject": subject,
        "session": session,
        "source": {"path": "/videos/ana_sls_left.mp4", "fps": fps, "frames": T,
                   "width": 1280, "height": 720, "frames_lost": 0},
        "model": {"name": "pose_landmarker_full", "sha256": "ab" * 32},
        "exercise": exercise,
        "exercise_confidence": 0.93,
        "side": side,
        "view": "frontal",
        "frames": {
            "t_ms": t_ms,
            "detected": [i not in lost for i in range(T)],
            "knee_valgus_deg": {"left": vl, "right": vr},
            "pelvic_obliquity_deg": obl,
            "hip_drop_deg": {"left": hdl, "right": hdr},
            "lumbar_extension_deg": lum,
            "trunk_lean_deg": {"frontal": {"left": tlf_l, "right": tlf_r}, "sagittal": tls},
            "knee_flexion_deg": {"left": kfl, "right": kfr},
            "hip_flexion_deg": {"left": hfl, "right": hfr},
            "view": ["frontal"] * T,
            "view_confidence": [0.9] * T,
        },
        "reps": reps,
        "cues": cues,
        "summary": {"reps": n_reps, "faults_per_rep": round(n_faults / max(n_reps, 1), 3),
                    "rubric_total": max(r["rubric"]["total"] for r in reps),
                    "duration_s": round(T / fps, 2)},
        "thresholds": {"knee_valgus_deg": {"flag": 10, "severe": 15},
                       "hip_drop_deg": {"flag": 5}, "lumbar_extension_deg": {"flag": 10},
                       "trunk_lean_deg": {"flag": 10}},
    }


def minimal_analysis() -> dict[str, Any]:
    """An old/partial analysis: only the schema, a time and an exercise."""
    return {"schema": "hipform.analysis/1", "created": "2026-10-01T08:00:00",
            "exercise": "bridge"}
