"""Cue logic: hysteresis, debounce, cooldown, priority; the message catalogue."""

from __future__ import annotations

import pytest

from hipform.coaching import CATALOGUE, Coach, CueGate, FaultMonitor, message
from hipform.coaching.cues import Candidate
from hipform.config import load_profile
from hipform.errors import ConfigError


def test_monitor_hysteresis_and_debounce() -> None:
    m = FaultMonitor(flag=10.0, hysteresis=2.0, debounce_ms=200)
    assert not m.update(0, 11.0)            # on, but not yet persisted
    assert not m.update(100, 10.5)
    assert m.update(200, 9.0)               # still on: 9 > 10 - 2
    assert m.update(300, 8.5)
    assert not m.update(333, 7.9)           # below 8: off
    assert not m.update(366, 9.9)           # needs the flag again
    assert not m.update(400, 10.0)
    assert m.update(600, 10.0)


def test_monitor_noise_near_threshold_does_not_flicker() -> None:
    """A value jittering +-1 around the flag switches on once and stays on."""
    m = FaultMonitor(flag=10.0, hysteresis=2.0, debounce_ms=200)
    states = [m.update(t, 10.0 + (1.0 if (t // 33) % 2 else -1.0)) for t in range(0, 3300, 33)]
    first = states.index(True)
    assert all(states[first:])


def test_monitor_nan_switches_off() -> None:
    m = FaultMonitor(flag=5.0, hysteresis=1.0, debounce_ms=0)
    assert m.update(0, 6.0)
    assert not m.update(33, float("nan"))
    assert not m.active


def test_gate_cooldown_and_gap() -> None:
    g = CueGate(["knee_valgus", "hip_drop"], cooldown_ms=4000, min_gap_ms=1500)
    c = [Candidate("knee_valgus", "left", 12.0)]
    fired = [t for t in range(0, 10_000, 33) if g.offer(t, c)]
    assert fired == [0, 4026, 8052]      # first 30 fps frames at least 4 s apart
    g2 = CueGate(["knee_valgus", "hip_drop"], cooldown_ms=4000, min_gap_ms=1500)
    assert g2.offer(0, [Candidate("knee_valgus")]).code == "knee_valgus"
    assert g2.offer(500, [Candidate("hip_drop")]) is None        # within the 1.5 s gap
    assert g2.offer(1500, [Candidate("hip_drop")]).code == "hip_drop"


def test_gate_priority() -> None:
    g = CueGate(["knee_valgus", "hip_drop", "trunk_lean"], cooldown_ms=4000)
    cands = [Candidate("trunk_lean"), Candidate("hip_drop", "right"), Candidate("knee_valgus")]
    assert g.offer(0, cands).code == "knee_valgus"
    # the winner is cooling down: the next most important is given
    assert g.offer(100, cands).code == "hip_drop"
    assert g.offer(200, cands).code == "trunk_lean"
    assert g.offer(300, cands) is None


def test_gate_unknown_priority_code() -> None:
    with pytest.raises(ConfigError, match="knee_wobble"):
        CueGate(["knee_valgus", "knee_wobble"])


def test_coach_held_fault_gives_one_cue_per_cooldown() -> None:
    coach = Coach({"knee_valgus": (10.0, 2.0)}, ["knee_valgus"], debounce_ms=200,
                  cooldown_ms=4000, min_gap_ms=1500)
    cues = []
    for t in range(0, 10_000, 33):   # 18 deg held for 10 s at 30 fps
        c = coach.update(t, {"knee_valgus": (18.0, "left")})
        if c:
            cues.append(c)
    assert [c.t_ms for c in cues] == [231, 4257, 8283]   # first frames >= 200 ms, +4 s
    assert all(c.side == "left" and c.value == 18.0 for c in cues)
    assert cues[0].message == message("knee_valgus", "left")


def test_coach_debounce_ignores_blips() -> None:
    coach = Coach({"hip_drop": (5.0, 1.0)}, ["hip_drop"], debounce_ms=200)
    out = []
    for t in range(0, 3000, 33):
        v = 8.0 if (t // 33) % 10 < 4 else 0.0     # 4-frame (~130 ms) blips
        out.append(coach.update(t, {"hip_drop": (v, "right")}))
    assert all(c is None for c in out)


def test_catalogue_covers_priorities_and_sides() -> None:
    prio = load_profile().get("cues.priority")
    assert set(prio) == set(CATALOGUE)
    for code in CATALOGUE:
        plain = message(code)
        assert plain and "{" not in plain and len(plain) < 120
        for side in ("left", "right"):
            txt = message(code, side)
            assert "{" not in txt
            if CATALOGUE[code].sided:
                assert "left" in txt or "right" in txt
    assert "second toe" in message("knee_valgus", "right")
    assert "right" in message("hip_drop", "left")            # the free side sinks
    assert "level" in message("hip_drop")
    assert "Ribs down" in message("lumbar_arch") and "glutes" in message("lumbar_arch")
    assert "heels" in message("incomplete_extension")
    assert "4 seconds" in message("fast_descent", target=4.0)
    assert "side-on" in message("turn_side_on")
    assert "whole body" in message("out_of_view")
    with pytest.raises(KeyError):
        message("no_such_cue")
