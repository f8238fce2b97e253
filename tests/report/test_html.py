"""HTML report: content, self-containment, atomic write, and a real headless browser."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from cdp import find_chromium, load_page
from hipform_testdata import make_analysis, minimal_analysis
from report_helpers import stick_figure

from hipform.errors import OutputError
from hipform.report.html import build_html, render_live_report, render_report

# Any attribute or CSS value that would make the browser fetch something.
_RESOURCE = re.compile(
    r"""(?:\b(?:src|href|srcset|poster|data|action|background)\s*=\s*["']?\s*(?P<a>[^"'\s>]+))"""
    r"""|(?:url\(\s*["']?(?P<u>[^"')]+))|(?:@import\s+["']?(?P<i>[^"';]+))""",
    re.IGNORECASE,
)


def resource_refs(html: str) -> list[str]:
    return [m.group("a") or m.group("u") or m.group("i") for m in _RESOURCE.finditer(html)]


def external_refs(html: str) -> list[str]:
    """References that are neither inline data: URIs nor in-page anchors."""
    return [r for r in resource_refs(html) if not r.startswith(("data:", "#"))]


def no_frames(a: dict) -> dict:
    """The analysis without per-frame series: no plots to draw, so the test is quick."""
    a.pop("frames", None)
    return a


def history(n: int = 3) -> list[dict]:
    return [make_analysis(created=f"2026-11-{2 + 7 * k:02d}T09:30:00+00:00",
                          session=f"week {k}", valgus_peak=28.0 - 4 * k,
                          hip_drop_peak=9.0 - k) for k in range(n)]


def thumbnails() -> dict[str, bytes]:
    return {"knee_valgus/left": stick_figure(17),
            "hip_drop:left": stick_figure(6, highlight="hip", fmt="png")}


def test_self_containment_checker_catches_external_references() -> None:
    bad = ('<img src="https://cdn.example.com/a.png"><link href="//fonts.example/x.css">'
           '<div style="background:url(http://x.example/b.png)"></div>'
           '<style>@import "http://x.example/c.css";</style><img src="data:image/png;base64,AA">')
    assert external_refs(bad) == ["https://cdn.example.com/a.png", "//fonts.example/x.css",
                                  "http://x.example/b.png", "http://x.example/c.css"]


@pytest.fixture(scope="module")
def full_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One complete report (plots, thumbnails, history), rendered once for this module."""
    tmp = tmp_path_factory.mktemp("report")
    a = make_analysis(created="2026-11-23T09:30:00+00:00", session="week 3", valgus_peak=16.0)
    out = render_report(a, tmp / "sub" / "report.html", thumbnails=thumbnails(),
                        history=history())
    assert out == tmp / "sub" / "report.html"
    return out


def test_report_is_self_contained_and_complete(full_report: Path) -> None:
    out = full_report
    html = out.read_text(encoding="utf-8")
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]  # no temp file left
    assert external_refs(html) == []
    # the SVG namespace name is an identifier, not something fetched
    bare = html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert not re.search(r"https?://|<script|<link|<iframe|@font-face", bare, re.IGNORECASE)
    assert html.startswith("<!DOCTYPE html>") and 'name=\'viewport\'' in html
    # sections
    for text in ("Single-leg squat · left leg", "Repetitions", "Worst moments",
                 "Through the clip", "Cues given (4)", "Compared with your previous sessions (3)",
                 "Push your left knee out over your little toe"):
        assert text in html, text
    # per-frame plots: knee valgus, hip drop, lumbar, trunk frontal, trunk sagittal, knee flexion
    assert html.count('<figure class="plot"><svg ') == 6
    assert "data:image/png" not in html.split("Worst moments")[0]  # plots are inline SVG
    assert html.count('class="trend-plot"') == 4  # one per measure with history
    # thumbnails embedded with the right MIME type, captioned with the worst value
    assert html.count("data:image/jpeg;base64,") == 1
    assert "16.0°</span> severe · rep 2" in html
    # severity colours in the rep table follow the thresholds (flag 10, severe 15)
    assert '<span class="val sev-severe">16.0°</span>' in html
    assert '<span class="val sev-flag">12.3°</span>' in html
    assert '<span class="val sev-ok">4.6°</span>' in html
    # history verdicts: 26.6 -> 14.2 mean knee valgus is a real improvement vs the first
    assert re.search(r'sev-better" title="improved">improved −\d+\.\d°', html)


def test_partial_analysis_renders(tmp_path: Path) -> None:
    html = render_report(minimal_analysis(), tmp_path / "r.html").read_text()
    assert "Bridge" in html and "No repetitions were detected" in html
    assert "Through the clip" not in html and "Worst moments" not in html
    assert "Compared with" not in html
    # an empty dict is also tolerated
    assert "Exercise not recognised" in build_html({})


def test_values_are_escaped() -> None:
    a = no_frames(make_analysis(subject="<b>eve</b>"))
    a["cues"][0]["message"] = "<script>alert(1)</script>"
    html = build_html(a)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;eve&lt;/b&gt;" in html


def test_bad_thumbnail_and_unwritable_path(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="knee_valgus/left"):
        build_html(no_frames(make_analysis()), thumbnails={"knee_valgus/left": b"GIF89a..."})
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="file"):
        render_report(no_frames(make_analysis()), tmp_path / "file" / "r.html")


def test_live_report_uses_the_same_layout(tmp_path: Path) -> None:
    a = make_analysis()
    live = render_live_report(a, tmp_path / "live.html").read_text()
    assert "Repetitions" in live and "Through the clip" in live


def test_history_skips_the_session_itself() -> None:
    a = no_frames(make_analysis())
    a["id"] = 7
    same = dict(make_analysis(), id=7)
    assert "Compared with" not in build_html(a, history=[same])


# ----------------------------------------------------------------------------- browser

CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed "
                                    "(CI installs it with apt; set HIPFORM_CHROMIUM)")


@pytest.mark.browser
@needs_chromium
def test_browser_detects_console_errors_and_network(tmp_path: Path) -> None:
    """Negative control: the browser checks below can fail."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><body><img src="http://example.invalid/x.png">'
                    '<script>console.error("boom")</script></body></html>')
    res = load_page(CHROMIUM, page, width=800, height=600)
    assert any("boom" in e for e in res.errors)
    assert "http://example.invalid/x.png" in res.network_requests


