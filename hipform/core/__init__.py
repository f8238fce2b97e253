"""Pure numpy/scipy measurement core: geometry, filters, kinematics, view classification.

Imports nothing but numpy (scipy lazily, inside the offline filters); a test checks it.
The public entry point is :func:`compute_metrics`; definitions, sign conventions and
thresholds are in docs/README_core.md.
"""

from hipform.core.filters import (
    OneEuroFilter,
    interpolate_gaps,
    interpolate_landmark_gaps,
    lowpass_landmarks,
    lowpass_zero_phase,
    one_euro_landmarks,
)
from hipform.core.kinematics import (
    NanReason,
    hip_drop,
    hip_flexion,
    knee_flexion,
    knee_valgus,
    lumbar_extension,
    pelvic_obliquity,
    trunk_lean_frontal,
    trunk_lean_sagittal,
)
from hipform.core.metrics import (
    Metrics,
    MetricsRow,
    compute_metrics,
    find_quiet_stance,
    find_quiet_stance_baseline,
)
from hipform.core.thresholds import DEFAULT_THRESHOLDS, Thresholds
from hipform.core.view import VIEW_NAMES, View, classify_view

__all__ = [
    "DEFAULT_THRESHOLDS",
    "Metrics",
    "MetricsRow",
    "NanReason",
    "OneEuroFilter",
    "Thresholds",
    "VIEW_NAMES",
    "View",
    "classify_view",
    "compute_metrics",
    "find_quiet_stance",
    "find_quiet_stance_baseline",
    "hip_drop",
    "hip_flexion",
    "interpolate_gaps",
    "interpolate_landmark_gaps",
    "knee_flexion",
    "knee_valgus",
    "lowpass_landmarks",
    "lowpass_zero_phase",
    "lumbar_extension",
    "one_euro_landmarks",
    "pelvic_obliquity",
    "trunk_lean_frontal",
    "trunk_lean_sagittal",
]
