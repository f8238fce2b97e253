"""README.md is built from docs/README_*.md and names every command the CLI has."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_is_built_from_the_docs() -> None:
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_readme.py"), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_readme_documents_every_command() -> None:
    from hipform.cli import _COMMANDS

    text = (ROOT / "README.md").read_text()
    for name in _COMMANDS:
        assert f"hipform {name}" in text, name


def test_readme_two_commands_exist() -> None:
    text = (ROOT / "README.md").read_text()
    for script in re.findall(r"bash (scripts/\w+\.sh)", text):
        assert (ROOT / script).exists(), script
