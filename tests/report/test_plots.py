"""The trend plot PNG of ``hipform progress --plot`` (matplotlib)."""

from __future__ import annotations

from hipform.report.plots import trend_plot_png

PNG = b"\x89PNG\r\n\x1a\n"


def test_trend_plot_is_png() -> None:
    trend = [{"recorded_at": "2026-11-02T09:30:00", "measures": {"knee_valgus": {"left": 20.0}}},
             {"recorded_at": "2026-11-09T09:30:00", "measures": {"knee_valgus": {"left": 12.0}}}]
    assert trend_plot_png(trend, sdd={"knee_valgus": 8.0})[:8] == PNG
    assert trend_plot_png(trend, title="ana")[:8] == PNG
    assert trend_plot_png([])[:8] == PNG
