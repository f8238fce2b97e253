"""Overlay angle labels (hipform.report.annotate.angle_labels): whole degrees with their
sign, and a value that rounds to zero reads "0", never "-0" or "+0"."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from hipform.landmarks import LM
from hipform.report.annotate import angle_labels

TH = {"knee_valgus_deg": {"flag": 8.0, "severe": 15.0},
      "hip_drop_deg": {"flag": 5.0, "severe": 8.0},
      "lumbar_extension_deg": {"flag": 10.0, "severe": 20.0}}


def _m(valgus: tuple[float, float], drop: tuple[float, float], lumbar: float) -> SimpleNamespace:
    return SimpleNamespace(knee_valgus=np.array(valgus, np.float32),
                           hip_drop=np.array(drop, np.float32),
                           lumbar_extension=np.float32(lumbar))


@pytest.mark.parametrize(("value", "text"), [
    (-0.3, "0"), (-0.0, "0"), (0.0, "0"), (0.4, "0"), (-0.5, "0"), (0.5, "0"),
    (-0.6, "-1"), (0.6, "+1"), (12.4, "+12"), (-7.5, "-8"), (2.5, "+2"),
])
def test_values_rounding_to_zero_read_zero(value: float, text: str) -> None:
    labels = angle_labels(_m((value, value), (value, value), value), "left", TH)
    assert [t for _, t, _ in labels] == [f"valgus {text}", f"valgus {text}",
                                         f"hip drop {text}", f"lumbar {text}"]


def test_positions_and_severity_unchanged() -> None:
    labels = angle_labels(_m((16.0, -0.2), (6.0, 0.0), float("nan")), "left", TH)
    assert labels == [(int(LM.LEFT_KNEE), "valgus +16", 2), (int(LM.RIGHT_KNEE), "valgus 0", 0),
                      (int(LM.RIGHT_HIP), "hip drop +6", 1)]
