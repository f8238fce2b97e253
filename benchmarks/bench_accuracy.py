#!/usr/bin/env python3
"""Accuracy against synthetic ground truth (issue 7).

Renders a grid of synthetic clips (hipform.synth): every exercise, fault sizes from none
to severe, both sides, camera yaw 0/10/20 degrees, two body builds and outfits. Each clip
is written as an mp4 (so the model sees compressed video, as it would a user's), run
through the real pose model once, and scored with the real analysis:

* ``hipform.pipeline.analyze_video(video, out, exercise=..., side=...,
  write_video=False, write_report=False)`` -> analysis.json (frames, reps, faults) and
  the model landmarks (landmarks.npz). The exercise and stance side are given (as a
  user choosing them would); auto-recognition is not scored here. If the pipeline
  raises, the per-frame part falls back to the estimator +
  ``hipform.core.metrics.compute_metrics`` and the rep/fault part is reported as
  unavailable, with the error.

Reported per measure (stance-side column for knee valgus and hip drop, frontal clips;
lumbar extension for bridge clips, side view): mean absolute error against the truth per
frame (frames inside the true reps where both are defined) and at each rep's peak
(maximum inside the true rep window), with the signed bias; rep-count accuracy; tempo
error (eccentric / hold / concentric seconds of matched reps); fault-detection
sensitivity and specificity per fault code. Fault labels: "planned" = the generator's
fault size is at or above the profile's flag threshold; "measure" = the truth measure's
rep peak (what a perfect landmark detector would see in this camera) is at or above it.

Synthetic accuracy bounds, but does not prove, accuracy on real people.

Usage: python benchmarks/bench_accuracy.py [--quick] [--jobs N] [--keep DIR]
Results: benchmarks/results/accuracy.json and accuracy.md

``--hip-gain`` runs only the hip-drop gain experiment instead (24 short clips, ~4 min):
how much of a rendered contralateral pelvic drop the model's hip line follows, for the
grid's camera, a larger figure, and a diagnostic case whose thorax tilts with the
pelvis. Results: benchmarks/results/accuracy_hip_gain.json and accuracy_hip_gain.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"
MODEL = ROOT / "models" / "pose_landmarker_full.task"
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

#: accuracy targets (frontal grid at yaw <= 20 deg; bridge sagittal)
TARGETS = {"knee_valgus_peak_mae": 3.0, "hip_drop_peak_mae": 2.0,
           "lumbar_extension_peak_mae": 4.0, "sensitivity": 0.9, "specificity": 0.9}

#: fault code -> (measure, profile section) for the threshold labels
FAULTS = {"knee_valgus": ("knee_valgus", "knee_valgus"),
          "hip_drop": ("hip_drop", "hip_drop"),
          "lumbar_arch": ("lumbar_extension", "lumbar_extension")}

#: exercise -> {level: fault parameters}
LEVELS: dict[str, dict[str, dict[str, float]]] = {
    "single_leg_squat": {"none": {}, "valgus": {"valgus": 14.0}, "drop": {"hip_drop": 7.0},
                         "severe": {"valgus": 22.0, "hip_drop": 11.0}},
    "step_down": {"none": {}, "valgus": {"valgus": 14.0}, "drop": {"hip_drop": 7.0},
                  "severe": {"valgus": 22.0, "hip_drop": 11.0}},
    "bridge": {"none": {}, "moderate": {"lumbar": 15.0}, "severe": {"lumbar": 25.0}},
}
TEMPO = {"single_leg_squat": (2.2, 0.25, 1.0), "step_down": (1.6, 0.3, 1.0),
         "bridge": (1.6, 1.4, 1.0)}   # (down, hold, up) s, as the bundled samples


def bodies() -> dict[str, Any]:
    from hipform.synth.body import BodyShape, Outfit

    return {
        "A": BodyShape(),
        "B": BodyShape(height_m=1.62, girth=1.2, hip_width=1.1, shoulder_width=0.95,
                       outfit=Outfit(skin=(95, 125, 165), shirt=(60, 50, 190),
                                     shorts=(110, 110, 105), shoes=(40, 40, 40),
                                     hair=(20, 20, 25))),
    }


def grid(quick: bool) -> list[dict]:
    """Clip descriptions (plain dicts, picklable)."""
    out = []
    yaws = (0.0, 20.0) if quick else (0.0, 10.0, 20.0)
    sides = ("left",) if quick else ("left", "right")
    builds = ("A",) if quick else ("A", "B")
    seed = 100
    for ex, levels in LEVELS.items():
        names = [n for n in levels if (not quick or n in ("none", "severe"))]
        for lvl in names:
            for side in sides:
                for yaw in yaws:
                    for b in builds:
                        seed += 1
                        out.append({"exercise": ex, "level": lvl, "faults": levels[lvl],
                                    "side": side, "yaw": yaw, "body": b, "seed": seed,
                                    "name": f"{ex}-{lvl}-{side}-y{int(yaw)}-{b}"})
    return out


def _interleave(clips: list[dict]) -> list[dict]:
    """Round-robin over exercises, so an interrupted run still covers all of them."""
    by: dict[str, list[dict]] = {}
    for c in clips:
        by.setdefault(c["exercise"], []).append(c)
    out: list[dict] = []
    while any(by.values()):
        for k in list(by):
            if by[k]:
                out.append(by[k].pop(0))
    return out


def _spec(c: dict):
    from hipform.synth.clip import ClipSpec
    from hipform.synth.motion import MotionParams

    depth = 0.15 if c["exercise"] == "step_down" else 65.0
    mp = MotionParams(c["exercise"], reps=2, tempo=TEMPO[c["exercise"]], rest=0.6, depth=depth,
                      side=c["side"], seed=c["seed"], **c["faults"])
    return ClipSpec(c["name"], mp, body=bodies()[c["body"]], yaw=c["yaw"])


def _run_model(video: Path, t_ms: np.ndarray, width: int, height: int):
    """Fallback when the pipeline fails: the estimator alone -> Landmarks (with world)."""
    import cv2

    from hipform.landmarks import Landmarks
    from hipform.pose import open_estimator

    cap = cv2.VideoCapture(str(video))
    rows, worlds = [], []
    t0 = time.perf_counter()
    est = open_estimator(MODEL, num_poses=1)
    try:
        for t in t_ms:
            ok, img = cap.read()
            if not ok:
                break
            xyzv, world = est.process(img, int(t))
            rows.append(xyzv)
            worlds.append(np.full((33, 3), np.nan, np.float32) if world is None else world)
    finally:
        est.close()
        cap.release()
    model_s = time.perf_counter() - t0
    xyzv = np.asarray(rows, np.float32)
    return Landmarks(xyzv, np.asarray(t_ms[: len(xyzv)], np.int64), width, height,
                     np.asarray(worlds, np.float32)), model_s


def _series(analysis: dict | None, lm, truth: dict) -> tuple[dict[str, np.ndarray], str]:
    """Estimated per-frame measures: from analysis.json frames, else hipform.core."""
    if analysis and isinstance(analysis.get("frames"), dict):
        fr = analysis["frames"]

        def arr(x: Any) -> np.ndarray:
            return np.asarray([np.nan if v is None else v for v in x], np.float64)

        out = {}
        for key, name in (("knee_valgus_deg", "knee_valgus"), ("hip_drop_deg", "hip_drop"),
                          ("knee_flexion_deg", "knee_flexion")):
            if isinstance(fr.get(key), dict):
                out[name] = np.stack([arr(fr[key]["left"]), arr(fr[key]["right"])], -1)
        if "lumbar_extension_deg" in fr:
            out["lumbar_extension"] = arr(fr["lumbar_extension_deg"])
        if out:
            return out, "analysis.json"
    from hipform.core.metrics import compute_metrics

    m = compute_metrics(lm)
    return {"knee_valgus": np.asarray(m.knee_valgus, np.float64),
            "hip_drop": np.asarray(m.hip_drop, np.float64),
            "knee_flexion": np.asarray(m.knee_flexion, np.float64),
            "lumbar_extension": np.asarray(m.lumbar_extension, np.float64)}, "core"


def _truth_series(truth: dict) -> dict[str, np.ndarray]:
    mt = truth["frames"]["metrics"]

    def arr(x: Any) -> np.ndarray:
        return np.asarray([np.nan if v is None else v for v in x], np.float64)

    return {"knee_valgus": np.stack([arr(mt["knee_valgus"]["left"]),
                                     arr(mt["knee_valgus"]["right"])], -1),
            "hip_drop": np.stack([arr(mt["hip_drop"]["left"]), arr(mt["hip_drop"]["right"])], -1),
            "knee_flexion": np.stack([arr(mt["knee_flexion"]["left"]),
                                      arr(mt["knee_flexion"]["right"])], -1),
            "lumbar_extension": arr(mt["lumbar_extension"])}


def _fault_codes(analysis: dict) -> set[tuple[str, str | None]]:
    got = set()
    for r in analysis.get("reps", []) or []:
        for f in r.get("faults", []) or []:
            if isinstance(f, str):
                got.add((f, None))
            elif isinstance(f, dict):
                got.add((str(f.get("code") or f.get("fault") or f.get("name")), f.get("side")))
    return got


def evaluate(c: dict, work: Path, keep: bool) -> dict:
    """Render, run the model, analyse and score one clip."""
    from hipform.synth.clip import write_clip
    from hipform.synth.truth import load_truth

    t0 = time.perf_counter()
    spec = _spec(c)
    d = work / c["name"]
    video, tpath = write_clip(spec, d)
    render_s = time.perf_counter() - t0
    truth = load_truth(tpath)
    t_ms = np.asarray(truth["frames"]["t_ms"], np.int64)
    res: dict[str, Any] = {**{k: c[k] for k in ("name", "exercise", "level", "side", "yaw",
                                               "body")},
                           "faults_planned": c["faults"], "n_frames": truth["n_frames"],
                           "render_s": round(render_s, 2)}
    analysis = None
    t1 = time.perf_counter()
    try:
        # the product path: the video through the real pipeline (model + engines)
        from hipform.landmarks import Landmarks
        from hipform.pipeline import analyze_video

        analysis = analyze_video(video, d / "analysis", exercise=c["exercise"],
                                 side=c["side"] if c["exercise"] != "bridge" else None,
                                 write_video=False, write_report=False)
        lm = Landmarks.load(d / "analysis" / "landmarks.npz")
        res["analysis_s"] = round(time.perf_counter() - t1, 2)
    except Exception as e:  # noqa: BLE001 - the pipeline is being built; report why
        res["analysis_error"] = f"{type(e).__name__}: {e}"
        analysis = None
        lm, model_s = _run_model(video, t_ms, truth["width"], truth["height"])
        res["model_s"] = round(model_s, 2)
    res["detected"] = float(np.isfinite(lm.xyzv[:, 0, 0]).mean())
    _score(c, truth, lm, analysis, res)
    if not keep:
        shutil.rmtree(d, ignore_errors=True)
    return res


def rescore(c: dict, kept: Path) -> dict | None:
    """Score a clip kept by ``--keep`` again with the current pipeline (replaying its model
    landmarks: no rendering, no model). None when the clip is not there."""
    from hipform.landmarks import Landmarks
    from hipform.synth.truth import load_truth

    d = kept / c["name"]
    lmp, tp = d / "analysis" / "landmarks.npz", d / f"{c['name']}.truth.json"
    if not (lmp.exists() and tp.exists()):
        return None
    truth = load_truth(tp)
    lm = Landmarks.load(lmp)
    res: dict[str, Any] = {**{k: c[k] for k in ("name", "exercise", "level", "side", "yaw",
                                               "body")},
                           "faults_planned": c["faults"], "n_frames": truth["n_frames"],
                           "rescored": True,
                           "detected": float(np.isfinite(lm.xyzv[:, 0, 0]).mean())}
    analysis = None
    try:
        from hipform.pipeline import analyze_video

        analysis = analyze_video(None, d / "rescore", landmarks=lm, exercise=c["exercise"],
                                 side=c["side"] if c["exercise"] != "bridge" else None,
                                 write_video=False, write_report=False)
    except Exception as e:  # noqa: BLE001 - report why
        res["analysis_error"] = f"{type(e).__name__}: {e}"
    _score(c, truth, lm, analysis, res)
    return res


def _score(c: dict, truth: dict, lm: Any, analysis: dict | None, res: dict) -> None:
    """Fill ``res`` with the per-measure errors, labels, reps, tempo and faults."""
    from hipform.config import load_profile

    est, source = _series(analysis, lm, truth)
    res["per_frame_source"] = source
    tru = _truth_series(truth)
    col = 0 if c["side"] == "left" else 1
    measures = (["lumbar_extension"] if c["exercise"] == "bridge"
                else ["knee_valgus", "hip_drop", "knee_flexion"])
    measures = [m for m in measures if m in est]
    in_rep = np.zeros(truth["n_frames"], bool)
    for r in truth["reps"]:
        in_rep[r["start_frame"]: r["end_frame"] + 1] = True
    res["measures"] = {}
    for m in measures:
        e = est[m] if est[m].ndim == 1 else est[m][:, col]
        t = tru[m] if tru[m].ndim == 1 else tru[m][:, col]
        n = min(len(e), len(t))
        e, t = e[:n], t[:n]
        ok = in_rep[:n] & np.isfinite(e) & np.isfinite(t)
        peaks = []
        for r in truth["reps"]:
            sl = slice(r["start_frame"], r["end_frame"] + 1)
            pe = np.nanmax(e[sl]) if np.any(np.isfinite(e[sl])) else math.nan
            pt = np.nanmax(t[sl])
            peaks.append((float(pe), float(pt)))
        res["measures"][m] = {
            "frame_abs_err": float(np.mean(np.abs(e[ok] - t[ok]))) if ok.any() else None,
            "frame_bias": float(np.mean(e[ok] - t[ok])) if ok.any() else None,
            "frame_coverage": float(ok.sum() / max(in_rep[:n].sum(), 1)),
            "peaks": peaks,
        }
    # reps, tempo, faults
    prof = load_profile(None)
    labels = {}
    for code, (meas, section) in FAULTS.items():
        if (code == "lumbar_arch") != (c["exercise"] == "bridge"):
            continue
        flag = float(prof.get(f"{section}.flag"))
        size = {"knee_valgus": c["faults"].get("valgus", 0.0),
                "hip_drop": c["faults"].get("hip_drop", 0.0),
                "lumbar_arch": c["faults"].get("lumbar", 0.0)}[code]
        tpk = [p[1] for p in res["measures"][meas]["peaks"]]
        labels[code] = {"planned": size >= flag, "measure": bool(max(tpk) >= flag),
                        "truth_peak": round(max(tpk), 2), "flag": flag}
    res["labels"] = labels
    res["truth_reps"] = len(truth["reps"])
    if analysis is not None:
        reps = analysis.get("reps", []) or []
        res["est_reps"] = len(reps)
        got = _fault_codes(analysis)
        res["faults_detected"] = sorted(f"{k}:{s}" for k, s in got)
        for code in labels:
            want_side = None if code == "lumbar_arch" else c["side"]
            labels[code]["detected"] = any(k == code and (want_side is None or s == want_side)
                                           for k, s in got)
        tempo = []
        for r in truth["reps"]:
            if not reps:
                break
            best = min(reps, key=lambda x: abs((x.get("bottom_ms") or 1e12) - r["bottom_ms"]))
            if abs((best.get("bottom_ms") or 1e12) - r["bottom_ms"]) > 1000:
                continue
            tempo.append({k: (None if best.get(k) is None else float(best[k]) - r[k])
                          for k in ("eccentric_s", "hold_s", "concentric_s")})
        res["tempo_err"] = tempo


def _safe_eval(c: dict, work: str, keep: bool) -> dict:
    try:
        return evaluate(c, Path(work), keep)
    except Exception as e:  # noqa: BLE001 - one broken clip must not sink the grid
        return {"name": c["name"], "error": f"{type(e).__name__}: {e}",
                "trace": traceback.format_exc(limit=5)}


# --------------------------------------------------------------------------- summary
def _mean(x: list[float]) -> float | None:
    x = [v for v in x if v is not None and math.isfinite(v)]
    return round(float(np.mean(x)), 2) if x else None


def summarise(rows: list[dict]) -> dict:
    ok = [r for r in rows if "error" not in r]
    groups: dict[str, list[dict]] = {}
    for r in ok:
        groups.setdefault(f"{r['exercise']} yaw {int(r['yaw'])}", []).append(r)
        groups.setdefault(f"{r['exercise']} all", []).append(r)
    table = {}
    for g, rs in sorted(groups.items()):
        ent: dict[str, Any] = {"clips": len(rs), "detected": _mean([r["detected"] for r in rs])}
        for m in ("knee_valgus", "hip_drop", "lumbar_extension", "knee_flexion"):
            ms = [r["measures"][m] for r in rs if m in r["measures"]]
            if not ms:
                continue
            pk = [(a, b) for x in ms for a, b in x["peaks"]]
            pe = [abs(a - b) for a, b in pk if math.isfinite(a) and math.isfinite(b)]
            ent[m] = {"frame_mae": _mean([x["frame_abs_err"] for x in ms]),
                      "frame_bias": _mean([x["frame_bias"] for x in ms]),
                      "coverage": _mean([x["frame_coverage"] for x in ms]),
                      "peak_mae": _mean(pe),
                      "peak_bias": _mean([a - b for a, b in pk
                                          if math.isfinite(a) and math.isfinite(b)]),
                      "peak_max_err": round(max(pe), 2) if pe else None,
                      "peaks_missing": sum(1 for a, _ in pk if not math.isfinite(a))}
        with_reps = [r for r in rs if "est_reps" in r]
        if with_reps:
            ent["rep_count_exact"] = _mean([float(r["est_reps"] == r["truth_reps"])
                                            for r in with_reps])
            te = [t for r in with_reps for t in r.get("tempo_err", [])]
            ent["tempo_mae_s"] = {k: _mean([abs(t[k]) for t in te if t.get(k) is not None])
                                  for k in ("eccentric_s", "hold_s", "concentric_s")}
            for basis in ("planned", "measure"):
                conf: dict[str, dict[str, int]] = {}
                for r in with_reps:
                    for code, lab in r["labels"].items():
                        if "detected" not in lab:
                            continue
                        c = conf.setdefault(code, {"tp": 0, "fn": 0, "tn": 0, "fp": 0})
                        key = ("tp" if lab["detected"] else "fn") if lab[basis] else \
                              ("fp" if lab["detected"] else "tn")
                        c[key] += 1
                ent[f"faults_{basis}"] = {
                    code: {**c,
                           "sensitivity": round(c["tp"] / (c["tp"] + c["fn"]), 3)
                           if c["tp"] + c["fn"] else None,
                           "specificity": round(c["tn"] / (c["tn"] + c["fp"]), 3)
                           if c["tn"] + c["fp"] else None}
                    for code, c in conf.items()}
        table[g] = ent
    return table


def _fmt(x: Any) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.2f}"
    return str(x)


def markdown(meta: dict, table: dict, rows: list[dict]) -> str:
    L = [f"# Accuracy on synthetic clips ({meta['grid']} grid, {meta['date']})", "",
         "**Synthetic accuracy bounds, but does not prove, accuracy on real people.** The "
         "figure is a rendered capsule-and-ellipsoid person with exact joint centres; real "
         "bodies, clothing, lighting and cameras are harder.", "",
         f"{meta['clips']} of {meta['clips_planned']} planned clips ({meta['failed']} failed), "
         f"{meta['frames']} frames, model "
         f"`{meta['model']}`, per-frame source: {meta['per_frame_source']}. "
         f"Mode: {meta['mode']}. Wall time {meta['wall_s']:.0f} s with {meta['jobs']} job(s) "
         f"on a shared {meta['cpus']}-core machine (timings are noisy; nan = tables rebuilt "
         f"from saved rows).", ""]
    if meta.get("analysis_errors"):
        L += ["Analysis pipeline errors (rep/fault figures unavailable for those clips): "
              + "; ".join(f"`{e}` x{n}" for e, n in meta["analysis_errors"].items()), ""]
    L += ["## Measures (degrees; peak = maximum inside each true rep)", "",
          "| clips | n | detected | measure | frame MAE | frame bias | peak MAE | peak bias "
          "| peak max err | coverage | target (peak MAE) |",
          "|---|---|---|---|---|---|---|---|---|---|---|"]
    tgt = {"knee_valgus": TARGETS["knee_valgus_peak_mae"], "hip_drop":
           TARGETS["hip_drop_peak_mae"], "lumbar_extension": TARGETS["lumbar_extension_peak_mae"]}
    for g, e in table.items():
        for m in ("knee_valgus", "hip_drop", "lumbar_extension", "knee_flexion"):
            if m not in e:
                continue
            x = e[m]
            if m not in tgt:
                L.append(f"| {g} | {e['clips']} | {_fmt(e['detected'])} | {m} (stance, "
                         f"drives rep counting) | {_fmt(x['frame_mae'])} | "
                         f"{_fmt(x['frame_bias'])} | {_fmt(x['peak_mae'])} | "
                         f"{_fmt(x['peak_bias'])} | {_fmt(x['peak_max_err'])} | "
                         f"{_fmt(x['coverage'])} | no target |")
                continue
            met = "" if x["peak_mae"] is None else ("met" if x["peak_mae"] <= tgt[m]
                                                    else "**missed**")
            L.append(f"| {g} | {e['clips']} | {_fmt(e['detected'])} | {m} | "
                     f"{_fmt(x['frame_mae'])} | {_fmt(x['frame_bias'])} | {_fmt(x['peak_mae'])}"
                     f" | {_fmt(x['peak_bias'])} | {_fmt(x['peak_max_err'])} | "
                     f"{_fmt(x['coverage'])} | ≤ {tgt[m]:g} {met} |")
    L += ["", "## Reps, tempo and faults", "",
          "| clips | rep count exact | tempo MAE ecc/hold/con (s) | fault | "
          "sens (planned) | spec (planned) | sens (measure) | spec (measure) |",
          "|---|---|---|---|---|---|---|---|"]
    for g, e in table.items():
        if "rep_count_exact" not in e:
            continue
        tm = e["tempo_mae_s"]
        tempo = "/".join(_fmt(tm[k]) for k in ("eccentric_s", "hold_s", "concentric_s"))
        for code in e.get("faults_planned", {}):
            p, q = e["faults_planned"][code], e["faults_measure"].get(code, {})
            L.append(f"| {g} | {_fmt(e['rep_count_exact'])} | {tempo} | {code} | "
                     f"{_fmt(p['sensitivity'])} | {_fmt(p['specificity'])} | "
                     f"{_fmt(q.get('sensitivity'))} | {_fmt(q.get('specificity'))} |")
    L += ["", "Fault labels: *planned* = the generator's fault size ≥ the profile flag "
          "threshold; *measure* = the true measure's rep peak in this camera ≥ the flag "
          "(at yaw > 0 a clean knee flexing forward shows up as apparent FPPA, so the two "
          "differ).", ""]
    bad = [r for r in rows if "error" in r]
    if bad:
        L += ["## Failed clips", ""] + [f"- {r['name']}: {r['error']}" for r in bad] + [""]
    return "\n".join(L)


# --------------------------------------------------------------------------- hip-drop gain
#: --hip-gain variants: name -> (ClipSpec overrides, thorax follows the pelvis?, note)
HIP_GAIN_VARIANTS: dict[str, tuple[dict, bool, str]] = {
    "grid camera": ({}, False, "the grid's framing: focal 560 px, 640x480, whole body in view"),
    "larger figure": ({"focal_px": 750.0}, False,
                      "focal 750 px: the body fills ~93 % of the frame height"),
    "thorax follows pelvis": ({}, True,
                              "diagnostic, not a grid case: the thorax tilts with the pelvis "
                              "(trunk lean = -drop), so the shoulder line tilts too"),
}
HIP_GAIN_DROPS = (0.0, 5.0, 10.0, 15.0)


def _hip_tilt(xy: np.ndarray, side: str) -> np.ndarray:
    """(T, 33, 2) pixels -> (T,) image tilt of the hip line, degrees, + = free side lower."""
    d = xy[:, 24] - xy[:, 23]
    t = np.degrees(np.arctan2(d[:, 1], -d[:, 0]))
    return t if side == "left" else -t


def _flex3(w: np.ndarray, side: str) -> np.ndarray:
    """(T, 33, 3) -> (T,) 3-D knee flexion of the stance leg, degrees (0 = straight)."""
    h, k, a = (23, 25, 27) if side == "left" else (24, 26, 28)
    v1, v2 = w[:, h] - w[:, k], w[:, a] - w[:, k]
    c = np.sum(v1 * v2, -1) / (np.linalg.norm(v1, axis=-1) * np.linalg.norm(v2, axis=-1))
    return 180.0 - np.degrees(np.arccos(np.clip(c, -1.0, 1.0)))


def hip_gain_clip(exercise: str, drop: float, variant: str, side: str = "left") -> dict:
    """One short clip (quiet stance, one rep) through the model: hip-line tilt, true vs model.

    Frames are rendered in memory (no mp4 round trip) and run through the estimator in
    VIDEO mode. Tilts are in degrees, relative to the quiet stance ("_q") and to the rest
    just before the rep ("_rep", hipform's per-rep hip-drop baseline); "bottom" = mean
    over the hold frames.
    """
    from hipform.pose import open_estimator
    from hipform.synth.clip import ClipRenderer, ClipSpec
    from hipform.synth.motion import MotionParams
    from hipform.synth.truth import true_landmarks

    over, thorax, _ = HIP_GAIN_VARIANTS[variant]
    depth = 0.15 if exercise == "step_down" else 60.0
    mp = MotionParams(exercise, reps=1, tempo=(1.0, 0.4, 0.8), rest=0.3, depth=depth,
                      side=side, hip_drop=drop, trunk_lean=-drop if thorax else 0.0,
                      quiet_s=0.6, sway=0.5, seed=5)
    cr = ClipRenderer(ClipSpec(f"gain-{exercise}-{drop:g}", mp, **over))
    truth = true_landmarks(cr.motion, cr.camera)
    txy = truth.xyzv[..., :2].astype(np.float64)
    T = len(cr)
    mxy = np.full((T, 33, 2), np.nan)
    mw = np.full((T, 33, 3), np.nan)
    est = open_estimator(MODEL, num_poses=1)
    try:
        for i in range(T):
            xyzv, w = est.process(cr.frame(i), int(cr.motion.t_ms[i]))
            mxy[i] = xyzv[:, :2]
            if w is not None:
                mw[i] = w
    finally:
        est.close()
    rep = cr.motion.reps[0]
    quiet = slice(*cr.motion.quiet)
    pre = slice(max(rep.start - 5, 0), rep.start)
    hold = np.array([p == "hold" for p in cr.motion.phase])
    out: dict[str, Any] = {"exercise": exercise, "drop": drop, "variant": variant,
                           "side": side, "n_frames": T,
                           "detected": float(np.isfinite(mxy[:, 23, 0]).mean())}
    for who, xy in (("true", txy), ("model", mxy)):
        tl = _hip_tilt(xy, side)
        b = float(np.nanmean(tl[hold]))
        out[f"{who}_bottom_q"] = b - float(np.nanmean(tl[quiet]))
        out[f"{who}_bottom_rep"] = b - float(np.nanmean(tl[pre]))
        out[f"{who}_hip_px"] = float(np.nanmean(np.linalg.norm(xy[quiet, 23] - xy[quiet, 24],
                                                               axis=-1)))
    # where the model puts the hips on the figure at quiet stance (pixels; + = down)
    off = np.nanmean(mxy[quiet, 23:25] - txy[quiet, 23:25], axis=0)
    out["model_hip_offset_px"] = {"left": [float(v) for v in off[0]],
                                  "right": [float(v) for v in off[1]]}
    out["knee_flexion3d_true"] = float(np.nanmean(_flex3(truth.world.astype(float), side)[hold]))
    out["knee_flexion3d_model"] = float(np.nanmean(_flex3(mw, side)[hold]))
    return out


def _fit(rows: list[dict], key: str) -> dict:
    x = np.array([r[f"true_{key}"] for r in rows])
    y = np.array([r[f"model_{key}"] for r in rows])
    slope, icpt = np.polyfit(x, y, 1)
    return {"gain": float(slope), "intercept_deg": float(icpt)}


def _hip_gain_md(meta: dict, fits: list[dict]) -> str:
    """Markdown table of the --hip-gain fits."""
    md = [f"# Hip-drop gain: model hip-line tilt vs true tilt ({meta['date']})", "",
          "Short clips (quiet stance, one rep, stance leg left, frontal camera) with a "
          f"contralateral pelvic drop of {', '.join(f'{d:g}' for d in HIP_GAIN_DROPS)} deg, "
          f"rendered frames -> `{MODEL.name}`. Tilt of the image hip line at the bottom "
          "(mean over the hold), + = free side lower. **gain** = slope of the model's tilt "
          "on the true tilt (1 = follows the pelvis exactly), both relative to the rest "
          "before the rep (hipform's per-rep baseline); intercept = the model's reading "
          "with a level pelvis. 3-D knee flexion of the stance leg at the bottom from the "
          "model's world landmarks vs the truth.", "",
          "| variant | exercise | gain | intercept (deg) | intercept vs quiet stance (deg) | "
          "hips apart true / model (px) | model hips above joint centres (px) | "
          "knee flexion 3-D true / model (deg) |",
          "|---|---|---|---|---|---|---|---|"]
    for f in fits:
        md.append(f"| {f['variant']} | {f['exercise']} | {f['gain_rep']:.2f} | "
                  f"{f['intercept_rep']:+.2f} | {f['intercept_quiet']:+.2f} | "
                  f"{f['true_hip_px']:.0f} / {f['model_hip_px']:.0f} | "
                  f"{-f['hip_offset_down_px']:.1f} | {f['knee_flexion3d_true']:.0f} / "
                  f"{f['knee_flexion3d_model']:.0f} |")
    md += ["", "Variants: " + "; ".join(f"*{k}*: {v}" for k, v in meta["variants"].items())
           + ".", "", f"Wall time {meta['wall_s']:.0f} s, load average "
           f"{meta['load_avg']:.1f} (shared 2-core machine)."]
    return "\n".join(md) + "\n"


def hip_gain(out_dir: Path) -> dict:
    """Gain of the model's hip-line tilt on the true tilt, per variant and exercise.

    Writes ``accuracy_hip_gain.json`` and ``accuracy_hip_gain.md`` to ``out_dir``.
    """
    rows: list[dict] = []
    t0 = time.perf_counter()
    for variant in HIP_GAIN_VARIANTS:
        for ex in ("single_leg_squat", "step_down"):
            for d in HIP_GAIN_DROPS:
                r = hip_gain_clip(ex, d, variant)
                rows.append(r)
                print(f"{variant:22s} {ex:17s} drop {d:4.1f}: true {r['true_bottom_rep']:5.2f} "
                      f"model {r['model_bottom_rep']:5.2f} deg", flush=True)
    fits = []
    for variant in HIP_GAIN_VARIANTS:
        for ex in ("single_leg_squat", "step_down"):
            sel = [r for r in rows if r["variant"] == variant and r["exercise"] == ex]
            rq, rr = _fit(sel, "bottom_q"), _fit(sel, "bottom_rep")
            fits.append({"variant": variant, "exercise": ex, "gain_rep": rr["gain"],
                         "intercept_rep": rr["intercept_deg"], "gain_quiet": rq["gain"],
                         "intercept_quiet": rq["intercept_deg"],
                         "true_hip_px": float(np.mean([r["true_hip_px"] for r in sel])),
                         "model_hip_px": float(np.mean([r["model_hip_px"] for r in sel])),
                         "hip_offset_down_px": float(np.mean(
                             [(r["model_hip_offset_px"]["left"][1]
                               + r["model_hip_offset_px"]["right"][1]) / 2 for r in sel])),
                         "knee_flexion3d_true": float(np.mean([r["knee_flexion3d_true"]
                                                               for r in sel])),
                         "knee_flexion3d_model": float(np.mean([r["knee_flexion3d_model"]
                                                                for r in sel])),
                         "detected": float(np.min([r["detected"] for r in sel]))})
    meta = {"date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"), "model": MODEL.name,
            "drops_deg": list(HIP_GAIN_DROPS), "wall_s": time.perf_counter() - t0,
            "load_avg": os.getloadavg()[0],
            "variants": {k: v[2] for k, v in HIP_GAIN_VARIANTS.items()}}
    (out_dir / "accuracy_hip_gain.json").write_text(
        json.dumps({"meta": meta, "fits": fits, "clips": rows}, indent=1))
    md = _hip_gain_md(meta, fits)
    (out_dir / "accuracy_hip_gain.md").write_text(md)
    print(md)
    return {"meta": meta, "fits": fits}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small grid (12 clips)")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes")
    ap.add_argument("--keep", type=Path, default=None, help="keep clips/analyses here")
    ap.add_argument("--limit", type=int, default=0, help="only the first N clips (debug)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--rescore", type=Path, default=None, metavar="KEPT_DIR",
                    help="score the clips a --keep run left in KEPT_DIR again with the "
                         "current pipeline (replays their landmarks; no rendering, no model)")
    ap.add_argument("--summarise", type=Path, default=None, metavar="ROWS_JSONL",
                    help="only rebuild the tables from the rows a (possibly interrupted) "
                         "run appended to ROWS_JSONL")
    ap.add_argument("--hip-gain", action="store_true",
                    help="only the hip-drop gain experiment (24 short clips, ~4 min): how "
                         "much of a rendered pelvic drop the model's hip landmarks follow; "
                         "writes accuracy_hip_gain.json/.md")
    a = ap.parse_args()
    if a.hip_gain:
        a.out.mkdir(parents=True, exist_ok=True)
        hip_gain(a.out)
        return
    clips = _interleave(grid(a.quick))
    if a.limit:
        clips = clips[: a.limit]
    a.out.mkdir(parents=True, exist_ok=True)
    rows_path = a.out / "accuracy_rows.jsonl"
    if a.summarise is not None:
        rows = [json.loads(x) for x in a.summarise.read_text().splitlines() if x.strip()]
        _write(a, rows, len(clips), wall=float("nan"))
        return
    if a.rescore is not None:
        t0 = time.perf_counter()
        rows = [r for r in (rescore(c, a.rescore) for c in clips) if r is not None]
        rows_path.write_text("".join(json.dumps(r, default=str) + "\n" for r in rows))
        _write(a, rows, len(clips), time.perf_counter() - t0)
        return
    rows_path.write_text("")
    work = a.keep or Path(tempfile.mkdtemp(prefix="hipform-acc-"))
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    rows: list[dict] = []

    def done(r: dict) -> None:
        rows.append(r)
        with rows_path.open("a") as f:
            f.write(json.dumps(r, default=str) + "\n")

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("accuracy grid"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn()) as prog:
        task = prog.add_task("grid", total=len(clips))
        if a.jobs <= 1:
            for c in clips:
                done(_safe_eval(c, str(work), a.keep is not None))
                prog.advance(task)
        else:
            with ProcessPoolExecutor(a.jobs) as ex:
                futs = [ex.submit(_safe_eval, c, str(work), a.keep is not None) for c in clips]
                for f in as_completed(futs):
                    done(f.result())
                    prog.advance(task)
    wall = time.perf_counter() - t0
    if a.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    _write(a, rows, len(clips), wall)


def _write(a: argparse.Namespace, rows: list[dict], planned: int, wall: float) -> None:
    rows.sort(key=lambda r: r["name"])
    errs: dict[str, int] = {}
    for r in rows:
        if "analysis_error" in r:
            errs[r["analysis_error"][:160]] = errs.get(r["analysis_error"][:160], 0) + 1
    srcs = sorted({r.get("per_frame_source", "?") for r in rows if "error" not in r})
    meta = {"date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"), "grid": "quick" if a.quick
            else "full", "clips": len(rows), "clips_planned": planned,
            "failed": sum("error" in r for r in rows),
            "frames": sum(r.get("n_frames", 0) for r in rows), "jobs": a.jobs,
            "mode": ("rescore: the kept model landmarks re-analysed with the pipeline as of "
                     "this date" if a.rescore is not None else
                     "tables rebuilt from saved rows" if a.summarise is not None else
                     "render + model + analysis"),
            "wall_s": wall, "cpus": os.cpu_count(), "model": MODEL.name,
            "python": platform.python_version(), "per_frame_source": ", ".join(srcs),
            "analysis_errors": errs, "targets": TARGETS,
            "median_render_s_per_clip": float(np.median([r["render_s"] for r in rows
                                                         if "render_s" in r] or [0])),
            "median_analysis_s_per_clip": float(np.median([r["analysis_s"] for r in rows
                                                           if "analysis_s" in r] or [0]))}
    table = summarise(rows)
    (a.out / "accuracy.json").write_text(json.dumps({"meta": meta, "summary": table,
                                                     "clips": rows}, indent=1, default=str))
    (a.out / "accuracy.md").write_text(markdown(meta, table, rows))
    print(markdown(meta, table, rows))


if __name__ == "__main__":
    main()
