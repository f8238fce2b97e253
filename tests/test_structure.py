"""Layout rules from DESIGN.md: one module per heavy dependency, a pure core."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "hipform"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_pose_imports_mediapipe() -> None:
    offenders = [
        str(p.relative_to(PKG)) for p in PKG.rglob("*.py")
        if "mediapipe" in _imports(p) and p.parent.name != "pose"
    ]
    assert offenders == []


def test_core_imports_only_numpy_scipy_and_stdlib() -> None:
    allowed = {"numpy", "scipy", "hipform", "__future__"} | set(sys.stdlib_module_names)
    bad = {}
    for p in (PKG / "core").rglob("*.py"):
        extra = sorted(_imports(p) - allowed)
        if extra:
            bad[str(p.relative_to(PKG))] = extra
    assert bad == {}


def test_importing_the_cli_loads_no_heavy_package() -> None:
    code = (
        "import sys, hipform.cli, hipform.core, hipform.pipeline\n"
        "heavy = [m for m in ('mediapipe', 'cv2', 'ray', 'matplotlib', 'scipy') "
        "if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == ""
