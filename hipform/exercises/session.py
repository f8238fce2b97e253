"""Live sessions and the offline analysis, both through the same incremental engine.

``ExerciseSession`` is fed one frame at a time. When the exercise or the stance side is
"auto", frames are buffered until they can be resolved (a raised foot, or the first
movement), then replayed through the engine; events from the replay carry
``replayed=True``. ``analyze_exercise`` builds a session and feeds it every frame of a
clip, so the offline result is the live result by construction.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

import numpy as np

from hipform.config import Profile, default_profile
from hipform.core.metrics import Metrics
from hipform.errors import ConfigError
from hipform.exercises.base import EngineBase
from hipform.exercises.bridge import Bridge
from hipform.exercises.detect import detect_side, recognize_exercise
from hipform.exercises.standing import SingleLegSquat, StepDown
from hipform.exercises.types import (
    Event,
    ExerciseResult,
    FrameMetrics,
    Rep,
    SessionState,
    frame_metrics,
)
from hipform.landmarks import Landmarks

__all__ = ["EXERCISES", "ExerciseSession", "analyze_exercise", "get_exercise",
           "unrecognised_result"]

#: Exercise engines by name.
EXERCISES: dict[str, type[EngineBase]] = {
    "bridge": Bridge,
    "step_down": StepDown,
    "single_leg_squat": SingleLegSquat,
}

_SIDES = ("left", "right", "both")


def _check_side(side: str | None) -> str | None:
    if side is None or side == "auto":
        return None
    if side not in _SIDES:
        raise ConfigError(f"invalid side {side!r} (expected left, right, both or auto)")
    return side


def get_exercise(
    name: str,
    side: str | None = None,
    profile: Profile | None = None,
    frame_size: tuple[int, int] | None = None,
) -> EngineBase:
    """A new engine for exercise ``name`` (ConfigError naming it if unknown)."""
    try:
        cls = EXERCISES[name]
    except KeyError:
        raise ConfigError(
            f"unknown exercise {name!r} (expected one of: {', '.join(EXERCISES)}, auto)"
        ) from None
    return cls(side=_check_side(side), profile=profile, frame_size=frame_size)


def _mean(vals: list[float]) -> float | None:
    v = [x for x in vals if x is not None and math.isfinite(x)]
    return float(np.mean(v)) if v else None


class ExerciseSession:
    """One live session (or one offline clip).

    Args:
        exercise: "bridge", "step_down", "single_leg_squat" or "auto".
        side: stance side "left"/"right" ("both" for a double-leg bridge), or None /
            "auto" to detect it from the movement (and to follow a change of legs).
        profile: settings (default profile if None).
        frame_size: (width, height) pixels, to notice a body leaving the frame.
    """

    def __init__(
        self,
        exercise: str = "auto",
        side: str | None = None,
        profile: Profile | None = None,
        frame_size: tuple[int, int] | None = None,
    ) -> None:
        self.profile = profile or default_profile()
        self.frame_size = frame_size
        if exercise != "auto" and exercise not in EXERCISES:
            get_exercise(exercise)  # raises ConfigError
        self.exercise_req = exercise
        self.side_req = _check_side(side)
        self.exercise_confidence = 1.0 if exercise != "auto" else float("nan")
        self.side_confidence = 1.0 if self.side_req else float("nan")
        self.engine: EngineBase | None = None
        self.results: list[ExerciseResult] = []
        self._buf: list[tuple[int, int, np.ndarray, FrameMetrics]] = []
        self._recent: deque[tuple[int, np.ndarray]] = deque()
        self._n = 0
        self._switch_votes = 0
        self._min_ms = 1000.0 * float(self.profile.get("session.resolve_min_s"))
        self._max_ms = 1000.0 * float(self.profile.get("session.resolve_max_s"))
        self._vmin = float(self.profile.get("view.min_visibility"))
        if exercise != "auto" and self.side_req is not None:
            self._start_engine(exercise, self.side_req)

    # ------------------------------------------------------------ resolution
    @property
    def exercise(self) -> str | None:
        return self.engine.name if self.engine else (
            None if self.exercise_req == "auto" else self.exercise_req
        )

    def _start_engine(self, name: str, side: str | None) -> None:
        self.engine = get_exercise(name, side, self.profile, self.frame_size)

    def _try_resolve(self, force: bool = False) -> list[Event]:
        if not self._buf:
            if force and self.exercise_req != "auto":
                self._start_engine(self.exercise_req, self.side_req)
            return []
        span = self._buf[-1][1] - self._buf[0][1]
        if not force and span < self._min_ms:
            return []
        force = force or span >= self._max_ms
        xyzv = np.stack([b[2] for b in self._buf])
        events: list[Event] = []
        name = self.exercise_req
        i_last, t_last = self._buf[-1][0], self._buf[-1][1]
        if name == "auto":
            lm = Landmarks(xyzv, np.array([b[1] for b in self._buf], np.int64),
                           *(self.frame_size or (1, 1)))
            rec, conf = recognize_exercise(lm, None, self._vmin)
            if rec is None:
                # not an exercise (e.g. walking): keep waiting on the recent frames only
                self.exercise_confidence = conf
                t_keep = self._buf[-1][1] - self._max_ms
                self._buf = [b for b in self._buf if b[1] >= t_keep]
                return []
            name = rec
            if conf < 0.5 and not force:
                return []
            self.exercise_confidence = conf
        side = self.side_req
        if side is None:
            side, sconf = detect_side(name, xyzv, self._vmin)
            if (side is None or sconf < 0.5) and not force:
                return []
            if side is None:
                side = "both" if name == "bridge" else "left"
            self.side_confidence = sconf
        self._start_engine(name, side)
        if self.exercise_req == "auto":
            events.append(Event("exercise", i_last, t_last,
                                {"exercise": name, "confidence": self.exercise_confidence}))
        if self.side_req is None:
            events.append(Event("side", i_last, t_last,
                                {"side": side, "confidence": self.side_confidence}))
        buf, self._buf = self._buf, []
        assert self.engine is not None
        for i, t, row, fm in buf:
            for ev in self.engine.update(i, t, row, fm):
                events.append(Event(ev.kind, ev.i, ev.t_ms, ev.data, replayed=True))
        return events

    def _recheck_side(self, i: int, t_ms: int) -> list[Event]:
        """Auto side: follow a change of stance leg (checked every 15 frames on the last
        1.5 s; the other side must win twice in a row with confidence >= 0.8). A movement
        in progress on the old side is dropped."""
        eng = self.engine
        if eng is None or self.side_req is not None:
            return []
        if len(self._recent) < 10 or self._n % 15:
            return []
        side, conf = detect_side(eng.name, np.stack([r for _, r in self._recent]), self._vmin)
        if side is None or side == eng.side or conf < 0.8:
            self._switch_votes = 0
            return []
        self._switch_votes += 1
        if self._switch_votes < 2:
            return []
        self._switch_votes = 0
        eng.set_side(side)
        self.side_confidence = conf
        return [Event("side", i, t_ms, {"side": side, "confidence": conf})]

    # ------------------------------------------------------------ public API
    def update(
        self, i: int, t_ms: int, lm_row: np.ndarray, metrics_row: Any = None
    ) -> list[Event]:
        """Feed frame ``i``.

        Args:
            i: frame index; t_ms: its time in ms.
            lm_row: float32 (33, 4) pixel landmarks (x, y, z, visibility), NaN = no person.
            metrics_row: :class:`FrameMetrics` (e.g. ``frame_metrics(metrics, i)``), a
                :class:`Metrics` with T = 1, or None (engines then use landmarks only).
        Returns:
            Events (rep completed, cue, phase change, side/exercise resolved).
        """
        row = np.asarray(lm_row, np.float32)
        if row.shape != (33, 4):
            raise ValueError(f"lm_row must have shape (33, 4), got {row.shape}")
        fm = FrameMetrics.coerce(metrics_row, int(t_ms))
        self._n += 1
        self._recent.append((int(t_ms), row))
        while self._recent and self._recent[0][0] < t_ms - 1500:
            self._recent.popleft()
        if self.engine is None:
            self._buf.append((int(i), int(t_ms), row, fm))
            if self._n % 5 == 0 or len(self._buf) == 1:
                return self._try_resolve()
            return []
        events = self._recheck_side(int(i), int(t_ms))
        events.extend(self.engine.update(int(i), int(t_ms), row, fm))
        return events

    def set_side(self, side: str | None) -> None:
        """Fix the stance side ("left"/"right"/"both") or go back to auto (None/"auto")."""
        self.side_req = _check_side(side)
        if self.engine is not None and self.side_req is not None:
            self.engine.set_side(self.side_req)
            self.side_confidence = 1.0

    def set_exercise(self, exercise: str) -> None:
        """Switch exercise: the current one is finished into :attr:`results`."""
        if exercise != "auto":
            get_exercise(exercise)  # validate
        if self.engine is not None:
            self.results.append(self._result())
        self.engine = None
        self._buf = []
        self.exercise_req = exercise
        self.exercise_confidence = 1.0 if exercise != "auto" else float("nan")
        if exercise != "auto" and self.side_req is not None:
            self._start_engine(exercise, self.side_req)

    @property
    def state(self) -> SessionState:
        """Phase, rep count, last tempo, fault tally and current cue (for the overlay)."""
        if self.engine is None:
            return SessionState(self.exercise, self.side_req, "waiting", 0, None, {}, None,
                                resolving=True)
        return self.engine.state()

    def finish(self) -> ExerciseResult:
        """Resolve anything pending and return the result of the current exercise."""
        if self.engine is None:
            self._try_resolve(force=True)
        if self.engine is None and self.exercise_req == "auto":
            # nothing fed, or no exercise recognised: say so (exercise None, no reps)
            conf = self.exercise_confidence if self._n else 0.0
            return unrecognised_result(conf if math.isfinite(conf) else 0.0, self._n)
        if self.engine is None:  # nothing was ever fed
            self._start_engine(self.exercise_req, self.side_req)
            self.exercise_confidence = 1.0
        return self._result()

    def _result(self) -> ExerciseResult:
        eng = self.engine
        assert eng is not None
        reps = eng.finish()
        sides = sorted({r.side for r in reps if r.side})
        side = sides[0] if len(sides) == 1 else (eng.side if not sides else "both")
        return ExerciseResult(
            exercise=eng.name,
            exercise_confidence=self.exercise_confidence,
            side=side,
            reps=reps,
            cues=list(eng.cues),
            summary=summarize(eng, reps),
            frames=eng.frames,
            side_confidence=self.side_confidence,
        )


def _side_block(eng: EngineBase, reps: list[Rep]) -> dict[str, Any]:
    return {
        "reps": len(reps),
        "peak_knee_valgus": _mean([r.peak_knee_valgus for r in reps]),
        "peak_hip_drop": _mean([r.peak_hip_drop for r in reps]),
        "trunk_lean": _mean([abs(r.trunk_lean) for r in reps]),
        "peak_lumbar_extension": _mean([r.peak_lumbar_extension for r in reps]),
        "eccentric_s": _mean([r.eccentric_s for r in reps]),
        "rubric": eng.rubric_summary(reps),
    }


def summarize(eng: EngineBase, reps: list[Rep]) -> dict[str, Any]:
    """The ``summary`` block of analysis.json (see docs/README_exercises.md)."""
    faults: dict[str, int] = {}
    for r in reps:
        for code in r.fault_codes:
            faults[code] = faults.get(code, 0) + 1
    out: dict[str, Any] = {
        "reps": len(reps),
        "faults_per_rep": [r.fault_codes for r in reps],
        "fault_counts": faults,
        "rubric": eng.rubric_summary(reps),
        "tempo": {
            "eccentric_s": _mean([r.eccentric_s for r in reps]),
            "hold_s": _mean([r.hold_s for r in reps]),
            "concentric_s": _mean([r.concentric_s for r in reps]),
            "target": eng.tempo_targets(),
        },
        "cues": len(eng.cues),
    }
    by_side: dict[str, list[Rep]] = {}
    for r in reps:
        by_side.setdefault(r.side or "unknown", []).append(r)
    out["reps_by_side"] = {k: len(v) for k, v in by_side.items()}
    if "left" in by_side and "right" in by_side:
        left, right = _side_block(eng, by_side["left"]), _side_block(eng, by_side["right"])
        diff = {}
        for k in ("peak_knee_valgus", "peak_hip_drop", "trunk_lean", "eccentric_s"):
            a, b = left[k], right[k]
            diff[k] = None if a is None or b is None else a - b
        out["comparison"] = {"left": left, "right": right, "left_minus_right": diff}
    return out


def unrecognised_result(confidence: float = 0.0, frames: int = 0) -> ExerciseResult:
    """The result for a clip that shows none of the exercises: ``exercise`` None, no reps,
    no cues; ``confidence`` is how sure the recognition is that it is *not* one of them."""
    summary: dict[str, Any] = {
        "reps": 0, "faults_per_rep": [], "fault_counts": {}, "rubric": None,
        "tempo": {"eccentric_s": None, "hold_s": None, "concentric_s": None, "target": None},
        "cues": 0, "reps_by_side": {},
    }
    return ExerciseResult(exercise=None, exercise_confidence=float(confidence), side=None,
                          reps=[], cues=[], summary=summary, frames=int(frames))


def analyze_exercise(
    lm: Landmarks,
    metrics: Metrics | None,
    exercise: str = "auto",
    side: str | None = None,
    profile: Profile | None = None,
) -> ExerciseResult:
    """Offline analysis of a clip: every frame goes through an :class:`ExerciseSession`.

    Args:
        lm: landmarks (pixels), T frames.
        metrics: their metrics (T rows) or None (landmark-only fallbacks).
        exercise: a name from :data:`EXERCISES` or "auto" (recognised from the whole clip;
            an explicit name always wins).
        side: "left"/"right" ("both" for a double-leg bridge) or None/"auto".
        profile: settings (default profile if None).
    """
    if metrics is not None and len(metrics) != len(lm):
        raise ValueError(f"metrics has {len(metrics)} frames, landmarks {len(lm)}")
    conf = 1.0
    if exercise == "auto":
        rec, conf = recognize_exercise(lm, metrics)
        if rec is None:
            return unrecognised_result(conf, len(lm))
        exercise = rec
    sess = ExerciseSession(exercise, side, profile, frame_size=(lm.width, lm.height))
    sess.exercise_confidence = conf
    for i in range(len(lm)):
        fm = frame_metrics(metrics, i) if metrics is not None else None
        sess.update(i, int(lm.t_ms[i]), lm.xyzv[i], fm)
    return sess.finish()
