"""The Exercise protocol and the shared incremental engine machinery.

An engine is fed one frame at a time (:meth:`EngineBase.update`); it measures the frame
(:meth:`measure`, exercise specific), drives a :class:`RepSegmenter`, runs per-frame
fault monitors and the cue gate, and scores each finished rep (:meth:`score_rep`,
exercise specific). The offline path feeds the same engine, so live and offline agree.
"""

from __future__ import annotations

import bisect
import math
import warnings
from collections import deque
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from hipform.coaching.cues import Candidate, Coach, Cue
from hipform.config import Profile, default_profile
from hipform.core.metrics import View
from hipform.exercises.geometry import LEG
from hipform.exercises.segment import REST, Excursion, RepSegmenter, Tempo, measure_tempo
from hipform.exercises.types import Event, Fault, FrameMetrics, Rep, SessionState
from hipform.landmarks import LM

__all__ = ["Exercise", "EngineBase", "Measures", "severity", "med3", "smooth5"]

Measures = dict[str, float]


@runtime_checkable
class Exercise(Protocol):
    """What every exercise engine offers (one instance per set / session)."""

    name: str
    views: tuple[int, ...]
    side: str | None

    def update(self, i: int, t_ms: int, row: np.ndarray, fm: FrameMetrics) -> list[Event]:
        """Feed one frame: ``row`` float32 (33, 4) pixel landmarks, ``fm`` its metrics."""
        ...

    def finish(self) -> list[Rep]:
        """All completed reps so far."""
        ...


def severity(value: float, flag: float, severe: float) -> str | None:
    """"severe" if value >= severe, "mild" if value >= flag, else None (NaN -> None)."""
    if not math.isfinite(value):
        return None
    if value >= severe:
        return "severe"
    if value >= flag:
        return "mild"
    return None


