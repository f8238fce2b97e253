"""End to end on the bundled synthetic clips: real pixels -> real model -> hipform.

Each clip has a ``*.truth.json`` (rendered by hipform.synth): the clean clips must raise
no fault cue, the faulty ones the right cues on the right side, and rep counts must
match the truth.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hipform.pipeline import AnalyzeOptions, analyze_video
from tests.conftest import SAMPLES

pytestmark = [pytest.mark.model, pytest.mark.slow]

CLIPS = ["sls_clean", "sls_faulty", "bridge_clean", "bridge_arching", "stepdown_clean",
         "stepdown_hipdrop"]
#: fault codes of the truth -> cue/fault codes hipform must raise for them
EXPECTED = {"knee_valgus": {"knee_valgus", "knee_medial"}, "hip_drop": {"hip_drop"},
            "lumbar_extension": {"lumbar_arch"}, "lumbar_arch": {"lumbar_arch"}}
#: Clips whose true contralateral pelvic drop (6.3 deg, 7.7 deg) BlazePose under-reads
#: (3.5-4.2 deg measured per rep, flag at 5 deg): its hip line follows only 0.26-0.36 of
#: the rendered pelvis tilt when the shoulders stay level (`bench_accuracy.py --hip-gain`;
#: pelvis/shorts shape and figure size do not change that, a thorax tilting with the
#: pelvis doubles it). A known limitation, recorded as a strict xfail so the day it is
#: detected the test turns red and this list must shrink.
HIP_DROP_UNDER_READ = ("sls_faulty", "stepdown_hipdrop")
FORM_FAULTS = {"knee_valgus", "knee_medial", "hip_drop", "lumbar_arch"}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[dict, dict]]:
    out = tmp_path_factory.mktemp("samples")
    res = {}
    for name in CLIPS:
        clip = SAMPLES / f"{name}.mp4"
        truth = json.loads(Path(str(clip).replace(".mp4", ".truth.json")).read_text())
        a = analyze_video(clip, out / name, AnalyzeOptions(write_video=False,
                                                           write_report=False))
        res[name] = (a, truth)
    return res


@pytest.mark.parametrize("name", CLIPS)
def test_exercise_side_and_reps_match_truth(results, name: str) -> None:
    a, truth = results[name]
    assert a["exercise"] == truth["exercise"]
    if truth["exercise"] != "bridge":  # a double-leg bridge has no stance side
        assert a["side"] == truth["side"]
    assert len(a["reps"]) == truth["n_reps"]


@pytest.mark.parametrize("name", CLIPS)
def test_faults_and_cues_match_truth(results, name: str) -> None:
    a, truth = results[name]
    true_codes = set(truth.get("faults") or [])
    cue_codes = {c["code"] for c in a["cues"]}
    fault_codes = {f["code"] for r in a["reps"] for f in r["faults"]}
    if not true_codes:
        assert not (cue_codes & FORM_FAULTS), cue_codes
        assert not (fault_codes & FORM_FAULTS), fault_codes
    else:
        for code in true_codes:
            if code == "hip_drop" and name in HIP_DROP_UNDER_READ:
                continue  # asserted separately below, as a known, strict failure
            assert EXPECTED[code] & cue_codes, (code, cue_codes)
            assert EXPECTED[code] & fault_codes, (code, fault_codes)
        for f in (f for r in a["reps"] for f in r["faults"]):
            if f["code"] in ("knee_valgus", "knee_medial", "hip_drop"):
                assert f["side"] == truth["side"], f


@pytest.mark.parametrize("name", HIP_DROP_UNDER_READ)
@pytest.mark.xfail(strict=True, reason="BlazePose's hip line follows ~0.3 of the rendered "
                   "pelvic drop: 3.5-4.2 deg measured vs 6.3-7.8 deg true, flag 5 deg")
def test_hip_drop_is_detected(results, name: str) -> None:
    a, truth = results[name]
    cue_codes = {c["code"] for c in a["cues"]}
    fault_codes = {f["code"] for r in a["reps"] for f in r["faults"]}
    assert "hip_drop" in cue_codes and "hip_drop" in fault_codes
