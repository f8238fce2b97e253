"""Exercise engines on synthetic stick figures with known reps, tempo and faults."""

from __future__ import annotations

import functools
import json
import math

import numpy as np
import pytest

from hipform.config import load_profile
from hipform.core.metrics import Metrics
from hipform.errors import ConfigError
from hipform.exercises import (
    EXERCISES,
    ExerciseResult,
    ExerciseSession,
    analyze_exercise,
    frame_metrics,
    get_exercise,
    recognize_exercise,
)
from hipform.landmarks import Landmarks
from tests.exercises.scenarios import SCENARIOS, Scenario
from tests.exercises.synthetic import RepSpec, Synthetic, hover, make, reference_metrics, still

TEMPO_TOL_S = 0.1

#: The synthetic clips come with exact reference metrics (knee flexion in 3-D, like good
#: world landmarks), so these tests take the drive from the metrics; the default
#: "descent" source (robust on real BlazePose output) is tested in test_default_*.
METRIC = load_profile(None, overrides=["segmentation.knee_source=metric"])


def _cases() -> list[tuple[str, str, int]]:
    out = []
    for name in SCENARIOS:
        for side in ("left", "right"):
            for seed in (0, 1):
                out.append((name, side, seed))
    return out


_CACHE: dict[tuple[str, str, int], tuple[Synthetic, ExerciseResult]] = {}
#: the per-frame series a Metrics is built from (the tests build T = 1 and edited ones)
_METRIC_FIELDS = ("t_ms", "knee_valgus", "pelvic_obliquity", "hip_drop", "lumbar_extension",
                  "trunk_lean_frontal", "trunk_lean_sagittal", "knee_flexion", "hip_flexion",
                  "view", "view_confidence")


@functools.lru_cache(maxsize=64)
def _syn(name: str, side: str, seed: int, noise_px: float = 1.0) -> Synthetic:
    """A scenario's synthetic clip (cached: generation costs more than analysis)."""
    return SCENARIOS[name].make(side, seed, noise_px=noise_px)


def _run(name: str, side: str, seed: int) -> tuple[Synthetic, ExerciseResult]:
    key = (name, side, seed)
    if key not in _CACHE:
        syn = _syn(name, side, seed)
        res = analyze_exercise(
            syn.lm, syn.metrics, exercise=SCENARIOS[name].exercise, profile=METRIC
        )
        _CACHE[key] = (syn, res)
    return _CACHE[key]


def _expected_side(sc: Scenario, side: str) -> str:
    return side if sc.single_leg else "both"


@pytest.mark.parametrize(("name", "side", "seed"), _cases())
def test_reps_faults_rubric_side(name: str, side: str, seed: int) -> None:
    sc = SCENARIOS[name]
    syn, res = _run(name, side, seed)
    assert len(res.reps) == len(sc.specs)
    assert res.side == _expected_side(sc, side)
    assert [frozenset(r.fault_codes) for r in res.reps] == list(sc.faults)
    assert [r.rubric["total"] for r in res.reps] == list(sc.totals)
    for r in res.reps:
        assert r.side == _expected_side(sc, side)
        for f in r.faults:
            assert f.severity in ("mild", "severe")


@pytest.mark.parametrize("name", list(SCENARIOS))
@pytest.mark.parametrize("side", ["left", "right"])
def test_tempo_within_tolerance(name: str, side: str) -> None:
    """Eccentric, hold and concentric seconds within 0.1 s of the generated tempo, with
    0.5 px landmark noise (about what the filtered pipeline delivers), for reps whose
    drive excursion is at least 25 deg (see test_tempo_small_excursion)."""
    sc = SCENARIOS[name]
    syn = _syn(name, side, 11, 0.5)
    res = analyze_exercise(syn.lm, syn.metrics, exercise=sc.exercise, profile=METRIC)
    assert len(res.reps) == len(syn.reps)
    checked = 0
    for got, true in zip(res.reps, syn.reps, strict=True):
        if got.excursion < 25:
            continue
        checked += 1
        assert got.eccentric_s == pytest.approx(true.eccentric_s, abs=TEMPO_TOL_S)
        assert got.hold_s == pytest.approx(true.hold_s, abs=TEMPO_TOL_S)
        assert got.concentric_s == pytest.approx(true.concentric_s, abs=TEMPO_TOL_S)
        assert got.start_ms == pytest.approx(true.start_ms, abs=1000 * TEMPO_TOL_S)
        assert got.end_ms == pytest.approx(true.end_ms, abs=1000 * TEMPO_TOL_S)
        assert true.start_ms - 100 <= got.bottom_ms <= true.bottom_end_ms + 100
    assert checked >= len(res.reps) - 1


