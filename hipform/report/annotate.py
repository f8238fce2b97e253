"""Causal frame annotation: what the live screen shows, drawn frame by frame.

Used by the offline annotated video (in the writer thread of ``analyze``) and by
``live``: One Euro smoothed landmarks -> per-frame metrics (T = 1) -> the incremental
exercise session -> HUD -> :func:`draw_overlay`. Because it is causal, the annotated
video shows what a person would have seen live at that moment; analysis.json and the
report use the offline zero-phase path over the whole clip (same engines and rules).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from hipform.landmarks import LM, Landmarks
from hipform.report.overlay import HudState, draw_overlay

_SIDES = ("left", "right")


def _sev(value: float, flag: float | None, severe: float | None) -> int:
    if not math.isfinite(value) or flag is None:
        return 0
    if severe is not None and value > severe:
        return 2
    return 1 if value > flag else 0


def _thr(th: dict, key: str) -> tuple[float | None, float | None]:
    d = th.get(key) or {}
    return d.get("flag"), d.get("severe")


def angle_labels(m: Any, side: str | None, th: dict) -> list[tuple[int, str, int]]:
    """Labels for the overlay from one frame's metrics ``m`` (FrameMetrics-like:
    knee_valgus (2,), hip_drop (2,), lumbar_extension float). Values are whole degrees
    with their sign; one that rounds to zero reads "0" (never "-0" or "+0")."""

    def deg(v: float) -> str:
        txt = f"{v:+.0f}"
        return "0" if txt in ("+0", "-0") else txt

    out: list[tuple[int, str, int]] = []
    vf, vs = _thr(th, "knee_valgus_deg")
    for k, knee in enumerate((LM.LEFT_KNEE, LM.RIGHT_KNEE)):
        v = float(m.knee_valgus[k])
        if math.isfinite(v):
            out.append((int(knee), f"valgus {deg(v)}", _sev(v, vf, vs)))
    hf, hs = _thr(th, "hip_drop_deg")
    if side in _SIDES:
        k = _SIDES.index(side)
        v = float(m.hip_drop[k])
        if math.isfinite(v):
            hip = LM.RIGHT_HIP if k == 0 else LM.LEFT_HIP  # label the side that drops
            out.append((int(hip), f"hip drop {deg(v)}", _sev(v, hf, hs)))
    lf, ls = _thr(th, "lumbar_extension_deg")
    v = float(m.lumbar_extension)
    if math.isfinite(v):
        out.append((int(LM.LEFT_HIP), f"lumbar {deg(v)}", _sev(v, lf, ls)))
    return out


class CausalAnnotator:
    """Per-frame state for drawing: smoothing filter, baseline, exercise session.

    ``annotate(bgr, raw_row, t_ms, index)`` returns the frame with the overlay drawn (in
    place). ``hud`` holds the last HUD state for callers that draw extras.
    """

    def __init__(self, width: int, height: int, *, exercise: str = "auto",
                 side: str | None = None, profile: Any = None,
                 baseline_obliquity: float | None = None) -> None:
        from hipform.core.filters import OneEuroFilter
        from hipform.exercises import ExerciseSession

        self.width, self.height = int(width), int(height)
        self.filter = OneEuroFilter()
        self.session = ExerciseSession(exercise, side=side, profile=profile)
        self.profile = self.session.profile if hasattr(self.session, "profile") else profile
        from hipform.pipeline import thresholds_of

        self.thresholds = thresholds_of(self.profile) if self.profile is not None else {}
        self.baseline = baseline_obliquity
        self.hud = HudState()
        self.events: list[Any] = []
        self._last_row: np.ndarray | None = None

    def step(self, raw_row: np.ndarray, t_ms: int, index: int) -> tuple[np.ndarray, Any]:
        """Advance the state by one frame; returns (smoothed row, frame metrics)."""
        from hipform.core.metrics import compute_metrics
        from hipform.exercises.types import frame_metrics

        row = np.asarray(raw_row, np.float32)
        if np.isfinite(row[0, 0]):
            row = self.filter(row, int(t_ms))
            self._last_row = row
        else:
            self.filter.reset() if hasattr(self.filter, "reset") else None
        lm = Landmarks(row[None], np.array([t_ms], np.int64), self.width, self.height)
        m = compute_metrics(lm, baseline_obliquity=self.baseline if self.baseline is not None
                            else 0.0, reasons=False)
        fm = frame_metrics(m, 0)
        self.events.extend(self.session.update(index, int(t_ms), row, fm))
        return row, fm

    def annotate(self, bgr: np.ndarray, raw_row: np.ndarray, t_ms: int, index: int) -> np.ndarray:
        row, fm = self.step(raw_row, t_ms, index)
        st = self.session.state
        cue = st.current_cue or {}
        tempo = ""
        if st.last_tempo:
            tempo = "/".join("-" if (p is None or not math.isfinite(p)) else f"{p:.1f}"
                             for p in st.last_tempo) + " s"
        sev = cue.get("severity", 1)
        self.hud = HudState(
            exercise=st.exercise or "", side=st.side or "", reps=int(st.reps),
            phase=st.phase or "", last_tempo=tempo, faults=dict(st.fault_tally or {}),
            cue=str(cue.get("message", "")),
            cue_severity=2 if sev in (2, "severe") else 1,
            angles=angle_labels(fm, st.side, self.thresholds),
        )
        return draw_overlay(bgr, row if np.isfinite(row[0, 0]) else None, self.hud)