@pytest.mark.browser
@needs_chromium
def test_report_in_headless_chromium(full_report: Path, artifacts: Path) -> None:
    out = full_report
    shutil.copy(out, artifacts / "report.html")

    desktop = load_page(CHROMIUM, out, width=1280, height=900)
    assert desktop.errors == []
    assert desktop.network_requests == []
    assert desktop.width <= 1280, "the page must not scroll sideways on a laptop"
    assert desktop.height > 2000
    assert desktop.screenshot[:8] == b"\x89PNG\r\n\x1a\n"
    (artifacts / "report-desktop.png").write_bytes(desktop.screenshot)

    phone = load_page(CHROMIUM, out, width=390, height=844, mobile=True)
    assert phone.errors == []
    assert phone.network_requests == []
    assert phone.width <= 390, f"page is {phone.width}px wide on a 390px phone"
    (artifacts / "report-phone.png").write_bytes(phone.screenshot)


def test_history_from_the_store(tmp_path: Path) -> None:
    """The integrator passes stored sessions (get_session dicts or trend rows)."""
    from hipform.store import open_store

    with open_store(tmp_path / "h.sqlite3") as store:
        for h in history():
            store.save_analysis(h)
        stored = [store.get_session(s["id"], frames=False) for s in store.list_sessions()]
        trend = store.trend("ana", "single_leg_squat")
    a = no_frames(make_analysis(created="2026-11-30T09:30:00+00:00", valgus_peak=12.0))
    for hist in (stored, trend):
        html = build_html(a, history=hist)
        assert "Compared with your previous sessions (3)" in html
        assert "improved since your first session" not in html  # wording check below
        assert re.search(r"<b>Knee valgus</b> \(left\) improved by \d+\.\d° since your first "
                         r"session, more than the 8° measurement error", html)


def test_history_with_sides_missing_in_some_sessions() -> None:
    """Earlier sessions may carry measures/sides this one lacks, and the other way round."""
    a = {"exercise": "bridge", "reps": [{"peak_knee_valgus": {"left": 9.0}}]}
    first = {"exercise": "bridge", "reps": [{"peak_knee_valgus": {"left": 20.0}}]}
    prev = {"exercise": "bridge", "reps": [{"peak_knee_valgus": {"left": 15.0, "right": 3.0},
                                            "peak_hip_drop": {"right": 4.0}}]}
    html = build_html(a, history=[first, prev])
    assert "Compared with your previous sessions (2)" in html
    assert "improved −11.0°" in html and "within error −6.0°" in html
    assert "Hip drop" not in html.split("Compared with")[1].split("</table>")[0]


def test_worst_faults_severity_first_and_durations_lower_is_worse() -> None:
    from hipform.report.html import worst_faults

    a = {"reps": [
        {"index": 0, "bottom_ms": 700, "faults": [
            {"code": "fast_descent", "side": "left", "value": 0.34, "severity": "severe"},
            {"code": "knee_valgus", "side": "left", "value": 12.0, "severity": "flag"}]},
        {"index": 1, "bottom_ms": 1800, "faults": [
            {"code": "fast_descent", "side": "left", "value": 0.77, "severity": "mild"},
            {"code": "knee_valgus", "side": "left", "value": 16.0, "severity": "severe",
             "t_ms": 1750}]},
        {"index": 2, "bottom_ms": 2900, "faults": [
            {"code": "fast_descent", "side": "left", "value": 0.30, "severity": "severe"}]},
    ]}
    w = {x["code"]: x for x in worst_faults(a)}
    assert (w["knee_valgus"]["rep"], w["knee_valgus"]["t_ms"]) == (2, 1750)
    assert (w["fast_descent"]["rep"], w["fast_descent"]["value"]) == (3, 0.30)
    html = build_html(a)
    assert '<b>Lowering too fast</b> · left<br><span class="val sev-severe">0.3 s</span>' in html


def test_report_has_plots_without_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    """The report's plots are inline SVG: they need no matplotlib (an optional extra)."""
    import sys

    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # any import of it now fails
    with pytest.raises(ImportError):
        import matplotlib  # noqa: F401
    html = build_html(make_analysis(), history=history(2))
    assert "Through the clip" in html and html.count('<figure class="plot"><svg ') == 6
    assert html.count('class="trend-plot"') == 4
    assert "matplotlib" not in html and "data:image/png" not in html
    assert "Compared with your previous sessions (2)" in html and "Repetitions" in html
