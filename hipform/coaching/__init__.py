"""Faults -> cues: hysteresis, debounce, cooldown and priority; the message catalogue.

(Text-to-speech lives in ``hipform.coaching.voice`` and is imported lazily by callers.)
"""

from hipform.coaching.cues import Coach, Cue, CueGate, FaultMonitor
from hipform.coaching.messages import CATALOGUE, FAULT_TITLES, message

__all__ = ["CATALOGUE", "FAULT_TITLES", "Coach", "Cue", "CueGate", "FaultMonitor", "message"]
