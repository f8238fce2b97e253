"""SVG plots: valid XML, colours by side, gaps, the value-to-pixel mapping, decimation,
repetitions, empty input, escaping, and the trend across sessions."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from hipform.report.svgplot import (
    FLAG,
    SEVERE,
    SIDE_COLOURS,
    _decimate,
    measure_svg,
    nice_ticks,
    trend_svg,
)

NS = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # raises on anything that is not well-formed XML
    assert root.tag == f"{NS}svg" and root.get("role") == "img"
    ids = {e.get("id"): e for e in root.iter() if e.get("id")}
    title_id, desc_id = root.get("aria-labelledby", "").split()
    assert ids[title_id].tag == f"{NS}title" and ids[desc_id].tag == f"{NS}desc"
    assert not root.findall(f".//{NS}script")
    return root


def series_paths(root: ET.Element) -> list[ET.Element]:
    return [e for e in root.iter(f"{NS}path") if e.get("class") == "series"]


def subpaths(path: ET.Element) -> list[np.ndarray]:
    """Each ``M`` run of a path's data as an (N, 2) array of x, y."""
    return [np.array(run.split(), dtype=float).reshape(-1, 2)
            for run in path.get("d", "").split("M")[1:]]


def y_axis(root: ET.Element) -> tuple[float, float]:
    """(slope, intercept) of pixel y against value, read from the y tick labels."""
    ticks = [(float(t.text.replace("\u2212", "-")), float(t.get("y")))
             for t in root.iter(f"{NS}text")
             if t.get("text-anchor") == "end" and t.text and t.get("dx") == "-7"]
    assert len(ticks) >= 3
    v, y = np.array(ticks).T
    slope, icept = np.polyfit(v, y, 1)
    assert np.allclose(slope * v + icept, y, atol=0.06)  # the ticks themselves are linear
    assert slope < 0  # larger values are higher up
    return slope, icept


def data_top(root: ET.Element) -> float:
    """Pixel offset of the nested drawing that holds the lines."""
    inner = root.find(f".//{NS}svg")
    assert inner is not None and inner.get("preserveAspectRatio") == "none"
    return float(inner.get("y"))


def test_valid_svg_one_path_per_side_in_its_colour() -> None:
    t = np.arange(300) / 30.0
    svg = measure_svg(t, {"left": np.sin(t) * 10, "right": [1.0] * 300}, title="Knee valgus",
                      flag=10.0, severe=15.0, reps=[(1.0, 3.0), (4.0, 6.0)])
    root = parse(svg)
    paths = series_paths(root)
    assert [(p.get("data-series"), p.get("stroke")) for p in paths] == [
        ("left", SIDE_COLOURS["left"]), ("right", SIDE_COLOURS["right"])]
    assert all(p.get("vector-effect") == "non-scaling-stroke" for p in paths)
    assert root.get("width") == "100%"
    # a legend for two series, with both labels
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert "left" in texts and "right" in texts and "time (s)" in texts
    assert "degrees" in texts
    single = parse(measure_svg(t, {"both": np.cos(t)}, title="x"))
    assert "both" not in [e.text for e in single.iter(f"{NS}text")]  # no legend for one


def test_nan_gap_gives_two_subpaths_and_a_lone_point_a_dot() -> None:
    t = np.arange(100) / 30.0
    y = np.linspace(0.0, 20.0, 100)
    y[40:50] = np.nan
    y[70:] = np.nan
    y[80] = 5.0  # a single measured frame between gaps
    root = parse(measure_svg(t, {"left": y}, title="gaps"))
    (path,) = series_paths(root)
    runs = subpaths(path)
    assert [len(r) for r in runs] == [40, 20]
    dots = [c for c in root.iter(f"{NS}circle") if c.get("class") == "dot"]
    assert len(dots) == 1 and dots[0].get("fill") == SIDE_COLOURS["left"]
    slope, icept = y_axis(root)
    assert float(dots[0].get("cy")) == pytest.approx(slope * 5.0 + icept, abs=0.1)


