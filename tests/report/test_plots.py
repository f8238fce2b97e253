"""PNG plots (matplotlib). Decimation of long clips is tested with the SVG plots."""

from __future__ import annotations

from hipform.report.plots import measure_plot_png, trend_plot_png

PNG = b"\x89PNG\r\n\x1a\n"


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