def test_tempo_raw_noise() -> None:
    """With 1 px raw (unfiltered) noise on x, y and z: 95 % of the tempo errors within
    0.1 s and none above 0.2 s (measured: worst 0.14 s, 2026-11-25). The remaining bias
    comes from angle noise folding to positive values near a straight knee, which lifts
    the measured rest level."""
    errs = []
    for name in SCENARIOS:
        for side in ("left", "right"):
            syn, res = _run(name, side, 0)
            for got, true in zip(res.reps, syn.reps, strict=True):
                if got.excursion >= 25:
                    errs += [
                        abs(got.eccentric_s - true.eccentric_s),
                        abs(got.hold_s - true.hold_s),
                        abs(got.concentric_s - true.concentric_s),
                    ]
    assert np.percentile(errs, 95) <= TEMPO_TOL_S
    assert max(errs) < 0.2


def test_tempo_exact_without_noise() -> None:
    for name in ("single_leg_squat", "step_down", "bridge"):
        sc = SCENARIOS[name]
        syn = _syn(name, "left" if sc.single_leg else "left", 0, 0.0)
        res = analyze_exercise(syn.lm, syn.metrics, exercise=sc.exercise, profile=METRIC)
        for got, true in zip(res.reps, syn.reps, strict=True):
            assert got.eccentric_s == pytest.approx(true.eccentric_s, abs=0.02)
            assert got.hold_s == pytest.approx(true.hold_s, abs=0.02)
            assert got.concentric_s == pytest.approx(true.concentric_s, abs=0.02)


def test_tempo_smooth_movement() -> None:
    """Cosine-eased (bell-shaped speed) movement, as people move: the smooth ramp model
    is chosen and the tempo is right (linear extrapolation would read ~0.7x)."""
    from hipform.exercises.segment import measure_tempo

    t = np.arange(0, 8000, 33.333)
    s = np.zeros_like(t)
    for a, d, h, u in ((1000, 2200, 250, 1000),):
        x = (t - a) / d
        up = (t >= a) & (t < a + d)
        s[up] = 60 * (0.5 - 0.5 * np.cos(np.pi * x[up]))
        top = (t >= a + d) & (t < a + d + h)
        s[top] = 60
        x2 = (t - a - d - h) / u
        dn = (t >= a + d + h) & (t < a + d + h + u)
        s[dn] = 60 * (0.5 + 0.5 * np.cos(np.pi * x2[dn]))
    tp = measure_tempo(t, s, 0.0)
    assert tp is not None
    assert tp.out_s == pytest.approx(2.2, abs=0.05)
    assert tp.hold_s == pytest.approx(0.25, abs=0.05)
    assert tp.back_s == pytest.approx(1.0, abs=0.05)


def test_tempo_small_excursion() -> None:
    """The incomplete bridge (about 18 deg of lift, line-angle noise about 0.7 deg) is
    timed less precisely: within 0.2 s over 6 noise seeds (measured worst 0.14 s)."""
    errs = []
    for seed in range(6):
        syn = _syn("bridge", "left", seed)
        res = analyze_exercise(syn.lm, syn.metrics, exercise="bridge", profile=METRIC)
        got, true = res.reps[2], syn.reps[2]
        errs.append(
            max(
                abs(got.eccentric_s - true.eccentric_s),
                abs(got.hold_s - true.hold_s),
                abs(got.concentric_s - true.concentric_s),
            )
        )
    assert max(errs) < 0.2