def test_values_map_to_the_right_pixels() -> None:
    t = np.arange(200) / 30.0
    root = parse(measure_svg(t, {"both": np.full(200, 7.0)}, title="m", flag=10.0,
                             severe=15.0))
    slope, icept = y_axis(root)
    dashed = {ln.get("stroke"): float(ln.get("y1")) for ln in root.iter(f"{NS}line")
              if ln.get("stroke-dasharray")}
    assert dashed[FLAG] == pytest.approx(slope * 10.0 + icept, abs=0.1)
    assert dashed[SEVERE] == pytest.approx(slope * 15.0 + icept, abs=0.1)
    # the amber band runs from the flag line up to the severe line
    band = next(r for r in root.iter(f"{NS}rect") if r.get("fill") == FLAG)
    assert float(band.get("y")) == pytest.approx(dashed[SEVERE], abs=0.1)
    assert float(band.get("y")) + float(band.get("height")) == pytest.approx(dashed[FLAG],
                                                                              abs=0.15)
    # the line: same pixel scale inside the nested drawing, offset by its top
    (run,) = subpaths(series_paths(root)[0])
    assert np.allclose(run[:, 1] + data_top(root), slope * 7.0 + icept, atol=0.1)
    assert run[0, 0] == 0.0 and run[-1, 0] == 1000.0  # time fills the viewBox width


def test_decimation_keeps_the_extremes_of_a_long_series() -> None:
    n = 20_000
    t = np.arange(n) / 30.0
    y = np.sin(t / 3.0) * 10.0
    y[12_345] = 42.0
    y[7_777] = -23.0
    root = parse(measure_svg(t, {"left": y}, title="long"))
    slope, icept = y_axis(root)
    pts = np.concatenate(subpaths(series_paths(root)[0]))
    assert len(pts) <= 1_200
    values = (pts[:, 1] + data_top(root) - icept) / slope
    assert values.max() == pytest.approx(42.0, abs=0.1)
    assert values.min() == pytest.approx(-23.0, abs=0.1)
    peak_x = pts[np.argmax(values), 0] / 1000.0 * t[-1]
    assert peak_x == pytest.approx(t[12_345], abs=t[-1] / 500)


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


def rep_shading(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{NS}rect") if r.get("fill") == "#f3f4f6"]


def test_reps_shaded_and_labelled_until_labels_would_collide() -> None:
    t = np.arange(600) / 30.0
    y = {"left": np.sin(t)}
    root = parse(measure_svg(t, y, title="r", reps=[(1, 4), (5, 9), (10, 14)]))
    assert len(rep_shading(root)) == 3
    texts = [e.text for e in root.iter(f"{NS}text")]
    assert [s for s in texts if s and s.startswith("rep ")] == ["rep 1", "rep 2", "rep 3"]
    many = [(0.5 * k, 0.5 * k + 0.4) for k in range(12)]   # 12 reps in 6 s of 20
    root = parse(measure_svg(t, y, title="r", reps=many))
    texts = [e.text for e in root.iter(f"{NS}text")]
    assert len(rep_shading(root)) == 12
    assert not any(s and s.startswith("rep") for s in texts)
    assert "12" not in texts  # 0.5 s apart: even bare numbers would collide on a phone
    spread = [(1.6 * k, 1.6 * k + 1.2) for k in range(12)]  # 12 reps over 19 s
    texts = [e.text for e in parse(measure_svg(t, y, title="r", reps=spread)).iter(f"{NS}text")]
    assert "1" in texts and "12" in texts and "rep 1" not in texts
    # a rep beyond the clip is neither drawn nor labelled; one across its end is clipped
    root = parse(measure_svg(t, y, title="r", reps=[(15, 25), (30, 31)]))
    (box,) = rep_shading(root)
    assert float(box.get("x").rstrip("%")) + float(box.get("width").rstrip("%")) == (
        pytest.approx(97.0, abs=0.02))
    texts = [e.text for e in root.iter(f"{NS}text")]
    assert "rep 1" in texts and "rep 2" not in texts


def test_empty_input_says_no_data() -> None:
    for svg in (measure_svg([], {}, title="nothing"),
                measure_svg([0.0, 0.1], {"left": [None, None]}, title="nothing"),
                trend_svg([]), trend_svg([{"recorded_at": "2026-11-02", "measures": {}}])):
        root = parse(svg)
        assert "no data" in [e.text for e in root.iter(f"{NS}text")]
        assert not series_paths(root)


def test_title_and_labels_are_escaped() -> None:
    evil = 'knee <b> & "valgus"\'s'
    svg = measure_svg([0.0, 1.0], {evil: [1.0, 2.0], "right": [2.0, 1.0]}, title=evil,
                      ylabel="<deg>")
    assert "<b>" not in svg and "&lt;b&gt; &amp; &quot;valgus&quot;" in svg
    root = parse(svg)
    assert root.find(f"{NS}title").text == evil
    texts = [e.text for e in root.iter(f"{NS}text")]
    assert evil in texts and "<deg>" in texts
    trend = [{"recorded_at": "<x>", "measures": {"m": {"left": 1.0}}}]
    root = parse(trend_svg(trend, labels={"m": evil}, title="a & b"))
    assert root.find(f"{NS}title").text == "a & b"


def test_shape_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"'left'.*\(3,\).*\(2,\)"):
        measure_svg([0.0, 1.0, 2.0], {"left": [1.0, 2.0]}, title="x")


