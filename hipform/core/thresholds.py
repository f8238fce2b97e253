"""Default flag thresholds of the core measures (degrees), with their sources.

These are defaults for the exercise engines / coaching; a profile (hipform/config.py)
may override them. See docs/README_core.md for the table.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Thresholds", "DEFAULT_THRESHOLDS"]


@dataclass(frozen=True)
class Thresholds:
    """Flag thresholds in degrees (a value above the threshold raises the flag).

    knee_valgus_flag / knee_valgus_severe: 2-D FPPA (+ = valgus). 2-D FPPA is repeatable
        (SEM about 2-3 deg) but changes under about 8 deg are within measurement error
        (Munro, Herrington & Carolan 2012); 10 / 15 deg are the usual screening cut-offs.
    hip_drop_flag: contralateral pelvic drop from quiet stance (Piva et al. 2006
        "pelvic plane"; Crossley et al. 2011 "pelvis" item).
    lumbar_extension_flag: bridge arching past the shoulder-knee line. **No validated
        threshold exists**; 10 deg is a suggestion, keep it configurable.
    trunk_lean_lateral_flag: lateral trunk lean toward / away from the stance leg
        (Piva 2006 "trunk alignment"; Crossley 2011 "trunk").
    """

    knee_valgus_flag: float = 10.0
    knee_valgus_severe: float = 15.0
    hip_drop_flag: float = 5.0
    lumbar_extension_flag: float = 10.0
    trunk_lean_lateral_flag: float = 10.0


DEFAULT_THRESHOLDS = Thresholds()
