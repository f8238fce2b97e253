"""Plot helpers: PNG output, decimation of long clips keeps peaks and gaps."""

from __future__ import annotations

import numpy as np

from hipform.report.plots import _decimate, measure_plot_png, trend_plot_png

PNG = b"\x89PNG\r\n\x1a\n"


def test_decimation_keeps_peaks_troughs_and_gaps() -> None:
    t = np.arange(18_000) / 30.0  # 10 minutes at 30 fps
    y = np.sin(t)
    y[3_000:3_600] = np.nan        # 20 s with nobody in view
    y[9_001] = 25.0                # one spike
    y[12_345] = -7.0
    td, d = _decimate(t, {"v": y, "w": -y}, max_points=1_000)
    assert len(td) <= 1_000 and np.all(np.diff(td) >= 0)
    assert np.nanmax(d["v"]) == 25.0 and np.nanmin(d["v"]) == -7.0
    assert np.nanmin(d["w"]) == -25.0
    gap = (td > 101) & (td < 119)
    assert gap.any() and np.isnan(d["v"][gap]).all()
    t2, d2 = _decimate(t[:500], {"v": y[:500]}, max_points=1_000)
    assert np.array_equal(t2, t[:500]) and np.array_equal(d2["v"], y[:500])  # untouched


def test_plots_are_png() -> None:
    t = [i / 30 for i in range(300)]
    png = measure_plot_png(t, {"left": [None] * 10 + [5.0] * 290}, title="x", flag=10,
                           severe=15, reps=[(1.0, 3.0), (4.0, 6.0)])
    assert png[:8] == PNG
    empty = measure_plot_png([], {}, title="nothing")
    assert empty[:8] == PNG
    trend = [{"recorded_at": "2026-11-02T09:30:00", "measures": {"knee_valgus": {"left": 20.0}}},
             {"recorded_at": "2026-11-09T09:30:00", "measures": {"knee_valgus": {"left": 12.0}}}]
    assert trend_plot_png(trend, sdd={"knee_valgus": 8.0})[:8] == PNG
    assert trend_plot_png([])[:8] == PNG