def trend_rows(n: int) -> list[dict]:
    return [{"recorded_at": f"2026-11-{2 + 7 * k:02d}T09:30:00",
             "measures": {"knee_valgus": {"left": 20.0 - 4 * k, "right": 5.0},
                          "hip_drop": {"left": 6.0 - k}}} for k in range(n)]


def test_trend_with_one_session() -> None:
    root = parse(trend_svg(trend_rows(1), sdd={"knee_valgus": 8.0},
                           labels={"knee_valgus": "Knee valgus"}, measures=["knee_valgus"]))
    points = list(root.iter(f"{NS}circle"))
    assert len(points) == 2  # left and right
    assert {p.get("fill") for p in points} == {SIDE_COLOURS["left"], SIDE_COLOURS["right"]}
    axis = [ln for ln in root.iter(f"{NS}line") if ln.get("x1") == ln.get("x2")
            and ln.get("stroke") != "#e5e7eb"]
    left_pct = float(axis[0].get("x1").rstrip("%"))
    right_pct = float(next(ln.get("x2") for ln in root.iter(f"{NS}line")
                           if ln.get("x1") != ln.get("x2")).rstrip("%"))
    cx = float(points[0].get("cx").rstrip("%"))
    assert cx == pytest.approx((left_pct + right_pct) / 2, abs=0.01)  # centred
    texts = [e.text for e in root.iter(f"{NS}text")]
    assert "2026-11-02" in texts and "Knee valgus" in texts
    # the SDD band: first session +/- 8 degrees, one per side
    slope, icept = y_axis(root)
    bands = [r for r in root.iter(f"{NS}rect") if r.get("fill-opacity") == "0.08"]
    assert len(bands) == 2
    left = next(b for b in bands if b.get("fill") == SIDE_COLOURS["left"])
    assert float(left.get("y")) == pytest.approx(slope * 28.0 + icept, abs=0.1)
    assert float(left.get("height")) == pytest.approx(-slope * 16.0, abs=0.15)