def med3(x: np.ndarray) -> np.ndarray:
    """3-sample running median (float64 (N,)); removes single-frame spikes, keeps NaN."""
    x = np.asarray(x, np.float64)
    if len(x) < 3:
        return x.copy()
    st = np.stack([np.r_[x[0], x[:-1]], x, np.r_[x[1:], x[-1]]])
    if not np.isnan(st).any():
        return np.median(st, axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = np.nanmedian(st, axis=0)
    return out


def smooth5(x: np.ndarray) -> np.ndarray:
    """5-sample centred running mean (NaN-aware; float64 (N,)). Used before taking a rep's
    peak of a per-frame measure so single-frame landmark noise does not inflate it."""
    x = np.asarray(x, np.float64)
    if len(x) < 5:
        return med3(x)
    ok = np.isfinite(x)
    k = np.ones(5)
    num = np.convolve(np.where(ok, x, 0.0), k, "same")
    den = np.convolve(ok.astype(np.float64), k, "same")
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    out[den == 0] = np.nan
    return out


def median_of(vals: list[float], presorted: bool = False) -> float:
    """``float(np.median(vals))`` of a list of finite values (NaN if empty); for a list
    of float64 values (Python or numpy floats) computed without numpy's per-call
    overhead, with the same arithmetic (middle value, or the mean of the two middle ones
    as ``(a + b) / 2``). ``presorted``: ``vals`` is a sorted list of float64 values."""
    if not vals:
        return float("nan")
    if not presorted and not all(isinstance(v, float) for v in vals):
        return float(np.median(vals))
    a = vals if presorted else sorted(vals)
    n = len(a)
    m = n // 2
    if n % 2:
        return float(a[m])
    return float((a[m - 1] + a[m]) / 2.0)


def nanmax(x: np.ndarray) -> float:
    x = np.asarray(x, np.float64)
    return float(np.nanmax(x)) if np.isfinite(x).any() else float("nan")


def signed_peak(x: np.ndarray) -> float:
    """The value of largest magnitude (keeping its sign); NaN if none."""
    x = np.asarray(x, np.float64)
    if not np.isfinite(x).any():
        return float("nan")
    return float(x[int(np.nanargmax(np.abs(x)))])


#: Landmarks that must be in view for standing (full body) and lying exercises.
_KEY_STANDING = (LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER, LM.LEFT_HIP, LM.RIGHT_HIP,
                 LM.LEFT_KNEE, LM.RIGHT_KNEE, LM.LEFT_ANKLE, LM.RIGHT_ANKLE)


class EngineBase:
    """Shared engine loop. Subclasses set ``name``, ``views``, ``phase_names``,
    ``out_is_eccentric`` and implement :meth:`measure`, :meth:`frame_faults`,
    :meth:`score_rep` and :meth:`rubric_summary`."""

    name: ClassVar[str] = ""
    #: View codes in which the exercise can be judged.
    views: ClassVar[tuple[int, ...]] = ()
    #: cue to give when the view is wrong
    wrong_view_cue: ClassVar[str] = "face_camera"
    #: names for the segmenter phases rest/out/hold/back
    phase_names: ClassVar[dict[str, str]] = {}
    #: True when moving away from rest is the eccentric part (squats), False for bridges
    out_is_eccentric: ClassVar[bool] = True
    #: codes a rep-level fault may cue at the end of a rep
    rep_cue_codes: ClassVar[tuple[str, ...]] = ()
    #: measure key of a second timing signal (degrees, same sense as the drive); its tempo
    #: fit replaces the drive's when it is usable and leaves rest earlier (see
    #: :meth:`_timing_tempo`); None = time the drive alone
    timing_key: str | None = None

    def __init__(
        self,
        side: str | None,
        profile: Profile | None = None,
        frame_size: tuple[int, int] | None = None,
    ) -> None:
        self.profile = profile or default_profile()
        self.side = side
        self.frame_size = frame_size
        self.vmin = float(self.profile.get("view.min_visibility"))
        # per-frame settings read once (Profile.get deep-copies on every call)
        self._out_of_view_ms = float(self.profile.get("view.out_of_view_s")) * 1000.0
        self._wrong_view_ms = float(self.profile.get("view.wrong_view_s")) * 1000.0
        seg = self.segmentation_settings()
        self.seg = RepSegmenter(
            enter=seg["enter"], exit=seg["exit"], min_excursion=seg["min_excursion"],
            rest_window_ms=1000.0 * float(self.profile.get("segmentation.rest_window_s")),
            max_stuck_ms=1000.0 * float(self.profile.get("segmentation.max_stuck_s")),
        )
        cues = self.profile.section("cues")
        self.coach = Coach(
            self.cue_thresholds(), cues["priority"], debounce_ms=cues["debounce_ms"],
            cooldown_ms=cues["cooldown_ms"], min_gap_ms=cues["min_gap_ms"],
        )
        self.reps: list[Rep] = []
        self.cues: list[Cue] = []
        self.fault_tally: dict[str, int] = {}
        self._last_phase = REST
        self._out_since: float | None = None
        self._wrong_since: float | None = None
        self._rest_meas: deque[tuple[float, Measures]] = deque()
        #: rest_reference() results for the current _rest_meas (cleared when it changes)
        self._ref_cache: dict[str, float] = {}
        #: sorted finite float values over _rest_meas of each key rest_reference() was
        #: asked for, kept up to date as rest frames come and go (None: a key with
        #: non-float values, taken the slow way)
        self._rest_sorted: dict[str, list[float] | None] = {}
        self.frames = 0

    # ------------------------------------------------------------ subclass hooks
    def segmentation_settings(self) -> dict[str, float]:
        return {k: float(self.profile.get(f"segmentation.{k}"))
                for k in ("enter", "exit", "min_excursion")}

    def cue_thresholds(self) -> Mapping[str, tuple[float, ...]]:
        """code -> (flag, hysteresis[, severe]) for the per-frame cue monitors."""
        raise NotImplementedError

    def measure(self, row: np.ndarray, fm: FrameMetrics) -> Measures:
        """Per-frame measures; must include ``"drive"`` (degrees, NaN if unknown)."""
        raise NotImplementedError

    def frame_faults(self, meas: Measures) -> dict[str, tuple[float, str | None]]:
        """code -> (value, side) to feed the cue monitors while moving."""
        raise NotImplementedError

    def score_rep(self, exc: Excursion, rep: Rep) -> None:
        """Fill peaks, faults and rubric of ``rep`` from the excursion's samples."""
        raise NotImplementedError

    def rubric_summary(self, reps: list[Rep]) -> dict[str, Any]:
        raise NotImplementedError

    # ------------------------------------------------------------ helpers
    def rest_reference(self, key: str) -> float:
        """Median of ``key`` over the recent rest frames (NaN if none).

        Cached until the rest frames change (measure() asks for several keys per frame,
        and the rest frames do not change at all while moving)."""
        got = self._ref_cache.get(key)
        if got is None:
            if key not in self._rest_sorted:
                self._rest_sorted[key] = []
                for _, m in self._rest_meas:
                    self._rest_add(key, m)
            srt = self._rest_sorted[key]
            if srt is None:
                vals = [m.get(key, float("nan")) for _, m in self._rest_meas]
                got = median_of([v for v in vals if math.isfinite(v)])
            else:
                got = median_of(srt, presorted=True)
            self._ref_cache[key] = got
        return got

    def _rest_add(self, key: str, m: Measures) -> None:
        srt = self._rest_sorted[key]
        if srt is None:
            return
        v = m.get(key, float("nan"))
        if not isinstance(v, float):
            self._rest_sorted[key] = None  # e.g. float32 values: np.median's arithmetic
        elif math.isfinite(v):
            bisect.insort(srt, v)

    def _rest_drop(self, key: str, m: Measures) -> None:
        srt = self._rest_sorted[key]
        v = m.get(key, float("nan"))
        if srt is not None and math.isfinite(v):
            del srt[bisect.bisect_left(srt, v)]

    def _rest_push(self, t_ms: float, meas: Measures) -> None:
        """Add a rest frame's measures and drop those older than 1 s."""
        self._rest_meas.append((t_ms, meas))
        for key in self._rest_sorted:
            self._rest_add(key, meas)
        while self._rest_meas and self._rest_meas[0][0] < t_ms - 1000.0:
            _, old = self._rest_meas.popleft()
            for key in self._rest_sorted:
                self._rest_drop(key, old)
        self._ref_cache.clear()

    def sample_array(self, exc: Excursion, key: str, rest: bool = False) -> np.ndarray:
        """float64 array of measure ``key`` over the excursion (or its pre-roll if rest)."""
        items = exc.payload[: exc.start_pos] if rest else exc.payload[exc.start_pos :]
        return np.array([p.get(key, np.nan) if p else np.nan for p in items], np.float64)

    def th(self, section: str) -> tuple[float, float, float]:
        s = self.profile.section(section)
        return float(s["flag"]), float(s["severe"]), float(s["hysteresis"])

    def phase_label(self, phase: str) -> str:
        return self.phase_names.get(phase, phase)

    def tempo_targets(self) -> dict[str, float]:
        return self.profile.section(f"tempo.{self.name}")

    # ------------------------------------------------------------ the loop
    def set_side(self, side: str | None) -> None:
        """Change stance side: the current movement is dropped, completed reps kept."""
        self.side = side
        self.seg.reset()
        self.coach.reset_monitors()
        self._rest_meas.clear()
        self._ref_cache.clear()
        self._rest_sorted.clear()

    def _view_candidates(self, t_ms: float, row: np.ndarray, fm: FrameMetrics) -> list[Candidate]:
        out: list[Candidate] = []
        missing = not self.key_visible(row)
        if not missing and self.frame_size is not None:
            # a visible key landmark outside the frame (NaN compares False: not outside)
            keys = list(self.key_landmarks())
            xy = row[keys, :2][row[keys, 3] >= self.vmin].tolist()
            w, h = self.frame_size
            missing = any(x < 0 or x > w or y < 0 or y > h for x, y in xy)
        out_s = self._out_of_view_ms
        if missing:
            self._out_since = t_ms if self._out_since is None else self._out_since
            if t_ms - self._out_since >= out_s:
                out.append(Candidate("out_of_view"))
        else:
            self._out_since = None
        wrong = (not missing) and fm.view != int(View.UNKNOWN) and fm.view not in self.views
        wrong_s = self._wrong_view_ms
        if wrong:
            self._wrong_since = t_ms if self._wrong_since is None else self._wrong_since
            if t_ms - self._wrong_since >= wrong_s:
                out.append(Candidate(self.wrong_view_cue))
        else:
            self._wrong_since = None
        return out

    def key_landmarks(self) -> tuple[int, ...]:
        return _KEY_STANDING

    def key_visible(self, row: np.ndarray) -> bool:
        """Whether the landmarks this exercise needs are all visible in ``row``."""
        return bool(np.all(row[list(self.key_landmarks()), 3] >= self.vmin))

    def update(self, i: int, t_ms: int, row: np.ndarray, fm: FrameMetrics) -> list[Event]:
        """Feed one frame (see :class:`Exercise`); returns the events it caused."""
        self.frames += 1
        events: list[Event] = []
        row = np.asarray(row, np.float32)
        if row.shape != (33, 4):
            raise ValueError(f"lm_row must have shape (33, 4), got {row.shape}")
        instant = self._view_candidates(t_ms, row, fm)
        if np.isnan(row[0, 0]):  # no person in this frame
            meas: Measures = {"drive": float("nan")}
        else:
            meas = self.measure(row, fm)
        exc = self.seg.update(i, t_ms, meas["drive"], meas)
        if (self.seg.phase == REST and exc is None and not self.seg.closing
                and math.isfinite(meas["drive"])):
            self._rest_push(float(t_ms), meas)
        if exc is not None and exc.counted:
            rep = self._make_rep(exc)
            self.reps.append(rep)
            for f in rep.faults:
                self.fault_tally[f.code] = self.fault_tally.get(f.code, 0) + 1
            events.append(Event("rep", i, t_ms, {"rep": rep.to_dict()}))
            params = {"target": float(self.tempo_targets().get("eccentric_s", 3.0))}
            for f in rep.faults:
                if f.code in self.rep_cue_codes:
                    instant.append(Candidate(f.code, f.side, f.value, params, f.severity))
        if self.seg.phase != self._last_phase:
            self._last_phase = self.seg.phase
            events.append(Event("phase", i, t_ms, {"phase": self.phase_label(self.seg.phase)}))
        moving = self.seg.phase != REST and len(meas) > 1
        values = self.frame_faults(meas) if moving else {}
        cue = self.coach.update(t_ms, values, instant)
        if cue is not None:
            self.cues.append(cue)
            events.append(Event("cue", i, t_ms, {"cue": cue.to_dict()}))
        return events

    def _timing_tempo(self, exc: Excursion) -> Tempo | None:
        """Tempo fitted on the ``timing_key`` signal over the pre-roll and the excursion,
        if it starts earlier than the drive's fit. Both signals are blind to the first
        degrees of a movement that starts slowly (they can only see it start late), so
        the fit that leaves rest earlier has seen more of it.

        None (keep the drive's tempo) when there is no timing signal, it is too small
        (< 0.5 x the drive's excursion), its peak is not inside the drive's movement, or
        it does not start earlier."""
        if self.timing_key is None or exc.tempo is None:
            return None
        s = np.array([p.get(self.timing_key, np.nan) if p else np.nan for p in exc.payload],
                     np.float64)
        pre = s[: exc.start_pos]
        pre = pre[np.isfinite(pre)]
        if len(pre) < 3 or np.isfinite(s[exc.start_pos:]).sum() < 4:
            return None
        base = float(np.percentile(pre, 25))
        amp = float(np.nanmax(s[exc.start_pos:])) - base
        if not amp >= 0.5 * exc.excursion:
            return None
        base_end = None
        if exc.base_end is not None:
            # the way back ended at a new level: the timing signal's lowest 3-frame mean
            # after its peak
            post = s[exc.start_pos:]
            ip = int(np.nanargmax(post))
            tail = post[ip:]
            tail = tail[np.isfinite(tail)]
            if len(tail) >= 3:
                base_end = float(np.min(np.convolve(tail, np.ones(3) / 3.0, "valid")))
        tp = measure_tempo(exc.t, s, base, base_end)
        d = exc.tempo
        if tp is None or not (d.t0 - 1500.0 <= tp.peak_ms and tp.t0 <= d.t1 and tp.t3 >= d.t2):
            return None
        return tp if tp.t0 < d.t0 else None

    def _make_rep(self, exc: Excursion) -> Rep:
        tp = self._timing_tempo(exc) or exc.tempo
        nan = float("nan")
        if tp is None:
            t_start, t_end = float(exc.t[exc.start_pos]), float(exc.t[-1])
            out_s = hold_s = back_s = nan
            bottom = float(exc.t[exc.start_pos + int(np.argmax(exc.s[exc.start_pos:]))])
        else:
            t_start, t_end, bottom = tp.t0, tp.t3, tp.peak_ms
            out_s, hold_s, back_s = tp.out_s, tp.hold_s, tp.back_s
        ecc, con = (out_s, back_s) if self.out_is_eccentric else (back_s, out_s)
        rep = Rep(
            index=len(self.reps), side=self.side, start_ms=t_start, bottom_ms=bottom,
            end_ms=t_end, eccentric_s=ecc, hold_s=hold_s, concentric_s=con,
            excursion=exc.excursion, start_frame=int(exc.i[exc.start_pos]),
            end_frame=int(exc.i[-1]),
        )
        self.score_rep(exc, rep)
        return rep

    def state(self) -> SessionState:
        last = self.reps[-1] if self.reps else None
        cue = self.coach.last_cue
        return SessionState(
            exercise=self.name, side=self.side, phase=self.phase_label(self.seg.phase),
            reps=len(self.reps),
            last_tempo=(last.eccentric_s, last.hold_s, last.concentric_s) if last else None,
            fault_tally=dict(self.fault_tally),
            current_cue=cue.to_dict() if cue is not None else None,
        )

    def finish(self) -> list[Rep]:
        """The reps so far; a rep still being closed when the frames end (its tail being
        recorded, or back down at a new level) is finished and counted first."""
        exc = self.seg.flush()
        if exc is not None and exc.counted:
            rep = self._make_rep(exc)
            self.reps.append(rep)
            for f in rep.faults:
                self.fault_tally[f.code] = self.fault_tally.get(f.code, 0) + 1
        return list(self.reps)

    # ------------------------------------------------------------ fault helpers
    def graded(self, code: str, value: float, section: str, side: str | None) -> Fault | None:
        flag, severe, _ = self.th(section)
        sev = severity(value, flag, severe)
        return Fault(code, side, value, sev) if sev else None

    def tempo_fault(self, rep: Rep) -> Fault | None:
        """fast_descent when the eccentric part is shorter than fast_ratio x target."""
        tt = self.tempo_targets()
        target = float(tt.get("eccentric_s", 0.0))
        ratio = float(tt.get("fast_ratio", 0.5))
        if target > 0 and math.isfinite(rep.eccentric_s) and rep.eccentric_s < ratio * target:
            sev = "severe" if rep.eccentric_s < 0.5 * ratio * target else "mild"
            return Fault("fast_descent", rep.side, rep.eccentric_s, sev)
        return None


def leg_of(side: str | None) -> dict[str, int]:
    return LEG[side or "left"]
