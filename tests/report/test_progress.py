"""Re-test comparison (pure functions) and the `progress` / `history` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hipform.cli import app
from hipform.errors import ConfigError, HipformError
from hipform.report.progress import (
    DEFAULT_SDD,
    IMPROVED,
    NO_DATA,
    WITHIN_ERROR,
    WORSE,
    asymmetry,
    classify_change,
    compare_measures,
    compare_sessions,
    parse_sdd_overrides,
)
from hipform.store import open_store


def session(valgus_peaks: list[float], side: str = "left") -> dict:
    """A synthetic session whose reps peak at the given knee-valgus angles (degrees)."""
    return {"side": side, "reps": [{"index": i, "peak_knee_valgus": v}
                                   for i, v in enumerate(valgus_peaks)]}


def test_retest_4_degrees_is_within_error_and_12_degrees_is_improved() -> None:
    baseline = session([19.0, 21.0, 20.0])      # mean 20
    small = session([15.0, 17.0, 16.0])         # mean 16: 4 degrees less
    large = session([7.0, 9.0, 8.0])            # mean 8: 12 degrees less
    (c4,) = compare_sessions(baseline, small)
    (c12,) = compare_sessions(baseline, large)
    assert (c4.measure, c4.side) == ("knee_valgus", "left")
    assert c4.delta == pytest.approx(-4.0) and c4.sdd == 8.0
    assert c4.verdict == WITHIN_ERROR == "within measurement error" and not c4.real
    assert c12.delta == pytest.approx(-12.0)
    assert c12.verdict == IMPROVED == "improved" and c12.real
    # the same changes the other way round: an increase of a fault measure is worse
    assert compare_sessions(large, baseline)[0].verdict == WORSE == "worse"
    assert compare_sessions(small, baseline)[0].verdict == WITHIN_ERROR


def test_classify_change_boundaries() -> None:
    assert classify_change(20.0, 12.0, 8.0) == WITHIN_ERROR  # exactly the SDD: not real
    assert classify_change(20.0, 11.9, 8.0) == IMPROVED
    assert classify_change(20.0, 28.1, 8.0) == WORSE
    assert classify_change(None, 10.0, 8.0) == NO_DATA
    assert classify_change(10.0, float("nan"), 8.0) == NO_DATA
    assert classify_change(10.0, 20.0, 8.0, lower_is_better=False) == IMPROVED


def test_sdd_is_configurable_per_measure() -> None:
    before = {"hip_drop": {"left": 8.0}, "knee_valgus": {"left": 20.0}}
    after = {"hip_drop": {"left": 5.0}, "knee_valgus": {"left": 14.0}}
    default = {(c.measure, c.verdict) for c in compare_measures(before, after)}
    assert default == {("hip_drop", WITHIN_ERROR), ("knee_valgus", WITHIN_ERROR)}
    tight = {(c.measure, c.verdict) for c in
             compare_measures(before, after, {"hip_drop": 2.5, "knee_valgus": 5})}
    assert tight == {("hip_drop", IMPROVED), ("knee_valgus", IMPROVED)}
    with pytest.raises(ConfigError):
        compare_measures(before, after, {"hip_drop": 0})
    assert DEFAULT_SDD["knee_valgus"] == 8.0


def test_compare_measures_order_sides_and_missing() -> None:
    before = {"knee_valgus": {"right": 5.0, "left": 12.0}, "lumbar_extension": {"both": 3.0}}
    after = {"knee_valgus": {"left": 2.0}, "hip_drop": {"left": 1.0}}
    out = [(c.measure, c.side, c.verdict) for c in compare_measures(before, after)]
    assert out == [
        ("knee_valgus", "left", IMPROVED),
        ("knee_valgus", "right", NO_DATA),
        ("hip_drop", "left", NO_DATA),
        ("lumbar_extension", "both", NO_DATA),
    ]


def test_asymmetry_and_overrides() -> None:
    assert asymmetry({"knee_valgus": {"left": 12.0, "right": 4.5},
                      "lumbar_extension": {"both": 3.0}}) == {"knee_valgus": 7.5}
    assert parse_sdd_overrides(["knee_valgus=6", "hip_drop=3.5"]) == {
        "knee_valgus": 6.0, "hip_drop": 3.5}
    for bad in ["knee=3", "hip_drop", "hip_drop=x", "hip_drop=-1"]:
        with pytest.raises(ConfigError):
            parse_sdd_overrides([bad])


# ----------------------------------------------------------------------------- CLI


@pytest.fixture
def filled_db(tmp_path: Path) -> Path:
    from hipform_testdata import make_analysis

    db = tmp_path / "h.sqlite3"
    with open_store(db) as store:
        for day, peak in [(2, 26.0), (9, 23.0), (16, 16.0)]:
            store.save_analysis(make_analysis(created=f"2026-11-{day:02d}T09:30:00+00:00",
                                              session=f"day {day}", valgus_peak=peak))
        store.save_analysis(make_analysis(subject="bo", exercise="bridge", side=None))
    return db


def test_progress_command_json_and_plot(filled_db: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    plot = tmp_path / "trend.png"
    r = runner.invoke(app, ["progress", "--db", str(filled_db), "-s", "ana", "-e",
                            "single_leg_squat", "--plot", str(plot), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert [s["id"] for s in data["sessions"]] == [1, 2, 3]
    comp = data["comparison"]
    assert (comp["a"], comp["b"]) == (1, 3)
    kv = next(c for c in comp["changes"] if c["measure"] == "knee_valgus")
    assert kv["delta"] < -8 and kv["verdict"] == "improved"
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    r = runner.invoke(app, ["progress", "--db", str(filled_db), "-s", "ana", "--compare",
                            "1", "2", "--no-plot", "--json"])
    assert r.exit_code == 0, r.output
    kv = next(c for c in json.loads(r.stdout)["comparison"]["changes"]
              if c["measure"] == "knee_valgus")
    assert abs(kv["delta"]) < 8 and kv["verdict"] == "within measurement error"

    r = runner.invoke(app, ["progress", "--db", str(filled_db), "-s", "ana", "--no-plot"])
    assert r.exit_code == 0 and "improved" in r.stdout and "Re-test" in r.stdout


def test_progress_command_errors(filled_db: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["progress", "--db", str(filled_db), "--no-plot"])
    assert r.exit_code != 0 and "--subject" in str(r.exception)
    r = runner.invoke(app, ["progress", "--db", str(filled_db), "-s", "ana", "--compare",
                            "1", "4", "--no-plot"])
    assert r.exit_code != 0 and "different exercises" in str(r.exception)
    r = runner.invoke(app, ["progress", "--db", str(filled_db), "-s", "ana", "--sdd",
                            "elbow=3", "--no-plot"])
    assert isinstance(r.exception, ConfigError)


def test_progress_plot_without_matplotlib_says_how_to_get_it(
    filled_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # any import of it now fails
    r = CliRunner().invoke(app, ["progress", "--db", str(filled_db), "-s", "ana", "--plot",
                                 str(tmp_path / "t.png")])
    assert isinstance(r.exception, HipformError), r.exception
    assert "hipform[report]" in str(r.exception) and "--no-plot" in str(r.exception)
    assert not (tmp_path / "t.png").exists()


def test_history_commands(filled_db: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    db = ["--db", str(filled_db)]
    r = runner.invoke(app, ["history", "list", *db, "--json", "--subject", "ana",
                            "--since", "2026-11-09"])
    assert r.exit_code == 0, r.output
    assert [s["label"] for s in json.loads(r.stdout)] == ["day 9", "day 16"]
    r = runner.invoke(app, ["history", "list", *db, "--exercise", "bridge"])
    assert r.exit_code == 0 and "bo" in r.stdout
    r = runner.invoke(app, ["history", "list", *db, "--since", "yesterday-ish"])
    assert r.exit_code == 2

    report = tmp_path / "s3.html"
    r = runner.invoke(app, ["history", "show", "3", *db, "--report", str(report)])
    assert r.exit_code == 0, r.output
    assert "Session 3" in r.stdout and "Push your left knee out" in r.stdout
    html = report.read_text()
    assert "Compared with your previous sessions (2)" in html
    r = runner.invoke(app, ["history", "show", "3", *db, "--json"])
    assert json.loads(r.stdout)["session"] == "day 16"

    out = tmp_path / "all.csv"
    r = runner.invoke(app, ["history", "export", *db, "--format", "csv", "--out", str(out)])
    assert r.exit_code == 0 and out.read_text().startswith("session_id,")
    r = runner.invoke(app, ["history", "export", *db, "-f", "json", "-s", "bo"])
    assert [s["subject"] for s in json.loads(r.stdout)] == ["bo"]

    r = runner.invoke(app, ["history", "delete", "4", *db], input="n\n")
    assert r.exit_code == 1
    r = runner.invoke(app, ["history", "delete", "4", *db, "--yes"])
    assert r.exit_code == 0 and "deleted session 4" in r.stdout
    r = runner.invoke(app, ["history", "show", "4", *db])
    assert r.exit_code != 0 and "no session 4" in str(r.exception)
