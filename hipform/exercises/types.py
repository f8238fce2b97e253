"""Data types shared by the exercise engines: per-frame inputs, reps, faults, events, results."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hipform.core.metrics import Metrics, View

__all__ = [
    "SIDES",
    "FrameMetrics",
    "frame_metrics",
    "Fault",
    "Rep",
    "Event",
    "SessionState",
    "ExerciseResult",
    "clean",
]

#: Column index of each side in (T, 2) metrics.
SIDES = {"left": 0, "right": 1}


def _plain(xs: list) -> bool:
    """True when every item of ``xs`` is already a JSON value clean() would keep as is
    (str, int, bool, None or a finite Python float)."""
    isfinite = math.isfinite
    for v in xs:
        t = type(v)
        if t is float:
            if not isfinite(v):
                return False
        elif t is not str and t is not int and t is not bool and v is not None:
            return False
    return True


def clean(x: Any, *, share: bool = False) -> Any:
    """JSON-safe copy: NaN/inf -> None, numpy scalars/arrays -> Python values.

    ``share``: a list of plain values (see :func:`_plain`, e.g. analysis.json's per-frame
    series) is returned itself instead of copied: for a result that is only serialised
    (a long clip's series are tens of MB as Python lists)."""
    if isinstance(x, dict):
        return {str(k): clean(v, share=share) for k, v in x.items()}
    if isinstance(x, list | tuple):
        if share and type(x) is list and _plain(x):
            return x
        return [clean(v, share=share) for v in x]
    if isinstance(x, np.ndarray):
        return [clean(v) for v in x.tolist()]
    if isinstance(x, bool | np.bool_):
        return bool(x)
    if isinstance(x, int | np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        v = float(x)
        return v if math.isfinite(v) else None
    return x


def _pair(a: Any) -> np.ndarray:
    if a is None:
        return np.full(2, np.nan, np.float32)
    return np.asarray(a, dtype=np.float32).reshape(2)


def _scalar(a: Any) -> float:
    if a is None:
        return float("nan")
    return float(np.asarray(a, dtype=np.float64).reshape(-1)[0])


@dataclass(frozen=True)
class FrameMetrics:
    """The metrics of one frame (the per-frame slice of :class:`Metrics`).

    Pairs are float32 (2,) degrees, (left, right); scalars float degrees; NaN = missing.
    Same sign conventions as :class:`hipform.core.metrics.Metrics`.
    """

    t_ms: int = 0
    knee_valgus: np.ndarray = field(default_factory=lambda: _pair(None))
    pelvic_obliquity: float = float("nan")
    hip_drop: np.ndarray = field(default_factory=lambda: _pair(None))
    lumbar_extension: float = float("nan")
    trunk_lean_frontal: np.ndarray = field(default_factory=lambda: _pair(None))
    trunk_lean_sagittal: float = float("nan")
    knee_flexion: np.ndarray = field(default_factory=lambda: _pair(None))
    hip_flexion: np.ndarray = field(default_factory=lambda: _pair(None))
    view: int = int(View.UNKNOWN)
    view_confidence: float = 0.0

    @classmethod
    def empty(cls, t_ms: int = 0) -> FrameMetrics:
        """All-NaN metrics (engines then fall back to the landmarks where they can)."""
        return cls(t_ms=int(t_ms))

    @classmethod
    def coerce(cls, m: Any, t_ms: int = 0) -> FrameMetrics:
        """Accept a FrameMetrics, a ``Metrics.row(i)`` MetricsRow, a Metrics with T = 1,
        or None."""
        if m is None:
            return cls.empty(t_ms)
        if isinstance(m, FrameMetrics):
            return m
        if hasattr(m, "knee_valgus_left"):  # hipform.core.metrics.MetricsRow
            return cls(
                t_ms=int(m.t_ms),
                knee_valgus=_pair((m.knee_valgus_left, m.knee_valgus_right)),
                pelvic_obliquity=float(m.pelvic_obliquity),
                hip_drop=_pair((m.hip_drop_left, m.hip_drop_right)),
                lumbar_extension=float(m.lumbar_extension),
                trunk_lean_frontal=_pair((m.trunk_lean_frontal_left, m.trunk_lean_frontal_right)),
                trunk_lean_sagittal=float(m.trunk_lean_sagittal),
                knee_flexion=_pair((m.knee_flexion_left, m.knee_flexion_right)),
                hip_flexion=_pair((m.hip_flexion_left, m.hip_flexion_right)),
                view=int(m.view),
                view_confidence=float(m.view_confidence),
            )
        if isinstance(m, Metrics):
            if len(m) != 1:
                raise ValueError(f"a per-frame Metrics must have T = 1, got T = {len(m)}")
            return frame_metrics(m, 0)
        raise TypeError(f"metrics_row must be FrameMetrics, Metrics (T=1) or None, got {type(m)}")


def frame_metrics(metrics: Metrics, i: int) -> FrameMetrics:
    """Row ``i`` of a :class:`Metrics` as a :class:`FrameMetrics`."""
    return FrameMetrics(
        t_ms=int(metrics.t_ms[i]),
        knee_valgus=_pair(metrics.knee_valgus[i]),
        pelvic_obliquity=_scalar(metrics.pelvic_obliquity[i]),
        hip_drop=_pair(metrics.hip_drop[i]),
        lumbar_extension=_scalar(metrics.lumbar_extension[i]),
        trunk_lean_frontal=_pair(metrics.trunk_lean_frontal[i]),
        trunk_lean_sagittal=_scalar(metrics.trunk_lean_sagittal[i]),
        knee_flexion=_pair(metrics.knee_flexion[i]),
        hip_flexion=_pair(metrics.hip_flexion[i]),
        view=int(metrics.view[i]),
        view_confidence=_scalar(metrics.view_confidence[i]),
    )


@dataclass(frozen=True)
class Fault:
    """A fault seen in a rep: ``value`` in the fault's units (see docs), severity
    "mild" (over the flag threshold) or "severe" (over the severe threshold)."""

    code: str
    side: str | None
    value: float
    severity: str

    def to_dict(self) -> dict[str, Any]:
        return clean(
            {"code": self.code, "side": self.side, "value": self.value, "severity": self.severity}
        )


@dataclass
class Rep:
    """One completed repetition. Times in ms (frame clock), durations in seconds,
    angles in degrees; ``rubric`` holds the exercise's clinical score items."""

    index: int
    side: str | None
    start_ms: float
    bottom_ms: float
    end_ms: float
    eccentric_s: float
    hold_s: float
    concentric_s: float
    excursion: float
    peak_knee_valgus: float = float("nan")
    peak_hip_drop: float = float("nan")
    peak_lumbar_extension: float = float("nan")
    trunk_lean: float = float("nan")
    peak_knee_flexion: float = float("nan")
    faults: list[Fault] = field(default_factory=list)
    rubric: dict[str, Any] = field(default_factory=dict)
    start_frame: int = 0
    end_frame: int = 0

    @property
    def fault_codes(self) -> list[str]:
        return sorted({f.code for f in self.faults})

    def to_dict(self) -> dict[str, Any]:
        return clean(
            {
                "index": self.index,
                "side": self.side,
                "start_ms": round(self.start_ms) if math.isfinite(self.start_ms) else None,
                "bottom_ms": round(self.bottom_ms) if math.isfinite(self.bottom_ms) else None,
                "end_ms": round(self.end_ms) if math.isfinite(self.end_ms) else None,
                "eccentric_s": self.eccentric_s,
                "hold_s": self.hold_s,
                "concentric_s": self.concentric_s,
                "excursion": self.excursion,
                "peak_knee_flexion": self.peak_knee_flexion,
                "peak_knee_valgus": self.peak_knee_valgus,
                "peak_hip_drop": self.peak_hip_drop,
                "peak_lumbar_extension": self.peak_lumbar_extension,
                "trunk_lean": self.trunk_lean,
                "faults": [f.to_dict() for f in self.faults],
                "rubric": self.rubric,
                "start_frame": self.start_frame,
                "end_frame": self.end_frame,
            }
        )


@dataclass(frozen=True)
class Event:
    """Something the live front-end may show: kind is "rep", "cue", "phase", "side" or
    "exercise"; ``replayed`` is True for events produced while replaying frames that were
    buffered before an "auto" side/exercise was resolved (they are late)."""

    kind: str
    i: int
    t_ms: int
    data: dict[str, Any]
    replayed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return clean(
            {"kind": self.kind, "i": self.i, "t_ms": self.t_ms, "replayed": self.replayed,
             **self.data}
        )


@dataclass
class SessionState:
    """What the overlay shows. ``last_tempo`` = (eccentric_s, hold_s, concentric_s)."""

    exercise: str | None
    side: str | None
    phase: str
    reps: int
    last_tempo: tuple[float, float, float] | None
    fault_tally: dict[str, int]
    current_cue: dict[str, Any] | None
    resolving: bool = False

    def to_dict(self) -> dict[str, Any]:
        return clean(self.__dict__)


@dataclass
class ExerciseResult:
    """Everything one exercise analysis produced; ``to_dict`` gives the analysis.json parts."""

    #: None when ``--exercise auto`` recognised none of the exercises (see recognize_exercise)
    exercise: str | None
    exercise_confidence: float
    side: str | None
    reps: list[Rep]
    cues: list[Any]
    summary: dict[str, Any]
    frames: int = 0
    side_confidence: float = float("nan")

    def to_dict(self) -> dict[str, Any]:
        return clean(
            {
                "exercise": self.exercise,
                "exercise_confidence": self.exercise_confidence,
                "side": self.side,
                "side_confidence": self.side_confidence,
                "frames": self.frames,
                "reps": [r.to_dict() for r in self.reps],
                "cues": [c.to_dict() for c in self.cues],
                "summary": self.summary,
            }
        )
