"""Model bundle resolution, checksum verification and clear failures."""

from __future__ import annotations

import shutil
import subprocess
import sys
import urllib.error
from pathlib import Path

import pytest

from hipform.errors import ModelDownloadError, ModelError
from hipform.pose import models as M


def test_bundled_full_model_is_found_and_verified() -> None:
    info = M.resolve_model()
    assert info.name == "full"
    assert info.path.name == "pose_landmarker_full.task"
    assert info.sha256 == M.KNOWN_MODELS["full"]["sha256"]
    sidecar = info.path.with_name(info.path.name + ".sha256").read_text().split()[0]
    assert sidecar == info.sha256


def test_corrupt_bundle_is_refused_with_its_path(tmp_path: Path, monkeypatch) -> None:
    good = M.resolve_model().path
    bad = tmp_path / "pose_landmarker_full.task"
    data = bytearray(good.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    monkeypatch.setenv("HIPFORM_MODELS_DIR", str(tmp_path))
    with pytest.raises(ModelError, match=r"pose_landmarker_full\.task.*corrupt"):
        M.resolve_model("full")


def test_missing_model_names_where_it_looked(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HIPFORM_MODELS_DIR", str(tmp_path))
    monkeypatch.setattr(M, "repo_models_dir", lambda: tmp_path / "nothing")
    monkeypatch.setattr(M, "user_models_dir", lambda: tmp_path / "nothing2")
    with pytest.raises(ModelError, match="pose_landmarker_full.task") as ei:
        M.resolve_model("full")
    assert isinstance(ei.value, FileNotFoundError)


def test_path_that_is_not_a_bundle(tmp_path: Path) -> None:
    p = tmp_path / "x.task"
    p.write_bytes(b"not a zip at all")
    with pytest.raises(ModelError, match="x.task"):
        M.resolve_model(p)
    with pytest.raises(ModelError, match="absent.task"):
        M.resolve_model(tmp_path / "absent.task")


def test_any_other_bundle_by_path(tmp_path: Path) -> None:
    copy = tmp_path / "mine.task"
    shutil.copy(M.resolve_model().path, copy)
    info = M.resolve_model(copy)
    assert info.path == copy and info.sha256 == M.KNOWN_MODELS["full"]["sha256"]


def test_list_models_reports_status() -> None:
    rows = {r["name"]: r for r in M.list_models()}
    assert rows["full"]["status"] == "ok"
    assert set(rows) == {"lite", "full", "heavy"}


def test_download_without_internet_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    def refuse(*a, **k):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(M.urllib.request, "urlopen", refuse)
    with pytest.raises(ModelDownloadError, match="lite"):
        M.download_model("lite", dest_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []  # no partial file left behind


def test_cli_download_fails_with_one_line(tmp_path: Path) -> None:
    # Real network call: here it fails (no internet) and must fail cleanly; where there
    # is internet it may succeed, which is also fine.
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-m", "hipform.cli", "models", "download", "lite",
                        "--timeout", "5"], capture_output=True, text=True, env=env, timeout=60)
    if r.returncode == 0:
        pytest.skip("this machine has internet: the download succeeded")
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("hipform: error:") and "lite" in lines[0]
