"""Fault -> cue logic: hysteresis, debounce, cooldown and priority.

* :class:`FaultMonitor` turns a per-frame value into a persisted on/off fault: it switches
  on at ``value >= flag``, off only below ``flag - hysteresis`` (so noise near the
  threshold does not flicker), and reports the fault only once it has been on for
  ``debounce_ms``.
* :class:`CueGate` decides which cue, if any, is said now: the same code is not repeated
  within ``cooldown_ms``, no two cues come closer than ``min_gap_ms``, and when several
  are due the one earliest in the priority list wins.
* :class:`Coach` combines both for an exercise engine.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from hipform.coaching.messages import CATALOGUE, message
from hipform.errors import ConfigError

__all__ = ["Candidate", "Coach", "Cue", "CueGate", "FaultMonitor"]


def _f(x: float | None) -> float | None:
    if x is None or not math.isfinite(float(x)):
        return None
    return float(x)


@dataclass(frozen=True)
class Cue:
    """One spoken/displayed cue. ``value`` is the measured value (degrees, seconds...);
    ``severity`` "mild"/"severe" for faults, None for view guidance."""

    t_ms: int
    code: str
    side: str | None
    value: float
    message: str
    severity: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "t_ms": int(self.t_ms),
            "code": self.code,
            "side": self.side,
            "value": _f(self.value),
            "message": self.message,
            "severity": self.severity,
        }


@dataclass(frozen=True)
class Candidate:
    """A cue that could be said now."""

    code: str
    side: str | None = None
    value: float = float("nan")
    params: Mapping[str, float] = field(default_factory=dict)
    severity: str | None = None


class FaultMonitor:
    """Per-frame fault state with hysteresis and debounce.

    Args:
        flag: the value at or above which the fault switches on (same units as values).
        hysteresis: the fault switches off only when the value drops below
            ``flag - hysteresis``.
        debounce_ms: the fault counts as persisted once on for at least this long.
    """

    def __init__(self, flag: float, hysteresis: float = 0.0, debounce_ms: float = 0.0) -> None:
        self.flag = float(flag)
        self.hysteresis = float(hysteresis)
        self.debounce_ms = float(debounce_ms)
        self.active = False
        self.since_ms: int | None = None

    def reset(self) -> None:
        self.active = False
        self.since_ms = None

    def update(self, t_ms: int, value: float) -> bool:
        """Feed one frame; True when the fault is on and has persisted past the debounce.

        A NaN value (landmarks missing) switches the fault off: no cue on missing data.
        """
        if value is None or not math.isfinite(value):
            self.reset()
            return False
        if self.active:
            if value < self.flag - self.hysteresis:
                self.reset()
        elif value >= self.flag:
            self.active = True
            self.since_ms = int(t_ms)
        return self.persisted(t_ms)

    def persisted(self, t_ms: int) -> bool:
        return self.active and self.since_ms is not None and (t_ms - self.since_ms) >= (
            self.debounce_ms
        )


class CueGate:
    """Chooses at most one cue per call, honouring priority, cooldown and a minimum gap.

    Args:
        priority: codes from most to least important; codes not listed rank last.
        cooldown_ms: the same code is not given again within this time.
        min_gap_ms: no cue within this time of the previous one (any code).
    """

    def __init__(
        self, priority: Sequence[str], cooldown_ms: float = 4000.0, min_gap_ms: float = 0.0
    ) -> None:
        unknown = [c for c in priority if c not in CATALOGUE]
        if unknown:
            raise ConfigError(f"profile key 'cues.priority': unknown cue code {unknown[0]!r}")
        self.rank = {c: i for i, c in enumerate(priority)}
        self.cooldown_ms = float(cooldown_ms)
        self.min_gap_ms = float(min_gap_ms)
        self.last_code_ms: dict[str, int] = {}
        self.last_any_ms: int | None = None

    def reset(self) -> None:
        self.last_code_ms.clear()
        self.last_any_ms = None

    def offer(self, t_ms: int, candidates: Iterable[Candidate]) -> Cue | None:
        """The cue to give at ``t_ms`` among ``candidates`` (or None)."""
        if self.last_any_ms is not None and t_ms - self.last_any_ms < self.min_gap_ms:
            return None
        best: Candidate | None = None
        for c in candidates:
            last = self.last_code_ms.get(c.code)
            if last is not None and t_ms - last < self.cooldown_ms:
                continue
            if best is None or self.rank.get(c.code, 10**6) < self.rank.get(best.code, 10**6):
                best = c
        if best is None:
            return None
        self.last_code_ms[best.code] = int(t_ms)
        self.last_any_ms = int(t_ms)
        return Cue(
            int(t_ms), best.code, best.side, float(best.value),
            message(best.code, best.side, **dict(best.params)), best.severity,
        )


class Coach:
    """Monitors for every per-frame fault code plus a :class:`CueGate`.

    Args:
        thresholds: code -> (flag, hysteresis) or (flag, hysteresis, severe) for per-frame
            faults (a cue's severity is "severe" at or above ``severe``, else "mild").
        priority, cooldown_ms, min_gap_ms: see :class:`CueGate`.
        debounce_ms: see :class:`FaultMonitor`.
    """

    def __init__(
        self,
        thresholds: Mapping[str, tuple[float, ...]],
        priority: Sequence[str],
        debounce_ms: float = 200.0,
        cooldown_ms: float = 4000.0,
        min_gap_ms: float = 1500.0,
    ) -> None:
        self.monitors = {
            code: FaultMonitor(th[0], th[1], debounce_ms) for code, th in thresholds.items()
        }
        self.severe = {code: (th[2] if len(th) > 2 else math.inf)
                       for code, th in thresholds.items()}
        self.gate = CueGate(priority, cooldown_ms, min_gap_ms)
        self.last_cue: Cue | None = None

    def reset_monitors(self) -> None:
        for m in self.monitors.values():
            m.reset()

    def update(
        self,
        t_ms: int,
        values: Mapping[str, tuple[float, str | None]],
        instant: Sequence[Candidate] = (),
    ) -> Cue | None:
        """Feed one frame.

        Args:
            t_ms: frame time.
            values: code -> (value, side) for per-frame faults; codes absent this frame
                are treated as "not measured" (their monitor switches off).
            instant: cues that need no debounce (rep-level faults, view guidance that
                has already persisted).
        Returns:
            The cue to give now, or None.
        """
        cands: list[Candidate] = list(instant)
        for code, mon in self.monitors.items():
            v, side = values.get(code, (float("nan"), None))
            if mon.update(t_ms, v):
                sev = "severe" if v >= self.severe[code] else "mild"
                cands.append(Candidate(code, side, v, severity=sev))
        cue = self.gate.offer(t_ms, cands) if cands else None
        if cue is not None:
            self.last_cue = cue
        return cue