def test_trend_with_three_sessions() -> None:
    rows = trend_rows(3)
    rows[1]["measures"]["hip_drop"] = {}  # not measured in the middle session
    root = parse(trend_svg(rows, sdd={"knee_valgus": 8.0, "hip_drop": 4.0},
                           title="ana · single leg squat"))
    texts = [e.text for e in root.iter(f"{NS}text")]
    assert texts.count("2026-11-02") == 2 and texts.count("2026-11-16") == 2  # two panels
    assert "ana · single leg squat" in texts
    points = list(root.iter(f"{NS}circle"))
    assert len(points) == 3 + 3 + 2  # knee valgus left/right, hip drop left (one missing)
    tips = [p.find(f"{NS}title").text for p in points]
    assert "2026-11-16: left 12.0°" in tips
    cx = sorted({float(p.get("cx").rstrip("%")) for p in points})
    assert len(cx) == 3 and cx[1] - cx[0] == pytest.approx(cx[2] - cx[1], abs=0.02)
    # lines join consecutive sessions only: hip drop's gap breaks its line
    segs = [ln for ln in root.iter(f"{NS}line") if ln.get("stroke") == SIDE_COLOURS["left"]
            and ln.get("stroke-width") == "2"]
    assert len(segs) == 2  # knee valgus left: 2 segments; hip drop left: none
    assert re.search(r"knee_valgus per session, degrees: left 20\.0 \(2026-11-02\) to "
                     r"12\.0 \(2026-11-16\)", root.find(f"{NS}desc").text)


def test_trend_dates_are_thinned_to_fit_a_phone() -> None:
    rows = [{"recorded_at": f"2026-{1 + k // 4:02d}-{1 + 7 * (k % 4):02d}",
             "measures": {"hip_drop": {"left": float(k)}}} for k in range(12)]
    root = parse(trend_svg(rows))
    dates = [e.text for e in root.iter(f"{NS}text") if e.text and e.text.startswith("2026-")]
    assert 2 <= len(dates) < 12 and dates[-1] == "2026-03-22"  # this session keeps its date
    assert len(list(root.iter(f"{NS}circle"))) == 12  # every session still has its point


def test_long_tick_labels_widen_the_left_margin() -> None:
    t = np.arange(100) / 30.0
    for values, widest in ((np.linspace(0, 20, 100), "20"),
                           (np.linspace(-120, -20, 100), "\u2212120")):
        root = parse(measure_svg(t, {"both": values}, title="m"))
        labels = [e for e in root.iter(f"{NS}text") if e.get("dx") == "-7"]
        assert widest in [e.text for e in labels]
        left_pct = float(labels[0].get("x").rstrip("%"))
        # on a 320 px phone the right-aligned label still starts inside the drawing
        assert left_pct / 100 * 320 - 7 - 0.56 * 12 * len(widest) >= 0


def test_nice_ticks() -> None:
    assert nice_ticks(-5.6, 17.3, 7).tolist() == [-5, 0, 5, 10, 15]
    assert nice_ticks(0, 10, 7).tolist() == [0, 2, 4, 6, 8, 10]
    assert nice_ticks(0.03, 0.92, 6).tolist() == pytest.approx([0.2, 0.4, 0.6, 0.8])
    assert nice_ticks(0, 59.97, 7).tolist() == [0, 10, 20, 30, 40, 50]
    assert nice_ticks(1, 1, 5).size == 0
    # with a target: the count nearest it (ties: more ticks), never more than the maximum
    assert nice_ticks(-5.2, 73.0, 7, target=5).tolist() == [0, 20, 40, 60]
    assert nice_ticks(-1.0, 12.6, 7, target=5).tolist() == [0, 2, 4, 6, 8, 10, 12]
    assert nice_ticks(-5.6, 21.0, 7, target=5).tolist() == [-5, 0, 5, 10, 15, 20]


def test_a_report_with_plots_imports_no_matplotlib_or_pil() -> None:
    code = (
        "import sys\n"
        "from hipform.report.html import build_html\n"
        "a = {'frames': {'t_ms': [0, 33, 67], 'knee_valgus_deg': {'left': [1.0, 2.0, 3.0]}}}\n"
        "assert build_html(a).count('<figure class=\"plot\"><svg ') == 1\n"
        "print(','.join(m for m in ('matplotlib', 'PIL') if m in sys.modules))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       check=True, cwd=Path(__file__).resolve().parents[2])
    assert r.stdout.strip() == ""