def test_severity_follows_thresholds() -> None:
    syn, res = _run("single_leg_squat", "left", 0)
    v = next(f for f in res.reps[1].faults if f.code == "knee_valgus")
    assert v.severity == "severe" and v.value > 15
    h = next(f for f in res.reps[1].faults if f.code == "hip_drop")
    assert h.severity == "mild" and 5 <= h.value < 10
    d = next(f for f in res.reps[3].faults if f.code == "insufficient_depth")
    assert d.severity == "mild" and 45 <= d.value < 60


@pytest.mark.parametrize("exercise", ["single_leg_squat", "step_down"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_standing_still_counts_nothing(exercise: str, seed: int) -> None:
    syn = still(exercise, seconds=10.0, seed=seed, noise_px=1.5)
    res = analyze_exercise(syn.lm, syn.metrics, exercise=exercise, side="left", profile=METRIC)
    assert res.reps == []
    assert [c.code for c in res.cues] == []


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("level", [12.0, 15.0, 18.0])
def test_noise_around_threshold_counts_nothing(seed: int, level: float) -> None:
    syn = hover(level=level, seed=seed)
    res = analyze_exercise(
        syn.lm, syn.metrics, exercise="single_leg_squat", side="left", profile=METRIC
    )
    assert len(res.reps) == 0


def test_bridge_lying_still_counts_nothing() -> None:
    syn = make("bridge", [], side="both", lead_s=8.0, seed=4)
    res = analyze_exercise(syn.lm, syn.metrics, exercise="bridge", profile=METRIC)
    assert res.reps == []


def test_no_double_count_on_noisy_return() -> None:
    """Heavy noise (3 px) with a slow return: still exactly one rep per movement."""
    specs = [RepSpec(up_s=4.0), RepSpec(up_s=4.0, down_s=4.0)]
    for seed in range(3):
        syn = make("single_leg_squat", specs, noise_px=3.0, seed=seed)
        res = analyze_exercise(
            syn.lm, syn.metrics, exercise="single_leg_squat", side="left", profile=METRIC
        )
        assert len(res.reps) == 2


# ---------------------------------------------------------------- live == offline
def _live(
    syn: Synthetic, exercise: str, side: str | None, rows: str = "frame"
) -> tuple[ExerciseResult, list]:
    sess = ExerciseSession(
        exercise, side=side, frame_size=(syn.lm.width, syn.lm.height), profile=METRIC
    )
    events = []
    for i in range(len(syn.lm)):
        if rows == "frame":
            m = frame_metrics(syn.metrics, i)
        elif rows == "metrics_t1":
            m = Metrics(**{f: getattr(syn.metrics, f)[i : i + 1] for f in _METRIC_FIELDS})
        else:
            m = syn.metrics.row(i)  # type: ignore[attr-defined]
        events.extend(sess.update(i, int(syn.lm.t_ms[i]), syn.lm.xyzv[i], m))
    return sess.finish(), events


def _signature(res: ExerciseResult) -> list[tuple]:
    return [
        (
            r.index,
            r.side,
            r.start_frame,
            r.end_frame,
            tuple(r.fault_codes),
            r.rubric.get("total"),
            round(r.eccentric_s, 6),
        )
        for r in res.reps
    ]


@pytest.mark.parametrize("name", list(SCENARIOS))
@pytest.mark.parametrize("side_mode", ["explicit", "auto"])
def test_live_equals_offline(name: str, side_mode: str) -> None:
    sc = SCENARIOS[name]
    syn, off = _run(name, "right", 0)
    side = _expected_side(sc, "right") if side_mode == "explicit" else None
    if side_mode == "explicit":
        off = analyze_exercise(syn.lm, syn.metrics, exercise=sc.exercise, side=side, profile=METRIC)
    live, events = _live(syn, sc.exercise, side)
    assert _signature(live) == _signature(off)
    assert [c.to_dict() for c in live.cues] == [c.to_dict() for c in off.cues]
    reps_ev = [e for e in events if e.kind == "rep"]
    assert len(reps_ev) == len(off.reps)
    assert live.to_dict()["summary"] == off.to_dict()["summary"]


def test_live_accepts_metrics_of_one_frame() -> None:
    syn, off = _run("single_leg_squat", "left", 0)
    live, _ = _live(syn, "single_leg_squat", "left", rows="metrics_t1")
    assert _signature(live) == _signature(
        analyze_exercise(
            syn.lm, syn.metrics, exercise="single_leg_squat", side="left", profile=METRIC
        )
    )


def test_live_events_and_state() -> None:
    syn, _ = _run("single_leg_squat", "left", 0)
    sess = ExerciseSession("single_leg_squat", side=None, profile=METRIC)
    assert sess.state.phase == "waiting" and sess.state.resolving
    kinds: list[str] = []
    phases: list[str] = []
    for i in range(len(syn.lm)):
        for e in sess.update(i, int(syn.lm.t_ms[i]), syn.lm.xyzv[i], frame_metrics(syn.metrics, i)):
            kinds.append(e.kind)
            if e.kind == "phase":
                phases.append(e.data["phase"])
            json.dumps(e.to_dict())
    st = sess.state
    assert st.reps == 5 and st.side == "left" and st.phase == "rest"
    assert st.last_tempo is not None and st.fault_tally["knee_valgus"] == 1
    assert st.current_cue is not None
    assert "side" in kinds and kinds.count("rep") == 5
    assert phases[:4] == ["descent", "bottom", "ascent", "rest"]
    json.dumps(st.to_dict())


# ---------------------------------------------------------------- side detection
@pytest.mark.parametrize("name", ["single_leg_squat", "step_down", "bridge_single_leg"])
@pytest.mark.parametrize("side", ["left", "right"])
def test_auto_side_and_override(name: str, side: str) -> None:
    sc = SCENARIOS[name]
    syn = _syn(name, side, 1)
    assert analyze_exercise(syn.lm, syn.metrics, exercise=sc.exercise, profile=METRIC).side == side
    other = "right" if side == "left" else "left"
    forced = analyze_exercise(syn.lm, syn.metrics, exercise=sc.exercise, side=other, profile=METRIC)
    assert forced.side == other and forced.side_confidence == 1.0


def test_both_sides_give_comparison() -> None:
    a = make("single_leg_squat", [RepSpec(), RepSpec()], side="left", seed=5)
    b = make("single_leg_squat", [RepSpec(valgus=18), RepSpec(valgus=18)], side="right", seed=6)
    tb = b.lm.t_ms + int(a.lm.t_ms[-1]) + 33
    lm = Landmarks(
        np.concatenate([a.lm.xyzv, b.lm.xyzv]),
        np.concatenate([a.lm.t_ms, tb]),
        a.lm.width,
        a.lm.height,
    )
    met = reference_metrics(lm, a.metrics.view[0])
    res = analyze_exercise(lm, met, exercise="single_leg_squat", profile=METRIC)
    assert [r.side for r in res.reps] == ["left", "left", "right", "right"]
    assert res.side == "both"
    comp = res.summary["comparison"]
    assert comp["left"]["reps"] == 2 and comp["right"]["reps"] == 2
    assert comp["left_minus_right"]["peak_knee_valgus"] < -10
    assert [r.fault_codes for r in res.reps] == [[], [], ["knee_valgus"], ["knee_valgus"]]


def test_set_side_and_set_exercise() -> None:
    syn, _ = _run("single_leg_squat", "left", 0)
    sess = ExerciseSession("single_leg_squat", side="left", profile=METRIC)
    n = len(syn.lm) // 2
    for i in range(n):
        sess.update(i, int(syn.lm.t_ms[i]), syn.lm.xyzv[i], frame_metrics(syn.metrics, i))
    done = sess.state.reps
    sess.set_side("right")
    assert sess.state.side == "right" and sess.state.reps == done
    sess.set_exercise("bridge")
    assert len(sess.results) == 1 and sess.results[0].exercise == "single_leg_squat"
    assert len(sess.results[0].reps) == done
    with pytest.raises(ConfigError, match="squat_jump"):
        sess.set_exercise("squat_jump")
    with pytest.raises(ConfigError, match="middle"):
        sess.set_side("middle")


# ---------------------------------------------------------------- recognition
@pytest.mark.parametrize("name", list(SCENARIOS))
@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("seed", [0, 1])
def test_recognition(name: str, side: str, seed: int) -> None:
    sc = SCENARIOS[name]
    syn = _syn(name, side, seed)
    ex, conf = recognize_exercise(syn.lm, syn.metrics)
    assert ex == sc.exercise and conf >= 0.5
    assert recognize_exercise(syn.lm, None)[0] == sc.exercise
    # the first seconds only (live "auto" decides from a short window)
    head = syn.lm.slice(0, int(len(syn.lm) * 0.35))
    assert recognize_exercise(head, None)[0] == sc.exercise


def test_offline_auto_uses_recognition() -> None:
    syn, _ = _run("bridge_feet", "left", 0)
    ex, conf = recognize_exercise(syn.lm, syn.metrics)
    res = analyze_exercise(syn.lm, syn.metrics, exercise="auto", profile=METRIC)
    assert res.exercise == ex == "bridge" and res.exercise_confidence == pytest.approx(conf)


def test_explicit_exercise_wins() -> None:
    syn, _ = _run("single_leg_squat", "left", 0)
    res = analyze_exercise(syn.lm, syn.metrics, exercise="step_down", side="left", profile=METRIC)
    assert res.exercise == "step_down" and res.exercise_confidence == 1.0


def test_live_auto_exercise() -> None:
    syn, off = _run("step_down", "left", 0)
    live, events = _live(syn, "auto", None)
    assert live.exercise == "step_down" and live.side == "left"
    assert _signature(live) == _signature(off)
    assert any(e.kind == "exercise" for e in events)


# ---------------------------------------------------------------- cues
def test_no_cue_spam_on_held_fault() -> None:
    """Valgus held 10 s at the bottom of one squat: one cue per 4 s cooldown."""
    syn = make("single_leg_squat", [RepSpec(hold_s=10.0, valgus=18)], side="left", seed=2)
    res = analyze_exercise(
        syn.lm, syn.metrics, exercise="single_leg_squat", side="left", profile=METRIC
    )
    valgus = [c for c in res.cues if c.code == "knee_valgus"]
    # FPPA passes 10 deg partway down; 10 s hold + the ramps ~ 12 s above the flag
    above = syn.metrics.knee_valgus[:, 0] >= 10
    span_s = (syn.lm.t_ms[above][-1] - syn.lm.t_ms[above][0]) / 1000.0
    expected = math.floor((span_s - 0.2) / 4.0) + 1
    assert len(valgus) == expected
    assert np.all(np.diff([c.t_ms for c in valgus]) >= 4000)
    assert len(res.cues) < 10
    assert "second toe" in valgus[0].message and "left" in valgus[0].message


def test_cue_priority_when_faults_coincide() -> None:
    """Valgus, hip drop and trunk lean start together: the knee cue comes first."""
    syn = make(
        "single_leg_squat",
        [RepSpec(hold_s=2.0, valgus=18, hip_drop=8, lean=14)],
        side="right",
        seed=3,
    )
    res = analyze_exercise(
        syn.lm, syn.metrics, exercise="single_leg_squat", side="right", profile=METRIC
    )
    assert res.cues[0].code in ("knee_valgus", "hip_drop")
    codes = [c.code for c in res.cues]
    order = load_profile().get("cues.priority")
    first_idx = {c: codes.index(c) for c in set(codes)}
    assert first_idx.get("knee_valgus", 99) < first_idx.get("trunk_lean", 99)
    assert all(order.index(c) >= 0 for c in codes)


def test_fast_descent_cue_after_rep() -> None:
    syn = make("single_leg_squat", [RepSpec(down_s=0.8)], side="left", seed=1)
    res = analyze_exercise(
        syn.lm, syn.metrics, exercise="single_leg_squat", side="left", profile=METRIC
    )
    assert res.reps[0].fault_codes == ["fast_descent"]
    cue = next(c for c in res.cues if c.code == "fast_descent")
    assert "3 seconds" in cue.message
    assert cue.t_ms >= res.reps[0].end_ms - 300


def test_view_guidance_cues() -> None:
    syn = _syn("single_leg_squat", "left", 0)
    xyzv = syn.lm.xyzv.copy()
    xyzv[60:200, 27:33, 3] = 0.1  # feet out of view for ~4.7 s
    lm = Landmarks(xyzv, syn.lm.t_ms, syn.lm.width, syn.lm.height)
    res = analyze_exercise(
        lm, syn.metrics, exercise="single_leg_squat", side="left", profile=METRIC
    )
    assert "out_of_view" in [c.code for c in res.cues]
    assert "feet included" in next(c for c in res.cues if c.code == "out_of_view").message
    # a standing exercise filmed side-on -> "face the camera"
    met = syn.metrics
    side_on = Metrics(
        **{**{f: getattr(met, f) for f in _METRIC_FIELDS}, "view": np.full(len(met), 2, np.int8)}
    )
    res2 = analyze_exercise(
        syn.lm, side_on, exercise="single_leg_squat", side="left", profile=METRIC
    )
    assert res2.cues[0].code == "face_camera"


# ---------------------------------------------------------------- other metric sources
def test_landmarks_only_path() -> None:
    """No metrics at all: knee flexion from pixel x, y and z. Same reps, tempo within
    0.1 s; faults that need metrics (valgus, hip drop, lean) are not reported."""
    for seed in (0, 1):
        syn = _syn("single_leg_squat", "left", seed)
        res = analyze_exercise(syn.lm, None, exercise="single_leg_squat", profile=METRIC)
        assert len(res.reps) == 5 and res.side == "left"
        for got, true in zip(res.reps, syn.reps, strict=True):
            assert abs(got.eccentric_s - true.eccentric_s) < TEMPO_TOL_S
            assert abs(got.concentric_s - true.concentric_s) < TEMPO_TOL_S
        assert [r.fault_codes for r in res.reps] == [
            [],
            [],
            ["fast_descent"],
            ["insufficient_depth"],
            ["unsteady"],
        ]


def test_landmarks_without_depth() -> None:
    """No metrics and no z (all zero): the hip-descent estimate still counts the reps;
    its tempo is poor near a straight knee (within 0.5 s here)."""
    for seed in (0, 1):
        syn = _syn("single_leg_squat", "left", seed)
        xyzv = syn.lm.xyzv.copy()
        xyzv[..., 2] = 0.0
        lm = Landmarks(xyzv, syn.lm.t_ms, syn.lm.width, syn.lm.height)
        res = analyze_exercise(lm, None, exercise="single_leg_squat", profile=METRIC)
        assert len(res.reps) == 5 and res.side == "left"
        for got, true in zip(res.reps, syn.reps, strict=True):
            assert abs(got.eccentric_s - true.eccentric_s) < 0.5
            assert abs(got.concentric_s - true.concentric_s) < 0.5


def test_with_core_compute_metrics() -> None:
    """The real hipform.core.metrics.compute_metrics on the synthetic landmarks."""
    from hipform.core.metrics import compute_metrics

    for name, side in (
        ("single_leg_squat", "left"),
        ("step_down", "right"),
        ("bridge", "both"),
        ("bridge_feet", "both"),
    ):
        sc = SCENARIOS[name]
        syn = _syn(name, side if sc.single_leg else "left", 0)
        met = compute_metrics(syn.lm)
        res = analyze_exercise(syn.lm, met, exercise="auto", profile=METRIC)
        assert res.exercise == sc.exercise and res.side == side
        assert len(res.reps) == len(sc.specs)
        got = [frozenset(r.fault_codes) for r in res.reps]
        # the big faults must be found; pelvis-level items depend on the core's baseline
        for g, want in zip(got, sc.faults, strict=True):
            assert want - {"hip_drop", "pelvic_tilt"} <= g
        live, _ = _live(syn, sc.exercise, None, rows="row")
        off = analyze_exercise(syn.lm, met, exercise=sc.exercise, profile=METRIC)
        assert _signature(live) != [] and len(live.reps) == len(off.reps)


# ---------------------------------------------------------------- results
def test_result_dict_is_json_and_nan_free() -> None:
    syn, res = _run("bridge_feet", "left", 0)
    d = res.to_dict()
    text = json.dumps(d, allow_nan=False)
    assert "NaN" not in text
    assert set(d) >= {"exercise", "exercise_confidence", "side", "reps", "cues", "summary"}
    rep = d["reps"][0]
    for k in (
        "index",
        "start_ms",
        "bottom_ms",
        "end_ms",
        "eccentric_s",
        "hold_s",
        "concentric_s",
        "peak_knee_valgus",
        "peak_hip_drop",
        "peak_lumbar_extension",
        "trunk_lean",
        "faults",
        "rubric",
    ):
        assert k in rep
    assert rep["peak_knee_valgus"] is None  # not measured lying down: NaN -> None
    s = d["summary"]
    assert s["reps"] == 4 and s["rubric"]["scale"] == "hipform_bridge"
    assert s["faults_per_rep"] == [[], ["pelvic_tilt"], ["knee_cave"], ["knee_drift"]]
    for c in d["cues"]:
        assert set(c) == {"t_ms", "code", "side", "value", "message", "severity"}


def test_step_down_summary_grade() -> None:
    _, res = _run("step_down", "left", 0)
    s = res.summary["rubric"]
    assert s["scale"] == "piva2006"
    assert s["total"] == 1 and s["grade"] == "good"
    assert [r.rubric["grade"] for r in res.reps] == ["good", "medium", "medium", "good", "good"]


def test_registry_and_errors() -> None:
    assert set(EXERCISES) == {"bridge", "step_down", "single_leg_squat"}
    for name in EXERCISES:
        eng = get_exercise(name, "left")
        assert eng.name == name and eng.views
    with pytest.raises(ConfigError, match="lunge"):
        get_exercise("lunge")
    with pytest.raises(ConfigError, match="lunge"):
        ExerciseSession("lunge", profile=METRIC)
    sess = ExerciseSession("bridge", side="both", profile=METRIC)
    with pytest.raises(ValueError, match="33, 4"):
        sess.update(0, 0, np.zeros((17, 4), np.float32))


def test_empty_session_finishes() -> None:
    res = ExerciseSession("step_down", profile=METRIC).finish()
    assert res.reps == [] and res.exercise == "step_down"
    res2 = analyze_exercise(Landmarks.empty(640, 480), None, exercise="auto", profile=METRIC)
    assert res2.reps == [] and res2.exercise_confidence == 0.0


def test_person_missing_frames_do_not_break_reps() -> None:
    syn, off = _run("single_leg_squat", "left", 0)
    xyzv = syn.lm.xyzv.copy()
    xyzv[300:303] = np.nan  # 3 dropped detections mid-rep
    lm = Landmarks(xyzv, syn.lm.t_ms, syn.lm.width, syn.lm.height)
    res = analyze_exercise(
        lm, syn.metrics, exercise="single_leg_squat", side="left", profile=METRIC
    )
    assert len(res.reps) == 5
    assert [r.fault_codes for r in res.reps] == [r.fault_codes for r in off.reps]


def test_profile_changes_thresholds() -> None:
    syn, _ = _run("single_leg_squat", "left", 0)
    prof = load_profile(None, overrides=["knee_valgus.flag=25", "knee_valgus.severe=30"])
    res = analyze_exercise(
        syn.lm, syn.metrics, exercise="single_leg_squat", side="left", profile=prof
    )
    assert "knee_valgus" not in res.reps[1].fault_codes
    prof2 = load_profile(None, overrides=["tempo.single_leg_squat.eccentric_s=1.5"])
    res2 = analyze_exercise(
        syn.lm, syn.metrics, exercise="single_leg_squat", side="left", profile=prof2
    )
    assert "fast_descent" not in res2.reps[2].fault_codes


# ---------------------------------------------------------------- invariances
_SWAP = np.arange(33)
for _a, _b in ((1, 4), (2, 5), (3, 6), (7, 8), (9, 10)) + tuple(
    (i, i + 1) for i in range(11, 33, 2)
):
    _SWAP[_a], _SWAP[_b] = _b, _a


@pytest.mark.parametrize("name", ["single_leg_squat", "step_down", "bridge_feet"])
def test_mirror_symmetry(name: str) -> None:
    """Mirroring the image and swapping left/right labels is the same person on the other
    leg: same reps, tempo and faults, side swapped."""
    sc = SCENARIOS[name]
    syn, res = _run(name, "left", 0)
    xyzv = syn.lm.xyzv[:, _SWAP].copy()
    xyzv[..., 0] = syn.lm.width - xyzv[..., 0]
    lm = Landmarks(xyzv, syn.lm.t_ms, syn.lm.width, syn.lm.height)
    met = reference_metrics(lm, syn.metrics.view[0], lying=sc.exercise == "bridge")
    mir = analyze_exercise(lm, met, exercise=sc.exercise, profile=METRIC)
    swap = {"left": "right", "right": "left", "both": "both"}
    assert mir.side == swap[res.side]
    assert [r.fault_codes for r in mir.reps] == [r.fault_codes for r in res.reps]
    for a, b in zip(mir.reps, res.reps, strict=True):
        assert a.eccentric_s == pytest.approx(b.eccentric_s, abs=0.02)
        assert a.peak_knee_valgus == pytest.approx(b.peak_knee_valgus, abs=0.5, nan_ok=True)


@pytest.mark.parametrize("name", ["single_leg_squat", "step_down", "bridge"])
def test_scale_and_translation_invariance(name: str) -> None:
    """A person farther from the camera (0.6x) and off-centre: same reps and faults."""
    sc = SCENARIOS[name]
    syn = _syn(name, "right" if sc.single_leg else "left", 0, 0.5)
    base = analyze_exercise(syn.lm, syn.metrics, exercise=sc.exercise, profile=METRIC)
    xyzv = syn.lm.xyzv.copy()
    xyzv[..., :3] *= 0.6
    xyzv[..., 0] += 300.0
    xyzv[..., 1] += 150.0
    lm = Landmarks(xyzv, syn.lm.t_ms, syn.lm.width, syn.lm.height)
    met = reference_metrics(lm, syn.metrics.view[0], lying=sc.exercise == "bridge")
    res = analyze_exercise(lm, met, exercise=sc.exercise, profile=METRIC)
    assert [r.fault_codes for r in res.reps] == [r.fault_codes for r in base.reps]
    assert [r.rubric["total"] for r in res.reps] == [r.rubric["total"] for r in base.reps]
    for a, b in zip(res.reps, base.reps, strict=True):
        assert a.eccentric_s == pytest.approx(b.eccentric_s, abs=0.02)


# ---------------------------------------------------------------- default knee source
@pytest.mark.parametrize("name", ["single_leg_squat", "step_down"])
@pytest.mark.parametrize("side", ["left", "right"])
def test_default_descent_source(name: str, side: str) -> None:
    """Default profile (knee flexion from the hip descent): same reps, side and faults.
    Its tempo is less precise on raw noisy landmarks (see docs/README_exercises.md)."""
    sc = SCENARIOS[name]
    syn = _syn(name, side, 0, 0.5)
    res = analyze_exercise(syn.lm, syn.metrics, exercise=sc.exercise)
    assert len(res.reps) == len(sc.specs) and res.side == side
    want = [set(f) - {"fast_descent"} for f in sc.faults]
    assert [set(r.fault_codes) - {"fast_descent"} for r in res.reps] == want
