"""hipform.core is numpy (+ lazily scipy) only, and never mutates its inputs."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np

CORE = Path(__file__).resolve().parents[2] / "hipform" / "core"
FORBIDDEN = {"mediapipe", "cv2", "matplotlib", "ray", "torch", "PIL"}


def test_importing_core_loads_no_mediapipe_cv2_or_scipy():
    code = (
        "import sys\n"
        "import hipform.core, hipform.core.metrics, hipform.core.filters\n"
        "import hipform.core.kinematics, hipform.core.view, hipform.core.geometry\n"
        "print(','.join(sorted(m for m in ('mediapipe', 'cv2', 'scipy', 'matplotlib')"
        " if m in sys.modules)))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       check=True)
    assert r.stdout.strip() == ""  # scipy only loads inside the offline low-pass


def test_ast_scan_core_imports():
    allowed = {"numpy", "scipy", "hipform", "__future__"} | set(sys.stdlib_module_names)
    found: dict[str, set[str]] = {}
    for p in CORE.glob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[p.name] = names
    assert found, "no core modules found"
    for name, names in found.items():
        assert not names & FORBIDDEN, (name, names & FORBIDDEN)
        assert names <= allowed, (name, names - allowed)


def test_core_hipform_imports_stay_inside_core_or_contracts():
    ok = ("hipform.core", "hipform.landmarks", "hipform.errors")
    for p in CORE.glob("*.py"):
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and \
                    node.module.startswith("hipform"):
                assert node.module.startswith(ok), (p.name, node.module)


def test_metric_functions_do_not_mutate_inputs():
    from hipform.core import geometry as g
    from hipform.core import kinematics as k
    from hipform.core.metrics import compute_metrics
    from hipform.core.view import classify_view
    from hipform.landmarks import Landmarks

    rng = np.random.default_rng(3)
    x = rng.uniform(0, 500, (50, 33, 4)).astype(np.float32)
    x[..., 3] = rng.uniform(0, 1, (50, 33))
    x[7] = np.nan
    w = rng.normal(0, 0.3, (50, 33, 3)).astype(np.float32)
    lm = Landmarks(x, np.arange(50) * 33, 640, 480, w)
    x0, w0 = lm.xyzv.copy(), lm.world.copy()
    compute_metrics(lm)
    compute_metrics(lm.slice(3, 4))
    classify_view(lm)
    for f in (k.knee_valgus, k.pelvic_obliquity, k.trunk_lean_frontal, k.trunk_lean_sagittal,
              k.knee_flexion, k.hip_flexion, k.lumbar_extension):
        f(lm)
    obl = k.pelvic_obliquity(lm)
    o0 = obl.copy()
    k.hip_drop(obl, 2.0)
    u, v = x[:, 0, :2].copy(), x[:, 1, :2].copy()
    u0, v0 = u.copy(), v.copy()
    g.angle_between(u, v)
    g.signed_angle(u, v)
    g.joint_angle(u, v, u + 1)
    g.height_tilt(u, v)
    assert np.array_equal(x0, lm.xyzv, equal_nan=True)
    assert np.array_equal(w0, lm.world, equal_nan=True)
    assert np.array_equal(o0, obl, equal_nan=True)
    assert np.array_equal(u0, u, equal_nan=True) and np.array_equal(v0, v, equal_nan=True)
